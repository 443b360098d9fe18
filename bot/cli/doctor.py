"""`meetup-bot doctor`: with the token, checks on Discord what the config will need, and says what to fix."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import aiohttp
import discord

from bot.config import TOKEN_ENV, TOKEN_FILE_ENV, Config
from bot.discord_endpoint import use_discord_endpoint
from bot.doctor.checks import Finding, check_all, problems
from bot.doctor.fetch import fetch_all

log = logging.getLogger(__name__)
HEADERS = ("check", "place", "status", "what to do")


def format_findings(findings: Sequence[Finding]) -> str:
    """One aligned table; the last column is left ragged so long advice is not padded."""
    rows = [HEADERS] + [(f.check, f.place, "ok" if f.ok else "missing", f.fix) for f in findings]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3] for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


async def doctor_command(config: Config, token: str | None) -> int:
    """Exit 0 when everything is there, 1 when something is missing or Discord cannot be asked,
    2 without a token."""
    if token is None:
        print(
            f"error: doctor asks Discord with the bot's token: set ${TOKEN_ENV} (or ${TOKEN_FILE_ENV})",
            file=sys.stderr,
        )
        return 2
    use_discord_endpoint(config.discord.api_base_url, config.discord.gateway_url)
    client = discord.Client(intents=discord.Intents.none())
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            fix = f"reset the token on the Developer Portal's Bot page and put the new one in ${TOKEN_ENV}"
            print(format_findings([Finding("token is valid", "Discord", False, fix)]))
            return 1
        except (aiohttp.ClientError, discord.HTTPException, OSError) as exc:
            log.debug("login failed", exc_info=True)
            print(
                f"error: cannot reach Discord ({exc}); check the network or discord.api_base_url",
                file=sys.stderr,
            )
            return 1
        me = client.user
        assert me is not None
        try:
            guilds = await fetch_all(client.http, config, me.id)
        except (aiohttp.ClientError, discord.HTTPException, OSError) as exc:
            log.debug("reading the servers failed", exc_info=True)
            print(f"error: Discord did not answer while checking ({exc}); try again", file=sys.stderr)
            return 1
    finally:
        await client.close()
    findings = [Finding("token is valid", f"bot {me.name} ({me.id})", True), *check_all(config, guilds)]
    print(format_findings(findings))
    missing = problems(findings)
    if missing:
        print(
            f"\n{len(missing)} problem{'s' if len(missing) != 1 else ''}: the bot cannot do all the config asks"
        )
        return 1
    print("\neverything the config needs is in place")
    return 0
