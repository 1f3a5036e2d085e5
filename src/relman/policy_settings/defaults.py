"""The J-003 plan as plain data: the built-in defaults of the policy sections of relman.toml.

Plain dicts and lists shaped exactly like the TOML tables, validated into models on use (so the
defaults pass the same checks as a file). Section numbers refer to J-003.

Release types, gates and checklists come from the domain's J-003 policy
(`relman.domain.j003`, `ReleasePolicy.default()`), so the plan's rules live in one place and
``resolve_release_policy(Settings()) == ReleasePolicy.default()``. This module adds only what
the file shows and the domain does not need (descriptions, deliverables). Environments,
windows, communication, emergencies and monitoring are in `relman.policy_settings.operations`.
"""

from __future__ import annotations

from typing import Any

from relman.domain.j003 import build_default_policy
from relman.domain.policy import ChecklistSpec, GatePolicy, ReleaseTypePolicy
from relman.policy_settings.components import COMPONENTS
from relman.policy_settings.operations import (
    AUDIENCES,
    CAB,
    CHANNELS,
    ENVIRONMENTS,
    PROMOTION_ORDER,
    SEVERITIES,
    STAKEHOLDERS,
    THRESHOLDS,
    WINDOW_CLASSES,
    WINDOWS,
)
from relman.policy_settings.values import format_duration

__all__ = [
    "AUDIENCES",
    "CAB",
    "CHANNELS",
    "CHECKLISTS",
    "COMPATIBILITY",
    "COMPONENTS",
    "ENVIRONMENTS",
    "GATES",
    "OBJECTIVES",
    "PHASES",
    "PROMOTION_ORDER",
    "RELEASE_TYPES",
    "ROLES",
    "SEVERITIES",
    "STAKEHOLDERS",
    "THRESHOLDS",
    "WINDOWS",
    "WINDOW_CLASSES",
]

Table = dict[str, Any]

# §1.2 Release Management Objectives


def _objective(objective: str, description: str, metric: str, target: str) -> Table:
    """``target``: "OPERATOR NUMBER UNIT", e.g. "< 0.5 %"."""
    operator, number, unit = target.split(" ")
    return {
        "objective": objective, "description": description, "metric": metric,
        "operator": operator, "target": float(number), "unit": unit,
    }  # fmt: skip


OBJECTIVES: dict[str, Table] = {
    "defect_escape_rate": _objective(
        "Quality Assurance", "Ensure all releases meet quality standards before deployment",
        "Defect escape rate", "< 0.5 %"),
    "on_time_release_rate": _objective(
        "Predictability", "Deliver releases on schedule with minimal disruption",
        "On-time release rate", ">= 95 %"),
    "change_tracking": _objective(
        "Traceability", "Maintain complete audit trail of all changes",
        "Changes tracked", ">= 100 %"),
    "downtime_per_release": _objective(
        "Minimal Downtime", "Reduce system unavailability during deployments",
        "Downtime per release", "< 30 min"),
    "rollback_time": _objective(
        "Rollback Capability", "Enable quick recovery from failed deployments",
        "Rollback time", "< 15 min"),
    "notification_compliance": _objective(
        "Stakeholder Communication", "Keep all stakeholders informed of release status",
        "Notification compliance", ">= 100 %"),
}  # fmt: skip

# Roles named anywhere in J-003 (§2, §3.2–3.3, §6.2, §11.1, §13.1, Appendix E): id -> title.
ROLES: dict[str, str] = {
    "cto": "CTO",
    "project_manager": "Project Manager",
    "tech_lead": "Tech Lead",
    "devops_lead": "DevOps Lead",
    "qa_lead": "QA Lead",
    "product_owner": "Product Owner",
    "release_manager": "Release Manager",
    "sre_lead": "SRE Lead",
    "security_lead": "Security Lead",
    "incident_commander": "Incident Commander",
    "developer": "Developer",
    "qa_team": "QA Team",
    "business_analyst": "Business Analyst",
    "release_team": "Release Team",
    "sre_team": "SRE Team",
    "support_team": "Support Team",
    "business_users": "Business Users",
    "end_customers": "End Customers",
}

# §2.1–2.4: the plan's wording for each release type (the rules come from the domain)
_RELEASE_TYPE_TEXT = {
    "major": ("Significant new functionality, architectural changes, or major feature "
              "additions.", "2 weeks minimum"),
    "minor": ("Enhancements, new features, and non-critical improvements.", "3-5 days"),
    "patch": ("Security updates, bug fixes, and maintenance releases.", "1-2 days"),
    "hotfix": ("Emergency releases to resolve critical production defects affecting business "
               "operations.", "Minimal - smoke tests only"),
}  # fmt: skip


def _release_type(t: ReleaseTypePolicy) -> Table:
    description, testing = _RELEASE_TYPE_TEXT.get(t.name, ("", ""))
    return {
        "description": description,
        "version_change": t.version_change,
        "frequency": t.frequency,
        "lead_time_min": format_duration(t.lead_time_min, t.lead_time_max),
        "lead_time_max": format_duration(t.lead_time_max, t.lead_time_min),
        "lead_time_enforcement": t.lead_time_enforcement,
        "approver_roles": list(t.approver_roles),
        "post_hoc_approval_hours": t.post_hoc_approval_hours,
        "testing_period_min": format_duration(t.testing_period_min, t.testing_period_max),
        "testing_period_max": format_duration(t.testing_period_max, t.testing_period_min),
        "testing": testing,
        "window_class": t.window_class,
        "downtime": t.downtime,
        "rollback_preparation": t.rollback_preparation,
        "documentation": t.documentation,
        "communication_audience": t.communication_audience,
    }


