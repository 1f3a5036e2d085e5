"""Deliver the outbox: render, send per channel, record the outcome of every row.

`deliver_pending` runs after the transaction that queued the notifications has committed:

1. read the rows due now (pending, or failed whose backoff has passed);
2. render each row's template (``<template>.<channel>.txt.j2`` if there is one, else
   ``<template>.txt.j2``; the first line is ``Subject: ...``);
3. group: person channels (email) send one message per row; role-wide channels (Slack,
   webhooks, the status feed) send identical messages of one event once, for all its rows;
4. claim the rows (a conditional update, committed), send, and record the outcome of each row:
   sent, failed (retried after an exponential backoff with jitter) or dead (the error is
   permanent: a missing secret, a refused login or address, a webhook's 4xx, a broken template,
   a channel that is not configured). An outage (``IntegrationError``: connection refused or
   reset, a timeout, a 5xx, an SMTP 4xx) is transient and never makes a row dead: it is
   retried at the capped backoff until the server is back; ``max_attempts`` only bounds
   unexpected adapter errors. Once a channel fails with an outage in a run, its other
   messages are recorded as failed with the same error without being tried, so a server that
   hangs until the timeout costs one timeout per run, not one per message.

No channel failure escapes: the caller (a deployment) is never blocked or failed by an outage,
and nothing is lost: the rows stay queued for the next delivery.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from relman.domain.outbox import (
    DeliveryStatus,
    OutboxEntry,
    decide_failed,
    decide_revived,
    decide_sent,
)
from relman.errors import (
    ConfigError,
    IntegrationError,
    InvalidInputError,
    NotFoundError,
    RelmanError,
)
from relman.ports import NotificationMessage
from relman.services.notifications import Notifications, queue_due_notices

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from relman.ports import Notifier

PERMANENT_ERRORS = (ConfigError, InvalidInputError, NotFoundError)
"""Errors that retrying cannot fix: the row is dead until ``notify retry --all``."""
TRANSIENT_ERRORS = (IntegrationError,)
"""Outages: the row stays failed and is retried (at the capped backoff) until it is sent."""


@dataclass
class DeliveryReport:
    """What one delivery run did, row by row."""

    sent: list[OutboxEntry] = field(default_factory=list)
    failed: list[OutboxEntry] = field(default_factory=list)  # will be retried
    dead: list[OutboxEntry] = field(default_factory=list)  # gave up
    skipped: int = 0  # rows another deliverer claimed first

    @property
    def ok(self) -> bool:
        return not self.failed and not self.dead


@dataclass(frozen=True)
class DueReport:
    queued: list[OutboxEntry]
    delivery: DeliveryReport


@dataclass
class _Group:
    rows: list[OutboxEntry]
    title: str = ""
    body: str = ""
    error: RelmanError | None = None


def deliver_pending(*, notifications: Notifications, limit: int = 200) -> DeliveryReport:
    """Send every notification due now (see the module docstring); never raises for a
    channel failure (store failures do raise: nothing could be recorded)."""
    now = notifications.clock.now()
    with notifications.uow_factory() as uow:
        due = list(uow.outbox.list_due(now, limit=limit))
    report = DeliveryReport()
    down: dict[str, RelmanError] = {}  # channels that failed in this run: not tried again
    for group in _group(due, notifications):
        claimed = _claim(group.rows, notifications)
        report.skipped += len(group.rows) - len(claimed)
        if not claimed:
            continue
        group.rows = claimed
        channel = claimed[0].channel
        error = group.error or down.get(channel) or _send(group, notifications)
        if error is not None and not isinstance(error, PERMANENT_ERRORS):
            down[channel] = error  # an outage: the channel's other messages wait for next time
        _record(group, error, notifications, report)
    return report


def deliver_quietly(*, notifications: Notifications, limit: int = 200) -> DeliveryReport | None:
    """`deliver_pending` for callers that must never fail because of notifications (a
    deployment after its commit): even a store failure is swallowed (None); the rows stay
    queued for ``relman notify due``."""
    try:
        return deliver_pending(notifications=notifications, limit=limit)
    except RelmanError:
        return None


def retry_notifications(
    *, notifications: Notifications, include_dead: bool = False
) -> DeliveryReport:
    """``relman notify retry``: failed rows are due now (``include_dead``: dead rows start
    over too), then everything due is delivered."""
    now = notifications.clock.now()
    statuses = {DeliveryStatus.FAILED} | ({DeliveryStatus.DEAD} if include_dead else set())
    with notifications.uow_factory() as uow:
        for row in uow.outbox.list(statuses=statuses):
            revived = decide_revived(row, at=now, include_dead=include_dead)
            if revived is not None:  # unless a deliverer claimed it since we read it
                uow.outbox.update(revived, expected_attempts=row.attempts)
    return deliver_pending(notifications=notifications)


def run_due(*, notifications: Notifications) -> DueReport:
    """``relman notify due``: queue the scheduled notices now due (T-48h pre-release), then
    deliver everything due (incident reminders included)."""
    now = notifications.clock.now()
    with notifications.uow_factory() as uow:
        queued = queue_due_notices(uow, notifications=notifications, now=now)
    return DueReport(queued=queued, delivery=deliver_pending(notifications=notifications))


def send_test(*, notifications: Notifications, channel: str, to: str) -> str:
    """Send one test message over ``channel`` to a person id (or a raw address); returns the
    masked target. Raises what the channel raises (IntegrationError, ConfigError)."""
    notifier = _notifier(notifications, channel)
    person = next((p for p in notifications.people if p.id == to), None)
    address = (person.email or person.id) if person is not None else to
    now = notifications.clock.now()
    context = {
        **_base_context(notifications),
        "event": {"type": "test", "key": "test", "subject": "test", "at": now},
        "recipient": {
            "id": to,
            "name": person.name if person else to,
            "role": ",".join(person.roles) if person else "",
            "detail": "",
        },
        "channel": channel,
        "due_at": now,
    }
    title, body = split_subject(notifications.renderer.render("test.txt.j2", context))
    message = NotificationMessage(
        id=f"relman-test-{int(now.timestamp())}",
        event_key=f"test:{channel}:{now.isoformat(timespec='seconds')}",
        event_type="test",
        subject="test",
        title=title,
        body=body,
        to=(address,),
        recipients=(to,),
        at=now,
        facts={},
    )
    notifier.send(message)
    return notifier.target


def split_subject(text: str) -> tuple[str, str]:
    """A rendered template -> (subject line, body). The first line is ``Subject: ...``
    (or, without that prefix, the subject itself); the body follows the blank line."""
    lines = text.strip("\n").splitlines()
    if not lines:
        return "", ""
    first = lines[0]
    title = first.split(":", 1)[1].strip() if first.lower().startswith("subject:") else first
    body = "\n".join(lines[1:]).strip("\n")
    return title.strip(), (body + "\n") if body else ""


# --- steps ----------------------------------------------------------------------------------


def _group(due: Sequence[OutboxEntry], notifications: Notifications) -> list[_Group]:
    person_channels = notifications.policy.matrix.person_channels
    groups: list[_Group] = []
    by_text: dict[tuple[str, str, str, str], _Group] = {}
    for row in due:
        try:
            title, body = _render(row, notifications)
        except RelmanError as exc:
            groups.append(_Group([row], error=exc))
            continue
        if row.channel in person_channels:
            groups.append(_Group([row], title, body))
            continue
        key = (row.event_key, row.channel, title, body)
        if key in by_text:
            by_text[key].rows.append(row)
        else:
            by_text[key] = _Group([row], title, body)
            groups.append(by_text[key])
    return groups


def _claim(rows: list[OutboxEntry], notifications: Notifications) -> list[OutboxEntry]:
    until = notifications.clock.now() + notifications.policy.retry.lease
    claimed: list[OutboxEntry] = []
    with notifications.uow_factory() as uow:
        for row in rows:
            assert row.id is not None
            if uow.outbox.claim(row.id, attempts=row.attempts, until=until):
                claimed.append(_with_attempt(row))
    return claimed


def _with_attempt(row: OutboxEntry) -> OutboxEntry:
    return dataclasses.replace(row, attempts=row.attempts + 1, status=DeliveryStatus.SENDING)


def _send(group: _Group, notifications: Notifications) -> RelmanError | None:
    first = group.rows[0]
    try:
        notifier = _notifier(notifications, first.channel)
        notifier.send(_message(group))
    except RelmanError as exc:
        return exc
    except Exception as exc:  # an adapter bug must not fail the caller either (not an outage:
        # retried up to max_attempts, then dead)
        return RelmanError(f"{type(exc).__name__}: {exc}", where=f"channel {first.channel}")
    return None


def _record(
    group: _Group,
    error: RelmanError | None,
    notifications: Notifications,
    report: DeliveryReport,
) -> None:
    now = notifications.clock.now()
    retry = notifications.policy.retry
    with notifications.uow_factory() as uow:
        for row in group.rows:
            if error is None:
                done = decide_sent(row, at=now, title=group.title, body=group.body)
                report.sent.append(done)
            else:
                done = decide_failed(
                    row,
                    at=now,
                    error=str(error),
                    policy=retry,
                    rand=notifications.random(),
                    permanent=isinstance(error, PERMANENT_ERRORS),
                    transient=isinstance(error, TRANSIENT_ERRORS),
                )
                (report.dead if done.status is DeliveryStatus.DEAD else report.failed).append(done)
            # our claim still holds unless the lease ran out and another deliverer took it
            uow.outbox.update(done, expected_attempts=done.attempts)


def _notifier(notifications: Notifications, channel: str) -> Notifier:
    notifiers = notifications.notifiers
    if channel not in notifiers:
        configured = ", ".join(sorted(notifiers)) or "none"
        raise ConfigError(
            f"channel '{channel}' is not configured (configured: {configured})",
            where=f"notifications.channels.{channel}",
            hint="add [notifications.channels." + channel + "] to relman.toml, then "
            "`relman notify retry --all`",
        )
    return notifiers[channel]


def _message(group: _Group) -> NotificationMessage:
    rows = group.rows
    first = rows[0]
    recipients = tuple(dict.fromkeys(r.recipient for r in rows))
    digest = hashlib.sha256(
        "|".join([first.event_key, first.channel, *recipients]).encode("utf-8")
    ).hexdigest()[:20]
    return NotificationMessage(
        id=f"relman-{digest}",
        event_key=first.event_key,
        event_type=first.event_type,
        subject=first.subject,
        title=group.title,
        body=group.body,
        to=tuple(dict.fromkeys(r.address for r in rows if r.address)),
        recipients=recipients,
        at=first.event_at,
        facts=dict(first.facts),
    )


# --- rendering ------------------------------------------------------------------------------


def _render(row: OutboxEntry, notifications: Notifications) -> tuple[str, str]:
    renderer = notifications.renderer
    special = f"{row.template}.{row.channel}.txt.j2"
    name = special if renderer.exists(special) else f"{row.template}.txt.j2"
    return split_subject(renderer.render(name, render_context(row, notifications)))


def render_context(row: OutboxEntry, notifications: Notifications) -> dict[str, Any]:
    """The template variables of a row: its facts (``*_at`` as local datetimes) plus
    ``project``, ``links``, ``event``, ``recipient``, ``channel``, ``timezone``,
    ``next_update_minutes``, ``emergency_contact`` and ``due_at``."""
    tz = notifications.tz
    facts = {key: _local(key, value, tz) for key, value in row.facts.items()}
    base = _base_context(notifications, version=str(row.facts.get("version", "")))
    return {
        **facts,
        **base,
        "event": {
            "type": row.event_type,
            "key": row.event_key,
            "subject": row.subject,
            "at": row.event_at.astimezone(tz),
        },
        "recipient": {
            "id": row.recipient,
            "name": row.recipient_name,
            "role": row.role,
            "detail": row.detail,
        },
        "channel": row.channel,
        "due_at": row.due_at.astimezone(tz),
    }


def _base_context(notifications: Notifications, *, version: str = "") -> dict[str, Any]:
    ctx = dict(notifications.context)
    links = dict(ctx.get("links", {}))
    notes = str(links.get("release_notes", ""))
    links["release_notes"] = notes.replace("{version}", version) if notes else ""
    ctx["links"] = {"status": "", "issues": "", **links}
    ctx.setdefault("project", {"name": "", "support_contact": "", "support_url": ""})
    ctx.setdefault("emergency_contact", "")
    ctx["timezone"] = notifications.policy.timezone
    minutes = int(notifications.policy.incident_update_every.total_seconds() // 60)
    ctx["next_update_minutes"] = minutes
    return ctx


def _local(key: str, value: object, tz: ZoneInfo) -> object:
    if key.endswith("_at") and isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(tz)
        except ValueError:
            return value
    if key.endswith("_at") and isinstance(value, datetime):
        return value.astimezone(tz)
    return value


def describe_outcome(entry: OutboxEntry) -> Mapping[str, Any]:
    """A row as JSON for ``--json`` output."""
    return {
        "id": entry.id,
        "event": entry.event_type,
        "event_key": entry.event_key,
        "subject": entry.subject,
        "recipient": entry.recipient,
        "name": entry.recipient_name,
        "role": entry.role,
        "channel": entry.channel,
        "address": entry.address,
        "required": entry.required,
        "status": entry.status.value,
        "attempts": entry.attempts,
        "due_at": entry.due_at.isoformat(),
        "deadline": entry.deadline.isoformat(),
        "next_attempt_at": entry.next_attempt_at.isoformat() if entry.next_attempt_at else None,
        "sent_at": entry.sent_at.isoformat() if entry.sent_at else None,
        "on_time": entry.is_on_time if entry.status is DeliveryStatus.SENT else None,
        "last_error": entry.last_error,
        "title": entry.title,
    }
