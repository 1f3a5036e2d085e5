"""Gate use cases (issue 3 §4): status of G1–G7, sign, reject, waive.

Who may sign what is decided by `relman.domain.signoffs` (roles, separation of duties, one slot
per person, commit binding); these functions load, decide, store and audit in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from relman.domain.gates import GateStatus
from relman.domain.policy import ReleasePolicy
from relman.domain.releases import ChecklistItem, Release, SignOff, Waiver
from relman.domain.signoffs import (
    decide_signoff,
    decide_waiver,
    mark_invalidated,
    mark_stale_waivers,
)
from relman.services.lifecycle import (
    Tx,
    apply_auto_ticks,
    evaluate_gates,
    get_actor,
    load_recorded,
    read,
    run_in_transaction,
)

if TYPE_CHECKING:
    from relman.ports import Clock, UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class GateReport:
    """``relman gate status``: each gate's criteria and slots, plus every sign-off given."""

    release: Release
    gates: list[GateStatus]
    signoffs: list[SignOff]  # all decisions on these gates, invalidated ones marked
    waivers: list[Waiver]  # all waivers of these gates, stale ones marked invalidated


def get_gate_status(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    clock: Clock,
    release_id: str,
    gate_id: str | None = None,
) -> GateReport:
    """Every criterion of one gate (or all) as met, unmet or waived, with the proof behind it."""
    gate_ids = None if gate_id is None else [policy.get_gate(gate_id).id]
    now = clock.now()

    def work(uow: UnitOfWork) -> GateReport:
        release = uow.releases.get(release_id)
        recorded = load_recorded(uow, release_id)
        statuses = evaluate_gates(release, policy, recorded, now, gate_ids)
        shown = {s.gate for s in statuses}
        return GateReport(
            release=release,
            gates=statuses,
            signoffs=[s for s in mark_invalidated(recorded.signoffs, release) if s.gate in shown],
            waivers=[w for w in mark_stale_waivers(recorded.waivers, release) if w.gate in shown],
        )

    return read(uow_factory, work)


@dataclass(frozen=True)
class Signed:
    signoff: SignOff
    gate: GateStatus  # the gate after this decision
    auto_ticked: list[ChecklistItem]


def sign_gate(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    clock: Clock,
    release_id: str,
    gate_id: str,
    actor: str,
    comment: str = "",
    role: str | None = None,
    decision: str = "approve",
) -> Signed:
    """Record ``actor``'s approval (or, with ``decision="reject"``, rejection) of a gate.

    BlockedError: no such role, the planner (separation of duties), gate not reached yet.
    ConflictError: signing twice, every slot of the role already filled, wrong phase.
    """
    person = get_actor(policy, actor)
    gate = policy.get_gate(gate_id)

    def work(tx: Tx) -> Signed:
        release = tx.uow.releases.get(release_id)
        signoff = decide_signoff(
            release=release,
            gate=gate,
            person=person,
            decision=decision,
            policy=policy,
            existing=list(tx.uow.signoffs.list(release.id, gate=gate.id)),
            now=tx.at,
            role=role,
            comment=comment,
        )
        updated = tx.save_release(release, release)
        tx.uow.signoffs.add(signoff)
        action = "gate.sign" if decision == "approve" else "gate.reject"
        tx.record(action, release.id, after=signoff)
        ticked = apply_auto_ticks(tx, updated, policy)
        (status,) = evaluate_gates(
            updated, policy, load_recorded(tx.uow, release.id), tx.at, [gate.id]
        )
        return Signed(signoff, status, ticked)

    return run_in_transaction(uow_factory=uow_factory, clock=clock, actor=person.id, work=work)


def reject_gate(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    clock: Clock,
    release_id: str,
    gate_id: str,
    actor: str,
    comment: str,
    role: str | None = None,
) -> Signed:
    """Record a rejection (a veto: the gate stays closed until that person approves)."""
    return sign_gate(
        uow_factory=uow_factory,
        policy=policy,
        clock=clock,
        release_id=release_id,
        gate_id=gate_id,
        actor=actor,
        comment=comment,
        role=role,
        decision="reject",
    )


@dataclass(frozen=True)
class Waived:
    waiver: Waiver
    gate: GateStatus
    auto_ticked: list[ChecklistItem]


def waive_criterion(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    clock: Clock,
    release_id: str,
    gate_id: str,
    criterion_id: str,
    actor: str,
    reason: str,
) -> Waived:
    """Waive one criterion of a gate, only by the gate's waiver roles, always with a reason.

    The waiver is bound to the release's commit: a new build makes it stale and the criterion
    must be waived again. ``criterion_id`` may be given without the gate prefix (``coverage``
    for ``G3.coverage``).
    """
    person = get_actor(policy, actor)
    gate = policy.get_gate(gate_id)
    known = {c.id for c in gate.criteria}
    wanted = criterion_id if criterion_id in known else f"{gate.id}.{criterion_id}"
    wanted = wanted if wanted in known else criterion_id

    def work(tx: Tx) -> Waived:
        release = tx.uow.releases.get(release_id)
        waiver = decide_waiver(
            release=release,
            gate=gate,
            criterion_id=wanted,
            person=person,
            reason=reason,
            policy=policy,
            existing=list(tx.uow.waivers.list(release.id, gate=gate.id)),
            now=tx.at,
        )
        updated = tx.save_release(release, release)
        tx.uow.waivers.add(waiver)
        tx.record("gate.waive", release.id, after=waiver)
        ticked = apply_auto_ticks(tx, updated, policy)
        (status,) = evaluate_gates(
            updated, policy, load_recorded(tx.uow, release.id), tx.at, [gate.id]
        )
        return Waived(waiver, status, ticked)

    return run_in_transaction(uow_factory=uow_factory, clock=clock, actor=person.id, work=work)
