"""writebacks: the bot's own morning-after write-back of an event's totals, claimed once per event

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 22:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "writebacks",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=False),
        sa.Column("claimed_at", bot.db.types.UTCDateTime(), nullable=False),
        sa.Column("done_at", bot.db.types.UTCDateTime(), nullable=True),
        sa.Column("commit", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_writebacks_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_writebacks")),
    )


def downgrade() -> None:
    op.drop_table("writebacks")