def _activities(*rows: str) -> list[Table]:
    """Rows of "activity | description | owner | deliverable"."""
    keys = ("activity", "description", "owner", "deliverable")
    return [dict(zip(keys, row.split(" | "), strict=True)) for row in rows]


# §3.1–3.2 Release Lifecycle Phases
PHASES: dict[str, Table] = {
    "PLAN": {"name": "Planning", "duration": "Week 1", "activities": _activities(
        "Requirements Review | Analyze and approve requirements | Product Owner | Approved stories",
        "Release Scope | Define what is included/excluded | Project Manager | Release scope doc",
        "Resource Assignment | Allocate team members | Tech Lead | Resource plan",
        "Risk Assessment | Identify and mitigate risks | DevOps Lead | Risk register",
        "Schedule Definition | Set dates and milestones | Project Manager | Release calendar",
    )},
    "BUILD": {"name": "Build", "duration": "Weeks 2-3", "activities": _activities(
        "Development | Code implementation | Developers | Feature branches",
        "Code Review | Peer review all changes | Tech Lead | Approved PRs",
        "Unit Testing | Developer testing | Developers | Test reports",
        "Integration | Merge to develop branch | DevOps Lead | Integrated build",
        "Build Creation | Create deployable artifacts | CI/CD Pipeline | Build packages",
    )},
    "TEST": {"name": "Testing", "duration": "Week 4", "activities": _activities(
        "QA Testing | Functional testing | QA Team | Test results",
        "Regression Testing | Existing feature validation | QA Team | Regression report",
        "Security Scan | Vulnerability assessment | Security Lead | Scan report",
        "Performance Test | Load and stress testing | QA Team | Perf report",
        "UAT | User acceptance testing | Business Users | UAT sign-off",
    )},
    "DEPLOY": {"name": "Deployment", "duration": "Week 5", "activities": _activities(
        "Staging Deploy | Deploy to staging environment | DevOps Lead | Staging release",
        "Smoke Testing | Basic functionality check | QA Team | Smoke test results",
        "Production Deploy | Deploy to production | DevOps Lead | Production release",
        "Validation | Post-deployment checks | QA Team | Validation report",
    )},
    "VERIFY": {"name": "Verification", "duration": "Week 5+", "activities": _activities(
        "Monitoring | System health monitoring | SRE Team | Monitoring dashboard",
        "User Feedback | Collect user feedback | Support Team | Feedback summary",
        "Issue Resolution | Fix any post-release issues | Development Team | Patches if needed",
        "Retrospective | Lessons learned | Project Manager | Retro document",
    )},
}  # fmt: skip

# §3.3 "Sign-off Required" column
_DELIVERABLES = {
    "G1": "Release plan", "G2": "Build artifact", "G3": "Test sign-off", "G4": "UAT approval",
    "G5": "Staging approval", "G6": "Go/No-Go decision", "G7": "Release closure",
}  # fmt: skip


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple | list) else value


def _gate(g: GatePolicy) -> Table:
    return {
        "name": g.name,
        "from_phase": g.from_phase,
        "to_phase": g.to_phase,
        "deliverable": _DELIVERABLES.get(g.id, ""),
        "signoff_roles": list(g.signoff_roles),
        "require_release_type_approvers": g.require_release_type_approvers,
        "waiver_roles": list(g.waiver_roles),
        "criteria": {
            c.id.removeprefix(f"{g.id}."): {
                "description": c.description,
                "kind": c.kind,
                **{key: _plain(value) for key, value in c.params.items()},
            }
            for c in g.criteria
        },
    }


def _checklist(c: ChecklistSpec) -> Table:
    items: list[Table] = []
    for n, item in enumerate(c.items, start=1):
        row: Table = {"text": item.text}
        if item.proof is not None:
            row["proof"] = item.proof
        if item.id != f"{c.id}-{n}":
            row["id"] = item.id
        items.append(row)
    return {
        "title": c.title,
        "section": c.section,
        "applies_to": list(c.applies_to),
        "items": items,
    }


_J003 = build_default_policy()
# §2.1–2.5 Release Types, §3.3 Release Gates, §7/§9.4/§13.1/§14.3/Appendix A checklists
RELEASE_TYPES: dict[str, Table] = {n: _release_type(t) for n, t in _J003.release_types.items()}
GATES: dict[str, Table] = {g.id: _gate(g) for g in _J003.gates}
CHECKLISTS: dict[str, Table] = {c.id: _checklist(c) for c in _J003.checklists.values()}


def _row(status: str, core: str, farm: str, b2b: str, mobile: str) -> Table:
    return {
        "status": status,
        "versions": {"core": core, "farm": farm, "b2b": b2b, "mobile": mobile},
    }


# §4.4 Version Compatibility Matrix
COMPATIBILITY: list[Table] = [
    _row("Phase 1", "1.0.x", "1.0.x", "1.0.x", "1.0.x"),
    _row("Phase 1 Enhancement", "1.1.x", "1.1.x", "1.1.x", "1.1.x"),
    _row("Phase 2", "2.0.x", "1.2.x", "2.0.x", "2.0.x"),
    _row("Phase 3", "3.0.x", "2.0.x", "2.1.x", "2.1.x"),
    _row("Phase 4", "4.0.x", "2.1.x", "3.0.x", "3.0.x"),
]
