"""Notifications (J-003 §11): queue them with the event, deliver them after the commit.

Features that cause an event call `queue_notifications` INSIDE their own ``with uow:`` block,
so the event and the notifications it requires commit (or roll back) together::

    with notifications.uow_factory() as uow:
        ... record the deployment ...
        queue_notifications(uow, deployment_started(release, environment="prod", at=now),
                            notifications=notifications)
    deliver_quietly(notifications=notifications)   # after the commit; never raises

Delivery (`relman.services.notification_delivery`) sends what is due with retries; a channel
outage never fails the caller, and what could not be sent stays queued for the next delivery
(``relman notify due`` / ``relman notify retry``).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from relman.domain.notification_events import pre_release_notice
from relman.domain.notification_reach import (
    Contact,
    explain_reach,
    list_contacts,
    list_reminder_reach,
)
from relman.domain.notifications import (
    INCIDENT_UPDATE_DUE,
    NotificationEvent,
    plan_incident_reminders,
    plan_notifications,
)
from relman.domain.outbox import (
    OPEN_STATUSES,
    ComplianceReport,
    DeliveryStatus,
    NotificationPolicy,
    OutboxEntry,
    compute_compliance,
    compute_notified_events,
    make_entry,
)
from relman.domain.releases import Phase, Release
from relman.errors import RelmanError

if TYPE_CHECKING:
    from relman.domain.policy import Person
    from relman.ports import Clock, Notifier, UnitOfWork, UnitOfWorkFactory

REMINDER_EVENTS = frozenset({"emergency", "incident_update"})


class TemplateRenderer(Protocol):
    """Renders the message templates (`relman.adapters.templates.JinjaNotesRenderer`)."""

    def render(self, template: str, context: Mapping[str, Any]) -> str: ...

    def exists(self, template: str) -> bool: ...


@dataclass(frozen=True)
class Notifications:
    """What the notification use cases need, wired by `relman.bootstrap`
    (``services.notifications``). ``open_notifiers`` is called only when something is sent,
    so queueing never reads a secret or opens a connection."""

    uow_factory: UnitOfWorkFactory
    policy: NotificationPolicy
    people: Sequence[Person]
    renderer: TemplateRenderer
    clock: Clock
    open_notifiers: Callable[[], Mapping[str, Notifier]]
    context: Mapping[str, Any] = field(default_factory=dict)  # project, links, contacts
    downtime: Mapping[str, str] = field(default_factory=dict)  # release type -> downtime
    random: Callable[[], float] = random.random

    @property
    def notifiers(self) -> Mapping[str, Notifier]:
        return self.open_notifiers()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.policy.timezone)


def queue_notifications(
    uow: UnitOfWork, event: NotificationEvent, *, notifications: Notifications
) -> list[OutboxEntry]:
    """Queue what the stakeholder matrix requires for ``event`` in the caller's transaction.

    Returns the rows added (none when the same event key was queued before). An emergency or
    an incident update also (re)schedules the "next update" reminders; a resolved incident
    cancels them. Nothing is sent here: call `deliver_quietly` after the commit.
    """
    now = notifications.clock.now()
    planned = plan_notifications(event, notifications.policy.matrix, notifications.people, now)
    entries = [make_entry(n, event_at=event.at, facts=event.facts) for n in planned]
    added = list(uow.outbox.add(entries))
    facts = event.facts
    if event.type in REMINDER_EVENTS:
        schedule_incident_updates(
            uow,
            incident_id=event.subject,
            title=str(facts.get("incident_title", "")),
            severity=str(facts.get("severity", "")),
            start=event.at,
            notifications=notifications,
        )
    elif event.type == "incident_resolved":
        cancel_incident_updates(uow, incident_id=event.subject)
    return added


def schedule_incident_updates(
    uow: UnitOfWork,
    *,
    incident_id: str,
    title: str,
    severity: str,
    start: datetime,
    notifications: Notifications,
) -> list[OutboxEntry]:
    """Remind the update roles that the promised "next update in 30 minutes" is due, every
    ``incident_update_every`` after ``start`` (``incident_reminders`` times). Replaces the
    incident's earlier reminders that are still open: call it after each update (queueing an
    ``emergency`` or ``incident_update`` event does that for you)."""
    policy = notifications.policy
    reminders = plan_incident_reminders(
        incident_id=incident_id,
        matrix=policy.matrix,
        people=notifications.people,
        start=start,
        every=policy.incident_update_every,
        count=policy.incident_reminders,
        now=notifications.clock.now(),
    )
    keep = {(n.event_key, n.recipient, n.channel) for n in reminders}
    _cancel_reminders(uow, incident_id, keep=keep)
    facts = {"incident_id": incident_id, "incident_title": title, "severity": severity}
    return list(uow.outbox.add([make_entry(n, event_at=start, facts=facts) for n in reminders]))


def cancel_incident_updates(uow: UnitOfWork, *, incident_id: str) -> int:
    """Cancel the incident's open reminders (it was resolved); returns how many."""
    return _cancel_reminders(uow, incident_id, keep=set())


def _cancel_reminders(uow: UnitOfWork, incident_id: str, *, keep: set[tuple[str, str, str]]) -> int:
    count = 0
    open_rows = uow.outbox.list(
        statuses=OPEN_STATUSES, subject=incident_id, event_type=INCIDENT_UPDATE_DUE
    )
    for row in open_rows:
        if (row.event_key, row.recipient, row.channel) in keep:
            continue
        uow.outbox.update(
            dataclasses.replace(row, status=DeliveryStatus.CANCELLED, next_attempt_at=None)
        )
        count += 1
    return count


