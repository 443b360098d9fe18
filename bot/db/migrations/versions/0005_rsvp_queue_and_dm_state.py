"""rsvp queue and dm state: arrival sequence for the waitlist, what each member was told by DM

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 00:41:41.203138
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        # existing rows keep their order through queued_at; the default only fills the new column
        batch_op.add_column(sa.Column("queue_seq", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("notified_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("notified_position", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dm_failed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), nullable=False, server_default="reaction")
        )
        batch_op.create_index("ix_rsvps_event_queue", ["event_id", "queue_seq"], unique=False)
        batch_op.create_index("ix_rsvps_event_status", ["event_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_index("ix_rsvps_event_status")
        batch_op.drop_index("ix_rsvps_event_queue")
        batch_op.drop_column("source")
        batch_op.drop_column("dm_failed")
        batch_op.drop_column("notified_position")
        batch_op.drop_column("notified_status")
        batch_op.drop_column("queue_seq")
