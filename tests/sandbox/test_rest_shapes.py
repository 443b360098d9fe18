"""REST answers and errors have Discord's shapes (checked against the OpenAPI description) and headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from bot.sandbox import SandboxServer

from .conftest import ANNOUNCE_ID, GUILD_ID, TOKEN, Control, SpecRecorder, member_id
from .spec import OpenApiSpec

AUTH = {"Authorization": f"Bot {TOKEN}"}


async def api(
    http: aiohttp.ClientSession,
    server: SandboxServer,
    method: str,
    path: str,
    body: Any = None,
    *,
    auth: bool = True,
) -> tuple[int, Any, CIMultiDictProxy[str]]:
    headers = dict(AUTH) if auth else {}
    async with http.request(method, server.api_base_url + path, json=body, headers=headers) as resp:
        data = await resp.json(content_type=None) if resp.status != 204 else None
        return resp.status, data, resp.headers


def check(spec: OpenApiSpec, method: str, route: str, status: int, body: Any) -> None:
    problems = spec.response_problems(method, route, status, body)
    assert not problems, problems


async def test_login_routes(sandbox: SandboxServer, http: aiohttp.ClientSession, spec: OpenApiSpec) -> None:
    for route in ("/users/@me", "/gateway/bot", "/oauth2/applications/@me", "/gateway"):
        status, body, headers = await api(http, sandbox, "GET", route)
        assert status == 200 and headers["Content-Type"] == "application/json"
        check(spec, "GET", route, 200, body)
    # both answer the root path, as Discord answers "wss://gateway.discord.gg/"
    for route in ("/gateway/bot", "/gateway"):
        status, body, _ = await api(http, sandbox, "GET", route)
        assert body["url"] == sandbox.url.replace("http", "ws") + "/"


async def test_message_channel_and_guild_shapes(
    sandbox: SandboxServer, http: aiohttp.ClientSession, spec: OpenApiSpec
) -> None:
    status, msg, headers = await api(
        http,
        sandbox,
        "POST",
        f"/channels/{ANNOUNCE_ID}/messages",
        {"content": "hi", "embeds": [{"title": "T"}]},
    )
    assert status == 200
    check(spec, "POST", "/channels/{channel_id}/messages", 200, msg)
    for name in ("Limit", "Remaining", "Reset", "Reset-After", "Bucket"):
        assert f"X-RateLimit-{name}" in headers
    assert msg["embeds"] == [{"title": "T", "type": "rich"}]
    alice = member_id(sandbox, "alice")
    emoji = "%E2%9C%85"
    status, _, _ = await api(
        http, sandbox, "PUT", f"/channels/{ANNOUNCE_ID}/messages/{msg['id']}/reactions/{emoji}/@me"
    )
    assert status == 204
    cases = [
        ("/channels/{channel_id}/messages", f"/channels/{ANNOUNCE_ID}/messages?limit=5"),
        ("/channels/{channel_id}/messages/{message_id}", f"/channels/{ANNOUNCE_ID}/messages/{msg['id']}"),
        (
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}",
            f"/channels/{ANNOUNCE_ID}/messages/{msg['id']}/reactions/{emoji}",
        ),
        ("/channels/{channel_id}", f"/channels/{ANNOUNCE_ID}"),
        ("/guilds/{guild_id}/channels", f"/guilds/{GUILD_ID}/channels"),
        ("/guilds/{guild_id}/roles", f"/guilds/{GUILD_ID}/roles"),
        ("/guilds/{guild_id}/members/{user_id}", f"/guilds/{GUILD_ID}/members/{alice}"),
        ("/guilds/{guild_id}/members", f"/guilds/{GUILD_ID}/members?limit=10"),
        ("/users/{user_id}", f"/users/{alice}"),
    ]
    for route, path in cases:
        status, body, _ = await api(http, sandbox, "GET", path)
        assert status == 200, (path, body)
        check(spec, "GET", route, 200, body)
    status, listed, _ = await api(http, sandbox, "GET", f"/channels/{ANNOUNCE_ID}/messages/{msg['id']}")
    assert listed["reactions"][0]["me"] is True and listed["reactions"][0]["count"] == 1
    status, dm, _ = await api(http, sandbox, "POST", "/users/@me/channels", {"recipient_id": str(alice)})
    check(spec, "POST", "/users/@me/channels", 200, dm)
    assert dm["type"] == 1 and dm["recipients"][0]["username"] == "alice"


async def test_scheduled_event_shapes_and_rules(
    sandbox: SandboxServer, http: aiohttp.ClientSession, spec: OpenApiSpec, recorder: SpecRecorder
) -> None:
    start = datetime.now(UTC) + timedelta(days=2)
    body = {
        "name": "Go meetup",
        "privacy_level": 2,
        "entity_type": 3,
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=2)).isoformat(),
        "entity_metadata": {"location": "Library, room 2"},
        "description": "Talks and pizza",
    }
    route = "/guilds/{guild_id}/scheduled-events"
    status, created, _ = await api(http, sandbox, "POST", f"/guilds/{GUILD_ID}/scheduled-events", body)
    assert status == 200, created
    check(spec, "POST", route, 200, created)
    status, listed, _ = await api(
        http, sandbox, "GET", f"/guilds/{GUILD_ID}/scheduled-events?with_user_count=true"
    )
    check(spec, "GET", route, 200, listed)
    one = f"/guilds/{GUILD_ID}/scheduled-events/{created['id']}"
    status, patched, _ = await api(http, sandbox, "PATCH", one, {"status": 2})
    assert status == 200 and patched["status"] == 2
    check(spec, "PATCH", route + "/{guild_scheduled_event_id}", 200, patched)
    status, err, _ = await api(http, sandbox, "PATCH", one, {"status": 4})
    assert status == 400 and err["code"] == 50035 and "status" in err["errors"]

    # The spec itself requires a location for EXTERNAL events: strict mode rejects that body first...
    no_location = {**body, "entity_metadata": {}}
    status, err, _ = await api(http, sandbox, "POST", f"/guilds/{GUILD_ID}/scheduled-events", no_location)
    assert status == 400 and err["errors"]["entity_metadata"]["_errors"][0]["code"] == "SPEC_VALIDATION"
    assert any("location" in p for p in recorder.take_request_problems())
    # ...and without strict mode the sandbox's own Discord rules answer the same way.
    sandbox.set_request_validator(None)
    no_end = {k: v for k, v in body.items() if k != "scheduled_end_time"}
    status, err, _ = await api(http, sandbox, "POST", f"/guilds/{GUILD_ID}/scheduled-events", no_end)
    assert status == 400 and err["code"] == 50035 and "scheduled_end_time" in err["errors"]
    no_location = {**body, "entity_metadata": {}}
    status, err, _ = await api(http, sandbox, "POST", f"/guilds/{GUILD_ID}/scheduled-events", no_location)
    assert status == 400 and "location" in err["errors"]["entity_metadata"]
    past = {**body, "scheduled_start_time": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    status, err, _ = await api(http, sandbox, "POST", f"/guilds/{GUILD_ID}/scheduled-events", past)
    assert status == 400 and "scheduled_start_time" in err["errors"]
    backwards = {**body, "scheduled_end_time": (start - timedelta(hours=1)).isoformat()}
    status, err, _ = await api(http, sandbox, "POST", f"/guilds/{GUILD_ID}/scheduled-events", backwards)
    assert status == 400 and "scheduled_end_time" in err["errors"]


@pytest.mark.parametrize(
    ("method", "path", "body", "auth", "status", "code"),
    [
        ("GET", "/users/@me", None, False, 401, 0),
        ("GET", "/channels/999", None, True, 404, 10003),
        ("GET", f"/channels/{ANNOUNCE_ID}/messages/999", None, True, 404, 10008),
        ("POST", f"/channels/{ANNOUNCE_ID}/messages", {}, True, 400, 50006),
        ("POST", f"/channels/{ANNOUNCE_ID}/messages", {"content": "x" * 2001}, True, 400, 50035),
        ("GET", "/guilds/999/roles", None, True, 404, 10004),
        ("POST", "/interactions/1/nope/callback", {"type": 4, "data": {"content": "x"}}, False, 404, 10062),
        ("GET", "/no/such/route", None, True, 404, 0),
    ],
)
async def test_error_shapes(
    sandbox: SandboxServer,
    http: aiohttp.ClientSession,
    spec: OpenApiSpec,
    method: str,
    path: str,
    body: Any,
    auth: bool,
    status: int,
    code: int,
) -> None:
    got, data, headers = await api(http, sandbox, method, path, body, auth=auth)
    assert (got, data["code"]) == (status, code), data
    assert headers["Content-Type"] == "application/json"
    assert not spec.component("ErrorResponse").is_valid(data) or data["code"] != 50035
    assert spec.component("Error").is_valid(data)
    if code == 50035:
        assert data["message"] == "Invalid Form Body"
        assert data["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"


async def test_strict_mode_rejects_bodies_that_break_the_spec(
    sandbox: SandboxServer, http: aiohttp.ClientSession, recorder: SpecRecorder
) -> None:
    status, data, _ = await api(http, sandbox, "POST", f"/channels/{ANNOUNCE_ID}/messages", {"content": 42})
    assert status == 400 and data["code"] == 50035
    assert data["errors"]["content"]["_errors"][0]["code"] == "SPEC_VALIDATION"
    assert recorder.take_request_problems()


async def test_control_state(control: Control, sandbox: SandboxServer) -> None:
    status, state = await control.get("/sandbox/state")
    assert status == 200
    guild = state["guilds"][0]
    assert guild["id"] == str(GUILD_ID)
    names = {m["name"]: m for m in guild["members"]}
    assert names["olivia"]["roles"] == ["organizer"] and names["bob"]["dms_open"] is True
    assert state["bot"]["id"] == str(sandbox.bot_user_id)
    flat = {m["name"]: m for m in state["members"]}
    assert flat["olivia"]["guild_id"] == str(GUILD_ID) and flat["olivia"]["role_names"] == ["organizer"]
    assert {c["name"] for c in state["channels"]} == {"announcements", "general"}
