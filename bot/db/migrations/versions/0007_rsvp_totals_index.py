"""rsvp totals index: event, status, arrival number

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 00:58:12.808480
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (event_id, status, queue_seq) covers the per-event totals read by every RSVP batch and serves the waitlist
    # in arrival order; it makes (event_id, status) redundant
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rsvps_event_status"))
        batch_op.create_index(
            "ix_rsvps_event_status_queue", ["event_id", "status", "queue_seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_index("ix_rsvps_event_status_queue")
        batch_op.create_index(batch_op.f("ix_rsvps_event_status"), ["event_id", "status"], unique=False)
