"""Release retrospectives (J-003 §2.3, §13.1, §14.4).

A hotfix owes a retrospective within ``retrospective_within`` (48 hours) of its production
deployment (§2.3 step 6, §13.1 "Retrospective scheduled"). ``relman retro new RELEASE`` writes
one from the §14.4 template with its metrics filled in from what relman recorded:

- planned date: the release's target date; actual date: its production deployment;
- downtime: minutes, measured from the release's production deployments
  (`relman.domain.downtime`), unless given on the command line, which overrides it; the metrics
  say which (``downtime_source``: measured | given | unknown) and keep the measured figure;
- defects found post-release: incidents linked to the release, opened after its deployment;
- rollback required: the release was rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from relman.domain.downtime import DowntimeMeasure
from relman.domain.incidents import Incident
from relman.domain.releases import Phase, Release
from relman.errors import ConflictError


@dataclass(frozen=True)
class RetroMetrics:
    planned_date: date
    actual_date: date | None  # None: not deployed to production (yet)
    days_late: int | None
    downtime_minutes: float | None  # None: unknown
    defects_after_release: int
    defect_incidents: tuple[str, ...]
    rollback: bool
    downtime_source: str = "unknown"  # measured | given | unknown
    downtime_measured: DowntimeMeasure | None = None  # None: no production deployment recorded
    downtime_note: str = ""  # where the figure comes from, for people

    def as_dict(self) -> dict[str, object]:
        return {
            "planned_date": self.planned_date.isoformat(),
            "actual_date": self.actual_date.isoformat() if self.actual_date else None,
            "days_late": self.days_late,
            "downtime_minutes": self.downtime_minutes,
            "downtime_source": self.downtime_source,
            "downtime_measured": (
                self.downtime_measured.to_dict() if self.downtime_measured is not None else None
            ),
            "downtime_note": self.downtime_note,
            "defects_after_release": self.defects_after_release,
            "defect_incidents": list(self.defect_incidents),
            "rollback": self.rollback,
        }


@dataclass(frozen=True)
class Retrospective:
    release_id: str
    created_by: str
    created_at: datetime
    due_at: datetime | None
    participants: tuple[str, ...]
    metrics: Mapping[str, object]
    content: str  # the rendered Markdown
    path: str | None = None  # where it was written, if anywhere
    id: int | None = None


@dataclass(frozen=True)
class RetroDue:
    """A release that owes a retrospective."""

    release_id: str
    version: str
    release_type: str
    due_at: datetime
    done_at: datetime | None  # when the retrospective was written, None: not yet
    overdue: bool  # still missing after its due time
    late: bool  # written, but after its due time
    incidents: tuple[str, ...] = field(default=())


def compute_retro_metrics(
    release: Release,
    *,
    incidents: Iterable[Incident],
    zone: ZoneInfo,
    downtime_minutes: float | None = None,
    downtime: DowntimeMeasure | None = None,
    rolled_back: bool = False,
) -> RetroMetrics:
    """The §14.4 metrics of a release from its record and the incidents linked to it.

    ``downtime`` is what its production deployments measured; ``downtime_minutes``, given by a
    person, overrides it (both are kept)."""
    measured = downtime if downtime is not None and downtime.deployments else None
    minutes, source, note = decide_downtime(downtime_minutes, measured, zone)
    deployed = release.deployed_at
    actual = deployed.astimezone(zone).date() if deployed is not None else None
    defects = tuple(
        i.id
        for i in sorted(incidents, key=lambda i: i.opened_at)
        if i.release_id == release.id and deployed is not None and i.opened_at >= deployed
    )
    return RetroMetrics(
        planned_date=release.target_date,
        actual_date=actual,
        days_late=(actual - release.target_date).days if actual is not None else None,
        downtime_minutes=minutes,
        defects_after_release=len(defects),
        defect_incidents=defects,
        rollback=rolled_back or release.phase is Phase.ROLLED_BACK,
        downtime_source=source,
        downtime_measured=measured,
        downtime_note=note,
    )


def decide_downtime(
    given: float | None, measured: DowntimeMeasure | None, zone: ZoneInfo
) -> tuple[float | None, str, str]:
    """The retrospective's downtime: (minutes, source, note). A given figure wins over the
    measured one; without either it is unknown. The note says where the figure comes from."""
    recorded = measured is not None and bool(measured.deployments)
    if given is not None:
        if measured is None or not recorded:
            return given, "given", "given by hand (--downtime); no production deployment recorded"
        bound = "" if measured.complete else "at least "
        return (
            given,
            "given",
            (
                f"given by hand (--downtime); measured from the production deployments: {bound}"
                f"{measured.minutes:g} minutes ({measured.describe(zone)})"
            ),
        )
    if measured is not None and recorded:
        return (
            measured.minutes,
            "measured",
            (f"measured from the production deployments: {measured.describe(zone)}"),
        )
    return None, "unknown", "no production deployment recorded to measure it from"


def compute_retro_due(release: Release, within: timedelta) -> datetime | None:
    """When a release's retrospective is due: hotfixes, ``within`` after deployment."""
    if release.release_type != "hotfix" or release.deployed_at is None:
        return None
    return release.deployed_at + within


def decide_new_retro(
    release: Release, existing: Sequence[Retrospective], *, replace_existing: bool = False
) -> None:
    """ConflictError when the release has a retrospective already (unless replacing it)."""
    if release.phase is Phase.CANCELLED:
        raise ConflictError(
            f"release {release.id} was cancelled: it shipped nothing to look back on",
            where=f"release {release.id}",
        )
    done = [r for r in existing if r.release_id == release.id]
    if done and not replace_existing:
        raise ConflictError(
            f"release {release.id} has a retrospective already (written "
            f"{done[0].created_at:%Y-%m-%d %H:%M} by {done[0].created_by})",
            where=f"release {release.id}",
            hint="pass --replace to write it again",
        )


def list_due_retrospectives(
    releases: Iterable[Release],
    retros: Iterable[Retrospective],
    *,
    within: timedelta,
    now: datetime,
    incidents: Iterable[Incident] = (),
) -> list[RetroDue]:
    """Every release that owes a retrospective, with whether it is overdue (due first)."""
    written = {r.release_id: r.created_at for r in retros}
    linked: dict[str, list[str]] = {}
    for incident in incidents:
        if incident.hotfix_release_id:
            linked.setdefault(incident.hotfix_release_id, []).append(incident.id)
    out = []
    for release in releases:
        due = compute_retro_due(release, within)
        if due is None or release.phase is Phase.CANCELLED:
            continue
        done = written.get(release.id)
        out.append(
            RetroDue(
                release_id=release.id,
                version=release.version,
                release_type=release.release_type,
                due_at=due,
                done_at=done,
                overdue=done is None and now > due,
                late=done is not None and done > due,
                incidents=tuple(linked.get(release.id, ())),
            )
        )
    return sorted(out, key=lambda d: d.due_at)
