"""Release use cases (issue 3 §3): show, list, cancel, advance, re-bind to a new commit.

Planning lives in `relman.services.planning`.

Keyword-only functions; each write is one transaction via `run_in_transaction` (see
`relman.services.lifecycle`), with its audit entries and automatic checklist ticks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relman.domain.gates import GateStatus, decide_advance
from relman.domain.lifecycle import Action, decide_transition, list_allowed_actions
from relman.domain.policy import ReleasePolicy
from relman.domain.releases import ChecklistItem, Evidence, Phase, Release, SignOff, Waiver
from relman.domain.signoffs import (
    OverdueApproval,
    list_overdue_approvals,
    mark_invalidated,
    mark_stale_waivers,
)
from relman.errors import InvalidInputError
from relman.services.lifecycle import (
    Tx,
    apply_auto_ticks,
    evaluate_gates,
    get_actor,
    load_recorded,
    read,
    run_in_transaction,
)
from relman.services.planning import compute_scope, get_components

if TYPE_CHECKING:
    from relman.domain.components import VersioningPolicy
    from relman.ports import Clock, GitRepo, UnitOfWork, UnitOfWorkFactory


# --- show / list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseDetails:
    """One release with everything recorded against it, as ``relman release show`` prints it."""

    release: Release
    gates: list[GateStatus]
    signoffs: list[SignOff]  # invalidated ones marked
    evidence: list[Evidence]
    items: list[ChecklistItem]
    waivers: list[Waiver]  # stale ones marked invalidated
    allowed_actions: list[str]
    next_gates: list[str]  # the gates guarding the next phase


def get_release_details(
    *, uow_factory: UnitOfWorkFactory, policy: ReleasePolicy, clock: Clock, release_id: str
) -> ReleaseDetails:
    now = clock.now()

    def work(uow: UnitOfWork) -> ReleaseDetails:
        release = uow.releases.get(release_id)
        recorded = load_recorded(uow, release_id)
        return ReleaseDetails(
            release=release,
            gates=evaluate_gates(release, policy, recorded, now),
            signoffs=mark_invalidated(recorded.signoffs, release),
            evidence=list(recorded.evidence),
            items=list(recorded.items),
            waivers=mark_stale_waivers(recorded.waivers, release),
            allowed_actions=[a.value for a in list_allowed_actions(release.phase)],
            next_gates=list_next_gates(release, policy),
        )

    return read(uow_factory, work)


def list_next_gates(release: Release, policy: ReleasePolicy) -> list[str]:
    """The gates between the release's phase and the next one (none from a terminal phase)."""
    if release.phase.is_terminal:
        return []
    target = decide_transition(release.phase, Action.ADVANCE)
    return [g.id for g in policy.list_gates_between(release.phase.value, target.value)]


def list_releases(
    *,
    uow_factory: UnitOfWorkFactory,
    phase: str | None = None,
    release_type: str | None = None,
) -> list[Release]:
    """Releases, oldest first, optionally in one phase and/or of one release type."""
    wanted = Phase.parse(phase) if phase else None

    def work(uow: UnitOfWork) -> list[Release]:
        found = uow.releases.list(phase=wanted)
        return [r for r in found if release_type is None or r.release_type == release_type]

    return read(uow_factory, work)


def list_overdue(
    *, uow_factory: UnitOfWorkFactory, policy: ReleasePolicy, clock: Clock
) -> list[OverdueApproval]:
    """Hotfix post-hoc approvals missing after their deadline (J-003 §2.3: 48 hours)."""
    now = clock.now()

    def work(uow: UnitOfWork) -> list[OverdueApproval]:
        releases = list(uow.releases.list())
        signoffs = [s for r in releases for s in uow.signoffs.list(r.id)]
        return list_overdue_approvals(releases, signoffs, policy=policy, now=now)

    return read(uow_factory, work)


# --- cancel / advance / commit --------------------------------------------------------------


