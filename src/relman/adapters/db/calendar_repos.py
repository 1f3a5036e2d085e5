"""SQL repositories of the release calendar, window overrides, incidents and retrospectives
(tables of revision 0003). Same conventions as `relman.adapters.db.repositories`."""

from __future__ import annotations

import builtins
import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from relman.adapters.db.jsonvalues import to_json_object
from relman.adapters.db.tables import (
    calendar_entries,
    calendar_freezes,
    calendar_phases,
    incident_updates,
    incidents,
    releases,
    retrospectives,
    window_overrides,
)
from relman.domain.calendar import ScheduleEntry
from relman.domain.incidents import Incident, IncidentUpdate
from relman.domain.retrospectives import Retrospective
from relman.domain.window_policy import DeploymentWindow, Freeze, PhaseWindows
from relman.domain.windows import EmergencyOverride
from relman.errors import ConflictError, NotFoundError

_INCIDENT_ID = re.compile(r"INC-(\d+)")


# --- windows as JSON ------------------------------------------------------------------------


def windows_to_json(windows: Sequence[DeploymentWindow]) -> list[dict[str, Any]]:
    return [
        {
            "text": w.text,
            "days": list(w.days),
            "start": w.start,
            "end": w.end,
            "tz": w.tz,
            "label": w.label,
        }
        for w in windows
    ]


def windows_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[DeploymentWindow, ...]:
    return tuple(
        DeploymentWindow(
            days=tuple(int(d) for d in w["days"]),
            start=int(w["start"]),
            end=int(w["end"]),
            tz=str(w["tz"]),
            label=str(w.get("label", "")),
            text=str(w.get("text", "")),
        )
        for w in data
    )


# --- calendar -------------------------------------------------------------------------------


class SqlCalendarRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def replace_schedule(
        self,
        *,
        source: str,
        entries: Sequence[ScheduleEntry],
        phases: Sequence[PhaseWindows],
        freezes: Sequence[Freeze],
    ) -> None:
        for table in (calendar_entries, calendar_phases, calendar_freezes):
            self._conn.execute(sa.delete(table).where(table.c.source == source))
        self._insert(calendar_entries, [_entry_values(e, source) for e in entries], "release key")
        self._insert(calendar_phases, [_phase_values(p, source) for p in phases], "phase name")
        if freezes:
            self._conn.execute(
                sa.insert(calendar_freezes), [_freeze_values(f, source) for f in freezes]
            )

    def _insert(self, table: sa.Table, rows: list[dict[str, Any]], what: str) -> None:
        if not rows:
            return
        try:
            with self._conn.begin_nested():
                self._conn.execute(sa.insert(table), rows)
        except IntegrityError as exc:
            names = [str(r.get("key", r.get("name"))) for r in rows]
            taken = self._conn.execute(
                sa.select(table).where(
                    (table.c.key if "key" in table.c else table.c.name).in_(names)
                )
            ).first()
            other = taken._mapping["source"] if taken is not None else "another calendar"
            raise ConflictError(
                f"a {what} of this calendar is already imported from {other}",
                where=f"calendar {other}",
                hint="keys and phase names are unique across imported calendars",
            ) from exc

    def list_entries(self) -> builtins.list[ScheduleEntry]:
        rows = self._conn.execute(
            sa.select(calendar_entries).order_by(
                calendar_entries.c.planned_date, calendar_entries.c.id
            )
        )
        return [_entry_from_row(r._mapping) for r in rows]

    def list_phases(self) -> builtins.list[PhaseWindows]:
        rows = self._conn.execute(
            sa.select(calendar_phases).order_by(calendar_phases.c.starts, calendar_phases.c.id)
        )
        return [
            PhaseWindows(
                name=r.name,
                starts=r.starts,
                ends=r.ends,
                windows=windows_from_json(r.windows),
                environments=tuple(r.environments),
                frequency=r.frequency,
                milestones=r.milestones,
            )
            for r in rows
        ]

    def list_freezes(self) -> builtins.list[Freeze]:
        rows = self._conn.execute(
            sa.select(calendar_freezes).order_by(calendar_freezes.c.starts, calendar_freezes.c.id)
        )
        return [
            Freeze(
                starts=r.starts,
                ends=r.ends,
                reason=r.reason,
                environments=tuple(r.environments),
                allow_emergency=bool(r.allow_emergency),
                source=r.source,
            )
            for r in rows
        ]

    def add_override(self, override: EmergencyOverride) -> EmergencyOverride:
        values = dataclasses.asdict(override)
        del values["approvals"], values["id"]
        try:
            with self._conn.begin_nested():
                result = self._conn.execute(sa.insert(window_overrides).values(values))
        except IntegrityError as exc:
            rid = override.release_id
            raise NotFoundError(f"no release {rid}", where=f"release {rid}") from exc
        key = result.inserted_primary_key
        return dataclasses.replace(override, id=int(key[0]) if key else None)

    def list_overrides(
        self, *, release_id: str | None = None, environment: str | None = None
    ) -> builtins.list[EmergencyOverride]:
        query = sa.select(window_overrides).order_by(window_overrides.c.id)
        if release_id is not None:
            query = query.where(window_overrides.c.release_id == release_id)
        if environment is not None:
            query = query.where(window_overrides.c.environment == environment)
        return [
            EmergencyOverride(
                release_id=r.release_id,
                environment=r.environment,
                reason=r.reason,
                requested_by=r.requested_by,
                requested_at=r.requested_at,
                expires_at=r.expires_at,
                incident_id=r.incident_id,
                id=r.id,
            )
            for r in self._conn.execute(query)
        ]


