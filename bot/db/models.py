"""The database schema as SQLAlchemy 2 typed models; changed only through Alembic migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class Event(Base):
    """One meetup, identified by its slug; times in UTC, shown in `timezone`."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text)
    title_notes: Mapped[list[Any]] = mapped_column(default=list)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column(index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    location: Mapped[str] = mapped_column(Text, default="")
    stream_url: Mapped[str | None] = mapped_column(Text)
    geo_lat: Mapped[float | None] = mapped_column(Float)
    geo_lon: Mapped[float | None] = mapped_column(Float)
    presenters: Mapped[list[Any]] = mapped_column(default=list)
    links: Mapped[list[Any]] = mapped_column(default=list)
    agenda: Mapped[list[Any]] = mapped_column(default=list)
    sections: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reported_membership: Mapped[int | None] = mapped_column(Integer)
    reported_rsvps: Mapped[int | None] = mapped_column(Integer)
    reported_attendance: Mapped[int | None] = mapped_column(Integer)
    reported_by_group: Mapped[dict[str, Any]] = mapped_column(default=dict)
    capacity: Mapped[int | None] = mapped_column(Integer)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # set when the event's file disappeared from events_dir; the row and its history stay
    removed_at: Mapped[datetime | None]

    groups: Mapped[list[EventGroup]] = relationship(
        back_populates="event",
        order_by="EventGroup.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def hosting_groups(self) -> list[str]:
        return [g.group_name for g in self.groups]


class EventGroup(Base):
    """A hosting group of an event; an event can be co-hosted by several groups."""

    __tablename__ = "event_groups"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="groups")


class Rsvp(Base):
    """One member's answer for one event: going, maybe, not_going or waitlist (one row per member and event)."""

    __tablename__ = "rsvps"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        # covers the per-event totals (count by status, next arrival number) and serves the waitlist in order
        Index("ix_rsvps_event_status_queue", "event_id", "status", "queue_seq"),
        Index("ix_rsvps_event_queue", "event_id", "queue_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    user_name: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16))
    group_name: Mapped[str | None] = mapped_column(String(200))
    # when the member joined the going list or the waitlist: the waitlist is served in this order
    queued_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # arrival order within the event (gateway order); ties in queued_at cannot reorder the waitlist
    # the server defaults are those migration 0005 added the columns with (a fresh schema must equal it)
    queue_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # what the member was last told by DM (so restarts and reconciliation never tell them twice)
    notified_status: Mapped[str | None] = mapped_column(String(16))
    notified_position: Mapped[int | None] = mapped_column(Integer)
    # their DMs are closed (Discord 50007): not retried for this event; the RSVP stands
    dm_failed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # "reaction" or "command" (/rsvp): reconciliation removes only RSVPs whose reaction is gone
    source: Mapped[str] = mapped_column(String(16), default="reaction", server_default="reaction")


class Post(Base):
    """The ledger of what the bot posts: one row per (event, kind, channel), written before a post counts as done.

    `kind` is e.g. "announcement", "reminder:1d", "agenda:2:start", "notice:rescheduled:<n>", "cancellation",
    or "scheduled_event" (a guild scheduled event, whose id goes in `discord_id`), or "dm:cancellation" /
    "dm:rescheduled:<n>" (a DM to a member who said they would come: `channel_id` holds the member's user id).
    `status`: pending (due, not yet confirmed by Discord), sent, skipped (too late to make sense), failed.
    """

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("event_id", "kind", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(100))
    group_name: Mapped[str] = mapped_column(String(200))
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    # the Discord message id (or scheduled event id) once Discord accepted it
    discord_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # sent with enforce_nonce, so a retry after a crash returns the first message instead of a second one
    nonce: Mapped[str] = mapped_column(String(25))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # what the post showed (start, end, place, content hash), to know when to edit it or post a notice
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # who is sending a pending post, and until when nobody else may (also the earliest retry time)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    not_before: Mapped[datetime | None]


class CheckIn(Base):
    """Who was at an event: a member (RSVP'd or a walk-in) or a number of guests without a Discord account.

    Members have one row per event (unique with user_id; guest rows have user_id NULL, which SQL never
    counts as a duplicate). `checked_in_by` is the organizer, or the member themselves for a code check-in.
    """

    __tablename__ = "check_ins"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    user_name: Mapped[str] = mapped_column(String(100), default="")
    # "member" (had an RSVP), "walk_in" (no RSVP) or "guests" (`guests` people without an account)
    kind: Mapped[str] = mapped_column(String(16))
    guests: Mapped[int] = mapped_column(Integer, default=0)
    # "organizer" or "code" (self check-in)
    method: Mapped[str] = mapped_column(String(16), default="organizer")
    # the hosting group whose server the check-in was made in (per-group attendance)
    group_name: Mapped[str | None] = mapped_column(String(200))
    checked_in_by: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]


class CheckInSecret(Base):
    """The per-event secret self check-in codes are derived from (HMAC), created on first /checkin-code."""

    __tablename__ = "check_in_secrets"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class CodeAttempt(Base):
    """A wrong self check-in code, kept so the per-member rate limit holds across restarts."""

    __tablename__ = "check_in_code_attempts"
    __table_args__ = (Index("ix_check_in_code_attempts_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    at: Mapped[datetime]


class RepoSync(Base):
    """The last commit of the events repository imported into the database, one row per repository, branch
    and folder: the next sync imports only what changed since it, and a restart never re-imports."""

    __tablename__ = "repo_syncs"
    __table_args__ = (UniqueConstraint("url", "branch", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    branch: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text)
    # full sha of the upstream commit whose files the database holds
    commit: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime]
    # the removal guard refused at this commit: the next sync compares every file (as an import of the
    # folder would), so the removals happen once the guard allows them (files back, or the limit raised)
    recheck: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Writeback(Base):
    """The bot's own write-back of an event's totals into the events repository, the morning after it:
    one row per event, inserted to claim it (so one process does it, once, across restarts), `done` after.

    `state`: "claimed" (a process is on it until `claimed_at` + the lease) or "done"; `commit` is the
    totals commit made (none when nothing changed or nothing was recorded); `outcome` the line reported."""

    __tablename__ = "writebacks"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    claim_token: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    commit: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(Text)
