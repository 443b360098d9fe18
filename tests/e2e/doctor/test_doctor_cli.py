"""`meetup-bot doctor` against the sandbox: each check, broken through the sandbox's control API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli.doctor import doctor_command
from bot.cli.main import main
from bot.config import Config, DiscordConfig
from bot.sandbox import SandboxServer
from tests.e2e.announcements.conftest import KCN_GUILD, LOG_CHANNEL, STLGO_CHANNEL, STLGO_GUILD

STLGO_ORGANIZERS = 100000000000000003


def rows(out: str) -> list[tuple[str, str, str, str]]:
    """The table's rows as (check, place, status, what to do)."""
    found = []
    for line in out.splitlines()[1:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip(), maxsplit=3)
        found.append([*cells, "", "", ""][:4])
    return [(a, b, c, d) for a, b, c, d in found]


async def doctor(
    config: Config, sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    pointed = config.model_copy(update={"discord": DiscordConfig(api_base_url=sandbox.api_base_url)})
    code = await doctor_command(pointed, "test-token")
    return code, capsys.readouterr().out


def missing(out: str) -> list[tuple[str, str, str]]:
    return [(check, place, fix) for check, place, status, fix in rows(out) if status == "missing"]


async def control(
    http: aiohttp.ClientSession, method: str, url: str, body: dict[str, Any] | None = None
) -> None:
    async with http.request(method, url, json=body) as response:
        assert response.status == 200, await response.text()


async def test_a_server_that_grants_everything_passes(
    config: Config, sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await doctor(config, sandbox, capsys)
    assert code == 0, out
    table = rows(out)
    assert table[0][:3] == ("token is valid", f"bot meetup-bot ({sandbox.state.bot_user_id})", "ok")
    assert {status for _, _, status, _ in table} == {"ok"}
    places = {place for _, place, _, _ in table}
    assert {"StLGo #announcements", "StLGo #bot-log", "StLGo @organizer (organizer_role_id)"} <= places
    assert any(check.startswith("permission Manage Events") for check, *_ in table)
    assert out.rstrip().endswith("everything the config needs is in place")


async def test_a_server_the_bot_was_removed_from(
    config: Config, sandbox: SandboxServer, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    await control(http, "DELETE", f"{sandbox.url}/sandbox/guilds/{KCN_GUILD}")
    code, out = await doctor(config, sandbox, capsys)
    assert code == 1
    ((check, place, fix),) = missing(out)
    assert check == "bot is on the server" and str(KCN_GUILD) in place and "invite-url" in fix
    assert out.rstrip().endswith("1 problem: the bot cannot do all the config asks")


async def test_a_deleted_log_channel(
    config: Config, sandbox: SandboxServer, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    await control(http, "DELETE", f"{sandbox.url}/sandbox/channels/{LOG_CHANNEL}")
    code, out = await doctor(config, sandbox, capsys)
    assert code == 1
    ((check, place, fix),) = missing(out)
    assert (check, place) == ("channel exists", f"StLGo log_channel_id {LOG_CHANNEL}")
    assert "log_channel_id" in fix


async def test_a_permission_denied_by_a_channel_overwrite(
    config: Config, sandbox: SandboxServer, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{sandbox.url}/sandbox/channels/{STLGO_CHANNEL}/permissions"
    await control(http, "POST", url, {"deny": ["ADD_REACTIONS", "EMBED_LINKS"]})
    code, out = await doctor(config, sandbox, capsys)
    assert code == 1
    assert [(check, place) for check, place, _ in missing(out)] == [
        ("permission Embed Links", "StLGo #announcements"),
        ("permission Add Reactions", "StLGo #announcements"),
    ]
    assert all("#announcements" in fix for *_, fix in missing(out))
    await control(http, "POST", url, {"deny": [], "allow": []})  # the overwrite removed: all fine again
    assert (await doctor(config, sandbox, capsys))[0] == 0


async def test_a_deleted_organizer_role(
    config: Config, sandbox: SandboxServer, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    await control(http, "DELETE", f"{sandbox.url}/sandbox/guilds/{STLGO_GUILD}/roles/{STLGO_ORGANIZERS}")
    code, out = await doctor(config, sandbox, capsys)
    assert code == 1
    ((check, place, _),) = missing(out)
    assert (check, place) == ("role exists", f"StLGo organizer_role_id {STLGO_ORGANIZERS}")


async def test_a_mention_role_the_bot_may_not_mention(
    config: Config, sandbox: SandboxServer, http: aiohttp.ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    announcements = config.announcements.model_copy(update={"mention_role_id": STLGO_ORGANIZERS})
    config = config.model_copy(update={"announcements": announcements})
    config = config.model_copy(update={"groups": config.groups[:1]})
    assert (await doctor(config, sandbox, capsys))[0] == 0  # mentionable
    role = f"{sandbox.url}/sandbox/guilds/{STLGO_GUILD}/roles/{STLGO_ORGANIZERS}"
    await control(http, "PATCH", role, {"mentionable": False})
    assert (await doctor(config, sandbox, capsys))[0] == 0  # the bot may mention any role in the channel
    url = f"{sandbox.url}/sandbox/channels/{STLGO_CHANNEL}/permissions"
    await control(http, "POST", url, {"deny": ["MENTION_EVERYONE"]})
    code, out = await doctor(config, sandbox, capsys)
    assert code == 1
    ((check, place, fix),) = missing(out)
    assert (check, place) == ("role can be mentioned", "StLGo @organizer") and "mentionable" in fix


def test_doctor_without_a_token_says_how_to_give_it(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("DISCORD_TOKEN_FILE", raising=False)
    assert main(["--config", str(config_file), "doctor"]) == 2
    assert "set $DISCORD_TOKEN" in capsys.readouterr().err


async def test_a_rejected_token_is_the_one_row(
    config: Config, capsys: pytest.CaptureFixture[str], rejecting_api: str
) -> None:
    """The sandbox takes any token, so a server that answers 401 as Discord does to a reset token."""
    pointed = config.model_copy(update={"discord": DiscordConfig(api_base_url=rejecting_api)})
    assert await doctor_command(pointed, "MTIz.reset-token-value") == 1
    out = capsys.readouterr().out
    ((check, place, fix),) = missing(out)
    assert (check, place) == ("token is valid", "Discord") and "DISCORD_TOKEN" in fix
    assert "reset-token-value" not in out
