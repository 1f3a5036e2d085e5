"""Queueing with the event, delivery after the commit, outages, reminders and due notices
(in-memory store, recording notifiers; the real protocols are in tests/integration)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from notify_factories import T0, Rig, release

from relman.domain.notification_events import (
    deployment_completed,
    deployment_started,
    incident_opened,
    incident_resolved,
    incident_updated,
)
from relman.domain.outbox import DeliveryStatus
from relman.domain.releases import Phase
from relman.errors import ConfigError, IntegrationError
from relman.services.notification_delivery import (
    deliver_pending,
    deliver_quietly,
    retry_notifications,
    run_due,
    send_test,
    split_subject,
)
from relman.services.notifications import (
    list_notified_events,
    queue_notifications,
    report_compliance,
)

S = DeliveryStatus


def _start(rig: Rig) -> None:
    event = deployment_started(
        release(), environment="prod", at=rig.clock.now(), deployment_id="D-1"
    )
    with rig.uow:
        queue_notifications(rig.uow, event, notifications=rig.notifications)


def test_notifications_commit_or_roll_back_with_the_event_that_causes_them() -> None:
    rig = Rig()
    with pytest.raises(RuntimeError), rig.uow:
        queue_notifications(
            rig.uow,
            deployment_started(release(), environment="prod", at=T0),
            notifications=rig.notifications,
        )
        raise RuntimeError("the deployment failed to record")
    assert rig.rows() == []
    _start(rig)
    assert rig.by_status() == {"pending": 9}
    assert all(not n.sent for n in rig.notifiers.values())  # queueing sends nothing


def test_queueing_the_same_event_twice_queues_it_once() -> None:
    rig = Rig()
    _start(rig)
    _start(rig)
    assert len(rig.rows()) == 9


def test_delivery_sends_one_email_per_person_and_one_post_per_role_wide_message() -> None:
    rig = Rig()
    _start(rig)
    report = deliver_pending(notifications=rig.notifications)
    assert (len(report.sent), len(report.failed), len(report.dead)) == (9, 0, 0)
    emails = {m.to for m in rig.sent("email")}
    assert len(emails) == 8 and ("parvin@smartdairy.test",) in emails
    [status] = rig.sent("status_page")
    assert status.title == "Maintenance in progress: Smart Dairy ERP v1.3.0"
    mail = next(m for m in rig.sent("email") if m.to == ("parvin@smartdairy.test",))
    assert mail.title == "[DEPLOYMENT STARTED] Smart Dairy ERP v1.3.0"
    assert "has started at 02:00 Asia/Dhaka" in mail.body
    assert "Status tracking: https://status.smartdairy.test" in mail.body
    assert all(r.sent_at == T0 and r.title for r in rig.rows())
    assert deliver_pending(notifications=rig.notifications).sent == []  # nothing twice


def test_an_outage_never_fails_the_caller_and_nothing_is_lost_or_sent_twice() -> None:
    rig = Rig()
    rig.notifiers["email"].fail_with = IntegrationError("connection refused")
    _start(rig)
    report = deliver_quietly(notifications=rig.notifications)
    assert report is not None and len(report.failed) == 8 and len(report.sent) == 1
    assert rig.notifiers["email"].calls == 1  # the outage is found once, not per message
    failed = [r for r in rig.rows() if r.status is S.FAILED]
    assert {(r.attempts, r.last_error) for r in failed} == {(1, "connection refused")}
    assert {r.next_attempt_at for r in failed} == {T0 + timedelta(minutes=1)}

    rig.clock.advance(seconds=30)  # backoff not over: nothing is tried
    assert deliver_pending(notifications=rig.notifications).failed == []

    rig.notifiers["email"].fail_with = None  # the server is back
    rig.clock.advance(minutes=1)
    assert len(deliver_pending(notifications=rig.notifications).sent) == 8
    assert rig.by_status() == {"sent": 9}
    assert len(rig.sent("email")) == 8  # each person once
    assert rig.notifiers["email"].calls == 9
    assert {r.attempts for r in rig.rows() if r.channel == "email"} == {2}


def test_an_outage_never_uses_up_the_attempts() -> None:
    rig = Rig(max_attempts=2)
    rig.notifiers["email"].fail_with = IntegrationError("connection refused")
    _start(rig)
    for _ in range(6):  # three times max_attempts, an hour apart
        report = deliver_pending(notifications=rig.notifications)
        assert (len(report.failed), report.dead) == (8, [])
        rig.clock.advance(hours=1, minutes=15)
    rig.notifiers["email"].fail_with = None  # the server is back: everything goes out
    assert len(deliver_pending(notifications=rig.notifications).sent) == 8
    assert len(rig.sent("email")) == 8


def test_after_the_last_attempt_an_unexpected_error_is_dead_until_retry_all() -> None:
    rig = Rig(max_attempts=2)
    rig.notifiers["email"].fail_with = RuntimeError("adapter bug")
    _start(rig)
    deliver_pending(notifications=rig.notifications)
    rig.clock.advance(hours=1)
    assert len(deliver_pending(notifications=rig.notifications).dead) == 8
    rig.notifiers["email"].fail_with = None
    assert retry_notifications(notifications=rig.notifications).sent == []  # dead stay dead
    assert len(retry_notifications(notifications=rig.notifications, include_dead=True).sent) == 8


def test_retry_sends_failed_rows_before_their_backoff_is_over() -> None:
    rig = Rig()
    rig.notifiers["email"].fail_with = IntegrationError("down")
    _start(rig)
    deliver_pending(notifications=rig.notifications)
    rig.notifiers["email"].fail_with = None
    assert len(retry_notifications(notifications=rig.notifications).sent) == 8


def test_a_channel_that_is_not_configured_is_dead_at_once_with_the_fix_named() -> None:
    rig = Rig(channels=("email", "phone", "in_app", "slack"))  # no status_page
    _start(rig)
    [dead] = deliver_pending(notifications=rig.notifications).dead
    assert dead.channel == "status_page"
    assert dead.last_error is not None
    assert "channel 'status_page' is not configured" in dead.last_error


def test_a_misconfigured_channel_is_permanent_a_broken_template_too(tmp_path: Path) -> None:
    (tmp_path / "deployment_started.txt.j2").write_text("Subject: {{ nope }}\n", encoding="utf-8")
    rig = Rig(template_dir=tmp_path)
    rig.notifiers["status_page"].fail_with = ConfigError("secret missing", where="RELMAN_X")
    _start(rig)
    report = deliver_pending(notifications=rig.notifications)
    assert len(report.dead) == 9 and report.failed == []
    assert any("undefined value" in (r.last_error or "") for r in report.dead)
    assert any("RELMAN_X" in (r.last_error or "") for r in report.dead)


def test_a_user_template_overrides_the_packaged_one(tmp_path: Path) -> None:
    (tmp_path / "deployment_completed.txt.j2").write_text(
        'Subject: Done v{{ version }}\n\n{{ validation }} / {{ "builtin" }}\n', encoding="utf-8"
    )
    rig = Rig(template_dir=tmp_path)
    event = deployment_completed(
        release(), environment="prod", at=T0, succeeded=True, smoke_passed=False
    )
    with rig.uow:
        queue_notifications(rig.uow, event, notifications=rig.notifications)
    deliver_pending(notifications=rig.notifications)
    assert {(m.title, m.body) for m in rig.sent("email")} == {("Done v1.3.0", "FAIL / builtin\n")}


def test_an_emergency_schedules_reminders_that_updates_replace_and_resolution_cancels() -> None:
    rig = Rig()
    opened = incident_opened(incident_id="INC-1", title="Orders fail", severity="P1", at=T0)
    with rig.uow:
        queue_notifications(rig.uow, opened, notifications=rig.notifications)
    reminders = [r for r in rig.rows() if r.event_type == "incident_update_due"]
    assert [r.due_at for r in reminders] == [T0 + timedelta(minutes=30 * i) for i in range(1, 9)]
    deliver_pending(notifications=rig.notifications)
    assert not any("REMINDER" in m.title for m in rig.sent("email"))

    rig.clock.advance(minutes=30)
    deliver_pending(notifications=rig.notifications)
    [reminder] = [m for m in rig.sent("email") if "REMINDER" in m.title]
    assert reminder.to == ("dipu@smartdairy.test",)
    assert "by 02:30 Asia/Dhaka" in reminder.body

    update = incident_updated(
        incident_id="INC-1", title="Orders fail", severity="P1", at=rig.clock.now(), update="fix"
    )
    with rig.uow:
        queue_notifications(rig.uow, update, notifications=rig.notifications)
    open_reminders = [
        r for r in rig.rows() if r.event_type == "incident_update_due" and r.status.is_open
    ]
    assert min(r.due_at for r in open_reminders) == T0 + timedelta(minutes=60)
    assert len(open_reminders) == 8

    resolved = incident_resolved(
        incident_id="INC-1", title="Orders fail", severity="P1", at=rig.clock.now(), resolution="ok"
    )
    with rig.uow:
        queue_notifications(rig.uow, resolved, notifications=rig.notifications)
    assert not any(r.status.is_open for r in rig.rows() if r.event_type == "incident_update_due")


def test_notify_due_queues_the_t48h_notice_once_when_the_deployment_is_48_hours_away() -> None:
    rig = Rig()
    with rig.uow:
        rig.uow.releases.add(release(target=date(2026, 3, 9), phase=Phase.TEST))
        rig.uow.releases.add(release(rid="R-2", target=date(2026, 3, 20), phase=Phase.BUILD))
        rig.uow.releases.add(release(rid="R-3", target=date(2026, 3, 9), phase=Phase.CANCELLED))
    rig.clock.at = T0 - timedelta(minutes=1)  # 2026-03-09 02:00 is 48h01m away
    assert run_due(notifications=rig.notifications).queued == []
    rig.clock.at = T0
    due = run_due(notifications=rig.notifications)
    assert {r.subject for r in due.queued} == {"R-1"}
    assert len(due.delivery.sent) == 8
    mail = rig.sent("email")[0]
    assert mail.title == (
        "[ACTION REQUIRED] Smart Dairy ERP Release v1.3.0 - Scheduled 2026-03-09 02:00 Asia/Dhaka"
    )
    assert "- SD-101, SD-102" not in mail.body and "2 changes (SD-101, SD-102)" in mail.body
    rig.clock.advance(hours=1)
    assert run_due(notifications=rig.notifications).queued == []  # once


def test_compliance_and_checklist_proof_come_from_the_recorded_outcomes() -> None:
    rig = Rig()
    rig.notifiers["status_page"].fail_with = IntegrationError("down")
    _start(rig)
    deliver_pending(notifications=rig.notifications)
    rig.clock.advance(minutes=20)  # past the 15-minute allowance
    report = report_compliance(notifications=rig.notifications)
    assert (report.required, report.on_time, report.missed) == (9, 8, 1)
    assert [m.recipient for m in report.misses] == ["end_customers"]
    with rig.uow:
        assert list_notified_events(rig.uow, "R-1") == frozenset()
    rig.notifiers["status_page"].fail_with = None
    retry_notifications(notifications=rig.notifications)
    with rig.uow:
        assert list_notified_events(rig.uow, "R-1") == {"notified:deployment_start"}
    late = report_compliance(notifications=rig.notifications)
    assert (late.on_time, late.late, late.missed) == (8, 1, 0)


def test_a_test_message_goes_to_a_person_over_one_channel() -> None:
    rig = Rig()
    target = send_test(notifications=rig.notifications, channel="email", to="parvin")
    assert target == "email"
    [mail] = rig.sent("email")
    assert mail.to == ("parvin@smartdairy.test",)
    assert mail.title == "[TEST] Smart Dairy ERP notifications over email"
    with pytest.raises(ConfigError, match="channel 'sms' is not configured"):
        send_test(notifications=rig.notifications, channel="sms", to="parvin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Subject: Hello\n\nBody\n", ("Hello", "Body\n")),
        ("Hello\nBody", ("Hello", "Body\n")),
        ("Subject: Only\n", ("Only", "")),
        ("", ("", "")),
    ],
)
def test_the_first_line_of_a_rendered_template_is_the_subject(
    text: str, expected: tuple[str, str]
) -> None:
    assert split_subject(text) == expected
