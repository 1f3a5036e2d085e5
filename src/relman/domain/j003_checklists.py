"""J-003 checklists as data: §7.1.1–7.1.4, §7.2.1–7.2.3, §7.3, §9.4, §13.1, §14.3, Appendix A.

Item ids are ``<checklist id>-<row #>`` (``7.1.2-4`` = §7.1.2 row 4); ``proof`` names what ticks the
item automatically (see `relman.domain.policy`).
"""

from __future__ import annotations

from collections.abc import Sequence

from relman.domain.policy import ChecklistItemSpec, ChecklistSpec

STANDARD = ("major", "minor", "patch")
ALL_TYPES = ("major", "minor", "patch", "hotfix")

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


def list_default_checklists() -> list[ChecklistSpec]:
    """Every J-003 checklist, in plan order."""
    return [*_pre_release(), *_deployment(), *_emergency_and_reviews(), *_appendix_a()]
