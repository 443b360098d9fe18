"""`meetup-bot run` without a token: the sandbox, seeded from config, a demo event, and a live console."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shlex
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.catalog import queries
from bot.catalog.importer import store_records
from bot.catalog.record import AgendaItem, EventRecord
from bot.clock import Clock
from bot.config import Config, RsvpEmojis
from bot.db.models import Event
from bot.sandbox import views
from bot.sandbox.seed import SandboxSeed, SeedGuild
from bot.sandbox.server import SandboxServer
from bot.schedule.plan import ANNOUNCEMENT
from bot.schedule.preview import PreviewRow, preview
from bot.when import clock_time, day_text, plural, when_text

log = logging.getLogger(__name__)

DEMO_SLUG = "sandbox-demo"
# the demo starts this soon, so that its reminder and agenda posts come while the newcomer watches
DEMO_LEAD = timedelta(minutes=10)
# a reminder this long before a start, in the sandbox run only: the demo's comes a minute or two after it
# is announced (config.yaml's reminders, a day and two hours before, fall before the demo was known)
DEMO_REMINDER = timedelta(minutes=8)
# an announcement due within this long is something to watch: no demo is needed then
SOON = timedelta(minutes=5)


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


def with_demo_reminder(config: Config) -> Config:
    """The config for the sandbox run: every group also reminds `DEMO_REMINDER` before a start.

    Reminders are configured per group (`announcements.reminders`), not per event, so the sandbox's copy
    of the config gets the short one; config.yaml and runs with a token keep their own reminders.
    """
    groups = []
    for group in config.groups:
        reminders = list(config.announcements_for(group).reminders)
        if DEMO_REMINDER not in reminders:
            reminders.append(DEMO_REMINDER)
        override = group.announcements.model_copy(update={"reminders": reminders})
        groups.append(group.model_copy(update={"announcements": override}))
    return config.model_copy(update={"groups": groups})


def demo_record(config: Config, now: datetime) -> EventRecord:
    """A clearly marked demo event a few minutes from now, so announcements and RSVPs can be watched at once."""
    zone = ZoneInfo(config.timezone)
    start = (now + DEMO_LEAD).astimezone(zone).replace(second=0, microsecond=0)
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


async def owed_posts(
    config: Config, sessions: async_sessionmaker[AsyncSession], now: datetime
) -> list[PreviewRow]:
    """What the bot will post and when (the dry run of `meetup-bot schedule`), changing nothing."""
    async with sessions() as session:
        try:
            return await preview(session, config, now)
        finally:
            await session.rollback()


async def announcement_due_soon(
    config: Config, sessions: async_sessionmaker[AsyncSession], now: datetime
) -> str | None:
    """The slug of an event announced in the first server's channel within `SOON`, if any."""
    channel = config.groups[0].announce_channel_id
    for row in await owed_posts(config, sessions, now):
        if row.kind == ANNOUNCEMENT and row.channel_id == channel and row.due_at <= now + SOON:
            return row.slug
    return None


async def add_demo_event_if_needed(
    config: Config, sessions: async_sessionmaker[AsyncSession], now: datetime
) -> EventRecord | None:
    """Adds the [DEMO] event when no announcement is due in the next minutes; returns it if it did."""
    if await announcement_due_soon(config, sessions, now) is not None:
        return None
    async with sessions.begin() as session:
        if await session.scalar(select(Event.id).where(Event.slug == DEMO_SLUG)) is not None:
            return None  # added before: a second one would reschedule it
        record = demo_record(config, now)
        await store_records(session, [record], now)
    return record


@dataclass(frozen=True)
class SandboxStart:
    """What the sandbox run tells the newcomer before the bot starts, and the slug `help` suggests."""

    demo: EventRecord | None
    lines: list[str]
    example_slug: str | None


async def prepare_sandbox(
    config: Config, sessions: async_sessionmaker[AsyncSession], now: datetime
) -> SandboxStart:
    """After the import: the demo if nothing is announced soon, and what will happen, read off the plan."""
    demo = await add_demo_event_if_needed(config, sessions, now)
    lines: list[str] = []
    if demo is not None:
        channel = config.groups[0].announce_channel_id
        rows = [
            r
            for r in await owed_posts(config, sessions, now)
            if r.slug == DEMO_SLUG and r.channel_id == channel
        ]
        announced = next((r.due_at for r in rows if r.kind == ANNOUNCEMENT), None)
        reminded = next((r.due_at for r in rows if r.kind.startswith("reminder:")), None)
        zone = config.timezone
        lines.append(
            "sandbox: no announcement is due in the next few minutes, so a [DEMO] event "
            f"(`{DEMO_SLUG}`) starts {when_text(demo.starts_at, zone, now)}"
        )
        plan = []
        if announced is not None:
            plan.append(f"announced {'now' if announced <= now else when_text(announced, zone, now)}")
        if reminded is not None:
            plan.append(f"reminded {when_text(reminded, zone, now)}")
        if plan:
            lines.append(f"sandbox: it is {' and '.join(plan)}; RSVP with `react {config.rsvp.emojis.going}`")
    slug = DEMO_SLUG if demo is not None else await announcement_due_soon(config, sessions, now)
    if slug is None:
        async with sessions() as session:
            upcoming = await queries.next_event(session, now, group=config.groups[0].name)
        slug = upcoming.slug if upcoming is not None else None
    return SandboxStart(demo, lines, slug)


def help_text(example_slug: str | None, emojis: RsvpEmojis | None = None) -> str:
    """The console's commands; `/event slug:` names an event that exists."""
    slug = example_slug or "SLUG"
    e = emojis or RsvpEmojis()
    return f"""\
You are alice, a member of the first server; `as bob COMMAND` (or `COMMAND as bob`) acts as another member.
  /next-event   /events page:2   /event slug:{slug}   /agenda   /my-rsvps
  react {e.going}                 RSVP on the latest announcement ({e.going} going, {e.maybe} maybe, {e.not_going} not going)
  react {e.going} {slug:<15} RSVP on the announcement of that event
  unreact {e.going} (react -{e.going})   take your reaction back (add a slug for another announcement)
  announcements           the announcements in #announcements, by slug
  members   help   quit (or Ctrl-C)
"""


class Console:
    """Reads commands a newcomer types and plays them as a sample member through the control API."""

    def __init__(
        self,
        sandbox_url: str,
        config: Config,
        clock: Clock,
        out: TextIO = sys.stdout,
        example_slug: str | None = None,
    ) -> None:
        self._url = sandbox_url
        self._guild_id = config.groups[0].guild_id
        self._channel_id = config.groups[0].announce_channel_id
        self._zone = config.timezone
        self._emojis = (config.rsvp.emojis.going, config.rsvp.emojis.maybe, config.rsvp.emojis.not_going)
        self._clock = clock
        self._out = out
        self.help = help_text(example_slug, config.rsvp.emojis)

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

    async def _state(self) -> dict[str, Any]:
        async with self._http.get("/sandbox/state") as response:
            state: dict[str, Any] = await response.json()
        return state

    async def _member_id(self, name: str) -> int:
        for member in (await self._state())["members"]:
            if member["name"].lower() == name.lower() and int(member["guild_id"]) == self._guild_id:
                return int(member["id"])
        raise ValueError(f"no member called {name!r}; type `members` to list them")

    def _readable(self, text: str, state: dict[str, Any]) -> str:
        return readable(text, self._zone, self._clock.now(), names_in(state))

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
            self.print(self.help)
        elif head == "members":
            for member in (await self._state())["members"]:
                if int(member["guild_id"]) == self._guild_id:
                    self.print(f"  {member['name']}  roles: {', '.join(member.get('role_names', [])) or '-'}")
        elif head == "announcements":
            await self._list_announcements()
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
            self.print(self._readable(_format_answer(user, answer), await self._state()))
        elif head in ("react", "unreact") and len(words) in (2, 3):
            emoji, remove = words[1], head == "unreact"
            if emoji.startswith("-") and len(emoji) > 1:
                emoji, remove = emoji[1:], True
            await self._react(user, emoji, words[2] if len(words) == 3 else None, remove=remove)
        elif head in ("react", "unreact"):
            self.print(f"  ? usage: {head} ✅ [SLUG] (the latest announcement, or that event's); type `help`")
        else:
            self.print(f"  ? unknown: {line!r}; type `help`")
        return True

    async def _announcements(self) -> list[tuple[str, str, str]]:
        """(slug, title, message id) of each announcement in the channel, oldest first.

        An announcement is a message the bot put its own RSVP reactions on; its embed's footer ends with the
        event's slug.
        """
        async with self._http.get(f"/sandbox/channels/{self._channel_id}/messages") as response:
            messages = await response.json()
        bot_id = str((await self._state())["bot"]["id"])
        found = []
        for message in messages:
            if not any(bot_id in reaction["user_ids"] for reaction in message.get("reactions", [])):
                continue
            embed = (message.get("embeds") or [{}])[0]
            footer = str((embed.get("footer") or {}).get("text", ""))
            found.append((footer.rsplit(" · ", 1)[-1], str(embed.get("title", "")), str(message["id"])))
        return found

    async def _list_announcements(self) -> None:
        found = await self._announcements()
        if not found:
            self.print("  (no announcement yet: the bot posts one at the event's lead time)")
        for slug, title, _ in found:
            self.print(f"  {slug}  {title}")

    async def _react(self, user: str, emoji: str, slug: str | None, *, remove: bool) -> None:
        found = await self._announcements()
        if not found:
            self.print("  ! no announcement to react to yet: the bot posts it at the event's lead time")
            return
        if slug is None:
            target = found[-1]
        else:
            chosen = [a for a in found if a[0] == slug]
            if not chosen:
                known = ", ".join(a[0] for a in found)
                self.print(f"  ! no announcement of {slug!r} in #announcements; announced here: {known}")
                return
            target = chosen[-1]
        body = {
            "channel_id": str(self._channel_id),
            "message_id": target[2],
            "user_id": str(await self._member_id(user)),
            "emoji": emoji,
            "action": "remove" if remove else "add",
        }
        async with self._http.post("/sandbox/reactions", json=body) as response:
            if response.status >= 400:
                self.print(f"  ! {(await response.json()).get('message', response.reason)}")
                return
            changed = bool((await response.json())["changed"])
        what = f"{target[1]} ({target[0]})"
        if remove:
            self.print(
                f"  → {user} took back {emoji} on {what}"
                if changed
                else f"  ! {user} had no {emoji} on {what} to take back"
            )
        else:
            self.print(
                f"  → {user} reacted {emoji} on {what}"
                if changed
                else f"  ! {user} had reacted {emoji} there already"
            )
        if emoji not in self._emojis:
            self.print(f"    (the bot counts only {' '.join(self._emojis)} as RSVPs)")


