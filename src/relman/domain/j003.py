"""The J-003 Release Management Plan as the built-in default policy.

Section numbers refer to `J-003-release-management-plan.md`. Checklist item ids are
``<checklist id>-<row #>`` (``7.1.2-4`` = §7.1.2 row 4). Proofs: see `relman.domain.policy`.
"""

from __future__ import annotations

from datetime import timedelta

from relman.domain.j003_checklists import STANDARD, list_default_checklists
from relman.domain.policy import (
    CriterionSpec,
    GatePolicy,
    ReleasePolicy,
    ReleaseTypePolicy,
)

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_WEEK = timedelta(weeks=1)

WAIVER_ROLES = ("cto", "release_manager")


def _release_types() -> dict[str, ReleaseTypePolicy]:
    """§2.1–2.5."""
    major = ReleaseTypePolicy(
        name="major",
        version_change="major",
        frequency="Once per phase (4 in 2026)",
        lead_time_min=4 * _WEEK,
        lead_time_max=6 * _WEEK,
        approver_roles=("cto", "project_manager"),
        testing_period_min=2 * _WEEK,
        testing_period_max=2 * _WEEK,
        window_class="scheduled_maintenance",
        downtime="planned",
        rollback_preparation="prepared",
        documentation="full_release_notes",
        communication_audience="all_stakeholders",
        post_hoc_approval_hours=None,
        lead_time_enforcement="refuse",
    )
    minor = ReleaseTypePolicy(
        name="minor",
        version_change="minor",
        frequency="Bi-weekly to monthly (phase-dependent)",
        lead_time_min=1 * _WEEK,
        lead_time_max=2 * _WEEK,
        approver_roles=("project_manager", "tech_lead"),
        testing_period_min=3 * _DAY,
        testing_period_max=5 * _DAY,
        window_class="standard",
        downtime="minimal",
        rollback_preparation="prepared",
        documentation="feature_list",
        communication_audience="team_leads",
        post_hoc_approval_hours=None,
        lead_time_enforcement="refuse",
    )
    patch = ReleaseTypePolicy(
        name="patch",
        version_change="patch",
        frequency="Weekly or as needed",
        lead_time_min=3 * _DAY,
        lead_time_max=5 * _DAY,
        approver_roles=("devops_lead",),
        testing_period_min=1 * _DAY,
        testing_period_max=2 * _DAY,
        window_class="standard",
        downtime="minimal",
        rollback_preparation="on_demand",
        documentation="changelog",
        communication_audience="technical_teams",
        post_hoc_approval_hours=None,
        lead_time_enforcement="refuse",
    )
    hotfix = ReleaseTypePolicy(
        name="hotfix",
        version_change="hotfix",
        frequency="As needed",
        lead_time_min=2 * _HOUR,
        lead_time_max=24 * _HOUR,
        approver_roles=("devops_lead", "project_manager"),
        testing_period_min=timedelta(0),
        testing_period_max=timedelta(0),  # smoke tests only
        window_class="anytime",
        downtime="minimal",
        rollback_preparation="immediate_if_failed",
        documentation="incident_report",
        communication_audience="incident_response",
        post_hoc_approval_hours=48,
        lead_time_enforcement="warn",
    )
    return {t.name: t for t in (major, minor, patch, hotfix)}


def _c(cid: str, text: str, kind: str, **params: object) -> CriterionSpec:
    return CriterionSpec(id=cid, description=text, kind=kind, params=params)


