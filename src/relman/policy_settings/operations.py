"""The J-003 operations data: environments, deployment windows, communication, emergencies and
monitoring (§6, §11, §12.4, §13, §14.2), as plain data shaped like the relman.toml tables.

Re-exported by `relman.policy_settings.defaults`; see there.
"""

from __future__ import annotations

from typing import Any

Table = dict[str, Any]

# §6.1 / §6.3 promotion path
PROMOTION_ORDER = ("dev", "qa", "staging", "prod")


def _environment(
    spec: str,
    access: list[str],
    stability: str,
    promotion: str,
    migration: str,
    *,
    sla: float | None = None,
) -> Table:
    """``spec``/``promotion``/``migration`` are " | "-separated columns of §6.2/§6.3/§6.4."""
    name, purpose, data, updates, stability_note, monitoring = spec.split(" | ")
    source, criteria, trigger = promotion.split(" | ")
    approach, rollback = migration.split(" | ")
    return {
        "name": name, "purpose": purpose, "data": data, "access_roles": access,
        "updates": updates, "stability": stability, "stability_note": stability_note,
        "sla_percent": sla, "monitoring": monitoring,
        "promotion": {"source": source, "criteria": criteria.split(", "),
                      "automated": trigger != "manual", "trigger": trigger},
        "migration": {"approach": approach, "rollback": rollback},
    }  # fmt: skip


# §6.2 Environment Specifications, §6.3 Promotion Criteria, §6.4 Database Migration Strategy
ENVIRONMENTS: dict[str, Table] = {
    "dev": _environment(
        "Development | Individual developer workstations | Synthetic/sample data | "
        "Continuous (developer-driven) | Low - experimental | None",
        ["developer"], "low",
        "local | Code compiles, Unit tests pass | push",
        "Automatic on deployment | Database refresh from template"),
    "qa": _environment(
        "QA/Testing | Integration testing, QA validation | Anonymized production subset | "
        "Daily (automated from develop) | Medium | Basic health checks",
        ["qa_team", "developer", "business_analyst"], "medium",
        "dev | PR merged to develop, CI passes | merge",
        "Automatic on deployment | Restore from backup"),
    "staging": _environment(
        "Staging | Pre-production validation | Production mirror (anonymized) | "
        "Per release candidate | High - production-like | Full monitoring stack",
        ["release_team"], "high",
        "qa | Release branch created, QA sign-off | manual",
        "Manual review before execution | Point-in-time restore"),
    "prod": _environment(
        "Production | Live business operations | Real customer and business data | "
        "Scheduled releases only | Maximum - 99.9% SLA | Full observability stack",
        ["sre_team", "release_manager"], "maximum",
        "staging | All gates passed, Approved | manual",
        "Blue-green or maintenance window | Pre-migration backup + rollback script", sla=99.9),
}  # fmt: skip

# §2.5 "Deployment Window" row -> which windows of §12.4 each class may use
WINDOW_CLASSES: dict[str, list[str]] = {
    "scheduled_maintenance": ["primary"],
    "standard": ["primary", "secondary"],
    "anytime": ["primary", "secondary", "emergency"],
}


def _windows(primary: str, secondary: str, outside: str, emergency: str) -> Table:
    return {"primary": [primary], "secondary": [secondary] if secondary else [],
            "outside_windows": outside, "emergency": emergency}  # fmt: skip


# §12.4 Deployment Windows (Asia/Dhaka, BDT)
WINDOWS: dict[str, Table] = {
    "prod": _windows("Sat 02:00-06:00", "Wed 02:00-04:00", "none", "with_approval"),
    "staging": _windows("Daily 18:00-20:00", "", "on_demand", "anytime"),
    "qa": _windows("Daily 12:00-13:00", "", "automated", "none"),
}

# §13.1 Severity Assessment
SEVERITIES: dict[str, Table] = {
    "P1": {"name": "Critical", "criteria": "System down, no workaround",
           "examples": ["Payment processing failure", "Login broken"]},
    "P2": {"name": "High", "criteria": "Major feature broken, workaround exists",
           "examples": ["Order creation fails", "Reports not generating"]},
    "P3": {"name": "Medium", "criteria": "Minor feature issues",
           "examples": ["UI glitches", "Non-critical errors"]},
    "P4": {"name": "Low", "criteria": "Cosmetic issues",
           "examples": ["Typos", "Minor formatting"]},
}  # fmt: skip


def _seat(title: str, responsibility: str, contact: str, *channels: str) -> Table:
    seat: Table = {"title": title, "responsibility": responsibility, "contact": contact}
    return {**seat, "channels": list(channels)} if channels else seat


