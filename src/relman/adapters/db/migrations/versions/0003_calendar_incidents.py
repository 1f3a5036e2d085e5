"""Release calendar, window overrides, incidents and retrospectives.

Revision ID: 0003
Revises: 0002
Create Date: 2026-02-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Migrations are frozen history: they spell types out instead of importing today's tables.
_AT = sa.DateTime(timezone=True)


def _release_fk(table: str, column: str = "release_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["releases.id"], name=op.f(f"fk_{table}_{column}_releases")
    )


def upgrade() -> None:
    op.create_table(
        "calendar_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("release_type", sa.String(16), nullable=False),
        sa.Column("environment", sa.String(32), nullable=False),
        sa.Column("phase", sa.String(128), nullable=True),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("deploy_at", _AT, nullable=True),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("milestone", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_entries")),
        sa.UniqueConstraint("key", name=op.f("uq_calendar_entries_key")),
    )
    op.create_index(op.f("ix_calendar_entries_planned_date"), "calendar_entries", ["planned_date"])
    op.create_index(op.f("ix_calendar_entries_source"), "calendar_entries", ["source"])

    op.create_table(
        "calendar_phases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("environments", sa.JSON(), nullable=False),
        sa.Column("frequency", sa.Text(), nullable=False),
        sa.Column("milestones", sa.Text(), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_phases")),
        sa.UniqueConstraint("name", name=op.f("uq_calendar_phases_name")),
    )
    op.create_index(op.f("ix_calendar_phases_source"), "calendar_phases", ["source"])

    op.create_table(
        "calendar_freezes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("environments", sa.JSON(), nullable=False),
        sa.Column("allow_emergency", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_freezes")),
    )
    op.create_index(op.f("ix_calendar_freezes_source"), "calendar_freezes", ["source"])

    op.create_table(
        "window_overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.String(32), nullable=False),
        sa.Column("environment", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("incident_id", sa.String(32), nullable=True),
        _release_fk("window_overrides"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_window_overrides")),
    )
    op.create_index(
        op.f("ix_window_overrides_release_id_environment"),
        "window_overrides",
        ["release_id", "environment"],
    )

    op.create_table(
        "incidents",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", _AT, nullable=False),
        sa.Column("release_id", sa.String(32), nullable=True),
        sa.Column("hotfix_release_id", sa.String(32), nullable=True),
        sa.Column("hotfix_branch", sa.String(255), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("closed_by", sa.String(64), nullable=True),
        sa.Column("closed_at", _AT, nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        _release_fk("incidents"),
        _release_fk("incidents", "hotfix_release_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(op.f("ix_incidents_status"), "incidents", ["status"])

    op.create_table(
        "incident_updates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(32), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_updates_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_updates")),
    )
    op.create_index(op.f("ix_incident_updates_incident_id"), "incident_updates", ["incident_id"])

    op.create_table(
        "retrospectives",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("due_at", _AT, nullable=True),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        _release_fk("retrospectives"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrospectives")),
        sa.UniqueConstraint("release_id", name=op.f("uq_retrospectives_release_id")),
    )


def downgrade() -> None:
    op.drop_table("retrospectives")
    op.drop_index(op.f("ix_incident_updates_incident_id"), table_name="incident_updates")
    op.drop_table("incident_updates")
    op.drop_index(op.f("ix_incidents_status"), table_name="incidents")
    op.drop_table("incidents")
    op.drop_index(op.f("ix_window_overrides_release_id_environment"), table_name="window_overrides")
    op.drop_table("window_overrides")
    op.drop_index(op.f("ix_calendar_freezes_source"), table_name="calendar_freezes")
    op.drop_table("calendar_freezes")
    op.drop_index(op.f("ix_calendar_phases_source"), table_name="calendar_phases")
    op.drop_table("calendar_phases")
    op.drop_index(op.f("ix_calendar_entries_source"), table_name="calendar_entries")
    op.drop_index(op.f("ix_calendar_entries_planned_date"), table_name="calendar_entries")
    op.drop_table("calendar_entries")
