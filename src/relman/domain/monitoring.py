"""Post-release monitoring (J-003 §14.2): window metrics from two scrapes, thresholds, breaches.

A *window* is what happened between two `MetricsSnapshot`s of the same target:

- rates come from counter increases (a counter that went down was reset: its new value is the
  increase, as Prometheus' ``increase()`` assumes);
- P95/P99 come from the increases of the latency histogram's cumulative buckets, interpolated
  linearly inside the bucket like Prometheus' ``histogram_quantile``;
- CPU is the share of non-idle jiffies between the two readings; memory, disk and database
  connections are the latest reading (a share of the total).

Window values are keyed like the ``[thresholds]`` table of relman.toml (`METRIC_KEYS`); a value
the snapshots cannot give (no traffic, no histogram, no host reading) is ``None`` and no
threshold is judged on it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from relman.domain.prometheus import MetricsSnapshot, Sample, parse_selector, sum_values
from relman.errors import InvalidInputError

METRIC_KEYS: tuple[str, ...] = (
    "error_rate",
    "response_time_p95",
    "response_time_p99",
    "cpu_utilization",
    "memory_utilization",
    "database_connections",
    "disk_usage",
    "failed_logins",
)
THRESHOLD_SEVERITIES: tuple[str, ...] = ("critical", "high", "warning")

# Synthetic series that relman adds to a snapshot from the target host and its database.
HOST_CPU = "relman_host_cpu_jiffies_total"  # {mode="idle"|"all"} counters (/proc/stat)
HOST_MEMORY = "relman_host_memory_bytes"  # {state="total"|"available"} (/proc/meminfo)
HOST_DISK = "relman_host_disk_bytes"  # {state="total"|"used"} (shutil.disk_usage)
DB_CONNECTIONS = "relman_db_connections"  # {state="used"|"max"} (pg_stat_activity)

_OPERATORS: Mapping[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}


@dataclass(frozen=True)
class MetricNames:
    """Which series of the app's ``/metrics`` carry what (selectors: ``name{label="v"}``).

    The defaults are the sample application's (``examples/smart_dairy_app``). Database
    connections come from the app's gauges when it has them, else from relman's own reading
    of ``pg_stat_activity`` (`DB_CONNECTIONS`).
    """

    requests_total: str = "smart_dairy_http_requests_total"
    status_label: str = "code"
    duration_histogram: str = "smart_dairy_http_request_duration_seconds"
    failed_logins_total: str = "smart_dairy_failed_logins_total"
    db_connections_in_use: str = "smart_dairy_db_connections_in_use"
    db_connections_max: str = "smart_dairy_db_connections_max"


@dataclass(frozen=True)
class Threshold:
    """One row of §14.2: alert when ``metric OPERATOR value`` (``error_rate > 1 %``)."""

    key: str
    metric: str
    operator: str
    value: float
    unit: str
    severity: str  # critical | high | warning

    def __post_init__(self) -> None:
        if self.operator not in _OPERATORS:
            raise InvalidInputError(
                f"threshold {self.key}: unknown operator {self.operator!r} "
                f"(expected one of {' '.join(_OPERATORS)})",
                where=f"thresholds.{self.key}",
            )

    def is_breached(self, measured: float) -> bool:
        return _OPERATORS[self.operator](measured, self.value)

    def describe(self) -> str:
        """``"error_rate > 1%"``"""
        return f"{self.key} {self.operator} {_number(self.value)}{self.unit}"


def default_thresholds() -> tuple[Threshold, ...]:
    """J-003 §14.2 Key Metrics to Monitor."""
    rows = (
        ("error_rate", "Error Rate", 1.0, "%", "critical"),
        ("response_time_p95", "Response Time (P95)", 3.0, "s", "high"),
        ("response_time_p99", "Response Time (P99)", 5.0, "s", "critical"),
        ("cpu_utilization", "CPU Utilization", 80.0, "%", "high"),
        ("memory_utilization", "Memory Utilization", 85.0, "%", "high"),
        ("database_connections", "Database Connections", 80.0, "%", "high"),
        ("disk_usage", "Disk Usage", 85.0, "%", "warning"),
        ("failed_logins", "Failed Login Attempts", 10.0, "/min", "warning"),
    )
    return tuple(
        Threshold(key, metric, ">", value, unit, sev) for key, metric, value, unit, sev in rows
    )


@dataclass(frozen=True)
class WindowMetrics:
    """What one observation window measured; ``values`` keyed by `METRIC_KEYS`."""

    start: datetime
    end: datetime
    values: Mapping[str, float | None]
    requests: float = 0.0
    errors: float = 0.0

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def get(self, key: str) -> float | None:
        return self.values.get(key)


@dataclass(frozen=True)
class ThresholdBreach:
    threshold: Threshold
    measured: float

    @property
    def severity(self) -> str:
        return self.threshold.severity

    def describe(self) -> str:
        """``"error_rate > 1% (measured 7.5%)"``"""
        return (
            f"{self.threshold.describe()} (measured {_number(self.measured)}{self.threshold.unit})"
        )


@dataclass(frozen=True)
class MonitoringVerdict:
    """Thresholds judged on one window: breaches (most severe first) and what was not measured."""

    window: WindowMetrics
    breaches: tuple[ThresholdBreach, ...]
    unmeasured: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.breaches


# --- calculations ---------------------------------------------------------------------------


def compute_counter_increase(before: Iterable[Sample], after: Iterable[Sample]) -> float:
    """Sum of per-series increases; a series that went down (or is new) counts its new value."""
    previous = {s.labels: s.value for s in before}
    total = 0.0
    for sample in after:
        old = previous.get(sample.labels)
        if old is None or sample.value < old:
            total += sample.value
        else:
            total += sample.value - old
    return total


def compute_histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float | None:
    """Prometheus' ``histogram_quantile``: ``buckets`` are (upper bound ``le``, cumulative count).

    None when there are no observations, fewer than two buckets or no ``+Inf`` bucket. A rank in
    the ``+Inf`` bucket returns the highest finite bound; otherwise the value is interpolated
    linearly between the bucket's lower and upper bound (lower bound 0 for the first bucket).
    """
    if not 0.0 <= q <= 1.0:
        raise InvalidInputError(f"quantile must be between 0 and 1, got {q}", where="quantile")
    ordered = sorted(buckets)
    if len(ordered) < 2 or not math.isinf(ordered[-1][0]):
        return None
    counts: list[float] = []
    for _, count in ordered:  # counts must be monotonic (scrapes are not atomic)
        counts.append(max(count, counts[-1]) if counts else count)
    total = counts[-1]
    if total <= 0:
        return None
    rank = q * total
    index = next(i for i, count in enumerate(counts) if count >= rank)
    if index == len(ordered) - 1:
        return ordered[-2][0]
    upper = ordered[index][0]
    if index == 0 and upper <= 0:
        return upper
    lower = 0.0 if index == 0 else ordered[index - 1][0]
    below = 0.0 if index == 0 else counts[index - 1]
    in_bucket = counts[index] - below
    if in_bucket <= 0:
        return upper
    return lower + (upper - lower) * (rank - below) / in_bucket


def compute_window_metrics(
    before: MetricsSnapshot, after: MetricsSnapshot, names: MetricNames | None = None
) -> WindowMetrics:
    """Every §14.2 metric for the window between two snapshots of the same target."""
    names = names or MetricNames()
    seconds = (after.at - before.at).total_seconds()
    if seconds <= 0:
        raise InvalidInputError(
            f"the second scrape ({after.at.isoformat()}) is not after the first "
            f"({before.at.isoformat()})",
            where=after.source or "metrics",
        )
    requests, errors = _request_increase(before, after, names)
    values: dict[str, float | None] = dict.fromkeys(METRIC_KEYS)
    values["error_rate"] = 100.0 * errors / requests if requests > 0 else None
    buckets = _bucket_increase(before, after, names.duration_histogram)
    values["response_time_p95"] = compute_histogram_quantile(0.95, buckets)
    values["response_time_p99"] = compute_histogram_quantile(0.99, buckets)
    values["cpu_utilization"] = _cpu_percent(before, after)
    values["memory_utilization"] = _share(after, HOST_MEMORY, "available", "total", invert=True)
    values["disk_usage"] = _share(after, HOST_DISK, "used", "total")
    values["database_connections"] = _db_connections(after, names)
    values["failed_logins"] = _per_minute(before, after, names.failed_logins_total, seconds)
    return WindowMetrics(before.at, after.at, values, requests=requests, errors=errors)


def evaluate_thresholds(
    window: WindowMetrics, thresholds: Iterable[Threshold]
) -> MonitoringVerdict:
    """Breaches of ``thresholds`` in ``window``, most severe first (critical, high, warning)."""
    breaches: list[ThresholdBreach] = []
    unmeasured: list[str] = []
    for threshold in thresholds:
        measured = window.get(threshold.key)
        if measured is None or math.isnan(measured):
            unmeasured.append(threshold.key)
        elif threshold.is_breached(measured):
            breaches.append(ThresholdBreach(threshold, measured))
    rank = {sev: n for n, sev in enumerate(THRESHOLD_SEVERITIES)}
    breaches.sort(key=lambda b: rank.get(b.severity, len(rank)))
    return MonitoringVerdict(window, tuple(breaches), tuple(unmeasured))


# --- internals ------------------------------------------------------------------------------


def _request_increase(
    before: MetricsSnapshot, after: MetricsSnapshot, names: MetricNames
) -> tuple[float, float]:
    name, labels = parse_selector(names.requests_total)
    old, new = before.select(name, labels), after.select(name, labels)
    total = compute_counter_increase(old, new)
    errors = compute_counter_increase(
        [s for s in old if _is_server_error(s, names.status_label)],
        [s for s in new if _is_server_error(s, names.status_label)],
    )
    return total, errors


def _is_server_error(sample: Sample, status_label: str) -> bool:
    status = sample.label(status_label) or ""
    return status.startswith("5") or status.lower() == "5xx"


def _bucket_increase(
    before: MetricsSnapshot, after: MetricsSnapshot, histogram: str
) -> list[tuple[float, float]]:
    name, labels = parse_selector(histogram)
    old_by_le = _group_by_le(before.select(f"{name}_bucket", labels))
    new_by_le = _group_by_le(after.select(f"{name}_bucket", labels))
    return [
        (le, compute_counter_increase(old_by_le.get(le, []), series))
        for le, series in new_by_le.items()
    ]


def _group_by_le(samples: Iterable[Sample]) -> dict[float, list[Sample]]:
    out: dict[float, list[Sample]] = {}
    for sample in samples:
        le = sample.label("le")
        if le is None:
            continue
        try:
            bound = float(le)
        except ValueError:
            continue
        rest = tuple(pair for pair in sample.labels if pair[0] != "le")
        out.setdefault(bound, []).append(Sample(sample.name, rest, sample.value))
    return out


def _cpu_percent(before: MetricsSnapshot, after: MetricsSnapshot) -> float | None:
    def read(snapshot: MetricsSnapshot, mode: str) -> float | None:
        found = snapshot.select(HOST_CPU, {"mode": mode})
        return sum_values(found) if found else None

    idle0, all0, idle1, all1 = (
        read(before, "idle"), read(before, "all"), read(after, "idle"), read(after, "all")
    )  # fmt: skip
    if None in (idle0, all0, idle1, all1):
        return None
    assert idle0 is not None and all0 is not None and idle1 is not None and all1 is not None
    spent = all1 - all0
    if spent <= 0:
        return None
    return max(0.0, min(100.0, 100.0 * (1.0 - (idle1 - idle0) / spent)))


def _share(
    snapshot: MetricsSnapshot, name: str, part: str, whole: str, *, invert: bool = False
) -> float | None:
    part_samples = snapshot.select(name, {"state": part})
    whole_samples = snapshot.select(name, {"state": whole})
    total = sum_values(whole_samples)
    if not part_samples or total <= 0:
        return None
    share = 100.0 * sum_values(part_samples) / total
    return 100.0 - share if invert else share


def _db_connections(snapshot: MetricsSnapshot, names: MetricNames) -> float | None:
    used_name, used_labels = parse_selector(names.db_connections_in_use)
    max_name, max_labels = parse_selector(names.db_connections_max)
    used = snapshot.select(used_name, used_labels)
    limit = sum_values(snapshot.select(max_name, max_labels))
    if used and limit > 0:
        return 100.0 * sum_values(used) / limit
    return _share(snapshot, DB_CONNECTIONS, "used", "max")


def _per_minute(
    before: MetricsSnapshot, after: MetricsSnapshot, selector: str, seconds: float
) -> float | None:
    name, labels = parse_selector(selector)
    new = after.select(name, labels)
    if not new:
        return None
    return compute_counter_increase(before.select(name, labels), new) * 60.0 / seconds


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