# §13.1 Emergency CAB (Change Advisory Board): role -> seat. §11.1 has no Incident Commander
# row: the seat hears the emergency messages by email and phone (the other seats: their row).
CAB: dict[str, Table] = {
    "incident_commander": _seat(
        "Incident Commander", "Overall coordination", "On-call Manager", "email", "phone"
    ),
    "tech_lead": _seat("Technical Lead", "Technical decisions", "Tech Lead"),
    "devops_lead": _seat("DevOps Lead", "Deployment execution", "DevOps Lead"),
    "qa_lead": _seat("QA Lead", "Testing approval", "QA Lead"),
    "product_owner": _seat("Product Owner", "Business approval", "Product Owner"),
}


def _threshold(metric: str, value: float, unit: str, severity: str) -> Table:
    return {"metric": metric, "operator": ">", "value": value, "unit": unit, "severity": severity}


# §14.2 Key Metrics to Monitor (alert when the metric is above the value)
THRESHOLDS: dict[str, Table] = {
    "error_rate": _threshold("Error Rate", 1.0, "%", "critical"),
    "response_time_p95": _threshold("Response Time (P95)", 3.0, "s", "high"),
    "response_time_p99": _threshold("Response Time (P99)", 5.0, "s", "critical"),
    "cpu_utilization": _threshold("CPU Utilization", 80.0, "%", "high"),
    "memory_utilization": _threshold("Memory Utilization", 85.0, "%", "high"),
    "database_connections": _threshold("Database Connections", 80.0, "%", "high"),
    "disk_usage": _threshold("Disk Usage", 85.0, "%", "warning"),
    "failed_logins": _threshold("Failed Login Attempts", 10.0, "/min", "warning"),
}


def _stakeholder(name: str, columns: str, *channels: str) -> Table:
    """``columns``: release notification | deployment window | post-release | emergency."""
    notification, window, post, emergency = columns.split(" | ")
    return {"name": name, "release_notification": notification, "deployment_window": window,
            "post_release": post, "emergency": emergency, "channels": list(channels)}  # fmt: skip


# §11.1 Stakeholder Communication Matrix (key = role), channels from §11.3
STAKEHOLDERS: dict[str, Table] = {
    "cto": _stakeholder("CTO",
        "Email summary | Yes - approval | Yes - summary | Immediate call", "email", "phone"),
    "project_manager": _stakeholder("Project Manager",
        "Detailed briefing | Yes - coordination | Yes - status | Immediate call",
        "email", "phone"),
    "devops_lead": _stakeholder("DevOps Lead",
        "Technical details | Yes - execution | Yes - verification | Immediate call",
        "email", "slack", "phone"),
    "tech_lead": _stakeholder("Tech Lead",
        "Feature list | Yes - support | Yes - monitoring | Slack + Call",
        "email", "slack", "phone"),
    "qa_lead": _stakeholder("QA Lead",
        "Test results | Yes - validation | Yes - sign-off | Slack + Call",
        "email", "slack", "phone"),
    "product_owner": _stakeholder("Product Owner",
        "Feature summary | Notification only | Yes - feedback | Email + Call", "email", "phone"),
    "business_users": _stakeholder("Business Users",
        "Feature highlights | Notification only | Yes - survey | Email", "email"),
    "support_team": _stakeholder("Support Team",
        "Change details | Yes - preparation | Yes - issues | Slack", "email", "slack"),
    "end_customers": _stakeholder("End Customers",
        "Major features only | Maintenance notice | In-app notification | Status page",
        "email", "in_app", "status_page"),
}  # fmt: skip


def _channel(name: str, purpose: str, response_time: str) -> Table:
    return {"name": name, "purpose": purpose, "response_time": response_time}


# §11.3 Communication Channels
CHANNELS: dict[str, Table] = {
    "slack": _channel("Slack", "Real-time coordination", "Immediate"),
    "email": _channel("Email", "Formal notifications", "4 hours"),
    "phone": _channel("Phone/SMS", "Emergency escalation", "Immediate"),
    "servicenow": _channel("ServiceNow", "Ticket updates", "Per SLA"),
    "status_page": _channel("Status Page", "Customer-facing status", "Real-time"),
    "in_app": _channel("In-App", "End-user notifications", "Per schedule"),
}

# §2.5 "Communication" row: audience -> stakeholders (§11.1) it reaches
AUDIENCES: dict[str, list[str]] = {
    "all_stakeholders": list(STAKEHOLDERS),
    "team_leads": ["project_manager", "tech_lead", "qa_lead", "devops_lead"],
    "technical_teams": ["devops_lead", "tech_lead", "qa_lead", "support_team"],
    "incident_response": [
        "cto", "project_manager", "devops_lead", "tech_lead", "qa_lead", "product_owner",
        "support_team",
    ],
}  # fmt: skip
