"""`meetup-bot run` without a token: the sandbox, seeded from config, a demo event, and a live console."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shlex
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog import queries
from bot.catalog.importer import store_records
from bot.catalog.record import AgendaItem, EventRecord
from bot.config import Config
from bot.sandbox.seed import SandboxSeed, SeedGuild

log = logging.getLogger(__name__)

DEMO_SLUG = "sandbox-demo"
HELP = """\
Act as a member of the first server (default: alice). Examples:
  /next-event                 /events page:2          /event slug:sandbox-demo      /agenda
  as bob /next-event          react ✅                 react ❌ as carol              members
  help                        quit (or Ctrl-C)
"""


def seed_from_config(config: Config) -> SandboxSeed:
    """The guilds, announcement channels and organizer roles config.yaml names, plus sample members."""
    return SandboxSeed(
        guilds=[
            SeedGuild(
                guild_id=group.guild_id,
                name=group.name,
                announce_channel_id=group.announce_channel_id,
                organizer_role_id=group.organizer_role_id,
            )
            for group in config.groups
        ]
    )


def demo_record(config: Config, now: datetime) -> EventRecord:
    """A clearly marked demo event a few minutes from now, so announcements and RSVPs can be watched at once."""
    zone = ZoneInfo(config.timezone)
    start = (now + timedelta(minutes=10)).astimezone(zone).replace(second=0, microsecond=0)
    items = [
        AgendaItem(start, start + timedelta(minutes=15), "Food and networking"),
        AgendaItem(start + timedelta(minutes=15), start + timedelta(minutes=45), "Main presentation"),
        AgendaItem(start + timedelta(minutes=45), start + timedelta(minutes=60), "Q&A"),
    ]
    return EventRecord(
        slug=DEMO_SLUG,
        title="[DEMO] Sandbox meetup (not a real event)",
        starts_at=start,
        ends_at=items[-1].ends_at or start,
        timezone=config.timezone,
        source="(sandbox demo: exists only in the sandbox's database)",
        location="The sandbox, 127.0.0.1",
        presenters=["Demo Presenter"],
        hosting_groups=[group.name for group in config.groups],
        agenda=items,
        sections={
            "Presentation": "This event exists only in the sandbox, so you can try the bot right away."
        },
        capacity=3,
    )


async def add_demo_event_if_needed(
    config: Config, sessions: async_sessionmaker[AsyncSession], now: datetime
) -> bool:
    async with sessions.begin() as session:
        if await queries.next_event(session, now) is not None:
            return False
        await store_records(session, [demo_record(config, now)], now)
    return True


class Console:
    """Reads commands a newcomer types and plays them as a sample member through the control API."""

    def __init__(self, sandbox_url: str, config: Config, out: TextIO = sys.stdout) -> None:
        self._url = sandbox_url
        self._guild_id = config.groups[0].guild_id
        self._channel_id = config.groups[0].announce_channel_id
        self._out = out

    def print(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    async def run(self, reader: asyncio.StreamReader) -> None:
        async with aiohttp.ClientSession(self._url) as http:
            self._http = http
            while True:
                raw = await reader.readline()
                if not raw:
                    return
                line = raw.decode(errors="replace")
                try:
                    if not await self.handle(line.strip()):
                        return
                except (aiohttp.ClientError, ValueError, KeyError) as exc:
                    self.print(f"  ! {exc}")

    async def _member_id(self, name: str) -> int:
        async with self._http.get("/sandbox/state") as response:
            state: dict[str, Any] = await response.json()
        for member in state["members"]:
            if member["name"].lower() == name.lower() and int(member["guild_id"]) == self._guild_id:
                return int(member["id"])
        raise ValueError(f"no member called {name!r}; type `members` to list them")

    async def handle(self, line: str) -> bool:
        if not line:
            return True
        words = shlex.split(line)
        user = "alice"
        if words[0] == "as" and len(words) >= 3:
            user, words = words[1], words[2:]
        if len(words) >= 3 and words[-2] == "as":
            user, words = words[-1], words[:-2]
        head = words[0]
        if head in ("quit", "exit"):
            return False
        if head == "help":
            self.print(HELP)
        elif head == "members":
            async with self._http.get("/sandbox/state") as response:
                state = await response.json()
            for member in state["members"]:
                if int(member["guild_id"]) == self._guild_id:
                    self.print(f"  {member['name']}  roles: {', '.join(member.get('role_names', [])) or '-'}")
        elif head.startswith("/"):
            options = dict(word.split(":", 1) for word in words[1:] if ":" in word)
            body = {
                "guild_id": str(self._guild_id),
                "channel_id": str(self._channel_id),
                "user_id": str(await self._member_id(user)),
                "name": head[1:],
                "options": options,
            }
            async with self._http.post("/sandbox/commands", json=body) as response:
                answer = await response.json()
            self.print(readable(_format_answer(user, answer)))
        elif head == "react" and len(words) >= 2:
            await self._react(user, words[1])
        else:
            self.print(f"  ? unknown: {line!r}; type `help`")
        return True

    async def _react(self, user: str, emoji: str) -> None:
        async with self._http.get(f"/sandbox/channels/{self._channel_id}/messages") as response:
            messages = await response.json()
        async with self._http.get("/sandbox/state") as response:
            bot_id = str((await response.json())["bot"]["id"])
        # the announcement: the newest message the bot put its own RSVP reactions on
        announcements = [
            m for m in messages if any(bot_id in reaction["user_ids"] for reaction in m.get("reactions", []))
        ]
        if not announcements:
            self.print("  ! no announcement to react to yet: the bot posts it at the event's lead time")
            return
        body = {
            "channel_id": str(self._channel_id),
            "message_id": str(announcements[-1]["id"]),
            "user_id": str(await self._member_id(user)),
            "emoji": emoji,
            "action": "add",
        }
        async with self._http.post("/sandbox/reactions", json=body) as response:
            if response.status >= 400:
                self.print(f"  ! {await response.text()}")


_TIMESTAMP = re.compile(r"<t:(\d+)(?::([tTdDfFR]))?>")


def readable(text: str) -> str:
    """Discord timestamp tags as this terminal's local time (Discord shows each member their own)."""

    def show(match: re.Match[str]) -> str:
        when = datetime.fromtimestamp(int(match.group(1))).astimezone()
        style = match.group(2) or "f"
        if style in "tT":
            return f"{when:%H:%M}"
        if style in "dD":
            return f"{when:%a %d %b %Y}"
        if style == "R":
            minutes = round((when - datetime.now(when.tzinfo)).total_seconds() / 60)
            return f"in {minutes} min" if minutes >= 0 else f"{-minutes} min ago"
        return f"{when:%a %d %b %Y %H:%M %Z}"

    return _TIMESTAMP.sub(show, text)