def _gates() -> tuple[GatePolicy, ...]:
    """§3.3, each gate on the phase transition it guards."""
    std = STANDARD
    hot = ("hotfix",)
    g1 = GatePolicy(
        id="G1",
        name="Planning Complete",
        from_phase="PLAN",
        to_phase="BUILD",
        criteria=(
            _c("G1.scope", "Scope defined", "scope"),
            _c(
                "G1.resources",
                "Resources allocated",
                "checklist",
                items=("7.1.1-3",),
                release_types=std,
            ),
            _c("G1.risks", "Risks assessed", "checklist", items=("7.1.1-4",), release_types=std),
            _c(
                "G1.severity",
                "Incident severity confirmed as P1/P2",
                "checklist",
                items=("13.1-1",),
                release_types=hot,
            ),
            _c(
                "G1.cab",
                "Emergency CAB convened",
                "checklist",
                items=("13.1-2",),
                release_types=hot,
            ),
        ),
        signoff_roles=("project_manager",),
        require_release_type_approvers=False,
        waiver_roles=WAIVER_ROLES,
    )
    g2 = GatePolicy(
        id="G2",
        name="Development Complete",
        from_phase="BUILD",
        to_phase="TEST",
        criteria=(
            _c(
                "G2.features",
                "All features coded",
                "checklist",
                items=("7.1.2-1",),
                release_types=std,
            ),
            _c(
                "G2.fix",
                "Fix developed and reviewed",
                "checklist",
                items=("13.1-4",),
                release_types=hot,
            ),
            _c("G2.unit-tests", "Unit tests passing", "evidence", evidence="junit"),
            _c(
                "G2.prs-merged",
                "PRs merged (code reviews completed)",
                "checklist",
                items=("7.1.2-2",),
                release_types=std,
            ),
            _c("G2.build", "Build artifact (CI status success)", "evidence", evidence="ci"),
        ),
        signoff_roles=("tech_lead",),
        require_release_type_approvers=False,
        waiver_roles=WAIVER_ROLES,
    )
    g3 = GatePolicy(
        id="G3",
        name="QA Complete",
        from_phase="TEST",
        to_phase="DEPLOY",
        criteria=(
            _c("G3.tests", "All tests passing (test report)", "evidence", evidence="junit"),
            _c(
                "G3.coverage",
                "Test coverage above the minimum",
                "evidence",
                evidence="coverage",
                release_types=std,
            ),
            _c(
                "G3.security",
                "Security scan: no critical/high findings",
                "evidence",
                evidence="sarif",
                release_types=std,
            ),
            _c(
                "G3.defects", "Defects resolved", "checklist", items=("7.1.3-3",), release_types=std
            ),
            _c(
                "G3.smoke",
                "Minimal testing completed",
                "checklist",
                items=("13.1-5",),
                release_types=hot,
            ),
        ),
        signoff_roles=("qa_lead",),
        require_release_type_approvers=False,
        waiver_roles=WAIVER_ROLES,
    )
    g4 = GatePolicy(
        id="G4",
        name="UAT Complete",
        from_phase="TEST",
        to_phase="DEPLOY",
        criteria=(
            _c(
                "G4.uat",
                "Business users validate, UAT sign-off obtained",
                "signoff",
                roles=("product_owner",),
            ),
        ),
        signoff_roles=("product_owner",),
        require_release_type_approvers=False,
        waiver_roles=WAIVER_ROLES,
    )
    g5 = GatePolicy(
        id="G5",
        name="Staging Validated",
        from_phase="DEPLOY",
        to_phase="VERIFY",
        criteria=(
            _c(
                "G5.smoke",
                "Smoke tests pass",
                "event",
                event="smoke_passed:staging",
                items=("7.2.3-1",),
            ),
            _c(
                "G5.performance",
                "Performance acceptable",
                "checklist",
                items=("7.1.3-5",),
                release_types=std,
            ),
        ),
        signoff_roles=("devops_lead",),
        require_release_type_approvers=False,
        waiver_roles=WAIVER_ROLES,
    )
    g6 = GatePolicy(
        id="G6",
        name="Production Ready",
        from_phase="DEPLOY",
        to_phase="VERIFY",
        criteria=(
            _c(
                "G6.gates",
                "All gates passed",
                "event",
                event="gates_passed",
                gates=("G1", "G2", "G3", "G4", "G5"),
            ),
            _c(
                "G6.plan",
                "Deployment plan ready",
                "checklist",
                items=("7.1.4-3", "7.1.4-4"),
                release_types=std,
            ),
            _c(
                "G6.backup",
                "Production backup verified",
                "checklist",
                items=("13.1-7",),
                release_types=hot,
            ),
        ),
        signoff_roles=("release_manager",),
        require_release_type_approvers=True,
        waiver_roles=WAIVER_ROLES,
    )
    g7 = GatePolicy(
        id="G7",
        name="Post-Release Verified",
        from_phase="VERIFY",
        to_phase="CLOSED",
        criteria=(
            _c(
                "G7.stability",
                "Monitoring shows stability",
                "event",
                event="monitoring_stable",
                items=("7.3-2",),
                release_types=std,
            ),
            _c(
                "G7.monitoring",
                "Monitoring confirmed stable",
                "event",
                event="monitoring_stable",
                items=("13.1-10",),
                release_types=hot,
            ),
            _c(
                "G7.no-critical",
                "No critical issues",
                "checklist",
                items=("7.3-3",),
                release_types=std,
            ),
            _c(
                "G7.no-critical-24h",
                "No critical errors in logs (24-hour review)",
                "checklist",
                items=("14.3-24h-2",),
                release_types=hot,
            ),
        ),
        signoff_roles=("sre_lead",),
        require_release_type_approvers=False,
        waiver_roles=WAIVER_ROLES,
    )
    return (g1, g2, g3, g4, g5, g6, g7)


def build_default_policy() -> ReleasePolicy:
    """J-003 as a `ReleasePolicy` (no people: they come from the policy file)."""
    checklists = list_default_checklists()
    return ReleasePolicy(
        release_types=_release_types(),
        gates=_gates(),
        people={},
        checklists={c.id: c for c in checklists},
    )
