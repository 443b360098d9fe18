"""Strict mode for the sandbox: every body the bot sends and every REST answer checked against Discord's
OpenAPI description (`tests/fixtures/discord-openapi.json`). The `spec` and `recorder` fixtures live in
tests/conftest.py so that sandbox and end-to-end tests share them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox.spec import OpenApiSpec, Problem, load_spec


class SpecRecorder:
    """Strict mode: checks every request body the bot sends and every REST answer against the spec."""

    def __init__(self, spec: OpenApiSpec) -> None:
        self.spec = spec
        self.request_problems: list[str] = []
        self.response_problems: list[str] = []
        self.checked_responses: list[tuple[str, str, int]] = []

    def validate_request(self, method: str, route: str, body: Any) -> list[Problem]:
        problems = self.spec.request_problems(method, route, body)
        self.request_problems += [f"{method} {route} {list(p)}: {m}" for p, m in problems]
        return problems

    def observe_response(self, method: str, route: str, status: int, body: Any) -> None:
        self.checked_responses.append((method, route, status))
        if route not in self.spec.doc["paths"]:
            return
        if status >= 500:  # an injected outage: Discord's 5xx pages are not part of the API description
            return
        if isinstance(body, dict) and body.get("code") == 50035 and "errors" in body:
            # Discord's field errors carry string codes ("BASE_TYPE_REQUIRED"); the spec's
            # InnerErrors says integer, so the tree is checked by hand and the rest by the spec.
            problems = [e.message for e in self.spec.component("Error").iter_errors(body)]
            problems += _field_error_problems(body["errors"])
        else:
            problems = self.spec.response_problems(method, route, status, body)
        for problem in problems:
            self.response_problems.append(f"{method} {route} -> {status}: {problem}")

    def take_request_problems(self) -> list[str]:
        taken, self.request_problems = self.request_problems, []
        return taken


def _field_error_problems(tree: Any, path: str = "errors") -> list[str]:
    if not isinstance(tree, dict) or not tree:
        return [f"{path} should be a non-empty object"]
    problems = []
    for key, value in tree.items():
        if key == "_errors":
            ok = (
                isinstance(value, list)
                and value
                and all(
                    isinstance(e, dict)
                    and isinstance(e.get("code"), str)
                    and isinstance(e.get("message"), str)
                    for e in value
                )
            )
            if not ok:
                problems.append(f"{path}._errors should be a list of {{code: str, message: str}}")
        else:
            problems += _field_error_problems(value, f"{path}.{key}")
    return problems


@pytest.fixture(scope="session")
def spec() -> OpenApiSpec:
    return load_spec()


@pytest.fixture
def recorder(spec: OpenApiSpec) -> Iterator[SpecRecorder]:
    rec = SpecRecorder(spec)
    yield rec
    assert not rec.request_problems, "bodies sent to the sandbox break the spec:\n" + "\n".join(
        rec.request_problems
    )
    assert not rec.response_problems, "sandbox answers break the spec:\n" + "\n".join(rec.response_problems)
