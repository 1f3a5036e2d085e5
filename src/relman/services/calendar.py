"""Calendar use cases (J-003 §12): import a schedule, show and check the calendar, find the next
legal slot, request an emergency override and ask whether a deployment may start now.

`check_deployment_window` is what the deployment engine calls before it starts: it loads the
windows, the freezes (policy + imported calendars), the release's active emergency override
and the override approvals (the release's valid sign-offs by ``emergency.override_roles``),
and returns `relman.domain.windows.decide_deployment_slot`'s decision (``.require()`` raises).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from relman.domain.calendar import (
    CalendarItem,
    Conflict,
    ScheduleEntry,
    compute_conflicts,
    merge_entries,
    plan_calendar,
)
from relman.domain.incidents import Incident
from relman.domain.lifecycle import compute_phase_order
from relman.domain.policy import ReleasePolicy
from relman.domain.releases import Phase, Release
from relman.domain.signoffs import is_signoff_valid
from relman.domain.window_policy import resolve_local_time
from relman.domain.windows import (
    EmergencyOverride,
    Freeze,
    NextSlot,
    OverrideApproval,
    WindowDecision,
    WindowPolicy,
    compute_next_slot,
    decide_deployment_slot,
    plan_override,
)
from relman.errors import BlockedError, InvalidInputError
from relman.services.lifecycle import Tx, evaluate_gates, get_actor, load_recorded, read
from relman.services.lifecycle import run_in_transaction as _run

if TYPE_CHECKING:
    from relman.policy_settings.calendar import ImportedCalendar
    from relman.ports import Clock, UnitOfWork, UnitOfWorkFactory
    from relman.services.notifications import Notifications


class IcsWriter(Protocol):
    """Writes calendar items as RFC 5545 iCalendar (`relman.adapters.ics.IcsCalendarWriter`)."""

    def render(self, items: Sequence[CalendarItem], *, name: str, stamp: datetime) -> str: ...


@dataclass(frozen=True)
class Calendar:
    """What the calendar use cases need, wired by `relman.bootstrap` (``services.calendar``)."""

    uow_factory: UnitOfWorkFactory
    policy: ReleasePolicy
    windows: WindowPolicy  # §12.4, without the imported phase windows
    freezes: tuple[Freeze, ...]  # from the policy file
    clock: Clock
    promotion_order: tuple[str, ...] = ("dev", "qa", "staging", "prod")
    open_notifications: Callable[[], Notifications | None] = lambda: None


MAX_WINDOW_DAYS = 731
"""The longest range (days) whose window openings are listed."""


@dataclass(frozen=True)
class Schedule:
    """Everything the calendar is judged on, as stored now."""

    windows: WindowPolicy  # with the imported phase windows
    freezes: tuple[Freeze, ...]
    entries: list[ScheduleEntry]


def load_schedule(uow: UnitOfWork, cal: Calendar) -> Schedule:
    phases = uow.calendar.list_phases()
    freezes = (*cal.freezes, *uow.calendar.list_freezes())
    entries = merge_entries(uow.calendar.list_entries(), uow.releases.list())
    return Schedule(cal.windows.with_phases(phases), freezes, entries)


# --- import / show / check ------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    source: str
    entries: int
    phases: int
    freezes: int
    conflicts: list[Conflict]


def load_calendar(path: Path, cal: Calendar) -> ImportedCalendar:
    """Read and validate a calendar file (nothing is stored)."""
    from relman.policy_settings.calendar import load_calendar_file

    return load_calendar_file(path, tz=cal.windows.timezone)


def import_calendar(cal: Calendar, imported: ImportedCalendar, *, actor: str) -> ImportResult:
    """Store a calendar in one transaction, replacing an earlier import of the same file."""
    person = get_actor(cal.policy, actor)
    for entry in imported.entries:
        cal.windows.find_environment(entry.environment)  # NotFoundError for a typo

    def work(tx: Tx) -> ImportResult:
        tx.writing = True
        tx.uow.calendar.replace_schedule(
            source=imported.source,
            entries=imported.entries,
            phases=imported.phases,
            freezes=imported.freezes,
        )
        tx.record(
            "calendar.import",
            f"calendar:{imported.source}",
            after={
                "name": imported.name,
                "entries": [e.key for e in imported.entries],
                "phases": [p.name for p in imported.phases],
                "freezes": [f.describe() for f in imported.freezes],
            },
        )
        found = _conflicts(load_schedule(tx.uow, cal), cal)
        return ImportResult(
            imported.source,
            len(imported.entries),
            len(imported.phases),
            len(imported.freezes),
            found,
        )

    return _run(uow_factory=cal.uow_factory, clock=cal.clock, actor=person.id, work=work)


def _conflicts(schedule: Schedule, cal: Calendar) -> list[Conflict]:
    return compute_conflicts(
        schedule.entries,
        windows=schedule.windows,
        freezes=schedule.freezes,
        release_types=cal.policy.release_types,
    )


def check_calendar(cal: Calendar) -> list[Conflict]:
    """Every conflict of the stored calendar and the planned releases (J-003 §12)."""
    return _conflicts(read(cal.uow_factory, lambda uow: load_schedule(uow, cal)), cal)


def show_calendar(
    cal: Calendar,
    *,
    start: date,
    end: date,
    environments: Sequence[str] = (),
    include_windows: bool = True,
) -> list[CalendarItem]:
    """Planned releases, window openings and freezes from ``start`` to ``end`` (inclusive)."""
    for env in environments:
        cal.windows.find_environment(env)
    if include_windows and (end - start).days > MAX_WINDOW_DAYS:
        raise InvalidInputError(
            f"{start} .. {end} is more than {MAX_WINDOW_DAYS} days of deployment windows: "
            "choose a shorter range",
            where="--to",
        )
    schedule = read(cal.uow_factory, lambda uow: load_schedule(uow, cal))
    zone = cal.windows.zone
    return plan_calendar(
        start=resolve_local_time(start, 0, zone, latest=False),
        end=resolve_local_time(end + timedelta(days=1), 0, zone, latest=False),
        windows=schedule.windows,
        freezes=schedule.freezes,
        entries=schedule.entries,
        release_types=cal.policy.release_types,
        environments=list(environments) or None,
        include_windows=include_windows,
    )


# --- next slot ------------------------------------------------------------------------------


def list_required_gates(cal: Calendar, environment: str) -> list[str]:
    """The gates a release passes before it deploys to ``environment``: into TEST for the
    second environment of the promotion path (QA), into DEPLOY for the one before production
    (staging), every gate up to VERIFY for production; none for the first one (dev)."""
    order = list(cal.promotion_order)
    if environment not in order or order.index(environment) == 0:
        return []
    targets = (Phase.TEST, Phase.DEPLOY, Phase.VERIFY)
    steps_from_end = len(order) - 1 - order.index(environment)
    limit = targets[max(0, len(targets) - 1 - steps_from_end)]
    return [
        g.id
        for g in cal.policy.gates
        if compute_phase_order(Phase(g.to_phase)) <= compute_phase_order(limit)
    ]


def compute_release_slot(
    cal: Calendar, *, release_id: str, environment: str, duration: timedelta | None = None
) -> NextSlot:
    """The earliest legal deployment slot of a release in an environment."""
    now = cal.clock.now()

    def work(uow: UnitOfWork) -> NextSlot:
        release = uow.releases.get(release_id)
        schedule = load_schedule(uow, cal)
        kind = cal.policy.get_release_type(release.release_type)
        statuses = evaluate_gates(
            release,
            cal.policy,
            load_recorded(uow, release_id),
            now,
            list_required_gates(cal, environment),
        )
        windows = schedule.windows if _is_scheduled(release, schedule) else cal.windows
        return compute_next_slot(
            release,
            environment,
            now=now,
            windows=windows,
            freezes=schedule.freezes,
            lead_time=kind.lead_time_min,
            testing_period=kind.testing_period_min,
            pending_gates=[s.gate for s in statuses if not s.passed],
            window_class=kind.window_class,
            expected_duration=duration,
            testing_started_at=_testing_started(uow, release),
        )

    return read(cal.uow_factory, work)


def _is_scheduled(release: Release, schedule: Schedule) -> bool:
    """A release of an imported calendar deploys in its phase window (§12.2)."""
    return any(e.release_id == release.id and e.source != "release" for e in schedule.entries)


def _testing_started(uow: UnitOfWork, release: Release) -> datetime | None:
    if release.phase is not Phase.TEST:
        return None
    started = None
    for entry in uow.audit.list(subject=release.id):
        moved = (entry.after or {}).get("release")
        if (
            entry.action == "release.advance"
            and isinstance(moved, dict)
            and moved.get("phase") == Phase.TEST.value
        ):
            started = entry.at
    return started


# --- overrides and the window check ---------------------------------------------------------


def request_override(
    cal: Calendar,
    *,
    release_id: str,
    environment: str,
    reason: str,
    expires_in: timedelta,
    actor: str,
    incident_id: str | None = None,
) -> EmergencyOverride:
    """Grant an emergency override: only to a hotfix or a release with an open incident linked
    (BlockedError, exit 7, otherwise); audited and announced in the same transaction, to the
    incident's audience when there is one, else as ``override_granted``."""
    person = get_actor(cal.policy, actor)

    def work(tx: Tx) -> EmergencyOverride:
        release = tx.uow.releases.get(release_id)
        incident = tx.uow.incidents.get(incident_id) if incident_id else _incident_of(tx, release)
        if incident is not None and not incident.is_open:
            raise BlockedError(
                f"incident {incident.id} is closed: an emergency override needs an open "
                "incident (J-003 §12.4, §13)",
                where=f"release {release.id}",
            )
        planned = plan_override(
            release_id=release.id,
            release_type=cal.policy.get_release_type(release.release_type),
            environment=environment,
            reason=reason,
            requested_by=person.id,
            now=tx.at,
            expires_at=tx.at + expires_in,
            windows=cal.windows,
            incident_id=incident.id if incident is not None else None,
        )
        tx.writing = True
        stored = tx.uow.calendar.add_override(planned)
        tx.record("window.override", release.id, after=stored)
        _announce(cal, tx, release, incident, stored)
        return stored

    return _run(uow_factory=cal.uow_factory, clock=cal.clock, actor=person.id, work=work)


