"""Kill storm (issue 11): SIGKILL and restart `meetup-bot run` K times while N members react, switch and remove
on an announcement and reminders fall due; then check that everything ends exact.

Invariants checked once the bot settles: (a) every member's RSVP in the database is what the reaction they left
on the announcement says (at most one RSVP reaction left each: the bot removes superseded ones); (b) every post
in the ledger was sent and is in the channel exactly once, no message without a ledger row, no nonce twice, one
Discord event; (c) the announcement shows the database's exact counts; (d) never more going than the capacity
(sampled during the storm too), and nobody waitlisted while a place is free.

Run: `.venv/bin/python benchmarks/kill_storm.py [--members 200] [--kills 5] [--seed 1] [--steps 4]`
Exit status 0 when every invariant held, 1 otherwise (the mismatches are listed).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.storm_harness import Storm, StormPlan


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs (each followed by a restart)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--steps", type=int, default=4, help="reaction steps per member (react/switch/remove)"
    )
    parser.add_argument("--concurrency", type=int, default=20, help="members acting at the same moment")
    parser.add_argument(
        "--settle-timeout", type=float, default=180.0, help="seconds to wait for the end state"
    )
    parser.add_argument(
        "--keep", type=Path, help="keep the processes' logs, the database and the config here"
    )
    args = parser.parse_args()
    plan = StormPlan(
        members=args.members,
        kills=args.kills,
        seed=args.seed,
        steps_per_member=args.steps,
        concurrency=args.concurrency,
        settle_timeout=args.settle_timeout,
    )
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kill-storm-"))
    started = time.monotonic()
    report = asyncio.run(Storm(plan, folder, say=lambda line: print(f"  .. {line}", flush=True)).run())
    print(report.summary())
    print(f"  total run time: {time.monotonic() - started:.1f} s")
    command = (
        f".venv/bin/python benchmarks/kill_storm.py --members {plan.members} --kills {plan.kills} "
        f"--seed {plan.seed} --steps {plan.steps_per_member} --concurrency {plan.concurrency}"
    )
    print(f"  reproduce: {command}")
    if args.keep is None:
        if report.ok:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"  logs, database and config kept in {folder}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
