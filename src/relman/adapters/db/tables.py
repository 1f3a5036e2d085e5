"""Tables of the state store (SQLAlchemy 2 Core).

The MetaData carries a naming convention so every constraint and index has the same, stable
name on SQLite and PostgreSQL: migrations can then refer to them by name and autogenerate finds
no spurious differences. Timestamps are stored in UTC (:class:`UtcDateTime`) and always come back
timezone-aware, on both engines, so audit hashes computed before a write verify after a read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """An aware datetime stored as UTC; naive values are taken to be UTC already."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = to_utc(value)
        if dialect.name == "sqlite":  # SQLite has no time zones: store naive UTC text
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - drivers return datetimes
            value = datetime.fromisoformat(str(value))
        return to_utc(value)


def to_utc(value: datetime) -> datetime:
    """The same instant in UTC (naive datetimes are read as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _release_fk() -> sa.ForeignKey:
    return sa.ForeignKey("releases.id")


releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("release_type", sa.String(16), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("components", sa.JSON(), nullable=False),
    sa.Column("phase", sa.String(16), nullable=False, index=True),
    sa.Column("planned_by", sa.String(64), nullable=False),
    sa.Column("target_date", sa.Date(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("commit_sha", sa.String(64), nullable=True),
    sa.Column("scope_commits", sa.JSON(), nullable=False),
    sa.Column("scope_tickets", sa.JSON(), nullable=False),
    # Optimistic concurrency: every update says which revision it read.
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("deployed_at", UtcDateTime(), nullable=True),
)

signoffs = sa.Table(
    "signoffs",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(32), _release_fk(), nullable=False),
    sa.Column("gate", sa.String(8), nullable=False),
    sa.Column("person_id", sa.String(64), nullable=False),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("commit_sha", sa.String(64), nullable=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("post_hoc", sa.Boolean(), nullable=False),
    sa.Column("invalidated", sa.Boolean(), nullable=False),
    sa.Index(None, "release_id", "gate"),
)

evidence = sa.Table(
    "evidence",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(32), _release_fk(), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("summary", sa.JSON(), nullable=False),
    sa.Column("digest", sa.String(128), nullable=False),
    sa.Column("source", sa.Text(), nullable=False),
    sa.Column("commit_sha", sa.String(64), nullable=True),
    sa.Column("at", UtcDateTime(), nullable=False),
)

checklist_items = sa.Table(
    "checklist_items",
    metadata,
    # A surrogate key keeps the checklist in the order it was instantiated.
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(32), _release_fk(), nullable=False),
    sa.Column("checklist_id", sa.String(64), nullable=False),
    sa.Column("item_id", sa.String(64), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("ticked_by", sa.String(64), nullable=True),
    sa.Column("ticked_at", UtcDateTime(), nullable=True),
    sa.Column("proof", sa.Text(), nullable=True),
    sa.UniqueConstraint("release_id", "checklist_id", "item_id"),
)

waivers = sa.Table(
    "waivers",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(32), _release_fk(), nullable=False),
    sa.Column("gate", sa.String(8), nullable=False),
    sa.Column("criterion_id", sa.String(64), nullable=False),
    sa.Column("person_id", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    # Bound to the build like a sign-off (0005): NULL for waivers granted before revision 0005.
    sa.Column("commit_sha", sa.String(64), nullable=True),
    # The server default fills the rows that existed before revision 0005.
    sa.Column("invalidated", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Index(None, "release_id", "gate"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    # seq is assigned by the appender under a lock, never by the database.
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(128), nullable=False, index=True),
    sa.Column("before", sa.JSON(), nullable=True),
    sa.Column("after", sa.JSON(), nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
)

# One row (id=1): the seq and hash of the newest audit entry. Appenders lock it, so seq and
# prev_hash never fork; verify compares it with the log, so deleting the newest entries shows.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("hash", sa.String(64), nullable=True),
)

# Notifications queued in the transaction of the event that causes them, one row per
# (event, recipient, channel), delivered after the commit with retries (relman.domain.outbox).
notification_outbox = sa.Table(
    "notification_outbox",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("event_key", sa.String(255), nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=True),
    sa.Column("subject", sa.String(128), nullable=False, index=True),
    sa.Column("recipient", sa.String(128), nullable=False),
    sa.Column("recipient_name", sa.Text(), nullable=False),
    sa.Column("role", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("address", sa.Text(), nullable=False),
    sa.Column("template", sa.String(128), nullable=False),
    sa.Column("detail", sa.Text(), nullable=False),
    sa.Column("required", sa.Boolean(), nullable=False),
    sa.Column("facts", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("event_at", UtcDateTime(), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("deadline", UtcDateTime(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.UniqueConstraint("event_key", "recipient", "channel"),
    sa.Index(None, "status", "next_attempt_at"),
)

# --- Calendar, overrides, incidents, retrospectives (issue 6, revision 0003) ------------------

# Planned releases imported from calendar files (`relman calendar import`); ``windows`` holds
# each window as {text, days, start, end, tz, label}, so no text is parsed on the way back.
calendar_entries = sa.Table(
    "calendar_entries",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(32), nullable=False, unique=True),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("planned_date", sa.Date(), nullable=False, index=True),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("release_type", sa.String(16), nullable=False),
    sa.Column("environment", sa.String(32), nullable=False),
    sa.Column("phase", sa.String(128), nullable=True),
    sa.Column("windows", sa.JSON(), nullable=False),
    sa.Column("deploy_at", UtcDateTime(), nullable=True),
    sa.Column("planned_on", sa.Date(), nullable=True),
    sa.Column("milestone", sa.Boolean(), nullable=False),
    sa.Column("source", sa.String(255), nullable=False, index=True),
)

calendar_phases = sa.Table(
    "calendar_phases",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("starts", sa.Date(), nullable=False),
    sa.Column("ends", sa.Date(), nullable=False),
    sa.Column("windows", sa.JSON(), nullable=False),
    sa.Column("environments", sa.JSON(), nullable=False),
    sa.Column("frequency", sa.Text(), nullable=False),
    sa.Column("milestones", sa.Text(), nullable=False),
    sa.Column("source", sa.String(255), nullable=False, index=True),
)

calendar_freezes = sa.Table(
    "calendar_freezes",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("starts", sa.Date(), nullable=False),
    sa.Column("ends", sa.Date(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("environments", sa.JSON(), nullable=False),
    sa.Column("allow_emergency", sa.Boolean(), nullable=False),
    sa.Column("source", sa.String(255), nullable=False, index=True),
)

window_overrides = sa.Table(
    "window_overrides",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(32), _release_fk(), nullable=False),
    sa.Column("environment", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("incident_id", sa.String(32), nullable=True),
    sa.Index(None, "release_id", "environment"),
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("opened_by", sa.String(64), nullable=False),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("release_id", sa.String(32), _release_fk(), nullable=True),
    sa.Column("hotfix_release_id", sa.String(32), _release_fk(), nullable=True),
    sa.Column("hotfix_branch", sa.String(255), nullable=True),
    sa.Column("root_cause", sa.Text(), nullable=False),
    sa.Column("closed_by", sa.String(64), nullable=True),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    sa.Column("resolution", sa.Text(), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
)

incident_updates = sa.Table(
    "incident_updates",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "incident_id", sa.String(32), sa.ForeignKey("incidents.id"), nullable=False, index=True
    ),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
)

retrospectives = sa.Table(
    "retrospectives",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(32), _release_fk(), nullable=False, unique=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=True),
    sa.Column("participants", sa.JSON(), nullable=False),
    sa.Column("metrics", sa.JSON(), nullable=False),
    sa.Column("content", sa.Text(), nullable=False),
    sa.Column("path", sa.Text(), nullable=True),
)

# --- deployments (revision 0004) ------------------------------------------------------------
# A deployment and its steps are written as they run, so a killed relman leaves a record of
# exactly where it stopped; env_locks holds one lease per environment.

deployments = sa.Table(
    "deployments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("release_id", sa.String(32), _release_fk(), nullable=False, index=True),
    sa.Column("environment", sa.String(64), nullable=False, index=True),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("artifact", sa.Text(), nullable=False),
    sa.Column("strategy", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=True),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("components", sa.JSON(), nullable=False),
    sa.Column("previous_version", sa.String(64), nullable=True),
    sa.Column("previous", sa.JSON(), nullable=False),
    sa.Column("notes", sa.JSON(), nullable=False),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("rollback", sa.JSON(), nullable=True),
    sa.Column("results", sa.JSON(), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
)

deployment_steps = sa.Table(
    "deployment_steps",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("deployment_id", sa.String(32), sa.ForeignKey("deployments.id"), nullable=False),
    sa.Column("idx", sa.Integer(), nullable=False),
    sa.Column("phase", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("params", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=True),
    sa.Column("ended_at", UtcDateTime(), nullable=True),
    sa.Column("outcome", sa.Text(), nullable=False),
    sa.Column("output_tail", sa.Text(), nullable=False),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.UniqueConstraint("deployment_id", "idx"),
)

env_locks = sa.Table(
    "env_locks",
    metadata,
    sa.Column("environment", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(64), nullable=False),
    sa.Column("deployment_id", sa.String(32), nullable=False),
    sa.Column("token", sa.String(64), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer(), nullable=False),
    sa.Column("process_start", sa.String(32), nullable=False),
    sa.Column("acquired_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)

env_state = sa.Table(
    "env_state",
    metadata,
    sa.Column("environment", sa.String(64), primary_key=True),
    sa.Column("component", sa.String(64), primary_key=True),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("release_id", sa.String(32), nullable=False),
    sa.Column("deployment_id", sa.String(32), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("deployed_at", UtcDateTime(), nullable=False),
    sa.Column("deployed_by", sa.String(64), nullable=False),
    sa.Column("health", sa.String(16), nullable=False),
    sa.Column("health_detail", sa.Text(), nullable=False),
    sa.Column("checked_at", UtcDateTime(), nullable=True),
)

backups = sa.Table(
    "backups",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("environment", sa.String(64), nullable=False, index=True),
    sa.Column("deployment_id", sa.String(32), nullable=True, index=True),
    sa.Column("path", sa.Text(), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("database", sa.String(128), nullable=False),
    sa.Column("taken_at", UtcDateTime(), nullable=False),
    sa.Column("verified", sa.Boolean(), nullable=False),
    sa.Column("verification", sa.Text(), nullable=False),
    sa.Column("row_counts", sa.JSON(), nullable=False),
)

release_events = sa.Table(
    "release_events",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(32), _release_fk(), nullable=False, index=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text(), nullable=False),
)
