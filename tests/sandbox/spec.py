"""Checks JSON bodies against Discord's OpenAPI description (tests/fixtures/discord-openapi.json)."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "discord-openapi.json"
BASE_URI = "urn:discord-openapi"

Problem = tuple[Sequence[str | int], str]


def _coercing_type(validator: Any, types: Any, instance: Any, schema: dict[str, Any]) -> Any:
    """Discord coerces request values: a snowflake may be sent as a number (docs: "snowflake or
    number", which discord.py does for new attachment ids) and integer fields take digit strings
    (permission bit sets such as default_member_permissions are documented as strings). Integer
    schemas with a `format` (e.g. the int64 branch of `nonce`) stay strict so oneOf stays exclusive."""
    allowed = types if isinstance(types, list) else [types]
    snowflake_number = isinstance(instance, int) and not isinstance(instance, bool)
    if "string" in allowed and schema.get("format") == "snowflake" and snowflake_number:
        return
    if "integer" in allowed and "format" not in schema and isinstance(instance, str) and instance.isdigit():
        return
    yield from Draft202012Validator.VALIDATORS["type"](validator, types, instance, schema)


RequestValidator = validators.extend(Draft202012Validator, {"type": _coercing_type})


def _absolute_refs(node: Any) -> Any:
    """Inline schemas taken out of `paths` keep working by pointing their $refs at the whole document."""
    if isinstance(node, dict):
        return {
            k: (
                BASE_URI + v
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _absolute_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_absolute_refs(v) for v in node]
    return node


class OpenApiSpec:
    def __init__(self, path: Path = SPEC_PATH) -> None:
        self.doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(self.doc, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(BASE_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}

    def operation(self, method: str, path: str) -> dict[str, Any]:
        return dict(self.doc["paths"][path][method.lower()])

    def _validator(
        self, key: str, schema: dict[str, Any], cls: Any = Draft202012Validator
    ) -> Draft202012Validator:
        if key not in self._validators:
            self._validators[key] = cls(_absolute_refs(copy.deepcopy(schema)), registry=self.registry)
        return self._validators[key]

    def component(self, name: str) -> Draft202012Validator:
        return self._validator(f"component:{name}", {"$ref": f"#/components/schemas/{name}"})

    def response_schema(self, method: str, path: str, status: int) -> dict[str, Any] | None:
        """The schema for a status, falling back to 4XX; None when the spec documents no JSON body."""
        responses = self.operation(method, path)["responses"]
        entry = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        if entry is None:
            raise KeyError(f"{method} {path} documents no {status} response")
        if "$ref" in entry:
            entry = self.doc["components"]["responses"][entry["$ref"].rsplit("/", 1)[1]]
        content = entry.get("content", {}).get("application/json")
        return None if content is None else dict(content["schema"])

    def response_problems(self, method: str, path: str, status: int, body: Any) -> list[str]:
        schema = self.response_schema(method, path, status)
        if schema is None:
            return [] if body is None else [f"{method} {path} {status} should have no body"]
        validator = self._validator(f"response:{method}:{path}:{status}", schema)
        return [
            f"{list(e.absolute_path)}: {e.message[:300]}" for e in map(_deepest, validator.iter_errors(body))
        ]

    def request_problems(self, method: str, path: str, body: Any) -> list[Problem]:
        """Problems with a JSON (or payload_json) request body for one operation."""
        try:
            operation = self.operation(method, path)
        except KeyError:
            return [((), f"{method} {path} is not in the spec")]
        request = operation.get("requestBody")
        if request is None:
            return []
        schema = request["content"]["application/json"]["schema"]
        validator = self._validator(f"request:{method}:{path}", schema, RequestValidator)
        return [(list(e.absolute_path), e.message[:300]) for e in map(_deepest, validator.iter_errors(body))]


def _deepest(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf failures, name the problem in the alternative the body was meant for.

    That is the branch whose enum/const "discriminators" (type, entity_type...) matched.
    """
    while error.context:
        branches: dict[object, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
        chosen = min(
            branches.values(),
            key=lambda errs: (any(e.validator in ("enum", "const") for e in errs), len(errs)),
        )
        error = best_match(chosen)
    return error


@cache
def load_spec() -> OpenApiSpec:
    return OpenApiSpec()
