"""The moved-clock runner (`make test-dates`): its DST dates, and that sleeping works under it."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.factories import NOW
from tests.run_on_other_dates import dst_changes, environment, library, settings

CHILD = """
import subprocess, sys, time
time.sleep(0.001)
# subprocess.run sleeps while it waits for a child that has not exited yet
subprocess.run([sys.executable, "-c", "import time; time.sleep(0.2)"], timeout=30, check=True)
print("slept")
"""


def test_the_runs_cross_both_dst_changes() -> None:
    zone = ZoneInfo("America/Chicago")
    changes = dst_changes(NOW, zone)
    assert len(changes) == 2
    for change in changes:
        before, after = change - timedelta(minutes=1), change
        assert before.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset()
    labels = [label for label, _ in settings(NOW)]
    assert labels[:2] == ["a year from now", "three years from now"]
    assert len(labels) == 4


@pytest.mark.parametrize("run", [1, 2], ids=["moved by an offset", "moved to a DST change"])
def test_python_can_sleep_with_the_clock_moved(run: int) -> None:
    value = settings(NOW)[run][1]
    lib = library()
    if lib is None:
        pytest.skip("libfaketime is not installed (Debian: apt-get install faketime); CI installs it")
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=environment(lib, value),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "slept"
