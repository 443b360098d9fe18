"""Self check-in codes: valid from an hour before the start to the end; wrong codes rate-limited per member."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkin import codes, service
from bot.checkin.service import CheckInResult
from bot.clock import ManualClock
from bot.db.models import Event
from bot.errors import UserError
from bot.when import day_text, when_text
from tests.checkin.conftest import NOW, insert_event

START = NOW + timedelta(hours=2)  # the event runs 20:00-22:00 UTC


async def _code(sessions: async_sessionmaker[AsyncSession], event_id: int, clock: ManualClock) -> str:
    async with sessions.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        return await codes.code_for(session, event, clock.now())


async def _redeem(
    sessions: async_sessionmaker[AsyncSession], user_id: int, code: str, clock: ManualClock
) -> CheckInResult | codes.WrongCode:
    async with sessions.begin() as session:
        return await codes.redeem(session, "StLGo", user_id, f"user{user_id}", code, clock.now())


async def test_code_window_right_wrong_and_expired(sessions: async_sessionmaker[AsyncSession]) -> None:
    event_id = await insert_event(sessions, "talk", starts_at=START)
    clock = ManualClock(START - timedelta(hours=1, minutes=1))
    with pytest.raises(UserError) as early:
        await _code(sessions, event_id, clock)
    opens = when_text(START - service.OPENS_BEFORE, "America/Chicago", clock.now())
    assert early.value.message == (
        f"Check-in for **Talk talk** opens {opens} (an hour before the start). Run /checkin-code again then."
    )
    assert opens.startswith("today at ")
    clock.advance(timedelta(minutes=1))  # exactly an hour before
    code = await _code(sessions, event_id, clock)
    assert len(code) == 6 and set(code) <= set(codes.ALPHABET)
    clock.advance(timedelta(hours=1))
    assert await _code(sessions, event_id, clock) == code  # the same code all evening

    ok = await _redeem(sessions, 1, code.lower()[:3] + " " + code.lower()[3:], clock)
    assert isinstance(ok, CheckInResult) and (ok.kind, ok.already) == ("walk_in", False)
    again = await _redeem(sessions, 1, code, clock)
    assert isinstance(again, CheckInResult) and again.already

    wrong = await _redeem(sessions, 2, "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY", clock)
    assert isinstance(wrong, codes.WrongCode) and wrong.left == 4

    clock.set(START + timedelta(hours=2))  # the end: closed
    with pytest.raises(UserError, match="Self check-in is closed"):
        await _redeem(sessions, 3, code, clock)
    with pytest.raises(UserError, match=r"^\*\*Talk talk\*\* is over \(it ended today at "):
        await _code(sessions, event_id, clock)


async def test_wrong_codes_are_rate_limited_per_member(sessions: async_sessionmaker[AsyncSession]) -> None:
    event_id = await insert_event(sessions, "talk", starts_at=START)
    clock = ManualClock(START)
    code = await _code(sessions, event_id, clock)
    bad = "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY"
    lefts = []
    for _ in range(codes.MAX_WRONG):
        result = await _redeem(sessions, 7, bad, clock)
        assert isinstance(result, codes.WrongCode)
        lefts.append(result.left)
        clock.advance(timedelta(seconds=30))
    assert lefts == [4, 3, 2, 1, 0]
    with pytest.raises(UserError, match="Too many wrong codes"):
        await _redeem(sessions, 7, code, clock)  # even the right code waits
    other = await _redeem(sessions, 8, code, clock)  # another member is not affected
    assert isinstance(other, CheckInResult)
    clock.advance(codes.WRONG_WINDOW)
    back = await _redeem(sessions, 7, code, clock)
    assert isinstance(back, CheckInResult) and not back.already


async def test_outside_every_window_the_code_answer_says_when_check_in_opens(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    far = NOW + timedelta(days=15)
    event_id = await insert_event(sessions, "far", starts_at=far, title="Far Talk")
    clock = ManualClock(far)
    code = await _code(sessions, event_id, clock)  # the code an organizer will show on the evening
    clock.set(NOW)
    with pytest.raises(UserError) as closed:
        await _redeem(sessions, 1, code, clock)
    opens = far - service.OPENS_BEFORE
    assert closed.value.message == (
        f"Self check-in is closed now. Check-in for **Far Talk** opens "
        f"{when_text(opens, 'America/Chicago', NOW)} (an hour before the start)."
    )
    assert day_text(opens, "America/Chicago") in closed.value.message  # weeks away: it names the date
    clock.set(opens)
    assert isinstance(await _redeem(sessions, 1, code, clock), CheckInResult)
