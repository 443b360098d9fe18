"""What a git host's push webhook asks for: who sent it, whether it is signed with our secret, which branch.

Pure functions over the raw headers and body (no HTTP server here), so every rule is tested directly:
GitHub signs the body with HMAC-SHA256 (`X-Hub-Signature-256: sha256=<hex>`), GitLab sends the secret itself
(`X-Gitlab-Token`). Both are compared in constant time; the secret never appears in an answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import WEBHOOK_SECRET_ENV

MAX_BODY = 1024 * 1024  # a push event of a thousand commits is far below this
GITHUB, GITLAB = "github", "gitlab"


@dataclass(frozen=True)
class HookDecision:
    """The answer to one webhook call, and whether it asks for a sync."""

    status: int
    text: str
    sync: bool = False
    provider: str | None = None
    ref: str | None = None


def provider_of(headers: Mapping[str, str]) -> str | None:
    """GITHUB or GITLAB by the event header each sends; None when neither is there."""
    lowered = {key.lower() for key in headers}
    if "x-github-event" in lowered:
        return GITHUB
    if "x-gitlab-event" in lowered:
        return GITLAB
    return None


def github_signature(body: bytes, secret: str) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for `body` (used by tests and by `verify_github`)."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_github(body: bytes, signature: str | None, secret: str) -> bool:
    """True when `signature` is `sha256=<hex>` of the body's HMAC with `secret` (any other algorithm fails)."""
    if not signature or not secret:
        return False
    algorithm, _, digest = signature.strip().partition("=")
    if algorithm != "sha256" or not digest:
        return False
    expected = github_signature(body, secret).partition("=")[2]
    return hmac.compare_digest(expected.encode("ascii"), digest.lower().encode("ascii", "replace"))


def verify_gitlab(token: str | None, secret: str) -> bool:
    """True when GitLab's `X-Gitlab-Token` is the secret itself."""
    if not token or not secret:
        return False
    return hmac.compare_digest(token.encode("utf-8"), secret.encode("utf-8"))


def branch_ref(branch: str) -> str:
    """The full ref a push to `branch` names."""
    return f"refs/heads/{branch}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def decide(headers: Mapping[str, str], body: bytes, secret: str | None, branch: str) -> HookDecision:
    """What to answer a call of `POST /hooks/git`: 401 unless signed with `secret`, 400 for a body that is
    not a push event's JSON, "ignored" for other events and other branches, 202 with `sync` for a push to
    `branch`. Nothing is done before the signature is checked."""
    if not secret:
        return HookDecision(
            503, f"the git webhook is off: set ${WEBHOOK_SECRET_ENV} where the bot runs, then restart it"
        )
    if len(body) > MAX_BODY:
        return HookDecision(413, f"body too large (at most {MAX_BODY} bytes)")
    provider = provider_of(headers)
    if provider is None:
        return HookDecision(400, "not a GitHub or GitLab webhook: no X-GitHub-Event or X-Gitlab-Event header")
    if provider == GITHUB:
        if not verify_github(body, _header(headers, "X-Hub-Signature-256"), secret):
            return HookDecision(
                401, "bad or missing X-Hub-Signature-256 (sha256 HMAC of the body)", False, provider
            )
        event = (_header(headers, "X-GitHub-Event") or "").strip()
        if event == "ping":
            return HookDecision(200, "pong", False, provider)
        is_push = event == "push"
    else:
        if not verify_gitlab(_header(headers, "X-Gitlab-Token"), secret):
            return HookDecision(401, "bad or missing X-Gitlab-Token", False, provider)
        event = (_header(headers, "X-Gitlab-Event") or "").strip()
        is_push = event == "Push Hook"
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return HookDecision(400, "the body is not JSON (set the webhook's content type to application/json)")
    if not isinstance(payload, dict):
        return HookDecision(400, "the body is not a JSON object", False, provider)
    if not is_push:
        return HookDecision(
            202, f"ignored: {event or 'unnamed'} event (only pushes are synced)", False, provider
        )
    ref = payload.get("ref")
    if not isinstance(ref, str) or not ref:
        return HookDecision(400, "a push event without a `ref`", False, provider)
    if ref != branch_ref(branch):
        return HookDecision(202, f"ignored: push to {ref}", False, provider, ref)
    return HookDecision(202, f"sync started: push to {ref}", True, provider, ref)
