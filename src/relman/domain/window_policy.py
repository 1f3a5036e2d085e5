"""Deployment windows in time: weekly windows, their openings, freezes, the window policy
(J-003 §12.2, §12.4) and the search for the next open window.

A `DeploymentWindow` is a weekly wall-clock window ("Sat 02:00-06:00") in a time zone. Each
time it opens it becomes a `WindowOpening`: two aware instants. Local times are resolved with
`zoneinfo`, so windows stay right across daylight-saving changes in zones that have them:

- a window opens at the *first* instant its start time shows on the clock and closes at the
  *last* instant its end time shows, so a repeated hour (clocks going back) lengthens it;
- a start or end that does not exist that day (clocks going forward) moves to the instant the
  clock jumps, so a skipped hour shortens it. A window never splits in two.

A `Freeze` covers whole local days. The decision whether a deployment may start is
`relman.domain.windows.decide_deployment_slot`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from relman.errors import InvalidInputError, NotFoundError

MINUTES_PER_DAY = 24 * 60
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SEARCH_DAYS = 800
"""How far ahead (days) the next open window is looked for before giving up."""

OUTSIDE_WINDOWS = ("none", "on_demand", "automated")
EMERGENCY_MODES = ("anytime", "with_approval", "none")
_TICK = timedelta(seconds=1)

# --- windows and their openings -------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentWindow:
    """A weekly window: the days it opens on and its wall-clock start and end in ``tz``."""

    days: tuple[int, ...]  # 0 = Monday
    start: int  # minutes after local midnight
    end: int  # minutes after midnight; <= start crosses midnight; 1440 = 24:00
    tz: str = "Asia/Dhaka"
    label: str = ""  # "primary", "secondary", "Phase 3: Commerce"
    text: str = ""  # as the policy wrote it, e.g. "Sat 02:00-06:00"

    def __post_init__(self) -> None:
        if not self.days or any(not 0 <= d <= 6 for d in self.days):
            raise InvalidInputError(f"window {self.describe()!r} needs days 0 (Mon) to 6 (Sun)")
        if not 0 <= self.start < MINUTES_PER_DAY or not 0 <= self.end <= MINUTES_PER_DAY:
            raise InvalidInputError(f"window {self.describe()!r} has a time outside 00:00-24:00")
        if self.start == self.end % MINUTES_PER_DAY and self.end != MINUTES_PER_DAY:
            raise InvalidInputError(f"window {self.describe()!r} starts and ends at the same time")

    @property
    def length(self) -> timedelta:
        """The wall-clock length (a DST change makes one opening longer or shorter)."""
        minutes = (self.end - self.start) % MINUTES_PER_DAY or MINUTES_PER_DAY
        return timedelta(minutes=minutes)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def describe(self) -> str:
        if self.text:
            return self.text
        days = ",".join(DAY_NAMES[d] for d in self.days) if len(self.days) < 7 else "Daily"
        return f"{days} {_hhmm(self.start)}-{_hhmm(self.end)}"

    def opening_on(self, day: date) -> WindowOpening | None:
        """The opening that starts on local ``day``, or None when the window is shut that day."""
        if day.weekday() not in self.days:
            return None
        zone = self.zone
        opens = resolve_local_time(day, self.start, zone, latest=False)
        end_day = day if self.end > self.start else day + timedelta(days=1)
        closes = resolve_local_time(end_day, self.end % MINUTES_PER_DAY, zone, latest=True)
        if self.end == MINUTES_PER_DAY:
            closes = resolve_local_time(day + timedelta(days=1), 0, zone, latest=False)
        if closes <= opens:  # pragma: no cover - only a DST jump longer than the window
            return None
        return WindowOpening(opens_at=opens, closes_at=closes, windows=(self,))


@dataclass(frozen=True)
class WindowOpening:
    """One time a window is open: ``[opens_at, closes_at)``, aware, in the window's zone."""

    opens_at: datetime
    closes_at: datetime
    windows: tuple[DeploymentWindow, ...]

    def contains(self, at: datetime) -> bool:
        return self.opens_at <= at < self.closes_at

    @property
    def label(self) -> str:
        return " + ".join(dict.fromkeys(w.label or w.describe() for w in self.windows))

    def describe(self) -> str:
        """``Sat 2026-03-28 02:00-06:00 +06``."""
        a, b = self.opens_at, self.closes_at
        end = f"{b:%H:%M}" if b.date() == a.date() else f"{b:%a %Y-%m-%d %H:%M}"
        return f"{a:%a %Y-%m-%d %H:%M}-{end} {format_offset(a)}"