# --- reach: warn when a message can reach nobody --------------------------------------------


def find_configured_channels(notifications: Notifications) -> frozenset[str] | None:
    """The channels that have a transport (``[notifications.channels]``); None: unknown (they
    could not be built, and delivery will say why). Reads no secret, opens no connection."""
    try:
        return frozenset(notifications.notifiers)
    except RelmanError:
        return None


def check_reminder_reach(notifications: Notifications, *, incident_id: str) -> str | None:
    """A warning naming the update roles the "next update" reminders of ``incident_id`` cannot
    reach, and why (None: each role is reached, or no reminders are scheduled). It uses the
    routing that schedules them (`relman.domain.notification_reach.list_reminder_reach`)."""
    policy = notifications.policy
    if policy.incident_reminders == 0:
        return None
    minutes = int(policy.incident_update_every.total_seconds() // 60)
    reaches = list_reminder_reach(policy.matrix, notifications.people)
    return explain_reach(
        f'the "next update in {minutes} minutes" reminders of {incident_id} '
        "(notifications.incident_update_roles)",
        policy.matrix.update_roles,
        list_contacts(reaches),
        configured=find_configured_channels(notifications),
        no_route="notifications.incident_update_channels names no channel",
    )


def check_rows_reach(
    notifications: Notifications,
    *,
    what: str,
    roles: Sequence[str],
    rows: Sequence[OutboxEntry],
    no_route: str,
) -> str | None:
    """A warning naming the ``roles`` that none of the queued ``rows`` can reach (an undeliverable
    row carries its problem; a row on a channel with no transport is not delivered either)."""
    contacts = [
        Contact(role, row.channel, row.recipient, row.last_error)
        for row in rows
        for role in row.role.split(",")
        if role
    ]
    return explain_reach(
        what,
        roles,
        contacts,
        configured=find_configured_channels(notifications),
        no_route=no_route,
    )


def plan_deploy_time(release: Release, policy: NotificationPolicy) -> datetime:
    """When a release is planned to deploy: its target date at ``deploy_time``, policy zone."""
    return datetime.combine(
        release.target_date, policy.deploy_time, tzinfo=ZoneInfo(policy.timezone)
    )


def queue_due_notices(
    uow: UnitOfWork, *, notifications: Notifications, now: datetime
) -> list[OutboxEntry]:
    """Queue the T-48h pre-release notice of every release whose deployment is planned within
    ``pre_release_notice`` from ``now`` and not yet done (each release and date once)."""
    policy = notifications.policy
    queued: list[OutboxEntry] = []
    for release in uow.releases.list():
        if release.phase.is_terminal or release.phase in (Phase.VERIFY,):
            continue
        if release.deployed_at is not None:
            continue
        deploy_at = plan_deploy_time(release, policy)
        if not deploy_at - policy.pre_release_notice <= now < deploy_at:
            continue
        event = pre_release_notice(
            release,
            deploy_at=deploy_at,
            notice=policy.pre_release_notice,
            duration=policy.deployment_duration,
            downtime=notifications.downtime.get(release.release_type, "minimal"),
            highlights=_highlights(release),
        )
        queued.extend(queue_notifications(uow, event, notifications=notifications))
    return queued


def _highlights(release: Release) -> list[str]:
    lines = [release.title] if release.title.strip() else []
    if release.scope_commits or release.scope_tickets:
        tickets = ", ".join(release.scope_tickets[:10])
        more = " …" if len(release.scope_tickets) > 10 else ""
        lines.append(
            f"{len(release.scope_commits)} changes"
            + (f" ({tickets}{more})" if tickets else "")
            + f" - full list in the v{release.version} release notes"
        )
    return lines


# --- reading --------------------------------------------------------------------------------


def list_pending(*, notifications: Notifications) -> list[OutboxEntry]:
    """Queued notifications not delivered yet (pending or failed), oldest first."""
    with notifications.uow_factory() as uow:
        return list(uow.outbox.list(statuses=OPEN_STATUSES))


def list_log(
    *,
    notifications: Notifications,
    subject: str | None = None,
    statuses: Sequence[str] | None = None,
    limit: int | None = 200,
) -> list[OutboxEntry]:
    """Every queued notification and its outcome (the newest ``limit``), oldest first."""
    with notifications.uow_factory() as uow:
        return list(uow.outbox.list(statuses=statuses, subject=subject, limit=limit))


def report_compliance(
    *, notifications: Notifications, since: datetime | None = None, subject: str | None = None
) -> ComplianceReport:
    """Notification compliance (J-003 §1.2) of the notifications due since ``since``."""
    now = notifications.clock.now()
    with notifications.uow_factory() as uow:
        rows = uow.outbox.list(since=since, subject=subject)
    return compute_compliance(rows, now, target=notifications.policy.compliance_target)


def list_notified_events(uow: UnitOfWork, subject: str) -> frozenset[str]:
    """The checklist proof events (``notified:deployment_start`` ...) a release has earned:
    for `relman.services.lifecycle.load_recorded`."""
    return compute_notified_events(uow.outbox.list(subject=subject))
