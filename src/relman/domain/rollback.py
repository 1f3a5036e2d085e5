"""The rollback decision tree (J-003 §9.1–9.2, Appendix C) and the rollback record (§9.4).

    issue detected -> severity?
      critical (system down, data loss, error rate / P99 over threshold) -> automatic rollback, now
      high     (core function broken)          -> rollback proposed: one command runs it (< 15 min)
      medium   (non-core feature broken)       -> assess: hotfix forward if the fix takes < 30 min,
                                                  otherwise planned rollback (< 1 hour)
      low      (cosmetic)                      -> forward fix in the next release

Triggers come from breached §14.2 thresholds, failed health or smoke checks after the switch, or
an operator who declares an issue. The most severe trigger decides. A `RollbackRecord` keeps the
measured time from trigger to traffic back on the previous version, the reason and the threshold,
and `tick_rollback_checklist` ticks the §9.4 items that what relman did proves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from relman.domain.backups import BackupRecord
from relman.domain.health import HealthReport
from relman.domain.monitoring import ThresholdBreach
from relman.domain.releases import ChecklistItem
from relman.errors import InvalidInputError

ROLLBACK_CHECKLIST_ID = "9.4"
AUTO_TICKER = "relman"
QUICK_FIX_LIMIT = timedelta(minutes=30)


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for critical ... 3 for low (sort key: most severe first)."""
        return list(Severity).index(self)

    @classmethod
    def parse(cls, text: str) -> Severity:
        aliases = {"p1": "critical", "p2": "high", "p3": "medium", "p4": "low"}
        value = aliases.get(text.strip().lower(), text.strip().lower())
        try:
            return cls(value)
        except ValueError:
            raise InvalidInputError(
                f"unknown severity {text!r} (expected critical, high, medium or low; "
                "P1-P4 are accepted)",
                where="severity",
            ) from None


class RollbackAction(StrEnum):
    AUTOMATIC_ROLLBACK = "automatic_rollback"
    PROPOSE_ROLLBACK = "propose_rollback"
    ASSESS = "assess"
    FORWARD_FIX = "forward_fix"


class Assessment(StrEnum):
    """The outcome of ``assess`` for a medium issue (§9.1 "Can it be fixed quickly?")."""

    HOTFIX_FORWARD = "hotfix_forward"
    PLANNED_ROLLBACK = "planned_rollback"


# §9.2 response times (low: next release)
RESPONSE_TIMES: Mapping[Severity, timedelta | None] = {
    Severity.CRITICAL: timedelta(minutes=5),
    Severity.HIGH: timedelta(minutes=15),
    Severity.MEDIUM: timedelta(hours=1),
    Severity.LOW: None,
}
# §14.2 alert severity -> §9.2 rollback severity (a warning never rolls back)
THRESHOLD_SEVERITY: Mapping[str, Severity] = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "warning": Severity.LOW,
}
# failed §8.5 check kind -> severity: no health answer or no database is "system down"
CHECK_SEVERITY: Mapping[str, Severity] = {
    "http": Severity.CRITICAL,
    "database": Severity.CRITICAL,
    "redis": Severity.HIGH,
    "integration": Severity.HIGH,
    "log": Severity.HIGH,
    "smoke": Severity.HIGH,
}


@dataclass(frozen=True)
class RollbackTrigger:
    """Something that went wrong after a deployment, and how bad it is."""

    kind: str  # threshold | health | operator
    severity: Severity
    reason: str
    detected_at: datetime
    threshold: str | None = None  # "error_rate > 1% (measured 7.5%)"


@dataclass(frozen=True)
class RollbackDecision:
    action: RollbackAction
    severity: Severity
    reason: str
    threshold: str | None
    triggers: tuple[RollbackTrigger, ...]
    command: str | None = None  # the one command that rolls back (proposed / planned)
    assessment: Assessment | None = None  # medium issues, once the fix is estimated
    respond_within: timedelta | None = None  # §9.2 response time

    @property
    def rolls_back_now(self) -> bool:
        return self.action is RollbackAction.AUTOMATIC_ROLLBACK

    @property
    def detected_at(self) -> datetime:
        return min(t.detected_at for t in self.triggers)


def list_threshold_triggers(
    breaches: Iterable[ThresholdBreach],
    *,
    detected_at: datetime,
    severity_map: Mapping[str, Severity] = THRESHOLD_SEVERITY,
) -> list[RollbackTrigger]:
    """One trigger per breached §14.2 threshold."""
    return [
        RollbackTrigger(
            "threshold",
            severity_map.get(b.severity, Severity.HIGH),
            f"{b.threshold.metric} over threshold: {b.describe()}",
            detected_at,
            threshold=b.describe(),
        )
        for b in breaches
    ]


def list_health_triggers(
    report: HealthReport,
    *,
    detected_at: datetime,
    check_severities: Mapping[str, str] | None = None,
    kind_severity: Mapping[str, Severity] = CHECK_SEVERITY,
) -> list[RollbackTrigger]:
    """One trigger per failed check; ``check_severities`` (check name -> severity, e.g. from
    the smoke checks' own severities) overrides the severity of the check's kind."""
    triggers = []
    for check in report.failures:
        named = (check_severities or {}).get(check.name)
        severity = Severity.parse(named) if named else kind_severity.get(check.kind, Severity.HIGH)
        what = f"{check.kind} check" if check.kind else "check"
        triggers.append(
            RollbackTrigger(
                "health", severity, f"{what} {check.name!r} failed: {check.detail}", detected_at
            )
        )
    return triggers


