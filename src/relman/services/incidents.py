"""Incident use cases and the emergency hotfix path (J-003 §2.3, §13).

``open_incident`` records the incident and, for a hotfix severity (P1/P2), queues the
emergency communication of §11.2 in the same transaction (the NOTIFY service routes it to the
emergency column of the stakeholder matrix and to the emergency CAB seats, and schedules the
"next update in 30 minutes" reminders), then creates the hotfix release (release type hotfix,
through the lifecycle's `plan_release`), links it to the incident and ticks the §13.1
checklist items the events prove: 13.1-1 severity confirmed, 13.1-2 emergency CAB convened
(notified). ``create_hotfix`` does the hotfix part alone and can start the ``hotfix/...``
branch with ``relman flow`` (linking branch and release). Updates tick 13.1-3 (root cause)
and 13.1-11 (incident ticket updated, once the hotfix is deployed); closing the incident
announces its resolution.

When the emergency messages can reach nobody of an emergency CAB seat, or the reminders nobody
of an update role (nobody holds it, no address, its channel not configured), opening warns,
naming them and why, and the story and the audit entry record it (kind ``unreachable``);
each update that reschedules the reminders warns again (the checks:
`relman.services.incident_reach`).

A failure of the hotfix part never loses the incident: it is committed first, and the
outcome carries a warning naming ``relman incident hotfix INC-n`` to finish by hand.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from relman.domain.checklists import AUTO_TICKER
from relman.domain.incidents import (
    Incident,
    IncidentPolicy,
    IncidentUpdate,
    decide_link_hotfix,
    decide_open,
)
from relman.domain.releases import Release
from relman.errors import ConflictError, RelmanError
from relman.services.incident_reach import check_reach, describe_cab_notice
from relman.services.lifecycle import Lifecycle, Tx, get_actor, read, run_in_transaction

if TYPE_CHECKING:
    from relman.domain.flow import FlowPolicy
    from relman.domain.notifications import NotificationEvent
    from relman.domain.outbox import OutboxEntry
    from relman.ports import GitRepo, UnitOfWork
    from relman.services.flow import FlowGit
    from relman.services.flow_records import FlowRecords
    from relman.services.notifications import Notifications

HOTFIX_CHECKLIST = "13.1"
T = TypeVar("T")


@dataclass(frozen=True)
class FlowTools:
    """What ``flow hotfix start`` needs (opened only with ``--start-branch``)."""

    flow: FlowGit
    git: GitRepo
    policy: FlowPolicy
    records: FlowRecords


@dataclass(frozen=True)
class Incidents:
    """What the incident use cases need, wired by `relman.bootstrap` (``services.incidents``)."""

    lifecycle: Lifecycle
    incident_policy: IncidentPolicy
    open_notifications: Callable[[], Notifications | None]
    open_flow: Callable[[], FlowTools]

    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        return self.lifecycle.uow_factory


@dataclass(frozen=True)
class HotfixOutcome:
    incident: Incident
    release: Release | None
    branch: str | None = None
    messages: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenedIncident:
    incident: Incident
    notified: int  # notifications queued (emergency communication)
    hotfix: HotfixOutcome | None = None
    warnings: tuple[str, ...] = field(default=())


def run_incident_tx(inc: Incidents, actor: str, work: Callable[[Tx], T]) -> T:
    lc = inc.lifecycle
    return run_in_transaction(uow_factory=lc.uow_factory, clock=lc.clock, actor=actor, work=work)


def queue_event(inc: Incidents, tx: Tx, event: NotificationEvent) -> list[OutboxEntry]:
    """Queue ``event``'s notifications in this transaction; the rows queued."""
    notifications = inc.open_notifications()
    if notifications is None:
        return []
    from relman.services.notifications import queue_notifications

    return queue_notifications(tx.uow, event, notifications=notifications)


def deliver_now(inc: Incidents) -> None:
    """Send what was queued, after the commit; a channel outage never fails the caller."""
    notifications = inc.open_notifications()
    if notifications is not None:
        from relman.services.notification_delivery import deliver_quietly

        deliver_quietly(notifications=notifications)


def add_stories(tx: Tx, stories: Sequence[IncidentUpdate]) -> None:
    for story in stories:
        tx.uow.incidents.add_update(story)


# --- open -----------------------------------------------------------------------------------


