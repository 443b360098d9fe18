"""The kill storm (issue 11) and what it needs: a sandbox process, `meetup-bot run` processes that are SIGKILLed
and restarted while members react and posts fall due, and the checks that everything ends exact.

Everything is real: `meetup-bot sandbox` and `meetup-bot run` are separate processes speaking HTTP and the
gateway; members act through the sandbox control API; the database is a SQLite file read with the bot's
models. Both processes use the real clock, so the event's start and its reminders are written relative to
the current time (never a date literal): the reminders fall due while the storm runs.

Used by tests/e2e/test_kill_storm.py (a short storm) and benchmarks/kill_storm.py (as long as you like).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from bot.db.models import Event, Post, Rsvp

ROOT = Path(__file__).resolve().parents[1]
GUILD, CHANNEL, ORGANIZER_ROLE = 100000000000000001, 100000000000000002, 100000000000000003
TOKEN = "storm-token-not-a-secret"
SLUG = "storm"
GOING, MAYBE, NOT_GOING = "✅", "🤔", "❌"
EMOJIS = (GOING, MAYBE, NOT_GOING)
ANSWER_OF = {GOING: "going", MAYBE: "maybe", NOT_GOING: "not_going"}
RECONCILED = "RSVP reconciliation after start-up"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def poll(
    probe: Callable[[], Awaitable[T | None]], timeout: float, what: str, interval: float = 0.05
) -> T:
    """Polls `probe` until it returns something truthy; raises TimeoutError naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(interval)


# ----------------------------------------------------------------------------------------------- the setup


@dataclass(frozen=True)
class Setup:
    """A folder with config.yaml, events/storm.yaml and (once the bot ran) storm.db."""

    folder: Path
    port: int
    reminder_due: list[datetime]

    @property
    def config(self) -> Path:
        return self.folder / "config.yaml"

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.folder / 'storm.db'}"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def write_setup(
    folder: Path,
    *,
    capacity: int | None,
    start: datetime,
    reminder_due: list[datetime],
    edit_interval: float = 0.5,
    port: int | None = None,
) -> Setup:
    """Config and event file: the event starts at `start` (well after the last reminder: a late reminder still
    makes sense before the start), and one reminder falls due at each of `reminder_due`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "events").mkdir(exist_ok=True)
    port = port or free_port()
    offsets = [f'"{int((start - due).total_seconds())}s"' for due in reminder_due]
    (folder / "config.yaml").write_text(
        "timezone: America/Chicago\n"
        f"database:\n  url: {Setup(folder, port, []).database_url}\n"
        "events_dir: events/\n"
        f"discord:\n  api_base_url: http://127.0.0.1:{port}/api/v10\n"
        "announcements:\n"
        f"  reminders: [{', '.join(offsets)}]\n"
        "  agenda:\n    enabled: false\n"
        f"rsvp:\n  edit_interval_seconds: {edit_interval}\n"
        "groups:\n"
        "  - name: StLGo\n"
        f"    guild_id: {GUILD}\n"
        f"    announce_channel_id: {CHANNEL}\n"
        f"    organizer_role_id: {ORGANIZER_ROLE}\n",
        encoding="utf-8",
    )
    lines = [
        "title: Storm night",
        f"when: {start.date().isoformat()}",
        # with am/pm: a time without it is read as an evening's (10:32 would be 22:32)
        f'time: "{start.hour % 12 or 12}:{start:%M}{"am" if start.hour < 12 else "pm"}"',
        "timezone: UTC",
        "where: Example Hall, 1 Main St - St. Louis, MO",
        "presenters: [Ada Park]",
        "hosting_groups: [StLGo]",
    ]
    if capacity is not None:
        lines.append(f"capacity: {capacity}")
    (folder / "events" / f"{SLUG}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Setup(folder, port, sorted(reminder_due))


def start_after(now: datetime, minutes: int = 30) -> datetime:
    """A whole minute (event files write hours and minutes) at least `minutes` after `now`."""
    return (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0) + timedelta(minutes=1)


async def import_events(setup: Setup) -> None:
    """`meetup-bot import events/`: the bot knows of the event from now on (reminders due earlier are not
    planned: the announcement, posted at once, says it all), so the storm's reminders are timed after it."""
    process = await Process.spawn(setup, "import.log", "import", str(setup.folder / "events"))
    code = await asyncio.wait_for(process.process.wait(), 120)
    if code != 0:
        raise RuntimeError(f"meetup-bot import failed ({code}):\n{process.output()[-2000:]}")


