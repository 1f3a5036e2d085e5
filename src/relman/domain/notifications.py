"""Who hears what (J-003 §11): the stakeholder matrix routes events to people and channels.

An event (`NotificationEvent`) has a type (`EVENT_TYPES`); each type belongs to one column of the
§11.1 stakeholder matrix (`EventKind`) and names the §11.2 message template it is told with.
`plan_notifications` reads the matrix row of every stakeholder for that column and returns one
`Notification` per (recipient, channel):

- The cell decides *whether* and *how*: empty, "No" or "-" means not told; a cell naming channels
  ("Email", "Slack + Call", "Status page", "In-app notification") uses those; any other text
  ("Yes - approval", "Detailed briefing") uses the stakeholder's first channel. "Major features
  only" limits the row to major releases. An explicit route (``[notifications.routes]``)
  replaces what the cell text says.
- Person channels (email, phone) reach each person holding the role, one notification each; a
  person holding several roles is told once per channel. When nobody holds the role, the
  notification is still planned (the matrix requires it) with a ``problem``, so compliance
  reports the gap (`relman.domain.notification_reach.decide_reach` finds the recipients).
- Role-wide channels (Slack, webhooks, the status page) reach the role once.
- The seats of the §13.1 emergency CAB (``StakeholderMatrix.cab``) are extra rows of the
  emergency column: the Incident Commander, who has no §11.1 row, hears the emergency messages
  too; a person already told through the matrix is not told twice on the same channel.

Deployment events are announced only for the matrix's environments (production by default).
Everything here is pure: no clock reads (``now`` comes in), no I/O.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from relman.domain.notification_reach import decide_reach, list_reminder_reach
from relman.domain.policy import Person
from relman.errors import InvalidInputError


class EventKind(StrEnum):
    """The four columns of the §11.1 stakeholder communication matrix."""

    RELEASE_NOTIFICATION = "release_notification"
    DEPLOYMENT_WINDOW = "deployment_window"
    POST_RELEASE = "post_release"
    EMERGENCY = "emergency"


@dataclass(frozen=True)
class EventType:
    """One kind of event people are told about; ``kind`` None: not routed by the matrix."""

    name: str
    kind: EventKind | None
    description: str

    @property
    def template(self) -> str:
        """The message template (``<template>.txt.j2``, or ``<template>.<channel>.txt.j2``)."""
        return self.name


_K = EventKind
EVENT_TYPES: Mapping[str, EventType] = {
    t.name: t
    for t in (
        EventType("pre_release", _K.RELEASE_NOTIFICATION, "pre-release notice, T-48h (§11.2)"),
        EventType("deployment_started", _K.DEPLOYMENT_WINDOW, "a deployment started (§11.2)"),
        EventType("deployment_completed", _K.DEPLOYMENT_WINDOW, "a deployment finished (§11.2)"),
        EventType(
            "override_granted", _K.DEPLOYMENT_WINDOW, "a window override was granted (§12.4)"
        ),
        EventType("rollback", _K.EMERGENCY, "a deployment was rolled back (§9.3)"),
        EventType("post_release", _K.POST_RELEASE, "post-release summary (§7.3, §14)"),
        EventType("emergency", _K.EMERGENCY, "an incident was opened (§11.2, §13)"),
        EventType("incident_update", _K.EMERGENCY, "the promised incident update (§11.2)"),
        EventType("incident_resolved", _K.EMERGENCY, "an incident was resolved (§13)"),
        EventType("incident_update_due", None, "reminder: the next incident update is due"),
    )
}
"""Every event type relman announces, by name."""

DEPLOYMENT_EVENTS = frozenset({"deployment_started", "deployment_completed", "rollback"})
INCIDENT_UPDATE_DUE = "incident_update_due"

CHECKLIST_EVENTS: Mapping[str, tuple[str, ...]] = {
    "pre_release": ("notified:pre_release",),
    "deployment_started": ("notified:deployment_start",),
    "deployment_completed": ("notified:deployment_complete",),
    "rollback": ("notified:rollback",),
    "emergency": ("notified:emergency", "notified:hotfix"),
    "post_release": ("notified:post_release",),
}
"""Checklist proof events (``event:notified:...``) an event type's delivery proves."""

NOT_TOLD = frozenset({"", "no", "none", "-", "—", "n/a", "never"})
_CHANNEL_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"\be-?mail\b", re.IGNORECASE)),
    ("slack", re.compile(r"\bslack\b", re.IGNORECASE)),
    ("phone", re.compile(r"\b(call|phone|sms)\b", re.IGNORECASE)),
    ("status_page", re.compile(r"\bstatus[ _-]?page\b", re.IGNORECASE)),
    ("in_app", re.compile(r"\bin[ _-]?app\b", re.IGNORECASE)),
    ("servicenow", re.compile(r"\bservice[ _-]?now\b", re.IGNORECASE)),
)
_ONLY_TYPE = re.compile(r"\b(major|minor|patch|hotfix)\b[^.;]*\bonly\b", re.IGNORECASE)


