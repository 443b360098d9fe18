"""Benchmark (issue 9): how long a non-resumable gateway drop leaves the bot deaf, and what reconciliation catches up.

The bot (`meetup-bot run`, a separate process) runs against the sandbox; members keep reacting (--rate a second)
while the sandbox drops the gateway R times without a resumable session (close 4009 after invalidating it, as
Discord does when a session is gone). discord.py then waits its identify delay (5 s) before IDENTIFYing again, so
every reaction made in between is never dispatched to the bot: the RSVP reconciliation that runs after READY has
to find it on the announcement. Per drop it measures:

- READY: from the drop until the sandbox answered the bot's new IDENTIFY (the deaf window on the gateway);
- reconciled: until the bot logged its reconciliation (the missed reactions are in the database);
- first live: until the first RSVP of a reaction made after READY is in the database (dispatches flow again);
- missed: reactions made between the drop and READY, and RSVPs the reconciliation added for them.

At the end every member's RSVP must be what their reaction says, and the announcement must show the exact counts.
Run: `.venv/bin/python benchmarks/gateway_drop.py [--drops 5] [--members 400] [--rate 10]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from benchmarks.storm_harness import (
    EMOJIS,
    RECONCILED,
    Process,
    Sandbox,
    mismatches,
    poll,
    read_truth,
    start_after,
    write_setup,
)
from bot.config import load_config
from bot.db.models import Rsvp
from bot.sandbox import SandboxServer
from bot.sandbox_mode import seed_from_config

ADDED = re.compile(r"RSVP reconciliation after start-up: .*?event \d+: \+(\d+) -(\d+) ~(\d+)")


@dataclass
class Drop:
    ready: float
    reconciled: float
    first_live: float
    missed: int
    added: int
    removed: int
    changed: int


async def answered(engine: AsyncEngine) -> set[int]:
    async with engine.connect() as db:
        rows = await db.execute(select(Rsvp.user_id).where(Rsvp.status.in_(("going", "maybe", "not_going"))))
        return {int(u) for (u,) in rows}


async def one_drop(
    server: SandboxServer,
    sandbox: Sandbox,
    bot: Process,
    engine: AsyncEngine,
    message_id: int,
    pool: Iterator[int],
    rng: random.Random,
    rate: float,
) -> Drop:
    """One non-resumable drop while members who have not reacted yet react, `rate` a second."""
    log_lines = bot.output().count(RECONCILED)
    sessions = set(server.gateway.sessions)
    made: list[tuple[float, int]] = []  # (when, member) for every reaction of this round
    stop = asyncio.Event()

    async def react_steadily() -> None:
        while not stop.is_set():
            member = next(pool, None)
            if member is None:
                raise RuntimeError("every member has reacted: run with more --members")
            await sandbox.react(message_id, member, rng.choices(EMOJIS, weights=(5, 3, 2))[0], "add")
            made.append((time.monotonic(), member))
            await asyncio.sleep(1 / rate)  # the load's pace, not a wait for anything

    async def ready() -> float:
        """When the sandbox answered the new IDENTIFY: a session it did not have, with a connection."""
        while True:
            fresh = [s for i, s in server.gateway.sessions.items() if i not in sessions]
            if any(s.connection is not None for s in fresh):
                return time.monotonic()
            await asyncio.sleep(0.002)

    dropped_at = time.monotonic()
    assert await sandbox.drop_gateway(resumable=False) >= 1
    reactor = asyncio.create_task(react_steadily())
    ready_at = await asyncio.wait_for(ready(), 60)
    await bot.wait_for_line(RECONCILED, 60, count=log_lines + 1)
    reconciled_at = time.monotonic()

    async def live_handled() -> float | None:
        after = {m for t, m in made if t > ready_at}
        return time.monotonic() if after & await answered(engine) else None

    first_live = await poll(live_handled, 60, "a reaction made after READY to be handled", 0.005)
    stop.set()
    await reactor
    everyone = {m for _, m in made}

    async def covered() -> bool:
        return everyone <= await answered(engine)

    await poll(covered, 60, "every reaction of the round to count", 0.02)
    line = [x for x in bot.output().splitlines() if RECONCILED in x][log_lines]
    found = ADDED.search(line)
    added, removed, changed = (int(x) for x in found.groups()) if found else (0, 0, 0)
    missed = sum(1 for t, _ in made if dropped_at <= t <= ready_at)
    return Drop(
        ready_at - dropped_at,
        reconciled_at - dropped_at,
        first_live - dropped_at,
        missed,
        added,
        removed,
        changed,
    )


async def measure(drops: int, members: int, rate: float, seed: int, folder: Path) -> int:
    rng = random.Random(seed)
    setup = write_setup(folder, capacity=None, start=start_after(datetime.now(UTC)), reminder_due=[])
    server = SandboxServer(seed_from_config(load_config(setup.config, environ={})))
    await server.start(port=setup.port)
    engine = create_async_engine(setup.database_url)
    bot: Process | None = None
    try:
        async with aiohttp.ClientSession() as http:
            sandbox = Sandbox(http, setup.base)
            ids = await sandbox.add_members(members)
            bot = await Process.spawn(setup, "bot.log", "run", token=True)
            await bot.wait_for_line(RECONCILED, 60)

            async def announced() -> int | None:
                found = [m for m in await sandbox.bot_messages() if m["embeds"]]
                return int(found[0]["id"]) if found else None

            message_id = await poll(announced, 60, "the announcement")
            pool = iter(ids)
            results: list[Drop] = []
            for number in range(drops):
                result = await one_drop(server, sandbox, bot, engine, message_id, pool, rng, rate)
                results.append(result)
                r = result
                print(
                    f"  drop {number + 1}: READY after {r.ready:.2f} s, reconciled after {r.reconciled:.2f} s, "
                    f"first live reaction handled after {r.first_live:.2f} s; {r.missed} reactions in the deaf "
                    f"window, reconciliation +{r.added} -{r.removed} ~{r.changed}",
                    flush=True,
                )
            members_used = set(ids) - set(pool)
            problems: list[str] = []

            async def exact() -> bool:
                nonlocal problems
                truth = await read_truth(engine, sandbox, set(ids))
                problems = mismatches(truth, set(ids), reminders=0)
                return not problems

            with contextlib.suppress(TimeoutError):
                await poll(exact, 60, "the end state to be exact", 0.25)
            print(
                f"gateway drop (non-resumable) x{drops}, {members} members reacting {rate:g}/s, seed {seed}"
            )
            for name, values in (
                ("deaf window (drop -> READY)", [r.ready for r in results]),
                ("drop -> reconciliation logged", [r.reconciled for r in results]),
                ("drop -> first live reaction handled", [r.first_live for r in results]),
            ):
                print(
                    f"  {name}: median {statistics.median(values):.2f} s, "
                    f"min {min(values):.2f} s, max {max(values):.2f} s"
                )
            print(
                f"  reactions made in deaf windows: {sum(r.missed for r in results)}; "
                f"RSVPs reconciliation added: {sum(r.added for r in results)} "
                f"(removed {sum(r.removed for r in results)}, changed {sum(r.changed for r in results)}); "
                f"{len(members_used)} members reacted"
            )
            print(f"  end state exact: {'yes' if not problems else 'NO'}")
            for problem in problems[:20]:
                print(f"    - {problem}")
            print(
                f"  reproduce: .venv/bin/python benchmarks/gateway_drop.py --drops {drops} "
                f"--members {members} --rate {rate:g} --seed {seed}"
            )
            return 0 if not problems else 1
    finally:
        if bot is not None:
            await bot.stop()
        await engine.dispose()
        await server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drops", type=int, default=5)
    parser.add_argument(
        "--members", type=int, default=400, help="enough for every reaction to be a new member's"
    )
    parser.add_argument("--rate", type=float, default=10.0, help="reactions a second during each drop")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gateway-drop-") as tmp:
        return asyncio.run(measure(args.drops, args.members, args.rate, args.seed, Path(tmp)))


if __name__ == "__main__":
    raise SystemExit(main())
