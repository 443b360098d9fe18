"""repo syncs: the last commit of the events repository imported, per repository, branch and folder

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 20:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "repo_syncs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("commit", sa.String(length=64), nullable=False),
        sa.Column("synced_at", bot.db.types.UTCDateTime(), nullable=False),
        sa.Column("recheck", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repo_syncs")),
        sa.UniqueConstraint("url", "branch", "path", name=op.f("uq_repo_syncs_url")),
    )


def downgrade() -> None:
    op.drop_table("repo_syncs")
