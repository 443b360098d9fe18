"""`meetup-bot invite-url`: the OAuth2 link, the permissions it asks for and why, and where the id comes from."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web

from bot.cli.main import main
from bot.clock import ManualClock
from bot.sandbox import SandboxServer
from tests.factories import NOW
from tests.sandbox.conftest import seed

# Discord's permission flags as permissions.mdx lists them, written out here so the test does not trust the
# table it checks
DOCS_BITS = {
    "Add Reactions": 1 << 6,
    "View Channel": 1 << 10,
    "Send Messages": 1 << 11,
    "Manage Messages": 1 << 13,
    "Embed Links": 1 << 14,
    "Attach Files": 1 << 15,
    "Read Message History": 1 << 16,
    "Manage Events": 1 << 33,
    "Create Events": 1 << 44,
}
ALWAYS = {
    "View Channel",
    "Send Messages",
    "Embed Links",
    "Attach Files",
    "Add Reactions",
    "Read Message History",
    "Manage Messages",
}
EVENTS = {"Manage Events", "Create Events"}
CLIENT_ID = "123456789012345678"


@pytest.fixture(autouse=True)
def no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("DISCORD_TOKEN_FILE", raising=False)


def run(argv: list[str]) -> int:
    return main(argv, ManualClock(NOW))


async def run_in_thread(argv: list[str]) -> int:
    """The CLI runs its own event loop; a sandbox on this test's loop answers it meanwhile."""
    return await asyncio.to_thread(run, argv)


def parse(out: str) -> tuple[str, int, dict[str, str], dict[str, str]]:
    """The printed link's client_id, permissions and query, and each listed permission with its reason."""
    first, *rest = out.strip("\n").splitlines()
    url = urlsplit(first)
    assert (url.scheme, url.netloc, url.path) == ("https", "discord.com", "/oauth2/authorize"), first
    query = {k: v[0] for k, v in parse_qs(url.query, strict_parsing=True).items()}
    listed = {}
    for line in rest:
        assert line.startswith("  ") and " — " in line, line
        name, why = line.strip().split(" — ", 1)
        assert name not in listed, f"{name} listed twice"
        listed[name] = why
    return query["client_id"], int(query["permissions"]), query, listed


def with_config(config_file: Path, extra: str) -> Path:
    config_file.write_text(config_file.read_text() + extra)
    return config_file


def test_client_id_prints_the_link_and_why_each_permission(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--config", str(config_file), "invite-url", "--client-id", CLIENT_ID]) == 0
    client_id, permissions, query, listed = parse(capsys.readouterr().out)
    assert client_id == CLIENT_ID
    assert query["scope"].split(" ") == ["bot", "applications.commands"]
    assert set(listed) == ALWAYS | EVENTS  # scheduled events are on by default
    assert permissions == sum(DOCS_BITS[name] for name in listed)
    for name, why in listed.items():
        assert len(why.split()) >= 3, f"{name}: {why!r} is no reason"
    assert "no setting" in listed["Manage Messages"]  # always on: the reason says so


def test_scheduled_events_off_drops_the_events_permissions(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = with_config(config_file, "announcements:\n  scheduled_events: false\n")
    assert run(["--config", str(path), "invite-url", "--client-id", CLIENT_ID]) == 0
    _, permissions, _, listed = parse(capsys.readouterr().out)
    assert set(listed) == ALWAYS
    assert permissions == sum(DOCS_BITS[name] for name in ALWAYS)
    assert not permissions & (DOCS_BITS["Manage Events"] | DOCS_BITS["Create Events"])


def test_one_group_turning_scheduled_events_on_is_enough(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = config_file.read_text().replace(
        "    organizer_role_id: 100000000000000013\n",
        "    organizer_role_id: 100000000000000013\n    announcements: {scheduled_events: true}\n",
    )
    config_file.write_text(text + "announcements:\n  scheduled_events: false\n")
    assert run(["--config", str(config_file), "invite-url", "--client-id", CLIENT_ID]) == 0
    _, permissions, _, listed = parse(capsys.readouterr().out)
    assert set(listed) == ALWAYS | EVENTS
    assert permissions == sum(DOCS_BITS[name] for name in listed)
    assert "Kubernetes & Cloud Native STL" in listed["Manage Events"]
    assert "StLGo" not in listed["Manage Events"]


@pytest.mark.parametrize("bad", ["abc", "12 34", "-5", "0", "١٢٣", "99999999999999999999999"])
def test_a_bad_client_id_exits_2_naming_the_option(
    config_file: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    assert run(["--config", str(config_file), "invite-url", f"--client-id={bad}"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--client-id" in captured.err and captured.err.startswith("error:")


def test_no_client_id_and_no_token_exits_2(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--config", str(config_file), "invite-url"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--client-id" in captured.err and "$DISCORD_TOKEN" in captured.err


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = SandboxServer(seed())
    await server.start()
    yield server
    await server.stop()


async def test_with_a_token_the_id_is_the_sandbox_application(
    config_file: Path,
    sandbox: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = "sandbox-secret-token-xyz"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    path = with_config(config_file, f"discord:\n  api_base_url: {sandbox.api_base_url}\n")
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{sandbox.api_base_url}/oauth2/applications/@me", headers={"Authorization": f"Bot {token}"}
        ) as response,
    ):
        assert response.status == 200
        expected = (await response.json())["id"]
    assert await run_in_thread(["--config", str(path), "invite-url"]) == 0
    captured = capsys.readouterr()
    client_id, permissions, _, listed = parse(captured.out)
    assert client_id == expected == str(sandbox.application_id)
    assert permissions == sum(DOCS_BITS[name] for name in listed)
    assert token not in captured.out + captured.err


@pytest.fixture
async def rejecting_api() -> AsyncIterator[str]:
    """An API that answers 401 to everything, as Discord does to a reset token."""

    async def unauthorized(request: web.Request) -> web.Response:
        return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)

    app = web.Application()
    app.router.add_get("/{tail:.*}", unauthorized)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/api/v10"
    await runner.cleanup()


async def test_a_rejected_token_exits_1_without_printing_it(
    config_file: Path, rejecting_api: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "reset-token-abc"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    path = with_config(config_file, f"discord:\n  api_base_url: {rejecting_api}\n")
    assert await run_in_thread(["--config", str(path), "invite-url"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: Discord rejected the token ($DISCORD_TOKEN)")
    assert token not in captured.out + captured.err


def test_an_unreachable_api_exits_1_with_one_line(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "some-token-123"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    path = with_config(config_file, f"discord:\n  api_base_url: http://127.0.0.1:{port}/api/v10\n")
    assert run(["--config", str(path), "invite-url"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach Discord"), captured.err
    assert token not in captured.err
