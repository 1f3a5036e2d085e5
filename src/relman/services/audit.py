"""Audit trail use cases: verify the hash chain, export the log (J-003 §1.2)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from relman.domain.releases import AuditEntry
from relman.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class AuditCheck:
    """The outcome of ``relman audit verify``."""

    ok: bool
    checked: int
    first_bad_seq: int | None
    first_bad_at: datetime | None
    reason: str

    def describe(self) -> str:
        """One line for people: ``audit chain OK: N entries`` or what broke, and where."""
        if self.ok:
            return f"audit chain OK: {self.checked} entries"
        if self.first_bad_seq is None:  # pragma: no cover - a failed verdict names an entry
            return self.reason
        label = f"entry {self.first_bad_seq}"
        if self.first_bad_at is None:
            return self.reason
        stamped = f"{label} ({format_time(self.first_bad_at, precise=False)})"
        if self.reason.startswith(label + " "):
            return stamped + self.reason[len(label) :]
        return f"{self.reason}; {stamped} is the first entry that does not verify"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_seq": self.first_bad_seq,
            "first_bad_at": None if self.first_bad_at is None else format_time(self.first_bad_at),
            "reason": self.reason,
            "message": self.describe(),
        }


def verify_audit_log(*, uow_factory: UnitOfWorkFactory) -> AuditCheck:
    """Check the whole chain; the first edited, deleted or reordered entry if any."""
    with uow_factory() as uow:
        verdict = uow.audit.verify()
        entries = [] if verdict.ok else uow.audit.list()
    bad_at = next((e.at for e in entries if e.seq == verdict.first_bad_seq), None)
    return AuditCheck(
        ok=verdict.ok,
        checked=verdict.checked,
        first_bad_seq=verdict.first_bad_seq,
        first_bad_at=bad_at,
        reason=verdict.reason,
    )


def list_audit_entries(
    *, uow_factory: UnitOfWorkFactory, subject: str | None = None
) -> list[AuditEntry]:
    with uow_factory() as uow:
        return list(uow.audit.list(subject=subject))


def export_audit_log(
    *, uow_factory: UnitOfWorkFactory, out: TextIO, subject: str | None = None
) -> int:
    """Write the log as JSON Lines (one entry per line, oldest first); returns the count."""
    entries = list_audit_entries(uow_factory=uow_factory, subject=subject)
    write_jsonl(entries, out)
    return len(entries)


def write_jsonl(entries: Iterable[AuditEntry], out: TextIO) -> None:
    for entry in entries:
        out.write(json.dumps(entry_to_dict(entry), ensure_ascii=False, sort_keys=False) + "\n")


def entry_to_dict(entry: AuditEntry) -> dict[str, Any]:
    """An entry as JSON: enough to re-verify the chain outside relman."""
    return {
        "seq": entry.seq,
        "at": format_time(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def format_time(at: datetime, *, precise: bool = True) -> str:
    """UTC as the hash covers it (``2026-03-02T09:00:00.000000Z``), or to the second."""
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if precise else "%Y-%m-%dT%H:%M:%SZ")