_MARKUP = re.compile(
    r"(?P<open> \()?<t:(?P<unix>-?\d{1,12})(?::(?P<style>[tTdDfFR]))?>(?P<close>\))?"
    r"|<#(?P<channel>\d+)>|<@&(?P<role>\d+)>|<@!?(?P<user>\d+)>"
)
# a relative time ("in 12 min") is shown only this close to now, and only beside a time naming the day
NEAR = timedelta(hours=24)


def names_in(state: Mapping[str, Any]) -> dict[int, str]:
    """Channel, role and member names by id, from the control API's `/sandbox/state`."""
    names: dict[int, str] = {}
    for kind in ("channels", "roles", "members"):
        for item in state.get(kind, []):
            names[int(item["id"])] = str(item["name"])
    return names


def _relative(moment: datetime, now: datetime) -> str:
    seconds = (moment - now).total_seconds()
    minutes = round(abs(seconds) / 60)
    if minutes == 0:
        return "now"
    amount = plural(minutes, "min", "min") if minutes < 60 else plural(round(minutes / 60), "hour")
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def readable(text: str, zone: str, now: datetime, names: Mapping[int, str] | None = None) -> str:
    """Discord markup as a person reads it: timestamps in `zone` naming the day, `#channel`, `@name`.

    A time of day alone (`<t:..:t>`) follows a date already named in the text, else it names its own; a
    relative time ("in 12 min") only stands beside the same moment with its date, for a near moment.
    """
    names = names or {}
    dated = {
        int(m.group("unix"))
        for m in _MARKUP.finditer(text)
        if m.group("unix") and m.group("style") in (None, "f", "F")
    }
    days_named: set[str] = set()
    rendered: list[str] = []

    def stamp(unix: int, style: str, wrapped: bool) -> str:
        moment = datetime.fromtimestamp(unix, UTC)
        day = day_text(moment, zone)
        if style == "R":
            if unix in dated and abs(moment - now) < NEAR:
                return _relative(moment, now)
            if unix in dated and wrapped:
                return ""  # " (in 21 days)" beside the date: the date says it
        elif style in "dD":
            days_named.add(day)
            return day
        elif style in "tT" and day in days_named:
            return clock_time(moment, zone)
        days_named.add(day)
        rendered.append(when_text(moment, zone, now))
        return rendered[-1]

    def show(match: re.Match[str]) -> str:
        if match.group("channel"):
            return f"#{names.get(int(match.group('channel')), 'unknown-channel')}"
        if match.group("role"):
            return f"@{names.get(int(match.group('role')), 'unknown-role')}"
        if match.group("user"):
            return f"@{names.get(int(match.group('user')), 'unknown-user')}"
        opening, closing = match.group("open") or "", match.group("close") or ""
        try:
            shown = stamp(int(match.group("unix")), match.group("style") or "f", bool(opening and closing))
        except (OverflowError, OSError, ValueError):
            return match.group(0)
        return f"{opening}{shown}{closing}" if shown else ""

    out = _MARKUP.sub(show, text)
    for shown in rendered:  # "starts <t:R> (<t:F>)" of a far moment: the date once
        out = out.replace(f"{shown} ({shown})", shown)
    return out


# the sandbox's own feed lines write Discord event times as ISO 8601 in UTC
_ISO_UTC = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:\+00:00|Z)")


def feed_printer(
    server: SandboxServer, config: Config, clock: Clock, out: TextIO | None = None
) -> Callable[[str], None]:
    """Prints the sandbox's live feed readably: times in the config's zone, channels and people by name."""

    def show(line: str) -> None:
        now = clock.now()
        names = names_in(views.state_view(server.state)) if "<#" in line or "<@" in line else {}
        line = _ISO_UTC.sub(
            lambda m: when_text(datetime.fromisoformat(m.group(0)), config.timezone, now), line
        )
        print(readable(line, config.timezone, now, names), file=out or sys.stdout, flush=True)

    return show


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
    url: str, config: Config, clock: Clock, stop: asyncio.Event, example_slug: str | None = None
) -> AsyncIterator[asyncio.Task[None] | None]:
    """Runs the console while stdin is a terminal; without one (CI, a pipe) there is nothing to read."""
    task: asyncio.Task[None] | None = None
    if sys.stdin is not None and sys.stdin.isatty():
        console = Console(url, config, clock, example_slug=example_slug)
        console.print(console.help)
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
