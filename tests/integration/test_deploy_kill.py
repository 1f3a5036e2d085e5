"""A relman killed with SIGKILL at every step of a deployment, and at every step of a rollback,
leaves a record that `relman deploy resume` (or any deploy/promote/rollback command on the
environment) finishes from: traffic ends on a healthy version, the previous version is kept,
the database matches the version that runs, and no lock or process is left behind.

One workspace per test; each kill is a new deployment on top of what the last one left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
from app_support import BackgroundLoad, artifacts, pg_dsn  # noqa: F401
from deploy_support import (  # noqa: F401
    Workspace,
    list_strays,
    step_states,
    wait_for,
    workspace_fixture,
)

from relman.adapters.targets.local import LocalTarget

# blue-green with a migration: the kinds of the plan's steps (a "stop" of an older warm
# instance comes after "install" once there is one)
FORWARD = ["install", "backup", "migrate", "start", "smoke", "switch", "verify", "observe"]
ROLLBACK = ["switch", "db_rollback", "stop", "verify"]
# how the interrupted deployment is picked up: resume (finish), resume --rollback, or simply
# the next relman command on the environment
HOW = ["resume", "resume --rollback", "rollback", "resume", "deploy", "resume --rollback",
       "resume", "rollback"]  # fmt: skip


@pytest.fixture
def kill_ws(ws: Workspace, pg_dsn: str) -> Iterator[Workspace]:  # noqa: F811
    ws.dsn = pg_dsn
    ws.db_envs = ("dev",)
    ws.write_config(
        '[verification.migrations]\nrunner = "sample_app"\n\n'
        '[verification.backup]\nenvironments = ["dev"]\nverify = "full"\n\n'
        '[verification.smoke]\nchecks = [{ name = "health", path = "/health" }]\n'
    )
    ws.add_release("R-1", "1.0.0")
    ws.deploy("R-1", "dev", artifact=ws.artifacts.build("1.0.0").path, strategy="blue_green")
    # the lighter verification from now on (a full one restores into a scratch database; the
    # first backup, of an empty database, has nothing a listing could check)
    ws.write_config(ws.extra_toml.replace('verify = "full"', 'verify = "list"'))
    yield ws


def _start_deploy(ws: Workspace, release_id: str, artifact: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "relman", "-C", str(ws.root), "deploy", release_id, "--env",
            "dev", "--artifact", artifact, "--strategy", "blue_green", "--as", "dipu"]  # fmt: skip
    return subprocess.Popen(
        argv, env=ws.child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )


def _kill_when(
    ws: Workspace, child: subprocess.Popen[str], dep_id: str, phase: str, kind: str
) -> str:
    """SIGKILL relman as soon as the first ``kind`` step of ``phase`` is recorded as started."""

    def started() -> str | None:
        steps = [s for s in step_states(ws, dep_id) if s[1] == phase and s[2] == kind]
        if steps and steps[0][3] != "pending":
            return steps[0][3]
        if child.poll() is not None:
            raise AssertionError(f"relman ended (code {child.returncode}) before {kind}")
        return None

    state = wait_for(started, timeout=90, interval=0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    return str(state)


def _schema(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT version FROM smart_dairy_schema_migrations ORDER BY 1")
        return [r[0] for r in rows.fetchall()]


def _assert_consistent(ws: Workspace, dep_id: str, new: str, previous: str) -> str:
    status = ws.rows("SELECT status FROM deployments WHERE id=?", dep_id)[0][0]
    assert status in ("succeeded", "rolled_back"), status
    live = new if status == "succeeded" else previous
    assert ws.served_version("dev") == live
    assert ws.rows("SELECT count(*) FROM env_locks") == [(0,)]
    open_ = "SELECT count(*) FROM deployments WHERE status IN ('running','rolling_back')"
    assert ws.rows(open_) == [(0,)]
    target = LocalTarget(ws.root / ".relman" / "targets", "dev")
    alive = [i.version for i in target.list_instances() if i.alive]
    assert live in alive and len(alive) == len(set(alive)) <= 2, alive
    if status == "succeeded":
        assert previous in alive  # blue-green keeps the previous version warm
    else:
        assert new not in alive  # the rollback stopped the new version
    assert {r.version for r in target.list_installed()} >= {previous, live}
    assert list_strays(ws) == []  # every process is recorded (and will be stopped)
    expected = ["1.0.0", "1.1.0"] if live >= "1.1.0" else ["1.0.0"]
    assert _schema(ws.dsn or "") == expected
    return str(status)


def test_killed_at_every_step_of_a_deployment(kill_ws: Workspace) -> None:
    ws, live = kill_ws, "1.0.0"
    for n, (kind, how) in enumerate(zip(FORWARD, HOW, strict=True)):
        release_id, dep_id, version = f"R-{n + 2}", f"D-{n + 2}", f"1.1.{n}"
        ws.add_release(release_id, version)
        child = _start_deploy(ws, release_id, ws.artifacts.build(version).path)
        state = _kill_when(ws, child, dep_id, "forward", kind)
        assert ws.rows("SELECT status FROM deployments WHERE id=?", dep_id) == [("running",)]
        if n == 0:
            shown = ws.relman("env", "status", "dev", "--no-probe")
            assert f"{dep_id} ({version}) was interrupted" in shown.stdout, shown.stderr
        if how == "deploy":
            done = ws.relman("deploy", release_id, "--env", "dev", "--as", "dipu")
        elif how == "rollback":
            done = ws.relman("rollback", "dev", "--reason", "relman died", "--as", "sara")
        else:
            done = ws.relman("deploy", *how.split(), "dev", "--as", "dipu")
        context = (kind, how, state, done.stdout, done.stderr)
        outcome = _assert_consistent(ws, dep_id, version, live)
        assert outcome == ("succeeded" if how in ("resume", "deploy") else "rolled_back"), context
        assert done.returncode == (10 if how == "resume --rollback" else 0), context
        live = version if outcome == "succeeded" else live


def test_killed_at_every_step_of_a_rollback(kill_ws: Workspace) -> None:
    """A bad build (50 % errors) takes traffic, monitoring rolls it back, and relman is killed
    during that rollback; `relman deploy resume` finishes it."""
    ws = kill_ws
    ws.env_rules["dev"] = "observation_seconds = 2\n"  # long enough to see the error rate
    ws.write_config(ws.extra_toml)
    load = BackgroundLoad(ws.url("dev") + "/inventory?product=milk", total=1_000_000, workers=1,
                          deadline=300).start()  # fmt: skip
    try:
        for n, kind in enumerate(ROLLBACK):
            release_id, dep_id, version = f"R-{n + 2}", f"D-{n + 2}", f"1.1.{n + 1}"
            ws.add_release(release_id, version)
            bad = ws.artifacts.build(version, fault="errors=0.5").path
            state = _kill_when(ws, _start_deploy(ws, release_id, bad), dep_id, "rollback", kind)
            assert ws.rows("SELECT status FROM deployments WHERE id=?", dep_id) == [
                ("rolling_back",)
            ]
            done = ws.relman("deploy", "resume", "dev", "--as", "dipu")
            kinds = [s[2] for s in step_states(ws, dep_id) if s[1] == "rollback"]
            assert kinds == ROLLBACK, kinds
            context = (kind, state, done.stdout, done.stderr)
            assert _assert_consistent(ws, dep_id, version, "1.0.0") == "rolled_back", context
            assert done.returncode == 10 and "rolled back to 1.0.0" in done.stderr, context
    finally:
        load.total = load.result.sent
        load.finish()
