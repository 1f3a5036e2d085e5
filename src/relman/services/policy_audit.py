"""Policy changes in the audit log (issue 3 §5: "each ... policy change ... is audited").

The policy lives in a file, not in the store, so nobody "runs" a policy change: relman notices
one. `audit_policy_changes` wraps the unit-of-work factory once (in `relman.bootstrap`): in every
transaction that writes an audit entry (every write command does), just before its first entry,
the digest of the effective policy is compared with the digest of the latest ``policy.change``
entry; when they differ, or none exists yet, a ``policy.change`` entry is appended first, in the
same transaction as the command's own change. A command that fails writes neither. The
comparison runs with the audit log locked (`AuditLog.lock`), so concurrent first writes after a
change record it once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast

if TYPE_CHECKING:
    from relman.domain.audit import AuditVerdict
    from relman.domain.releases import AuditEntry
    from relman.ports import AuditLog, UnitOfWork, UnitOfWorkFactory

POLICY_CHANGE = "policy.change"
POLICY_SUBJECT = "policy"
SYSTEM_ACTOR = "relman"
"""The actor of a policy change noticed during a command run by no known person."""


def compute_policy_digest(policy: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of the effective policy (``model_dump(mode="json")``)."""
    text = json.dumps(policy, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PolicyStamp:
    """The effective policy as the audit log records it."""

    digest: str
    source: str  # the policy file, or "defaults"
    people: frozenset[str] = frozenset()  # ids of the people who may be the actor


def find_recorded_digest(audit: AuditLog) -> str | None:
    """The digest of the latest ``policy.change`` entry; None when none was recorded."""
    for entry in reversed(audit.list(subject=POLICY_SUBJECT)):
        if entry.action == POLICY_CHANGE and entry.after is not None:
            return str(entry.after.get("digest", "")) or None
    return None


def record_policy_change(
    audit: AuditLog, stamp: PolicyStamp, *, actor: str, at: datetime
) -> AuditEntry | None:
    """Append a ``policy.change`` entry when the policy differs from the recorded one.

    The log is locked before the recorded digest is read, so two processes noticing the same
    change at once record it once: the second reads the first one's entry once it committed.
    """
    audit.lock()
    previous = find_recorded_digest(audit)
    if previous == stamp.digest:
        return None
    return audit.append(
        actor=actor if actor in stamp.people else SYSTEM_ACTOR,
        action=POLICY_CHANGE,
        subject=POLICY_SUBJECT,
        before={"digest": previous},
        after={"digest": stamp.digest, "source": stamp.source},
        at=at,
    )


def audit_policy_changes(factory: UnitOfWorkFactory, stamp: PolicyStamp) -> UnitOfWorkFactory:
    """Units of work that record a policy change before the first audit entry of a transaction."""

    def open_unit_of_work() -> UnitOfWork:
        return cast("UnitOfWork", _StampingUnitOfWork(factory(), stamp))

    return open_unit_of_work


class _StampingUnitOfWork:
    """The store's unit of work, with an audit log that checks the policy once a transaction."""

    def __init__(self, inner: UnitOfWork, stamp: PolicyStamp) -> None:
        self._inner = inner
        self._stamp = stamp
        self.checked = False  # this transaction compared the policy already

    @property
    def audit(self) -> AuditLog:
        return cast("AuditLog", _StampingAuditLog(self, self._inner.audit, self._stamp))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> Self:
        self._inner.__enter__()
        self.checked = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        self._inner.commit()
        self.checked = False  # the block goes on in a new transaction

    def rollback(self) -> None:
        self._inner.rollback()
        self.checked = False


class _StampingAuditLog:
    def __init__(self, uow: _StampingUnitOfWork, inner: AuditLog, stamp: PolicyStamp) -> None:
        self._uow = uow
        self._inner = inner
        self._stamp = stamp

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
        if not self._uow.checked:
            self._uow.checked = True
            if action != POLICY_CHANGE:
                record_policy_change(self._inner, self._stamp, actor=actor, at=at)
        return self._inner.append(
            actor=actor, action=action, subject=subject, before=before, after=after, at=at
        )

    def lock(self) -> None:
        self._inner.lock()

    def list(self, *, subject: str | None = None) -> Sequence[AuditEntry]:
        return self._inner.list(subject=subject)

    def verify(self) -> AuditVerdict:
        return self._inner.verify()
