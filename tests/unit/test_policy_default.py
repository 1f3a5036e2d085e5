"""ReleasePolicy.default() is J-003: release types, gates G1-G7, every checklist."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from relman.domain.lifecycle import FORWARD
from relman.domain.policy import ROLES, ReleasePolicy
from relman.domain.releases import Phase
from relman.errors import NotFoundError

POLICY = ReleasePolicy.default()
H, D, W = timedelta(hours=1), timedelta(days=1), timedelta(weeks=1)


@pytest.mark.parametrize(
    ("name", "lead", "approvers", "testing", "window", "post_hoc"),
    [
        (
            "major",
            (4 * W, 6 * W),
            ("cto", "project_manager"),
            (2 * W, 2 * W),
            "scheduled_maintenance",
            None,
        ),
        (
            "minor",
            (1 * W, 2 * W),
            ("project_manager", "tech_lead"),
            (3 * D, 5 * D),
            "standard",
            None,
        ),
        ("patch", (3 * D, 5 * D), ("devops_lead",), (1 * D, 2 * D), "standard", None),
        (
            "hotfix",
            (2 * H, 24 * H),
            ("devops_lead", "project_manager"),
            (timedelta(0), timedelta(0)),
            "anytime",
            48,
        ),
    ],
)
def test_release_types(  # noqa: PLR0917
    name: str,
    lead: tuple[timedelta, timedelta],
    approvers: tuple[str, ...],
    testing: tuple[timedelta, timedelta],
    window: str,
    post_hoc: int | None,
) -> None:
    rt = POLICY.get_release_type(name)
    assert (rt.lead_time_min, rt.lead_time_max) == lead
    assert rt.approver_roles == approvers
    assert (rt.testing_period_min, rt.testing_period_max) == testing
    assert rt.window_class == window
    assert rt.post_hoc_approval_hours == post_hoc
    assert rt.lead_time_enforcement in ("refuse", "warn")


@pytest.mark.parametrize(
    ("gate", "transition", "signoff_roles", "type_approvers"),
    [
        ("G1", ("PLAN", "BUILD"), ("project_manager",), False),
        ("G2", ("BUILD", "TEST"), ("tech_lead",), False),
        ("G3", ("TEST", "DEPLOY"), ("qa_lead",), False),
        ("G4", ("TEST", "DEPLOY"), ("product_owner",), False),
        ("G5", ("DEPLOY", "VERIFY"), ("devops_lead",), False),
        ("G6", ("DEPLOY", "VERIFY"), ("release_manager",), True),
        ("G7", ("VERIFY", "CLOSED"), ("sre_lead",), False),
    ],
)
def test_gates_sit_on_their_transitions(
    gate: str, transition: tuple[str, str], signoff_roles: tuple[str, ...], type_approvers: bool
) -> None:
    g = POLICY.get_gate(gate)
    assert (g.from_phase, g.to_phase) == transition
    assert g.signoff_roles == signoff_roles
    assert g.require_release_type_approvers is type_approvers
    assert g.waiver_roles


def test_every_transition_of_the_forward_path_has_a_gate() -> None:
    for a, b in itertools.pairwise(FORWARD):
        assert POLICY.list_gates_between(a.value, b.value), (a, b)


@pytest.mark.parametrize(
    ("checklist", "count", "applies_to"),
    [
        ("7.1.1", 6, ("major", "minor", "patch")),
        ("7.1.2", 6, ("major", "minor", "patch")),
        ("7.1.3", 7, ("major", "minor", "patch")),
        ("7.1.4", 7, ("major", "minor", "patch")),
        ("7.2.1", 5, ("major", "minor", "patch", "hotfix")),
        ("7.2.2", 7, ("major", "minor", "patch", "hotfix")),
        ("7.2.3", 6, ("major", "minor", "patch", "hotfix")),
        ("7.3", 9, ("major", "minor", "patch")),
        ("9.4", 9, ()),
        ("13.1", 12, ("hotfix",)),
        ("14.3-24h", 5, ("major", "minor", "patch", "hotfix")),
        ("14.3-1w", 5, ("major", "minor", "patch")),
        ("A-pre", 13, ()),
        ("A-day", 8, ()),
        ("A-post", 4, ()),
    ],
)
def test_checklists(checklist: str, count: int, applies_to: tuple[str, ...]) -> None:
    spec = POLICY.get_checklist(checklist)
    assert len(spec.items) == count
    assert [i.id for i in spec.items] == [f"{checklist}-{n}" for n in range(1, count + 1)]
    assert spec.applies_to == applies_to


@pytest.mark.parametrize(
    ("item", "text", "proof"),
    [
        ("7.1.1-1", "Release scope defined and documented", "scope"),
        ("7.1.2-4", "Security scan completed (no critical/high findings)", "evidence:sarif"),
        ("7.1.3-2", "Test coverage > 80%", "evidence:coverage"),
        ("7.1.3-1", "All test cases executed", "evidence:junit"),
        ("7.1.3-7", "UAT sign-off obtained from business", "gate:G4"),
        ("7.1.4-7", "Go/No-Go decision made", "gate:G6"),
        ("7.1.1-4", "Risk assessment completed", None),
        ("13.1-1", "Incident severity confirmed as P1/P2", None),
        ("9.4-5", "Rollback executed", "event:rolled_back"),
        ("A-pre-4", "Unit tests passing (>80% coverage)", "evidence:junit+evidence:coverage"),
    ],
)
def test_item_text_and_proof(item: str, text: str, proof: str | None) -> None:
    checklist = POLICY.get_checklist(item.rsplit("-", 1)[0])
    spec = next(i for i in checklist.items if i.id == item)
    assert (spec.text, spec.proof) == (text, proof)


def test_gate_criteria_reference_items_on_checklists_of_their_release_types() -> None:
    for gate in POLICY.gates:
        for criterion in gate.criteria:
            items = criterion.params.get("items", ())
            assert isinstance(items, tuple)
            for release_type in POLICY.release_types:
                if not criterion.applies_to(release_type):
                    continue
                on_release = {
                    i.id for c in POLICY.list_checklists_for(release_type) for i in c.items
                }
                assert set(items) <= on_release, (gate.id, criterion.id, release_type)


def test_every_role_is_a_j003_role() -> None:
    used = {r for g in POLICY.gates for r in (*g.signoff_roles, *g.waiver_roles)}
    used |= {r for t in POLICY.release_types.values() for r in t.approver_roles}
    assert used <= set(ROLES)


def test_gate_phases_are_phases() -> None:
    for gate in POLICY.gates:
        assert Phase(gate.from_phase) in FORWARD
        assert Phase(gate.to_phase) in FORWARD


def test_defaults_and_no_people() -> None:
    assert POLICY.people == {}
    assert POLICY.coverage_min == 80.0
    assert POLICY.sarif_blocking_levels == ("critical", "high", "error")
    assert POLICY.separation_of_duties is True


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        (lambda: POLICY.get_person("rahim"), r"unknown person 'rahim' \(known: none configured\)"),
        (lambda: POLICY.get_gate("G9"), r"unknown gate 'G9' \(known: G1, G2, G3, G4, G5, G6, G7\)"),
        (
            lambda: POLICY.get_release_type("epic"),
            r"unknown release type 'epic' \(known: major, minor, patch, hotfix\)",
        ),
        (lambda: POLICY.get_checklist("7.9"), r"unknown checklist '7\.9'"),
        (
            lambda: POLICY.get_gate("G1").get_criterion("G1.x"),
            r"unknown criterion 'G1\.x' of gate G1",
        ),
    ],
)
def test_lookups_name_the_known_ones(lookup: object, message: str) -> None:
    assert callable(lookup)
    with pytest.raises(NotFoundError, match=message):
        lookup()


def test_gate_lookup_is_case_insensitive() -> None:
    assert POLICY.get_gate("g4").id == "G4"
