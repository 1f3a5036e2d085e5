"""The lifecycle link of Git Flow: release and hotfix start/finish link to the release record.

When the release store exists (`FlowRecords.find_store_revision`: the database already holds
relman's schema; ``flow`` never creates one), ``release|hotfix start`` links the open record
of that version to the branch and binds it to the bump commit, and ``finish`` binds it to the
tagged merge commit on main. When no open record has that version, one is created with
`relman.services.planning.plan_release` (release type from the version bump, target date
today + the type's minimum lead time unless given).

The order keeps git and the record consistent:

1. `prepare_record`, before any git step: refuses bad input (an unknown ``--release``, a
   record of another version, an unknown person, a target date inside a refused lead time)
   so that nothing changes; a dry run prints the `RecordPlan`.
2. the git plan runs; when it fails it restores the repository and no record is touched.
3. `apply_record`, after git succeeded. A failure here cannot undo the git work, so it is
   returned as a warning naming ``relman flow link REF``, which does the same by hand.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from relman.domain.lifecycle import Action, list_allowed_actions
from relman.domain.planning import decide_lead_time
from relman.domain.releases import Release
from relman.errors import ConflictError, IntegrationError, InvalidInputError, NotFoundError
from relman.services.flow_events import FlowEvent, PinnedGit, compute_ref_event
from relman.services.lifecycle import Lifecycle, Tx, get_actor, read, run_in_transaction

if TYPE_CHECKING:
    from relman.domain.components import VersioningPolicy
    from relman.domain.flow import FlowPolicy
    from relman.ports import GitRepo, StateStore, UnitOfWork

CREATE, LINK, SKIP = "create", "link", "skip"


@dataclass(frozen=True)
class RecordOptions:
    """``--record/--no-record``, ``--release ID``, ``--as PERSON``, ``--target-date``."""

    enabled: bool = True
    release_id: str | None = None
    actor: str | None = None
    target_date: date | None = None


@dataclass(frozen=True)
class FlowRecords:
    """The release store as the flow commands see it (``services.flow_records``).

    ``open_lifecycle`` is called only once the store is known to exist: wiring the lifecycle
    opens (and would create) the database.
    """

    store: StateStore
    open_lifecycle: Callable[[], Lifecycle]

    def find_store_revision(self) -> str | None:
        """The schema revision of an existing store; None when there is no store (a missing
        SQLite file, or a database without relman's tables). Creates nothing."""
        try:
            return self.store.current_revision()
        except IntegrationError as exc:
            raise IntegrationError(
                exc.message,
                where=exc.where,
                hint="start the database, or pass --no-record to run the workflow without "
                "the release record",
            ) from exc


@dataclass(frozen=True)
class RecordPlan:
    """What the record work will do (printed by a dry run)."""

    action: str  # create | link | skip
    detail: str
    release_id: str | None = None
    release_type: str | None = None
    target_date: date | None = None
    actor: str | None = None
    rebind: bool = False  # the record's commit moves to the workflow's commit
    command: str | None = None  # how to do it by hand when skipped for want of a person

    @property
    def shown(self) -> bool:
        """Worth telling people: not a quiet skip (``--no-record``, no store)."""
        return self.action != SKIP or self.command is not None

    def to_dict(self) -> dict[str, object]:
        return {
            "action": self.action,
            "detail": self.detail,
            "release_id": self.release_id,
            "release_type": self.release_type,
            "target_date": self.target_date.isoformat() if self.target_date else None,
            "actor": self.actor,
            "rebind": self.rebind,
            "command": self.command,
        }


@dataclass(frozen=True)
class RecordOutcome:
    """The record work after the git workflow: done, skipped, or failed (``warning``)."""

    plan: RecordPlan
    done: bool = False
    release_id: str | None = None
    commit_sha: str | None = None
    messages: tuple[str, ...] = ()
    warning: str | None = None
    command: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            **self.plan.to_dict(),
            "done": self.done,
            "release_id": self.release_id or self.plan.release_id,
            "commit_sha": self.commit_sha,
            "messages": list(self.messages),
            "warning": self.warning,
            "command": self.command or self.plan.command,
        }


def compute_link_command(event: FlowEvent, release_id: str | None, actor: str | None) -> str:
    """``relman flow link REF [--release ID] --as PERSON``: the record work, by hand."""
    argv = ["relman", "flow", "link", event.ref]
    if release_id:
        argv += ["--release", release_id]
    return " ".join([*map(shlex.quote, argv), "--as", shlex.quote(actor) if actor else "PERSON"])


# ------------------------------------------------------------------ before git


