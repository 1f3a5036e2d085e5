"""[verification] settings -> verification adapters (no I/O: construction only)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from relman.adapters.backups.postgres import PgBackup
from relman.adapters.migrations import CommandMigrations
from relman.adapters.probes.prometheus import PromQLMetricsSource, ScrapeMetricsSource
from relman.adapters.verification import (
    build_backup,
    build_health_probe,
    build_metrics_source,
    build_migrations,
    build_smoke_tests,
    resolve_quick_fix_limit,
    resolve_threshold_severities,
)
from relman.domain.rollback import Severity
from relman.errors import ConfigError
from relman.settings import Settings, validate_settings

DSN = "postgresql://app:pw@127.0.0.1:5432/smart_dairy"
ROOT = Path("/srv/relman")


def verification(data: dict[str, object]) -> Settings:
    return validate_settings({"verification": data})


def test_defaults_build_the_j003_smoke_suite_and_scrape_metrics() -> None:
    v = Settings().verification
    smoke = build_smoke_tests(v.smoke, base_url="http://127.0.0.1:8001", root=ROOT)
    assert [c.name for c in smoke.checks][:2] == ["user login", "dashboard load"]
    assert smoke.command is None
    source = build_metrics_source(v.monitoring, base_url="http://127.0.0.1:8001/")
    assert isinstance(source, ScrapeMetricsSource)
    assert source.url == "http://127.0.0.1:8001/metrics"
    assert build_migrations(v.migrations, dsn=DSN) is None
    assert resolve_quick_fix_limit(v.rollback) == timedelta(minutes=30)
    assert resolve_threshold_severities(v.rollback)["warning"] is Severity.LOW


def test_health_checks_follow_the_settings(tmp_path: Path) -> None:
    names = [
        c.name
        for c in build_health_probe(
            Settings().verification.health,
            base_url="http://127.0.0.1:8001",
            dsn=DSN,
            log_path=tmp_path / "app.log",
        ).checks
    ]
    assert names == ["http health", "database", "error log"]
    v = verification(
        {
            "health": {
                "database": False,
                "log_scan": False,
                "redis_url": "redis://127.0.0.1:6379",
                "integrations": {"payment": "http://127.0.0.1:9/status"},
            }
        }
    ).verification
    probe = build_health_probe(v.health, base_url=None, dsn=DSN, log_path=tmp_path / "a.log")
    assert [c.name for c in probe.checks] == ["redis", "integration payment"]


def test_a_smoke_command_runs_in_the_repository() -> None:
    v = verification(
        {"smoke": {"command": {"argv": ["pytest", "smoke"], "junit": "out/smoke.xml"}}}
    ).verification
    smoke = build_smoke_tests(v.smoke, base_url=None, root=ROOT, suite="prod")
    assert smoke.command is not None
    assert smoke.command.junit_path == ROOT / "out" / "smoke.xml"
    assert smoke.command.cwd == str(ROOT) and smoke.suite == "prod"


def test_promql_needs_a_server() -> None:
    v = verification({"monitoring": {"source": "promql"}}).verification
    with pytest.raises(ConfigError, match="needs prometheus_url"):
        build_metrics_source(v.monitoring, base_url=None)
    v = verification(
        {"monitoring": {"source": "promql", "prometheus_url": "http://127.0.0.1:9090"}}
    ).verification
    assert isinstance(build_metrics_source(v.monitoring, base_url=None), PromQLMetricsSource)
    with pytest.raises(ConfigError, match="unknown metric"):
        verification({"monitoring": {"promql": {"latency": "up"}}})


def test_backups_go_under_the_repository_unless_absolute() -> None:
    v = Settings().verification
    backup = build_backup(v.backup, dsn=DSN, root=ROOT)
    assert isinstance(backup, PgBackup)
    assert backup.backups_dir == ROOT / ".relman" / "backups" and backup.verify_mode == "full"
    v = verification({"backup": {"dir": "/var/backups/relman", "verify": "list"}}).verification
    backup = build_backup(v.backup, dsn=DSN, root=ROOT)
    assert backup.backups_dir == Path("/var/backups/relman") and backup.verify_mode == "list"


def test_migration_runners() -> None:
    v = verification({"migrations": {"runner": "sample_app"}}).verification
    runner = build_migrations(v.migrations, dsn=DSN, version="1.2.0", previous="1.1.0")
    assert isinstance(runner, CommandMigrations) and runner.has_reverse
    with pytest.raises(ConfigError, match="needs the environment's database DSN"):
        build_migrations(v.migrations, dsn=None)
    v = verification(
        {
            "migrations": {
                "runner": "command",
                "command": ["odoo", "-u", "all", "-d", "smart_dairy", "--stop-after-init"],
                "reverse_script": "migrations/2026.01.31.002_rollback.sql",
            }
        }
    ).verification
    runner = build_migrations(v.migrations, dsn=DSN, cwd="/srv/release")
    assert isinstance(runner, CommandMigrations)
    assert runner.argv[0] == "odoo"
    assert runner.reverse_script == Path("/srv/release/migrations/2026.01.31.002_rollback.sql")
    v = verification({"migrations": {"runner": "command"}}).verification
    with pytest.raises(ConfigError, match="needs a command"):
        build_migrations(v.migrations, dsn=DSN)