# ------------------------------------------------------------------------------------------- the processes


class Process:
    """`python -m bot ...` with its output in a file (unbuffered, so a SIGKILL loses no line)."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    @classmethod
    async def spawn(cls, setup: Setup, log_name: str, *args: str, token: bool = False) -> Process:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
        env["PYTHONUNBUFFERED"] = "1"
        # the processes run the code of this checkout, whatever is installed in the environment
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        if token:
            env["DISCORD_TOKEN"] = TOKEN
        log = setup.folder / log_name
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "--config", str(setup.config), *args,
                cwd=setup.folder, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
            )  # fmt: skip
        return cls(process, log)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def wait_for_line(self, text: str, timeout: float, count: int = 1) -> None:
        async def seen() -> bool:
            if not self.alive:
                raise RuntimeError(
                    f"{self.log.name} exited ({self.process.returncode}):\n{self.output()[-3000:]}"
                )
            return self.output().count(text) >= count

        await poll(seen, timeout, f"{text!r} in {self.log.name}", interval=0.02)

    async def kill(self) -> int:
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
        return await asyncio.wait_for(self.process.wait(), 30)

    async def stop(self) -> int:
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            return await self.kill()


# ------------------------------------------------------------------------------------------- the sandbox


class Sandbox:
    """The control API of a running sandbox, as a person with curl uses it."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base
        self.reactions_sent = 0
        self._bot_id: str | None = None

    async def state(self) -> dict[str, Any] | None:
        try:
            async with self.http.get(f"{self.base}/sandbox/state") as response:
                data: dict[str, Any] = await response.json()
                return data
        except aiohttp.ClientError:
            return None

    async def add_members(self, count: int, prefix: str = "member") -> list[int]:
        async def add(n: int) -> int:
            body = {"guild_id": str(GUILD), "name": f"{prefix}{n:04d}", "dms_open": True}
            async with self.http.post(f"{self.base}/sandbox/members", json=body) as response:
                data = await response.json()
                if response.status != 201:
                    raise RuntimeError(f"could not add member {n}: {data}")
                return int(data["id"])

        ids: list[int] = []
        for chunk in range(0, count, 50):
            ids += await asyncio.gather(*(add(n) for n in range(chunk, min(chunk + 50, count))))
        return ids

    async def messages(self) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.base}/sandbox/channels/{CHANNEL}/messages") as response:
            data: list[dict[str, Any]] = await response.json()
            return data

    async def bot_messages(self) -> list[dict[str, Any]]:
        if self._bot_id is None:
            state = await self.state()
            assert state is not None
            self._bot_id = str(state["bot"]["id"])
        return [m for m in await self.messages() if m["author"]["id"] == self._bot_id]

    async def react(self, message_id: int, user_id: int, emoji: str, action: str) -> bool:
        body = {
            "channel_id": str(CHANNEL),
            "message_id": str(message_id),
            "user_id": str(user_id),
            "emoji": emoji,
            "action": action,
        }
        async with self.http.post(f"{self.base}/sandbox/reactions", json=body) as response:
            data = await response.json()
            if response.status != 200:
                raise RuntimeError(f"reaction refused: {data}")
            self.reactions_sent += 1
            return bool(data["changed"])

    async def drop_gateway(self, *, resumable: bool) -> int:
        async with self.http.post(f"{self.base}/sandbox/gateway/drop", json={"resumable": resumable}) as r:
            return int((await r.json())["dropped"])


@contextlib.asynccontextmanager
async def running_sandbox(
    setup: Setup, http: aiohttp.ClientSession
) -> AsyncIterator[tuple[Process, Sandbox]]:
    process = await Process.spawn(setup, "sandbox.log", "sandbox", "--port", str(setup.port))
    try:
        sandbox = Sandbox(http, setup.base)
        await poll(sandbox.state, 30, "the sandbox to answer")
        yield process, sandbox
    finally:
        await process.stop()


# ------------------------------------------------------------------------------------------- the members


