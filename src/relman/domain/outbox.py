"""The notification outbox: what was queued, its delivery state, retries and compliance.

A notification is queued (a row per recipient and channel) in the same transaction as the
event that causes it, and delivered after the commit. Delivery states:

    pending ──claimed──> sending ──ok──> sent
       │                    └──error──> failed ──(next_attempt_at reached)──> sending ...
       │                                   └─ permanent, or attempts == max_attempts
       │                                      and not transient ─> dead
       └─ superseded (an incident reminder nobody needs any more) ─> cancelled

A **transient** failure (the server is down: connection refused or reset, a timeout, an HTTP
5xx, an SMTP 4xx) never makes a row dead: it stays failed and is retried at the capped backoff
(``cap``, 1 hour) for as long as the outage lasts, so nothing is lost when the server comes
back. A **permanent** failure (login refused, a webhook's 4xx, a missing secret, an unknown
recipient, a broken template) is dead at once. ``max_attempts`` bounds only failures that are
neither (an unexpected error in a channel adapter).

A deliverer claims a row (``sending``) for a lease; if it dies mid-send the row is due again
when the lease (its ``next_attempt_at``) runs out. ``relman notify retry`` makes failed rows
due at once; ``--all`` also revives dead ones; neither touches a row being sent.
Notification compliance (J-003 §1.2: 100%) = required notifications delivered on time ÷
required notifications whose outcome is known (sent, dead, or past their deadline).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum

from relman.domain.notifications import CHECKLIST_EVENTS, Notification, StakeholderMatrix


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a deliverer until next_attempt_at (its lease)
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Still to be delivered (pending, being sent, or failed)."""
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED})


@dataclass(frozen=True)
class OutboxEntry:
    """One queued notification: one recipient, one channel, its delivery state."""

    event_key: str
    event_type: str
    kind: str | None
    subject: str
    recipient: str
    recipient_name: str
    role: str
    channel: str
    address: str
    template: str
    required: bool
    event_at: datetime
    due_at: datetime
    deadline: datetime
    created_at: datetime
    facts: Mapping[str, object] = field(default_factory=dict)
    detail: str = ""
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None  # None: at due_at
    sent_at: datetime | None = None
    last_error: str | None = None
    title: str = ""  # the rendered subject line, once sent
    body: str = ""  # the rendered text, once sent
    id: int | None = None

    @property
    def is_on_time(self) -> bool:
        return self.sent_at is not None and self.sent_at <= self.deadline

    def is_due(self, now: datetime) -> bool:
        return self.status.is_open and (self.next_attempt_at or self.due_at) <= now


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter."""

    max_attempts: int = 8  # for errors neither transient nor permanent (see the docstring)
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    jitter: float = 0.2  # +/- this share of the delay
    lease: timedelta = timedelta(minutes=5)  # a claimed row is due again after this


@dataclass(frozen=True)
class NotificationPolicy:
    """Who hears what (the matrix), when scheduled notices are due, and how delivery retries."""

    matrix: StakeholderMatrix
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timezone: str = "Asia/Dhaka"
    pre_release_notice: timedelta = timedelta(hours=48)  # T-48h (§11.2)
    deploy_time: time = time(2, 0)  # a release deploys at this time on its target date
    deployment_duration: timedelta = timedelta(hours=1)
    incident_update_every: timedelta = timedelta(minutes=30)  # "Next update in 30 minutes"
    incident_reminders: int = 8  # reminders scheduled after each incident message
    compliance_target: float = 100.0  # J-003 §1.2


def make_entry(
    note: Notification, *, event_at: datetime, facts: Mapping[str, object]
) -> OutboxEntry:
    """The outbox row for a planned notification (dead at once when it cannot be delivered)."""
    return OutboxEntry(
        event_key=note.event_key,
        event_type=note.event_type,
        kind=None if note.kind is None else note.kind.value,
        subject=note.subject,
        recipient=note.recipient,
        recipient_name=note.recipient_name,
        role=note.role,
        channel=note.channel,
        address=note.address,
        template=note.template,
        required=note.required,
        event_at=event_at,
        due_at=note.due_at,
        deadline=note.deadline,
        created_at=note.queued_at,
        facts=facts,
        detail=note.detail,
        status=DeliveryStatus.DEAD if note.problem else DeliveryStatus.PENDING,
        next_attempt_at=note.due_at,
        last_error=note.problem,
    )


def compute_backoff(attempt: int, policy: RetryPolicy, rand: float) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1, 2, ...): ``base * 2**(attempt-1)``,
    at most ``cap``, spread by +/- ``jitter`` (``rand`` in [0, 1)); never below one second."""
    exponent = min(max(attempt - 1, 0), 32)
    delay = min(policy.base * (2**exponent), policy.cap)
    spread = 1.0 + policy.jitter * (2.0 * min(max(rand, 0.0), 1.0) - 1.0)
    wait: timedelta = delay * spread
    return max(timedelta(seconds=1), wait)