@dataclass(frozen=True)
class Stakeholder:
    """One row of the matrix: the role, the four cells, the channels that reach it (§11.3).

    ``details``: what a route says it tells when that is not the cell itself; text only, never
    read as a rule (an emergency CAB seat's cell is a fixed "Emergency CAB", its detail names
    the seat's responsibility, which may well say "major incidents only")."""

    role: str
    name: str
    cells: Mapping[EventKind, str]
    channels: tuple[str, ...] = ("email",)
    routes: Mapping[EventKind, tuple[str, ...]] = field(default_factory=dict)  # overrides
    details: Mapping[EventKind, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """How one stakeholder is told about one kind of event."""

    role: str
    kind: EventKind
    channels: tuple[str, ...]
    detail: str  # the matrix cell, e.g. "Technical details" (or the stakeholder's detail)
    release_types: tuple[str, ...] = ()  # empty: every release type


@dataclass(frozen=True)
class StakeholderMatrix:
    """The §11.1 matrix plus how relman delivers it. ``cab``: the §13.1 emergency CAB seats that
    hear the emergency column besides the matrix rows (``[emergency.cab.<role>] channels``)."""

    stakeholders: Mapping[str, Stakeholder]
    cab: Mapping[str, Stakeholder] = field(default_factory=dict)
    person_channels: frozenset[str] = frozenset({"email", "phone"})
    environments: tuple[str, ...] = ("prod",)
    on_time: Mapping[EventKind, timedelta] = field(
        default_factory=lambda: {
            EventKind.RELEASE_NOTIFICATION: timedelta(hours=4),
            EventKind.DEPLOYMENT_WINDOW: timedelta(minutes=15),
            EventKind.POST_RELEASE: timedelta(hours=24),
            EventKind.EMERGENCY: timedelta(minutes=15),
        }
    )
    update_roles: tuple[str, ...] = ("incident_commander", "devops_lead")
    update_channels: tuple[str, ...] = ("email",)

    def decide_route(self, role: str, kind: EventKind) -> Route | None:
        return decide_route(self.stakeholders[role], kind)

    def deadline_after(self, kind: EventKind | None) -> timedelta:
        """How long after it is due a notification still counts as on time."""
        if kind is None:
            return timedelta(minutes=15)
        return self.on_time.get(kind, timedelta(minutes=15))


@dataclass(frozen=True)
class NotificationEvent:
    """Something stakeholders must hear about.

    ``subject`` is what it is about (a release id ``R-1``, an incident id ``INC-3``), as in the
    audit log. ``facts`` are the template's values: JSON values, with instants (datetimes) in
    keys ending in ``_at``. ``key`` identifies the event: queueing the same key twice queues
    nothing new. ``due_at``: when to tell (default: ``at``, i.e. now).
    """

    type: str
    subject: str
    at: datetime
    facts: Mapping[str, object] = field(default_factory=dict)
    key: str = ""
    due_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            known = ", ".join(EVENT_TYPES)
            raise InvalidInputError(
                f"unknown notification event type '{self.type}' (known: {known})",
                where=f"event {self.subject}",
            )
        if self.at.tzinfo is None or (self.due_at is not None and self.due_at.tzinfo is None):
            raise InvalidInputError("event times must be time-zone aware", where=self.subject)
        if not self.key:
            stamp = self.at.isoformat(timespec="seconds")
            object.__setattr__(self, "key", f"{self.type}:{self.subject}:{stamp}")

    @property
    def event_type(self) -> EventType:
        return EVENT_TYPES[self.type]

    @property
    def when(self) -> datetime:
        return self.due_at or self.at

    @property
    def release_type(self) -> str | None:
        value = self.facts.get("release_type")
        return value if isinstance(value, str) else None

    @property
    def environment(self) -> str | None:
        value = self.facts.get("environment")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Notification:
    """One message to one recipient over one channel."""

    event_key: str
    event_type: str
    kind: EventKind | None
    subject: str  # what it is about: "R-1", "INC-3"
    recipient: str  # a person id; the role itself on a role-wide channel
    recipient_name: str
    role: str  # the stakeholder role(s) it is for, comma-separated
    channel: str
    address: str  # email address / person id on person channels, "" on role-wide ones
    template: str
    due_at: datetime
    deadline: datetime  # delivered later than this is late
    required: bool  # the matrix requires it (counted by notification compliance)
    queued_at: datetime
    detail: str = ""  # the matrix cell
    problem: str | None = None  # why it cannot be delivered


def decide_route(stakeholder: Stakeholder, kind: EventKind) -> Route | None:
    """How the matrix cell (or an explicit route) tells this stakeholder; None: not told."""
    cell = stakeholder.cells.get(kind, "").strip()
    only = _ONLY_TYPE.search(cell)
    release_types = (only.group(1).lower(),) if only else ()
    detail = stakeholder.details.get(kind, cell)
    if kind in stakeholder.routes:
        channels = stakeholder.routes[kind]
        if not channels:
            return None
        return Route(stakeholder.role, kind, tuple(channels), detail, release_types)
    if cell.lower() in NOT_TOLD:
        return None
    named = tuple(name for name, pattern in _CHANNEL_WORDS if pattern.search(cell))
    channels = named or stakeholder.channels[:1]
    if not channels:
        return None
    return Route(stakeholder.role, kind, channels, detail, release_types)


def plan_notifications(
    event: NotificationEvent,
    matrix: StakeholderMatrix,
    people: Iterable[Person],
    now: datetime,
) -> list[Notification]:
    """Every notification the matrix requires for ``event``, in matrix order, one per
    (recipient, channel), queued at ``now``. Each is due when the event says (its ``due_at``,
    else when it happened) and on time until the column's allowance has passed."""
    kind = event.event_type.kind
    if kind is None or not _announced(event, matrix):
        return []
    everyone = list(people)
    base = Notification(
        event_key=event.key,
        event_type=event.type,
        kind=kind,
        subject=event.subject,
        recipient="",
        recipient_name="",
        role="",
        channel="",
        address="",
        template=event.event_type.template,
        due_at=event.when,
        deadline=event.when + matrix.deadline_after(kind),
        required=True,
        queued_at=now,
    )
    planned: dict[tuple[str, str], Notification] = {}
    for stakeholder in (*matrix.stakeholders.values(), *matrix.cab.values()):
        route = decide_route(stakeholder, kind)
        if route is None or (route.release_types and event.release_type not in route.release_types):
            continue
        for channel in route.channels:
            for note in _address(
                base,
                stakeholder=stakeholder,
                route=route,
                channel=channel,
                matrix=matrix,
                people=everyone,
            ):
                key = (note.recipient, note.channel)
                planned[key] = _merge(planned[key], note) if key in planned else note
    return list(planned.values())


def plan_incident_reminders(
    *,
    incident_id: str,
    matrix: StakeholderMatrix,
    people: Iterable[Person],
    start: datetime,
    every: timedelta,
    count: int,
    now: datetime,
) -> list[Notification]:
    """Reminders that the next incident update is due, at ``start + every``, ``+ 2*every`` ...
    (``count`` of them), to the people holding the update roles (the role itself on a role-wide
    channel). Not required by the matrix: they prompt the promised update, which is."""
    reaches = list_reminder_reach(matrix, people)
    out: list[Notification] = []
    for n in range(1, count + 1):
        due = start + every * n
        base = Notification(
            event_key=f"{INCIDENT_UPDATE_DUE}:{incident_id}:{due.isoformat(timespec='seconds')}",
            event_type=INCIDENT_UPDATE_DUE,
            kind=None,
            subject=incident_id,
            recipient="",
            recipient_name="",
            role="",
            channel="",
            address="",
            template=INCIDENT_UPDATE_DUE,
            due_at=due,
            deadline=due + timedelta(minutes=5),
            required=False,
            queued_at=now,
        )
        seen: dict[tuple[str, str], Notification] = {}
        for reach in reaches:
            if reach.role_wide:
                role = reach.role
                note = _replace(base, recipient=role, recipient_name=role, role=role)
                seen.setdefault((role, reach.channel), _replace(note, channel=reach.channel))
            for person, address in reach.people:
                note = _replace(
                    base,
                    recipient=person.id,
                    recipient_name=person.name,
                    role=reach.role,
                    channel=reach.channel,
                    address=address,
                )
                seen.setdefault((person.id, reach.channel), note)
        out.extend(seen.values())
    return out


def _announced(event: NotificationEvent, matrix: StakeholderMatrix) -> bool:
    if event.type not in DEPLOYMENT_EVENTS or not matrix.environments:
        return True
    return event.environment in matrix.environments


def _address(
    base: Notification,
    *,
    stakeholder: Stakeholder,
    route: Route,
    channel: str,
    matrix: StakeholderMatrix,
    people: list[Person],
) -> list[Notification]:
    note = _replace(
        base,
        recipient=stakeholder.role,
        recipient_name=stakeholder.name,
        role=stakeholder.role,
        channel=channel,
        detail=route.detail,
    )
    reach = decide_reach(
        stakeholder.role, channel, person_channels=matrix.person_channels, people=people
    )
    if reach.role_wide:
        return [note]
    if reach.problem is not None:
        return [_replace(note, problem=reach.problem)]
    return [
        _replace(note, recipient=p.id, recipient_name=p.name, address=address)
        for p, address in reach.people
    ]


def _merge(first: Notification, second: Notification) -> Notification:
    roles = ",".join(
        dict.fromkeys(r for r in (*first.role.split(","), *second.role.split(",")) if r)
    )
    detail = "; ".join(dict.fromkeys(d for d in (first.detail, second.detail) if d))
    return _replace(first, role=roles, detail=detail, required=first.required or second.required)


def _replace(note: Notification, **changes: object) -> Notification:
    return dataclasses.replace(note, **changes)  # type: ignore[arg-type]
