# ruff: noqa: F811  (pytest fixtures are imported from notify_support and requested by name)
"""Every stakeholder in the §11.1 matrix hears the right messages over real protocols: email
through a real SMTP server (STARTTLS + AUTH), Slack and signed webhooks to a real HTTP receiver,
the status-page feed on disk; on SQLite and PostgreSQL. Outages lose nothing (a real production
deployment during an email outage: test_notify_deploy_outage.py)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from notify_support import (  # noqa: F401  (fixtures)
    SMTP_PASSWORD,
    SMTP_USER,
    HttpReceiver,
    SmtpServer,
    receiver,
    smtp_tls,
    tls_cert,
)

from relman.adapters.db.store import SqlStore
from relman.adapters.notifiers.webhook import verify_signature
from relman.bootstrap import Services, build_services
from relman.cli.main import main
from relman.domain.notification_events import (
    deployment_completed,
    deployment_started,
    incident_opened,
    post_release_summary,
    pre_release_notice,
)
from relman.domain.releases import Phase, Release
from relman.services.notification_delivery import deliver_pending
from relman.services.notifications import queue_notifications
from relman.settings import validate_settings
from relman.testing import FixedClock

T0 = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)
PAGER_SECRET = "pager-hmac-secret"
PEOPLE = {
    "chowdhury": ("Chowdhury CTO", "cto@smartdairy.test", ["cto"]),
    "parvin": ("Parvin PM", "parvin@smartdairy.test", ["project_manager"]),
    "dipu": ("Dipu DevOps", "dipu@smartdairy.test", ["devops_lead", "incident_commander"]),
    "tanvir": ("Tanvir TL", "tanvir@smartdairy.test", ["tech_lead"]),
    "qamrul": ("Qamrul QA", "qamrul@smartdairy.test", ["qa_lead"]),
    "popy": ("Popy PO", "popy@smartdairy.test", ["product_owner"]),
    "users": ("Business Users", "users@smartdairy.test", ["business_users"]),
    "support": ("Support Team", "support@smartdairy.test", ["support_team"]),
}
EMAIL_OF = {pid: mail for pid, (_, mail, _) in PEOPLE.items()}


def _people() -> dict[str, Any]:
    return {pid: {"name": n, "email": e, "roles": r} for pid, (n, e, r) in PEOPLE.items()}


def _channels(
    tmp_path: Path, smtp: SmtpServer, receiver: HttpReceiver, *, tls: bool
) -> dict[str, Any]:
    email: dict[str, Any] = {"kind": "smtp", "host": "127.0.0.1", "port": smtp.port}
    email["sender"] = "relman@smartdairy.test"
    if tls:
        assert smtp.cert is not None
        email.update(tls="starttls", username=SMTP_USER, ca_file=str(smtp.cert.cert))
    return {
        "email": email,
        "slack": {"kind": "slack"},
        "phone": {
            "kind": "webhook",
            "url": f"{receiver.url}/phone",
            "secret_env": "RELMAN_PAGER_SECRET",
        },
        "status_page": {"kind": "feed", "directory": str(tmp_path / "public" / "status")},
        "in_app": {"kind": "feed", "directory": str(tmp_path / "public" / "in-app")},
    }


def _env(monkeypatch: pytest.MonkeyPatch, receiver: HttpReceiver) -> None:
    monkeypatch.setenv("RELMAN_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("RELMAN_SLACK_WEBHOOK_URL", f"{receiver.url}/slack")
    monkeypatch.setenv("RELMAN_PAGER_SECRET", PAGER_SECRET)


def _release(release_type: str = "major") -> Release:
    return Release(
        id="R-1",
        title="Herd health dashboard",
        release_type=release_type,
        version="2.0.0",
        components=("erp",),
        phase=Phase.DEPLOY,
        planned_by="parvin",
        target_date=date(2026, 3, 9),
        created_at=T0 - timedelta(days=40),
        commit_sha=None,
        scope_commits=(),
        scope_tickets=(),
        revision=1,
    )


@pytest.fixture
def wired(
    tmp_path: Path,
    database_url: str,
    smtp_tls: SmtpServer,
    receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    _env(monkeypatch, receiver)
    settings = validate_settings(
        {
            "people": _people(),
            "notifications": {"channels": _channels(tmp_path, smtp_tls, receiver, tls=True)},
        }
    )
    store = SqlStore(database_url)
    services = build_services(repo=tmp_path, settings=settings, store=store, clock=FixedClock(T0))
    yield services
    store.dispose()


def _queue(services: Services, *events: Any) -> None:
    for event in events:
        with services.uow_factory() as uow:
            queue_notifications(uow, event, notifications=services.notifications)


def test_every_stakeholder_hears_the_right_messages_over_real_protocols(
    wired: Services, smtp_tls: SmtpServer, receiver: HttpReceiver, tmp_path: Path
) -> None:
    release = _release("major")
    with wired.uow_factory() as uow:
        uow.releases.add(release)
    _queue(
        wired,
        pre_release_notice(
            release,
            deploy_at=T0 + timedelta(hours=48),
            notice=timedelta(hours=48),
            duration=timedelta(hours=4),
            downtime="planned",
        ),
        deployment_started(release, environment="prod", at=T0, deployment_id="D-1"),
        deployment_completed(
            release,
            environment="prod",
            at=T0,
            succeeded=True,
            smoke_passed=True,
            health_passed=True,
            deployment_id="D-1",
        ),
        post_release_summary(release, at=T0, summary=["Herd health dashboard is live"]),
        incident_opened(
            incident_id="INC-1",
            title="Orders fail",
            severity="P1",
            at=T0,
            impact="no milk orders",
            action="rolling back R-1",
        ),
    )
    report = deliver_pending(notifications=wired.notifications)
    assert (report.failed, report.dead) == ([], [])

    # email: per person, over STARTTLS with a login, the §11.2 subjects
    received: dict[str, set[str]] = defaultdict(set)
    for mail in smtp_tls.mails:
        assert (mail.tls, mail.login, mail.sender) == (True, SMTP_USER, "relman@smartdairy.test")
        [to] = mail.recipients
        received[to].add(mail.subject.split("]")[0] + "]")
    release_mails = {"[ACTION REQUIRED]", "[DEPLOYMENT STARTED]", "[DEPLOYMENT COMPLETE]"}
    release_mails.add("[POST-RELEASE]")
    assert received == {
        **{EMAIL_OF[p]: release_mails for p in ("chowdhury", "parvin", "tanvir")},
        **{EMAIL_OF[p]: release_mails for p in ("qamrul", "support")},
        # Product Owner: "Email + Call", Business Users: "Email" in an emergency
        EMAIL_OF["popy"]: release_mails | {"[URGENT]"},
        EMAIL_OF["users"]: release_mails | {"[URGENT]"},
        # the Incident Commander's CAB seat: email and phone ([emergency.cab] channels)
        EMAIL_OF["dipu"]: release_mails | {"[URGENT]"},
    }
    assert len(smtp_tls.mails) == 8 * 4 + 3  # nobody twice

    # Slack: one emergency post for the three roles whose cell says Slack
    [slack] = receiver.posts_to("/slack")
    assert slack.json()["text"].startswith("*[URGENT] Smart Dairy ERP Production Issue")
    assert "for tech_lead, qa_lead, support_team" in json.dumps(slack.json())

    # phone (paging gateway): an immediate call per lead, HMAC-signed
    calls = receiver.posts_to("/phone")
    assert sorted(p.json()["recipients"][0] for p in calls) == sorted(
        ["chowdhury", "parvin", "dipu", "tanvir", "qamrul", "popy"]
    )
    for call in calls:
        assert verify_signature(
            PAGER_SECRET,
            call.body,
            call.headers["X-Relman-Signature"],
            call.headers["X-Relman-Timestamp"],
            now=time.time(),
        )

    # end customers: the status page (major release, maintenance, incident), in-app summary
    status = json.loads((tmp_path / "public/status/status.json").read_text(encoding="utf-8"))
    assert sorted(item["_relman"]["event_type"] for item in status["items"]) == [
        "deployment_completed", "deployment_started", "emergency", "pre_release",
    ]  # fmt: skip
    rss = ET.parse(tmp_path / "public/status/status.rss").getroot()
    assert len(rss.findall("channel/item")) == 4
    in_app = json.loads((tmp_path / "public/in-app/status.json").read_text(encoding="utf-8"))
    assert [i["title"] for i in in_app["items"]] == ["What's new in Smart Dairy ERP v2.0.0"]

    # outcome per recipient; a second delivery sends nothing again
    with wired.uow_factory() as uow:
        rows = uow.outbox.list()
    required = [r for r in rows if r.required]
    assert {r.status.value for r in required} == {"sent"}
    assert all(r.sent_at is not None and r.title for r in required)
    assert {r.status.value for r in rows if not r.required} == {"pending"}  # reminders, later
    assert deliver_pending(notifications=wired.notifications).sent == []
    assert len(smtp_tls.mails) == 35 and len(receiver.posts) == 7


def _write_policy(repo: Path, channels: dict[str, Any]) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    lines = []
    for pid, (name, mail, roles) in PEOPLE.items():
        lines += [f"[people.{pid}]", f'name = "{name}"', f'email = "{mail}"', f"roles = {roles}"]
    lines.append('[notifications]\nenvironments = ["prod"]')
    for name, cfg in channels.items():
        lines.append(f"[notifications.channels.{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in cfg.items()]
    (repo / "relman.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_webhook_receiver_that_errors_gets_the_post_again_when_it_recovers(
    wired: Services, receiver: HttpReceiver
) -> None:
    receiver.status = 503
    opened = incident_opened(incident_id="INC-2", title="Slow", severity="P2", at=T0)
    _queue(wired, opened)
    first = deliver_pending(notifications=wired.notifications)
    assert {r.channel for r in first.failed} == {"slack", "phone"}
    assert all("answered 503" in (r.last_error or "") for r in first.failed)
    # one post per channel: once a channel fails, the run does not hammer it
    assert (len(receiver.posts_to("/slack")), len(receiver.posts_to("/phone"))) == (1, 1)
    receiver.status = 200
    wired.clock.advance(hours=2)  # type: ignore[attr-defined]
    again = deliver_pending(notifications=wired.notifications)
    assert {r.channel for r in again.sent} >= {"slack", "phone"}
    deliveries = [p.headers["X-Relman-Delivery"] for p in receiver.posts_to("/phone")]
    assert len(deliveries) == 7 and len(set(deliveries)) == 6  # the retry keeps its id


def test_a_webhook_receiver_down_for_longer_than_the_attempts_loses_nothing(
    wired: Services, receiver: HttpReceiver
) -> None:
    receiver.stop()  # really down: the port refuses connections
    opened = incident_opened(incident_id="INC-3", title="Checkout down", severity="P1", at=T0)
    _queue(wired, opened)
    attempts = wired.notifications.policy.retry.max_attempts + 4  # 12 hours of outage
    for _ in range(attempts):
        report = deliver_pending(notifications=wired.notifications)
        hooks = [r for r in report.failed if r.channel in ("slack", "phone")]
        assert hooks and report.dead == []  # an outage never makes a row dead
        assert all("cannot reach the webhook" in (r.last_error or "") for r in hooks)
        wired.clock.advance(hours=1, minutes=15)  # type: ignore[attr-defined]
    with wired.uow_factory() as uow:
        waiting = [r for r in uow.outbox.list() if r.channel in ("slack", "phone")]
    assert {(r.status.value, r.attempts) for r in waiting} == {("failed", attempts)}
    assert receiver.posts == []

    receiver.start()  # back, on the same port
    back = deliver_pending(notifications=wired.notifications)
    assert {r.id for r in back.sent} == {r.id for r in waiting}
    assert (back.failed, back.dead) == ([], [])
    wired.clock.advance(hours=2)  # type: ignore[attr-defined]
    assert deliver_pending(notifications=wired.notifications).sent == []  # nothing twice
    phone = [p.headers["X-Relman-Delivery"] for p in receiver.posts_to("/phone")]
    assert len(phone) == len(set(phone)) == len([r for r in waiting if r.channel == "phone"])
    assert len(receiver.posts_to("/slack")) == 1  # one message for the channel's roles
    assert all(b"INC-3" in p.body for p in receiver.posts)


def test_a_refused_smtp_login_is_dead_at_once_and_never_shows_the_password(
    wired: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELMAN_SMTP_PASSWORD", "wrong-password-123")
    _queue(wired, post_release_summary(_release(), at=T0))
    report = deliver_pending(notifications=wired.notifications)
    mail = [r for r in report.dead if r.channel == "email"]
    assert len(mail) == 8 and report.failed == []
    assert all("RELMAN_SMTP_PASSWORD" in (r.last_error or "") for r in mail)
    assert not any("wrong-password-123" in (r.last_error or "") for r in mail)


def test_notify_test_sends_one_message_or_exits_12(
    *,
    tmp_path: Path,
    smtp_tls: SmtpServer,
    receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _env(monkeypatch, receiver)
    monkeypatch.setenv("RELMAN_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    repo = tmp_path / "repo"
    _write_policy(repo, _channels(tmp_path, smtp_tls, receiver, tls=True))
    assert main(["-C", str(repo), "notify", "test", "--channel", "email", "--to", "parvin"]) == 0
    out = capsys.readouterr().out
    assert "test message sent to parvin over email" in out
    assert f"smtp://relman@127.0.0.1:{smtp_tls.port} (STARTTLS)" in out
    assert SMTP_PASSWORD not in out
    [mail] = smtp_tls.mails
    assert (mail.recipients, mail.subject) == (
        ["parvin@smartdairy.test"],
        "[TEST] Smart Dairy ERP notifications over email",
    )
    smtp_tls.stop()
    code = main(["-C", str(repo), "notify", "test", "--channel", "email", "--to", "parvin"])
    assert code == 12
    assert "cannot send email through 127.0.0.1" in capsys.readouterr().err
    code = main(["-C", str(repo), "notify", "test", "--channel", "pager", "--to", "parvin"])
    assert code == 3
    assert "channel 'pager' is not configured" in capsys.readouterr().err
