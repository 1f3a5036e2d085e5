"""A release's downtime, measured from its recorded production deployments (J-003 §1 "Minimal
Downtime: < 30 minutes per release", §8.1, §14.4 "Downtime: [MINUTES]").

Every deployment records its steps with their start and end, its strategy, its outcome and its
rollback (trigger, traffic restored). From those, the time users could not be served:

- **maintenance page**: from the start of the step that turned the maintenance page on to the
  end of the step that turned it off, forward or in the rollback (the maintenance-window
  strategy takes the site down on purpose: migration, start, switch and verification all happen
  behind the page). With the direct switch (no nginx) no page can be served: those steps are
  recorded only, and the restarts below are what users saw;
- **restart in place**: each restart of the one public instance by the direct switch, from its
  start to its end (healthy again): requests fail meanwhile;
- **failure until traffic was restored**: a deployment rolled back after its new version took
  traffic (``traffic_switched_at``) or after a restart in place began: from the detected trigger
  (or the first rollback step, when a failed rollback was retried) to traffic back on the
  previous version, the §9.4 rollback time. The time between the switch and the detection is not
  counted: the records do not say when users started to suffer;
- rolling, blue-green and canary switches behind nginx move traffic between healthy instances:
  they add nothing. A deployment that failed before its new version took traffic adds nothing.

Overlapping spans count once (a failure inside a maintenance window adds nothing). A span whose
end was never recorded (the page never went off, the rollback failed, the deployment still runs)
counts up to the deployment's last recorded moment, and the measure is then a lower bound
(``complete`` false); so it is for a command target, whose configured commands relman cannot see
into. Dry runs ran nothing and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from relman.domain.deployment_records import (
    Deployment,
    DeploymentStatus,
    DeploymentStep,
    StepStatus,
)
from relman.domain.deployments import StepKind

MAINTENANCE = "maintenance page"
RESTART = "restart in place"
FAILURE = "failure until traffic was restored"


@dataclass(frozen=True)
class DowntimeSpan:
    """One stretch of a deployment during which users could not be served."""

    deployment_id: str
    cause: str  # MAINTENANCE | RESTART | FAILURE
    start: datetime
    end: datetime
    open: bool = False  # no recorded end: counted up to the deployment's last record

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())

    def to_dict(self) -> dict[str, object]:
        return {
            "deployment": self.deployment_id,
            "cause": self.cause,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "seconds": round(self.seconds, 3),
            "open": self.open,
        }


@dataclass(frozen=True)
class DowntimeMeasure:
    """The downtime of a release's production deployments (see the module docstring)."""

    deployments: tuple[tuple[str, str], ...]  # (id, strategy) of each one looked at
    spans: tuple[DowntimeSpan, ...]
    seconds: float  # the spans' union
    notes: tuple[str, ...] = ()  # why the figure is only a lower bound

    @property
    def complete(self) -> bool:
        return not self.notes

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60, 2)

    def to_dict(self) -> dict[str, object]:
        return {
            "minutes": self.minutes,
            "complete": self.complete,
            "deployments": [{"id": d, "strategy": s} for d, s in self.deployments],
            "spans": [s.to_dict() for s in self.spans],
            "notes": list(self.notes),
        }

    def describe(self, zone: ZoneInfo) -> str:
        """One line for people: each span in ``zone``'s time, then what is missing."""
        if not self.deployments:
            return "no production deployment recorded"
        if self.spans:
            text = "; ".join(_describe_span(s, zone) for s in self.spans)
        else:
            shown = ", ".join(f"{d} ({s})" for d, s in self.deployments)
            text = f"no downtime recorded by {shown}"
        return text + "".join(f"; {note}" for note in self.notes)


def compute_downtime(
    records: Iterable[tuple[Deployment, Sequence[DeploymentStep]]], *, production: str
) -> DowntimeMeasure:
    """The downtime of the ``production`` deployments among ``records`` (deployment, steps)."""
    looked: list[tuple[str, str]] = []
    spans: list[DowntimeSpan] = []
    notes: list[str] = []
    for dep, steps in records:
        if dep.environment != production or dep.status is DeploymentStatus.DRY_RUN:
            continue
        looked.append((dep.id, dep.strategy))
        found, why = _measure(dep, sorted(steps, key=lambda s: s.index))
        spans += found
        notes += why
    spans.sort(key=lambda s: (s.start, s.deployment_id))
    return DowntimeMeasure(tuple(looked), tuple(spans), _union_seconds(spans), tuple(notes))


