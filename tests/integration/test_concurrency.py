"""Two real processes act on the same release at once: no update is ever lost.

Each worker is a separate interpreter (multiprocessing "spawn") with its own engine and
connections, on SQLite and on PostgreSQL. A barrier makes both read before either writes.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from relman.adapters.db.store import SqlStore
from relman.domain.releases import Phase, Release, SignOff
from relman.errors import ConflictError

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TIMEOUT = 120
ROUNDS = 12
APPENDS = 60


def _release() -> Release:
    return Release(
        id="R-12",
        title="Smart Dairy 2.5",
        release_type="minor",
        version="2.5.0",
        components=("erp",),
        phase=Phase.TEST,
        planned_by="rahim",
        target_date=date(2026, 3, 20),
        created_at=T0,
        commit_sha="a" * 40,
        scope_commits=(),
        scope_tickets=(),
        revision=1,
    )


def _sign(store: SqlStore, person: str, release: Release) -> None:
    """One approver's sign-off: the sign-off, the release's new revision and the audit entry."""
    with store.unit_of_work() as uow:
        uow.signoffs.add(
            SignOff(
                release_id=release.id,
                gate="G4",
                person_id=person,
                role="approver",
                decision="approve",
                comment="",
                commit_sha=release.commit_sha,
                at=T0,
            )
        )
        updated = uow.releases.update(release, expected_revision=release.revision)
        uow.audit.append(
            actor=person,
            action="gate.sign",
            subject=release.id,
            before={"revision": release.revision},
            after={"revision": updated.revision, "signed_by": person},
            at=T0,
        )


def approve_worker(url: str, person: str, barrier: Any, results: Any) -> None:
    store = SqlStore(url)
    try:
        with store.unit_of_work() as uow:
            seen = uow.releases.get("R-12")
        barrier.wait(TIMEOUT)  # both have read revision 1; now both write
        try:
            _sign(store, person, seen)
            results.put((person, "signed", ""))
        except ConflictError as exc:
            with store.unit_of_work() as uow:  # the retry a person would do: read again
                fresh = uow.releases.get("R-12")
            _sign(store, person, fresh)
            results.put((person, "retried", str(exc)))
    except BaseException as exc:  # report, so the parent fails with the reason
        results.put((person, "crashed", repr(exc)))
    finally:
        store.dispose()


def bump_worker(url: str, person: str, barrier: Any, results: Any) -> None:
    """ROUNDS read-modify-write cycles with retry on conflict; reports how many conflicts."""
    store = SqlStore(url)
    conflicts = 0
    try:
        barrier.wait(TIMEOUT)
        done = 0
        while done < ROUNDS:
            try:
                with store.unit_of_work() as uow:
                    release = uow.releases.get("R-12")
                    uow.releases.update(
                        dataclasses.replace(release, title=f"{person} {done}"),
                        expected_revision=release.revision,
                    )
                    uow.audit.append(
                        actor=person,
                        action="release.retitle",
                        subject="R-12",
                        before={"title": release.title},
                        after={"title": f"{person} {done}"},
                        at=T0 + timedelta(seconds=done),
                    )
                done += 1
            except ConflictError:
                conflicts += 1
        results.put((person, "done", conflicts))
    except BaseException as exc:
        results.put((person, "crashed", repr(exc)))
    finally:
        store.dispose()


def append_worker(url: str, person: str, barrier: Any, results: Any) -> None:
    """ROUNDS audit entries about unrelated subjects: only the audit head is contended."""
    store = SqlStore(url)
    try:
        barrier.wait(TIMEOUT)
        for i in range(APPENDS):
            with store.unit_of_work() as uow:
                uow.audit.append(
                    actor=person,
                    action="policy.show",
                    subject=f"{person}-{i}",
                    before=None,
                    after={"i": i},
                    at=T0,
                )
        results.put((person, "done", 0))
    except BaseException as exc:
        results.put((person, "crashed", repr(exc)))
    finally:
        store.dispose()


def _run_two(worker: Any, url: str) -> dict[str, tuple[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=worker, args=(url, person, barrier, results))
        for person in ("karim", "nadia")
    ]
    for proc in procs:
        proc.start()
    outcomes = {}
    for _ in procs:
        person, status, detail = results.get(timeout=TIMEOUT)
        outcomes[person] = (status, detail)
    for proc in procs:
        proc.join(TIMEOUT)
        assert proc.exitcode == 0
    crashed = {p: d for p, (s, d) in outcomes.items() if s == "crashed"}
    assert not crashed, crashed
    return outcomes


@pytest.fixture
def url_with_release(store: SqlStore, database_url: str) -> str:
    with store.unit_of_work() as uow:
        uow.releases.add(_release())
    return database_url


def test_two_concurrent_signoffs_lose_nothing(url_with_release: str, store: SqlStore) -> None:
    outcomes = _run_two(approve_worker, url_with_release)

    statuses = sorted(status for status, _ in outcomes.values())
    assert statuses == ["retried", "signed"]
    (message,) = [detail for status, detail in outcomes.values() if status == "retried"]
    assert message.startswith(
        "release R-12 was changed by someone else (revision 2, expected 1); re-run the command"
    )
    with store.unit_of_work() as uow:
        assert uow.releases.get("R-12").revision == 3
        assert sorted(s.person_id for s in uow.signoffs.list("R-12")) == ["karim", "nadia"]
        entries = uow.audit.list()
        verdict = uow.audit.verify()
    assert [e.seq for e in entries] == [1, 2]
    assert sorted(str(e.actor) for e in entries) == ["karim", "nadia"]
    assert verdict.ok, verdict


def test_concurrent_read_modify_write_cycles_never_lose_an_update(
    url_with_release: str, store: SqlStore
) -> None:
    _run_two(bump_worker, url_with_release)

    with store.unit_of_work() as uow:
        release = uow.releases.get("R-12")
        entries = uow.audit.list()
        verdict = uow.audit.verify()
    assert release.revision == 1 + 2 * ROUNDS
    assert [e.seq for e in entries] == list(range(1, 2 * ROUNDS + 1))
    assert verdict.ok, verdict


def test_concurrent_audit_appends_never_fork_the_chain(database_url: str, store: SqlStore) -> None:
    _run_two(append_worker, database_url)

    with store.unit_of_work() as uow:
        entries = uow.audit.list()
        verdict = uow.audit.verify()
    assert [e.seq for e in entries] == list(range(1, 2 * APPENDS + 1))
    assert all(e.prev_hash == p.hash for p, e in itertools.pairwise(entries))
    assert verdict.ok, verdict
    assert verdict.checked == 2 * APPENDS
