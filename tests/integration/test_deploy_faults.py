"""Bad input and faults (issue 5 §8): each ends in a clear error and a consistent state: traffic
on a healthy version, the previous version kept, nothing lost. Real processes, real nginx, real
PostgreSQL, real HTTP; the CLI is driven in-process through `relman.cli.main.main`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from app_support import BackgroundLoad, artifacts, pg_dsn  # noqa: F401
from deploy_support import Workspace, deployment_status, wait_for, workspace_fixture  # noqa: F401

from relman.adapters.targets.local import LocalTarget
from relman.cli.main import main
from relman.errors import DeploymentFailedError
from relman.services.retrospectives import new_retrospective


def relman(ws: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(ws.root), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def schema_versions(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT version FROM smart_dairy_schema_migrations ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def has_column(dsn: str, table: str, column: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name=%s AND column_name=%s",
            (table, column),
        ).fetchone()
    return row is not None


def running_versions(ws: Workspace, env: str) -> set[str]:
    target = LocalTarget(ws.root / ".relman" / "targets", env)
    return {i.version for i in target.list_instances() if i.alive}


@pytest.fixture
def db_ws(ws: Workspace, pg_dsn: str) -> Iterator[Workspace]:  # noqa: F811
    """dev has a PostgreSQL database, migrated by the sample app's migrator, backed up first."""
    ws.dsn = pg_dsn
    ws.db_envs = ("dev",)
    ws.write_config(
        '[verification.migrations]\nrunner = "sample_app"\n\n'
        '[verification.backup]\nenvironments = ["dev"]\nverify = "full"\n'
    )
    yield ws


def _first(ws: Workspace, env: str = "dev") -> None:
    ws.add_release("R-1", "1.0.0")
    ws.deploy("R-1", env, strategy="blue_green", artifact=ws.artifacts.build("1.0.0").path)
    assert ws.served_version(env) == "1.0.0"


