"""The tamper-evident audit trail (J-003 §1.2: 100% change tracking).

Each entry's ``hash`` is sha256 over the canonical JSON of its content and the previous entry's
hash (``prev_hash``; the first entry chains to `GENESIS_HASH`). Editing, deleting or reordering a
stored entry breaks the chain, and `verify_chain` names the first bad entry. (Deleting the newest
entries leaves a valid shorter chain: compare ``checked`` with an exported count to catch that.)

Times are hashed as UTC (naive datetimes are taken as UTC) so a store that drops the time zone
still verifies. States (``before``/``after``) must be JSON-able: build them with `compute_snapshot`.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from relman.domain.releases import AuditEntry

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str


def compute_snapshot(value: Any) -> Any:
    """A JSON-able copy of a dataclass/mapping/sequence: dates as ISO text, enums as values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: compute_snapshot(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): compute_snapshot(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [compute_snapshot(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(compute_snapshot(v) for v in value)
    if isinstance(value, enum.Enum):
        return compute_snapshot(value.value)
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _utc_text(at: datetime) -> str:
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    before: Mapping[str, object] | None,
    after: Mapping[str, object] | None,
) -> str:
    """sha256 (hex) over the canonical JSON of the entry and the previous hash."""
    content = {
        "prev_hash": prev_hash,
        "seq": seq,
        "at": _utc_text(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "before": compute_snapshot(before),
        "after": compute_snapshot(after),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def compute_next_entry(
    last: AuditEntry | None,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    before: Mapping[str, object] | None,
    after: Mapping[str, object] | None,
) -> AuditEntry:
    """The entry that follows ``last`` (None for the first), hashed and ready to store."""
    seq = 1 if last is None else last.seq + 1
    prev_hash = GENESIS_HASH if last is None else last.hash
    state = {"before": compute_snapshot(before), "after": compute_snapshot(after)}
    digest = compute_entry_hash(
        prev_hash, seq=seq, at=at, actor=actor, action=action, subject=subject, **state
    )
    return AuditEntry(
        seq, at, actor, action, subject, state["before"], state["after"], prev_hash, digest
    )


def _recompute(entry: AuditEntry) -> str:
    return compute_entry_hash(
        entry.prev_hash,
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        subject=entry.subject,
        before=entry.before,
        after=entry.after,
    )


def verify_chain(entries: Iterable[AuditEntry]) -> AuditVerdict:
    """Check entries in stored order (ascending seq). Names the first edited, deleted or
    reordered entry."""
    chain = list(entries)
    known_hashes = {e.hash: e.seq for e in chain}
    known_seqs = {e.seq for e in chain}
    previous: AuditEntry | None = None
    for checked, entry in enumerate(chain):
        problem = _check_link(previous, entry, known_hashes, known_seqs) or _check_content(entry)
        if problem is not None:
            return AuditVerdict(False, checked, entry.seq, problem)
        previous = entry
    return AuditVerdict(True, len(chain), None, f"{len(chain)} entries verified")


def _check_link(
    previous: AuditEntry | None,
    entry: AuditEntry,
    known_hashes: Mapping[str, int],
    known_seqs: Collection[int],
) -> str | None:
    expected_seq = 1 if previous is None else previous.seq + 1
    expected_prev = GENESIS_HASH if previous is None else previous.hash
    if entry.seq < expected_seq:
        return f"entry {entry.seq} stored after entry {expected_seq - 1}: reordered or duplicated"
    if entry.seq > expected_seq and expected_seq in known_seqs:
        return f"entry {entry.seq} stored before entry {expected_seq}: reordered"
    if entry.seq > expected_seq:
        missing = _describe_range(expected_seq, entry.seq - 1)
        return f"{missing} deleted (entry {entry.seq} follows {expected_seq - 1 or 'the start'})"
    if entry.prev_hash != expected_prev:
        chained_to = known_hashes.get(entry.prev_hash)
        if chained_to is not None:
            return f"entry {entry.seq} was chained after entry {chained_to}: reordered"
        return f"entry {entry.seq} does not chain to the entry before it: deleted or replaced"
    return None


def _check_content(entry: AuditEntry) -> str | None:
    if _recompute(entry) != entry.hash:
        return f"entry {entry.seq} was edited: its content does not match its hash"
    return None


def _describe_range(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first}-{last}"


def list_entries_for(entries: Sequence[AuditEntry], subject: str) -> list[AuditEntry]:
    """Entries about one subject (e.g. ``release:R-2026-001``), oldest first."""
    return sorted((e for e in entries if e.subject == subject), key=lambda e: e.seq)
