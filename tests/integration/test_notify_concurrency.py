# ruff: noqa: F811  (pytest fixtures are imported from notify_support and requested by name)
"""Several `relman notify retry` processes at once, after an outage, on SQLite and PostgreSQL:
every queued mail is sent exactly once (claims are conditional on the attempt count)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from notify_support import SmtpServer, smtp_later  # noqa: F401  (fixtures)

from relman.bootstrap import build_services
from relman.domain.notification_events import deployment_completed, deployment_started
from relman.domain.releases import Phase, Release
from relman.services.notification_delivery import deliver_quietly
from relman.services.notifications import queue_notifications

ROLES = (
    "cto", "project_manager", "devops_lead", "tech_lead", "qa_lead", "product_owner",
    "business_users", "support_team",
)  # fmt: skip


def _policy(repo: Path, smtp: SmtpServer) -> None:
    lines = []
    for role in ROLES:
        lines += [f"[people.{role}]", f'name = "{role}"', f'email = "{role}@smartdairy.test"']
        lines.append(f'roles = ["{role}"]')
    lines += [
        "[notifications.routes.end_customers]",
        "release_notification = []",
        "deployment_window = []",
        "[notifications.channels.email]",
        'kind = "smtp"',
        'host = "127.0.0.1"',
        f"port = {smtp.port}",
    ]
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "relman.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_concurrent_deliverers_send_each_queued_mail_exactly_once(
    tmp_path: Path,
    database_url: str,
    smtp_later: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELMAN_DATABASE_URL", database_url)
    repo = tmp_path / "repo"
    _policy(repo, smtp_later)
    services = build_services(repo=repo)
    now = services.clock.now()
    release = Release(
        id="R-1", title="t", release_type="minor", version="1.4.0", components=(),
        phase=Phase.DEPLOY, planned_by="cto", target_date=now.date(),
        created_at=now - timedelta(days=9), commit_sha=None, scope_commits=(),
        scope_tickets=(), revision=1,
    )  # fmt: skip
    with services.uow_factory() as uow:
        uow.releases.add(release)
        for n in range(3):  # three deployments, 24 mails
            for event in (
                deployment_started(release, environment="prod", at=now, deployment_id=f"D{n}"),
                deployment_completed(
                    release, environment="prod", at=now, succeeded=True, deployment_id=f"D{n}"
                ),
            ):
                queue_notifications(uow, event, notifications=services.notifications)
    report = deliver_quietly(notifications=services.notifications)  # the server is down
    assert report is not None and len(report.failed) == 48
    services.store.dispose()  # type: ignore[attr-defined]

    smtp_later.start()
    env = {**os.environ, "RELMAN_DATABASE_URL": database_url}
    argv = [sys.executable, "-m", "relman", "-C", str(repo), "notify", "retry"]
    procs = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
        outputs.append((proc.returncode, out, err))
    assert [code for code, _, _ in outputs] == [0, 0, 0, 0], outputs

    sent = Counter((m.recipients[0], m.message["Message-ID"]) for m in smtp_later.mails)
    assert len(sent) == 48  # 8 people x 6 messages
    assert set(sent.values()) == {1}  # nobody got anything twice
    started = datetime.now(UTC)
    assert started > now
