"""The §9.1–9.2 decision tree, triggers, the rollback record, §9.4 ticks, database rollback."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from release_factories import make_release

from relman.domain.backups import (
    BackupRecord,
    DatabaseRollbackMethod,
    compare_row_counts,
    decide_database_rollback,
    require_verified_backup,
)
from relman.domain.checklists import plan_checklist
from relman.domain.health import CheckResult, HealthReport
from relman.domain.monitoring import ThresholdBreach, default_thresholds
from relman.domain.policy import ReleasePolicy
from relman.domain.rollback import (
    Assessment,
    RollbackAction,
    RollbackRecord,
    RollbackTrigger,
    Severity,
    decide_rollback,
    declare_issue,
    list_health_triggers,
    list_threshold_triggers,
    tick_rollback_checklist,
)
from relman.errors import BlockedError, InvalidInputError, RollbackFailedError

T0 = datetime(2026, 1, 31, 2, 10, tzinfo=UTC)
THRESHOLDS = {t.key: t for t in default_thresholds()}
HOTFIX, PLANNED = Assessment.HOTFIX_FORWARD, Assessment.PLANNED_ROLLBACK


def trigger(severity: Severity, reason: str = "x", *, at: datetime = T0) -> RollbackTrigger:
    return RollbackTrigger("operator", severity, reason, at)


@pytest.mark.parametrize(
    ("severity", "estimate", "action", "assessment", "command"),
    [
        (Severity.CRITICAL, None, RollbackAction.AUTOMATIC_ROLLBACK, None, True),
        (Severity.HIGH, None, RollbackAction.PROPOSE_ROLLBACK, None, True),
        (Severity.MEDIUM, None, RollbackAction.ASSESS, None, True),
        (Severity.MEDIUM, timedelta(minutes=20), RollbackAction.ASSESS, HOTFIX, False),
        (Severity.MEDIUM, timedelta(minutes=30), RollbackAction.ASSESS, PLANNED, True),
        (Severity.MEDIUM, timedelta(hours=2), RollbackAction.ASSESS, PLANNED, True),
        (Severity.LOW, None, RollbackAction.FORWARD_FIX, None, False),
        (Severity.LOW, timedelta(hours=5), RollbackAction.FORWARD_FIX, None, False),
    ],
)  # fmt: skip
def test_decision_tree(
    severity: Severity,
    estimate: timedelta | None,
    action: RollbackAction,
    assessment: Assessment | None,
    command: bool,
) -> None:
    decision = decide_rollback(
        [trigger(severity, "orders fail")],
        environment="prod",
        previous_version="1.1.0",
        estimated_fix=estimate,
    )
    assert decision is not None
    assert (decision.action, decision.severity, decision.assessment) == (
        action,
        severity,
        assessment,
    )
    assert decision.command == ("relman rollback prod --to 1.1.0" if command else None)
    assert decision.rolls_back_now is (severity is Severity.CRITICAL)


@pytest.mark.parametrize(
    ("severity", "within"),
    [
        (Severity.CRITICAL, timedelta(minutes=5)),
        (Severity.HIGH, timedelta(minutes=15)),
        (Severity.MEDIUM, timedelta(hours=1)),
        (Severity.LOW, None),
    ],
)
def test_response_times_follow_section_9_2(severity: Severity, within: timedelta | None) -> None:
    decision = decide_rollback([trigger(severity)], environment="prod", previous_version=None)
    assert decision is not None and decision.respond_within == within


def test_no_trigger_no_decision() -> None:
    assert decide_rollback([], environment="prod", previous_version="1.0.0") is None


def test_the_most_severe_trigger_decides_and_the_threshold_is_kept() -> None:
    breaches = [
        ThresholdBreach(THRESHOLDS["disk_usage"], 91.0),
        ThresholdBreach(THRESHOLDS["error_rate"], 7.5),
        ThresholdBreach(THRESHOLDS["response_time_p99"], 6.2),
    ]
    triggers = [
        trigger(Severity.HIGH, "core function broken", at=T0 - timedelta(seconds=5)),
        *list_threshold_triggers(breaches, detected_at=T0),
    ]
    decision = decide_rollback(triggers, environment="staging", previous_version=None)
    assert decision is not None
    assert decision.action is RollbackAction.AUTOMATIC_ROLLBACK
    assert decision.reason == (
        "Error Rate over threshold: error_rate > 1% (measured 7.5%) (and 1 more)"
    )
    assert decision.threshold == "error_rate > 1% (measured 7.5%)"
    assert decision.command == "relman rollback staging"
    assert decision.detected_at == T0 - timedelta(seconds=5)


@pytest.mark.parametrize(
    ("key", "measured", "severity"),
    [
        ("error_rate", 2.0, Severity.CRITICAL),
        ("response_time_p99", 9.0, Severity.CRITICAL),
        ("response_time_p95", 3.5, Severity.HIGH),
        ("cpu_utilization", 95.0, Severity.HIGH),
        ("disk_usage", 90.0, Severity.LOW),  # a warning never rolls back
        ("failed_logins", 30.0, Severity.LOW),
    ],
)
def test_threshold_severity_maps_to_rollback_severity(
    key: str, measured: float, severity: Severity
) -> None:
    (t,) = list_threshold_triggers([ThresholdBreach(THRESHOLDS[key], measured)], detected_at=T0)
    assert t.severity is severity and t.kind == "threshold"


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        ("http", Severity.CRITICAL),  # system down
        ("database", Severity.CRITICAL),
        ("redis", Severity.HIGH),
        ("integration", Severity.HIGH),
        ("log", Severity.HIGH),
        ("smoke", Severity.HIGH),
        ("", Severity.HIGH),
    ],
)
def test_failed_checks_become_triggers(kind: str, severity: Severity) -> None:
    report = HealthReport(
        (
            CheckResult("fine", True, "ok", 1.0, "http"),
            CheckResult("the check", False, "refused", 2.0, kind),
        )
    )
    (t,) = list_health_triggers(report, detected_at=T0)
    assert t.severity is severity
    assert "'the check' failed: refused" in t.reason


def test_a_smoke_checks_own_severity_wins() -> None:
    report = HealthReport((CheckResult("user login", False, "status 500", 3.0, "smoke"),))
    (t,) = list_health_triggers(report, detected_at=T0, check_severities={"user login": "P1"})
    assert t.severity is Severity.CRITICAL


@pytest.mark.parametrize(
    ("severity", "data_loss", "expected"),
    [
        ("high", False, Severity.HIGH),
        ("P3", False, Severity.MEDIUM),
        ("low", True, Severity.CRITICAL),  # data loss is always critical
    ],
)
def test_operators_declare_issues(severity: str, data_loss: bool, expected: Severity) -> None:
    t = declare_issue(severity, "reports broken", detected_at=T0, data_loss=data_loss)
    assert t.severity is expected and t.kind == "operator"


def test_an_unknown_severity_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown severity 'urgent'"):
        declare_issue("urgent", "x", detected_at=T0)


# --- the record and the §9.4 checklist --------------------------------------------------------

RECORD = RollbackRecord(
    environment="prod",
    from_version="1.2.0",
    to_version="1.1.0",
    reason="Error Rate over threshold: error_rate > 1% (measured 7.5%)",
    threshold="error_rate > 1% (measured 7.5%)",
    severity=Severity.CRITICAL,
    automatic=True,
    trigger_detected_at=T0,
    traffic_restored_at=T0 + timedelta(seconds=4, milliseconds=250),
)
BACKUP = BackupRecord(
    "/b/smart_dairy.dump", 5099, "d57e4a0789d6" + "0" * 52, "smart_dairy", T0, True, "full"
)


def test_the_record_measures_the_rollback_time() -> None:
    assert RECORD.duration == timedelta(seconds=4.25)
    assert RECORD.to_dict()["duration_seconds"] == 4.25


def test_traffic_cannot_be_restored_before_the_trigger() -> None:
    with pytest.raises(InvalidInputError, match="before the trigger"):
        replace(RECORD, traffic_restored_at=T0 - timedelta(seconds=1))


def test_the_rollback_checklist_is_ticked_from_what_relman_did() -> None:
    spec = ReleasePolicy.default().checklists["9.4"]
    items = plan_checklist(make_release(), spec)
    now = T0 + timedelta(minutes=3)
    ticked = {
        i.item_id: i
        for i in tick_rollback_checklist(
            items, RECORD, now=now, backup=BACKUP, smoke_passed=True, monitoring_stable=True
        )
    }
    assert sorted(ticked) == ["9.4-1", "9.4-3", "9.4-4", "9.4-5", "9.4-6", "9.4-7"]
    assert all(i.ticked_by == "relman" and i.ticked_at == now for i in ticked.values())
    assert "4.2 s after the trigger" in (ticked["9.4-5"].proof or "")
    assert "automatic rollback 1.2.0 -> 1.1.0" in (ticked["9.4-5"].proof or "")
    assert "sha256 d57e4a0789d6, verified" in (ticked["9.4-4"].proof or "")
    # incident documented / root cause analysis stay for people; notification for the notifier
    assert {i.item_id for i in items} - set(ticked) == {"9.4-2", "9.4-8", "9.4-9"}


def test_only_what_is_proven_is_ticked_and_nothing_twice() -> None:
    spec = ReleasePolicy.default().checklists["9.4"]
    items = plan_checklist(make_release(), spec)
    first = tick_rollback_checklist(items, RECORD, now=T0)
    assert sorted(i.item_id for i in first) == ["9.4-1", "9.4-3", "9.4-5"]
    merged = [next((t for t in first if t.item_id == i.item_id), i) for i in items]
    again = tick_rollback_checklist(merged, RECORD, now=T0, notified=True)
    assert [i.item_id for i in again] == ["9.4-2"]


# --- database safety --------------------------------------------------------------------------


def test_reverse_script_first_then_backup() -> None:
    plan = decide_database_rollback(True, BACKUP)
    assert plan.method is DatabaseRollbackMethod.REVERSE_SCRIPT
    plan = decide_database_rollback(False, BACKUP)
    assert plan.method is DatabaseRollbackMethod.RESTORE_BACKUP and plan.backup == BACKUP
    assert "/b/smart_dairy.dump" in plan.reason


@pytest.mark.parametrize("backup", [None, replace(BACKUP, verified=False)])
def test_no_reverse_script_and_no_verified_backup_needs_a_human(
    backup: BackupRecord | None,
) -> None:
    with pytest.raises(RollbackFailedError, match="no reverse migration script"):
        decide_database_rollback(False, backup)


def test_no_verified_backup_no_migration() -> None:
    assert require_verified_backup(BACKUP, environment="prod") == BACKUP
    assert require_verified_backup(None, environment="dev") is None
    with pytest.raises(BlockedError, match="no verified backup, no migration"):
        require_verified_backup(None, environment="staging")
    with pytest.raises(BlockedError, match="is not verified"):
        require_verified_backup(replace(BACKUP, verified=False), environment="prod")


@pytest.mark.parametrize(
    ("expected", "actual", "problems"),
    [
        ({"public.a": 3}, {"public.a": 3}, []),
        ({"public.a": 3}, {"public.a": 2}, ["table public.a: 2 rows restored, 3 expected"]),
        ({"public.a": 3}, {}, ["table public.a missing from the restore (3 rows expected)"]),
        ({}, {"public.b": 0}, ["table public.b in the restore but not in the source"]),
    ],
)
def test_row_count_comparison(
    expected: dict[str, int], actual: dict[str, int], problems: list[str]
) -> None:
    assert compare_row_counts(expected, actual) == problems