def _format_answer(user: str, answer: dict[str, Any]) -> str:
    if "message" in answer and "type" not in answer:
        return f"  ! {answer['message']}"
    lines = [f"  → answer to {user}{' (only they see it)' if answer.get('ephemeral') else ''}:"]
    if answer.get("content"):
        lines.append(f"    {answer['content']}")
    for embed in answer.get("embeds") or []:
        lines.append(f"    [{embed.get('title', '')}]")
        if embed.get("description"):
            lines.append(f"    {embed['description']}")
        for field in embed.get("fields", []):
            value = str(field.get("value", "")).replace("\n", "\n      ")
            lines.append(f"    {field.get('name')}: {value}")
        if embed.get("footer"):
            lines.append(f"    ({embed['footer'].get('text', '')})")
    return "\n".join(lines)


@contextlib.asynccontextmanager
async def console_task(
    url: str, config: Config, stop: asyncio.Event
) -> AsyncIterator[asyncio.Task[None] | None]:
    """Runs the console while stdin is a terminal; without one (CI, a pipe) there is nothing to read."""
    task: asyncio.Task[None] | None = None
    if sys.stdin is not None and sys.stdin.isatty():
        console = Console(url, config)
        console.print(HELP)
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        task = asyncio.create_task(console.run(reader))
        task.add_done_callback(lambda _: stop.set())  # `quit` or end of input stops the run
    try:
        yield task
    finally:
        if task is not None:
            task.cancel()
