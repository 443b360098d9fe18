"""The kill storm, short (issue 11): `meetup-bot run` SIGKILLed and restarted 3 times while 40 members react,
switch and remove on the announcement and reminders fall due; everything must end exact.

Real processes against a real sandbox process, real SIGKILLs, the real clock (the event and its reminders are
written relative to now). The kills land while reactions are in flight, just after a reminder reached the
channel, and while a restarted bot connects. benchmarks/kill_storm.py runs the same storm as long as you like.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.storm_harness import Storm, StormPlan

pytestmark = pytest.mark.faults


async def test_a_kill_storm_ends_with_exact_rsvps_posts_once_and_exact_counts(tmp_path: Path) -> None:
    plan = StormPlan(members=40, kills=3, seed=11, steps_per_member=4, settle_timeout=40.0)
    report = await Storm(plan, tmp_path).run()
    assert len(report.kills) == 3 and report.restarts == 3, report.summary()
    assert report.reactions_sent >= plan.members * plan.steps_per_member, report.summary()
    # (a) RSVPs as the reactions say, (b) every post once, (c) exact counts shown, (d) capacity never exceeded
    assert report.problems == [], report.summary()
    assert report.max_going_seen <= plan.capacity
