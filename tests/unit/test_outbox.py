"""The outbox's decisions: backoff, retry or give up, revive, notification compliance."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from notify_factories import T0

from relman.domain.outbox import (
    DeliveryStatus,
    OutboxEntry,
    RetryPolicy,
    compute_backoff,
    compute_compliance,
    compute_notified_events,
    decide_failed,
    decide_revived,
    decide_sent,
)

S = DeliveryStatus
RETRY = RetryPolicy(
    max_attempts=4, base=timedelta(seconds=30), cap=timedelta(minutes=5), jitter=0.2
)


def entry(**changes: object) -> OutboxEntry:
    base = OutboxEntry(
        event_key="deployment_started:R-1:prod:D-1",
        event_type="deployment_started",
        kind="deployment_window",
        subject="R-1",
        recipient="parvin",
        recipient_name="Parvin PM",
        role="project_manager",
        channel="email",
        address="parvin@smartdairy.test",
        template="deployment_started",
        required=True,
        event_at=T0,
        due_at=T0,
        deadline=T0 + timedelta(minutes=15),
        created_at=T0,
        next_attempt_at=T0,
        id=1,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("attempt", "rand", "seconds"),
    [
        (1, 0.5, 30),  # base, no spread at the middle
        (2, 0.5, 60),
        (3, 0.5, 120),
        (4, 0.5, 240),
        (5, 0.5, 300),  # capped at 5 minutes
        (40, 0.5, 300),
        (1, 0.0, 24),  # -20 %
        (1, 1.0, 36),  # +20 %
    ],
)
def test_backoff_doubles_up_to_the_cap_with_bounded_jitter(
    attempt: int, rand: float, seconds: float
) -> None:
    assert compute_backoff(attempt, RETRY, rand) == timedelta(seconds=seconds)


@given(st.integers(min_value=-5, max_value=10_000), st.floats(min_value=-1, max_value=2))
def test_backoff_is_always_between_one_second_and_the_jittered_cap(
    attempt: int, rand: float
) -> None:
    wait = compute_backoff(attempt, RETRY, rand)
    assert timedelta(seconds=1) <= wait <= RETRY.cap * (1 + RETRY.jitter)


def test_a_failed_attempt_is_retried_after_the_backoff_until_the_attempts_are_used_up() -> None:
    first = decide_failed(entry(attempts=1), at=T0, error="down", policy=RETRY, rand=0.5)
    assert (first.status, first.next_attempt_at, first.last_error) == (
        S.FAILED,
        T0 + timedelta(seconds=30),
        "down",
    )
    last = decide_failed(entry(attempts=4), at=T0, error="down", policy=RETRY, rand=0.5)
    assert (last.status, last.next_attempt_at) == (S.DEAD, None)


@pytest.mark.parametrize("attempts", [5, 9, 40, 1000])
def test_a_transient_failure_is_never_dead_and_retries_at_the_capped_backoff(
    attempts: int,
) -> None:
    # an outage longer than max_attempts allows: the row keeps waiting for the server
    row = decide_failed(
        entry(attempts=attempts), at=T0, error="refused", policy=RETRY, rand=0.5, transient=True
    )
    assert (row.status, row.next_attempt_at) == (S.FAILED, T0 + RETRY.cap)
    # a permanent error wins over transient: dead at once
    dead = decide_failed(
        entry(attempts=1), at=T0, error="x", policy=RETRY, rand=0.5, permanent=True, transient=True
    )
    assert dead.status is S.DEAD


def test_a_permanent_error_gives_up_at_once() -> None:
    dead = decide_failed(
        entry(attempts=1), at=T0, error="no secret", policy=RETRY, rand=0.5, permanent=True
    )
    assert dead.status is S.DEAD


def test_sent_records_when_and_what() -> None:
    done = decide_sent(entry(attempts=2, last_error="down"), at=T0, title="T", body="B\n")
    assert (done.status, done.sent_at, done.last_error, done.title, done.body) == (
        S.SENT,
        T0,
        None,
        "T",
        "B\n",
    )


@pytest.mark.parametrize(
    ("status", "include_dead", "expected"),
    [
        (S.FAILED, False, (S.FAILED, 3)),
        (S.DEAD, False, None),
        (S.DEAD, True, (S.PENDING, 0)),
        (S.SENT, True, None),
        (S.CANCELLED, True, None),
        (S.SENDING, True, None),  # another deliverer holds it: hands off
    ],
)
def test_retry_makes_failed_rows_due_now_and_all_revives_dead_ones(
    status: DeliveryStatus, include_dead: bool, expected: tuple[DeliveryStatus, int] | None
) -> None:
    later = T0 + timedelta(hours=1)
    revived = decide_revived(
        entry(status=status, attempts=3, next_attempt_at=T0 + timedelta(days=1)),
        at=later,
        include_dead=include_dead,
    )
    if expected is None:
        assert revived is None
    else:
        assert revived is not None
        assert (revived.status, revived.attempts, revived.next_attempt_at) == (*expected, later)


def test_compliance_counts_on_time_deliveries_of_required_notifications() -> None:
    now = T0 + timedelta(hours=1)
    rows = [
        entry(id=1, status=S.SENT, sent_at=T0 + timedelta(minutes=1)),  # on time
        entry(id=2, status=S.SENT, sent_at=T0 + timedelta(minutes=40)),  # late
        entry(id=3, status=S.DEAD),  # missed
        entry(id=4, status=S.FAILED),  # past its deadline: missed
        entry(id=5, status=S.FAILED, deadline=now + timedelta(minutes=5)),  # in flight
        entry(id=6, status=S.DEAD, required=False),  # not required
        entry(id=7, status=S.PENDING, due_at=now + timedelta(days=2)),  # scheduled
        entry(id=8, status=S.CANCELLED),
    ]
    report = compute_compliance(rows, now)
    assert (report.required, report.on_time, report.late, report.missed, report.in_flight) == (
        4,
        1,
        1,
        2,
        1,
    )
    assert report.percent == 25.0
    assert not report.met
    assert [m.id for m in report.misses] == [2, 3, 4]


def test_compliance_with_nothing_required_yet_is_met_and_has_no_percentage() -> None:
    report = compute_compliance([entry(status=S.PENDING, due_at=T0 + timedelta(days=1))], T0)
    assert (report.percent, report.met) == (None, True)


def test_an_event_proves_its_checklist_item_once_every_required_row_was_sent() -> None:
    sent = entry(status=S.SENT, sent_at=T0)
    assert compute_notified_events([sent]) == {"notified:deployment_start"}
    assert compute_notified_events([sent, entry(id=2, recipient="cto", status=S.FAILED)]) == set()
    optional_miss = entry(id=3, recipient="x", status=S.DEAD, required=False)
    assert compute_notified_events([sent, optional_miss]) == {"notified:deployment_start"}