def prepare_record(
    *, records: FlowRecords, event: FlowEvent, options: RecordOptions, explicit: bool = False
) -> RecordPlan:
    """Decide the record work before git runs; raise for bad input (nothing changed yet).

    ``explicit`` (``relman flow link``): a missing store or person is an error, not a skip.
    """
    if options.release_id and not options.enabled:
        raise InvalidInputError(
            "--release and --no-record contradict each other", where="--release"
        )
    if not options.enabled:
        return RecordPlan(SKIP, "skipped (--no-record)")
    url = records.store.url
    if records.find_store_revision() is None:
        if options.release_id or explicit:
            what = f"link {options.release_id}" if options.release_id else "link a record"
            raise NotFoundError(
                f"there is no release store to {what}: relman has no database at {url}",
                where=url,
                hint="plan the release first (relman release plan), or set RELMAN_DATABASE_URL "
                "to the team's database",
            )
        return RecordPlan(SKIP, f"no release store ({url}): no record linked")
    lc = records.open_lifecycle()
    given = explicit or (options.actor is not None and bool(options.actor.strip()))
    person = get_actor(lc.policy, options.actor).id if given else None
    release = _find_release(lc, event, options.release_id)
    if release is not None:
        return _plan_link(release, event, person)
    if person is None:
        return RecordPlan(
            SKIP,
            f"no open release record for {event.version} and no person to plan one "
            "(pass --as PERSON or set RELMAN_ACTOR)",
            command=compute_link_command(event, None, None),
        )
    type_policy = lc.policy.get_release_type(event.release_type)
    now = lc.clock.now()
    target = options.target_date or (now + type_policy.lead_time_min).date()
    check = decide_lead_time(type_policy, now=now, target_date=target)  # refuses before git
    return RecordPlan(
        CREATE,
        f"create a {event.release_type} release record for {event.version} bound to "
        f"{event.ref} (target {target.isoformat()}, planned by {person}; {check.message})",
        release_type=event.release_type,
        target_date=target,
        actor=person,
        rebind=True,
    )


def _plan_link(release: Release, event: FlowEvent, person: str | None) -> RecordPlan:
    rebind = Action.UPDATE_COMMIT in list_allowed_actions(release.phase)
    what = f"{release.id} ({release.release_type} {release.version}, {release.phase.value})"
    if person is None:
        return RecordPlan(
            SKIP,
            f"not linking {what}: no person (pass --as PERSON or set RELMAN_ACTOR)",
            release_id=release.id,
            command=compute_link_command(event, release.id, None),
        )
    bind = (
        "bind it to that commit"
        if rebind
        else f"keep its commit (a {release.phase.value} release takes no new commit)"
    )
    return RecordPlan(
        LINK,
        f"link {what} to {event.ref} and {bind}",
        release_id=release.id,
        release_type=release.release_type,
        actor=person,
        rebind=rebind,
    )


def _find_release(lc: Lifecycle, event: FlowEvent, release_id: str | None) -> Release | None:
    """The record to link: ``--release ID`` (checked), else the one open record of the version."""
    wanted = _normalise(event.version)
    if release_id:
        release = read(lc.uow_factory, lambda uow: uow.releases.get(release_id.strip()))
        if release.phase.is_terminal:
            raise ConflictError(
                f"release {release.id} is {release.phase.value}: a finished record takes no link",
                where=release.id,
                hint="plan a new release, or leave out --release to create one",
            )
        if _normalise(release.version) != wanted:
            raise ConflictError(
                f"release {release.id} is version {release.version}, the {event.kind} is "
                f"{event.version}",
                where=release.id,
                hint=f"pass the record of {event.version}, or leave out --release",
            )
        return release

    def open_of_version(uow: UnitOfWork) -> list[Release]:
        return [
            r
            for r in uow.releases.list()
            if not r.phase.is_terminal and _normalise(r.version) == wanted
        ]

    found = read(lc.uow_factory, open_of_version)
    if len(found) > 1:
        ids = ", ".join(r.id for r in found)
        raise ConflictError(
            f"{len(found)} open release records have version {event.version}: {ids}",
            where=event.ref,
            hint="choose one with --release ID (or skip the record with --no-record)",
        )
    return found[0] if found else None


def _normalise(version: str) -> str:
    text = version.strip()
    return text[1:] if text[:1] in "vV" and text[1:2].isdigit() else text


# ------------------------------------------------------------------ after git