def open_incident(
    inc: Incidents,
    *,
    severity: str,
    title: str,
    actor: str,
    description: str = "",
    release_id: str | None = None,
    hotfix: bool = True,
    version: str = "auto",
    start_branch: bool = False,
) -> OpenedIncident:
    """Record an incident; P1/P2 open the hotfix path (see the module docstring)."""
    policy = inc.lifecycle.policy
    person = get_actor(policy, actor)

    def work(tx: Tx) -> OpenedIncident:
        if release_id is not None:
            tx.uow.releases.get(release_id)  # NotFoundError naming it
        incident, story = decide_open(
            incident_id=tx.uow.incidents.next_id(),
            severity=severity,
            title=title,
            description=description,
            actor=person.id,
            now=tx.at,
            policy=inc.incident_policy,
            release_id=release_id,
        )
        tx.writing = True
        tx.uow.incidents.add(incident)
        stories = [story]
        notified = 0
        warnings: list[str] = []
        if inc.incident_policy.opens_hotfix_path(incident.severity):
            from relman.domain.notification_events import incident_opened

            event = incident_opened(
                incident_id=incident.id, title=incident.title, severity=incident.severity,
                at=tx.at, impact=incident.description, release_id=release_id,
                action="emergency CAB convened; hotfix path opened (J-003 §13.1)",
            )  # fmt: skip
            queued = queue_event(inc, tx, event)
            notified = len(queued)
            stories.append(
                IncidentUpdate(
                    incident.id,
                    tx.at,
                    person.id,
                    "cab_notified",
                    describe_cab_notice(inc.incident_policy.cab_roles, queued),
                )
            )
            warnings = check_reach(inc, incident.id, queued)
        # each warning goes into the story too (kind "unreachable")
        stories += [
            IncidentUpdate(incident.id, tx.at, person.id, "unreachable", w) for w in warnings
        ]
        add_stories(tx, stories)
        after = {"incident": incident, "notified": notified, "warnings": warnings}
        tx.record("incident.open", incident.id, after=after)
        return OpenedIncident(incident, notified, warnings=tuple(warnings))

    opened = run_incident_tx(inc, person.id, work)
    deliver_now(inc)
    if not (hotfix and inc.incident_policy.opens_hotfix_path(opened.incident.severity)):
        return opened
    try:
        outcome = create_hotfix(
            inc,
            incident_id=opened.incident.id,
            actor=person.id,
            version=version,
            start_branch=start_branch,
        )
    except RelmanError as exc:  # the incident is recorded: say how to finish by hand
        warning = (
            f"{opened.incident.id} is open, but its hotfix release was not created: {exc} "
            f"(then run: relman incident hotfix {opened.incident.id} --as {person.id})"
        )
        return dataclasses.replace(opened, warnings=(*opened.warnings, warning))
    return dataclasses.replace(opened, incident=outcome.incident, hotfix=outcome)


# --- the hotfix -----------------------------------------------------------------------------


def create_hotfix(
    inc: Incidents,
    *,
    incident_id: str,
    actor: str,
    version: str = "auto",
    start_branch: bool = False,
) -> HotfixOutcome:
    """Create the incident's hotfix release (if it has none) and, with ``start_branch``,
    start its ``hotfix/...`` branch linked to the release."""
    from relman.services.planning import plan_release

    lc = inc.lifecycle
    person = get_actor(lc.policy, actor)
    incident = read(lc.uow_factory, lambda uow: uow.incidents.get(incident_id))
    if not incident.is_open:
        raise ConflictError(f"incident {incident.id} is closed", where=f"incident {incident.id}")
    if not inc.incident_policy.opens_hotfix_path(incident.severity):
        raise ConflictError(
            f"{incident.id} is {incident.severity}: only "
            f"{'/'.join(inc.incident_policy.hotfix_severities)} take the hotfix path "
            "(J-003 §13.1); fix it in the standard process",
            where=f"incident {incident.id}",
        )
    messages: list[str] = []
    warnings: list[str] = []
    release_id = incident.hotfix_release_id
    if release_id is None:
        planned = plan_release(
            uow_factory=lc.uow_factory,
            policy=lc.policy,
            git=lc.git,
            versioning=lc.versioning,
            clock=lc.clock,
            actor=person.id,
            release_type="hotfix",
            target_date=lc.clock.now().date(),
            version=version,
            title=f"Hotfix for {incident.id}: {incident.title}",
        )
        release_id = planned.release.id
        messages.append(f"created hotfix release {release_id} {planned.release.version}")
        warnings.extend(planned.warnings)
        incident = _link(inc, incident.id, person.id, release_id=release_id)
    branch = None
    if start_branch:
        branch, flow_messages, flow_warnings = _start_branch(inc, incident, release_id, person.id)
        messages.extend(flow_messages)
        warnings.extend(flow_warnings)
        incident = _link(inc, incident.id, person.id, branch=branch)
    release = read(lc.uow_factory, lambda uow: uow.releases.get(release_id))
    return HotfixOutcome(incident, release, branch, tuple(messages), tuple(warnings))