@dataclass
class Member:
    """What one member has done: the RSVP reactions they believe they left (the bot may remove some)."""

    user_id: int
    rng: random.Random
    left: list[str] = field(default_factory=list)

    async def act(self, sandbox: Sandbox, message_id: int) -> None:
        """One seeded step: react, switch (by reacting again, or by taking the reaction back first), or remove."""
        roll = self.rng.random()
        if not self.left:
            emoji = self.rng.choices(EMOJIS, weights=(5, 3, 2))[0]
            await sandbox.react(message_id, self.user_id, emoji, "add")
            self.left = [emoji]
        elif roll < 0.45:  # switch by reacting again: the bot removes the old reaction
            emoji = self.rng.choice([e for e in EMOJIS if e != self.left[-1]])
            await sandbox.react(message_id, self.user_id, emoji, "add")
            self.left = [*[e for e in self.left if e != emoji], emoji]
        elif roll < 0.7:  # switch by taking the old one back first
            emoji = self.rng.choice([e for e in EMOJIS if e != self.left[-1]])
            for old in self.left:
                await sandbox.react(message_id, self.user_id, old, "remove")
            await sandbox.react(message_id, self.user_id, emoji, "add")
            self.left = [emoji]
        else:  # remove
            for old in self.left:
                await sandbox.react(message_id, self.user_id, old, "remove")
            self.left = []


async def run_actions(sandbox: Sandbox, message_id: int, steps: list[Member], concurrency: int) -> None:
    """The steps in bursts of `concurrency` members at once; one member's steps stay in their order."""
    busy: dict[int, asyncio.Lock] = {}
    slots = asyncio.Semaphore(concurrency)

    async def one(member: Member) -> None:
        lock = busy.setdefault(member.user_id, asyncio.Lock())
        async with slots, lock:
            await member.act(sandbox, message_id)

    tasks: list[asyncio.Task[None]] = []
    for member in steps:
        await slots.acquire()  # keeps the order in which steps start, and at most `concurrency` in flight
        slots.release()
        tasks.append(asyncio.create_task(one(member)))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)


# ------------------------------------------------------------------------------------------- the checks


@dataclass
class Truth:
    """What the announcement and the channel say, next to what the database says."""

    announcement_id: int | None
    reactions: dict[int, list[str]]  # member -> RSVP emojis on the announcement
    rsvps: dict[int, str]  # member -> status in the database
    capacity: int | None
    posts: list[Post]
    messages: list[dict[str, Any]]  # the bot's messages in the announcement channel
    scheduled_events: list[dict[str, Any]]


EMBED_FIGURES = re.compile(
    r"— (?P<going>\d+) going(?:, (?P<maybe>\d+) maybe)?(?: · (?P<left>\d+) of (?P<cap>\d+) places left)?"
    r"(?: · (?P<waitlist>\d+) on the waitlist)?$"
)


async def read_truth(engine: AsyncEngine, sandbox: Sandbox, members: set[int]) -> Truth:
    async with engine.connect() as db:
        event = (await db.execute(select(Event.id, Event.capacity).where(Event.slug == SLUG))).one()
        rsvps = {
            int(u): s
            for u, s in await db.execute(select(Rsvp.user_id, Rsvp.status).where(Rsvp.event_id == event.id))
        }
    async with AsyncSession(engine) as session:
        posts = list(await session.scalars(select(Post).where(Post.event_id == event.id)))
    announcement = next((p for p in posts if p.kind == "announcement"), None)
    messages = await sandbox.bot_messages()
    reactions: dict[int, list[str]] = {}
    found = next((m for m in messages if announcement and m["id"] == str(announcement.discord_id)), None)
    for reaction in found["reactions"] if found else []:
        if reaction["emoji"] in EMOJIS:
            for user in reaction["user_ids"]:
                if int(user) in members:
                    reactions.setdefault(int(user), []).append(reaction["emoji"])
    state = await sandbox.state()
    assert state is not None
    guild = next(g for g in state["guilds"] if g["id"] == str(GUILD))
    return Truth(
        announcement_id=announcement.discord_id if announcement else None,
        reactions=reactions,
        rsvps=rsvps,
        capacity=event.capacity,
        posts=posts,
        messages=messages,
        scheduled_events=guild["scheduled_events"],
    )