def apply_record(
    *, records: FlowRecords, git: GitRepo, event: FlowEvent, plan: RecordPlan
) -> RecordOutcome:
    """Do the record work after the git workflow succeeded; a failure becomes a warning."""
    if plan.action == SKIP:
        return RecordOutcome(plan, command=plan.command)
    progress: list[str] = []
    try:
        return _apply(records, git, event, plan, progress)
    except Exception as exc:  # the git part is done: report, never raise
        release_id = progress[0] if progress else plan.release_id
        return RecordOutcome(
            plan,
            release_id=release_id,
            warning=(
                f"the {event.kind} {event.stage} succeeded in git, but the release record was "
                f"not updated: {exc}"
            ),
            command=compute_link_command(event, release_id, plan.actor),
        )


def _apply(
    records: FlowRecords, git: GitRepo, event: FlowEvent, plan: RecordPlan, progress: list[str]
) -> RecordOutcome:
    """The record work; ``progress`` gets the id of a record created before a later failure."""
    lc = records.open_lifecycle()
    sha = git.resolve(event.ref)
    # plan/commit at the workflow's commit, with the release's own tag hidden so that its
    # scope runs from the previous release (not from the tag just made)
    pinned = PinnedGit(git, head=sha, hidden_tags=frozenset({event.tag}))
    messages: list[str] = []
    release_id = plan.release_id
    if plan.action == CREATE:
        release_id = _create(lc, pinned, event, plan, messages)
        progress.append(release_id)
    elif plan.rebind and release_id is not None:
        _rebind(lc, pinned, release_id, plan, messages)
    else:
        messages.append(f"{release_id} keeps its commit: its phase takes no new commit")
    if release_id is None:  # pragma: no cover - a link plan always names its record
        raise NotFoundError("no release record to link", where=event.ref)
    _record_link(lc, release_id, event, sha, plan)
    messages.append(f"linked {release_id} to {event.ref} ({event.audit_action})")
    return RecordOutcome(
        plan, done=True, release_id=release_id, commit_sha=sha, messages=tuple(messages)
    )


def _create(
    lc: Lifecycle, git: GitRepo, event: FlowEvent, plan: RecordPlan, messages: list[str]
) -> str:
    from relman.services.planning import plan_release

    assert plan.actor is not None and plan.target_date is not None
    planned = plan_release(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        git=git,
        versioning=lc.versioning,
        clock=lc.clock,
        actor=plan.actor,
        release_type=event.release_type,
        target_date=plan.target_date,
        version=event.version,
    )
    release = planned.release
    messages.append(
        f"created {release.id}: {release.title}, target {release.target_date.isoformat()}, "
        f"commit {(release.commit_sha or '')[:12]}, {len(release.scope_commits)} commits in scope"
    )
    messages.extend(planned.warnings)
    return release.id


def _rebind(
    lc: Lifecycle, git: GitRepo, release_id: str, plan: RecordPlan, messages: list[str]
) -> None:
    from relman.services.releases import update_commit

    assert plan.actor is not None
    done = update_commit(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        git=git,
        versioning=lc.versioning,
        clock=lc.clock,
        release_id=release_id,
        actor=plan.actor,
        ref="HEAD",
    )
    sha = (done.release.commit_sha or "")[:12]
    if not done.changed:
        messages.append(f"{release_id} is already bound to {sha}")
        return
    was = (done.previous_sha or "none")[:12]
    invalidated = f"; {done.invalidated} sign-off(s) invalidated" if done.invalidated else ""
    invalidated += f"; {done.stale_waivers} waiver(s) stale" if done.stale_waivers else ""
    messages.append(f"{release_id} bound to commit {sha} (was {was}){invalidated}")


def _record_link(
    lc: Lifecycle, release_id: str, event: FlowEvent, sha: str, plan: RecordPlan
) -> None:
    assert plan.actor is not None
    after = {
        "event": f"{event.kind} {event.stage}",
        "version": event.version,
        "branch": event.branch,
        "tag": event.tag,
        "ref": event.ref,
        "commit": sha,
    }

    def work(tx: Tx) -> None:
        tx.uow.releases.get(release_id)  # NotFoundError if it vanished meanwhile
        tx.record(event.audit_action, release_id, after=after)

    run_in_transaction(uow_factory=lc.uow_factory, clock=lc.clock, actor=plan.actor, work=work)


def link_ref(
    *,
    records: FlowRecords,
    git: GitRepo,
    policy: FlowPolicy,
    versioning: VersioningPolicy,
    ref: str,
    options: RecordOptions,
    dry_run: bool = False,
) -> RecordOutcome:
    """``relman flow link REF``: the record work of the start or finish that made REF, by hand
    (after a warning, or for a branch cut before the store existed). Errors are raised."""
    event = compute_ref_event(git=git, policy=policy, versioning=versioning, ref=ref)
    plan = prepare_record(records=records, event=event, options=options, explicit=True)
    if dry_run:
        return RecordOutcome(plan)
    return _apply(records, git, event, plan, [])
