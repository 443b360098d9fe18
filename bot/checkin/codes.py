"""Self check-in codes: short, derived from a per-event secret (HMAC), accepted only in the event's window.

Window: from an hour before the start to the end (bot.checkin.service.window). Wrong codes are counted
per member in the database, so the limit (5 wrong tries per 10 minutes) holds across restarts and events.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkin.service import CheckInResult, check_in, next_to_open, open_events, opens_text, window
from bot.db.models import CheckInSecret, CodeAttempt, Event
from bot.db.transactions import begin_immediate
from bot.errors import UserError
from bot.when import when_text

MAX_WRONG = 5
WRONG_WINDOW = timedelta(minutes=10)
# no 0/O, 1/I/L: read off a phone screen across a room
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6
# the first key of the per-member advisory lock on PostgreSQL ("chk" + 1); the second is the member
ATTEMPTS_LOCK_SPACE = 0x63686B01


def derive(secret: str, event_id: int) -> str:
    digest = hmac.new(secret.encode(), f"checkin:{event_id}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


async def _secret(session: AsyncSession, event_id: int, now: datetime) -> str:
    row = await session.get(CheckInSecret, event_id)
    if row is None:
        row = CheckInSecret(event_id=event_id, secret=secrets.token_hex(32), created_at=now)
        session.add(row)
        await session.flush()
    return row.secret


async def code_for(session: AsyncSession, event: Event, now: datetime) -> str:
    """The event's code for organizers to show; refused outside the window."""
    opens, closes = window(event)
    if now < opens:
        raise UserError(f"{opens_text(event, now)}. Run /checkin-code again then.")
    if now >= closes:
        raise UserError(
            f"**{event.title}** is over (it ended {when_text(closes, event.timezone, now)}); "
            "its check-in is closed."
        )
    return derive(await _secret(session, event.id, now), event.id)


async def lock_attempts(session: AsyncSession, user_id: int) -> None:
    """Serializes one member's code attempts until the transaction ends, across sessions and processes.

    Without it, tries sent at once all count the same earlier attempts and all get judged (19 of 30
    wrong codes were). PostgreSQL: an advisory lock on the member (its own two-key space). SQLite: the
    database's write lock, taken before anything is read (BEGIN IMMEDIATE); a transaction the driver has
    already opened has written, so it holds that lock already.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        member_key = user_id % 2**32 - 2**31  # the int4 a Discord id folds into; a collision only waits
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:space, :member)"),
            {"space": ATTEMPTS_LOCK_SPACE, "member": member_key},
        )
    else:
        await begin_immediate(session)


async def wrong_tries(session: AsyncSession, user_id: int, now: datetime) -> int:
    query = select(func.count()).where(CodeAttempt.user_id == user_id, CodeAttempt.at > now - WRONG_WINDOW)
    return int(await session.scalar(query) or 0)


async def redeem(
    session: AsyncSession, group: str, user_id: int, user_name: str, code: str, now: datetime
) -> CheckInResult | WrongCode:
    """Checks the member in to the group's open event whose code this is.

    A wrong code is recorded and *returned* (not raised), so the caller commits the attempt and then
    raises it: a rollback must not erase the count the rate limit relies on. The member's attempts are
    locked first and stay locked until that commit, so concurrent tries are counted one after another.
    """
    await lock_attempts(session, user_id)
    if await wrong_tries(session, user_id, now) >= MAX_WRONG:
        minutes = round(WRONG_WINDOW.total_seconds() / 60)
        raise UserError(
            f"Too many wrong codes: wait {minutes} minutes, then try again, or ask an organizer "
            "at the door to check you in."
        )
    candidates = await open_events(session, group, now)
    if not candidates:
        upcoming = await next_to_open(session, group, now)
        if upcoming is None:
            raise UserError(
                "Self check-in is closed: codes work from an hour before an event starts until it ends."
            )
        raise UserError(f"Self check-in is closed now. {opens_text(upcoming, now)}.")
    given = normalise(code)
    for event in candidates:
        row = await session.get(CheckInSecret, event.id)
        if row is not None and hmac.compare_digest(derive(row.secret, event.id), given):
            return await check_in(
                session, event, user_id, user_name, by=user_id, now=now, group=group, method="code"
            )
    session.add(CodeAttempt(user_id=user_id, event_id=candidates[0].id, at=now))
    await session.flush()
    return WrongCode(MAX_WRONG - await wrong_tries(session, user_id, now))


class WrongCode(UserError):
    def __init__(self, left: int) -> None:
        self.left = left
        super().__init__(
            "That is not the check-in code. Check the `code:` option against the code at the door "
            f"({left} more tr{'y' if left == 1 else 'ies'} before a 10-minute wait)."
        )