def cancel_release(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    clock: Clock,
    release_id: str,
    actor: str,
    reason: str,
) -> Release:
    """Cancel an active release (PLAN..DEPLOY) with a reason; CANCELLED is terminal."""
    person = get_actor(policy, actor)
    if not reason.strip():
        raise InvalidInputError(f"cancelling {release_id} needs a reason", where="--reason")

    def work(tx: Tx) -> Release:
        release = tx.uow.releases.get(release_id)
        target = decide_transition(release.phase, Action.CANCEL)
        updated = tx.save_release(release, dataclasses.replace(release, phase=target))
        tx.record(
            "release.cancel",
            release.id,
            before=release,
            after={"release": updated, "reason": reason.strip()},
        )
        return updated

    return run_in_transaction(uow_factory=uow_factory, clock=clock, actor=person.id, work=work)


@dataclass(frozen=True)
class Advanced:
    release: Release
    from_phase: Phase
    gates: list[GateStatus]
    auto_ticked: list[ChecklistItem]


def advance_release(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    clock: Clock,
    release_id: str,
    actor: str,
) -> Advanced:
    """Move to the next phase when every gate in between passes; BlockedError listing every
    unmet criterion and missing sign-off otherwise."""
    person = get_actor(policy, actor)

    def work(tx: Tx) -> Advanced:
        release = tx.uow.releases.get(release_id)
        recorded = load_recorded(tx.uow, release_id)
        decision = decide_advance(
            release=release,
            policy=policy,
            evidence=recorded.evidence,
            signoffs=recorded.signoffs,
            checklist_items=recorded.items,
            waivers=recorded.waivers,
            now=tx.at,
            events=recorded.events,
        )
        moved = dataclasses.replace(release, phase=decision.to_phase)
        updated = tx.save_release(release, moved)
        tx.record(
            "release.advance",
            release.id,
            before=release,
            after={"release": updated, "gates": [g.gate for g in decision.gates]},
        )
        ticked = apply_auto_ticks(tx, updated, policy)
        return Advanced(updated, release.phase, decision.gates, ticked)

    return run_in_transaction(uow_factory=uow_factory, clock=clock, actor=person.id, work=work)


@dataclass(frozen=True)
class Rebound:
    release: Release
    previous_sha: str | None
    invalidated: int  # sign-offs that no longer count
    changed: bool
    stale_waivers: int = 0  # waivers that no longer count: to be granted again


def update_commit(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    git: GitRepo,
    versioning: VersioningPolicy,
    clock: Clock,
    release_id: str,
    actor: str,
    ref: str = "HEAD",
) -> Rebound:
    """Bind the release to a new build commit (PLAN, BUILD, TEST): its scope is recomputed and
    every sign-off and waiver given for the old commit is invalidated (shown as such)."""
    person = get_actor(policy, actor)
    sha = git.resolve(ref)
    # git runs before the transaction: no database lock is held while it reads history
    seen = read(uow_factory, lambda uow: uow.releases.get(release_id))
    decide_transition(seen.phase, Action.UPDATE_COMMIT)
    scope = compute_scope(git, versioning, get_components(versioning, seen.components), sha)

    def work(tx: Tx) -> Rebound:
        release = tx.uow.releases.get(release_id)
        decide_transition(release.phase, Action.UPDATE_COMMIT)
        if release.commit_sha == sha:
            return Rebound(release, sha, 0, changed=False)
        moved = dataclasses.replace(
            release, commit_sha=sha, scope_commits=scope.commits, scope_tickets=scope.tickets
        )
        updated = tx.save_release(release, moved)
        count = tx.uow.signoffs.invalidate(release.id, keep_commit=sha)
        stale = tx.uow.waivers.invalidate(release.id, keep_commit=sha)
        tx.record(
            "release.commit",
            release.id,
            before=release,
            after={
                "release": updated,
                "invalidated_signoffs": count,
                "invalidated_waivers": stale,
            },
        )
        apply_auto_ticks(tx, updated, policy)
        return Rebound(updated, release.commit_sha, count, changed=True, stale_waivers=stale)

    return run_in_transaction(uow_factory=uow_factory, clock=clock, actor=person.id, work=work)
