"""Planning a release (issue 3 §3, J-003 §2): version, scope, lead time, checklists.

`plan_release` creates the record at HEAD; `compute_scope` is also used when a release is
re-bound to a new build commit (`relman.services.releases.update_commit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from relman.domain.checklists import plan_checklists
from relman.domain.commits import find_tickets
from relman.domain.planning import (
    LeadTimeCheck,
    SpentVersion,
    decide_lead_time,
    decide_unspent_version,
    list_spent_versions,
    normalize_version_text,
)
from relman.domain.policy import ReleasePolicy
from relman.domain.releases import ChecklistItem, Phase, Release
from relman.domain.schemes import get_scheme
from relman.domain.versions import Bump, Version
from relman.errors import ConflictError, InvalidInputError, NotFoundError
from relman.services.lifecycle import Tx, apply_auto_ticks, get_actor, run_in_transaction
from relman.services.production import compute_next_hotfix
from relman.services.versioning import compute_next, get_current_version

if TYPE_CHECKING:
    from relman.domain.components import Component, VersioningPolicy
    from relman.ports import Clock, GitRepo, UnitOfWork, UnitOfWorkFactory


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
    comps = get_components(versioning, components)
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

    auto = version.strip().lower() == "auto"
    names = tuple(c.name for c in comps if c.name is not None)

    def work(tx: Tx) -> PlannedRelease:
        fresh, skipped = find_unspent_version(tx.uow, chosen, components=names, auto=auto)
        notes = [
            *warnings,
            *([describe_skipped(skipped, f"planned as {fresh}")] if skipped else []),
        ]
        release = Release(
            id=tx.uow.releases.next_id(),
            title=title.strip() or f"{release_type.capitalize()} release {fresh}",
            release_type=type_policy.name,
            version=fresh,
            components=names,
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
        return PlannedRelease(release, check, scope, len(items), ticked, notes)

    return run_in_transaction(uow_factory=uow_factory, clock=clock, actor=planner.id, work=work)


def find_unspent_version(
    uow: UnitOfWork, chosen: str, *, components: tuple[str, ...], auto: bool
) -> tuple[str, tuple[SpentVersion, ...]]:
    """``chosen`` unless it is spent (rolled back, or built already: a version is one build),
    and the spent versions passed over.

    ``auto`` (``--version auto``, ``flow release start auto``) moves on to the next free
    version; a version given explicitly is refused (ConflictError naming the release that spent
    it, ``where`` ``--version``).
    """
    spent = list_spent_versions(uow.releases.list(), uow.deployments.list(), components=components)
    found = spent.get(normalize_version_text(chosen))
    if found is None:
        return chosen, ()
    if not auto:
        raise ConflictError(
            f"version {found.describe()}: a version is one build, and its artifact is already "
            "installed (immutable) on the targets",
            where="--version",
            hint="plan the next version, or --version auto to skip it",
        )
    fresh, skipped = decide_unspent_version(Version.parse(chosen), spent)
    return str(fresh), skipped


def find_spent_version(
    uow: UnitOfWork, version: str, *, components: tuple[str, ...] = ()
) -> SpentVersion | None:
    """Why ``version`` is spent (rolled back, or built already), or None when it is free."""
    spent = list_spent_versions(uow.releases.list(), uow.deployments.list(), components=components)
    return spent.get(normalize_version_text(version))


def describe_skipped(skipped: Sequence[SpentVersion], outcome: str) -> str:
    """``version 1.3.1 was rolled back (R-1): planned as 1.3.2 instead``."""
    return "; ".join(f"version {s.describe()}" for s in skipped) + f": {outcome} instead"


def get_components(versioning: VersioningPolicy, names: Sequence[str]) -> list[Component]:
    """The named components (NotFoundError for an unknown one); none: the whole repository."""
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
        # the rule `relman flow hotfix start` follows: on the latest production tag of main
        ref = find_production_ref(git, versioning, head)
        try:
            hotfix = compute_next_hotfix(
                git=git,
                tag_format=comp.tag_format,
                hotfix_token=versioning.hotfix_token,
                ref=ref,
            )
        except NotFoundError as exc:
            raise InvalidInputError(
                f"a hotfix needs a released version of {comp.label} to fix; none is tagged",
                where="--version",
                hint="give --version explicitly",
            ) from exc
        return str(hotfix.next), None  # 1.4.0 -> 1.4.1-hotfix.1 -> 1.4.1-hotfix.2
    # J-003 §2: the release type decides the version change (major X.0.0, minor x.Y.0,
    # patch x.y.Z); the commits may ask for less, never for more.
    nxt = compute_next(git=git, policy=versioning, component=comp.name, ref="HEAD")
    wanted = Bump.parse(release_type)
    if nxt.bump > wanted:
        raise InvalidInputError(
            f"the commits in {nxt.range} call for a {nxt.bump} bump: a {release_type} "
            "release cannot carry them",
            where="--type",
            hint=f"plan a {nxt.bump} release, or give --version explicitly",
        )
    base = get_current_version(git=git, policy=versioning, component=comp.name).last_final
    chosen = str(base.bump(release_type) if base is not None else versioning.initial_version)
    note = None
    if nxt.bump != wanted:
        note = (
            f"the commits in {nxt.range} call for a {nxt.bump} bump, planned as a "
            f"{release_type} release ({chosen})"
        )
    return chosen, note


def find_production_ref(git: GitRepo, versioning: VersioningPolicy, head: str) -> str:
    """Where production is: the production branch (Git Flow's main) when the repository has
    it, else ``head``."""
    branch = versioning.production_branch
    if branch:
        try:
            return git.resolve(f"refs/heads/{branch}")
        except NotFoundError:
            pass
    return head


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
