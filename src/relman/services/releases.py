"""Release use cases (issue 3 §3): plan, show, list, cancel, advance, re-bind to a new commit.

Keyword-only functions; each write is one transaction via `run_in_transaction` (see
`relman.services.lifecycle`), with its audit entries and automatic checklist ticks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from relman.domain.checklists import plan_checklists
from relman.domain.commits import find_tickets
from relman.domain.gates import GateStatus, decide_advance
from relman.domain.lifecycle import Action, decide_transition, list_allowed_actions
from relman.domain.planning import LeadTimeCheck, decide_lead_time
from relman.domain.policy import ReleasePolicy
from relman.domain.releases import (
    ChecklistItem,
    Evidence,
    Phase,
    Release,
    SignOff,
    Waiver,
)
from relman.domain.schemes import get_scheme
from relman.domain.signoffs import OverdueApproval, list_overdue_approvals, mark_invalidated
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
from relman.services.versioning import compute_next, get_current_version

if TYPE_CHECKING:
    from relman.domain.components import Component, VersioningPolicy
    from relman.ports import Clock, GitRepo, UnitOfWork, UnitOfWorkFactory


# --- plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The commits and tickets a release ships: each component's last release tag..HEAD."""

    commits: tuple[str, ...]
    tickets: tuple[str, ...]
    ranges: tuple[str, ...]


@dataclass(frozen=True)
class PlannedRelease:
    release: Release
    lead_time: LeadTimeCheck
    scope: Scope
    checklist_items: int
    auto_ticked: list[ChecklistItem]
    warnings: list[str] = field(default_factory=list)


def plan_release(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    git: GitRepo,
    versioning: VersioningPolicy,
    clock: Clock,
    actor: str,
    release_type: str,
    target_date: date,
    components: Sequence[str] = (),
    version: str = "auto",
    title: str = "",
    force_lead_time: bool = False,
    override_reason: str = "",
) -> PlannedRelease:
    """Create the release record at HEAD with its scope and checklists (J-003 §2, §3.1).

    Refuses (BlockedError naming the earliest allowed date) a target date inside the release
    type's minimum lead time, unless ``force_lead_time`` with an ``override_reason``, which the
    audit log records as an override.
    """
    planner = get_actor(policy, actor)
    type_policy = policy.get_release_type(release_type)
    comps = _get_components(versioning, components)
    if force_lead_time and not override_reason.strip():
        raise InvalidInputError(
            "--force-lead-time needs --override-reason saying why", where="--override-reason"
        )
    check = decide_lead_time(
        type_policy, now=clock.now(), target_date=target_date, override=force_lead_time
    )
    head = git.resolve("HEAD")
    warnings = [check.message] if check.state in ("warn", "long") else []
    chosen, note = _choose_version(
        git,
        versioning=versioning,
        comps=comps,
        release_type=release_type,
        version=version,
        head=head,
    )
    warnings += [note] if note else []
    scope = compute_scope(git, versioning, comps, head)

    def work(tx: Tx) -> PlannedRelease:
        release = Release(
            id=tx.uow.releases.next_id(),
            title=title.strip() or f"{release_type.capitalize()} release {chosen}",
            release_type=type_policy.name,
            version=chosen,
            components=tuple(c.name for c in comps if c.name is not None),
            phase=Phase.PLAN,
            planned_by=planner.id,
            target_date=target_date,
            created_at=tx.at,
            commit_sha=head,
            scope_commits=scope.commits,
            scope_tickets=scope.tickets,
            revision=1,
        )
        tx.writing = True
        tx.uow.releases.add(release)
        items = plan_checklists(release, policy)
        for item in items:
            tx.uow.checklists.add(item)
        tx.record(
            "release.plan",
            release.id,
            after={
                "release": release,
                "checklists": sorted({i.checklist_id for i in items}),
                "lead_time": check.message,
            },
        )
        if check.state == "overridden":
            tx.record(
                "release.override",
                release.id,
                after={
                    "rule": "lead_time",
                    "reason": override_reason.strip(),
                    "check": check.message,
                    "lead_time_seconds": int(check.lead_time.total_seconds()),
                },
            )
        ticked = apply_auto_ticks(tx, release, policy)
        return PlannedRelease(release, check, scope, len(items), ticked, warnings)

    return run_in_transaction(uow_factory=uow_factory, clock=clock, actor=planner.id, work=work)


