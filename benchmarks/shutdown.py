"""Benchmark: how long `meetup-bot run` takes to exit after SIGTERM (what `docker stop` sends).

Target (issue 13): exit 0 within 10 s (Docker's default before SIGKILL), with nothing half-written: the RSVP
job and the announcement refresh in hand finish (at most 3 s each), then the client closes.
Each run starts `python -m bot run` without a token (the sandbox, the shipped config and example events, in a
temporary folder), waits for "the bot is ready", sends SIGTERM and times the exit (wall clock).
Run: `.venv/bin/python benchmarks/shutdown.py [--runs 5]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(folder: Path) -> tuple[int, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(folder / "config.yaml"), "run"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "the bot is ready" in line:
            break
    else:
        raise SystemExit(f"the bot never became ready (exit {process.wait()})")
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise SystemExit("the bot did not exit within 30 s of SIGTERM") from None
    return code, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory(prefix="meetup-bot-shutdown-") as tmp:
        folder = Path(tmp)
        shutil.copy(ROOT / "config.yaml", folder)
        shutil.copytree(ROOT / "events", folder / "events")
        for _ in range(args.runs):
            code, seconds = one_run(folder)
            if code != 0:
                raise SystemExit(f"exit status {code} after SIGTERM")
            times.append(seconds)
    print(
        f"exit 0 after SIGTERM in {statistics.median(times):.2f} s median "
        f"[{min(times):.2f}-{max(times):.2f}] over {args.runs} runs (target: under 10 s)"
    )


if __name__ == "__main__":
    main()
