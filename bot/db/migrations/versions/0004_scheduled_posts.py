"""scheduled posts: events removed from events_dir, and claims on pending posts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 00:41:59.412432
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", bot.db.types.UTCDateTime(), nullable=True))

    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("not_before", bot.db.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("not_before")
        batch_op.drop_column("claim_token")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
