"""Deployments, their steps, environment locks, environment state, backups and release events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-02-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Migrations are frozen history: they spell types out instead of importing today's tables.
_AT = sa.DateTime(timezone=True)


def _release_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["release_id"], ["releases.id"], name=op.f(f"fk_{table}_release_id_releases")
    )


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("release_id", sa.String(32), nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("artifact", sa.Text(), nullable=False),
        sa.Column("strategy", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("started_at", _AT, nullable=True),
        sa.Column("finished_at", _AT, nullable=True),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("previous_version", sa.String(64), nullable=True),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("rollback", sa.JSON(), nullable=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        _release_fk("deployments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
    )
    op.create_index(op.f("ix_deployments_release_id"), "deployments", ["release_id"])
    op.create_index(op.f("ix_deployments_environment"), "deployments", ["environment"])
    op.create_index(op.f("ix_deployments_status"), "deployments", ["status"])

    op.create_table(
        "deployment_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deployment_id", sa.String(32), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", _AT, nullable=True),
        sa.Column("ended_at", _AT, nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("output_tail", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_deployment_steps_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_steps")),
        sa.UniqueConstraint(
            "deployment_id", "idx", name=op.f("uq_deployment_steps_deployment_id_idx")
        ),
    )

    op.create_table(
        "env_locks",
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("deployment_id", sa.String(32), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("process_start", sa.String(32), nullable=False),
        sa.Column("acquired_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("environment", name=op.f("pk_env_locks")),
    )

    op.create_table(
        "env_state",
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("component", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("release_id", sa.String(32), nullable=False),
        sa.Column("deployment_id", sa.String(32), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("deployed_at", _AT, nullable=False),
        sa.Column("deployed_by", sa.String(64), nullable=False),
        sa.Column("health", sa.String(16), nullable=False),
        sa.Column("health_detail", sa.Text(), nullable=False),
        sa.Column("checked_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("environment", "component", name=op.f("pk_env_state")),
    )

    op.create_table(
        "backups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("deployment_id", sa.String(32), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("database", sa.String(128), nullable=False),
        sa.Column("taken_at", _AT, nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("verification", sa.Text(), nullable=False),
        sa.Column("row_counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backups")),
    )
    op.create_index(op.f("ix_backups_environment"), "backups", ["environment"])
    op.create_index(op.f("ix_backups_deployment_id"), "backups", ["deployment_id"])

    op.create_table(
        "release_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        _release_fk("release_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_events")),
    )
    op.create_index(op.f("ix_release_events_release_id"), "release_events", ["release_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_release_events_release_id"), table_name="release_events")
    op.drop_table("release_events")
    op.drop_index(op.f("ix_backups_deployment_id"), table_name="backups")
    op.drop_index(op.f("ix_backups_environment"), table_name="backups")
    op.drop_table("backups")
    op.drop_table("env_state")
    op.drop_table("env_locks")
    op.drop_table("deployment_steps")
    op.drop_index(op.f("ix_deployments_status"), table_name="deployments")
    op.drop_index(op.f("ix_deployments_environment"), table_name="deployments")
    op.drop_index(op.f("ix_deployments_release_id"), table_name="deployments")
    op.drop_table("deployments")
