"""Where monitoring reads the §14.2 metrics: the app's ``/metrics`` (default) or a Prometheus
server's HTTP API (configured alternative). Both implement `relman.ports.MetricsSource`.

- `ScrapeMetricsSource` GETs the text exposition, adds the host's CPU/memory/disk (when the
  target is this machine) and the database's connection usage (when a DSN is given), and leaves
  the window arithmetic to `relman.domain.monitoring.compute_window_metrics`.
- `PromQLMetricsSource` asks ``/api/v1/query`` one PromQL expression per metric, evaluated at the
  end of the window, with ``{window}`` replaced by the window length (``60s``). The defaults
  assume Prometheus scrapes the sample app, node_exporter and postgres_exporter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from relman.adapters.probes.system import read_db_connection_samples, read_host_samples
from relman.domain.monitoring import (
    METRIC_KEYS,
    MetricNames,
    WindowMetrics,
    compute_window_metrics,
)
from relman.domain.prometheus import MetricsSnapshot, Sample, parse_prometheus_text
from relman.errors import ConfigError, IntegrationError, InvalidInputError

DEFAULT_PROMQL: Mapping[str, str] = {
    "error_rate": (
        '100 * sum(increase(smart_dairy_http_requests_total{code=~"5.."}[{window}]))'
        " / sum(increase(smart_dairy_http_requests_total[{window}]))"
    ),
    "response_time_p95": (
        "histogram_quantile(0.95, sum by (le) "
        "(increase(smart_dairy_http_request_duration_seconds_bucket[{window}])))"
    ),
    "response_time_p99": (
        "histogram_quantile(0.99, sum by (le) "
        "(increase(smart_dairy_http_request_duration_seconds_bucket[{window}])))"
    ),
    "cpu_utilization": '100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle"}[{window}])))',
    "memory_utilization": (
        "100 * (1 - sum(node_memory_MemAvailable_bytes) / sum(node_memory_MemTotal_bytes))"
    ),
    "database_connections": (
        "100 * sum(smart_dairy_db_connections_in_use) / sum(smart_dairy_db_connections_max)"
    ),
    "disk_usage": (
        '100 * (1 - sum(node_filesystem_avail_bytes{mountpoint="/"})'
        ' / sum(node_filesystem_size_bytes{mountpoint="/"}))'
    ),
    "failed_logins": "60 * sum(rate(smart_dairy_failed_logins_total[{window}]))",
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ScrapeMetricsSource:
    """Scrape ``url`` (the app's ``/metrics``) directly."""

    def __init__(
        self,
        url: str,
        *,
        names: MetricNames | None = None,
        timeout: float = 5.0,
        host_metrics: bool = True,
        disk_path: str = "/",
        dsn: str | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.url = url
        self.names = names or MetricNames()
        self.timeout = timeout
        self.host_metrics = host_metrics
        self.disk_path = disk_path
        self.dsn = dsn
        self._now = now or _utcnow

    def scrape(self) -> MetricsSnapshot:
        import httpx

        at = self._now()
        try:
            with httpx.Client(timeout=self.timeout, trust_env=False) as client:
                response = client.get(self.url)
        except httpx.HTTPError as exc:
            raise IntegrationError(
                f"cannot scrape metrics: {type(exc).__name__}: {exc}", where=self.url
            ) from None
        if response.status_code != 200:
            raise IntegrationError(
                f"cannot scrape metrics: GET answered {response.status_code}", where=self.url
            )
        samples: list[Sample] = parse_prometheus_text(response.text, source=self.url)
        if self.host_metrics:
            samples += read_host_samples(self.disk_path)
        if self.dsn:
            samples += read_db_connection_samples(self.dsn, timeout=self.timeout)
        return MetricsSnapshot(at, tuple(samples), source=self.url)

    def measure(self, before: MetricsSnapshot, after: MetricsSnapshot) -> WindowMetrics:
        return compute_window_metrics(before, after, self.names)


class PromQLMetricsSource:
    """Ask a Prometheus server (``base_url``, e.g. ``http://127.0.0.1:9090``)."""

    def __init__(
        self,
        base_url: str,
        *,
        queries: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        merged = {**DEFAULT_PROMQL, **(queries or {})}
        unknown = sorted(set(merged) - set(METRIC_KEYS))
        if unknown:
            raise ConfigError(
                f"unknown metric(s) {', '.join(unknown)} in the PromQL queries "
                f"(known: {', '.join(METRIC_KEYS)})",
                where="verification.monitoring.promql",
            )
        self.base_url = base_url.rstrip("/")
        self.queries = {key: expr for key, expr in merged.items() if expr.strip()}
        self.timeout = timeout
        self._now = now or _utcnow

    def scrape(self) -> MetricsSnapshot:
        """A time mark (PromQL computes windows server-side); checks that the server answers."""
        at = self._now()
        self.query("time()", at=at)
        return MetricsSnapshot(at, (), source=self.base_url)

    def measure(self, before: MetricsSnapshot, after: MetricsSnapshot) -> WindowMetrics:
        seconds = (after.at - before.at).total_seconds()
        if seconds <= 0:
            raise InvalidInputError("the window ends before it starts", where=self.base_url)
        window = f"{max(1, round(seconds))}s"
        values: dict[str, float | None] = dict.fromkeys(METRIC_KEYS)
        for key, expression in self.queries.items():
            values[key] = self.query(expression.replace("{window}", window), at=after.at)
        return WindowMetrics(before.at, after.at, values)

    def query(self, expression: str, *, at: datetime) -> float | None:
        """An instant query's value: the largest sample of a vector, a scalar, None if empty."""
        import httpx

        url = f"{self.base_url}/api/v1/query"
        try:
            with httpx.Client(timeout=self.timeout, trust_env=False) as client:
                response = client.get(url, params={"query": expression, "time": at.timestamp()})
            body: Any = response.json()
        except httpx.HTTPError as exc:
            raise IntegrationError(
                f"Prometheus did not answer: {type(exc).__name__}: {exc}", where=url
            ) from None
        except ValueError:
            raise IntegrationError(
                f"Prometheus answered {response.status_code} with a body that is not JSON",
                where=url,
            ) from None
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error", "unknown error") if isinstance(body, dict) else body
            raise IntegrationError(
                f"Prometheus refused the query {expression!r}: {error}", where=url
            )
        return _query_value(body.get("data"), where=url)


def _query_value(data: Any, *, where: str) -> float | None:
    if not isinstance(data, dict):
        raise IntegrationError("Prometheus answered without data", where=where)
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar" and isinstance(result, list) and len(result) == 2:
        return _number(result[1])
    if kind == "vector" and isinstance(result, list):
        values = [
            _number(item["value"][1])
            for item in result
            if isinstance(item, dict) and isinstance(item.get("value"), list)
        ]
        present = [v for v in values if v is not None]
        return max(present) if present else None
    raise IntegrationError(
        f"Prometheus answered a {kind} result; expected a vector or a scalar", where=where
    )


def _number(text: Any) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value
