"""Sign-off rules: roles, separation of duties, twice, commit binding, post-hoc, waivers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from release_factories import NOW, PEOPLE, SHA2, make_policy, make_release, make_signoff

from relman.domain.gates import evaluate_gate
from relman.domain.policy import ReleasePolicy
from relman.domain.releases import Phase, Release, SignOff, Waiver
from relman.domain.signoffs import (
    compute_slot_statuses,
    decide_signoff,
    decide_waiver,
    is_signoff_valid,
    list_overdue_approvals,
    mark_invalidated,
)
from relman.errors import BlockedError, ConflictError, InvalidInputError, NotFoundError

POLICY = make_policy()


def sign(
    gate: str,
    person: str,
    *,
    release: Release | None = None,
    existing: list[SignOff] | None = None,
    decision: str = "approve",
    role: str | None = None,
    comment: str = "",
    policy: ReleasePolicy = POLICY,
) -> SignOff:
    return decide_signoff(
        release=release or make_release(phase=Phase.DEPLOY),
        gate=policy.get_gate(gate),
        person=PEOPLE[person],
        decision=decision,
        policy=policy,
        existing=existing or [],
        now=NOW,
        role=role,
        comment=comment,
    )


def test_a_person_with_the_role_signs_bound_to_the_release_commit() -> None:
    release = make_release(phase=Phase.BUILD)
    signoff = sign("G2", "tanvir", release=release, comment=" reviewed ")
    assert (signoff.role, signoff.decision, signoff.commit_sha) == (
        "tech_lead",
        "approve",
        release.commit_sha,
    )
    assert signoff.comment == "reviewed"
    assert signoff.at == NOW
    assert not signoff.post_hoc


@pytest.mark.parametrize(
    ("gate", "person", "role", "error", "message"),
    [
        (
            "G1",
            "rahim",
            None,
            BlockedError,
            r"rahim planned release R-1 and cannot sign its gate G1 \(separation of duties\)",
        ),
        (
            "G3",
            "tanvir",
            None,
            BlockedError,
            r"tanvir \(tech_lead\) holds none of the roles G3 needs: qa_lead",
        ),
        (
            "G3",
            "qamrul",
            "tech_lead",
            BlockedError,
            r"G3 needs sign-offs by qa_lead; tech_lead is not one of them",
        ),
        (
            "G6",
            "rana",
            "tech_lead",
            BlockedError,
            r"rana does not hold role tech_lead \(holds: release_manager\)",
        ),
        (
            "G6",
            "chowdhury",
            None,
            BlockedError,
            r"holds none of the roles G6 needs: release_manager, project_manager, tech_lead",
        ),
    ],
)
def test_refusals_say_why(
    gate: str, person: str, role: str | None, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        sign(gate, person, role=role)


def test_planner_who_holds_the_role_is_still_refused() -> None:
    release = make_release(phase=Phase.DEPLOY, planned_by="rana")
    with pytest.raises(BlockedError, match="separation of duties"):
        sign("G6", "rana", release=release)


def test_separation_of_duties_can_be_switched_off() -> None:
    relaxed = make_policy(separation_of_duties=False)
    release = make_release(phase=Phase.DEPLOY, planned_by="rana")
    assert sign("G6", "rana", release=release, policy=relaxed).person_id == "rana"


def test_signing_twice_is_a_conflict() -> None:
    first = sign("G4", "popy")
    with pytest.raises(ConflictError, match="popy already approved G4 of release R-1"):
        sign("G4", "popy", existing=[first])


def test_rejecting_needs_a_reason_and_a_change_of_mind_is_allowed() -> None:
    with pytest.raises(InvalidInputError, match="rejecting G4 needs a comment"):
        sign("G4", "popy", decision="reject")
    rejection = sign("G4", "popy", decision="reject", comment="UAT found a blocker")
    with pytest.raises(ConflictError, match="already rejected"):
        sign("G4", "popy", decision="reject", comment="again", existing=[rejection])
    approval = sign("G4", "popy", existing=[rejection])
    assert approval.decision == "approve"


def test_two_approvals_means_two_different_people() -> None:
    gate = POLICY.get_gate("G2")
    policy = make_policy(
        gates=tuple(
            replace(g, signoff_roles=("tech_lead", "tech_lead")) if g.id == "G2" else g
            for g in POLICY.gates
        )
    )
    release = make_release(phase=Phase.BUILD)
    first = sign("G2", "tanvir", release=release, policy=policy)
    with pytest.raises(ConflictError, match="tanvir already approved"):
        sign("G2", "tanvir", release=release, policy=policy, existing=[first])
    second = sign("G2", "tania", release=release, policy=policy, existing=[first])
    with pytest.raises(ConflictError, match="G2 already has every tech_lead sign-off it needs"):
        sign("G2", "tomal", release=release, policy=policy, existing=[first, second])
    states = [
        s.state
        for s in compute_slot_statuses(
            policy.get_gate("G2"), release=release, policy=policy, signoffs=[first, second], now=NOW
        )
    ]
    assert states == ["approved", "approved"]
    assert gate.signoff_roles == ("tech_lead",)  # the default is untouched


def test_one_person_with_two_roles_fills_one_slot() -> None:
    # G6 of a minor release: release_manager + project_manager + tech_lead (§2.2)
    first = sign("G6", "dora")
    assert first.role == "project_manager"
    with pytest.raises(ConflictError, match="dora already approved G6"):
        sign("G6", "dora", existing=[first], role="tech_lead")
    statuses = compute_slot_statuses(
        POLICY.get_gate("G6"),
        release=make_release(phase=Phase.DEPLOY),
        policy=POLICY,
        signoffs=[first],
        now=NOW,
    )
    assert [(s.role, s.state) for s in statuses] == [
        ("release_manager", "missing"),
        ("project_manager", "approved"),
        ("tech_lead", "missing"),
    ]


def test_a_rejection_by_a_required_role_vetoes_the_gate() -> None:
    release = make_release(phase=Phase.DEPLOY)
    approval = make_signoff("G6", "parvin", minute=1)
    rejection = replace(
        make_signoff("G6", "parvez", decision="reject", minute=2), comment="no rollback plan"
    )
    statuses = compute_slot_statuses(
        POLICY.get_gate("G6"),
        release=release,
        policy=POLICY,
        signoffs=[approval, rejection],
        now=NOW,
    )
    pm = next(s for s in statuses if s.role == "project_manager")
    assert (pm.state, pm.person_id) == ("rejected", "parvez")
    assert "no rollback plan" in pm.detail
    assert pm.blocks


@pytest.mark.parametrize(
    ("phase", "gate", "error", "message"),
    [
        (
            Phase.BUILD,
            "G6",
            BlockedError,
            r"G6 cannot be signed before release R-1 reaches DEPLOY \(it is in BUILD\)",
        ),
        (Phase.PLAN, "G2", BlockedError, "G2 cannot be signed before release R-1 reaches BUILD"),
        (Phase.CANCELLED, "G1", ConflictError, "cannot sign a CANCELLED release"),
        (Phase.CLOSED, "G7", ConflictError, "cannot sign a CLOSED release"),
    ],
)
def test_signing_out_of_order(
    phase: Phase, gate: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        sign(
            gate,
            "sara" if gate == "G7" else {"G1": "parvin", "G2": "tanvir", "G6": "rana"}[gate],
            release=make_release(phase=phase),
        )


def test_earlier_gates_can_be_signed_again_later() -> None:
    assert sign("G2", "tanvir", release=make_release(phase=Phase.TEST)).gate == "G2"


def test_a_new_commit_invalidates_earlier_signoffs() -> None:
    old = make_signoff("G2", "tanvir")
    release = make_release(phase=Phase.TEST, commit_sha=SHA2)
    assert not is_signoff_valid(old, release)
    assert mark_invalidated([old], release)[0].invalidated
    status = evaluate_gate(
        POLICY.get_gate("G2"),
        release=release,
        policy=POLICY,
        evidence=[],
        signoffs=[old],
        checklist_items=[],
        waivers=[],
        now=NOW,
    )
    assert [s.state for s in status.signoffs] == ["missing"]
    again = sign("G2", "tanvir", release=release, existing=[old])
    assert again.commit_sha == SHA2


def test_a_signoff_given_before_any_commit_stays_valid() -> None:
    plan_signoff = make_signoff("G1", "parvin", sha=None)
    assert is_signoff_valid(plan_signoff, make_release(commit_sha=SHA2))
    assert not is_signoff_valid(replace(plan_signoff, invalidated=True), make_release())


def _hotfix(**kw: object) -> Release:
    fields: dict[str, object] = {
        "release_type": "hotfix",
        "version": "1.4.1-hotfix.1",
        "phase": Phase.VERIFY,
        "deployed_at": NOW - timedelta(hours=10),
    }
    fields.update(kw)
    return make_release(**fields)


def test_hotfix_approvers_may_sign_after_deployment_even_when_closed() -> None:
    signoff = sign("G6", "parvin", release=_hotfix(phase=Phase.CLOSED))
    assert (signoff.post_hoc, signoff.role) == (True, "project_manager")
    with pytest.raises(ConflictError, match="cannot sign a CLOSED release"):
        sign("G6", "parvin", release=make_release(phase=Phase.CLOSED, deployed_at=NOW))


def test_hotfix_type_approvals_pending_do_not_block_then_become_overdue() -> None:
    gate = POLICY.get_gate("G6")
    rm = make_signoff("G6", "rana")
    pending = compute_slot_statuses(
        gate,
        release=_hotfix(deployed_at=None, phase=Phase.DEPLOY),
        policy=POLICY,
        signoffs=[rm],
        now=NOW,
    )
    assert [s.state for s in pending] == ["approved", "post_hoc_pending", "post_hoc_pending"]
    assert not any(s.blocks for s in pending)
    late = compute_slot_statuses(
        gate,
        release=_hotfix(deployed_at=NOW - timedelta(hours=49)),
        policy=POLICY,
        signoffs=[rm],
        now=NOW,
    )
    assert [s.state for s in late] == ["approved", "overdue", "overdue"]


def test_list_overdue_approvals() -> None:
    in_time = _hotfix(id="R-1", deployed_at=NOW - timedelta(hours=47))
    overdue = _hotfix(id="R-2", deployed_at=NOW - timedelta(hours=49))
    signed_late = _hotfix(id="R-3", deployed_at=NOW - timedelta(hours=100))
    minor = make_release(id="R-4", phase=Phase.CLOSED, deployed_at=NOW - timedelta(days=9))
    signoffs = [
        replace(make_signoff("G6", "dipu"), release_id="R-3", at=NOW - timedelta(hours=2)),
        replace(make_signoff("G6", "parvin"), release_id="R-3", at=NOW - timedelta(hours=90)),
    ]
    result = list_overdue_approvals(
        [in_time, overdue, signed_late, minor], signoffs, policy=POLICY, now=NOW
    )
    assert [(o.release_id, o.role, o.signed_at) for o in result] == [
        ("R-2", "devops_lead", None),
        ("R-2", "project_manager", None),
        ("R-3", "devops_lead", NOW - timedelta(hours=2)),
    ]
    assert result[0].due_at == overdue.deployed_at + timedelta(hours=48)  # type: ignore[operator]


def waive(
    person: str,
    criterion: str = "G3.coverage",
    *,
    reason: str = "legacy module excluded",
    existing: list[Waiver] | None = None,
    release: Release | None = None,
) -> Waiver:
    return decide_waiver(
        release=release or make_release(phase=Phase.TEST),
        gate=POLICY.get_gate(criterion.split(".", maxsplit=1)[0]),
        criterion_id=criterion,
        person=PEOPLE[person],
        reason=reason,
        policy=POLICY,
        existing=existing or [],
        now=NOW,
    )


def test_waiver_by_an_allowed_role_with_a_reason() -> None:
    waiver = waive("chowdhury")
    assert (waiver.gate, waiver.criterion_id, waiver.person_id, waiver.reason) == (
        "G3",
        "G3.coverage",
        "chowdhury",
        "legacy module excluded",
    )


@pytest.mark.parametrize(
    ("person", "criterion", "reason", "error", "message"),
    [
        (
            "qamrul",
            "G3.coverage",
            "r",
            BlockedError,
            "qamrul may not waive G3 criteria: needs one of the roles cto, release_manager",
        ),
        ("chowdhury", "G3.coverage", "  ", InvalidInputError, "waiving G3.coverage needs a reason"),
        (
            "chowdhury",
            "G3.nothing",
            "r",
            NotFoundError,
            "unknown criterion 'G3.nothing' of gate G3",
        ),
        (
            "chowdhury",
            "G3.smoke",
            "r",
            InvalidInputError,
            "G3.smoke does not apply to minor releases",
        ),
        (
            "chowdhury",
            "G6.plan",
            "r",
            BlockedError,
            "G6 cannot be waived before release R-1 reaches DEPLOY",
        ),
    ],
)
def test_waiver_refusals(
    person: str, criterion: str, reason: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        waive(person, criterion, reason=reason)


def test_waiving_twice_and_by_the_planner_are_refused() -> None:
    first = waive("chowdhury")
    with pytest.raises(ConflictError, match=r"G3\.coverage is already waived"):
        waive("rana", existing=[first])
    with pytest.raises(BlockedError, match="separation of duties"):
        waive("rana", release=make_release(phase=Phase.TEST, planned_by="rana"))
