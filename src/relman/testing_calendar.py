"""In-memory calendar, incident and retrospective repositories for `relman.testing`'s
``InMemoryUnitOfWork`` (its state holds a `CalendarState`, rolled back with the rest)."""

from __future__ import annotations

import builtins
import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from relman.domain.calendar import ScheduleEntry
from relman.domain.incidents import Incident, IncidentUpdate
from relman.domain.retrospectives import Retrospective
from relman.domain.window_policy import Freeze, PhaseWindows
from relman.domain.windows import EmergencyOverride
from relman.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from relman.testing import InMemoryUnitOfWork


@dataclass
class CalendarState:
    entries: list[tuple[str, ScheduleEntry]] = field(default_factory=list)  # (source, entry)
    phases: list[tuple[str, PhaseWindows]] = field(default_factory=list)
    freezes: list[Freeze] = field(default_factory=list)
    overrides: list[EmergencyOverride] = field(default_factory=list)
    incidents: dict[str, Incident] = field(default_factory=dict)
    updates: list[IncidentUpdate] = field(default_factory=list)
    retrospectives: dict[str, Retrospective] = field(default_factory=dict)


class _Repo:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _cal(self) -> CalendarState:
        return self._uow.state.calendar

    def _require_release(self, release_id: str) -> None:
        if release_id not in self._uow.state.releases:
            raise NotFoundError(f"no release {release_id}", where=f"release {release_id}")


class InMemoryCalendarRepo(_Repo):
    def replace_schedule(
        self,
        *,
        source: str,
        entries: Sequence[ScheduleEntry],
        phases: Sequence[PhaseWindows],
        freezes: Sequence[Freeze],
    ) -> None:
        cal = self._cal
        cal.entries = [(s, e) for s, e in cal.entries if s != source]
        cal.phases = [(s, p) for s, p in cal.phases if s != source]
        cal.freezes = [f for f in cal.freezes if f.source != source]
        keys = {e.key: s for s, e in cal.entries} | {p.name: s for s, p in cal.phases}
        for name in [e.key for e in entries] + [p.name for p in phases]:
            if name in keys:
                raise ConflictError(
                    f"{name} is already imported from {keys[name]}", where=f"calendar {source}"
                )
        cal.entries += [(source, e) for e in entries]
        cal.phases += [(source, p) for p in phases]
        cal.freezes += [dataclasses.replace(f, source=source) for f in freezes]

    def list_entries(self) -> builtins.list[ScheduleEntry]:
        return sorted((e for _, e in self._cal.entries), key=lambda e: e.planned_date)

    def list_phases(self) -> builtins.list[PhaseWindows]:
        return sorted((p for _, p in self._cal.phases), key=lambda p: p.starts)

    def list_freezes(self) -> builtins.list[Freeze]:
        return sorted(self._cal.freezes, key=lambda f: f.starts)

    def add_override(self, override: EmergencyOverride) -> EmergencyOverride:
        self._require_release(override.release_id)
        stored = dataclasses.replace(override, id=len(self._cal.overrides) + 1, approvals=())
        self._cal.overrides.append(stored)
        return stored

    def list_overrides(
        self, *, release_id: str | None = None, environment: str | None = None
    ) -> builtins.list[EmergencyOverride]:
        return [
            o
            for o in self._cal.overrides
            if (release_id is None or o.release_id == release_id)
            and (environment is None or o.environment == environment)
        ]


class InMemoryIncidentRepo(_Repo):
    def next_id(self) -> str:
        numbers = [
            int(m.group(1)) for i in self._cal.incidents if (m := re.fullmatch(r"INC-(\d+)", i))
        ]
        return f"INC-{max(numbers, default=0) + 1}"

    def add(self, incident: Incident) -> None:
        if incident.id in self._cal.incidents:
            raise ConflictError(f"incident {incident.id} already exists")
        for release_id in (incident.release_id, incident.hotfix_release_id):
            if release_id is not None:
                self._require_release(release_id)
        self._cal.incidents[incident.id] = incident

    def find(self, incident_id: str) -> Incident | None:
        return self._cal.incidents.get(incident_id)

    def get(self, incident_id: str) -> Incident:
        found = self.find(incident_id)
        if found is None:
            raise NotFoundError(f"no incident {incident_id}", where=f"incident {incident_id}")
        return found

    def list(
        self, *, status: str | None = None, release_id: str | None = None
    ) -> builtins.list[Incident]:
        found = sorted(self._cal.incidents.values(), key=lambda i: (i.opened_at, i.id))
        return [
            i
            for i in found
            if (status is None or i.status == status)
            and (release_id is None or release_id in (i.release_id, i.hotfix_release_id))
        ]

    def update(self, incident: Incident, expected_revision: int) -> Incident:
        current = self.get(incident.id)
        if current.revision != expected_revision:
            raise ConflictError(
                f"incident {incident.id} was changed by someone else; re-run the command",
                where=f"incident {incident.id}",
            )
        stored = dataclasses.replace(incident, revision=expected_revision + 1)
        self._cal.incidents[incident.id] = stored
        return stored

    def add_update(self, update: IncidentUpdate) -> None:
        self.get(update.incident_id)
        self._cal.updates.append(update)

    def list_updates(self, incident_id: str) -> builtins.list[IncidentUpdate]:
        return [u for u in self._cal.updates if u.incident_id == incident_id]


class InMemoryRetrospectiveRepo(_Repo):
    def save(self, retro: Retrospective) -> Retrospective:
        self._require_release(retro.release_id)
        stored = dataclasses.replace(retro, id=len(self._cal.retrospectives) + 1)
        self._cal.retrospectives[retro.release_id] = stored
        return stored

    def find(self, release_id: str) -> Retrospective | None:
        return self._cal.retrospectives.get(release_id)

    def list(self) -> builtins.list[Retrospective]:
        return sorted(self._cal.retrospectives.values(), key=lambda r: r.id or 0)