def resolve_local_time(day: date, minute: int, zone: ZoneInfo, *, latest: bool) -> datetime:
    """The instant the clock in ``zone`` shows ``day`` at ``minute`` (after midnight).

    A repeated time (clocks going back) gives its first instant, or its last with ``latest``;
    a skipped time (clocks going forward) gives the instant of the jump.
    """
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return to_local(second if latest else first, zone)
    lo, hi = sorted((first.astimezone(UTC), second.astimezone(UTC)))
    after = hi.astimezone(zone).utcoffset()
    while (hi - lo) > timedelta(seconds=1):  # bisect to the transition (a few steps)
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return to_local(hi.replace(microsecond=0), zone)


def to_local(at: datetime, zone: ZoneInfo) -> datetime:
    """``at`` as local time in ``zone`` with its fixed UTC offset of that instant.

    Fixed offsets keep arithmetic absolute (``at + 1h`` is one real hour, even across a DST
    change) and comparisons exact (Python never calls a zone-aware repeated time equal to the
    same instant in another zone); printing still shows the local time and offset.
    """
    local = at.astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    return local.replace(tzinfo=timezone(offset), fold=0)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_offset(at: datetime) -> str:
    """``+06``, ``+0530``, ``-04``, ``Z`` for UTC."""
    text = at.strftime("%z")
    if text in ("+0000", ""):
        return "UTC"
    return text[:3] if text.endswith("00") else text


def merge_openings(openings: Iterable[WindowOpening]) -> list[WindowOpening]:
    """Sorted openings, overlapping or touching ones merged into one."""
    merged: list[WindowOpening] = []
    for op in sorted(openings, key=lambda o: (o.opens_at, o.closes_at)):
        if merged and op.opens_at <= merged[-1].closes_at:
            last = merged[-1]
            merged[-1] = WindowOpening(
                last.opens_at, max(last.closes_at, op.closes_at), last.windows + op.windows
            )
        else:
            merged.append(op)
    return merged


