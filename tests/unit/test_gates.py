"""Gate evaluation: evidence, checklists, scope, sign-offs, events, waivers; advancing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from release_factories import (
    GOOD_EVIDENCE,
    NOW,
    SHA,
    SHA2,
    SIGNER,
    make_evidence,
    make_policy,
    make_release,
    make_signoff,
    tick_all,
)

from relman.domain.checklists import plan_checklists
from relman.domain.gates import GateStatus, compute_evidence_link, decide_advance, evaluate_gate
from relman.domain.releases import ChecklistItem, Evidence, Phase, Release, SignOff, Waiver
from relman.errors import BlockedError, ConflictError

POLICY = make_policy()


def status(
    gate: str,
    release: Release,
    *,
    evidence: list[Evidence] | None = None,
    signoffs: list[SignOff] | None = None,
    items: list[ChecklistItem] | None = None,
    waivers: list[Waiver] | None = None,
    events: tuple[str, ...] = (),
) -> GateStatus:
    return evaluate_gate(
        POLICY.get_gate(gate),
        release=release,
        policy=POLICY,
        evidence=evidence or [],
        signoffs=signoffs or [],
        checklist_items=plan_checklists(release, POLICY) if items is None else items,
        waivers=waivers or [],
        now=NOW,
        events=events,
    )


def states(gate_status: GateStatus) -> dict[str, str]:
    return {c.id: c.state for c in gate_status.criteria}


def test_g1_minor_needs_scope_resources_risks_and_the_pm() -> None:
    release = make_release()
    items = plan_checklists(release, POLICY)
    before = status("G1", release, items=items)
    assert states(before) == {"G1.scope": "met", "G1.resources": "unmet", "G1.risks": "unmet"}
    assert not before.passed
    assert before.unmet == [
        "G1.resources: Resources allocated (not ticked: 7.1.1-3 Resource assignments confirmed)",
        "G1.risks: Risks assessed (not ticked: 7.1.1-4 Risk assessment completed)",
        "G1 sign-off project_manager: needs a sign-off by project_manager",
    ]
    after = status(
        "G1",
        release,
        items=tick_all(items, "7.1.1-3", "7.1.1-4"),
        signoffs=[make_signoff("G1", "parvin")],
    )
    assert after.passed
    assert after.unmet == []
    assert "7.1.1-3 ticked by rahim" in (after.criteria[1].proof or "")


def test_g1_without_scope_is_unmet() -> None:
    release = make_release(scope_commits=(), scope_tickets=())
    g1 = status("G1", release)
    assert g1.criteria[0].state == "unmet"
    assert g1.criteria[0].detail == "0 commits, 0 tickets in scope"


def test_g1_hotfix_uses_the_hotfix_checklist() -> None:
    hotfix = make_release(release_type="hotfix")
    assert set(states(status("G1", hotfix))) == {"G1.scope", "G1.severity", "G1.cab"}


@pytest.mark.parametrize(
    ("evidence", "expected", "detail"),
    [
        ([], "unmet", "no junit evidence for commit c0ffee000000"),
        (
            [make_evidence("junit", {"tests": 3, "failures": 1, "errors": 0})],
            "unmet",
            "3 tests, 1 failures, 0 errors",
        ),
        (
            [make_evidence("junit", {"tests": 0, "failures": 0, "errors": 0})],
            "unmet",
            "no tests ran",
        ),
        (
            [make_evidence("junit", {"tests": 3, "failures": 0, "errors": 0}, sha=SHA2)],
            "unmet",
            "no junit evidence for commit",
        ),
        (
            [
                make_evidence("junit", {"tests": 3, "failures": 0, "errors": 0}, minute=1),
                make_evidence("junit", {"tests": 3, "failures": 2, "errors": 0}, minute=2),
            ],
            "unmet",
            "2 failures",
        ),
        (
            [
                make_evidence("junit", {"tests": 3, "failures": 2, "errors": 0}, minute=1),
                make_evidence("junit", {"tests": 4, "failures": 0, "errors": 0}, minute=2),
            ],
            "met",
            "4 tests, 0 failures, 0 errors",
        ),
    ],
)
def test_g2_unit_tests_judge_the_latest_junit_of_the_current_commit(
    evidence: list[Evidence], expected: str, detail: str
) -> None:
    criterion = next(
        c
        for c in status("G2", make_release(phase=Phase.BUILD), evidence=evidence).criteria
        if c.id == "G2.unit-tests"
    )
    assert criterion.state == expected
    assert detail in criterion.detail
    if expected == "met":
        assert criterion.proof == "evidence #3 junit junit.out (sha256:abababababab)"


def test_evidence_criteria_need_a_commit() -> None:
    g2 = status("G2", make_release(phase=Phase.BUILD, commit_sha=None), evidence=GOOD_EVIDENCE)
    assert "the release has no commit yet" in next(
        c.detail for c in g2.criteria if c.id == "G2.build"
    )


@pytest.mark.parametrize(
    ("evidence", "criterion", "expected"),
    [
        (make_evidence("coverage", {"percent": 79.99}), "G3.coverage", "unmet"),
        (make_evidence("coverage", {"percent": 80.0}), "G3.coverage", "met"),
        (
            make_evidence("sarif", {"total": 1, "by_level_severity": {"error/-": 1}}),
            "G3.security",
            "unmet",
        ),
        (
            make_evidence("sarif", {"total": 1, "by_level_severity": {"warning/high": 1}}),
            "G3.security",
            "unmet",
        ),
        (
            make_evidence("sarif", {"total": 2, "by_level_severity": {"warning/medium": 2}}),
            "G3.security",
            "met",
        ),
    ],
)
def test_g3_coverage_and_security(evidence: Evidence, criterion: str, expected: str) -> None:
    assert (
        states(status("G3", make_release(phase=Phase.TEST), evidence=[evidence]))[criterion]
        == expected
    )


def test_an_unmet_evidence_criterion_cites_the_evidence_that_failed_it() -> None:
    failing = make_evidence("sarif", {"total": 1, "by_level_severity": {"error/-": 1}})
    g3 = status("G3", make_release(phase=Phase.TEST), evidence=[failing])
    security = next(c for c in g3.criteria if c.id == "G3.security")
    assert security.state == "unmet"
    assert security.proof == compute_evidence_link(failing)
    assert security.proof is not None and "sarif" in security.proof


def test_hotfix_g3_is_smoke_tests_only() -> None:
    assert set(states(status("G3", make_release(release_type="hotfix", phase=Phase.TEST)))) == {
        "G3.tests",
        "G3.smoke",
    }


def test_a_waiver_turns_an_unmet_criterion_into_waived() -> None:
    release = make_release(phase=Phase.TEST)
    low = [make_evidence("coverage", {"percent": 60.0})]
    waiver = Waiver("R-1", "G3", "G3.coverage", "chowdhury", "legacy module", SHA, NOW)
    criterion = next(
        c
        for c in status("G3", release, evidence=low, waivers=[waiver]).criteria
        if c.id == "G3.coverage"
    )
    assert (criterion.state, criterion.detail) == (
        "waived",
        f"waived by chowdhury for commit {SHA[:12]}: legacy module",
    )
    other_release = replace(waiver, release_id="R-9")
    assert (
        states(status("G3", release, evidence=low, waivers=[other_release]))["G3.coverage"]
        == "unmet"
    )


def test_g4_is_the_product_owner_uat_signoff() -> None:
    release = make_release(phase=Phase.TEST)
    assert states(status("G4", release)) == {"G4.uat": "unmet"}
    g4 = status("G4", release, signoffs=[make_signoff("G4", "popy")])
    assert g4.passed
    assert g4.criteria[0].proof == "G4 approved by popy (product_owner)"


def test_event_criteria_accept_the_event_or_a_ticked_fallback_item() -> None:
    release = make_release(phase=Phase.DEPLOY)
    items = plan_checklists(release, POLICY)
    assert states(status("G5", release, items=items))["G5.smoke"] == "unmet"
    by_event = status("G5", release, items=items, events=("smoke_passed:staging",))
    assert (by_event.criteria[0].state, by_event.criteria[0].proof) == (
        "met",
        "event:smoke_passed:staging",
    )
    assert states(status("G5", release, items=tick_all(items, "7.2.3-1")))["G5.smoke"] == "met"


def _everything(release: Release) -> dict[str, object]:
    return {
        "evidence": GOOD_EVIDENCE,
        "signoffs": [make_signoff(g, p) for g, p in SIGNER.items()]
        + [make_signoff("G6", "parvin"), make_signoff("G6", "tanvir")],
        "items": tick_all(plan_checklists(release, POLICY)),
    }


def test_g6_needs_all_earlier_gates_and_the_release_type_approvers() -> None:
    release = make_release(phase=Phase.DEPLOY)
    full = _everything(release)
    g6 = status("G6", release, **full)  # type: ignore[arg-type]
    assert g6.passed, g6.unmet
    assert [(s.role, s.state) for s in g6.signoffs] == [
        ("release_manager", "approved"),
        ("project_manager", "approved"),
        ("tech_lead", "approved"),
    ]
    without_qa = {**full, "signoffs": [s for s in full["signoffs"] if s.gate != "G3"]}  # type: ignore[attr-defined]
    failing = status("G6", release, **without_qa)  # type: ignore[arg-type]
    assert failing.unmet == ["G6.gates: All gates passed (not passed: G3)"]


def test_g6_major_needs_the_cto() -> None:
    release = make_release(phase=Phase.DEPLOY, release_type="major")
    g6 = status("G6", release, **_everything(release))  # type: ignore[arg-type]
    assert [s.role for s in g6.signoffs if s.blocks] == ["cto"]


def _advance(release: Release, **recorded: object) -> Phase:
    return decide_advance(
        release=release,
        policy=POLICY,
        evidence=recorded.get("evidence", []),  # type: ignore[arg-type]
        signoffs=recorded.get("signoffs", []),  # type: ignore[arg-type]
        checklist_items=recorded.get("items", []),  # type: ignore[arg-type]
        waivers=[],
        now=NOW,
    ).to_phase


def test_a_minor_release_walks_plan_to_closed_with_everything_recorded() -> None:
    release = make_release()
    full = _everything(release)
    for expected in (Phase.BUILD, Phase.TEST, Phase.DEPLOY, Phase.VERIFY, Phase.CLOSED):
        release = replace(release, phase=_advance(release, **full))
        assert release.phase is expected
    with pytest.raises(ConflictError, match="cannot advance a CLOSED release"):
        _advance(release, **full)


def test_advance_refuses_with_every_unmet_line() -> None:
    release = make_release(phase=Phase.TEST)
    with pytest.raises(BlockedError) as info:
        _advance(
            release, evidence=[make_evidence("junit", {"tests": 2, "failures": 0, "errors": 0})]
        )
    err = info.value
    assert str(err).startswith("cannot advance release R-1 from TEST to DEPLOY:")
    assert "(G3, G4)" in str(err)
    unmet = err.details["unmet"]
    assert (
        "G3.coverage: Test coverage above the minimum (no coverage evidence for commit "
        "c0ffee000000)" in unmet
    )
    assert "G4 sign-off product_owner: needs a sign-off by product_owner" in unmet
    assert err.hint is not None
    assert err.hint.splitlines() == unmet


def test_a_new_commit_sends_evidence_and_signoffs_back_to_unmet() -> None:
    release = make_release(phase=Phase.TEST)
    full = _everything(release)
    assert status("G3", release, **full).passed  # type: ignore[arg-type]
    rebuilt = replace(release, commit_sha=SHA2)
    g3 = status("G3", rebuilt, **full)  # type: ignore[arg-type]
    assert not g3.passed
    assert states(g3)["G3.tests"] == "unmet"
    assert [s.state for s in g3.signoffs] == ["missing"]
