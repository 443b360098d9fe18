"""event catalog

Revision ID: 0001
Revises:
Create Date: 2026-11-25 00:02:57.959206
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_notes", sa.JSON(), nullable=False),
        sa.Column("starts_at", bot.db.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", bot.db.types.UTCDateTime(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("stream_url", sa.Text(), nullable=True),
        sa.Column("geo_lat", sa.Float(), nullable=True),
        sa.Column("geo_lon", sa.Float(), nullable=True),
        sa.Column("presenters", sa.JSON(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("agenda", sa.JSON(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("reported_membership", sa.Integer(), nullable=True),
        sa.Column("reported_rsvps", sa.Integer(), nullable=True),
        sa.Column("reported_attendance", sa.Integer(), nullable=True),
        sa.Column("reported_by_group", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", bot.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("slug", name=op.f("uq_events_slug")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_ends_at"), ["ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "event_groups",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("group_name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_groups_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", "group_name", name=op.f("pk_event_groups")),
    )
    with op.batch_alter_table("event_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_groups_group_name"), ["group_name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_groups_group_name"))

    op.drop_table("event_groups")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_starts_at"))
        batch_op.drop_index(batch_op.f("ix_events_ends_at"))

    op.drop_table("events")
