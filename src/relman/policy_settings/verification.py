"""``[verification]`` of relman.toml: smoke tests, health checks, monitoring, backups,
migrations and the rollback decision (J-003 §6.4, §8.5, §9, §14).

The §14.2 thresholds themselves are the top-level ``[thresholds]`` table
(`relman.policy_settings.ThresholdSettings`); `resolve_thresholds` turns it into domain
`Threshold` objects. Defaults: the §14.1 critical-path smoke checks against the sample app,
the §8.5 checks, scraping ``/metrics`` directly, full backup verification before migrations in
staging and prod, and the §9.1 "fix in under 30 minutes" rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator

from relman.domain.backups import BACKUP_ENVIRONMENTS
from relman.domain.monitoring import METRIC_KEYS, MetricNames, Threshold
from relman.domain.prometheus import parse_selector
from relman.domain.smoke import (
    HTTP_METHODS,
    SmokeCheck,
    default_smoke_checks,
    parse_json_expectation,
)
from relman.errors import InvalidInputError
from relman.policy_settings.base import PolicyModel, j003_default
from relman.policy_settings.models import ThresholdSettings
from relman.policy_settings.values import Duration

Severity = Literal["critical", "high", "medium", "low"]


class SmokeCheckSettings(PolicyModel):
    """One HTTP smoke check: what to send and what a good answer is."""

    name: str
    path: str
    method: str = "GET"
    body: dict[str, Any] | list[Any] | None = None  # sent as JSON
    headers: dict[str, str] = Field(default_factory=dict)
    expected_status: int = Field(default=200, ge=100, le=599)
    body_contains: str | None = None
    json_path: list[str] = Field(default_factory=list)  # '$.status == "confirmed"'
    max_latency_ms: float | None = Field(default=None, gt=0)
    severity: Severity = "high"  # of a failure after the switch

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value.upper() not in HTTP_METHODS:
            raise ValueError(f"unknown HTTP method {value!r} (expected {', '.join(HTTP_METHODS)})")
        return value.upper()

    @field_validator("json_path")
    @classmethod
    def _valid_expectations(cls, value: list[str]) -> list[str]:
        for text in value:
            try:
                parse_json_expectation(text)
            except InvalidInputError as exc:
                raise ValueError(exc.message) from None
        return value

    def to_domain(self) -> SmokeCheck:
        return SmokeCheck(
            name=self.name,
            path=self.path,
            method=self.method,
            json_body=self.body,
            headers=dict(self.headers),
            expected_status=self.expected_status,
            body_contains=self.body_contains,
            json_expectations=tuple(self.json_path),
            max_latency_ms=self.max_latency_ms,
            severity=self.severity,
        )


def _default_checks() -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "path": c.path,
            "method": c.method,
            "body": c.json_body,
            "expected_status": c.expected_status,
            "json_path": list(c.json_expectations),
            "max_latency_ms": c.max_latency_ms,
            "severity": c.severity,
        }
        for c in default_smoke_checks()
    ]


class SmokeCommandSettings(PolicyModel):
    """An external smoke suite, e.g. ``["pytest", "smoke/", "--junitxml=smoke.xml"]``."""

    argv: list[str] = Field(min_length=1)
    junit: str | None = None  # the JUnit file it writes (relative to the repository)
    timeout_seconds: float = Field(default=600.0, gt=0)


class SmokeSettings(PolicyModel):
    """Smoke tests after each deployment (§8.5 "100% pass rate", §14.1)."""

    suite: str = "smoke"
    timeout_seconds: float = Field(default=10.0, gt=0)  # per request
    checks: list[SmokeCheckSettings] = j003_default(_default_checks())
    command: SmokeCommandSettings | None = None

    def smoke_checks(self) -> tuple[SmokeCheck, ...]:
        return tuple(check.to_domain() for check in self.checks)


class HealthSettings(PolicyModel):
    """The §8.5 checks: HTTP, database, cache, integrations, error log."""

    path: str = "/health"
    expected_status: int = 200
    timeout_seconds: float = Field(default=5.0, gt=0)
    database: bool = True  # check the environment's database when it has one
    database_query: str = "SELECT 1"
    database_max_ms: float = Field(default=1000.0, gt=0)  # "< 1s response time"
    redis_url: str | None = None  # e.g. "redis://127.0.0.1:6379"; unset: no cache check
    integrations: dict[str, str] = Field(default_factory=dict)  # name -> status URL (2xx)
    log_scan: bool = True
    log_levels: list[str] = Field(default_factory=lambda: ["ERROR", "CRITICAL"])


class MetricNamesSettings(PolicyModel):
    """Which series of the app's /metrics carry what (selectors: ``name{label="value"}``)."""

    requests_total: str = MetricNames.requests_total
    status_label: str = MetricNames.status_label
    duration_histogram: str = MetricNames.duration_histogram
    failed_logins_total: str = MetricNames.failed_logins_total
    db_connections_in_use: str = MetricNames.db_connections_in_use
    db_connections_max: str = MetricNames.db_connections_max

    @field_validator(
        "requests_total",
        "duration_histogram",
        "failed_logins_total",
        "db_connections_in_use",
        "db_connections_max",
    )
    @classmethod
    def _valid_selector(cls, value: str) -> str:
        try:
            parse_selector(value)
        except InvalidInputError as exc:
            raise ValueError(exc.message) from None
        return value

    def to_domain(self) -> MetricNames:
        return MetricNames(**self.model_dump())


