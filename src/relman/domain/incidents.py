"""Incidents and the emergency hotfix path (J-003 §2.3, §13).

An incident has a severity from the policy's §13.1 table (P1 Critical "System down, no
workaround" ... P4 Low "Cosmetic issues"). P1 and P2 (``hotfix_severities``) open the hotfix
path: the emergency CAB is notified, a hotfix release is created and linked to the incident and
its ``hotfix/...`` branch, only smoke tests are required (the hotfix gates say so), and the
release may deploy at any time with an emergency override. Its lifecycle here is::

    open --(update, severity change, hotfix linked)--> open --close(resolution)--> closed

Every change is an `IncidentUpdate`, so ``relman incident show`` tells the story in order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from relman.errors import ConflictError, InvalidInputError

STATUSES = ("open", "closed")
_INCIDENT_ID = re.compile(r"INC-(\d+)")


@dataclass(frozen=True)
class Severity:
    """One row of the §13.1 severity assessment."""

    id: str  # P1..P4
    name: str
    criteria: str
    examples: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.id} {self.name}: {self.criteria}"


@dataclass(frozen=True)
class IncidentPolicy:
    severities: Mapping[str, Severity]
    hotfix_severities: tuple[str, ...] = ("P1", "P2")
    cab_roles: tuple[str, ...] = ()  # §13.1 Emergency CAB seats
    retrospective_within: timedelta = timedelta(hours=48)

    def get_severity(self, severity_id: str) -> Severity:
        found = self.severities.get(severity_id.strip().upper())
        if found is None:
            known = "; ".join(s.describe() for s in self.severities.values())
            raise InvalidInputError(
                f"unknown severity '{severity_id}' (J-003 §13.1: {known})", where="--severity"
            )
        return found

    def opens_hotfix_path(self, severity_id: str) -> bool:
        return severity_id in self.hotfix_severities


@dataclass(frozen=True)
class Incident:
    id: str  # INC-1
    severity: str
    title: str
    description: str
    status: str  # open|closed
    opened_by: str
    opened_at: datetime
    release_id: str | None = None  # the release it is a defect of
    hotfix_release_id: str | None = None  # the hotfix release that fixes it
    hotfix_branch: str | None = None
    root_cause: str = ""
    closed_by: str | None = None
    closed_at: datetime | None = None
    resolution: str = ""
    revision: int = 1  # optimistic lock: the store bumps it on every update

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class IncidentUpdate:
    """One entry of an incident's story."""

    incident_id: str
    at: datetime
    actor: str
    kind: str  # opened|update|severity|root_cause|hotfix|branch|closed|cab_notified|unreachable
    text: str


def compute_next_incident_id(existing: list[str]) -> str:
    numbers = [int(m.group(1)) for i in existing if (m := _INCIDENT_ID.fullmatch(i))]
    return f"INC-{max(numbers, default=0) + 1}"


def decide_open(
    *,
    incident_id: str,
    severity: str,
    title: str,
    description: str,
    actor: str,
    now: datetime,
    policy: IncidentPolicy,
    release_id: str | None = None,
) -> tuple[Incident, IncidentUpdate]:
    """A new open incident and its first story entry (InvalidInputError for bad input)."""
    sev = policy.get_severity(severity)
    if not title.strip():
        raise InvalidInputError("an incident needs a title saying what is broken", where="--title")
    incident = Incident(
        id=incident_id,
        severity=sev.id,
        title=title.strip(),
        description=description.strip(),
        status="open",
        opened_by=actor,
        opened_at=now,
        release_id=release_id,
    )
    path = " (hotfix path)" if policy.opens_hotfix_path(sev.id) else ""
    story = IncidentUpdate(incident_id, now, actor, "opened", f"opened as {sev.describe()}{path}")
    return incident, story


def _require_open(incident: Incident, verb: str) -> None:
    if not incident.is_open:
        raise ConflictError(
            f"incident {incident.id} is closed (since "
            f"{incident.closed_at:%Y-%m-%d %H:%M}); it cannot be {verb}"
            if incident.closed_at
            else f"incident {incident.id} is closed; it cannot be {verb}",
            where=f"incident {incident.id}",
        )


def decide_update(
    incident: Incident,
    *,
    actor: str,
    now: datetime,
    policy: IncidentPolicy,
    text: str = "",
    severity: str | None = None,
    root_cause: str | None = None,
) -> tuple[Incident, list[IncidentUpdate]]:
    """An update: a note, a new severity, a root cause (at least one of them)."""
    _require_open(incident, "updated")
    stories: list[IncidentUpdate] = []
    changed = incident
    if severity is not None:
        sev = policy.get_severity(severity)
        if sev.id != incident.severity:
            changed = replace(changed, severity=sev.id)
            stories.append(
                IncidentUpdate(
                    incident.id, now, actor, "severity", f"{incident.severity} -> {sev.describe()}"
                )
            )
    if root_cause is not None and root_cause.strip():
        changed = replace(changed, root_cause=root_cause.strip())
        stories.append(IncidentUpdate(incident.id, now, actor, "root_cause", root_cause.strip()))
    if text.strip():
        stories.append(IncidentUpdate(incident.id, now, actor, "update", text.strip()))
    if not stories:
        raise InvalidInputError(
            "nothing to update: give --message, --severity or --root-cause", where="--message"
        )
    return changed, stories


def decide_link_hotfix(
    incident: Incident,
    *,
    actor: str,
    now: datetime,
    release_id: str | None = None,
    branch: str | None = None,
) -> tuple[Incident, list[IncidentUpdate]]:
    """Link the hotfix release and/or branch that fixes the incident."""
    _require_open(incident, "given a hotfix")
    stories = []
    changed = incident
    if release_id is not None and release_id != incident.hotfix_release_id:
        if incident.hotfix_release_id is not None:
            raise ConflictError(
                f"incident {incident.id} already has hotfix release {incident.hotfix_release_id}",
                where=f"incident {incident.id}",
            )
        changed = replace(changed, hotfix_release_id=release_id)
        stories.append(IncidentUpdate(incident.id, now, actor, "hotfix", f"hotfix {release_id}"))
    if branch is not None and branch != incident.hotfix_branch:
        changed = replace(changed, hotfix_branch=branch)
        stories.append(IncidentUpdate(incident.id, now, actor, "branch", f"branch {branch}"))
    return changed, stories


def decide_close(
    incident: Incident, *, actor: str, now: datetime, resolution: str
) -> tuple[Incident, IncidentUpdate]:
    _require_open(incident, "closed again")
    if not resolution.strip():
        raise InvalidInputError(
            f"closing {incident.id} needs a resolution saying what fixed it", where="--resolution"
        )
    closed = replace(
        incident, status="closed", closed_by=actor, closed_at=now, resolution=resolution.strip()
    )
    return closed, IncidentUpdate(incident.id, now, actor, "closed", resolution.strip())
