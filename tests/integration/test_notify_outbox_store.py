"""The outbox table on SQLite and PostgreSQL: queued with the event's transaction, twins
skipped, due rows in order, one claim per attempt, outcomes written back."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from relman.domain.outbox import DeliveryStatus, OutboxEntry
from relman.errors import NotFoundError

if TYPE_CHECKING:
    from relman.adapters.db.store import SqlStore

T0 = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)
S = DeliveryStatus


def row(recipient: str, **changes: object) -> OutboxEntry:
    base = OutboxEntry(
        event_key="deployment_started:R-1:prod:D-1",
        event_type="deployment_started",
        kind="deployment_window",
        subject="R-1",
        recipient=recipient,
        recipient_name=recipient.title(),
        role="project_manager",
        channel="email",
        address=f"{recipient}@smartdairy.test",
        template="deployment_started",
        required=True,
        event_at=T0,
        due_at=T0,
        deadline=T0 + timedelta(minutes=15),
        created_at=T0,
        facts={"version": "1.3.0", "started_at": T0, "highlights": ["a", "b"]},
        next_attempt_at=T0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_rows_round_trip_and_a_queued_twin_is_skipped(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        added = uow.outbox.add([row("parvin"), row("dipu"), row("parvin")])
    assert [a.recipient for a in added] == ["parvin", "dipu"]
    with store.unit_of_work() as uow:
        again = uow.outbox.add([row("parvin"), row("popy")])
        stored = uow.outbox.list()
    assert [a.recipient for a in again] == ["popy"]
    assert [r.recipient for r in stored] == ["parvin", "dipu", "popy"]
    first = stored[0]
    assert first.id is not None
    assert first.facts == {
        "version": "1.3.0",
        "started_at": "2026-03-07T02:00:00.000000Z",
        "highlights": ["a", "b"],
    }
    assert (first.due_at, first.deadline, first.status) == (
        T0,
        T0 + timedelta(minutes=15),
        S.PENDING,
    )
    assert first.due_at.tzinfo is not None


def test_rows_queued_in_a_failed_transaction_are_not_there(store: SqlStore) -> None:
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.outbox.add([row("parvin")])
        raise RuntimeError("the event could not be recorded")
    with store.unit_of_work() as uow:
        assert uow.outbox.list() == []


def test_due_rows_come_oldest_first_and_only_when_due(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.outbox.add(
            [
                row("later", next_attempt_at=T0 + timedelta(hours=1)),
                row("now", next_attempt_at=T0),
                row("earlier", next_attempt_at=T0 - timedelta(minutes=5), status=S.FAILED),
                row("sent", status=S.SENT, next_attempt_at=None, sent_at=T0),
                row("dead", status=S.DEAD, next_attempt_at=None),
            ]
        )
    with store.unit_of_work() as uow:
        due = uow.outbox.list_due(T0)
        limited = uow.outbox.list_due(T0 + timedelta(hours=2), limit=1)
    assert [r.recipient for r in due] == ["earlier", "now"]
    assert [r.recipient for r in limited] == ["earlier"]


def test_a_row_is_claimed_once_per_attempt(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        [entry] = uow.outbox.add([row("parvin")])
    assert entry.id is not None
    lease = T0 + timedelta(minutes=5)
    with store.unit_of_work() as uow:
        assert uow.outbox.claim(entry.id, attempts=0, until=lease) is True
    with store.unit_of_work() as uow:
        assert uow.outbox.claim(entry.id, attempts=0, until=lease) is False  # a second deliverer
        claimed = uow.outbox.get(entry.id)
        assert (claimed.status, claimed.attempts, claimed.next_attempt_at) == (S.SENDING, 1, lease)
        assert uow.outbox.list_due(lease) == [claimed]  # due again if the deliverer died
        assert uow.outbox.list_due(T0) == []  # held by the lease
        uow.outbox.update(
            dataclasses.replace(
                claimed, status=S.SENT, sent_at=T0, next_attempt_at=None, title="T", body="B"
            )
        )
    with store.unit_of_work() as uow:
        done = uow.outbox.get(entry.id)
        assert (done.status, done.sent_at, done.title, done.body) == (S.SENT, T0, "T", "B")
        assert uow.outbox.claim(entry.id, attempts=1, until=lease) is False  # sent: closed
        stale = dataclasses.replace(done, status=S.FAILED)
        assert uow.outbox.update(stale, expected_attempts=0) is False  # someone claimed it since
        assert uow.outbox.update(stale, expected_attempts=1) is True


def test_listing_filters_by_status_subject_type_and_keeps_the_newest(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.outbox.add(
            [
                row("a", status=S.SENT),
                row("b", status=S.FAILED),
                row("c", subject="INC-1", event_type="emergency", event_key="emergency:INC-1"),
            ]
        )
    with store.unit_of_work() as uow:
        assert [r.recipient for r in uow.outbox.list(statuses={S.FAILED, S.PENDING})] == ["b", "c"]
        assert [r.recipient for r in uow.outbox.list(subject="INC-1")] == ["c"]
        assert [r.recipient for r in uow.outbox.list(event_type="deployment_started")] == ["a", "b"]
        assert [r.recipient for r in uow.outbox.list(limit=2)] == ["b", "c"]
        assert uow.outbox.list(since=T0 + timedelta(seconds=1)) == []
        with pytest.raises(NotFoundError, match="no queued notification #999"):
            uow.outbox.get(999)
