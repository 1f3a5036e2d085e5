"""The J-003 Release Management Plan as the built-in default policy.

Section numbers refer to `J-003-release-management-plan.md`. Checklist item ids are
``<checklist id>-<row #>`` (``7.1.2-4`` = §7.1.2 row 4). Proofs: see `relman.domain.policy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from relman.domain.policy import (
    ChecklistItemSpec,
    ChecklistSpec,
    CriterionSpec,
    GatePolicy,
    ReleasePolicy,
    ReleaseTypePolicy,
)

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_WEEK = timedelta(weeks=1)

STANDARD = ("major", "minor", "patch")
ALL_TYPES = ("major", "minor", "patch", "hotfix")
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
            ),
            _c("G7.no-critical", "No critical issues", "checklist", items=("7.3-3",)),
        ),
        signoff_roles=("sre_lead",),
        require_release_type_approvers=False,
        waiver_roles=WAIVER_ROLES,
    )
    return (g1, g2, g3, g4, g5, g6, g7)


Row = tuple[str, str | None]


def _checklist(
    cid: str, title: str, section: str, rows: Sequence[Row], applies_to: tuple[str, ...]
) -> ChecklistSpec:
    items = tuple(
        ChecklistItemSpec(id=f"{cid}-{n}", text=text, proof=proof)
        for n, (text, proof) in enumerate(rows, start=1)
    )
    return ChecklistSpec(id=cid, title=title, section=section, items=items, applies_to=applies_to)


_SMOKE_PROD = "event:smoke_passed:production"
_DEPLOYED_PROD = "event:deployed:production"
_BACKUP = "event:backup_verified"
_NOTES = "event:notes_published"


def _pre_release() -> list[ChecklistSpec]:
    """§7.1.1–7.1.4."""
    return [
        _checklist("7.1.1", "Planning Phase", "7.1.1", [
            ("Release scope defined and documented", "scope"),
            ("All requirements traced to code changes", None),
            ("Resource assignments confirmed", None),
            ("Risk assessment completed", None),
            ("Release schedule communicated", "event:notified:release_scheduled"),
            ("Deployment window scheduled and announced", "event:window_scheduled"),
        ], STANDARD),
        _checklist("7.1.2", "Development Phase", "7.1.2", [
            ("All features developed and unit tested", "evidence:junit"),
            ("Code reviews completed (minimum 2 approvers)", None),
            ("Static analysis checks passing", "evidence:sarif"),
            ("Security scan completed (no critical/high findings)", "evidence:sarif"),
            ("Documentation updated (technical and user)", None),
            ("Database migration scripts prepared and tested", None),
        ], STANDARD),
        _checklist("7.1.3", "Testing Phase", "7.1.3", [
            ("All test cases executed", "evidence:junit"),
            ("Test coverage > 80%", "evidence:coverage"),
            ("Critical and high defects resolved", None),
            ("Regression testing completed", None),
            ("Performance testing meets SLA", None),
            ("Security penetration testing completed", None),
            ("UAT sign-off obtained from business", "gate:G4"),
        ], STANDARD),
        _checklist("7.1.4", "Pre-Deployment", "7.1.4", [
            ("Production backup completed and verified", _BACKUP),
            ("Database migration scripts reviewed", None),
            ("Rollback plan documented and tested", None),
            ("Deployment runbook updated", None),
            ("Monitoring and alerting configured", None),
            ("Communication plan executed", "event:notified:pre_release"),
            ("Go/No-Go decision made", "gate:G6"),
        ], STANDARD),
    ]  # fmt: skip


def _deployment() -> list[ChecklistSpec]:
    """§7.2.1–7.2.3 and §7.3."""
    return [
        _checklist("7.2.1", "Pre-Deployment (T-60 minutes)", "7.2.1", [
            ("Notify stakeholders of deployment start", "event:notified:deployment_start"),
            ("Verify backup completion", _BACKUP),
            ("Confirm deployment team availability", None),
            ("Enable maintenance page (if required)", None),
            ("Pause monitoring alerts (prevent false alarms)", None),
        ], ALL_TYPES),
        _checklist("7.2.2", "During Deployment", "7.2.2", [
            ("Deploy database migrations", "event:migrations_applied:production"),
            ("Verify migration success", "event:migrations_verified:production"),
            ("Deploy application code", _DEPLOYED_PROD),
            ("Deploy configuration changes", None),
            ("Clear caches", None),
            ("Restart services", None),
            ("Verify service startup", "event:health_ok:production"),
        ], ALL_TYPES),
        _checklist("7.2.3", "Post-Deployment (Immediate)", "7.2.3", [
            ("Execute smoke tests", _SMOKE_PROD),
            ("Verify critical business functions", None),
            ("Check error logs", None),
            ("Verify monitoring data flowing", None),
            ("Disable maintenance page", None),
            ("Notify stakeholders of completion", "event:notified:deployment_complete"),
        ], ALL_TYPES),
        _checklist("7.3", "Post-Release Checklist", "7.3", [
            ("Smoke tests passing", _SMOKE_PROD),
            ("All monitoring dashboards green", "event:monitoring_stable"),
            ("No critical errors in logs", None),
            ("Performance metrics within SLA", None),
            ("User acceptance confirmed", "gate:G4"),
            ("Release notes published", _NOTES),
            ("Documentation updated", None),
            ("Retrospective scheduled", "event:retrospective_scheduled"),
            ("Rollback plan archived", None),
        ], STANDARD),
    ]  # fmt: skip


def _emergency_and_reviews() -> list[ChecklistSpec]:
    """§9.4, §13.1, §14.3."""
    return [
        _checklist("9.4", "Rollback Checklist", "9.4", [
            ("Incident confirmed and logged", "event:incident_logged"),
            ("Stakeholders notified of rollback", "event:notified:rollback"),
            ("Previous version artifacts available", None),
            ("Database backup identified", _BACKUP),
            ("Rollback executed", "event:rolled_back"),
            ("Smoke tests passed", _SMOKE_PROD),
            ("Monitoring confirmed stable", "event:monitoring_stable"),
            ("Incident documented", None),
            ("Root cause analysis scheduled", None),
        ], ()),
        _checklist("13.1", "Hotfix Checklist", "13.1", [
            ("Incident severity confirmed as P1/P2", None),
            ("Emergency CAB convened", None),
            ("Root cause identified", None),
            ("Fix developed and reviewed", None),
            ("Minimal testing completed", "evidence:junit"),
            ("Stakeholders notified", "event:notified:hotfix"),
            ("Production backup verified", _BACKUP),
            ("Hotfix deployed", _DEPLOYED_PROD),
            ("Post-deployment validation", _SMOKE_PROD),
            ("Monitoring confirmed stable", "event:monitoring_stable"),
            ("Incident ticket updated", None),
            ("Retrospective scheduled", "event:retrospective_scheduled"),
        ], ("hotfix",)),
        _checklist("14.3-24h", "24-Hour Review", "14.3", [
            ("System stability confirmed", "event:monitoring_stable"),
            ("No critical errors in logs", None),
            ("Performance within SLA", None),
            ("User feedback positive", None),
            ("Support tickets reviewed", None),
        ], ALL_TYPES),
        _checklist("14.3-1w", "1-Week Review", "14.3", [
            ("All metrics stable", None),
            ("Feature adoption tracked", None),
            ("User feedback collected", None),
            ("Issues documented", None),
            ("Lessons learned captured", None),
        ], STANDARD),
    ]  # fmt: skip


def _appendix_a() -> list[ChecklistSpec]:
    """Appendix A: the full template (on demand: §7 already covers releases item by item)."""
    return [
        _checklist("A-pre", "Pre-Release (1 Week Before)", "Appendix A", [
            ("Release scope finalized", "scope"),
            ("All code merged to release branch", None),
            ("Code review completed", None),
            ("Unit tests passing (>80% coverage)", "evidence:junit+evidence:coverage"),
            ("Integration tests passing", None),
            ("Security scan completed", "evidence:sarif"),
            ("Performance testing completed", None),
            ("UAT sign-off obtained", "gate:G4"),
            ("Documentation updated", None),
            ("Release notes prepared", None),
            ("Deployment runbook reviewed", None),
            ("Rollback plan tested", None),
            ("Stakeholders notified", "event:notified:pre_release"),
        ], ()),
        _checklist("A-day", "Deployment Day", "Appendix A", [
            ("Production backup completed", _BACKUP),
            ("Deployment window confirmed", "event:window_scheduled"),
            ("Deployment team on standby", None),
            ("Pre-deployment smoke tests passed", "event:smoke_passed:staging"),
            ("Deployment executed", _DEPLOYED_PROD),
            ("Post-deployment smoke tests passed", _SMOKE_PROD),
            ("Monitoring confirmed", "event:monitoring_stable"),
            ("Stakeholders notified", "event:notified:deployment_complete"),
        ], ()),
        _checklist("A-post", "Post-Release", "Appendix A", [
            ("24-hour monitoring completed", None),
            ("No critical issues reported", None),
            ("Release notes published", _NOTES),
            ("Retrospective scheduled", "event:retrospective_scheduled"),
        ], ()),
    ]  # fmt: skip


def build_default_policy() -> ReleasePolicy:
    """J-003 as a `ReleasePolicy` (no people: they come from the policy file)."""
    checklists = [*_pre_release(), *_deployment(), *_emergency_and_reviews(), *_appendix_a()]
    return ReleasePolicy(
        release_types=_release_types(),
        gates=_gates(),
        people={},
        checklists={c.id: c for c in checklists},
    )
