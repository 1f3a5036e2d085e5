# ruff: noqa: F811  (pytest fixtures are imported from app_support and requested by name)
"""The Smart Dairy sample app: reproducible builds, the §14.1 critical paths, Prometheus
metrics, every fault switch, and its migrations forward and back on real PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from app_support import (  # noqa: F401  (fixtures)
    ArtifactFactory,
    artifacts,
    local_target,
    pg_dsn,
    targets_root,
)
from smart_dairy_app.build import build_artifact
from smart_dairy_app.faults import ErrorInjector, Faults

from relman.adapters import processes as procs
from relman.adapters.targets.local import LocalTarget
from relman.ports import Instance


def _start(
    target: LocalTarget,
    artifacts: ArtifactFactory,
    version: str,
    fault: str | None = None,
    env: dict[str, str] | None = None,
) -> Instance:
    art = artifacts.build(version, fault)
    target.install(version, art.path, art.digest)
    return target.start_instance(version, slot="app", env=env)


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, flags=re.M)
    assert match, f"{name} not in metrics"
    return float(match.group(1))


def _release_dir(target: LocalTarget, version: str) -> Path:
    release = target.find_installed(version)
    assert release is not None
    return Path(release.path)


def _python(release: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=release,
        env={**os.environ, "PYTHONPATH": str(release), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- builds ------------------------------------------------------------------------------------


def test_build_is_reproducible_and_carries_only_its_migrations(tmp_path: Path) -> None:
    first, digest1 = build_artifact("1.0.0", out_dir=tmp_path / "a")
    second, digest2 = build_artifact("1.0.0", out_dir=tmp_path / "b")
    _, digest3 = build_artifact("1.1.0", out_dir=tmp_path / "a")
    _, digest4 = build_artifact("1.0.0", fault="errors=0.5", out_dir=tmp_path / "a")

    assert digest1 == digest2
    assert first.read_bytes() == second.read_bytes()
    assert len({digest1, digest3, digest4}) == 3
    with tarfile.open(first) as tar:
        names = tar.getnames()
        assert names == sorted(names)
        assert {m.mtime for m in tar.getmembers()} == {1_767_225_600}
        assert tar.extractfile("VERSION").read() == b"1.0.0\n"  # type: ignore[union-attr]
    migrations = [n.rsplit("/", 1)[1] for n in names if "/migrations/" in n]
    assert migrations == ["001_1.0.0.sql"]
    assert "FAULT" not in names
    assert "smart_dairy_app/build.py" not in names


def test_fault_build_bakes_the_fault_in(tmp_path: Path) -> None:
    path, _ = build_artifact("1.1.0", fault="slow=2,errors=0.25", out_dir=tmp_path)
    assert path.name == "smart-dairy-app-1.1.0-errors-0.25-slow-2.tar.gz"
    with tarfile.open(path) as tar:
        assert tar.extractfile("FAULT").read() == b"errors=0.25,slow=2\n"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("version", "fault", "message"),
    [
        ("1.0", None, "invalid version"),
        ("1.0.0", "explode", "unknown fault 'explode'"),
        ("1.0.0", "errors=2", "fraction"),
        ("1.0.0", "slow=soon", "not a number"),
    ],
)
def test_bad_build_input_is_refused(
    tmp_path: Path, version: str, fault: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_artifact(version, fault=fault, out_dir=tmp_path)
    assert not list(tmp_path.glob("*.tar.gz"))


def test_error_injection_fails_exactly_the_share_asked() -> None:
    injector = ErrorInjector(0.25)
    assert sum(injector.should_fail() for _ in range(100)) == 25
    assert Faults.parse("errors=0.1, never-healthy").describe() == "errors=0.1,never-healthy"


# --- the running service -----------------------------------------------------------------------


def test_critical_paths_and_metrics_without_a_database(
    local_target: LocalTarget, artifacts: ArtifactFactory
) -> None:
    app = _start(local_target, artifacts, "1.0.0")
    base = f"http://{app.addr}"
    with httpx.Client(base_url=base, timeout=5) as client:
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json() == {
            "status": "ok",
            "version": "1.0.0",
            "db": "disabled",
            "pid": app.pid,
        }
        assert health.headers["x-app-version"] == "1.0.0"

        bad = client.post("/login", json={"username": "demo", "password": "wrong"})
        assert bad.status_code == 401
        login = client.post("/login", json={"username": "demo", "password": "demo"})
        assert login.status_code == 200
        token = login.json()["token"]

        dash = client.get("/dashboard", headers={"Authorization": f"Bearer {token}"})
        assert dash.status_code == 200
        assert dash.json()["user"] == "demo"
        order = client.post("/sales-orders", json={"customer": "Dhaka Sweets", "quantity": 40})
        assert order.status_code == 201
        assert order.json()["status"] == "confirmed"
        milk = client.get("/inventory", params={"product": "milk"})
        assert milk.json()["quantity"] == "1250.00"
        assert client.get("/inventory", params={"product": "cheese"}).status_code == 404
        assert client.post("/sales-orders", content=b"{not json").status_code == 400
        assert client.post("/sales-orders", json={"quantity": -1}).status_code == 400
        assert client.get("/nowhere").status_code == 404

        metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = metrics.text
    # 4 answers here + the target's one health probe before start_instance returned
    assert _metric(text, 'smart_dairy_http_requests_total{code="200"}') == 5
    assert _metric(text, 'smart_dairy_http_requests_total{code="401"}') == 1
    assert _metric(text, 'smart_dairy_http_requests_total{code="404"}') == 2
    assert _metric(text, "smart_dairy_failed_logins_total") == 1
    assert _metric(text, "smart_dairy_sales_orders_created_total") == 1
    assert _metric(text, "smart_dairy_http_request_duration_seconds_count") == 11
    assert _metric(text, 'smart_dairy_http_request_duration_seconds_bucket{le="+Inf"}') == 11
    assert 'smart_dairy_build_info{version="1.0.0",fault=""} 1' in text


def test_errors_fault_fails_its_share_and_logs_error_lines(
    local_target: LocalTarget, artifacts: ArtifactFactory
) -> None:
    app = _start(local_target, artifacts, "1.1.0", "errors=0.5")
    codes = [
        httpx.get(f"http://{app.addr}/inventory?product=milk", timeout=5).status_code
        for _ in range(20)
    ]
    assert sorted(codes) == [200] * 10 + [500] * 10
    assert httpx.get(f"http://{app.addr}/health", timeout=5).status_code == 200
    log = Path(app.log_path).read_text()
    assert len(re.findall(r" ERROR smart_dairy_app: injected fault", log)) == 10


def test_slow_fault_shows_in_the_latency_histogram(
    local_target: LocalTarget, artifacts: ArtifactFactory
) -> None:
    app = _start(local_target, artifacts, "1.1.0", "slow=0.3")
    for _ in range(3):
        assert httpx.get(f"http://{app.addr}/dashboard", timeout=5).status_code == 200
    text = httpx.get(f"http://{app.addr}/metrics", timeout=5).text
    assert _metric(text, 'smart_dairy_http_request_duration_seconds_bucket{le="0.25"}') <= 1
    assert _metric(text, "smart_dairy_http_request_duration_seconds_sum") >= 0.9


def test_never_healthy_and_crash_on_start(targets_root: Path, artifacts: ArtifactFactory) -> None:
    target = LocalTarget(targets_root, "dev", base_env={"SMART_DAIRY_NO_DB": "1"}, start_timeout=1)
    for fault in ("never-healthy", "crash-on-start"):
        art = artifacts.build("1.1.0", fault)
        release = Path(target.releases_dir / fault)
        release.mkdir(parents=True)
        with tarfile.open(art.path) as tar:
            tar.extractall(release, filter="data")
    port = procs.find_free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "smart_dairy_app", "--port", str(port), "--no-db"],
        cwd=target.releases_dir / "never-healthy",
        env={**os.environ, "PYTHONPATH": str(target.releases_dir / "never-healthy")},
    )
    try:
        answer = None
        for _ in range(100):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert answer is not None
        assert answer.status_code == 503
        assert answer.json()["status"] == "unhealthy"
        assert httpx.get(f"http://127.0.0.1:{port}/dashboard", timeout=2).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    crashed = _python(target.releases_dir / "crash-on-start", "smart_dairy_app", "--no-db")
    assert crashed.returncode == 1
    assert "ERROR smart_dairy_app: fault crash-on-start" in crashed.stderr


def test_without_db_or_no_db_flag_the_app_refuses_to_start(
    local_target: LocalTarget, artifacts: ArtifactFactory
) -> None:
    art = artifacts.build("1.0.0")
    release = Path(local_target.install("1.0.0", art.path, art.digest).path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMART_DAIRY")}
    proc = subprocess.run(
        [sys.executable, "-m", "smart_dairy_app", "--port", "0"],
        cwd=release,
        env={**env, "PYTHONPATH": str(release)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert "no database configured" in proc.stderr


# --- PostgreSQL --------------------------------------------------------------------------------


def _columns(dsn: str, table: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,)
        ).fetchall()
    return {r[0] for r in rows}


def _scalar(dsn: str, sql: str) -> object:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def test_migrations_forward_and_reverse_on_postgresql(
    local_target: LocalTarget, artifacts: ArtifactFactory, pg_dsn: str
) -> None:
    art = artifacts.build("1.2.0")
    release = Path(local_target.install("1.2.0", art.path, art.digest).path)

    first = _python(release, "smart_dairy_app.migrate", "--dsn", pg_dsn, "--target", "1.0.0")
    assert first.returncode == 0, first.stderr
    assert "quality_score" not in _columns(pg_dsn, "milk_production")
    forward = _python(release, "smart_dairy_app.migrate", "--dsn", pg_dsn, "--json")
    assert forward.returncode == 0, forward.stderr
    assert json.loads(forward.stdout)["applied"] == ["002_1.1.0", "003_1.2.0"]
    assert "quality_score" in _columns(pg_dsn, "milk_production")
    assert _scalar(pg_dsn, "SELECT to_regclass('idx_milk_production_date')") is not None
    assert _scalar(pg_dsn, "SELECT value FROM ir_config_parameter") == "1.2.0"

    back = _python(
        release,
        "smart_dairy_app.migrate",
        "--dsn",
        pg_dsn,
        "--rollback",
        "--target",
        "1.0.0",
        "--json",
    )
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["reverted"] == ["003_1.2.0", "002_1.1.0"]
    assert "quality_score" not in _columns(pg_dsn, "milk_production")
    assert "channel" not in _columns(pg_dsn, "sale_order")
    assert _scalar(pg_dsn, "SELECT to_regclass('idx_milk_production_date')") is None
    assert _scalar(pg_dsn, "SELECT value FROM ir_config_parameter") == "1.0.0"
    assert _scalar(pg_dsn, "SELECT count(*) FROM smart_dairy_schema_migrations") == 1

    no_reverse = _python(release, "smart_dairy_app.migrate", "--dsn", pg_dsn, "--rollback")
    assert no_reverse.returncode == 3
    assert "001_1.0.0 has no reverse script" in no_reverse.stderr
    assert _scalar(pg_dsn, "SELECT value FROM ir_config_parameter") == "1.0.0"


def test_failing_migration_leaves_nothing_behind(
    local_target: LocalTarget, artifacts: ArtifactFactory, pg_dsn: str
) -> None:
    art = artifacts.build("1.1.0", "failing-migration")
    release = Path(local_target.install("1.1.0", art.path, art.digest).path)

    proc = _python(release, "smart_dairy_app.migrate", "--dsn", pg_dsn)

    assert proc.returncode == 1
    assert "ERROR smart_dairy_app.migrate: 003_1.1.0.sql failed" in proc.stderr
    assert "fat_percent" not in _columns(pg_dsn, "milk_production")
    assert _scalar(pg_dsn, "SELECT max(seq) FROM smart_dairy_schema_migrations") == 2


def test_app_with_postgresql_confirms_orders_in_the_database(
    local_target: LocalTarget, artifacts: ArtifactFactory, pg_dsn: str
) -> None:
    art = artifacts.build("1.1.0")
    release = Path(local_target.install("1.1.0", art.path, art.digest).path)
    assert _python(release, "smart_dairy_app.migrate", "--dsn", pg_dsn).returncode == 0
    app = local_target.start_instance(
        "1.1.0", slot="db", env={"SMART_DAIRY_NO_DB": "0", "SMART_DAIRY_DSN": pg_dsn}
    )

    health = httpx.get(f"http://{app.addr}/health", timeout=5).json()
    order = httpx.post(
        f"http://{app.addr}/sales-orders", json={"product": "ghee", "quantity": 2}, timeout=5
    )
    dashboard = httpx.get(f"http://{app.addr}/dashboard", timeout=5).json()

    assert health["db"] == "ok"
    assert health["db_latency_ms"] < 1000
    assert order.status_code == 201
    assert (
        _scalar(pg_dsn, f"SELECT status FROM sale_order WHERE id = {order.json()['id']}")
        == "confirmed"
    )
    assert dashboard["database_version"] == "1.1.0"
    assert dashboard["orders_today"] == 1


def test_health_reports_an_unreachable_database(
    local_target: LocalTarget, artifacts: ArtifactFactory, pg_dsn: str
) -> None:
    missing = pg_dsn.rsplit("/", 1)[0] + "/relman_t_missing"
    art = artifacts.build("1.0.0")
    local_target.install("1.0.0", art.path, art.digest)
    env = {"SMART_DAIRY_NO_DB": "0", "SMART_DAIRY_DSN": missing}
    local_target.health_path = "/metrics"  # /health is 503 without a database, by design
    app = local_target.start_instance("1.0.0", slot="nodb", env=env)

    health = httpx.get(f"http://{app.addr}/health", timeout=10)

    assert health.status_code == 503
    assert health.json()["db"].startswith("error: ")
    assert httpx.get(f"http://{app.addr}/inventory", timeout=10).status_code == 503
