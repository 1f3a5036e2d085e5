"""The release lifecycle's shared machinery: one transaction per use case, audit, auto-ticks.

Every write use case (`relman.services.releases`, `.gates`, `.evidence`, `.checklists`) runs
`run_in_transaction`: load -> domain ``decide_*`` -> write the release with its
``expected_revision`` (optimistic locking) -> append audit entries -> auto-tick the checklist
items whose proof now holds (audited too), all in ONE unit of work. When a concurrent change
wins the race (ConflictError from the store), the whole use case is re-run on fresh state, so
two approvers signing at once never lose a sign-off; a domain refusal is never retried.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from relman.domain.audit import compute_snapshot
from relman.domain.checklists import AUTO_TICKER, auto_tick, compute_proofs
from relman.domain.gates import GateStatus, evaluate_gate
from relman.domain.policy import Person, ReleasePolicy
from relman.domain.releases import ChecklistItem, Evidence, Phase, Release, SignOff, Waiver
from relman.errors import ConflictError, InvalidInputError

if TYPE_CHECKING:
    from relman.domain.components import VersioningPolicy
    from relman.ports import Clock, GitRepo, UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")

ATTEMPTS = 5
"""How often a use case is run when concurrent changes keep winning the race."""

UNATTENDED_ACTOR = "ci"
"""The actor of writes made without a person (evidence uploaded by a pipeline)."""


@dataclass(frozen=True)
class Lifecycle:
    """What the lifecycle use cases need, wired by `relman.bootstrap` (``services.lifecycle``).

    ``open_git`` is called only by the use cases that read the repository (plan, commit,
    evidence ``--commit``), so ``relman release list`` works on a shared database anywhere.
    """

    uow_factory: UnitOfWorkFactory
    policy: ReleasePolicy
    clock: Clock
    versioning: VersioningPolicy
    open_git: Callable[[], GitRepo]

    @property
    def git(self) -> GitRepo:
        return self.open_git()


@dataclass
class Tx:
    """One attempt of a use case: the open unit of work, the time and whether it wrote yet."""

    uow: UnitOfWork
    at: datetime
    actor: str
    writing: bool = False

    def save_release(self, before: Release, after: Release) -> Release:
        """Write ``after`` if nobody changed ``before`` meanwhile (do this first: it locks)."""
        self.writing = True
        return self.uow.releases.update(after, expected_revision=before.revision)

    def record(
        self,
        action: str,
        subject: str,
        *,
        before: object = None,
        after: object = None,
        actor: str | None = None,
    ) -> None:
        """Append an audit entry in this transaction (states as JSON-able snapshots)."""
        self.writing = True
        self.uow.audit.append(
            actor=actor or self.actor,
            action=action,
            subject=subject,
            before=_as_state(before),
            after=_as_state(after),
            at=self.at,
        )


def _as_state(value: object) -> Mapping[str, object] | None:
    if value is None:
        return None
    snapshot = compute_snapshot(value)
    return snapshot if isinstance(snapshot, dict) else {"value": snapshot}


def run_in_transaction(
    *, uow_factory: UnitOfWorkFactory, clock: Clock, actor: str, work: Callable[[Tx], T]
) -> T:
    """Run ``work`` in one unit of work; re-run it when a concurrent write won the race.

    A ConflictError raised before ``work`` wrote anything is a decision (signing twice, wrong
    order) and is raised at once; one raised by a write or the commit means someone else changed
    the release first, so the use case starts again from a fresh read (at most `ATTEMPTS` times).
    """
    attempt = 0
    while True:
        attempt += 1
        tx: Tx | None = None
        try:
            with uow_factory() as uow:
                tx = Tx(uow=uow, at=clock.now(), actor=actor)
                return work(tx)
        except ConflictError:
            if tx is None or not tx.writing or attempt >= ATTEMPTS:
                raise


def read(uow_factory: UnitOfWorkFactory, work: Callable[[UnitOfWork], T]) -> T:
    """A read-only use case: one unit of work, nothing written."""
    with uow_factory() as uow:
        return work(uow)


def get_actor(policy: ReleasePolicy, actor: str | None) -> Person:
    """The person acting (``--as`` / ``RELMAN_ACTOR``); NotFoundError for an unknown id."""
    if actor is None or not actor.strip():
        raise InvalidInputError("who is acting? pass --as PERSON or set RELMAN_ACTOR", where="--as")
    return policy.get_person(actor.strip())


@dataclass(frozen=True)
class Recorded:
    """Everything recorded against one release (what gates and checklists are judged on)."""

    evidence: Sequence[Evidence]
    signoffs: Sequence[SignOff]
    items: Sequence[ChecklistItem]
    waivers: Sequence[Waiver]
    events: Collection[str] = field(default_factory=frozenset)


def load_recorded(uow: UnitOfWork, release_id: str) -> Recorded:
    """Evidence, sign-offs, checklist items, waivers and recorded events of a release.

    Events (``smoke_passed:staging``, ``deployed:prod``, ``monitoring_stable``) are recorded by
    deployments (`relman.services.deployment`); until they are, event criteria fall back to the
    checklist items a person ticks.
    """
    return Recorded(
        evidence=list(uow.evidence.list(release_id)),
        signoffs=list(uow.signoffs.list(release_id)),
        items=list(uow.checklists.list(release_id)),
        waivers=list(uow.waivers.list(release_id)),
        events=frozenset(e.name for e in uow.events.list(release_id)),
    )


def evaluate_gates(
    release: Release,
    policy: ReleasePolicy,
    recorded: Recorded,
    now: datetime,
    gate_ids: Sequence[str] | None = None,
) -> list[GateStatus]:
    """Status of the named gates (all of the policy's when None), in policy order."""
    gates = policy.gates if gate_ids is None else [policy.get_gate(g) for g in gate_ids]
    return [
        evaluate_gate(
            gate,
            release=release,
            policy=policy,
            evidence=recorded.evidence,
            signoffs=recorded.signoffs,
            checklist_items=recorded.items,
            waivers=recorded.waivers,
            now=now,
            events=recorded.events,
        )
        for gate in gates
    ]


def apply_auto_ticks(tx: Tx, release: Release, policy: ReleasePolicy) -> list[ChecklistItem]:
    """Tick every item whose proof now holds (repeating while a tick makes a gate pass),
    audit each tick as done by ``relman``, and return them."""
    if release.phase is Phase.CANCELLED:
        return []
    ticked: list[ChecklistItem] = []
    for _ in range(len(policy.gates) + 1):
        recorded = load_recorded(tx.uow, release.id)
        passed = [s.gate for s in evaluate_gates(release, policy, recorded, tx.at) if s.passed]
        proofs = compute_proofs(
            release=release,
            policy=policy,
            evidence=recorded.evidence,
            passed_gates=passed,
            events=recorded.events,
        )
        new = auto_tick(recorded.items, proofs, policy=policy, now=tx.at)
        if not new:
            break
        before = {(i.checklist_id, i.item_id): i for i in recorded.items}
        for item in new:
            tx.uow.checklists.update(item)
            tx.record(
                "checklist.auto_tick",
                release.id,
                before=before[(item.checklist_id, item.item_id)],
                after=item,
                actor=AUTO_TICKER,
            )
        ticked.extend(new)
    return ticked


def snapshot(value: Any) -> Any:
    """JSON-able form of a domain object (dates as ISO text), for ``--json`` output."""
    return compute_snapshot(value)