def _incident_of(tx: Tx, release: Release) -> Incident | None:
    found = [i for i in tx.uow.incidents.list(release_id=release.id) if i.is_open]
    return found[0] if found else None


def _announce(
    cal: Calendar, tx: Tx, release: Release, incident: Incident | None, o: EmergencyOverride
) -> None:
    notifications = cal.open_notifications()
    if notifications is None:
        return
    from relman.domain.notification_events import incident_updated, override_granted
    from relman.services.notifications import queue_notifications

    if incident is None:
        event = override_granted(
            release_id=o.release_id, release_type=release.release_type,
            environment=o.environment, at=tx.at, reason=o.reason, expires_at=o.expires_at,
            requested_by=o.requested_by, override_id=o.id,
        )  # fmt: skip
    else:
        text = (
            f"Emergency deployment of {o.release_id} to {o.environment} approved outside the "
            f"deployment windows until {o.expires_at:%Y-%m-%d %H:%M}: {o.reason}"
        )
        event = incident_updated(
            incident_id=incident.id, title=incident.title, severity=incident.severity,
            at=tx.at, update=text, status="fixing",
        )  # fmt: skip
    queue_notifications(tx.uow, event, notifications=notifications)


def list_override_approvals(
    uow: UnitOfWork, cal: Calendar, release: Release
) -> tuple[OverrideApproval, ...]:
    """The release's valid deployment approvals (sign-offs on the gates that need the release
    type's approvers: G6 Production Ready) by the roles that may approve an override."""
    roles = set(cal.windows.override_roles)
    gates = {g.id for g in cal.policy.gates if g.require_release_type_approvers}
    return tuple(
        OverrideApproval(s.person_id, s.role, s.at)
        for s in uow.signoffs.list(release.id)
        if s.decision == "approve"
        and s.gate in gates
        and s.role in roles
        and is_signoff_valid(s, release)
    )


