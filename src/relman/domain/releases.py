"""Release records and what hangs off them: sign-offs, evidence, checklist items, waivers, audit.

Plain frozen dataclasses; the store persists them, services change them with `dataclasses.replace`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from relman.errors import InvalidInputError


class Phase(StrEnum):
    """J-003 §3.1 lifecycle phases plus the three terminal states."""

    PLAN = "PLAN"
    BUILD = "BUILD"
    TEST = "TEST"
    DEPLOY = "DEPLOY"
    VERIFY = "VERIFY"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"
    ROLLED_BACK = "ROLLED_BACK"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_PHASES

    @classmethod
    def parse(cls, text: str) -> Phase:
        try:
            return cls(text.strip().upper())
        except ValueError:
            known = ", ".join(p.value for p in cls)
            raise InvalidInputError(f"unknown phase '{text}' (known: {known})") from None


TERMINAL_PHASES: frozenset[Phase] = frozenset({Phase.CLOSED, Phase.CANCELLED, Phase.ROLLED_BACK})


@dataclass(frozen=True)
class Release:
    id: str
    title: str
    release_type: str
    version: str
    components: tuple[str, ...]
    phase: Phase
    planned_by: str
    target_date: date
    created_at: datetime
    commit_sha: str | None
    scope_commits: tuple[str, ...]
    scope_tickets: tuple[str, ...]
    revision: int  # optimistic lock: the store bumps it on every update
    deployed_at: datetime | None = None  # production deployment (starts the hotfix post-hoc clock)


@dataclass(frozen=True)
class SignOff:
    release_id: str
    gate: str
    person_id: str
    role: str
    decision: str  # approve|reject
    comment: str
    commit_sha: str | None
    at: datetime
    post_hoc: bool = False
    invalidated: bool = False


@dataclass(frozen=True)
class Evidence:
    release_id: str
    kind: str  # junit|coverage|sarif|ci
    summary: Mapping[str, object]
    digest: str  # "sha256:<hex>" of the file as received
    source: str  # file name / URL it came from
    commit_sha: str | None
    at: datetime
    id: int | None = None


@dataclass(frozen=True)
class ChecklistItem:
    release_id: str
    checklist_id: str
    item_id: str
    text: str
    ticked_by: str | None
    ticked_at: datetime | None
    proof: str | None  # link text of the proof that ticked it automatically, or a person's note

    @property
    def is_ticked(self) -> bool:
        return self.ticked_by is not None


@dataclass(frozen=True)
class Waiver:
    """One gate criterion waived; bound to the release's commit like a sign-off."""

    release_id: str
    gate: str
    criterion_id: str
    person_id: str
    reason: str
    commit_sha: str | None  # the build it was granted for (None: before any, or before 0005)
    at: datetime
    invalidated: bool = False  # the release moved to another commit: it no longer counts


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    before: Mapping[str, object] | None
    after: Mapping[str, object] | None
    prev_hash: str
    hash: str