def decide_sent(entry: OutboxEntry, *, at: datetime, title: str, body: str) -> OutboxEntry:
    return dataclasses.replace(
        entry,
        status=DeliveryStatus.SENT,
        sent_at=at,
        next_attempt_at=None,
        last_error=None,
        title=title,
        body=body,
    )


def decide_failed(
    entry: OutboxEntry,
    *,
    at: datetime,
    error: str,
    policy: RetryPolicy,
    rand: float,
    permanent: bool = False,
    transient: bool = False,
) -> OutboxEntry:
    """After a failed attempt (``entry.attempts`` counts it): retry later, or give up (dead).
    A transient failure is always retried (at most ``cap`` later); a permanent one is dead."""
    if permanent or (not transient and entry.attempts >= policy.max_attempts):
        return dataclasses.replace(
            entry, status=DeliveryStatus.DEAD, next_attempt_at=None, last_error=error
        )
    wait = compute_backoff(entry.attempts, policy, rand)
    return dataclasses.replace(
        entry, status=DeliveryStatus.FAILED, next_attempt_at=at + wait, last_error=error
    )


def decide_revived(entry: OutboxEntry, *, at: datetime, include_dead: bool) -> OutboxEntry | None:
    """``notify retry``: a failed row is due now; a dead one (with ``include_dead``) starts
    over with no attempts. None: nothing to retry."""
    if entry.status is DeliveryStatus.FAILED:
        return dataclasses.replace(entry, next_attempt_at=at)
    if entry.status is DeliveryStatus.DEAD and include_dead:
        return dataclasses.replace(
            entry, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=at
        )
    return None


@dataclass(frozen=True)
class ComplianceReport:
    """Notification compliance over the required notifications (J-003 §1.2)."""

    required: int  # required notifications with a known outcome
    on_time: int
    late: int  # sent after the deadline
    missed: int  # dead, or still undelivered past the deadline
    in_flight: int  # not delivered yet, deadline not reached (not counted)
    misses: tuple[OutboxEntry, ...]  # late and missed, oldest due first
    target: float = 100.0

    @property
    def percent(self) -> float | None:
        """On-time share in percent; None when nothing required has an outcome yet."""
        if self.required == 0:
            return None
        return 100.0 * self.on_time / self.required

    @property
    def met(self) -> bool:
        return self.percent is None or self.percent >= self.target


def compute_compliance(
    entries: Iterable[OutboxEntry], now: datetime, *, target: float = 100.0
) -> ComplianceReport:
    """Compliance of the required entries due by ``now`` (scheduled ones are not counted)."""
    on_time = late = missed = in_flight = 0
    misses: list[OutboxEntry] = []
    for entry in entries:
        if not entry.required or entry.status is DeliveryStatus.CANCELLED or entry.due_at > now:
            continue
        if entry.status is DeliveryStatus.SENT:
            if entry.is_on_time:
                on_time += 1
            else:
                late += 1
                misses.append(entry)
        elif entry.status is DeliveryStatus.DEAD or now > entry.deadline:
            missed += 1
            misses.append(entry)
        else:
            in_flight += 1
    misses.sort(key=lambda e: (e.due_at, e.id or 0))
    return ComplianceReport(
        required=on_time + late + missed,
        on_time=on_time,
        late=late,
        missed=missed,
        in_flight=in_flight,
        misses=tuple(misses),
        target=target,
    )


def compute_notified_events(entries: Iterable[OutboxEntry]) -> frozenset[str]:
    """Checklist proof events (``notified:deployment_start`` ...) proven by deliveries: an
    event counts when every required notification of it was sent (and at least one was)."""
    by_event: dict[str, list[OutboxEntry]] = {}
    for entry in entries:
        if entry.required:
            by_event.setdefault(entry.event_key, []).append(entry)
    proven: set[str] = set()
    for rows in by_event.values():
        if all(r.status is DeliveryStatus.SENT for r in rows):
            proven.update(CHECKLIST_EVENTS.get(rows[0].event_type, ()))
    return frozenset(proven)
