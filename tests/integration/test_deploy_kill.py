"""A relman killed with SIGKILL at every step of a deployment, and at every step of a rollback,
leaves a record that `relman deploy resume` (or any deploy/promote/rollback command on the
environment) finishes from: traffic ends on a healthy version, the previous version is kept,
the database matches the version that runs, and no lock or process is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
from app_support import BackgroundLoad, artifacts, pg_dsn  # noqa: F401
from deploy_support import Workspace, step_states, wait_for, workspace_fixture  # noqa: F401

from relman.adapters.targets.local import LocalTarget

# blue-green of 1.1.0 over 1.0.0 with a migration: the steps of the plan, in order
FORWARD = ["install", "backup", "migrate", "start", "smoke", "switch", "verify", "observe"]
ROLLBACK = ["switch", "db_rollback", "stop", "verify"]


@pytest.fixture
def kill_ws(ws: Workspace, pg_dsn: str) -> Iterator[Workspace]:  # noqa: F811
    ws.dsn = pg_dsn
    ws.db_envs = ("dev",)
    ws.env_rules["dev"] = "observation_seconds = 2\n"
    ws.write_config(
        '[verification.migrations]\nrunner = "sample_app"\n\n'
        '[verification.backup]\nenvironments = ["dev"]\nverify = "full"\n\n'
        '[verification.smoke]\nchecks = [{ name = "health", path = "/health" }]\n'
    )
    ws.add_release("R-1", "1.0.0")
    ws.deploy("R-1", "dev", artifact=ws.artifacts.build("1.0.0").path, strategy="blue_green")
    yield ws


def _start_deploy(ws: Workspace, artifact: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "relman", "-C", str(ws.root), "deploy", "R-2", "--env", "dev",
            "--artifact", artifact, "--strategy", "blue_green", "--as", "dipu"]  # fmt: skip
    return subprocess.Popen(
        argv, env=ws.child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )


def _kill_when(ws: Workspace, child: subprocess.Popen[str], phase: str, position: int) -> str:
    """SIGKILL relman as soon as the ``position``-th step of ``phase`` is recorded as started."""

    def started() -> str | None:
        steps = [s for s in step_states(ws, "D-2") if s[1] == phase]
        if len(steps) > position and steps[position][3] != "pending":
            return steps[position][3]
        if child.poll() is not None:
            raise AssertionError(f"relman ended (code {child.returncode}) before the step")
        return None

    state = wait_for(started, timeout=90, interval=0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    return str(state)


def _schema(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT version FROM smart_dairy_schema_migrations ORDER BY 1")
        return [r[0] for r in rows.fetchall()]


def _assert_consistent(ws: Workspace) -> str:
    status = ws.rows("SELECT status FROM deployments WHERE id='D-2'")[0][0]
    assert status in ("succeeded", "rolled_back"), status
    live = "1.1.0" if status == "succeeded" else "1.0.0"
    assert ws.served_version("dev") == live
    assert ws.rows("SELECT count(*) FROM env_locks") == [(0,)]
    assert ws.rows(
        "SELECT count(*) FROM deployments WHERE status IN ('running','rolling_back')"
    ) == [(0,)]
    target = LocalTarget(ws.root / ".relman" / "targets", "dev")
    alive = sorted(i.version for i in target.list_instances() if i.alive)
    # blue-green keeps the previous version warm; a rollback stops the new one
    assert alive == (["1.0.0", "1.1.0"] if status == "succeeded" else ["1.0.0"]), alive
    assert {r.version for r in target.list_installed()} >= {"1.0.0", "1.1.0"}
    assert _schema(ws.dsn or "") == (["1.0.0", "1.1.0"] if status == "succeeded" else ["1.0.0"])
    return status


# How the interrupted deployment is picked up: resume (finish), resume --rollback, or simply the
# next relman command on the environment.
HOW = ["resume", "resume --rollback", "rollback", "resume", "deploy", "resume --rollback",
       "resume", "rollback"]  # fmt: skip


@pytest.mark.parametrize("position", range(len(FORWARD)), ids=FORWARD)
def test_killed_at_every_step_of_a_deployment(kill_ws: Workspace, position: int) -> None:
    ws = kill_ws
    ws.add_release("R-2", "1.1.0")
    art = ws.artifacts.build("1.1.0").path
    state = _kill_when(ws, _start_deploy(ws, art), "forward", position)
    assert [s[2] for s in step_states(ws, "D-2")] == FORWARD
    assert ws.rows("SELECT status FROM deployments WHERE id='D-2'") == [("running",)]
    status = ws.relman("env", "status", "dev", "--no-probe")
    assert "D-2 (1.1.0) was interrupted" in status.stdout, status.stdout + status.stderr
    how = HOW[position]
    if how == "deploy":
        done = ws.relman("deploy", "R-2", "--env", "dev", "--as", "dipu")
    elif how == "rollback":
        done = ws.relman("rollback", "dev", "--reason", "relman died", "--as", "sara")
    else:
        done = ws.relman("deploy", *how.split(), "dev", "--as", "dipu")
    outcome = _assert_consistent(ws)
    expected = "succeeded" if how in ("resume", "deploy") else "rolled_back"
    assert outcome == expected, (state, done.stdout, done.stderr)
    assert done.returncode == (10 if how == "resume --rollback" else 0), done.stdout + done.stderr


@pytest.mark.parametrize("position", range(len(ROLLBACK)), ids=ROLLBACK)
def test_killed_at_every_step_of_a_rollback(kill_ws: Workspace, position: int) -> None:
    ws = kill_ws
    ws.add_release("R-2", "1.1.0")
    bad = ws.artifacts.build("1.1.0", fault="errors=0.5").path
    load = BackgroundLoad(ws.url("dev") + "/inventory?product=milk", total=100_000, workers=2,
                          deadline=90).start()  # fmt: skip
    try:
        state = _kill_when(ws, _start_deploy(ws, bad), "rollback", position)
        assert ws.rows("SELECT status FROM deployments WHERE id='D-2'") == [("rolling_back",)]
        done = ws.relman("deploy", "resume", "dev", "--as", "dipu")
    finally:
        load.total = load.result.sent
        load.finish()
    assert [s[2] for s in step_states(ws, "D-2") if s[1] == "rollback"] == ROLLBACK
    assert _assert_consistent(ws) == "rolled_back", (state, done.stdout, done.stderr)
    assert done.returncode == 10, done.stdout + done.stderr
    assert "rolled back to 1.0.0" in done.stderr
