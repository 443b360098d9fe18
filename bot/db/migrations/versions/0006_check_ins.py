"""check-ins: who was at an event, self check-in secrets, and wrong-code attempts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 00:49:34.656654
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_in_code_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("at", bot.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_check_in_code_attempts_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in_code_attempts")),
    )
    with op.batch_alter_table("check_in_code_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_check_in_code_attempts_user_at", ["user_id", "at"], unique=False)

    op.create_table(
        "check_in_secrets",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_check_in_secrets_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_check_in_secrets")),
    )
    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("guests", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("group_name", sa.String(length=200), nullable=True),
        sa.Column("checked_in_by", sa.BigInteger(), nullable=False),
        sa.Column("at", bot.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_check_ins_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_check_ins_event_id")),
    )
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_ins_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_ins_event_id"))

    op.drop_table("check_ins")
    op.drop_table("check_in_secrets")
    with op.batch_alter_table("check_in_code_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_check_in_code_attempts_user_at")

    op.drop_table("check_in_code_attempts")