def mismatches(truth: Truth, members: set[int], reminders: int) -> list[str]:
    """Every way the end state differs from what the reactions and the ledger say it must be (empty: exact)."""
    problems: list[str] = []
    # (a) each member's RSVP is what their reaction says; at most one RSVP reaction left each
    going_reactors = 0
    for member in sorted(members):
        left = truth.reactions.get(member, [])
        status = truth.rsvps.get(member)
        if len(left) > 1:
            problems.append(
                f"(a) member {member}: {len(left)} RSVP reactions left ({' '.join(left)}), db {status}"
            )
            continue
        if not left:
            if status in ("going", "maybe", "waitlist"):
                problems.append(f"(a) member {member}: no reaction left, db says {status}")
            continue
        want = ANSWER_OF[left[0]]
        if want == "going":
            going_reactors += 1
            if status not in ("going", "waitlist"):
                problems.append(f"(a) member {member}: reacted {left[0]}, db says {status}")
        elif status != want:
            problems.append(f"(a) member {member}: reacted {left[0]}, db says {status}")
    going = sum(1 for s in truth.rsvps.values() if s == "going")
    waitlist = sum(1 for s in truth.rsvps.values() if s == "waitlist")
    maybe = sum(1 for s in truth.rsvps.values() if s == "maybe")
    # (d) capacity: never more going than places, and nobody waits while a place is free
    if truth.capacity is not None:
        if going > truth.capacity:
            problems.append(f"(d) capacity {truth.capacity} exceeded: {going} going")
        expected = min(truth.capacity, going_reactors)
        if going != expected:
            problems.append(
                f"(d) {going} going, {waitlist} waitlisted for {going_reactors} ✅: expected {expected} going"
            )
    # (b) every post exactly once: each ledger row sent, its message in the channel once, no stray message
    if truth.announcement_id is None:
        problems.append("(b) no announcement in the ledger")
    channel_rows = [p for p in truth.posts if p.kind != "scheduled_event" and not p.kind.startswith("dm:")]
    reminder_rows = [p for p in channel_rows if p.kind.startswith("reminder:")]
    if len(reminder_rows) != reminders:
        problems.append(
            f"(b) {len(reminder_rows)} reminder rows in the ledger, {reminders} configured and due"
        )
    for post in truth.posts:
        if post.status != "sent":
            problems.append(
                f"(b) post {post.kind}: {post.status} after {post.attempts} attempt(s) ({post.last_error})"
            )
    ids = [m["id"] for m in truth.messages]
    for post in channel_rows:
        if post.discord_id is not None and ids.count(str(post.discord_id)) != 1:
            problems.append(
                f"(b) post {post.kind}: message {post.discord_id} is in the channel {ids.count(str(post.discord_id))} times"
            )
    known = {str(p.discord_id) for p in channel_rows}
    for message in truth.messages:
        if message["id"] not in known:
            problems.append(
                f"(b) a message no ledger row knows: {message['content'][:60]!r} (nonce {message['nonce']})"
            )
    nonces = [m["nonce"] for m in truth.messages if m["nonce"] is not None]
    for nonce in sorted({n for n in nonces if nonces.count(n) > 1}):
        problems.append(f"(b) nonce {nonce} posted {nonces.count(nonce)} times")
    live_events = [e for e in truth.scheduled_events if e["status"] != 3]
    if len(live_events) != 1:
        problems.append(f"(b) {len(live_events)} Discord events for one meetup")
    # (c) the announcement shows the exact counts
    announcement = next((m for m in truth.messages if m["id"] == str(truth.announcement_id)), None)
    if announcement is not None:
        shown = _embed_figures(announcement)
        want_shown = {"going": going, "maybe": maybe, "waitlist": waitlist}
        if truth.capacity is not None:
            want_shown["left"] = max(truth.capacity - going, 0)
        if shown is None:
            problems.append("(c) the announcement shows no RSVP figures")
        elif {k: shown.get(k, 0) for k in want_shown} != want_shown:
            problems.append(f"(c) the announcement shows {shown}, the database {want_shown}")
    return problems


def _embed_figures(message: dict[str, Any]) -> dict[str, int] | None:
    for embed in message["embeds"]:
        for item in embed.get("fields", []):
            if item["name"] == "RSVP":
                found = EMBED_FIGURES.search(item["value"])
                if found is None:
                    return None
                return {k: int(v) for k, v in found.groupdict().items() if v is not None and k != "cap"}
    return None


# ------------------------------------------------------------------------------------------- the storm


@dataclass(frozen=True)
class StormPlan:
    members: int = 200
    kills: int = 5
    seed: int = 1
    steps_per_member: int = 4
    concurrency: int = 20
    capacity_share: float = 0.2  # places for this share of the members: the waitlist is used
    reminder_spacing: float = 2.5  # seconds between reminders falling due during the storm
    # seconds from writing the config to the first reminder (the bot starts and announces first)
    first_reminder_after: float = 8.0
    settle_timeout: float = 180.0

    @property
    def capacity(self) -> int:
        return max(1, int(self.members * self.capacity_share))