class MonitoringSettings(PolicyModel):
    """Post-release monitoring (§14.2): where metrics come from and how long to watch."""

    source: Literal["scrape", "promql"] = "scrape"
    metrics_path: str = "/metrics"
    prometheus_url: str | None = None  # required by source = "promql"
    promql: dict[str, str] = Field(default_factory=dict)  # metric key -> PromQL ({window})
    interval_seconds: float = Field(default=15.0, gt=0)
    observation_seconds: float = Field(default=300.0, ge=0)  # after the switch, before G7
    host_metrics: bool = True  # CPU, memory, disk of the target host (local targets)
    disk_path: str = "/"
    metrics: MetricNamesSettings = Field(default_factory=MetricNamesSettings)

    @field_validator("promql")
    @classmethod
    def _known_keys(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(METRIC_KEYS))
        if unknown:
            raise ValueError(
                f"unknown metric(s) {', '.join(unknown)} (known: {', '.join(METRIC_KEYS)})"
            )
        return value

    @field_validator("prometheus_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value


class BackupSettings(PolicyModel):
    """Backups before migrations (§6.4, issue 5 §4: "no verified backup, no migration")."""

    dir: str = ".relman/backups"
    verify: Literal["full", "list"] = "full"
    timeout_seconds: float = Field(default=1800.0, gt=0)
    environments: list[str] = Field(default_factory=lambda: list(BACKUP_ENVIRONMENTS))
    bin_dir: str | None = None  # where pg_dump & co. live, when not on PATH


class MigrationRunSettings(PolicyModel):
    """How migrations run: none, the sample app's migrator, or configured commands."""

    runner: Literal["none", "sample_app", "command"] = "none"
    command: list[str] = Field(default_factory=list)
    reverse_command: list[str] = Field(default_factory=list)
    reverse_script: str | None = None  # SQL run by psql in one transaction (§9.3 example)
    timeout_seconds: float = Field(default=600.0, gt=0)

    @field_validator("command")
    @classmethod
    def _not_blank(cls, value: list[str]) -> list[str]:
        if any(not part.strip() for part in value):
            raise ValueError("command arguments must not be empty")
        return value


class RollbackPolicySettings(PolicyModel):
    """The §9.1 decision tree's knobs."""

    automatic: bool = True  # critical issues roll back without asking
    quick_fix_limit: Duration = "30m"  # medium issues: hotfix forward below this
    threshold_severity: dict[str, Severity] = j003_default(
        {"critical": "critical", "high": "high", "warning": "low"}
    )


class VerificationSettings(PolicyModel):
    """``[verification]``: everything that judges a deployment after it happened."""

    smoke: SmokeSettings = Field(default_factory=SmokeSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    migrations: MigrationRunSettings = Field(default_factory=MigrationRunSettings)
    rollback: RollbackPolicySettings = Field(default_factory=RollbackPolicySettings)


def resolve_thresholds(thresholds: Mapping[str, ThresholdSettings]) -> tuple[Threshold, ...]:
    """``[thresholds]`` -> domain thresholds (keys are the metric keys, e.g. ``error_rate``)."""
    return tuple(
        Threshold(key, t.metric, t.operator, t.value, t.unit, t.severity)
        for key, t in thresholds.items()
    )
