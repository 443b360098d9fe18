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
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
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
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    user_name: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16))
    group_name: Mapped[str | None] = mapped_column(String(200))
    # when the member joined the going list or the waitlist: the waitlist is served in this order
    queued_at: Mapped[datetime]
    updated_at: Mapped[datetime]
