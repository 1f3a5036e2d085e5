"""Build the verification adapters of one environment from ``[verification]`` settings.

Called by `relman.bootstrap` (the composition root) with what only the deployment knows: the
URL of the version under test, its database DSN, its log file, the versions involved.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from relman.adapters.backups.postgres import PgBackup
from relman.adapters.migrations import CommandMigrations
from relman.adapters.probes.health import HealthChecks, build_health_checks
from relman.adapters.probes.prometheus import PromQLMetricsSource, ScrapeMetricsSource
from relman.adapters.probes.smoke import SmokeCommand, SmokeTests
from relman.domain.rollback import Severity
from relman.errors import ConfigError
from relman.policy_settings.values import parse_duration
from relman.policy_settings.verification import (
    BackupSettings,
    HealthSettings,
    MigrationRunSettings,
    MonitoringSettings,
    RollbackPolicySettings,
    SmokeSettings,
)
from relman.ports import MetricsSource, MigrationRunner


def build_smoke_tests(
    settings: SmokeSettings,
    *,
    base_url: str | None,
    root: Path,
    now: Callable[[], datetime] | None = None,
    suite: str | None = None,
) -> SmokeTests:
    """The HTTP checks against ``base_url`` plus the configured command (run in ``root``)."""
    command = None
    if settings.command is not None:
        junit = settings.command.junit
        command = SmokeCommand(
            tuple(settings.command.argv),
            timeout=settings.command.timeout_seconds,
            junit_path=(root / junit) if junit else None,
            cwd=str(root),
        )
    return SmokeTests(
        base_url,
        settings.smoke_checks(),
        command=command,
        timeout=settings.timeout_seconds,
        suite=suite or settings.suite,
        now=now,
    )


def build_health_probe(
    settings: HealthSettings,
    *,
    base_url: str | None,
    dsn: str | None = None,
    log_path: Path | None = None,
    log_start_offset: int = 0,
    log_since: datetime | None = None,
) -> HealthChecks:
    return build_health_checks(
        base_url=base_url,
        health_path=settings.path,
        expected_status=settings.expected_status,
        timeout=settings.timeout_seconds,
        dsn=dsn if settings.database else None,
        database_query=settings.database_query,
        database_max_ms=settings.database_max_ms,
        redis_url=settings.redis_url,
        integrations=settings.integrations,
        log_path=log_path if settings.log_scan else None,
        log_start_offset=log_start_offset,
        log_since=log_since,
        log_levels=settings.log_levels,
    )


def build_metrics_source(
    settings: MonitoringSettings,
    *,
    base_url: str | None,
    dsn: str | None = None,
    now: Callable[[], datetime] | None = None,
) -> MetricsSource:
    """``/metrics`` of ``base_url`` (default) or the configured Prometheus server."""
    if settings.source == "promql":
        if not settings.prometheus_url:
            raise ConfigError(
                'monitoring source "promql" needs prometheus_url',
                where="verification.monitoring.prometheus_url",
            )
        return PromQLMetricsSource(
            settings.prometheus_url,
            queries=settings.promql,
            timeout=settings.interval_seconds,
            now=now,
        )
    if not base_url:
        raise ConfigError(
            "monitoring needs the URL of the version to scrape", where="verification.monitoring"
        )
    return ScrapeMetricsSource(
        base_url.rstrip("/") + "/" + settings.metrics_path.lstrip("/"),
        names=settings.metrics.to_domain(),
        timeout=min(10.0, settings.interval_seconds),
        host_metrics=settings.host_metrics,
        disk_path=settings.disk_path,
        dsn=dsn,
        now=now,
    )


def build_backup(
    settings: BackupSettings,
    *,
    dsn: str,
    root: Path,
    now: Callable[[], datetime] | None = None,
) -> PgBackup:
    directory = Path(settings.dir)
    return PgBackup(
        dsn,
        backups_dir=directory if directory.is_absolute() else root / directory,
        verify_mode=settings.verify,
        timeout=settings.timeout_seconds,
        bin_dir=settings.bin_dir,
        now=now,
    )


def build_migrations(
    settings: MigrationRunSettings,
    *,
    dsn: str | None,
    version: str | None = None,
    previous: str | None = None,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    python: str = sys.executable,
) -> MigrationRunner | None:
    """None when the environment runs no migrations (``runner = "none"``)."""
    if settings.runner == "none":
        return None
    if settings.runner == "sample_app":
        if not dsn:
            raise ConfigError(
                "the sample app's migrator needs the environment's database DSN",
                where="verification.migrations.runner",
            )
        return CommandMigrations.for_sample_app(
            dsn=dsn,
            version=version,
            previous=previous,
            python=python,
            timeout=settings.timeout_seconds,
            cwd=cwd,
            env=env,
        )
    if not settings.command:
        raise ConfigError(
            'runner = "command" needs a command', where="verification.migrations.command"
        )
    script = settings.reverse_script
    return CommandMigrations(
        settings.command,
        timeout=settings.timeout_seconds,
        reverse_argv=settings.reverse_command or None,
        reverse_script=(Path(cwd or ".") / script) if script else None,
        dsn=dsn,
        cwd=cwd,
        env=env,
    )


def resolve_threshold_severities(settings: RollbackPolicySettings) -> dict[str, Severity]:
    """``[verification.rollback.threshold_severity]`` -> the decision tree's mapping."""
    return {alert: Severity(level) for alert, level in settings.threshold_severity.items()}


def resolve_quick_fix_limit(settings: RollbackPolicySettings) -> timedelta:
    return parse_duration(settings.quick_fix_limit)
