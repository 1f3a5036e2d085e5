"""``SqlAuditLog``: the append-only, hash-chained audit trail (J-003 §1.2: 100% change tracking).

An entry is appended in the caller's transaction, so it commits or rolls back with the change it
describes. Appenders are serialized so ``seq`` and ``prev_hash`` never fork: on PostgreSQL the one
``audit_head`` row is locked with ``SELECT ... FOR UPDATE``; on SQLite every unit of work already
holds the write lock (``BEGIN IMMEDIATE``). ``audit_head`` also remembers the newest entry, so
deleting the tail of the log is detected like any other tampering.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from relman.adapters.db.jsonvalues import to_json_object
from relman.adapters.db.tables import audit_head, audit_log, to_utc
from relman.domain.audit import GENESIS_HASH, AuditVerdict, compute_entry_hash, verify_chain
from relman.domain.releases import AuditEntry

_HEAD_ID = 1


class SqlAuditLog:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def append(
        self,
        *,
        actor: str,
        action: str,
        subject: str,
        before: Mapping[str, object] | None,
        after: Mapping[str, object] | None,
        at: datetime,
    ) -> AuditEntry:
        at = to_utc(at)  # what is hashed is exactly what the database gives back
        before_json = to_json_object(before)
        after_json = to_json_object(after)
        head_seq, head_hash = self._lock_head()
        seq = head_seq + 1
        prev_hash = head_hash or GENESIS_HASH
        digest = compute_entry_hash(
            prev_hash,
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            before=before_json,
            after=after_json,
        )
        entry = AuditEntry(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            before=before_json,
            after=after_json,
            prev_hash=prev_hash,
            hash=digest,
        )
        self._conn.execute(sa.insert(audit_log).values(_entry_values(entry)))
        self._conn.execute(
            sa.update(audit_head).where(audit_head.c.id == _HEAD_ID).values(seq=seq, hash=digest)
        )
        return entry

    def lock(self) -> None:
        """Serialize with every other appender until this transaction ends (the head's row lock
        on PostgreSQL; SQLite's unit of work holds the write lock already)."""
        self._lock_head()

    def list(self, *, subject: str | None = None) -> builtins.list[AuditEntry]:
        query = sa.select(audit_log).order_by(audit_log.c.seq)
        if subject is not None:
            query = query.where(audit_log.c.subject == subject)
        return [_entry_from_row(row._mapping) for row in self._conn.execute(query)]

    def verify(self) -> AuditVerdict:
        entries = self.list()
        verdict = verify_chain(entries)
        if not verdict.ok:
            return verdict
        head = self._conn.execute(
            sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == _HEAD_ID)
        ).first()
        last_seq = entries[-1].seq if entries else 0
        last_hash = entries[-1].hash if entries else None
        if head is not None and (head.seq, head.hash) != (last_seq, last_hash):
            if head.seq > last_seq:
                first, last = last_seq + 1, head.seq
                gone = f"entry {first}" if first == last else f"entries {first}-{last}"
                reason = (
                    f"{gone} deleted (the log ends at entry {last_seq} but "
                    f"{head.seq} entries were written)"
                )
                return AuditVerdict(False, len(entries), first, reason)
            if head.seq < last_seq:
                first = head.seq + 1
                reason = (
                    f"entry {first} was added behind relman's back (the log's recorded head "
                    f"is entry {head.seq})"
                )
                return AuditVerdict(False, head.seq, first, reason)
            reason = f"entry {last_seq} was replaced: it does not match the log's recorded head"
            return AuditVerdict(False, len(entries) - 1, last_seq, reason)
        return verdict

    def _lock_head(self) -> tuple[int, str | None]:
        query = sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == _HEAD_ID)
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        if row is None:  # a database made without the migration's seed row
            last = self._conn.execute(
                sa.select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc())
            ).first()
            seq, digest = (0, None) if last is None else (int(last.seq), str(last.hash))
            self._conn.execute(sa.insert(audit_head).values(id=_HEAD_ID, seq=seq, hash=digest))
            return self._lock_head()
        return int(row.seq), row.hash


def _entry_values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _entry_from_row(row: sa.RowMapping) -> AuditEntry:
    return AuditEntry(
        seq=row["seq"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        before=row["before"],
        after=row["after"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )
