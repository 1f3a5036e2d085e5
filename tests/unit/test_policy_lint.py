"""`relman policy lint` rules: each contradiction is found, explained and levelled."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from relman.domain.lifecycle import FORWARD
from relman.domain.policy import Person, ReleasePolicy
from relman.domain.policy_lint import (
    Finding,
    PolicyFacts,
    WindowSlot,
    check_window_overlaps,
    compute_cycle_days,
    lint_policy,
)
from relman.policy_resolve import build_policy_facts
from relman.policy_settings.values import parse_window
from relman.settings import Settings, validate_settings

J003 = ReleasePolicy.default()
TRANSITIONS = tuple((a.value, b.value) for a, b in itertools.pairwise(FORWARD))
EVERYONE = {
    "farhana": Person("farhana", "Farhana", "f@x.bd", ("project_manager", "release_manager")),
    "karim": Person("karim", "Karim", "k@x.bd", ("cto",)),
    "tanvir": Person("tanvir", "Tanvir", "t@x.bd", ("tech_lead",)),
    "nusrat": Person("nusrat", "Nusrat", "n@x.bd", ("devops_lead", "sre_lead")),
    "rafi": Person("rafi", "Rafi", "r@x.bd", ("qa_lead", "product_owner")),
}


def _lint(policy: ReleasePolicy = J003, **facts: Any) -> list[Finding]:
    return lint_policy(PolicyFacts(policy=policy, transitions=TRANSITIONS, **facts))


def _rules(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.level, f.rule, f.where) for f in findings]


def _with_type(**changes: Any) -> ReleasePolicy:
    major = replace(J003.release_types["major"], **changes)
    return replace(J003, release_types={**J003.release_types, "major": major})


def test_the_j003_defaults_have_no_errors_or_warnings_only_two_notes() -> None:
    findings = lint_policy(build_policy_facts(Settings()))
    assert _rules(findings) == [
        ("info", "no-people", "people"),
        ("info", "hotfix-semver-order", "release_types.hotfix.version_change"),
    ]
    assert all(f.explanation for f in findings)


def test_with_every_role_held_the_defaults_are_clean_but_for_the_hotfix_note() -> None:
    findings = _lint(replace(J003, people=EVERYONE))
    assert _rules(findings) == [
        ("info", "hotfix-semver-order", "release_types.hotfix.version_change")
    ]


# --------------------------------------------------------------------------------------
# Lead time against frequency


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Weekly", 7.0),
        ("weekly or as needed", 7.0),
        ("Bi-weekly to monthly (phase-dependent)", 14.0),
        ("Fortnightly", 14.0),
        ("monthly", 30.0),
        ("daily", 1.0),
        ("4 per year", 91.25),
        ("Once per phase (4 in 2026)", 91.25),
        ("every 3 weeks", 21.0),
        ("2 times a month", 15.0),
        ("As needed", None),
        ("once per phase", None),
        ("whenever", None),
    ],
)
def test_compute_cycle_days(text: str, days: float | None) -> None:
    assert compute_cycle_days(text) == days


def test_a_minimum_lead_time_longer_than_the_frequency_is_an_error() -> None:
    findings = _lint(_with_type(frequency="Weekly"))  # 4w lead time, a release every 7 days
    assert ("error", "lead-time-exceeds-frequency", "release_types.major.lead_time_min") in _rules(
        findings
    )
    error = next(f for f in findings if f.level == "error")
    assert "4 week(s) is longer than its release cycle ('Weekly' = every 7 days)" in error.message


def test_a_maximum_lead_time_longer_than_the_frequency_is_a_warning() -> None:
    findings = _lint(_with_type(frequency="monthly"))  # 4w fits in 30 days, 6w does not
    assert (
        "warning",
        "lead-time-exceeds-frequency",
        "release_types.major.lead_time_max",
    ) in _rules(findings)
    assert not [f for f in findings if f.level == "error"]


def test_an_unreadable_frequency_is_reported_as_information() -> None:
    findings = _lint(_with_type(frequency="whenever the CTO says"))
    assert ("info", "frequency-not-understood", "release_types.major.frequency") in _rules(findings)


def test_testing_longer_than_the_lead_time_is_a_warning() -> None:
    findings = _lint(_with_type(testing_period_min=timedelta(weeks=7)))
    assert ("warning", "testing-exceeds-lead-time", "release_types.major.testing_period_min") in (
        _rules(findings)
    )


# --------------------------------------------------------------------------------------
# People and roles


def test_without_people_one_note_says_sign_offs_cannot_happen() -> None:
    findings = [f for f in _lint() if f.rule.startswith(("no-people", "approver"))]
    assert len(findings) == 1
    assert findings[0].message == (
        "no people are configured: sign-offs cannot happen until people are added"
    )


def test_a_required_role_nobody_holds_is_an_error() -> None:
    people = {k: v for k, v in EVERYONE.items() if k != "karim"}  # nobody is CTO
    findings = _lint(replace(J003, people=people))
    unheld = [f for f in findings if f.rule == "approver-role-unheld"]
    assert [(f.level, f.where) for f in unheld] == [("error", "release_types.major.approver_roles")]
    assert "no person holds role 'cto'" in unheld[0].message
    # farhana is release manager: every gate can still be waived
    assert "waiver-role-unheld" not in [f.rule for f in findings]


def test_a_gate_nobody_can_waive_is_a_warning() -> None:
    people = {k: replace(p, roles=tuple(r for r in p.roles if r != "release_manager"))
              for k, p in EVERYONE.items() if k != "karim"}  # fmt: skip
    findings = _lint(replace(J003, people=people))
    waivers = [f for f in findings if f.rule == "waiver-role-unheld"]
    assert {f.where for f in waivers} == {f"gates.G{n}.waiver_roles" for n in range(1, 8)}
    assert waivers[0].level == "warning"
    assert waivers[0].message == (
        "nobody can waive criteria of G1: no person holds 'cto' or 'release_manager'"
    )


def test_two_approver_roles_held_by_one_person_only_is_an_error() -> None:
    people = {**EVERYONE, "karim": Person("karim", "Karim", "k@x.bd", ("cto", "project_manager"))}
    people.pop("farhana")  # now karim alone holds both CTO and PM
    people["sadia"] = Person("sadia", "Sadia", "s@x.bd", ("release_manager",))
    findings = _lint(replace(J003, people=people))
    assert ("error", "approvers-not-distinct", "release_types.major.approver_roles") in _rules(
        findings
    )
    # minor needs PM + tech lead: karim + tanvir are two people, so that is fine
    assert ("error", "approvers-not-distinct", "release_types.minor.approver_roles") not in (
        _rules(findings)
    )


# --------------------------------------------------------------------------------------
# Gates


def test_a_gate_on_a_step_no_release_takes_is_an_error() -> None:
    gates = tuple(replace(g, to_phase="VERIFY") if g.id == "G3" else g for g in J003.gates)
    findings = _lint(replace(J003, gates=gates))
    assert ("error", "gate-unreachable", "gates.G3") in _rules(findings)
    error = next(f for f in findings if f.rule == "gate-unreachable")
    assert "PLAN → BUILD → TEST → DEPLOY → VERIFY → CLOSED" in error.explanation


def test_a_step_without_a_gate_is_a_warning() -> None:
    findings = _lint(replace(J003, gates=tuple(g for g in J003.gates if g.id != "G2")))
    assert ("warning", "transition-without-gate", "gates") in _rules(findings)
    assert "BUILD → TEST" in next(f.message for f in findings if f.level == "warning")


# --------------------------------------------------------------------------------------
# Names used but defined nowhere


def _settings_lint(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return _rules(lint_policy(build_policy_facts(validate_settings(data))))


def test_a_compatibility_row_naming_an_unknown_component_is_an_error() -> None:
    rows = [{"status": "Phase 5", "versions": {"core": "5.0.x", "crm": "1.0.x"}}]
    assert _settings_lint({"compatibility": rows})[0] == (
        "error",
        "unknown-component",
        "compatibility[0].versions.crm",
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"roles": {"cto": "CTO"}},
         ("error", "unknown-role", "release_types.major.approver_roles")),
        (
            {"gates": {"G1": {"name": "P", "from_phase": "PLAN", "to_phase": "BUILD",
                              "signoff_roles": ["project_manager"],
                              "criteria": {"x": {"description": "d", "kind": "checklist",
                                                 "items": ["7.1.1-99"]}}}}},
            ("error", "unknown-checklist-item", "gates.G1.criteria.x.items"),
        ),
        (
            {"windows": {"classes": {"standard": ["primary"]}}},
            ("error", "unknown-window-class", "release_types.major.window_class"),
        ),
        (
            {"promotion": {"order": ["dev", "qa", "stage", "prod"]}},
            ("error", "unknown-environment", "promotion.order"),
        ),
    ],
)  # fmt: skip
def test_a_name_defined_nowhere_is_an_error(
    data: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    assert expected in _settings_lint(data)


# --------------------------------------------------------------------------------------
# Windows


def _slot(env: str, text: str, where: str = "w") -> WindowSlot:
    return WindowSlot(env, where, text, parse_window(text).intervals())


@pytest.mark.parametrize(
    ("windows", "overlaps"),
    [
        ([_slot("prod", "Sat 02:00-06:00"), _slot("prod", "Sat 05:00-07:00")], 1),
        ([_slot("prod", "Sat 02:00-04:00"), _slot("prod", "Sat 04:00-06:00")], 0),  # adjacent
        ([_slot("prod", "Sat 02:00-06:00"), _slot("qa", "Sat 02:00-06:00")], 0),  # other env
        ([_slot("prod", "Daily 01:00-03:00"), _slot("prod", "Wed 02:00-04:00")], 1),
        ([_slot("prod", "Sat,Sat 02:00-06:00")], 1),  # overlaps itself
        ([_slot("prod", "Sun 23:00-01:00"), _slot("prod", "Mon 00:30-02:00")], 1),  # wraps
    ],
)
def test_overlapping_windows_of_one_environment_are_a_warning(
    windows: list[WindowSlot], overlaps: int
) -> None:
    findings = list(check_window_overlaps(windows))
    assert len(findings) == overlaps
    assert all(f.level == "warning" and f.rule == "window-overlap" for f in findings)


def test_a_window_that_overlaps_itself_says_so() -> None:
    finding = next(check_window_overlaps([_slot("prod", "Daily,Sat 02:00-03:00", "x[0]")]))
    assert finding.message == "deployment window 'Daily,Sat 02:00-03:00' overlaps itself (prod)"
    assert finding.where == "x[0]"


def test_overlaps_are_found_from_the_policy_file() -> None:
    data = {"windows": {"environments": {"prod": {"primary": ["Sat 02:00-06:00"],
                                                  "secondary": ["Sat 05:00-08:00"]}}}}  # fmt: skip
    assert ("warning", "window-overlap", "windows.environments.prod.primary[0]") in (
        _settings_lint(data)
    )


# --------------------------------------------------------------------------------------
# Versions


def test_the_hotfix_semver_order_is_explained_as_information() -> None:
    finding = next(f for f in _lint() if f.rule == "hotfix-semver-order")
    assert finding.level == "info"
    assert finding.message.endswith("1.2.0 < 1.2.1-hotfix.1 < 1.2.1-hotfix.2 < 1.2.1")


def test_no_hotfix_release_type_no_hotfix_note() -> None:
    types = {k: v for k, v in J003.release_types.items() if k != "hotfix"}
    assert "hotfix-semver-order" not in [f.rule for f in _lint(replace(J003, release_types=types))]
