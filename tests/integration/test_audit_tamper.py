"""Tampering with the audit log directly in the database is caught, at the right entry.

Rows are edited, deleted and reordered with plain SQL behind relman's back, on SQLite and on
PostgreSQL; `verify` must fail and name the first bad entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from relman.adapters.db.store import SqlStore
from relman.adapters.db.tables import audit_log
from relman.domain.audit import compute_entry_hash

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ENTRIES = 5


def _fill(store: SqlStore) -> None:
    phases = ["PLAN", "BUILD", "TEST", "DEPLOY", "VERIFY", "CLOSED"]
    with store.unit_of_work() as uow:
        for i in range(ENTRIES):
            uow.audit.append(
                actor="rahim" if i % 2 else "karim",
                action="release.advance",
                subject="R-1",
                before={"phase": phases[i], "revision": i + 1},
                after={"phase": phases[i + 1], "revision": i + 2},
                at=T0 + timedelta(hours=i),
            )


def _sql(*statements: str) -> Callable[[sa.Connection], None]:
    def run(conn: sa.Connection) -> None:
        for statement in statements:
            conn.execute(sa.text(statement))

    return run


def _edit_after(conn: sa.Connection) -> None:
    conn.execute(sa.update(audit_log).where(audit_log.c.seq == 4).values(after={"phase": "CLOSED"}))


def _edit_time(conn: sa.Connection) -> None:
    later = T0 + timedelta(hours=2, seconds=1)
    conn.execute(sa.update(audit_log).where(audit_log.c.seq == 3).values(at=later))


def _forge_with_a_recomputed_hash(conn: sa.Connection) -> None:
    """Edit entry 3 and recompute its own hash: the next entry no longer chains to it."""
    row = conn.execute(sa.select(audit_log).where(audit_log.c.seq == 3)).one()
    forged = compute_entry_hash(
        row.prev_hash,
        seq=3,
        at=row.at,
        actor="mallory",
        action=row.action,
        subject=row.subject,
        before=row.before,
        after=row.after,
    )
    conn.execute(
        sa.update(audit_log).where(audit_log.c.seq == 3).values(actor="mallory", hash=forged)
    )


TAMPERING = {
    "edit actor": (_sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"), 2, "was edited"),
    "edit action": (_sql("UPDATE audit_log SET action = 'x' WHERE seq = 5"), 5, "was edited"),
    "edit after state": (_edit_after, 4, "entry 4 was edited"),
    "edit time": (_edit_time, 3, "entry 3 was edited"),
    "forge hash": (_forge_with_a_recomputed_hash, 4, "entry 4 does not chain"),
    "delete first": (_sql("DELETE FROM audit_log WHERE seq = 1"), 2, "entry 1 deleted"),
    "delete middle": (_sql("DELETE FROM audit_log WHERE seq = 3"), 4, "entry 3 deleted"),
    "delete two": (_sql("DELETE FROM audit_log WHERE seq IN (2, 3)"), 4, "entries 2-3 deleted"),
    "delete newest": (_sql("DELETE FROM audit_log WHERE seq = 5"), 5, "entry 5 deleted"),
    "reorder": (
        _sql(
            "UPDATE audit_log SET seq = -1 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE seq = -1",
        ),
        2,
        "reordered",
    ),
    "reorder content": (
        _sql(
            "UPDATE audit_log SET seq = -1 WHERE seq = 4",
            "UPDATE audit_log SET seq = 4 WHERE seq = 5",
            "UPDATE audit_log SET seq = 5 WHERE seq = -1",
        ),
        4,
        "entry 4 was chained after entry 5: reordered",
    ),
}


def test_an_untouched_log_verifies(store: SqlStore) -> None:
    _fill(store)
    with store.unit_of_work() as uow:
        verdict = uow.audit.verify()
    assert (verdict.ok, verdict.checked, verdict.first_bad_seq) == (True, ENTRIES, None)


def test_an_empty_log_verifies(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        verdict = uow.audit.verify()
    assert (verdict.ok, verdict.checked) == (True, 0)


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampering_is_caught_at_the_first_bad_entry(store: SqlStore, case: str) -> None:
    tamper, bad_seq, reason = TAMPERING[case]
    _fill(store)
    with store.engine.begin() as conn:
        tamper(conn)

    with store.unit_of_work() as uow:
        verdict = uow.audit.verify()

    assert not verdict.ok
    assert verdict.first_bad_seq == bad_seq
    assert reason in verdict.reason
    assert verdict.checked < ENTRIES


def test_a_row_appended_behind_relmans_back_is_caught(store: SqlStore) -> None:
    """Even with a correctly chained hash, a row not written through relman shows."""
    _fill(store)
    with store.unit_of_work() as uow:
        last = uow.audit.list()[-1]
    at = T0 + timedelta(days=1)
    forged = compute_entry_hash(
        last.hash, seq=6, at=at, actor="mallory", action="x", subject="R-1", before=None, after=None
    )
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(audit_log).values(
                seq=6,
                at=at,
                actor="mallory",
                action="x",
                subject="R-1",
                before=None,
                after=None,
                prev_hash=last.hash,
                hash=forged,
            )
        )
    with store.unit_of_work() as uow:
        verdict = uow.audit.verify()
    assert not verdict.ok
    assert verdict.first_bad_seq == 6
    assert "entry 6 was added behind relman's back" in verdict.reason