def _measure(
    dep: Deployment, steps: Sequence[DeploymentStep]
) -> tuple[list[DowntimeSpan], list[str]]:
    last = _last_recorded(dep, steps)
    direct = any(s.kind == StepKind.RESTART.value for s in steps)
    spans = [] if direct else _maintenance(dep, steps, last)
    for step in steps:
        if step.kind == StepKind.RESTART.value and step.started_at is not None:
            end = step.ended_at
            until = max(end or last, step.started_at)  # a clock stepped back counts nothing
            spans.append(DowntimeSpan(dep.id, RESTART, step.started_at, until, open=end is None))
    failure = _failure(dep, steps, last)
    if failure is not None:
        spans.append(failure)
    notes = []
    if dep.status.is_open:
        notes.append(f"{dep.id} is still {dep.status.value.replace('_', ' ')}")
    if any(s.kind == StepKind.COMMAND.value for s in steps):
        notes.append(
            f"{dep.id} ran configured commands: relman cannot see whether they interrupted "
            "the service"
        )
    notes += [f"{dep.id}: the {s.cause} has no recorded end" for s in spans if s.open]
    return spans, notes


def _maintenance(
    dep: Deployment, steps: Sequence[DeploymentStep], last: datetime
) -> list[DowntimeSpan]:
    """From the page on to the page off. A failed "on" step counts only when a later "off" step
    ran (the rollback plans one only when it finds the page on)."""
    spans: list[DowntimeSpan] = []
    opened: datetime | None = None
    tentative = False
    for step in steps:
        if step.kind == StepKind.MAINTENANCE_ON.value and opened is None:
            if step.started_at is not None and step.status in _STARTED:
                opened, tentative = step.started_at, step.status is StepStatus.FAILED
        elif (
            step.kind == StepKind.MAINTENANCE_OFF.value
            and opened is not None
            and step.status is StepStatus.DONE
            and step.ended_at is not None
        ):
            spans.append(DowntimeSpan(dep.id, MAINTENANCE, opened, max(step.ended_at, opened)))
            opened = None
    if opened is not None and not tentative:
        spans.append(DowntimeSpan(dep.id, MAINTENANCE, opened, max(last, opened), open=True))
    return spans


_STARTED = (StepStatus.RUNNING, StepStatus.DONE, StepStatus.FAILED)


def _failure(
    dep: Deployment, steps: Sequence[DeploymentStep], last: datetime
) -> DowntimeSpan | None:
    info = dep.rollback or {}
    trigger = _parse(info.get("trigger_detected_at"))
    if trigger is None:
        return None
    forward = [s for s in steps if s.phase == "forward"]
    took_traffic = bool(dep.results.get("traffic_switched_at")) or any(
        s.kind == StepKind.RESTART.value and s.started_at is not None for s in forward
    )
    if not took_traffic:
        return None
    rollback_starts = [s.started_at for s in steps if s.phase == "rollback" and s.started_at]
    start = min([trigger, *rollback_starts])
    restored = _parse(info.get("traffic_restored_at"))
    if restored is None:
        return DowntimeSpan(dep.id, FAILURE, start, max(last, start), open=True)
    return DowntimeSpan(dep.id, FAILURE, start, max(restored, start))


def _parse(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _last_recorded(dep: Deployment, steps: Sequence[DeploymentStep]) -> datetime:
    moments = [dep.created_at, dep.started_at, dep.finished_at]
    for step in steps:
        moments += [step.started_at, step.ended_at]
    return max(m for m in moments if m is not None)


def _union_seconds(spans: Sequence[DowntimeSpan]) -> float:
    total = 0.0
    current: tuple[datetime, datetime] | None = None
    for span in sorted(spans, key=lambda s: s.start):
        if current is not None and span.start <= current[1]:
            current = (current[0], max(current[1], span.end))
            continue
        if current is not None:
            total += (current[1] - current[0]).total_seconds()
        current = (span.start, span.end)
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return max(0.0, total)


def _describe_span(span: DowntimeSpan, zone: ZoneInfo) -> str:
    start, end = span.start.astimezone(zone), span.end.astimezone(zone)
    until = f"{end:%H:%M:%S}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M:%S}"
    if span.open:
        until += " (no recorded end)"
    return (
        f"{span.deployment_id} {span.cause} {start:%Y-%m-%d %H:%M:%S}-{until}, "
        f"{format_duration(span.seconds)}"
    )


def format_duration(seconds: float) -> str:
    """``42.5 s`` under a minute, ``3.2 min`` above."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"
