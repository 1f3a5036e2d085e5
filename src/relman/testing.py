"""Shipped test doubles: fast, in-memory stand-ins for relman's ports.

``InMemoryUnitOfWork`` behaves like the SQL one for services' unit tests: ``with uow:`` commits
when the block ends normally and rolls everything back when it raises; releases carry a revision
and a stale ``update`` raises ConflictError; the audit log is hash-chained. One instance keeps
its state across blocks, so ``uow_factory=lambda: uow`` lets a test inspect what was committed.
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from relman.domain.audit import AuditVerdict, compute_next_entry, verify_chain
from relman.domain.outbox import OPEN_STATUSES, DeliveryStatus, OutboxEntry
from relman.domain.releases import (
    AuditEntry,
    ChecklistItem,
    Evidence,
    Phase,
    Release,
    SignOff,
    Waiver,
)
from relman.errors import ConflictError, NotFoundError
from relman.testing_calendar import (
    CalendarState,
    InMemoryCalendarRepo,
    InMemoryIncidentRepo,
    InMemoryRetrospectiveRepo,
)
from relman.testing_deployments import (
    DeploymentState,
    InMemoryBackupRepo,
    InMemoryDeploymentRepo,
    InMemoryEnvLockRepo,
    InMemoryEnvStateRepo,
    InMemoryReleaseEventRepo,
)

if TYPE_CHECKING:
    from relman.ports import NotificationMessage


@dataclass
class _State:
    releases: dict[str, Release] = field(default_factory=dict)
    signoffs: list[SignOff] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    checklists: list[ChecklistItem] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    calendar: CalendarState = field(default_factory=CalendarState)
    outbox: list[OutboxEntry] = field(default_factory=list)
    deployments: DeploymentState = field(default_factory=DeploymentState)


class _Repo:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _state(self) -> _State:
        return self._uow.state

    def _require_release(self, release_id: str) -> None:
        if release_id not in self._state.releases:
            raise NotFoundError(f"no release {release_id}", where=f"release {release_id}")


class InMemoryReleaseRepo(_Repo):
    def add(self, release: Release) -> None:
        if release.id in self._state.releases:
            raise ConflictError(
                f"release {release.id} already exists", where=f"release {release.id}"
            )
        self._state.releases[release.id] = release

    def find(self, release_id: str) -> Release | None:
        return self._state.releases.get(release_id)

    def get(self, release_id: str) -> Release:
        self._require_release(release_id)
        return self._state.releases[release_id]

    def list(self, *, phase: Phase | None = None) -> builtins.list[Release]:
        found = sorted(self._state.releases.values(), key=lambda r: (r.created_at, r.id))
        return [r for r in found if phase is None or r.phase == phase]

    def update(self, release: Release, expected_revision: int) -> Release:
        current = self.get(release.id)
        if current.revision != expected_revision:
            raise ConflictError(
                f"release {release.id} was changed by someone else (revision "
                f"{current.revision}, expected {expected_revision}); re-run the command",
                where=f"release {release.id}",
            )
        updated = dataclasses.replace(release, revision=expected_revision + 1)
        self._state.releases[release.id] = updated
        return updated

    def next_id(self) -> str:
        numbers = [
            int(m.group(1)) for i in self._state.releases if (m := re.fullmatch(r"R-(\d+)", i))
        ]
        return f"R-{max(numbers, default=0) + 1}"


class InMemorySignOffRepo(_Repo):
    def add(self, signoff: SignOff) -> None:
        self._require_release(signoff.release_id)
        self._state.signoffs.append(signoff)

    def list(
        self, release_id: str, *, gate: str | None = None, include_invalidated: bool = True
    ) -> builtins.list[SignOff]:
        return [
            s
            for s in self._state.signoffs
            if s.release_id == release_id
            and (gate is None or s.gate == gate)
            and (include_invalidated or not s.invalidated)
        ]

    def invalidate(self, release_id: str, *, keep_commit: str | None) -> int:
        return _invalidate(self._state.signoffs, release_id, keep_commit)


class InMemoryEvidenceRepo(_Repo):
    def add(self, evidence: Evidence) -> Evidence:
        self._require_release(evidence.release_id)
        stored = dataclasses.replace(evidence, id=len(self._state.evidence) + 1)
        self._state.evidence.append(stored)
        return stored

    def get(self, evidence_id: int) -> Evidence:
        for item in self._state.evidence:
            if item.id == evidence_id:
                return item
        raise NotFoundError(f"no evidence #{evidence_id}", where=f"evidence {evidence_id}")

    def list(self, release_id: str, *, kind: str | None = None) -> builtins.list[Evidence]:
        return [
            e
            for e in self._state.evidence
            if e.release_id == release_id and (kind is None or e.kind == kind)
        ]


class InMemoryChecklistRepo(_Repo):
    def add(self, item: ChecklistItem) -> None:
        self._require_release(item.release_id)
        if self._find(item.release_id, item.checklist_id, item.item_id) is not None:
            raise ConflictError(
                f"checklist item {item.checklist_id}/{item.item_id} already exists on release "
                f"{item.release_id}",
                where=f"release {item.release_id}",
            )
        self._state.checklists.append(item)

    def get(self, release_id: str, checklist_id: str, item_id: str) -> ChecklistItem:
        index = self._find(release_id, checklist_id, item_id)
        if index is None:
            raise NotFoundError(
                f"no checklist item {checklist_id}/{item_id} on release {release_id}",
                where=f"release {release_id}",
            )
        return self._state.checklists[index]

    def list(
        self, release_id: str, *, checklist_id: str | None = None
    ) -> builtins.list[ChecklistItem]:
        return [
            i
            for i in self._state.checklists
            if i.release_id == release_id
            and (checklist_id is None or i.checklist_id == checklist_id)
        ]

    def update(self, item: ChecklistItem) -> None:
        self.get(item.release_id, item.checklist_id, item.item_id)
        index = self._find(item.release_id, item.checklist_id, item.item_id)
        assert index is not None
        self._state.checklists[index] = item

    def _find(self, release_id: str, checklist_id: str, item_id: str) -> int | None:
        for index, i in enumerate(self._state.checklists):
            if (i.release_id, i.checklist_id, i.item_id) == (release_id, checklist_id, item_id):
                return index
        return None


class InMemoryWaiverRepo(_Repo):
    def add(self, waiver: Waiver) -> None:
        self._require_release(waiver.release_id)
        self._state.waivers.append(waiver)

    def list(self, release_id: str, *, gate: str | None = None) -> builtins.list[Waiver]:
        return [
            w
            for w in self._state.waivers
            if w.release_id == release_id and (gate is None or w.gate == gate)
        ]

    def invalidate(self, release_id: str, *, keep_commit: str | None) -> int:
        return _invalidate(self._state.waivers, release_id, keep_commit)


def _invalidate(records: list[Any], release_id: str, keep_commit: str | None) -> int:
    """Sign-offs or waivers of a release not bound to ``keep_commit``: marked invalidated."""
    count = 0
    for i, r in enumerate(records):
        stale = keep_commit is None or r.commit_sha != keep_commit
        if r.release_id == release_id and not r.invalidated and stale:
            records[i] = dataclasses.replace(r, invalidated=True)
            count += 1
    return count


class InMemoryAuditLog(_Repo):
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
        last = self._state.audit[-1] if self._state.audit else None
        entry = compute_next_entry(
            last, at=at, actor=actor, action=action, subject=subject, before=before, after=after
        )
        self._state.audit.append(entry)
        return entry

    def lock(self) -> None:
        """One process, one transaction at a time: nothing to wait for."""

    def list(self, *, subject: str | None = None) -> builtins.list[AuditEntry]:
        return [e for e in self._state.audit if subject is None or e.subject == subject]

    def verify(self) -> AuditVerdict:
        return verify_chain(self._state.audit)


class InMemoryOutbox(_Repo):
    def add(self, entries: Sequence[OutboxEntry]) -> builtins.list[OutboxEntry]:
        added: builtins.list[OutboxEntry] = []
        for entry in entries:
            key = (entry.event_key, entry.recipient, entry.channel)
            if any((e.event_key, e.recipient, e.channel) == key for e in self._state.outbox):
                continue
            stored = dataclasses.replace(entry, id=len(self._state.outbox) + 1)
            self._state.outbox.append(stored)
            added.append(stored)
        return added

    def get(self, entry_id: int) -> OutboxEntry:
        for entry in self._state.outbox:
            if entry.id == entry_id:
                return entry
        raise NotFoundError(f"no queued notification #{entry_id}", where=f"notification {entry_id}")

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
        found = [
            e
            for e in self._state.outbox
            if (statuses is None or e.status in statuses)
            and (subject is None or e.subject == subject)
            and (event_key is None or e.event_key == event_key)
            and (event_type is None or e.event_type == event_type)
            and (since is None or e.due_at >= since)
        ]
        return found[-limit:] if limit is not None else found

    def list_due(self, now: datetime, *, limit: int = 100) -> builtins.list[OutboxEntry]:
        due = [e for e in self._state.outbox if e.is_due(now)]
        return sorted(due, key=lambda e: (e.next_attempt_at or e.due_at, e.id or 0))[:limit]

    def claim(self, entry_id: int, *, attempts: int, until: datetime) -> bool:
        entry = self.get(entry_id)
        if entry.attempts != attempts or entry.status not in OPEN_STATUSES:
            return False
        claimed = dataclasses.replace(
            entry, attempts=attempts + 1, next_attempt_at=until, status=DeliveryStatus.SENDING
        )
        self.update(claimed)
        return True

    def update(self, entry: OutboxEntry, *, expected_attempts: int | None = None) -> bool:
        for index, existing in enumerate(self._state.outbox):
            if existing.id == entry.id:
                if expected_attempts is not None and existing.attempts != expected_attempts:
                    return False
                self._state.outbox[index] = entry
                return True
        raise NotFoundError(f"no queued notification #{entry.id}", where="outbox")


class InMemoryUnitOfWork:
    """A UnitOfWork over plain Python containers (see the module docstring)."""

    def __init__(self) -> None:
        self.state = _State()
        self.commits = 0
        self.rollbacks = 0
        self._snapshot: _State | None = None
        self.releases = InMemoryReleaseRepo(self)
        self.signoffs = InMemorySignOffRepo(self)
        self.evidence = InMemoryEvidenceRepo(self)
        self.checklists = InMemoryChecklistRepo(self)
        self.waivers = InMemoryWaiverRepo(self)
        self.audit = InMemoryAuditLog(self)
        self.calendar = InMemoryCalendarRepo(self)
        self.incidents = InMemoryIncidentRepo(self)
        self.retrospectives = InMemoryRetrospectiveRepo(self)
        self.outbox = InMemoryOutbox(self)
        self.deployments = InMemoryDeploymentRepo(self)
        self.env_locks = InMemoryEnvLockRepo(self)
        self.env_state = InMemoryEnvStateRepo(self)
        self.backups = InMemoryBackupRepo(self)
        self.events = InMemoryReleaseEventRepo(self)

    def __enter__(self) -> Self:
        if self._snapshot is not None:
            raise RuntimeError("this unit of work is already open")
        self._snapshot = copy.deepcopy(self.state)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.commit()
        else:
            self.rollback()
        self._snapshot = None

    def commit(self) -> None:
        self._snapshot = copy.deepcopy(self.state)
        self.commits += 1

    def rollback(self) -> None:
        if self._snapshot is not None:
            self.state = copy.deepcopy(self._snapshot)
        self.rollbacks += 1


if TYPE_CHECKING:  # InMemoryUnitOfWork must stay a UnitOfWork
    from relman.ports import UnitOfWorkFactory

    _factory: UnitOfWorkFactory = InMemoryUnitOfWork


class FixedClock:
    """A `relman.ports.Clock` that says what the test tells it; ``advance`` moves it on."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a time-zone aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward (``advance(hours=2)``) and return the new time."""
        self.at = self.at + timedelta(**delta)
        return self.at


class RecordingNotifier:
    """A `relman.ports.Notifier` that keeps what it was asked to send; ``fail_with`` makes
    every send raise that error instead (a channel outage)."""

    def __init__(self, target: str = "recording://") -> None:
        self.sent: list[NotificationMessage] = []
        self.fail_with: Exception | None = None
        self.calls = 0  # every send, failed ones included
        self._target = target

    @property
    def target(self) -> str:
        return self._target

    def send(self, message: NotificationMessage) -> None:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)