def _get_components(versioning: VersioningPolicy, names: Sequence[str]) -> list[Component]:
    if not names:
        return [versioning.default_component]
    unique = list(dict.fromkeys(n.strip() for n in names))
    return [versioning.get_component(name) for name in unique]


def _choose_version(
    git: GitRepo,
    *,
    versioning: VersioningPolicy,
    comps: Sequence[Component],
    release_type: str,
    version: str,
    head: str,
) -> tuple[str, str | None]:
    """(version, warning): a given version validated by the component's scheme, or ``auto``."""
    scheme = comps[0].scheme if len(comps) == 1 else "semver"
    text = version.strip()
    if text.lower() != "auto":
        if scheme == "semver" and text[:1] in "vV" and text[1:2].isdigit():
            text = text[1:]  # people write tags: v1.4.0
        return get_scheme(scheme).validate(text), None
    if len(comps) > 1:
        raise InvalidInputError(
            "--version auto works for one component at a time; give --version for "
            f"{', '.join(c.label for c in comps)}",
            where="--version",
        )
    comp = comps[0]
    if release_type == "hotfix":
        current = get_current_version(git=git, policy=versioning, component=comp.name, ref=head)
        latest = current.version
        on_hotfix = latest is not None and latest.prerelease[:1] == ("hotfix",)
        base = latest if on_hotfix else current.last_final
        if base is None:
            raise InvalidInputError(
                f"a hotfix needs a released version of {comp.label} to fix; none is tagged",
                where="--version",
                hint="give --version explicitly",
            )
        return str(base.bump("hotfix")), None  # 1.4.0 -> 1.4.1-hotfix.1 -> 1.4.1-hotfix.2
    nxt = compute_next(git=git, policy=versioning, component=comp.name, ref="HEAD")
    chosen = str(nxt.next if nxt.next is not None else versioning.initial_version)
    note = None
    if str(nxt.bump) != release_type:
        note = (
            f"the commits in {nxt.range} call for a {nxt.bump} bump, planned as a "
            f"{release_type} release ({chosen})"
        )
    return chosen, note


def compute_scope(
    git: GitRepo, versioning: VersioningPolicy, comps: Sequence[Component], head: str
) -> Scope:
    """Commits (newest first) and tickets since each component's last final release tag."""
    commits: dict[str, None] = {}
    tickets: dict[str, None] = {}
    ranges = []
    patterns = versioning.commit_policy.ticket_patterns
    for comp in comps:
        current = get_current_version(git=git, policy=versioning, component=comp.name, ref=head)
        base = current.last_final_sha
        revs = [head] if base is None else [f"^{base}", head]
        ranges.append(f"{current.last_final_tag}..{head[:12]}" if base else f"..{head[:12]}")
        for raw in git.iter_commits(revs, comp.paths):
            commits.setdefault(raw.sha)
            for ticket in find_tickets(raw.message, patterns):
                tickets.setdefault(ticket)
    return Scope(tuple(commits), tuple(tickets), tuple(ranges))


# --- show / list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseDetails:
    """One release with everything recorded against it, as ``relman release show`` prints it."""

    release: Release
    gates: list[GateStatus]
    signoffs: list[SignOff]  # invalidated ones marked
    evidence: list[Evidence]
    items: list[ChecklistItem]
    waivers: list[Waiver]
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
            waivers=list(recorded.waivers),
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
    every sign-off given for the old commit is invalidated (shown as such)."""
    person = get_actor(policy, actor)
    sha = git.resolve(ref)
    # git runs before the transaction: no database lock is held while it reads history
    seen = read(uow_factory, lambda uow: uow.releases.get(release_id))
    decide_transition(seen.phase, Action.UPDATE_COMMIT)
    scope = compute_scope(git, versioning, _get_components(versioning, seen.components), sha)

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
        tx.record(
            "release.commit",
            release.id,
            before=release,
            after={"release": updated, "invalidated_signoffs": count},
        )
        apply_auto_ticks(tx, updated, policy)
        return Rebound(updated, release.commit_sha, count, changed=True)

    return run_in_transaction(uow_factory=uow_factory, clock=clock, actor=person.id, work=work)
