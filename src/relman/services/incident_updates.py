"""Incident updates, closing and reading (J-003 §11.2, §13): the rest of
`relman.services.incidents`.

An update posts the promised "next update" to the emergency audience and ticks 13.1-3 (root
cause identified) and, once the hotfix is deployed, 13.1-11 (incident ticket updated) on the
hotfix release; closing announces the resolution, which also stops the update reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from relman.domain.incidents import Incident, IncidentUpdate, decide_close, decide_update
from relman.domain.releases import Release
from relman.errors import InvalidInputError
from relman.services.incident_reach import check_reach
from relman.services.incidents import (
    Incidents,
    add_stories,
    deliver_now,
    queue_event,
    run_incident_tx,
    tick,
    tick_delivered,
)
from relman.services.lifecycle import Tx, get_actor, read

if TYPE_CHECKING:
    from relman.ports import UnitOfWork


# --- update / close -------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdatedIncident:
    incident: Incident
    stories: list[IncidentUpdate]  # what the update changed
    warnings: tuple[str, ...] = ()  # the next reminders reach nobody of an update role


def update_incident(
    inc: Incidents,
    *,
    incident_id: str,
    actor: str,
    message: str = "",
    severity: str | None = None,
    root_cause: str | None = None,
) -> UpdatedIncident:
    """Post an update (the promised "next update"), change the severity or name the root cause.
    For a P1/P2 it is announced and the reminders start again (warned when they reach nobody)."""
    person = get_actor(inc.lifecycle.policy, actor)

    def work(tx: Tx) -> UpdatedIncident:
        incident = tx.uow.incidents.get(incident_id)
        changed, stories = decide_update(
            incident, actor=person.id, now=tx.at, policy=inc.incident_policy, text=message,
            severity=severity, root_cause=root_cause,
        )  # fmt: skip
        saved = tx.uow.incidents.update(changed, expected_revision=incident.revision)
        tx.writing = True
        add_stories(tx, stories)
        tx.record("incident.update", incident.id, before=incident, after=saved)
        _tick_progress(tx, saved, root_cause=root_cause)
        warnings: list[str] = []
        if inc.incident_policy.opens_hotfix_path(saved.severity):
            from relman.domain.notification_events import incident_updated

            text = "; ".join(s.text for s in stories)
            queue_event(inc, tx, incident_updated(
                incident_id=saved.id, title=saved.title, severity=saved.severity, at=tx.at,
                update=text, status="investigating" if not saved.hotfix_release_id else "fixing",
            ))  # fmt: skip
            warnings = check_reach(inc, saved.id)  # told, not noted again in the story
        return UpdatedIncident(saved, stories, tuple(warnings))

    done = run_incident_tx(inc, person.id, work)
    deliver_now(inc)
    return done


def _tick_progress(tx: Tx, incident: Incident, *, root_cause: str | None = None) -> None:
    release_id = incident.hotfix_release_id
    if release_id is None:
        return
    if root_cause:
        tick(tx, release_id, "13.1-3", f"incident {incident.id}: root cause {root_cause.strip()}")
    tick_delivered(tx, incident, release_id)
    if tx.uow.releases.get(release_id).deployed_at is not None:
        tick(tx, release_id, "13.1-11", f"incident {incident.id} updated after the deployment")


def close_incident(inc: Incidents, *, incident_id: str, actor: str, resolution: str) -> Incident:
    """Close the incident with its resolution; the last message goes out, reminders stop."""
    person = get_actor(inc.lifecycle.policy, actor)

    def work(tx: Tx) -> Incident:
        incident = tx.uow.incidents.get(incident_id)
        changed, story = decide_close(incident, actor=person.id, now=tx.at, resolution=resolution)
        saved = tx.uow.incidents.update(changed, expected_revision=incident.revision)
        tx.writing = True
        add_stories(tx, [story])
        tx.record("incident.close", incident.id, before=incident, after=saved)
        _tick_progress(tx, saved)
        if inc.incident_policy.opens_hotfix_path(saved.severity):
            from relman.domain.notification_events import incident_resolved

            queue_event(inc, tx, incident_resolved(
                incident_id=saved.id, title=saved.title, severity=saved.severity, at=tx.at,
                resolution=saved.resolution,
            ))  # fmt: skip
        return saved

    closed = run_incident_tx(inc, person.id, work)
    deliver_now(inc)
    return closed


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentDetails:
    incident: Incident
    updates: list[IncidentUpdate]
    affected: Release | None
    hotfix: Release | None


def get_incident_details(inc: Incidents, *, incident_id: str) -> IncidentDetails:
    def work(uow: UnitOfWork) -> IncidentDetails:
        incident = uow.incidents.get(incident_id)
        return IncidentDetails(
            incident,
            list(uow.incidents.list_updates(incident_id)),
            uow.releases.find(incident.release_id) if incident.release_id else None,
            uow.releases.find(incident.hotfix_release_id) if incident.hotfix_release_id else None,
        )

    return read(inc.uow_factory, work)


def list_incidents(
    inc: Incidents, *, status: str | None = None, release_id: str | None = None
) -> list[Incident]:
    if status is not None and status not in ("open", "closed"):
        raise InvalidInputError(f"unknown status '{status}' (open|closed)", where="--status")
    return read(
        inc.uow_factory, lambda uow: list(uow.incidents.list(status=status, release_id=release_id))
    )