@dataclass
class StormReport:
    plan: StormPlan
    reactions_sent: int = 0
    kills: list[str] = field(default_factory=list)  # when each kill happened (its trigger)
    restarts: int = 0
    reminders: int = 0
    storm_seconds: float = 0.0
    settle_seconds: float | None = None
    max_going_seen: int = 0
    mismatches_at_storm_end: int | None = None  # how far off things were when the last reaction was made
    problems: list[str] = field(default_factory=list)
    folder: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        plan = self.plan
        settle = "did not settle" if self.settle_seconds is None else f"{self.settle_seconds:.1f} s"
        lines = [
            f"kill storm: {plan.members} members, {len(self.kills)} SIGKILLs + restarts, seed {plan.seed}",
            f"  reactions sent: {self.reactions_sent} ({plan.steps_per_member} steps per member, "
            f"{plan.concurrency} at once)",
            f"  kills: {', '.join(self.kills)}",
            f"  reminders falling due during the storm: {self.reminders}; capacity {plan.capacity}, "
            f"most going seen at any moment: {self.max_going_seen}",
            f"  storm: {self.storm_seconds:.1f} s; settled after the last reaction: {settle} "
            f"(mismatches when the last reminder was due: {self.mismatches_at_storm_end})",
            f"  mismatches: {len(self.problems)}",
        ]
        lines += [f"    - {p}" for p in self.problems[:40]]
        if len(self.problems) > 40:
            lines.append(f"    ... and {len(self.problems) - 40} more")
        return "\n".join(lines)


