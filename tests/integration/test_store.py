"""The state store round-trips every record and keeps one transaction per unit of work.

Every test runs on SQLite and on PostgreSQL (the `database_url` fixture).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from relman.adapters.db.store import SqlStore
from relman.domain.releases import ChecklistItem, Evidence, Phase, Release, SignOff, Waiver
from relman.errors import ConflictError, NotFoundError

DHAKA = timezone(timedelta(hours=6))
T0 = datetime(2026, 3, 2, 10, 30, 15, 123456, tzinfo=UTC)


def make_release(release_id: str = "R-1", **changes: object) -> Release:
    release = Release(
        id=release_id,
        title="Smart Dairy 2.4",
        release_type="minor",
        version="2.4.0",
        components=("erp", "mobile"),
        phase=Phase.PLAN,
        planned_by="rahim",
        target_date=date(2026, 3, 16),
        created_at=T0,
        commit_sha="a" * 40,
        scope_commits=("b" * 40, "c" * 40),
        scope_tickets=("SD-101", "SD-102"),
        revision=1,
    )
    return dataclasses.replace(release, **changes)  # type: ignore[arg-type]


def make_signoff(person: str = "karim", **changes: object) -> SignOff:
    signoff = SignOff(
        release_id="R-1",
        gate="G4",
        person_id=person,
        role="tech_lead",
        decision="approve",
        comment="looks good",
        commit_sha="a" * 40,
        at=T0,
    )
    return dataclasses.replace(signoff, **changes)  # type: ignore[arg-type]


def test_release_round_trip(store: SqlStore) -> None:
    release = make_release(deployed_at=T0 + timedelta(days=3))
    with store.unit_of_work() as uow:
        uow.releases.add(release)
    with store.unit_of_work() as uow:
        loaded = uow.releases.get("R-1")
        assert uow.releases.find("R-9") is None
    assert loaded == release
    assert isinstance(loaded.phase, Phase)
    assert loaded.created_at.tzinfo is not None


def test_datetimes_keep_their_instant_whatever_the_time_zone(store: SqlStore) -> None:
    local = datetime(2026, 3, 2, 16, 30, tzinfo=DHAKA)
    with store.unit_of_work() as uow:
        uow.releases.add(make_release(created_at=local))
    with store.unit_of_work() as uow:
        loaded = uow.releases.get("R-1")
    assert loaded.created_at == local
    assert loaded.created_at.utcoffset() == timedelta(0)


def test_get_of_an_unknown_release_names_it(store: SqlStore) -> None:
    with store.unit_of_work() as uow, pytest.raises(NotFoundError, match="no release R-404"):
        uow.releases.get("R-404")


def test_adding_a_release_twice_is_a_conflict(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.releases.add(make_release())
    with (
        pytest.raises(ConflictError, match="release R-1 already exists"),
        store.unit_of_work() as uow,
    ):
        uow.releases.add(make_release(title="other"))
    with store.unit_of_work() as uow:
        assert uow.releases.get("R-1").title == "Smart Dairy 2.4"


def test_list_filters_by_phase_and_keeps_creation_order(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.releases.add(make_release("R-2", created_at=T0 + timedelta(hours=1)))
        uow.releases.add(make_release("R-1"))
        uow.releases.add(
            make_release("R-3", created_at=T0 + timedelta(hours=2), phase=Phase.CLOSED)
        )
    with store.unit_of_work() as uow:
        assert [r.id for r in uow.releases.list()] == ["R-1", "R-2", "R-3"]
        assert [r.id for r in uow.releases.list(phase=Phase.CLOSED)] == ["R-3"]
        assert uow.releases.next_id() == "R-4"


def test_next_id_starts_at_one(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        assert uow.releases.next_id() == "R-1"
        uow.releases.add(make_release("R-9"))
        assert uow.releases.next_id() == "R-10"


def test_update_bumps_the_revision(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.releases.add(make_release())
    with store.unit_of_work() as uow:
        current = uow.releases.get("R-1")
        updated = uow.releases.update(
            dataclasses.replace(current, phase=Phase.BUILD), expected_revision=current.revision
        )
    assert updated.revision == 2
    with store.unit_of_work() as uow:
        assert uow.releases.get("R-1") == updated
        assert uow.releases.get("R-1").phase is Phase.BUILD


def test_update_with_a_stale_revision_is_refused_and_writes_nothing(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.releases.add(make_release(revision=3))
    stale = make_release(phase=Phase.TEST, revision=2)
    with pytest.raises(ConflictError) as caught, store.unit_of_work() as uow:
        uow.releases.update(stale, expected_revision=2)
    assert str(caught.value).startswith(
        "release R-1 was changed by someone else (revision 3, expected 2); re-run the command"
    )
    with store.unit_of_work() as uow:
        assert uow.releases.get("R-1").phase is Phase.PLAN


def test_update_of_a_missing_release_is_not_found(store: SqlStore) -> None:
    with store.unit_of_work() as uow, pytest.raises(NotFoundError, match="R-7"):
        uow.releases.update(make_release("R-7"), expected_revision=1)


def test_signoffs_round_trip_and_invalidation(store: SqlStore) -> None:
    old_commit, new_commit = "a" * 40, "d" * 40
    first = make_signoff("karim", commit_sha=old_commit)
    second = make_signoff("nadia", gate="G5", decision="reject", post_hoc=True)
    third = make_signoff("sumi", commit_sha=new_commit, at=T0 + timedelta(minutes=5))
    with store.unit_of_work() as uow:
        uow.releases.add(make_release())
        for signoff in (first, second, third):
            uow.signoffs.add(signoff)
    with store.unit_of_work() as uow:
        assert uow.signoffs.list("R-1") == [first, second, third]
        assert uow.signoffs.list("R-1", gate="G5") == [second]
        assert uow.signoffs.invalidate("R-1", keep_commit=new_commit) == 2
    with store.unit_of_work() as uow:
        valid = uow.signoffs.list("R-1", include_invalidated=False)
        assert valid == [third]
        assert [s.invalidated for s in uow.signoffs.list("R-1")] == [True, True, False]


def test_a_signoff_for_an_unknown_release_is_refused(store: SqlStore) -> None:
    with store.unit_of_work() as uow, pytest.raises(NotFoundError, match="no release R-1"):
        uow.signoffs.add(make_signoff())


def test_evidence_round_trip(store: SqlStore) -> None:
    junit = Evidence(
        release_id="R-1",
        kind="junit",
        summary={"tests": 120, "failures": 0, "ratio": 0.975, "failed": ["a::b"]},
        digest="sha256:" + "0" * 64,
        source="reports/junit.xml",
        commit_sha="a" * 40,
        at=T0,
    )
    coverage = dataclasses.replace(junit, kind="coverage", summary={"line_rate": 83.5})
    with store.unit_of_work() as uow:
        uow.releases.add(make_release())
        stored = uow.evidence.add(junit)
        stored_cov = uow.evidence.add(coverage)
    assert stored.id is not None
    assert stored_cov.id is not None
    assert stored_cov.id != stored.id
    with store.unit_of_work() as uow:
        assert uow.evidence.get(stored.id) == stored
        assert uow.evidence.list("R-1") == [stored, stored_cov]
        assert uow.evidence.list("R-1", kind="coverage") == [stored_cov]
        with pytest.raises(NotFoundError, match="no evidence #999"):
            uow.evidence.get(999)


def test_checklist_items_keep_their_order_and_ticks(store: SqlStore) -> None:
    items = [
        ChecklistItem("R-1", "pre_release", item, f"Item {item}", None, None, None)
        for item in ("7.1.1-c", "7.1.1-a", "7.1.1-b")
    ]
    with store.unit_of_work() as uow:
        uow.releases.add(make_release())
        for item in items:
            uow.checklists.add(item)
        uow.checklists.add(ChecklistItem("R-1", "rollback", "9.4-a", "Backup", None, None, None))
    ticked = dataclasses.replace(items[1], ticked_by="karim", ticked_at=T0, proof="evidence #1")
    with store.unit_of_work() as uow:
        assert uow.checklists.list("R-1", checklist_id="pre_release") == items
        uow.checklists.update(ticked)
    with store.unit_of_work() as uow:
        assert uow.checklists.get("R-1", "pre_release", "7.1.1-a") == ticked
        assert uow.checklists.get("R-1", "pre_release", "7.1.1-a").is_ticked
        assert [i.item_id for i in uow.checklists.list("R-1")] == [
            "7.1.1-c",
            "7.1.1-a",
            "7.1.1-b",
            "9.4-a",
        ]


def test_checklist_item_errors(store: SqlStore) -> None:
    item = ChecklistItem("R-1", "pre_release", "x", "X", None, None, None)
    with store.unit_of_work() as uow:
        uow.releases.add(make_release())
        uow.checklists.add(item)
    with store.unit_of_work() as uow:
        with pytest.raises(ConflictError, match="pre_release/x already exists"):
            uow.checklists.add(item)
        with pytest.raises(NotFoundError, match="no checklist item pre_release/y"):
            uow.checklists.update(dataclasses.replace(item, item_id="y"))
        assert uow.checklists.list("R-1") == [item]


def test_waivers_round_trip_and_invalidation(store: SqlStore) -> None:
    old_commit, new_commit = "a" * 40, "d" * 40
    waiver = Waiver("R-1", "G3", "coverage_min", "cto", "legacy module, SD-9", old_commit, T0)
    unbound = dataclasses.replace(waiver, gate="G2", commit_sha=None)
    current = dataclasses.replace(waiver, gate="G1", commit_sha=new_commit)
    with store.unit_of_work() as uow:
        uow.releases.add(make_release())
        for w in (waiver, unbound, current):
            uow.waivers.add(w)
    with store.unit_of_work() as uow:
        assert uow.waivers.list("R-1", gate="G3") == [waiver]
        assert uow.waivers.list("R-1") == [waiver, unbound, current]
        assert uow.waivers.invalidate("R-1", keep_commit=new_commit) == 2
    with store.unit_of_work() as uow:
        listed = uow.waivers.list("R-1")
        assert [(w.commit_sha, w.invalidated) for w in listed] == [
            (old_commit, True),
            (None, True),
            (new_commit, False),
        ]
        assert uow.waivers.invalidate("R-1", keep_commit=new_commit) == 0


def test_an_exception_rolls_back_the_whole_unit_of_work(store: SqlStore) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.unit_of_work() as uow:
        uow.releases.add(make_release())
        uow.signoffs.add(make_signoff())
        uow.checklists.add(ChecklistItem("R-1", "c", "i", "I", None, None, None))
        uow.audit.append(
            actor="rahim", action="release.plan", subject="R-1", before=None, after={}, at=T0
        )
        raise RuntimeError("boom")
    with store.unit_of_work() as uow:
        assert uow.releases.list() == []
        assert uow.signoffs.list("R-1") == []
        assert uow.checklists.list("R-1") == []
        assert uow.audit.list() == []
        entry = uow.audit.append(
            actor="rahim", action="release.plan", subject="R-1", before=None, after={}, at=T0
        )
    assert entry.seq == 1


def test_commit_inside_the_block_keeps_what_came_before(store: SqlStore) -> None:
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.releases.add(make_release("R-1"))
        uow.commit()
        uow.releases.add(make_release("R-2"))
        raise RuntimeError("after the commit")
    with store.unit_of_work() as uow:
        assert [r.id for r in uow.releases.list()] == ["R-1"]


def test_repositories_exist_only_inside_the_block(store: SqlStore) -> None:
    uow = store.unit_of_work()
    with pytest.raises(RuntimeError, match="inside `with uow:`"):
        uow.releases.list()