def test_an_unknown_environment(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    ws.add_release("R-1", "1.0.0")
    code, _, err = relman(ws, capsys, "deploy", "R-1", "--env", "uat", "--as", "dipu")
    assert code == 5
    assert "unknown environment 'uat' (known: dev, qa, staging, prod)" in err
    assert ws.rows("SELECT count(*) FROM deployments") == [(0,)]


def test_a_promotion_that_skips_an_environment(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    _first(ws)
    code, _, err = relman(ws, capsys, "promote", "R-1", "--to", "staging", "--as", "dipu")
    assert code == 7, err
    assert "must not skip an environment: R-1 has not passed qa (passed: dev" in err
    assert ws.rows("SELECT count(*) FROM deployments WHERE environment='staging'") == [(0,)]
    assert ws.served_version("staging") is None and ws.served_version("dev") == "1.0.0"


def test_an_incompatible_component_set_shows_the_row_it_breaks(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws.add_release("R-1", "2.0.1", components=("core",))
    ws.deploy("R-1", "dev", artifact=ws.artifacts.build("2.0.1").path, strategy="blue_green")
    ws.add_release("R-2", "1.1.0", components=("farm",))
    art = ws.artifacts.build("1.1.0").path
    code, _, err = relman(
        ws, capsys, "deploy", "R-2", "--env", "dev", "--artifact", art, "--as", "dipu"
    )
    assert code == 7, err
    assert "incompatible component versions (core 2.0.1, farm 1.1.0)" in err
    assert 'row 2 "Phase 1 Enhancement": core 1.1.x, farm 1.1.x' in err
    assert ws.served_version("dev") == "2.0.1"


def test_a_failing_backup_means_no_migration(db_ws: Workspace) -> None:
    ws = db_ws
    _first(ws)
    assert schema_versions(ws.dsn or "") == ["1.0.0"]
    ws.add_release("R-2", "1.1.0")
    ws.write_config(ws.extra_toml.replace('verify = "full"', 'bin_dir = "/nonexistent/pgbin"'))
    with pytest.raises(DeploymentFailedError, match="back up the database"):
        ws.deploy("R-2", "dev", artifact=ws.artifacts.build("1.1.0").path)
    assert schema_versions(ws.dsn or "") == ["1.0.0"]  # never migrated
    assert ws.served_version("dev") == "1.0.0"
    assert running_versions(ws, "dev") == {"1.0.0"}
    assert ws.rows("SELECT status FROM deployments WHERE release_id='R-2'") == [("rolled_back",)]
    assert ws.rows("SELECT count(*) FROM env_locks") == [(0,)]


def test_a_failing_migration_is_undone_and_traffic_stays(db_ws: Workspace) -> None:
    ws = db_ws
    _first(ws)
    ws.add_release("R-2", "1.1.0")
    bad = ws.artifacts.build("1.1.0", fault="failing-migration").path
    with pytest.raises(DeploymentFailedError, match="migrate the database") as err:
        ws.deploy("R-2", "dev", artifact=bad, strategy="blue_green")
    assert err.value.exit_code == 10
    assert ws.served_version("dev") == "1.0.0"
    assert schema_versions(ws.dsn or "") == ["1.0.0"]
    assert not has_column(ws.dsn or "", "milk_production", "quality_score")
    steps = ws.rows(
        "SELECT kind, s.status, outcome FROM deployment_steps s JOIN deployments d "
        "ON d.id = s.deployment_id WHERE d.release_id='R-2' AND phase='rollback'"
    )
    assert ("db_rollback", "done") in [(k, s) for k, s, _ in steps]
    backups = ws.rows("SELECT verified, size FROM backups")
    assert backups and all(v for v, _ in backups)


def test_a_target_that_never_becomes_healthy(ws: Workspace) -> None:
    ws.env_rules["dev"] = ""
    ws.write_config()
    _first(ws)
    config = ws.config_text().replace("start_timeout = 20", "start_timeout = 3")
    (ws.root / "relman.toml").write_text(config, encoding="utf-8")
    ws.add_release("R-2", "1.1.0")
    bad = ws.artifacts.build("1.1.0", fault="never-healthy").path
    with pytest.raises(DeploymentFailedError, match="not healthy after 3s"):
        ws.deploy("R-2", "dev", artifact=bad, strategy="blue_green")
    assert ws.served_version("dev") == "1.0.0"
    assert running_versions(ws, "dev") == {"1.0.0"}


def test_an_nginx_config_that_fails_nginx_t(ws: Workspace) -> None:
    _first(ws)
    ws.env_rules["dev"] = ""
    config = ws.config_text().replace(
        "start_timeout = 20\n", 'start_timeout = 20\nserver_snippet = "bogus_directive on;"\n', 1
    )
    (ws.root / "relman.toml").write_text(config, encoding="utf-8")
    ws.add_release("R-2", "1.1.0")
    with pytest.raises(DeploymentFailedError, match=r'nginx -t refused.*"bogus_directive"'):
        ws.deploy("R-2", "dev", artifact=ws.artifacts.build("1.1.0").path, strategy="blue_green")
    assert ws.served_version("dev") == "1.0.0"
    assert running_versions(ws, "dev") == {"1.0.0"}
    assert (ws.root / ".relman/targets/dev/nginx/nginx.conf.rejected").is_file()


def test_one_deployment_per_environment_names_the_lock_holder(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    _first(ws)
    ws.env_rules["dev"] = "observation_seconds = 6\n"
    ws.write_config()
    ws.add_release("R-2", "1.1.0")
    art = ws.artifacts.build("1.1.0").path
    child = subprocess.Popen(
        [sys.executable, "-m", "relman", "-C", str(ws.root), "deploy", "R-2", "--env", "dev",
         "--artifact", art, "--strategy", "blue_green", "--as", "rana"],
        env=ws.child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: ws.rows("SELECT holder, deployment_id FROM env_locks"), timeout=60)
        code, _, err = relman(ws, capsys, "deploy", "R-2", "--env", "dev", "--as", "dipu")
        assert code == 6, err
        assert (
            "one deployment per environment at a time: rana holds the dev lock for deployment D-2"
            in err
        )
    finally:
        output, _ = child.communicate(timeout=120)
    assert child.returncode == 0, output
    assert ws.served_version("dev") == "1.1.0"


def test_a_bad_version_is_caught_before_it_takes_traffic(ws: Workspace) -> None:
    _first(ws)
    ws.add_release("R-2", "1.1.0")
    load = BackgroundLoad(ws.url("dev") + "/inventory?product=milk", total=50_000, workers=4,
                          deadline=60).start()  # fmt: skip
    load.wait_sent(20)
    try:
        with pytest.raises(DeploymentFailedError, match="failed before it took traffic"):
            ws.deploy("R-2", "dev", artifact=ws.artifacts.build("1.1.0", fault="errors=0.5").path,
                      strategy="blue_green")  # fmt: skip
    finally:
        load.total = load.result.sent
        result = load.finish()
    assert result.failures == [] and set(result.versions) == {"1.0.0"}
    assert running_versions(ws, "dev") == {"1.0.0"}


def test_a_bad_version_is_rolled_back_automatically_under_load(ws: Workspace) -> None:
    """The smoke suite only checks /health, so the bad build (50 % errors) takes traffic;
    monitoring sees the error rate over 1 % and rolls back on its own (J-003 §9.1 critical)."""
    ws.env_rules["prod"] = "observation_seconds = 5\n"
    ws.write_config('[verification.smoke]\nchecks = [{ name = "health", path = "/health" }]\n')
    ws.add_release("R-1", "1.0.0", release_type="hotfix")
    ws.add_release("R-2", "1.1.0", release_type="hotfix")
    _walk(ws, "R-1", ws.artifacts.build("1.0.0").path)
    bad = ws.artifacts.build("1.1.0", fault="errors=0.5").path
    for env in ("dev", "qa", "staging"):
        ws.deploy("R-2", env, artifact=bad if env == "dev" else None, strategy="blue_green")
    with ws.services().uow_factory() as uow:  # the release is in DEPLOY when it reaches prod
        assert uow.releases.get("R-2").phase.value == "DEPLOY"
    load = BackgroundLoad(ws.url("prod") + "/inventory?product=milk", total=100_000, workers=4,
                          deadline=90).start()  # fmt: skip
    load.wait_sent(20)
    try:
        with pytest.raises(DeploymentFailedError, match=r"rolled back to 1\.0\.0") as err:
            ws.deploy("R-2", "prod", strategy="blue_green")
        after = load.result.sent
        wait_for(lambda: load.result.sent > after + 100, timeout=30)
    finally:
        load.total = load.result.sent
        result = load.finish()
    transport = [f for f in result.failures if not f.startswith("HTTP 500")]
    assert transport == [], transport[:5]  # no refused, reset or proxy (502/503/504) answers
    assert result.statuses.keys() <= {200, 500}
    assert result.versions["1.1.0"] > 0 and result.versions["1.0.0"] > 0
    assert ws.served_version("prod") == "1.0.0"
    rollback: dict[str, Any] = err.value.details["rollback"]
    assert rollback["automatic"] is True and rollback["severity"] == "critical"
    assert rollback["threshold"].startswith("error_rate > 1%")
    assert rollback["from_version"] == "1.1.0" and rollback["to_version"] == "1.0.0"
    assert rollback["duration_seconds"] >= 0 and rollback["detection_seconds"] >= 0
    with ws.services().uow_factory() as uow:
        assert uow.releases.get("R-2").phase.value == "ROLLED_BACK"
        ticked = {i.item_id for i in uow.checklists.list("R-2", checklist_id="9.4") if i.is_ticked}
    assert {"9.4-1", "9.4-3", "9.4-5", "9.4-6"} <= ticked
    assert {"rolled_back", "rolled_back:production"} <= ws.events("R-2")
    told = {r[0] for r in ws.rows("SELECT event_type FROM notification_outbox WHERE subject='R-2'")}
    assert {"deployment_started", "rollback"} <= told  # §11.2, routed by the §11.1 matrix
    # the retrospective measures the downtime: from the trigger to traffic back (§14.4)
    retro = new_retrospective(ws.services().retrospectives, release_id="R-2", actor="rana")
    measured = retro.metrics["downtime_measured"]
    assert isinstance(measured, dict) and retro.metrics["downtime_source"] == "measured"
    assert [(s["deployment"], s["cause"]) for s in measured["spans"]] == [
        (err.value.details["deployment"], "failure until traffic was restored")
    ]
    assert measured["spans"][0]["seconds"] == pytest.approx(rollback["duration_seconds"], abs=0.01)
    assert retro.metrics["downtime_minutes"] == round(measured["spans"][0]["seconds"] / 60, 2)
    assert "- Rollback Required: YES\n" in retro.content


def _walk(ws: Workspace, release_id: str, artifact: str) -> None:
    for env in ("dev", "qa", "staging", "prod"):
        ws.deploy(
            release_id, env, artifact=artifact if env == "dev" else None, strategy="blue_green"
        )


def test_a_manual_rollback_and_env_status(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    _first(ws)
    ws.add_release("R-2", "1.1.0")
    ws.deploy("R-2", "dev", artifact=ws.artifacts.build("1.1.0").path, strategy="blue_green")
    code, out, _ = relman(ws, capsys, "env", "status", "--json")
    assert code == 0
    assert '"version": "1.1.0"' in out and '"health": "ok"' in out
    code, out, err = relman(ws, capsys, "rollback", "dev", "--reason", "users report slowness",
                            "--as", "sara")  # fmt: skip
    assert code == 0, err
    assert "dev runs 1.0.0" in out
    assert ws.served_version("dev") == "1.0.0"
    record = ws.rows("SELECT status, rollback FROM deployments WHERE release_id='R-2'")
    assert record[0][0] == "rolled_back" and '"automatic": false' in record[0][1]
    assert '"reason": "users report slowness"' in record[0][1]
    code, out, _ = relman(ws, capsys, "env", "status", "dev", "--json", "--no-probe")
    assert '"version": "1.0.0"' in out
    code, _, err = relman(ws, capsys, "rollback", "dev", "--as", "sara")
    assert code == 6 and "first deployment of dev" in err
    assert deployment_status(ws, "D-1") == "succeeded"


def test_dry_run_records_the_plan_and_runs_nothing(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws.add_release("R-1", "1.0.0")
    art = ws.artifacts.build("1.0.0").path
    code, out, err = relman(ws, capsys, "deploy", "R-1", "--env", "dev", "--artifact", art,
                            "--strategy", "canary", "--dry-run", "--as", "dipu")  # fmt: skip
    assert code == 0, err
    assert "canary blue: 100% of the traffic" in out and "dry run" in out
    assert ws.rows("SELECT status, strategy FROM deployments") == [("dry_run", "canary")]
    assert ws.served_version("dev") is None
    code, out, _ = relman(ws, capsys, "deploy", "show", "D-1", "--json")
    assert code == 0 and '"status": "dry_run"' in out


def test_outside_the_deployment_window_nothing_is_deployed(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    start = (datetime.now(ZoneInfo("Asia/Dhaka")).hour + 6) % 22  # hours away from now
    window = f"Daily {start:02d}:00-{start + 1:02d}:00"
    config = ws.config_text().replace(
        "[windows]\nenvironments = {}\n", f'[windows.environments.dev]\nprimary = ["{window}"]\n'
    )
    (ws.root / "relman.toml").write_text(config, encoding="utf-8")
    ws.add_release("R-1", "1.0.0")
    art = ws.artifacts.build("1.0.0").path
    code, _, err = relman(
        ws, capsys, "deploy", "R-1", "--env", "dev", "--artifact", art, "--as", "dipu"
    )
    assert code == 7, err
    assert "is outside the dev deployment windows" in err and "next open window" in err
    assert ws.rows("SELECT count(*) FROM deployments") == [(0,)]


def test_without_a_reverse_migration_the_backup_is_restored(
    ws: Workspace,
    pg_dsn: str,  # noqa: F811
) -> None:
    """A migration command with no reverse: the rollback restores the pre-migration backup."""
    migrate = (
        f"{sys.executable} -m smart_dairy_app.migrate --dsn {pg_dsn} && "
        f'psql -q {pg_dsn} -c "CREATE TABLE probe_$(tr . _ < VERSION) (id int)"'
    )
    ws.dsn, ws.db_envs = pg_dsn, ("dev",)
    ws.write_config(
        '[verification.migrations]\nrunner = "command"\n'
        f'command = ["sh", "-c", {json.dumps(migrate)}]\n\n'
        '[verification.backup]\nenvironments = ["dev"]\n'
    )
    _first(ws)
    (ws.root / "relman.toml").write_text(
        ws.config_text().replace("start_timeout = 20", "start_timeout = 3"), encoding="utf-8"
    )
    ws.add_release("R-2", "1.1.0")
    with pytest.raises(DeploymentFailedError, match="not healthy after 3s"):
        ws.deploy("R-2", "dev", artifact=ws.artifacts.build("1.1.0", fault="never-healthy").path,
                  strategy="blue_green")  # fmt: skip
    with psycopg.connect(pg_dsn) as conn:
        tables = {
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
    assert "probe_1_0_0" in tables and "probe_1_1_0" not in tables
    assert schema_versions(pg_dsn) == ["1.0.0"]
    outcome = ws.rows(
        "SELECT outcome FROM deployment_steps WHERE deployment_id='D-2' AND kind='db_rollback'"
    )
    assert outcome and outcome[0][0].startswith("restored the pre-migration backup")
    assert ws.served_version("dev") == "1.0.0"
