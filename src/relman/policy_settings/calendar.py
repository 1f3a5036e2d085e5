"""Deployment windows, freezes and release calendars: from the policy and calendar files to the
domain (`relman.domain.window_policy`, `relman.domain.calendar`).

A calendar file (TOML, see ``examples/calendar-2026.toml`` and ``docs/calendar.md``)::

    [calendar]
    name = "Smart Dairy 2026"
    environment = "prod"              # where its releases deploy (default prod)
    planned_on = 2026-01-31           # when it was planned: lead times count from here

    [[phases]]                        # §12.2: a phase's window replaces the §12.4 ones
    name = "Phase 1: Foundation"
    starts = 2026-02-01
    ends = 2026-05-31
    windows = ["Sat 02:00-06:00"]

    [[releases]]
    key = "R1"
    version = "1.0.0"
    date = 2026-02-28
    title = "Core ERP, Basic Inventory"
    phase = "Phase 1: Foundation"     # optional: type, environment, window, time, planned_on

    [[freezes]]
    starts = 2026-12-24
    ends = 2026-12-26
    reason = "Year-end closing"

Errors name the file, the line and the key path, like the policy file's.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, field_validator

from relman.domain.calendar import ScheduleEntry, infer_release_type
from relman.domain.incidents import IncidentPolicy, Severity
from relman.domain.window_policy import (
    DeploymentWindow,
    EnvironmentWindows,
    Freeze,
    PhaseWindows,
    WindowPolicy,
    resolve_local_time,
)
from relman.errors import InvalidInputError
from relman.policy_settings.base import PolicyModel
from relman.policy_settings.locate import describe_error, format_key_path, locate_key
from relman.policy_settings.models import (
    EmergencySettings,
    FreezeSettings,
    SeveritySettings,
    WindowSettings,
)
from relman.policy_settings.values import (
    ClockTime,
    WindowText,
    parse_clock,
    parse_duration,
    parse_window,
)

# --- the policy -----------------------------------------------------------------------------


def window_from_text(text: str, *, tz: str, label: str = "") -> DeploymentWindow:
    """``"Sat 02:00-06:00"`` as a domain window in ``tz`` (ValueError when invalid)."""
    spec = parse_window(text)
    return DeploymentWindow(
        days=tuple(sorted(set(spec.days))),
        start=spec.start,
        end=spec.end,
        tz=tz,
        label=label,
        text=spec.text,
    )


def resolve_window_policy(
    windows: WindowSettings, emergency: EmergencySettings, environments: Iterable[str]
) -> WindowPolicy:
    """``[windows]`` and ``[emergency]`` as the domain's WindowPolicy (§12.4)."""
    tz = windows.timezone

    def each(texts: Sequence[str], label: str) -> tuple[DeploymentWindow, ...]:
        return tuple(window_from_text(t, tz=tz, label=label) for t in texts)

    return WindowPolicy(
        timezone=tz,
        environments={
            env: EnvironmentWindows(
                environment=env,
                primary=each(w.primary, "primary"),
                secondary=each(w.secondary, "secondary"),
                outside_windows=w.outside_windows,
                emergency=w.emergency,
            )
            for env, w in windows.environments.items()
        },
        classes={name: tuple(kinds) for name, kinds in windows.classes.items()},
        known_environments=tuple(environments),
        override_roles=tuple(emergency.override_roles),
        override_max=parse_duration(emergency.override_max),
        expected_duration=parse_duration(windows.expected_duration),
    )


def resolve_freezes(windows: WindowSettings, *, source: str = "policy") -> tuple[Freeze, ...]:
    return tuple(_freeze(f, source) for f in windows.freezes)


def _freeze(f: FreezeSettings, source: str) -> Freeze:
    return Freeze(
        starts=f.starts,
        ends=f.ends,
        reason=f.reason,
        environments=tuple(f.environments),
        allow_emergency=f.allow_emergency,
        source=source,
    )


# --- calendar files -------------------------------------------------------------------------

ReleaseTypeName = Literal["major", "minor", "patch", "hotfix"]


class CalendarMetaSettings(PolicyModel):
    name: str = ""
    environment: str = "prod"
    planned_on: date | None = None


class CalendarPhaseSettings(PolicyModel):
    name: str = Field(min_length=1)
    starts: date
    ends: date
    windows: list[WindowText] = Field(min_length=1)
    environments: list[str] | None = None  # default: the calendar's environment
    frequency: str = ""
    milestones: str = ""


class CalendarReleaseSettings(PolicyModel):
    key: str = Field(min_length=1, max_length=32)
    version: str = Field(min_length=1, max_length=64)
    planned: date = Field(alias="date")
    title: str = ""
    phase: str | None = None
    type: ReleaseTypeName | None = None  # default: from the version (x.0.0 is major)
    environment: str | None = None
    window: WindowText | None = None  # default: the phase's windows, else §12.4's
    time: ClockTime | None = None  # an exact start on the planned date
    planned_on: date | None = None
    milestone: bool = False


