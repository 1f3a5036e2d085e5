"""Checklists per release type, ticking by hand, and auto-ticking from proofs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from release_factories import (
    GOOD_EVIDENCE,
    NOW,
    PEOPLE,
    SHA2,
    make_evidence,
    make_policy,
    make_release,
)

from relman.domain.checklists import (
    AUTO_TICKER,
    auto_tick,
    compute_proofs,
    decide_tick,
    find_proof_link,
    get_item,
    plan_checklist,
    plan_checklists,
)
from relman.domain.releases import Phase
from relman.errors import ConflictError, NotFoundError

POLICY = make_policy()


@pytest.mark.parametrize(
    ("release_type", "checklists", "count"),
    [
        (
            "minor",
            [
                "7.1.1",
                "7.1.2",
                "7.1.3",
                "7.1.4",
                "7.2.1",
                "7.2.2",
                "7.2.3",
                "7.3",
                "14.3-24h",
                "14.3-1w",
            ],
            63,
        ),
        (
            "major",
            [
                "7.1.1",
                "7.1.2",
                "7.1.3",
                "7.1.4",
                "7.2.1",
                "7.2.2",
                "7.2.3",
                "7.3",
                "14.3-24h",
                "14.3-1w",
            ],
            63,
        ),
        ("hotfix", ["7.2.1", "7.2.2", "7.2.3", "13.1", "14.3-24h"], 35),
    ],
)
def test_checklists_follow_the_release_type(
    release_type: str, checklists: list[str], count: int
) -> None:
    items = plan_checklists(make_release(release_type=release_type), POLICY)
    assert list(dict.fromkeys(i.checklist_id for i in items)) == checklists
    assert len(items) == count
    assert all(i.ticked_by is None and i.release_id == "R-1" for i in items)


def test_on_demand_rollback_checklist() -> None:
    items = plan_checklist(make_release(), POLICY.get_checklist("9.4"))
    assert [i.item_id for i in items][:2] == ["9.4-1", "9.4-2"]
    assert items[4].text == "Rollback executed"


def test_tick_by_hand_then_twice_is_a_conflict() -> None:
    release = make_release()
    item = get_item(plan_checklists(release, POLICY), "7.1.1-4", release_id="R-1")
    ticked = decide_tick(
        item, release=release, person=PEOPLE["dipu"], now=NOW, note=" risk register v2 "
    )
    assert (ticked.ticked_by, ticked.ticked_at, ticked.proof) == ("dipu", NOW, "risk register v2")
    with pytest.raises(ConflictError, match=r"7\.1\.1-4 is already ticked by dipu"):
        decide_tick(ticked, release=release, person=PEOPLE["parvin"], now=NOW)


def test_tick_on_a_cancelled_release_is_refused_but_allowed_after_close() -> None:
    item = plan_checklists(make_release(), POLICY)[0]
    with pytest.raises(ConflictError, match="cannot tick a CANCELLED release"):
        decide_tick(
            item, release=make_release(phase=Phase.CANCELLED), person=PEOPLE["dipu"], now=NOW
        )
    assert (
        decide_tick(
            item, release=make_release(phase=Phase.CLOSED), person=PEOPLE["dipu"], now=NOW
        ).ticked_by
        == "dipu"
    )


def test_unknown_item() -> None:
    with pytest.raises(NotFoundError, match=r"release R-1 has no checklist item '9\.9-1'"):
        get_item(plan_checklists(make_release(), POLICY), "9.9-1", release_id="R-1")


def test_auto_tick_from_scope_evidence_gates_and_events() -> None:
    release = make_release()
    items = plan_checklists(release, POLICY)
    proofs = compute_proofs(
        release=release,
        policy=POLICY,
        evidence=GOOD_EVIDENCE,
        passed_gates=("G4",),
        events=("smoke_passed:production",),
    )
    ticked = {i.item_id: i for i in auto_tick(items, proofs, policy=POLICY, now=NOW)}
    assert set(ticked) == {
        "7.1.1-1",  # scope
        "7.1.2-1", "7.1.3-1",  # junit
        "7.1.2-3", "7.1.2-4",  # sarif
        "7.1.3-2",  # coverage
        "7.1.3-7", "7.3-5",  # gate:G4
        "7.2.3-1", "7.3-1",  # event
    }  # fmt: skip
    assert ticked["7.1.1-1"].proof == "scope: 2 commits, 1 tickets"
    assert ticked["7.1.3-2"].proof == "evidence #1 coverage coverage.out (sha256:abababababab)"
    assert ticked["7.1.3-7"].proof == "gate G4 passed"
    assert all(i.ticked_by == AUTO_TICKER and i.ticked_at == NOW for i in ticked.values())


def test_failing_evidence_or_another_commit_proves_nothing() -> None:
    release = make_release()
    bad = [
        make_evidence("junit", {"tests": 5, "failures": 1, "errors": 0}),
        make_evidence("coverage", {"percent": 70.0}),
        make_evidence("ci", {"status": "success"}, sha=SHA2),
    ]
    assert compute_proofs(release=release, policy=POLICY, evidence=bad) == {
        "scope": "scope: 2 commits, 1 tickets"
    }
    assert (
        compute_proofs(
            release=replace(release, commit_sha=None, scope_commits=(), scope_tickets=()),
            policy=POLICY,
            evidence=GOOD_EVIDENCE,
        )
        == {}
    )


def test_already_ticked_items_are_left_alone() -> None:
    release = make_release()
    items = [
        replace(i, ticked_by="parvin", ticked_at=NOW, proof="scope doc")
        if i.item_id == "7.1.1-1"
        else i
        for i in plan_checklists(release, POLICY)
    ]
    proofs = {"scope": "scope: 2 commits"}
    assert auto_tick(items, proofs, policy=POLICY, now=NOW) == []


@pytest.mark.parametrize(
    ("proof", "proofs", "link"),
    [
        (
            "evidence:junit+evidence:coverage",
            {"evidence:junit": "J", "evidence:coverage": "C"},
            "J; C",
        ),
        ("evidence:junit+evidence:coverage", {"evidence:junit": "J"}, None),
        ("scope", {}, None),
        ("", {"": "x"}, None),
    ],
)
def test_composite_proofs_need_every_part(
    proof: str, proofs: dict[str, str], link: str | None
) -> None:
    assert find_proof_link(proof, proofs) == link