def _link(
    inc: Incidents,
    incident_id: str,
    actor: str,
    *,
    release_id: str | None = None,
    branch: str | None = None,
) -> Incident:
    """Link a hotfix release/branch and tick what the incident proves on its checklist."""

    def work(tx: Tx) -> Incident:
        incident = tx.uow.incidents.get(incident_id)
        changed, stories = decide_link_hotfix(
            incident, actor=actor, now=tx.at, release_id=release_id, branch=branch
        )
        if not stories:
            return incident
        saved = tx.uow.incidents.update(changed, expected_revision=incident.revision)
        tx.writing = True
        add_stories(tx, stories)
        tx.record("incident.hotfix", incident.id, before=incident, after=saved)
        if release_id is not None:
            severity = inc.incident_policy.get_severity(saved.severity)
            tick(tx, release_id, "13.1-1", f"incident {saved.id} opened as {severity.describe()}")
            cab = [u for u in tx.uow.incidents.list_updates(saved.id) if u.kind == "cab_notified"]
            if cab:
                tick(tx, release_id, "13.1-2", f"incident {saved.id}: {cab[-1].text}")
            tick_delivered(tx, saved, release_id)
        return saved

    return run_incident_tx(inc, actor, work)


def _start_branch(
    inc: Incidents, incident: Incident, release_id: str, actor: str
) -> tuple[str, list[str], list[str]]:
    from relman.services.flow import RecordLink, start_hotfix
    from relman.services.flow_records import RecordOptions

    if incident.hotfix_branch:
        raise ConflictError(
            f"{incident.id} already has branch {incident.hotfix_branch}",
            where=f"incident {incident.id}",
        )
    tools = inc.open_flow()
    outcome = start_hotfix(
        flow=tools.flow,
        git=tools.git,
        policy=tools.policy,
        description=compute_branch_description(incident),
        link=RecordLink(
            records=tools.records,
            options=RecordOptions(enabled=True, release_id=release_id, actor=actor),
        ),
    )
    record = outcome.record
    messages = [f"started branch {outcome.plan.branch} at {outcome.plan.version}"]
    warnings = list(outcome.warnings)
    if record is not None:
        messages.extend(record.messages)
        if record.warning:
            warnings.append(record.warning)
    return outcome.plan.branch, messages, warnings


def compute_branch_description(incident: Incident) -> str:
    """``inc-3-payments-down``: kebab case, at most five words of the title."""
    words = re.findall(r"[a-z0-9]+", incident.title.lower())[:5]
    return "-".join([incident.id.lower(), *words])


def tick(tx: Tx, release_id: str, item_id: str, proof: str) -> None:
    """Tick a §13.1 item of the hotfix release from an event (audited as done by relman)."""
    release = tx.uow.releases.get(release_id)
    if release.phase.is_terminal:
        return
    items = tx.uow.checklists.list(release_id, checklist_id=HOTFIX_CHECKLIST)
    item = next((i for i in items if i.item_id == item_id), None)
    if item is None or item.is_ticked:
        return
    ticked = dataclasses.replace(item, ticked_by=AUTO_TICKER, ticked_at=tx.at, proof=proof)
    tx.uow.checklists.update(ticked)
    tx.record("checklist.auto_tick", release_id, before=item, after=ticked, actor=AUTO_TICKER)


def tick_delivered(tx: Tx, incident: Incident, release_id: str) -> None:
    """13.1-6 "Stakeholders notified" once every required emergency notification of the
    incident was delivered (the outbox's own proof: `compute_notified_events`)."""
    from relman.domain.outbox import compute_notified_events

    if "notified:hotfix" in compute_notified_events(tx.uow.outbox.list(subject=incident.id)):
        tick(tx, release_id, "13.1-6", f"emergency notifications of {incident.id} delivered")
