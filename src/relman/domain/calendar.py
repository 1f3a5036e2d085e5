"""The release calendar (J-003 §12): planned releases, windows and freezes, and their conflicts.

A `ScheduleEntry` is one planned deployment: a row of an imported calendar (§12.2, e.g. ``R1
1.0.0 Feb 28 Sat 02:00-06:00``) or a release record with a target date. Its slot is the
opening of its windows on its planned date: its own window when the calendar names one, else
the §12.2 phase window in force that day, else the §12.4 windows of its environment for its
release type (an explicit ``deploy_at`` time must fall inside one of them).

`compute_conflicts` finds what a release manager must fix:

- ``double_booked``: two releases in one window of one environment;
- ``outside_window``: a release whose planned date has no opening of its window, or whose
  window is not one of the environment's §12.4 windows for its release type;
- ``frozen``: a release planned inside a freeze;
- ``lead_time``: a release planned closer to its plan date than its type's minimum lead time
  (major: 4 weeks), for release types that refuse a short lead time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from relman.domain.policy import ReleaseTypePolicy
from relman.domain.releases import Phase, Release
from relman.domain.window_policy import (
    DeploymentWindow,
    Freeze,
    Slot,
    WindowOpening,
    WindowPolicy,
    find_freeze,
    resolve_local_time,
)

NEAREST_DAYS = 14
"""How far before and after a missed planned date the nearest openings are looked for."""


@dataclass(frozen=True)
class ScheduleEntry:
    """One planned deployment of a release (see the module docstring)."""

    key: str  # "R1", "W12" (imported) or a release id "R-3"
    version: str
    planned_date: date
    title: str
    release_type: str
    environment: str = "prod"
    phase: str | None = None  # the §12.2 phase it belongs to
    windows: tuple[DeploymentWindow, ...] = ()  # its own windows; () = the phase's/§12.4's
    deploy_at: datetime | None = None  # an exact start, when the calendar gives one
    planned_on: date | None = None  # when it was planned (lead time counts from here)
    milestone: bool = False
    release_id: str | None = None  # the release record it became
    source: str = ""  # the calendar file, or "release" for a release record


@dataclass(frozen=True)
class Placement:
    """Where an entry lands: its slot, or why it has none (and the nearest openings)."""

    entry: ScheduleEntry
    slot: Slot | None
    problem: str | None = None
    nearest: tuple[WindowOpening, ...] = ()


@dataclass(frozen=True)
class Conflict:
    kind: str  # double_booked|outside_window|frozen|lead_time
    environment: str
    day: date
    refs: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class CalendarItem:
    """One line of ``relman calendar show``."""

    kind: str  # release|window|freeze
    environment: str  # "" for a freeze of every environment
    starts_at: datetime
    ends_at: datetime
    title: str
    ref: str
    details: Mapping[str, object] = field(default_factory=dict)


def infer_release_type(version: str) -> str:
    """``1.0.0`` major, ``1.2.0`` minor, ``1.2.3`` patch, ``1.2.3-hotfix.1`` hotfix."""
    core, _, pre = version.partition("-")
    parts = core.split(".")
    if pre.startswith("hotfix"):
        return "hotfix"
    if len(parts) >= 3 and parts[1:3] == ["0", "0"]:
        return "major"
    if len(parts) >= 3 and parts[2] == "0":
        return "minor"
    return "patch"


def entry_from_release(release: Release, *, environment: str = "prod") -> ScheduleEntry:
    """A release record with a target date, as a calendar entry."""
    return ScheduleEntry(
        key=release.id,
        version=release.version,
        planned_date=release.target_date,
        title=release.title,
        release_type=release.release_type,
        environment=environment,
        planned_on=release.created_at.date(),
        release_id=release.id,
        source="release",
    )


def merge_entries(
    schedule: Iterable[ScheduleEntry], releases: Iterable[Release]
) -> list[ScheduleEntry]:
    """Imported entries and active release records, each release once: a release record with
    the version of an imported entry is that entry (linked to it), not a second booking."""
    entries = list(schedule)
    by_version = {(e.version, e.environment): n for n, e in enumerate(entries)}
    for release in releases:
        if release.phase in (Phase.CANCELLED, Phase.ROLLED_BACK):
            continue
        n = by_version.get((release.version, "prod"))
        if n is not None:
            entries[n] = replace(entries[n], release_id=release.id)
        else:
            entries.append(entry_from_release(release))
    return sorted(entries, key=lambda e: (e.planned_date, e.environment, e.key))


# --- placing entries ------------------------------------------------------------------------


def place_entry(
    entry: ScheduleEntry,
    *,
    windows: WindowPolicy,
    release_types: Mapping[str, ReleaseTypePolicy],
    duration: timedelta | None = None,
) -> Placement:
    """The entry's slot on its planned date, or the problem and the nearest openings."""
    duration = windows.expected_duration if duration is None else duration
    cls = _window_class(entry, release_types)
    if windows.find_environment(entry.environment) is None:
        start = entry.deploy_at or resolve_local_time(
            entry.planned_date, 0, windows.zone, latest=False
        )
        anytime = WindowOpening(start, start + duration, ())
        return Placement(entry, Slot(anytime, start, start + duration))
    own = entry.windows or windows.list_windows(
        entry.environment, window_class=cls, on=entry.planned_date
    )
    found = (w.opening_on(entry.planned_date) for w in own)
    openings = sorted((op for op in found if op is not None), key=lambda o: o.opens_at)
    slot = _choose_slot(entry, openings, duration)
    if slot is None:
        return Placement(
            entry, None, _missed(entry, own, openings, duration), _nearest(entry, windows, cls)
        )
    base = replace(windows, phases=())
    allowed = base.list_openings(
        entry.environment, window_class=cls, start=slot.starts_at, end=slot.ends_at
    )
    if not any(op.contains(slot.starts_at) and slot.ends_at <= op.closes_at for op in allowed):
        usual = base.list_windows(entry.environment, window_class=cls, on=entry.planned_date)
        shown = ", ".join(w.describe() for w in usual) or "none that day"
        problem = (
            f"its window {slot.describe()} is not a {entry.environment} window for "
            f"{entry.release_type} releases (J-003 §12.4: {shown})"
        )
        return Placement(entry, slot, problem)
    return Placement(entry, slot)