def _entry_values(e: ScheduleEntry, source: str) -> dict[str, Any]:
    return {
        "key": e.key,
        "version": e.version,
        "planned_date": e.planned_date,
        "title": e.title,
        "release_type": e.release_type,
        "environment": e.environment,
        "phase": e.phase,
        "windows": windows_to_json(e.windows),
        "deploy_at": e.deploy_at,
        "planned_on": e.planned_on,
        "milestone": e.milestone,
        "source": source,
    }


def _entry_from_row(r: sa.RowMapping) -> ScheduleEntry:
    return ScheduleEntry(
        key=r["key"],
        version=r["version"],
        planned_date=r["planned_date"],
        title=r["title"],
        release_type=r["release_type"],
        environment=r["environment"],
        phase=r["phase"],
        windows=windows_from_json(r["windows"]),
        deploy_at=r["deploy_at"],
        planned_on=r["planned_on"],
        milestone=bool(r["milestone"]),
        source=r["source"],
    )


def _phase_values(p: PhaseWindows, source: str) -> dict[str, Any]:
    return {
        "name": p.name,
        "starts": p.starts,
        "ends": p.ends,
        "windows": windows_to_json(p.windows),
        "environments": list(p.environments),
        "frequency": p.frequency,
        "milestones": p.milestones,
        "source": source,
    }


def _freeze_values(f: Freeze, source: str) -> dict[str, Any]:
    return {
        "starts": f.starts,
        "ends": f.ends,
        "reason": f.reason,
        "environments": list(f.environments),
        "allow_emergency": f.allow_emergency,
        "source": source,
    }


# --- incidents ------------------------------------------------------------------------------


class SqlIncidentRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def next_id(self) -> str:
        numbers = [
            int(m.group(1))
            for (incident_id,) in self._conn.execute(sa.select(incidents.c.id))
            if (m := _INCIDENT_ID.fullmatch(incident_id))
        ]
        return f"INC-{max(numbers, default=0) + 1}"

    def add(self, incident: Incident) -> None:
        try:
            with self._conn.begin_nested():
                self._conn.execute(sa.insert(incidents).values(dataclasses.asdict(incident)))
        except IntegrityError as exc:
            raise ConflictError(
                f"incident {incident.id} already exists (or names an unknown release)",
                where=f"incident {incident.id}",
            ) from exc

    def find(self, incident_id: str) -> Incident | None:
        row = self._conn.execute(sa.select(incidents).where(incidents.c.id == incident_id)).first()
        return None if row is None else Incident(**dict(row._mapping))

    def get(self, incident_id: str) -> Incident:
        found = self.find(incident_id)
        if found is None:
            raise NotFoundError(
                f"no incident {incident_id}",
                where=f"incident {incident_id}",
                hint="`relman incident list` shows the known incidents",
            )
        return found

    def list(
        self, *, status: str | None = None, release_id: str | None = None
    ) -> builtins.list[Incident]:
        query = sa.select(incidents).order_by(incidents.c.opened_at, incidents.c.id)
        if status is not None:
            query = query.where(incidents.c.status == status)
        if release_id is not None:
            query = query.where(
                sa.or_(
                    incidents.c.release_id == release_id,
                    incidents.c.hotfix_release_id == release_id,
                )
            )
        return [Incident(**dict(r._mapping)) for r in self._conn.execute(query)]

    def update(self, incident: Incident, expected_revision: int) -> Incident:
        values = dataclasses.asdict(incident)
        del values["id"]
        values["revision"] = expected_revision + 1
        result = self._conn.execute(
            sa.update(incidents)
            .where(incidents.c.id == incident.id, incidents.c.revision == expected_revision)
            .values(values)
        )
        if result.rowcount == 0:
            current = self.get(incident.id)
            raise ConflictError(
                f"incident {incident.id} was changed by someone else (revision "
                f"{current.revision}, expected {expected_revision}); re-run the command",
                where=f"incident {incident.id}",
            )
        return dataclasses.replace(incident, revision=expected_revision + 1)

    def add_update(self, update: IncidentUpdate) -> None:
        self._conn.execute(sa.insert(incident_updates).values(dataclasses.asdict(update)))

    def list_updates(self, incident_id: str) -> builtins.list[IncidentUpdate]:
        rows = self._conn.execute(
            sa.select(incident_updates)
            .where(incident_updates.c.incident_id == incident_id)
            .order_by(incident_updates.c.id)
        )
        return [IncidentUpdate(r.incident_id, r.at, r.actor, r.kind, r.text) for r in rows]


# --- retrospectives -------------------------------------------------------------------------


class SqlRetrospectiveRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def save(self, retro: Retrospective) -> Retrospective:
        """Store the release's retrospective, replacing an earlier one."""
        values = dataclasses.asdict(retro)
        del values["id"]
        values["participants"] = list(retro.participants)
        values["metrics"] = to_json_object(retro.metrics) or {}
        exists = self._conn.execute(
            sa.select(releases.c.id).where(releases.c.id == retro.release_id)
        ).first()
        if exists is None:
            rid = retro.release_id
            raise NotFoundError(f"no release {rid}", where=f"release {rid}")
        self._conn.execute(
            sa.delete(retrospectives).where(retrospectives.c.release_id == retro.release_id)
        )
        result = self._conn.execute(sa.insert(retrospectives).values(values))
        key = result.inserted_primary_key
        return dataclasses.replace(retro, id=int(key[0]) if key else None)

    def find(self, release_id: str) -> Retrospective | None:
        row = self._conn.execute(
            sa.select(retrospectives).where(retrospectives.c.release_id == release_id)
        ).first()
        return None if row is None else _retro_from_row(row._mapping)

    def list(self) -> builtins.list[Retrospective]:
        rows = self._conn.execute(sa.select(retrospectives).order_by(retrospectives.c.id))
        return [_retro_from_row(r._mapping) for r in rows]


def _retro_from_row(r: sa.RowMapping) -> Retrospective:
    return Retrospective(
        release_id=r["release_id"],
        created_by=r["created_by"],
        created_at=r["created_at"],
        due_at=r["due_at"],
        participants=tuple(r["participants"]),
        metrics=r["metrics"],
        content=r["content"],
        path=r["path"],
        id=r["id"],
    )