# --- freezes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freeze:
    """No deployments from ``starts`` to ``ends`` (both inclusive, local dates), with a reason."""

    starts: date
    ends: date
    reason: str
    environments: tuple[str, ...] = ()  # () = every environment
    allow_emergency: bool = True
    source: str = "policy"  # where it was declared: "policy" or a calendar file

    def __post_init__(self) -> None:
        if self.ends < self.starts:
            raise InvalidInputError(
                f"freeze {self.starts.isoformat()}..{self.ends.isoformat()} ends before it starts",
                where=self.source,
            )
        if not self.reason.strip():
            raise InvalidInputError(
                f"freeze from {self.starts.isoformat()} needs a reason", where=self.source
            )

    def applies_to(self, environment: str) -> bool:
        return not self.environments or environment in self.environments

    def span(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """``[first instant of starts, first instant of the day after ends)`` in ``zone``."""
        return (
            resolve_local_time(self.starts, 0, zone, latest=False),
            resolve_local_time(self.ends + timedelta(days=1), 0, zone, latest=False),
        )

    def describe(self) -> str:
        envs = ", ".join(self.environments) or "all environments"
        return f"{self.starts.isoformat()} to {self.ends.isoformat()} ({envs}): {self.reason}"


def find_freeze(
    freezes: Iterable[Freeze], environment: str, start: datetime, end: datetime, zone: ZoneInfo
) -> Freeze | None:
    """The first freeze of ``environment`` that overlaps ``[start, end)``."""
    for freeze in freezes:
        if not freeze.applies_to(environment):
            continue
        a, b = freeze.span(zone)
        if a < end and start < b:
            return freeze
    return None


# --- the window policy ----------------------------------------------------------------------


@dataclass(frozen=True)
class EnvironmentWindows:
    """§12.4: an environment's weekly windows and what it allows outside them."""

    environment: str
    primary: tuple[DeploymentWindow, ...] = ()
    secondary: tuple[DeploymentWindow, ...] = ()
    outside_windows: str = "none"  # none|on_demand|automated
    emergency: str = "none"  # anytime|with_approval|none


@dataclass(frozen=True)
class PhaseWindows:
    """§12.2: during a project phase, these windows replace an environment's usual ones."""

    name: str
    starts: date
    ends: date  # inclusive
    windows: tuple[DeploymentWindow, ...]
    environments: tuple[str, ...] = ("prod",)
    frequency: str = ""  # "Monthly", "Bi-weekly" (§12.1)
    milestones: str = ""

    def covers(self, environment: str, day: date) -> bool:
        return environment in self.environments and self.starts <= day <= self.ends


@dataclass(frozen=True)
class WindowPolicy:
    """Every environment's windows in one time zone, plus phase windows and override rules."""

    timezone: str
    environments: Mapping[str, EnvironmentWindows]
    classes: Mapping[str, tuple[str, ...]]  # window class -> primary|secondary|emergency
    known_environments: tuple[str, ...] = ()  # environments without windows deploy any time
    phases: tuple[PhaseWindows, ...] = ()
    override_roles: tuple[str, ...] = ("devops_lead", "project_manager")
    override_max: timedelta = timedelta(hours=24)
    expected_duration: timedelta = timedelta(minutes=50)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def find_environment(self, environment: str) -> EnvironmentWindows | None:
        """The environment's windows; None when it has none (it deploys any time)."""
        found = self.environments.get(environment)
        if found is None and environment not in self.known_environments:
            known = ", ".join(dict.fromkeys([*self.known_environments, *self.environments]))
            raise NotFoundError(
                f"unknown environment '{environment}' (known: {known})", where="--env"
            )
        return found

    def get_class(self, window_class: str) -> tuple[str, ...]:
        try:
            return self.classes[window_class]
        except KeyError:
            known = ", ".join(self.classes)
            raise NotFoundError(
                f"unknown window class '{window_class}' (known: {known})",
                where="windows.classes",
            ) from None

    def list_windows(
        self, environment: str, *, window_class: str, on: date
    ) -> tuple[DeploymentWindow, ...]:
        """The windows a release of ``window_class`` may use in ``environment`` on ``on``:
        the phase windows when a phase covers the day, else the class's §12.4 windows."""
        env = self.find_environment(environment)
        if env is None:
            return ()
        for phase in self.phases:
            if phase.covers(environment, on):
                return phase.windows
        kinds = self.get_class(window_class)
        return (*(env.primary if "primary" in kinds else ()),) + (
            env.secondary if "secondary" in kinds else ()
        )

    def list_openings(
        self, environment: str, *, window_class: str, start: datetime, end: datetime
    ) -> list[WindowOpening]:
        """Openings that overlap ``[start, end)``, merged and in order."""
        zone = self.zone
        first = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date()
        found = []
        for n in range((last - first).days + 1):
            day = first + timedelta(days=n)
            for window in self.list_windows(environment, window_class=window_class, on=day):
                op = window.opening_on(day)
                if op is not None and op.closes_at > start and op.opens_at < end:
                    found.append(op)
        return merge_openings(found)

    def with_phases(self, phases: Sequence[PhaseWindows]) -> WindowPolicy:
        """This policy with ``phases`` (from an imported calendar) in force as well."""
        return replace(self, phases=(*self.phases, *phases))


# --- finding a slot -------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """Where a deployment fits: ``[starts_at, ends_at)`` inside ``opening``."""

    opening: WindowOpening
    starts_at: datetime
    ends_at: datetime

    def describe(self) -> str:
        op = self.opening
        if self.starts_at == op.opens_at:
            return op.describe()
        return f"{op.describe()} (from {self.starts_at:%H:%M})"


def compute_next_open_window(
    environment: str,
    *,
    after: datetime,
    windows: WindowPolicy,
    freezes: Sequence[Freeze] = (),
    window_class: str = "standard",
    duration: timedelta = timedelta(0),
    days: int = SEARCH_DAYS,
) -> Slot | None:
    """The earliest slot at or after ``after`` where a ``duration``-long deployment fits in an
    open window and in no freeze; None when nothing opens within ``days`` days. An environment
    without windows is open whenever no freeze covers it."""
    zone = windows.zone
    if windows.find_environment(environment) is None:
        begin = _skip_freezes(environment, after, duration, freezes, zone)
        op = WindowOpening(to_local(begin, zone), to_local(begin + duration, zone), ())
        return Slot(op, op.opens_at, op.closes_at)
    start = after
    for _ in range(days // 7 + 1):
        end = start + timedelta(days=7)
        for op in windows.list_openings(
            environment, window_class=window_class, start=start, end=end
        ):
            begin = _skip_freezes(environment, max(op.opens_at, after), duration, freezes, zone)
            if begin + duration <= op.closes_at and begin < op.closes_at:
                return Slot(op, to_local(begin, zone), to_local(begin + duration, zone))
        start = end
    return None


def _skip_freezes(
    environment: str,
    begin: datetime,
    duration: timedelta,
    freezes: Sequence[Freeze],
    zone: ZoneInfo,
) -> datetime:
    """The first instant at or after ``begin`` when ``duration`` fits before any freeze."""
    for _ in range(len(freezes) + 1):  # each step moves past one freeze
        frozen = find_freeze(freezes, environment, begin, begin + max(duration, _TICK), zone)
        if frozen is None:
            return begin
        begin = frozen.span(zone)[1]
    return begin