class CalendarFileSettings(PolicyModel):
    calendar: CalendarMetaSettings = Field(default_factory=CalendarMetaSettings)
    phases: list[CalendarPhaseSettings] = Field(default_factory=list)
    releases: list[CalendarReleaseSettings] = Field(default_factory=list)
    freezes: list[FreezeSettings] = Field(default_factory=list)

    @field_validator("releases")
    @classmethod
    def _unique_keys(cls, value: list[CalendarReleaseSettings]) -> list[CalendarReleaseSettings]:
        seen: set[str] = set()
        for entry in value:
            if entry.key in seen:
                raise ValueError(f"release key {entry.key!r} is used twice")
            seen.add(entry.key)
        return value


@dataclass(frozen=True)
class ImportedCalendar:
    name: str
    source: str
    entries: tuple[ScheduleEntry, ...]
    phases: tuple[PhaseWindows, ...]
    freezes: tuple[Freeze, ...]


def load_calendar_file(path: Path, *, tz: str) -> ImportedCalendar:
    """Read and validate a calendar file; InvalidInputError names the file, line and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read calendar file: {exc.strerror}", where=str(path)
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{path}: invalid TOML: {exc}", where=str(path)) from exc
    try:
        model = CalendarFileSettings.model_validate(data)
    except ValidationError as exc:
        lines = [
            describe_error(err, model=CalendarFileSettings, source=str(path), text=text)
            for err in exc.errors()
        ]
        message = lines[0] if len(lines) == 1 else f"{len(lines)} errors:\n  " + "\n  ".join(lines)
        raise InvalidInputError(message, details={"errors": lines}) from None
    return _to_domain(model, path=path, text=text, tz=tz)


def _to_domain(model: CalendarFileSettings, *, path: Path, text: str, tz: str) -> ImportedCalendar:
    meta = model.calendar
    source = path.name

    def fail(keys: list[str | int], message: str) -> InvalidInputError:
        line = locate_key(text, keys)
        where = f"{path}:{line}" if line else str(path)
        return InvalidInputError(f"{where} {format_key_path(keys)}: {message}")

    phases = []
    for n, p in enumerate(model.phases):
        if p.ends < p.starts:
            raise fail(["phases", n, "ends"], f"{p.ends} is before starts ({p.starts})")
        phases.append(
            PhaseWindows(
                name=p.name,
                starts=p.starts,
                ends=p.ends,
                windows=tuple(window_from_text(w, tz=tz, label=p.name) for w in p.windows),
                environments=tuple(p.environments or [meta.environment]),
                frequency=p.frequency,
                milestones=p.milestones,
            )
        )
    names = {p.name for p in phases}
    entries = []
    for n, r in enumerate(model.releases):
        if r.phase is not None and r.phase not in names:
            known = ", ".join(sorted(names)) or "none"
            raise fail(["releases", n, "phase"], f"unknown phase {r.phase!r} (known: {known})")
        deploy_at = None
        if r.time is not None:
            deploy_at = resolve_local_time(
                r.planned, parse_clock(r.time), ZoneInfo(tz), latest=False
            )
        entries.append(
            ScheduleEntry(
                key=r.key,
                version=r.version,
                planned_date=r.planned,
                title=r.title,
                release_type=r.type or infer_release_type(r.version),
                environment=r.environment or meta.environment,
                phase=r.phase,
                windows=(window_from_text(r.window, tz=tz, label=r.key),) if r.window else (),
                deploy_at=deploy_at,
                planned_on=r.planned_on or meta.planned_on,
                milestone=r.milestone,
                source=source,
            )
        )
    return ImportedCalendar(
        name=meta.name or path.stem,
        source=source,
        entries=tuple(entries),
        phases=tuple(phases),
        freezes=tuple(_freeze(f, source) for f in model.freezes),
    )


# --- incidents ------------------------------------------------------------------------------


def resolve_incident_policy(
    severities: Mapping[str, SeveritySettings], emergency: EmergencySettings
) -> IncidentPolicy:
    """``[severities]`` and ``[emergency]`` as the domain's IncidentPolicy (§13.1, §2.3)."""
    return IncidentPolicy(
        severities={
            sid: Severity(id=sid, name=s.name, criteria=s.criteria, examples=tuple(s.examples))
            for sid, s in severities.items()
        },
        hotfix_severities=tuple(emergency.hotfix_severities),
        cab_roles=tuple(emergency.cab),
        retrospective_within=parse_duration(emergency.retrospective_within),
    )
