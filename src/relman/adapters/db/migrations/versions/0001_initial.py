"""Initial store: releases, sign-offs, evidence, checklists, waivers and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Migrations are frozen history: they spell types out instead of importing today's tables.
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("release_type", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("planned_by", sa.String(64), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("commit_sha", sa.String(64), nullable=True),
        sa.Column("scope_commits", sa.JSON(), nullable=False),
        sa.Column("scope_tickets", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deployed_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
    )
    op.create_index(op.f("ix_releases_phase"), "releases", ["phase"])

    op.create_table(
        "signoffs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.String(32), nullable=False),
        sa.Column("gate", sa.String(8), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("commit_sha", sa.String(64), nullable=True),
        sa.Column("at", _AT, nullable=False),
        sa.Column("post_hoc", sa.Boolean(), nullable=False),
        sa.Column("invalidated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_signoffs_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signoffs")),
    )
    op.create_index(op.f("ix_signoffs_release_id_gate"), "signoffs", ["release_id", "gate"])

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(128), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("commit_sha", sa.String(64), nullable=True),
        sa.Column("at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_evidence_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    op.create_index(op.f("ix_evidence_release_id"), "evidence", ["release_id"])

    op.create_table(
        "checklist_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.String(32), nullable=False),
        sa.Column("checklist_id", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ticked_by", sa.String(64), nullable=True),
        sa.Column("ticked_at", _AT, nullable=True),
        sa.Column("proof", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_checklist_items_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_items")),
        sa.UniqueConstraint(
            "release_id",
            "checklist_id",
            "item_id",
            name=op.f("uq_checklist_items_release_id_checklist_id_item_id"),
        ),
    )

    op.create_table(
        "waivers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.String(32), nullable=False),
        sa.Column("gate", sa.String(8), nullable=False),
        sa.Column("criterion_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_waivers_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waivers")),
    )
    op.create_index(op.f("ix_waivers_release_id_gate"), "waivers", ["release_id", "gate"])

    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_index(op.f("ix_audit_log_subject"), "audit_log", ["subject"])

    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    # The one row appenders lock; seq 0 and no hash mean "no entries yet".
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": None}])


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_index(op.f("ix_audit_log_subject"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_waivers_release_id_gate"), table_name="waivers")
    op.drop_table("waivers")
    op.drop_table("checklist_items")
    op.drop_index(op.f("ix_evidence_release_id"), table_name="evidence")
    op.drop_table("evidence")
    op.drop_index(op.f("ix_signoffs_release_id_gate"), table_name="signoffs")
    op.drop_table("signoffs")
    op.drop_index(op.f("ix_releases_phase"), table_name="releases")
    op.drop_table("releases")
