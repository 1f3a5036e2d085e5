"""`relman demo` end to end, headless: the proof that the whole J-003 plan runs on this machine.

One real run (subprocess, ``--json``, in a temporary workspace, its own PostgreSQL databases)
is shared by the tests below; each checks an outcome a user sees: what runs where, the rollback
with its measured time, the mail the SMTP sink received (read from the sink's files, not from
relman's own report), the audit chain (verified again with ``relman audit verify``), the git
tags and notes, and that no process is left running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from relman.adapters.processes import is_running

HOTFIX = "1.2.1-hotfix.1"
STAKEHOLDER_EMAILS = {
    f"{p}@smartdairy.test"
    for p in ("farhana", "parvin", "dipu", "tanvir", "qamrul", "popy", "kamal", "lamia")
}


def _drop_databases(prefix: str) -> None:
    try:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=3
        ) as conn:
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{prefix}_%",)
                ).fetchall()
            ]
            for name in names:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    except Exception:  # PostgreSQL absent: the demo made no database
        return


def _run_demo(workspace: Path, **extra_env: str) -> dict[str, Any]:
    prefix = f"relman_demo_t{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "RELMAN_DEMO_DB_PREFIX": prefix, "NO_COLOR": "1", **extra_env}
    env.pop("RELMAN_CONFIG", None)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "relman", "demo", "--workspace", str(workspace), "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )
    finally:
        _drop_databases(prefix)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    summary: dict[str, Any] = json.loads(proc.stdout)
    return summary


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    workspace = tmp_path_factory.mktemp("demo") / "relman-demo"
    return workspace, _run_demo(workspace)


def _skipped(summary: dict[str, Any]) -> set[str]:
    return {s["feature"] for s in summary["skipped"]}


def test_every_stage_completes_or_says_why_it_was_skipped(demo: Any) -> None:
    _, summary = demo
    assert summary["ok"] is True
    statuses = {s["id"]: s["status"] for s in summary["stages"]}
    assert all(status != "failed" for status in statuses.values()), statuses
    for stage in summary["stages"]:
        if stage["status"] == "skipped":
            assert stage["reason"], stage
    must_run = ("workspace", "plan", "release-start", "build", "dev", "qa", "staging")
    assert all(statuses[s] == "ok" for s in must_run)
    assert statuses["canary"] == ("skipped" if "nginx" in _skipped(summary) else "ok")


def test_the_lead_time_check_refused_a_target_too_soon(demo: Any) -> None:
    _, summary = demo
    assert "shorter than 1 week" in summary["lead_time_refusal"]
    assert summary["release"] == {"id": "R-1", "version": "1.2.0", "type": "minor"}


def test_versions_deployed_per_environment(demo: Any) -> None:
    _, summary = demo
    assert summary["versions"] == dict.fromkeys(("dev", "qa", "staging", "prod"), HOTFIX)
    done = {(d["release"], d["environment"]): d["status"] for d in summary["deployments"]}
    for env in ("dev", "qa", "staging", "prod"):
        assert done[("R-1", env)] == "succeeded"
        assert done[("R-3", env)] == "succeeded"
    prod = [d for d in summary["deployments"] if d["environment"] == "prod"]
    first = prod[0]
    assert (first["version"], first["strategy"]) == ("1.2.0", "blue_green")


def test_the_bad_canary_was_rolled_back_automatically_with_its_time_measured(demo: Any) -> None:
    _, summary = demo
    if "nginx" in _skipped(summary):
        pytest.skip("nginx is not installed: the demo skips the canary and says so")
    rollback = summary["rollback"]
    assert rollback["automatic"] is True
    assert (rollback["from_version"], rollback["to_version"]) == ("1.2.1", "1.2.0")
    assert rollback["severity"] == "critical"
    assert "error_rate" in rollback["threshold"]
    assert isinstance(rollback["seconds"], float)
    assert rollback["seconds"] > 0
    assert summary["canary_traffic"]["requests"] > 0


def test_the_smtp_sink_received_the_notifications_per_recipient(demo: Any) -> None:
    workspace, summary = demo
    lines = (workspace / "mail" / "index.jsonl").read_text(encoding="utf-8").splitlines()
    mail = [json.loads(line) for line in lines]
    per_recipient = Counter(rcpt for m in mail for rcpt in m["to"])
    assert set(per_recipient) >= STAKEHOLDER_EMAILS
    subjects = Counter(m["subject"] for m in mail)
    assert subjects["[DEPLOYMENT COMPLETE] Smart Dairy ERP v1.2.0"] == 8
    assert any(s.startswith("[ACTION REQUIRED] Smart Dairy ERP Release v1.2.0") for s in subjects)
    assert any("rolled back" in s for s in subjects) or "nginx" in _skipped(summary)
    assert any(s.startswith("[URGENT] Smart Dairy ERP Production Issue") for s in subjects)
    for m in mail:
        assert (workspace / "mail" / m["file"]).is_file()
    assert summary["notifications"]["delivered_by_recipient"] == dict(sorted(per_recipient.items()))
    assert summary["notifications"]["compliance"]["missed"] == 0


def test_the_audit_chain_is_valid(demo: Any) -> None:
    workspace, summary = demo
    assert summary["audit"]["ok"] is True
    assert summary["audit"]["actions"]["deployment.rollback"] >= 1 or "nginx" in _skipped(summary)
    proc = subprocess.run(
        [sys.executable, "-m", "relman", "-C", str(workspace / "repo"), "audit", "verify"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"audit chain OK: {summary['audit']['checked']} entries" in proc.stdout


def test_git_has_the_release_and_hotfix_tags_and_notes(demo: Any) -> None:
    workspace, _ = demo
    repo = workspace / "repo"
    tags = subprocess.run(
        ["git", "tag", "--list"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.split()
    assert {"v1.1.0", "farm-v1.1.0", "b2b-v1.1.0", "v1.2.0", f"v{HOTFIX}"} <= set(tags)
    notes = repo / "docs" / "releases" / "release-notes-v1.2.0.md"
    text = notes.read_text(encoding="utf-8")
    assert "SD-120" in text
    assert "003_1.2.0.sql" in text


def test_nothing_is_left_running(demo: Any) -> None:
    workspace, summary = demo
    assert summary["stopped"], "the demo stops the instances and nginx it started"
    for state in Path(workspace / "targets").rglob("run/*.json"):
        data = json.loads(state.read_text())
        assert not is_running(int(data["pid"]), data.get("start_ticks")), state
    for pid_file in Path(workspace / "targets").rglob("logs/nginx.pid"):
        assert not is_running(int(pid_file.read_text().strip())), pid_file


def test_without_nginx_and_postgresql_it_says_what_it_skipped_and_completes(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "relman-demo"
    summary = _run_demo(
        workspace,
        RELMAN_DEMO_NGINX="none",
        RELMAN_DEMO_POSTGRES="postgresql://nobody@127.0.0.1:1/postgres",
    )
    assert summary["ok"] is True
    reasons = {s["feature"]: s["reason"] for s in summary["skipped"]}
    assert "not reachable" in reasons["postgresql"]
    assert "not zero-downtime" in reasons["nginx"]
    canary = next(s for s in summary["stages"] if s["id"] == "canary")
    assert (canary["status"], canary["reason"]) == (
        "skipped",
        "a canary needs weighted routes, which need nginx",
    )
    assert summary["databases"] == {}
    assert summary["versions"] == dict.fromkeys(("dev", "qa", "staging", "prod"), HOTFIX)
    assert summary["audit"]["ok"] is True
    assert summary["notifications"]["emails_received"] > 0