def declare_issue(
    severity: str | Severity, reason: str, *, detected_at: datetime, data_loss: bool = False
) -> RollbackTrigger:
    """An operator's report (§9.2); data loss is always critical."""
    level = Severity.CRITICAL if data_loss else Severity.parse(str(severity))
    text = reason.strip() or "issue declared by an operator"
    return RollbackTrigger(
        "operator", level, ("data loss: " if data_loss else "") + text, detected_at
    )


def decide_rollback(
    triggers: Sequence[RollbackTrigger],
    *,
    environment: str,
    previous_version: str | None,
    estimated_fix: timedelta | None = None,
    quick_fix_limit: timedelta = QUICK_FIX_LIMIT,
) -> RollbackDecision | None:
    """The §9.1 decision for the most severe trigger; None when nothing triggered."""
    if not triggers:
        return None
    ordered = tuple(sorted(triggers, key=lambda t: (t.severity.rank, t.detected_at)))
    top = ordered[0]
    same = [t for t in ordered if t.severity is top.severity]
    reason = top.reason + (f" (and {len(same) - 1} more)" if len(same) > 1 else "")
    threshold = next((t.threshold for t in ordered if t.threshold), None)
    command = f"relman rollback {environment}" + (
        f" --to {previous_version}" if previous_version else ""
    )
    base = RollbackDecision(
        action=RollbackAction.FORWARD_FIX,
        severity=top.severity,
        reason=reason,
        threshold=threshold,
        triggers=ordered,
        respond_within=RESPONSE_TIMES[top.severity],
    )
    if top.severity is Severity.CRITICAL:
        return replace(base, action=RollbackAction.AUTOMATIC_ROLLBACK, command=command)
    if top.severity is Severity.HIGH:
        return replace(base, action=RollbackAction.PROPOSE_ROLLBACK, command=command)
    if top.severity is Severity.MEDIUM:
        if estimated_fix is None:
            return replace(base, action=RollbackAction.ASSESS, command=command)
        if estimated_fix < quick_fix_limit:
            return replace(base, action=RollbackAction.ASSESS, assessment=Assessment.HOTFIX_FORWARD)
        return replace(
            base,
            action=RollbackAction.ASSESS,
            assessment=Assessment.PLANNED_ROLLBACK,
            command=command,
        )
    return base


# --- the record and the §9.4 checklist ------------------------------------------------------


@dataclass(frozen=True)
class RollbackRecord:
    """A rollback that happened: from the trigger to traffic back on a healthy previous version."""

    environment: str
    from_version: str
    to_version: str
    reason: str
    threshold: str | None
    severity: Severity
    automatic: bool
    trigger_detected_at: datetime
    traffic_restored_at: datetime

    def __post_init__(self) -> None:
        if self.traffic_restored_at < self.trigger_detected_at:
            raise InvalidInputError(
                f"traffic restored at {self.traffic_restored_at.isoformat()} is before the "
                f"trigger at {self.trigger_detected_at.isoformat()}",
                where=f"rollback of {self.environment}",
            )

    @property
    def duration(self) -> timedelta:
        """The measured rollback time (J-003 objective: < 15 minutes)."""
        return self.traffic_restored_at - self.trigger_detected_at

    def to_dict(self) -> dict[str, object]:
        return {
            "environment": self.environment,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "reason": self.reason,
            "threshold": self.threshold,
            "severity": str(self.severity),
            "automatic": self.automatic,
            "trigger_detected_at": self.trigger_detected_at.isoformat(),
            "traffic_restored_at": self.traffic_restored_at.isoformat(),
            "duration_seconds": round(self.duration.total_seconds(), 3),
        }


def tick_rollback_checklist(
    items: Iterable[ChecklistItem],
    record: RollbackRecord,
    *,
    now: datetime,
    backup: BackupRecord | None = None,
    smoke_passed: bool = False,
    monitoring_stable: bool = False,
    notified: bool = False,
) -> list[ChecklistItem]:
    """The §9.4 items newly ticked by what relman did; 9.4-8 and 9.4-9 stay for people."""
    proofs = compute_rollback_proofs(
        record,
        backup=backup,
        smoke_passed=smoke_passed,
        monitoring_stable=monitoring_stable,
        notified=notified,
    )
    return [
        replace(item, ticked_by=AUTO_TICKER, ticked_at=now, proof=proofs[item.item_id])
        for item in items
        if item.checklist_id == ROLLBACK_CHECKLIST_ID
        and not item.is_ticked
        and item.item_id in proofs
    ]


def compute_rollback_proofs(
    record: RollbackRecord,
    *,
    backup: BackupRecord | None = None,
    smoke_passed: bool = False,
    monitoring_stable: bool = False,
    notified: bool = False,
) -> dict[str, str]:
    """§9.4 item id -> the proof text for every item the record (and the flags) prove."""
    seconds = record.duration.total_seconds()
    how = "automatic" if record.automatic else "manual"
    proofs = {
        "9.4-1": f"{record.severity} issue detected at {record.trigger_detected_at.isoformat()}: "
        f"{record.reason}",
        "9.4-3": f"previous version {record.to_version} was kept and serves {record.environment}",
        "9.4-5": f"{how} rollback {record.from_version} -> {record.to_version}: traffic restored "
        f"at {record.traffic_restored_at.isoformat()}, {seconds:.1f} s after the trigger",
    }
    if notified:
        proofs["9.4-2"] = "stakeholders notified of the rollback"
    if backup is not None:
        state = "verified" if backup.verified else "NOT verified"
        proofs["9.4-4"] = f"backup {backup.path} (sha256 {backup.sha256[:12]}, {state})"
    if smoke_passed:
        proofs["9.4-6"] = f"smoke tests passed on {record.to_version}"
    if monitoring_stable:
        proofs["9.4-7"] = f"monitoring thresholds held on {record.to_version}"
    return proofs
