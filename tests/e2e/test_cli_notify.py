"""`relman notify …` and `relman report notifications` from the command line."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from relman.bootstrap import build_services
from relman.cli.main import main
from relman.domain.releases import Phase, Release

POLICY = """\
[people.parvin]
name = "Parvin PM"
email = "parvin@smartdairy.test"
roles = ["project_manager"]

[notifications]
status_url = "https://status.smartdairy.test"

[notifications.channels.status_page]
kind = "feed"
directory = "public/status"
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    (path / "relman.toml").write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("RELMAN_DATABASE_URL", f"sqlite:///{tmp_path / 'relman.db'}")
    return path


def _plan_release_tomorrow(repo: Path, release_type: str = "major") -> None:
    services = build_services(repo=repo)
    tomorrow = (datetime.now(ZoneInfo("Asia/Dhaka")) + timedelta(days=1)).date()
    with services.uow_factory() as uow:
        uow.releases.add(
            Release(
                id="R-1",
                title="Herd health dashboard",
                release_type=release_type,
                version="2.0.0",
                components=("erp",),
                phase=Phase.TEST,
                planned_by="parvin",
                target_date=tomorrow,
                created_at=datetime.now(ZoneInfo("UTC")) - timedelta(days=40),
                commit_sha=None,
                scope_commits=(),
                scope_tickets=(),
                revision=1,
            )
        )


def _run(repo: Path, *args: str) -> int:
    return main(["-C", str(repo), *args])


def test_notify_due_sends_the_pre_release_notice_and_reports_what_it_could_not(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _plan_release_tomorrow(repo)
    assert _run(repo, "notify", "due", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    queued = {(q["recipient"], q["channel"]) for q in result["queued"]}
    assert ("parvin", "email") in queued and ("end_customers", "status_page") in queued
    assert [s["recipient"] for s in result["sent"]] == ["end_customers"]
    dead = {d["recipient"]: d["last_error"] for d in result["dead"]}
    assert "channel 'email' is not configured" in dead["parvin"]
    unreachable = {
        q["recipient"]: q["last_error"] for q in result["queued"] if q["status"] == "dead"
    }
    assert "nobody with role 'cto' can be reached by email" in unreachable["cto"]

    feed = json.loads((repo / "public/status/status.json").read_text(encoding="utf-8"))
    [item] = feed["items"]
    assert item["title"].startswith("Scheduled maintenance: Smart Dairy ERP v2.0.0 on ")

    assert _run(repo, "notify", "due", "--json") == 0  # nothing new: queued once
    assert json.loads(capsys.readouterr().out)["queued"] == []


def test_report_notifications_shows_compliance_and_lists_the_misses(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(repo, "report", "notifications") == 0
    assert "no required notification is due yet" in capsys.readouterr().out

    _plan_release_tomorrow(repo, release_type="minor")  # no status page for minor releases
    _plan = _run(repo, "notify", "due")
    assert _plan == 0
    capsys.readouterr()
    assert _run(repo, "report", "notifications", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["percent"], report["target"], report["met"]) == (0.0, 100.0, False)
    assert report["required"] == report["missed"] == 8
    assert {m["recipient"] for m in report["misses"]} >= {"parvin", "cto", "qa_lead"}

    assert _run(repo, "report", "notifications") == 0
    text = capsys.readouterr().out
    assert "notification compliance: 0.0% (target 100%): 0 of 8 required" in text
    assert "parvin" in text.lower() or "Parvin PM" in text

    assert _run(repo, "report", "notifications", "--check") == 1
    assert "notification compliance 0.0% is below 100%" in capsys.readouterr().err
    assert _run(repo, "report", "notifications", "--since", "yesterday") == 4
    assert "expected YYYY-MM-DD (--since)" in capsys.readouterr().err


def test_notify_log_and_pending_list_the_outbox(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(repo, "notify", "log") == 0
    assert "no notifications recorded" in capsys.readouterr().out
    _plan_release_tomorrow(repo)
    assert _run(repo, "notify", "due") == 0
    out = capsys.readouterr().out
    assert "queued 9 scheduled notifications, 7 undeliverable" in out
    assert "dead #1 pre_release -> cto over email: nobody with role 'cto'" in out
    assert "1 sent" in out and "1 dead" in out
    assert _run(repo, "notify", "log", "--status", "sent", "--json") == 0
    [sent] = json.loads(capsys.readouterr().out)
    assert (sent["event"], sent["recipient"], sent["on_time"]) == (
        "pre_release",
        "end_customers",
        False,
    )
    assert _run(repo, "notify", "pending", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert _run(repo, "notify", "retry", "--all") == 12  # email is still not configured
    assert "channel 'email' is not configured" in capsys.readouterr().out
