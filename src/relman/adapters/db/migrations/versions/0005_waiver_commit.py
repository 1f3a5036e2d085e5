"""Waivers are bound to the release's commit, like sign-offs: ``commit_sha`` and ``invalidated``.

Waivers stored before this revision get ``commit_sha`` NULL and ``invalidated`` false: which build
they were granted for was never recorded, so they keep counting until the release's commit next
moves (``relman release commit``), which makes them stale — the rule sign-offs without a commit
already follow. Nothing that passed before the upgrade is blocked by the upgrade itself.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
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
    # Plain ADD COLUMN on both engines (a NOT NULL column needs the server default for old rows).
    op.add_column("waivers", sa.Column("commit_sha", sa.String(64), nullable=True))
    op.add_column(
        "waivers",
        sa.Column("invalidated", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("waivers") as batch:
        batch.drop_column("invalidated")
        batch.drop_column("commit_sha")