def _window_class(entry: ScheduleEntry, release_types: Mapping[str, ReleaseTypePolicy]) -> str:
    found = release_types.get(entry.release_type)
    return found.window_class if found is not None else "standard"


def _choose_slot(
    entry: ScheduleEntry, openings: Sequence[WindowOpening], duration: timedelta
) -> Slot | None:
    for op in openings:
        start = entry.deploy_at or op.opens_at
        if op.contains(start) and start + duration <= op.closes_at:
            return Slot(op, start, start + duration)
    return None


def _missed(
    entry: ScheduleEntry,
    own: Sequence[DeploymentWindow],
    openings: Sequence[WindowOpening],
    duration: timedelta,
) -> str:
    day = f"{entry.planned_date:%a %Y-%m-%d}"
    shown = ", ".join(w.describe() for w in own) or "none"
    if entry.deploy_at is not None and openings:
        minutes = int(duration.total_seconds() // 60)
        return (
            f"a {minutes}-minute deployment at {entry.deploy_at:%H:%M} does not fit in its "
            f"window on {day} ({shown})"
        )
    return f"it is planned for {day}, when its window ({shown}) does not open"


def _nearest(
    entry: ScheduleEntry, windows: WindowPolicy, window_class: str
) -> tuple[WindowOpening, ...]:
    """The last opening before the planned date and the first after it (each day with the
    windows in force that day: the entry's own, the phase's or §12.4's)."""

    def first_opening(day: date) -> WindowOpening | None:
        own = entry.windows or windows.list_windows(
            entry.environment, window_class=window_class, on=day
        )
        found = [op for w in own if (op := w.opening_on(day)) is not None]
        return min(found, key=lambda o: o.opens_at) if found else None

    before = after = None
    for n in range(1, NEAREST_DAYS + 1):
        before = before or first_opening(entry.planned_date - timedelta(days=n))
        after = after or first_opening(entry.planned_date + timedelta(days=n))
    return tuple(op for op in (before, after) if op is not None)


# --- conflicts ------------------------------------------------------------------------------


def compute_conflicts(
    entries: Sequence[ScheduleEntry],
    *,
    windows: WindowPolicy,
    freezes: Sequence[Freeze],
    release_types: Mapping[str, ReleaseTypePolicy],
    duration: timedelta | None = None,
) -> list[Conflict]:
    """Every conflict of the calendar (see the module docstring), by date."""
    placements = [
        place_entry(e, windows=windows, release_types=release_types, duration=duration)
        for e in entries
    ]
    found: list[Conflict] = []
    for p in placements:
        found.extend(_entry_conflicts(p, windows, freezes, release_types))
    found.extend(_double_bookings(placements))
    return sorted(found, key=lambda c: (c.day, c.environment, c.kind, c.refs))


def _entry_conflicts(
    p: Placement,
    windows: WindowPolicy,
    freezes: Sequence[Freeze],
    release_types: Mapping[str, ReleaseTypePolicy],
) -> Iterable[Conflict]:
    e = p.entry
    name = f"{e.key} {e.version}"
    if p.problem is not None:
        near = " or ".join(op.describe() for op in p.nearest)
        tail = f"; nearest openings: {near}" if near else ""
        yield Conflict(
            "outside_window", e.environment, e.planned_date, (e.key,),
            f"{name} is outside any window: {p.problem}{tail}",
        )  # fmt: skip
    zone = windows.zone
    if p.slot is not None:
        span = (p.slot.starts_at, p.slot.ends_at)
    else:
        day_start = resolve_local_time(e.planned_date, 0, zone, latest=False)
        span = (day_start, day_start + timedelta(days=1))
    freeze = find_freeze(freezes, e.environment, span[0], span[1], zone)
    if freeze is not None:
        yield Conflict(
            "frozen", e.environment, e.planned_date, (e.key,),
            f"{name} on {e.planned_date.isoformat()} falls in the freeze {freeze.describe()}",
        )  # fmt: skip
    kind = release_types.get(e.release_type)
    if kind is not None and e.planned_on is not None and kind.lead_time_enforcement == "refuse":
        lead = e.planned_date - e.planned_on
        if timedelta(days=lead.days) < kind.lead_time_min:
            yield Conflict(
                "lead_time", e.environment, e.planned_date, (e.key,),
                f"{name} is a {e.release_type} release planned on {e.planned_on.isoformat()} "
                f"for {e.planned_date.isoformat()}: {lead.days} days is inside its minimum "
                f"lead time of {format_span(kind.lead_time_min)} (J-003 §2)",
            )  # fmt: skip


def _double_bookings(placements: Sequence[Placement]) -> Iterable[Conflict]:
    booked: dict[tuple[str, datetime], list[Placement]] = defaultdict(list)
    for p in placements:
        if p.slot is not None:
            booked[(p.entry.environment, p.slot.opening.opens_at)].append(p)
    for (env, _), group in booked.items():
        if len(group) < 2:
            continue
        names = ", ".join(f"{p.entry.key} {p.entry.version}" for p in group)
        opening = group[0].slot.opening if group[0].slot else None
        yield Conflict(
            "double_booked", env, group[0].entry.planned_date,
            tuple(p.entry.key for p in group),
            f"{names} are booked into the same {env} window "
            f"{opening.describe() if opening else ''}",
        )  # fmt: skip


# --- the calendar view ----------------------------------------------------------------------


def plan_calendar(
    *,
    start: datetime,
    end: datetime,
    windows: WindowPolicy,
    freezes: Sequence[Freeze],
    entries: Sequence[ScheduleEntry],
    release_types: Mapping[str, ReleaseTypePolicy],
    environments: Sequence[str] | None = None,
    window_class: str = "standard",
    include_windows: bool = True,
) -> list[CalendarItem]:
    """Planned releases, window openings (unless not wanted) and freezes between ``start`` and
    ``end``, in order."""
    zone = windows.zone
    envs = list(environments) if environments else list(windows.environments)
    items: list[CalendarItem] = []
    for e in entries:
        if e.environment not in envs:
            continue
        p = place_entry(e, windows=windows, release_types=release_types)
        begin = (
            p.slot.starts_at
            if p.slot
            else resolve_local_time(e.planned_date, 0, zone, latest=False)
        )
        finish = p.slot.ends_at if p.slot else begin + timedelta(days=1)
        if begin < end and finish > start:
            items.append(_release_item(p, begin, finish))
    for env in envs if include_windows else ():
        if windows.find_environment(env) is None:
            continue
        for op in windows.list_openings(env, window_class=window_class, start=start, end=end):
            items.append(
                CalendarItem("window", env, op.opens_at, op.closes_at, op.label, op.describe())
            )
    for f in freezes:
        if f.environments and not any(env in f.environments for env in envs):
            continue
        a, b = f.span(zone)
        if a < end and b > start:
            items.append(
                CalendarItem(
                    "freeze",
                    ", ".join(f.environments),
                    a,
                    b,
                    f.reason,
                    f.describe(),
                    {"source": f.source, "allow_emergency": f.allow_emergency},
                )
            )
    order = {"freeze": 0, "release": 1, "window": 2}
    return sorted(items, key=lambda i: (i.starts_at, order[i.kind], i.environment, i.ref))


def _release_item(p: Placement, begin: datetime, finish: datetime) -> CalendarItem:
    e = p.entry
    return CalendarItem(
        "release",
        e.environment,
        begin,
        finish,
        e.title,
        e.key,
        {
            "version": e.version,
            "release_type": e.release_type,
            "planned_date": e.planned_date.isoformat(),
            "phase": e.phase,
            "release_id": e.release_id,
            "milestone": e.milestone,
            "window": p.slot.opening.describe() if p.slot else None,
            "problem": p.problem,
            "source": e.source,
        },
    )


def format_span(delta: timedelta) -> str:
    """``4 weeks``, ``3 days``, ``2 hours``."""
    hours = int(delta.total_seconds() // 3600)
    if hours % 24:
        return "1 hour" if hours == 1 else f"{hours} hours"
    days = hours // 24
    if days and days % 7 == 0:
        return "1 week" if days == 7 else f"{days // 7} weeks"
    return "1 day" if days == 1 else f"{days} days"
