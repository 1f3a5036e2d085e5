"""Typed constructors of the events stakeholders hear about (J-003 §11.2, §9.3, §13).

Features that cause an event (deployments, rollbacks, incidents) build it here and queue it
with `relman.services.notifications.queue_notifications` inside their own transaction, so the
facts each message template uses are always there. Every fact whose name ends in ``_at`` is an
instant (an aware datetime); templates get it in the policy's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from relman.domain.notifications import NotificationEvent
from relman.domain.releases import Release


def _release_facts(release: Release) -> dict[str, object]:
    return {
        "release_id": release.id,
        "version": release.version,
        "title": release.title,
        "release_type": release.release_type,
        "components": list(release.components),
    }


def pre_release_notice(
    release: Release,
    *,
    deploy_at: datetime,
    notice: timedelta,
    duration: timedelta,
    downtime: str,
    highlights: Sequence[str] = (),
    environment: str = "prod",
) -> NotificationEvent:
    """The T-48h notice (§11.2): due ``notice`` before the planned deployment; its key names
    the planned time, so re-planning the release announces the new date once more."""
    due = deploy_at - notice
    return NotificationEvent(
        type="pre_release",
        subject=release.id,
        at=due,
        due_at=due,
        key=f"pre_release:{release.id}:{deploy_at.isoformat(timespec='minutes')}",
        facts={
            **_release_facts(release),
            "environment": environment,
            "deploy_at": deploy_at,
            "duration_minutes": int(duration.total_seconds() // 60),
            "downtime": downtime,
            "highlights": list(highlights),
        },
    )


def deployment_started(
    release: Release,
    *,
    environment: str,
    at: datetime,
    expected_completion_at: datetime | None = None,
    deployment_id: str = "",
) -> NotificationEvent:
    """§11.2 "Deployment Start Notification"."""
    return NotificationEvent(
        type="deployment_started",
        subject=release.id,
        at=at,
        key=f"deployment_started:{release.id}:{environment}:{deployment_id or at.isoformat()}",
        facts={
            **_release_facts(release),
            "environment": environment,
            "deployment_id": deployment_id,
            "started_at": at,
            "expected_completion_at": expected_completion_at,
        },
    )


def _verdict(value: bool | None) -> str:
    return "N/A" if value is None else ("PASS" if value else "FAIL")


def deployment_completed(
    release: Release,
    *,
    environment: str,
    at: datetime,
    succeeded: bool,
    smoke_passed: bool | None = None,
    health_passed: bool | None = None,
    deployment_id: str = "",
) -> NotificationEvent:
    """§11.2 "Deployment Completion Notification" with the validation status."""
    checks = [v for v in (smoke_passed, health_passed) if v is not None]
    validation = succeeded and all(checks)
    return NotificationEvent(
        type="deployment_completed",
        subject=release.id,
        at=at,
        key=f"deployment_completed:{release.id}:{environment}:{deployment_id or at.isoformat()}",
        facts={
            **_release_facts(release),
            "environment": environment,
            "deployment_id": deployment_id,
            "completed_at": at,
            "succeeded": succeeded,
            "validation": _verdict(validation),
            "smoke": _verdict(smoke_passed),
            "health": _verdict(health_passed),
        },
    )


def deployment_rolled_back(
    release: Release,
    *,
    environment: str,
    at: datetime,
    reason: str,
    to_version: str | None = None,
    deployment_id: str = "",
) -> NotificationEvent:
    """A rollback (§9.3 "Notify"): told like an emergency."""
    return NotificationEvent(
        type="rollback",
        subject=release.id,
        at=at,
        key=f"rollback:{release.id}:{environment}:{deployment_id or at.isoformat()}",
        facts={
            **_release_facts(release),
            "environment": environment,
            "deployment_id": deployment_id,
            "rolled_back_at": at,
            "reason": reason,
            "to_version": to_version,
        },
    )


def post_release_summary(
    release: Release,
    *,
    at: datetime,
    summary: Sequence[str] = (),
    metrics: Mapping[str, object] | None = None,
) -> NotificationEvent:
    """The post-release summary (§7.3, §14): what shipped and how it is doing."""
    return NotificationEvent(
        type="post_release",
        subject=release.id,
        at=at,
        key=f"post_release:{release.id}",
        facts={
            **_release_facts(release),
            "closed_at": at,
            "summary": list(summary),
            "metrics": dict(metrics or {}),
        },
    )


def _incident_facts(incident_id: str, title: str, severity: str) -> dict[str, object]:
    return {"incident_id": incident_id, "incident_title": title, "severity": severity}


def incident_opened(
    *,
    incident_id: str,
    title: str,
    severity: str,
    at: datetime,
    impact: str = "",
    action: str = "",
    release_id: str | None = None,
) -> NotificationEvent:
    """§11.2 "Emergency Communication" (promises the next update in 30 minutes)."""
    return NotificationEvent(
        type="emergency",
        subject=incident_id,
        at=at,
        key=f"emergency:{incident_id}",
        facts={
            **_incident_facts(incident_id, title, severity),
            "opened_at": at,
            "impact": impact,
            "action": action,
            "release_id": release_id,
        },
    )


def incident_updated(
    *,
    incident_id: str,
    title: str,
    severity: str,
    at: datetime,
    update: str,
    status: str = "investigating",
) -> NotificationEvent:
    """The promised incident update."""
    return NotificationEvent(
        type="incident_update",
        subject=incident_id,
        at=at,
        facts={
            **_incident_facts(incident_id, title, severity),
            "updated_at": at,
            "update": update,
            "status": status,
        },
    )


def incident_resolved(
    *, incident_id: str, title: str, severity: str, at: datetime, resolution: str
) -> NotificationEvent:
    """The incident is over: the last message, and no more update reminders."""
    return NotificationEvent(
        type="incident_resolved",
        subject=incident_id,
        at=at,
        key=f"incident_resolved:{incident_id}",
        facts={
            **_incident_facts(incident_id, title, severity),
            "resolved_at": at,
            "resolution": resolution,
        },
    )


def override_granted(
    *,
    release_id: str,
    release_type: str,
    environment: str,
    at: datetime,
    reason: str,
    expires_at: datetime,
    requested_by: str,
    override_id: int | None = None,
) -> NotificationEvent:
    """An emergency override of the deployment windows was granted without an incident (a
    hotfix, or an on-demand deployment): told in the matrix's deployment-window column."""
    return NotificationEvent(
        type="override_granted",
        subject=release_id,
        at=at,
        key=f"override_granted:{release_id}:{environment}:{override_id or at.isoformat()}",
        facts={
            "release_id": release_id,
            "release_type": release_type,
            "environment": environment,
            "granted_at": at,
            "expires_at": expires_at,
            "reason": reason,
            "requested_by": requested_by,
        },
    )
