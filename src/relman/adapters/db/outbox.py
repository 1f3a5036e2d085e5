"""``SqlOutboxRepo``: the notification outbox table (`relman.domain.outbox`).

Rows are added in the caller's transaction (the event and its notifications commit together).
``claim`` is a conditional update, so two deliverers never send the same row in the same
attempt: only the one whose update matched the attempt count it read goes on to send.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from relman.adapters.db.jsonvalues import to_json_object
from relman.adapters.db.tables import notification_outbox as t
from relman.domain.outbox import OPEN_STATUSES, DeliveryStatus, OutboxEntry
from relman.errors import NotFoundError

_OPEN = sorted(s.value for s in OPEN_STATUSES)


class SqlOutboxRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, entries: Sequence[OutboxEntry]) -> builtins.list[OutboxEntry]:
        added: builtins.list[OutboxEntry] = []
        for entry in entries:
            if self._exists(entry):
                continue
            values = _values(entry)
            values.pop("id")
            try:
                with self._conn.begin_nested():  # a concurrent twin: skip, keep the transaction
                    new_id = self._conn.execute(
                        sa.insert(t).values(values).returning(t.c.id)
                    ).scalar_one()
            except IntegrityError:
                continue
            added.append(_from_row({**values, "id": new_id}))
        return added

    def get(self, entry_id: int) -> OutboxEntry:
        row = self._conn.execute(sa.select(t).where(t.c.id == entry_id)).first()
        if row is None:
            raise NotFoundError(
                f"no queued notification #{entry_id}",
                where=f"notification {entry_id}",
                hint="`relman notify log` lists them",
            )
        return _from_row(row._mapping)

    def list(
        self,
        *,
        statuses: Collection[str] | None = None,
        subject: str | None = None,
        event_key: str | None = None,
        event_type: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> builtins.list[OutboxEntry]:
        query = sa.select(t)
        if statuses is not None:
            query = query.where(t.c.status.in_(sorted(str(s) for s in statuses)))
        if subject is not None:
            query = query.where(t.c.subject == subject)
        if event_key is not None:
            query = query.where(t.c.event_key == event_key)
        if event_type is not None:
            query = query.where(t.c.event_type == event_type)
        if since is not None:
            query = query.where(t.c.due_at >= since)
        if limit is not None:
            newest = query.order_by(t.c.id.desc()).limit(limit).subquery()
            rows = self._conn.execute(sa.select(newest).order_by(newest.c.id))
        else:
            rows = self._conn.execute(query.order_by(t.c.id))
        return [_from_row(row._mapping) for row in rows]

    def list_due(self, now: datetime, *, limit: int = 100) -> builtins.list[OutboxEntry]:
        query = (
            sa.select(t)
            .where(t.c.status.in_(_OPEN), t.c.next_attempt_at <= now)
            .order_by(t.c.next_attempt_at, t.c.id)
            .limit(limit)
        )
        return [_from_row(row._mapping) for row in self._conn.execute(query)]

    def claim(self, entry_id: int, *, attempts: int, until: datetime) -> bool:
        result = self._conn.execute(
            sa.update(t)
            .where(t.c.id == entry_id, t.c.attempts == attempts, t.c.status.in_(_OPEN))
            .values(
                attempts=attempts + 1, next_attempt_at=until, status=DeliveryStatus.SENDING.value
            )
        )
        return int(result.rowcount) == 1

    def update(self, entry: OutboxEntry, *, expected_attempts: int | None = None) -> bool:
        if entry.id is None:
            raise ValueError("cannot update an outbox row that was never added")
        values = _values(entry)
        state = {
            key: values[key]
            for key in (
                "status",
                "attempts",
                "next_attempt_at",
                "sent_at",
                "last_error",
                "title",
                "body",
            )
        }
        query = sa.update(t).where(t.c.id == entry.id)
        if expected_attempts is not None:
            query = query.where(t.c.attempts == expected_attempts)
        result = self._conn.execute(query.values(state))
        if result.rowcount == 0:
            self.get(entry.id)  # raises NotFoundError
            return False
        return True

    def _exists(self, entry: OutboxEntry) -> bool:
        query = sa.select(t.c.id).where(
            t.c.event_key == entry.event_key,
            t.c.recipient == entry.recipient,
            t.c.channel == entry.channel,
        )
        return self._conn.execute(query).first() is not None


def _values(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "event_key": entry.event_key,
        "event_type": entry.event_type,
        "kind": entry.kind,
        "subject": entry.subject,
        "recipient": entry.recipient,
        "recipient_name": entry.recipient_name,
        "role": entry.role,
        "channel": entry.channel,
        "address": entry.address,
        "template": entry.template,
        "detail": entry.detail,
        "required": entry.required,
        "facts": to_json_object(entry.facts) or {},
        "status": entry.status.value,
        "attempts": entry.attempts,
        "event_at": entry.event_at,
        "due_at": entry.due_at,
        "deadline": entry.deadline,
        "next_attempt_at": entry.next_attempt_at,
        "created_at": entry.created_at,
        "sent_at": entry.sent_at,
        "last_error": entry.last_error,
        "title": entry.title,
        "body": entry.body,
    }


def _from_row(row: Mapping[str, Any] | sa.RowMapping) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"],
        event_key=row["event_key"],
        event_type=row["event_type"],
        kind=row["kind"],
        subject=row["subject"],
        recipient=row["recipient"],
        recipient_name=row["recipient_name"],
        role=row["role"],
        channel=row["channel"],
        address=row["address"],
        template=row["template"],
        detail=row["detail"],
        required=bool(row["required"]),
        facts=dict(row["facts"] or {}),
        status=DeliveryStatus(row["status"]),
        attempts=int(row["attempts"]),
        event_at=row["event_at"],
        due_at=row["due_at"],
        deadline=row["deadline"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        last_error=row["last_error"],
        title=row["title"],
        body=row["body"],
    )
