"""Loaded by every Python process that tests/run_on_other_dates.py starts under libfaketime.

With FAKETIME_DONT_FAKE_MONOTONIC=1, libfaketime (0.9.10, Debian's) turns the absolute CLOCK_MONOTONIC
deadline of clock_nanosleep into a negative time, so Python 3.11's time.sleep always fails with
EINVAL (wolfcw/libfaketime#426). subprocess.run(timeout=...) sleeps while it waits for a child, so a
test failed whenever its child had not quite exited. select() with a relative timeout is not moved by
libfaketime: sleep with it instead. Nothing here runs outside the moved-clock runs.
"""

from __future__ import annotations

import os
import select
import time

if os.environ.get("FAKETIME"):

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        select.select([], [], [], seconds)

    time.sleep = _sleep