class Storm:
    """One storm: a sandbox process, a bot process at a time, members reacting in bursts, kills in between."""

    def __init__(self, plan: StormPlan, folder: Path, say: Callable[[str], None] = lambda _: None) -> None:
        self.plan = plan
        self.folder = folder
        self.say = say
        self.rng = random.Random(plan.seed)
        self.report = StormReport(plan, folder=folder)
        self.bots: list[Process] = []

    async def run(self) -> StormReport:
        plan = self.plan
        start = start_after(datetime.now(UTC))
        setup = write_setup(self.folder, capacity=plan.capacity, start=start, reminder_due=[])
        await import_events(setup)
        now = datetime.now(UTC)
        reminders = max(plan.kills, 1) + 1
        due = [
            now + timedelta(seconds=plan.first_reminder_after + i * plan.reminder_spacing)
            for i in range(reminders)
        ]
        setup = write_setup(
            self.folder, capacity=plan.capacity, start=start, reminder_due=due, port=setup.port
        )
        self.report.reminders = reminders
        async with aiohttp.ClientSession() as http, running_sandbox(setup, http) as (_, sandbox):
            ids = await sandbox.add_members(plan.members)
            members = [Member(user_id, random.Random(f"{plan.seed}:{user_id}")) for user_id in ids]
            engine = create_async_engine(setup.database_url)
            try:
                await self._storm(setup, sandbox, members, engine)
            finally:
                for bot in self.bots:
                    if bot.alive:
                        await bot.stop()
                await engine.dispose()
        return self.report

    async def _start_bot(self, setup: Setup) -> Process:
        bot = await Process.spawn(setup, f"bot-{len(self.bots) + 1}.log", "run", token=True)
        self.bots.append(bot)
        return bot

    async def _storm(
        self, setup: Setup, sandbox: Sandbox, members: list[Member], engine: AsyncEngine
    ) -> None:
        plan, rng = self.plan, self.rng
        bot = await self._start_bot(setup)
        await bot.wait_for_line(RECONCILED, 60)

        async def announced() -> int | None:
            for message in await sandbox.bot_messages():
                if message["embeds"] and sum(len(r["user_ids"]) for r in message["reactions"]) >= 3:
                    return int(message["id"])
            return None

        message_id = await poll(announced, 60, "the announcement with its three reactions")
        self.say(f"announcement {message_id} is out; the storm begins")
        watcher = asyncio.create_task(self._watch_capacity(engine))
        # every member takes `steps_per_member` steps, shuffled, cut into kills + 1 phases
        steps = [m for m in members for _ in range(plan.steps_per_member)]
        rng.shuffle(steps)
        cuts = sorted(rng.sample(range(1, len(steps)), plan.kills)) if plan.kills else []
        phases = [steps[a:b] for a, b in zip([0, *cuts], [*cuts, len(steps)], strict=True)]
        started = time.monotonic()
        # a post first: the lease of the post it interrupts runs out while the rest of the storm goes on
        triggers = ["post", "reactions", "startup", "post", "reactions"]
        for number, phase in enumerate(phases):
            last = number == len(phases) - 1
            if last:
                await run_actions(sandbox, message_id, phase, plan.concurrency)
                break
            trigger = triggers[number % len(triggers)] if number < len(triggers) else rng.choice(triggers)
            kill_after = sandbox.reactions_sent + rng.randint(0, max(len(phase) // 2, 1))
            actions = asyncio.create_task(run_actions(sandbox, message_id, phase, plan.concurrency))
            posts_out = len(await sandbox.bot_messages())
            if trigger == "post" and posts_out > self.report.reminders:
                trigger = "reactions"  # every reminder is out already
            if trigger == "post":
                seen = len(await sandbox.bot_messages())

                async def new_post(seen: int = seen) -> bool:
                    return len(await sandbox.bot_messages()) > seen

                await poll(new_post, 60, "the next reminder", interval=0.01)
            elif trigger == "startup":  # this bot started with the phase: kill it as it connects
                await bot.wait_for_line("imported ", 60)
                await poll(self._sent(sandbox, kill_after), 60, "reactions before the kill", interval=0.002)
            else:
                await poll(self._sent(sandbox, kill_after), 60, "reactions before the kill", interval=0.002)
            code = await bot.kill()
            self.report.kills.append(f"{trigger} ({sandbox.reactions_sent} reactions sent)")
            self.say(
                f"kill {number + 1}: SIGKILL on {trigger}, exit {code}, {sandbox.reactions_sent} reactions sent"
            )
            await actions  # the rest of the phase reacts to a dead bot
            bot = await self._start_bot(setup)
            self.report.restarts += 1
            next_trigger = triggers[(number + 1) % len(triggers)]
            if next_trigger == "startup" and number + 1 < len(phases) - 1:
                continue  # the next phase reacts while this bot starts
            await bot.wait_for_line(RECONCILED, 60)
        self.report.storm_seconds = time.monotonic() - started
        self.report.reactions_sent = sandbox.reactions_sent
        self.say(f"storm over after {self.report.storm_seconds:.1f} s; waiting for the bot to settle")
        ended = time.monotonic()
        member_ids = {m.user_id for m in members}
        last_due = max(setup.reminder_due)
        problems: list[str] = []

        async def settled() -> bool:
            nonlocal problems
            if datetime.now(UTC) < last_due or not bot.alive:
                problems = [f"waiting for the last reminder (due {last_due:%H:%M:%S} UTC)"]
                return not bot.alive
            problems = mismatches(
                await read_truth(engine, sandbox, member_ids), member_ids, self.report.reminders
            )
            if self.report.mismatches_at_storm_end is None:
                self.report.mismatches_at_storm_end = len(problems)
            return not problems

        try:
            await poll(settled, plan.settle_timeout, "the bot to settle", interval=0.25)
            self.report.settle_seconds = time.monotonic() - ended
        except TimeoutError:
            pass
        if not bot.alive:
            problems.append(f"the last bot exited ({bot.process.returncode}): {bot.output()[-1500:]}")
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        if self.report.max_going_seen > plan.capacity:
            problems.append(
                f"(d) capacity {plan.capacity} exceeded during the storm: {self.report.max_going_seen} going"
            )
        for process in self.bots:
            if "Traceback" in process.output():
                problems.append(f"{process.log.name} logged a traceback")
        self.report.problems = problems

    @staticmethod
    def _sent(sandbox: Sandbox, count: int) -> Callable[[], Awaitable[bool]]:
        async def probe() -> bool:
            return sandbox.reactions_sent >= count

        return probe

    async def _watch_capacity(self, engine: AsyncEngine) -> None:
        """(d) during the storm, not just at the end: the most members ever going at once."""
        while True:
            async with engine.connect() as db:
                going = len((await db.execute(select(Rsvp.id).where(Rsvp.status == "going"))).all())
            self.report.max_going_seen = max(self.report.max_going_seen, going)
            await asyncio.sleep(0.05)