def check_deployment_window(
    cal: Calendar,
    *,
    release_id: str,
    environment: str,
    at: datetime | None = None,
    duration: timedelta | None = None,
    rollback: bool = False,
) -> WindowDecision:
    """May ``release_id`` deploy to ``environment`` now (or ``at``)? See the module docstring."""
    when = at or cal.clock.now()

    def work(uow: UnitOfWork) -> WindowDecision:
        release = uow.releases.get(release_id)
        schedule = load_schedule(uow, cal)
        windows = schedule.windows if _is_scheduled(release, schedule) else cal.windows
        override = find_active_override(uow, cal, release, environment, when)
        return decide_deployment_slot(
            environment,
            at=when,
            expected_duration=duration or cal.windows.expected_duration,
            windows=windows,
            freezes=schedule.freezes,
            release_type=cal.policy.get_release_type(release.release_type),
            emergency_override=override,
            rollback=rollback,
        )

    return read(cal.uow_factory, work)


def find_active_override(
    uow: UnitOfWork, cal: Calendar, release: Release, environment: str, at: datetime
) -> EmergencyOverride | None:
    """The newest override of the release for the environment active at ``at``, with its
    approvals (None when there is none)."""
    active = [
        o
        for o in uow.calendar.list_overrides(release_id=release.id, environment=environment)
        if o.is_active(at)
    ]
    if not active:
        return None
    return replace(active[-1], approvals=list_override_approvals(uow, cal, release))
