"""POST /hooks/git decisions: GitHub's HMAC signature and GitLab's token, the branch filter, bad bodies."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from bot.repo.webhooks import (
    GITHUB,
    GITLAB,
    MAX_BODY,
    decide,
    github_signature,
    provider_of,
    verify_github,
    verify_gitlab,
)

SECRET = "webhook-secret-for-tests"
BODY = json.dumps({"ref": "refs/heads/main", "after": "0" * 40}).encode()


def github(body: bytes = BODY, *, event: str = "push", signature: str | None = None) -> dict[str, str]:
    headers = {"X-GitHub-Event": event, "Content-Type": "application/json"}
    headers["X-Hub-Signature-256"] = signature if signature is not None else github_signature(body, SECRET)
    return headers


def gitlab(token: str = SECRET, event: str = "Push Hook") -> dict[str, str]:
    return {"X-Gitlab-Event": event, "X-Gitlab-Token": token}


def test_the_github_signature_is_the_hmac_sha256_of_the_body_in_hex() -> None:
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert github_signature(BODY, SECRET) == f"sha256={expected}"
    assert verify_github(BODY, f"sha256={expected}", SECRET)
    assert verify_github(BODY, f"sha256={expected.upper()}", SECRET)  # hex is hex, whatever the case


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=",
        "sha256=" + "0" * 64,
        # the algorithm of GitHub's older header
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
        "sha512=" + hmac.new(SECRET.encode(), BODY, hashlib.sha512).hexdigest(),
        hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),  # no algorithm prefix
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),  # the right hex, wrong name
        "sha256=" + hmac.new(b"another secret", BODY, hashlib.sha256).hexdigest(),
        "sha256=zz\u00e9",
    ],
)
def test_a_github_signature_that_is_not_ours_fails(signature: str | None) -> None:
    assert not verify_github(BODY, signature, SECRET)


def test_a_github_signature_of_another_body_fails() -> None:
    assert not verify_github(BODY + b" ", github_signature(BODY, SECRET), SECRET)


def test_the_gitlab_token_must_be_the_secret_itself() -> None:
    assert verify_gitlab(SECRET, SECRET)
    assert not verify_gitlab(SECRET + "x", SECRET)
    assert not verify_gitlab("", SECRET)
    assert not verify_gitlab(None, SECRET)
    assert not verify_gitlab("", "")  # no secret: nothing verifies


def test_the_provider_is_told_by_its_event_header_in_any_case() -> None:
    assert provider_of({"x-github-event": "push"}) == GITHUB
    assert provider_of({"X-Gitlab-Event": "Push Hook"}) == GITLAB
    assert provider_of({"Content-Type": "application/json"}) is None


def test_a_signed_github_push_to_the_branch_asks_for_a_sync() -> None:
    decision = decide(github(), BODY, SECRET, "main")
    assert (decision.status, decision.sync, decision.provider, decision.ref) == (
        202,
        True,
        GITHUB,
        "refs/heads/main",
    )


def test_a_gitlab_push_with_the_token_asks_for_a_sync() -> None:
    decision = decide(gitlab(), BODY, SECRET, "main")
    assert (decision.status, decision.sync, decision.provider) == (202, True, GITLAB)


@pytest.mark.parametrize(
    "headers",
    [
        github(signature="sha256=" + "0" * 64),
        github(signature=""),
        {"X-GitHub-Event": "push"},  # no signature header at all
        github(signature=github_signature(BODY, "not the secret")),
        gitlab(token="wrong"),
        {"X-Gitlab-Event": "Push Hook"},
    ],
)
def test_a_bad_or_missing_signature_is_401_and_no_sync(headers: dict[str, str]) -> None:
    decision = decide(headers, BODY, SECRET, "main")
    assert decision.status == 401 and not decision.sync
    assert SECRET not in decision.text


def test_the_signature_is_checked_before_the_body_is_read() -> None:
    decision = decide(github(signature="sha256=00"), b"not json", SECRET, "main")
    assert decision.status == 401


@pytest.mark.parametrize("ref", ["refs/heads/feature", "refs/heads/main-old", "refs/tags/main", "main"])
def test_a_push_to_another_ref_is_acknowledged_and_ignored(ref: str) -> None:
    body = json.dumps({"ref": ref}).encode()
    for headers in (github(body), gitlab()):
        decision = decide(headers, body, SECRET, "main")
        assert decision.status == 202 and not decision.sync
        assert decision.text == f"ignored: push to {ref}"


def test_the_branch_is_the_configured_one() -> None:
    body = json.dumps({"ref": "refs/heads/events/2026"}).encode()
    assert decide(github(body), body, SECRET, "events/2026").sync
    assert not decide(github(body), body, SECRET, "main").sync


def test_github_ping_is_pong_and_other_events_are_ignored() -> None:
    ping = json.dumps({"zen": "Keep it logically awesome."}).encode()
    answer = decide(github(ping, event="ping"), ping, SECRET, "main")
    assert (answer.status, answer.text, answer.sync) == (200, "pong", False)
    issues = decide(github(BODY, event="issues"), BODY, SECRET, "main")
    assert issues.status == 202 and not issues.sync and "issues" in issues.text
    tag = decide(gitlab(event="Tag Push Hook"), BODY, SECRET, "main")
    assert tag.status == 202 and not tag.sync


@pytest.mark.parametrize("body", [b"ref=refs/heads/main", b"\xff\xfe", b"[1, 2]", b"{}"])
def test_a_signed_body_that_is_not_a_push_object_is_400(body: bytes) -> None:
    decision = decide(github(body), body, SECRET, "main")
    assert decision.status == 400 and not decision.sync


def test_a_body_over_the_limit_is_413() -> None:
    body = b" " * (MAX_BODY + 1)
    assert decide(github(body), body, SECRET, "main").status == 413


def test_without_a_secret_the_endpoint_is_off_whatever_is_sent() -> None:
    for secret in (None, ""):
        decision = decide(github(signature=github_signature(BODY, "")), BODY, secret, "main")
        assert decision.status == 503 and not decision.sync
        assert "MEETUP_BOT_WEBHOOK_SECRET" in decision.text
