"""Prometheus text parsing, histogram quantiles, window metrics and §14.2 thresholds."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relman.domain.monitoring import (
    DB_CONNECTIONS,
    HOST_CPU,
    HOST_DISK,
    HOST_MEMORY,
    MetricNames,
    Threshold,
    WindowMetrics,
    compute_counter_increase,
    compute_histogram_quantile,
    compute_window_metrics,
    default_thresholds,
    evaluate_thresholds,
)
from relman.domain.prometheus import (
    MetricsSnapshot,
    Sample,
    format_sample,
    parse_prometheus_text,
    parse_selector,
)
from relman.errors import InvalidInputError

T0 = datetime(2026, 1, 31, 2, 0, tzinfo=UTC)

# --- the text format ------------------------------------------------------------------------

EXPOSITION = """\
# HELP smart_dairy_http_requests_total HTTP requests answered, by status code.
# TYPE smart_dairy_http_requests_total counter
smart_dairy_http_requests_total{code="200"} 1027
smart_dairy_http_requests_total{code="503"} 3 1706666400000
smart_dairy_http_request_duration_seconds_bucket{le="+Inf"} 1030
up 1
weird{path="/a\\"b\\\\c\\nd",z="1" , a="2",} -Inf
nan_metric NaN
"""


def test_parses_samples_labels_values_and_ignores_comments_and_timestamps() -> None:
    samples = parse_prometheus_text(EXPOSITION)
    assert [s.name for s in samples] == [
        "smart_dairy_http_requests_total",
        "smart_dairy_http_requests_total",
        "smart_dairy_http_request_duration_seconds_bucket",
        "up",
        "weird",
        "nan_metric",
    ]
    assert samples[0] == Sample("smart_dairy_http_requests_total", (("code", "200"),), 1027.0)
    assert samples[1].value == 3.0  # the timestamp is not the value
    assert samples[2].label("le") == "+Inf"
    assert samples[4].labels == (("a", "2"), ("path", '/a"b\\c\nd'), ("z", "1"))
    assert samples[4].value == -math.inf
    assert math.isnan(samples[5].value)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("9bad 1", "expected a metric name"),
        ("metric", "expected 'name{labels} value"),
        ("metric 1 2 3", "expected 'name{labels} value"),
        ("metric abc", "'abc' is not a sample value"),
        ('metric{a="1" 1', "expected ',' or '}'"),
        ('metric{a="1} 1', "unterminated label value"),
        ("metric{a=1} 1", 'expected =" after label'),
        ('metric{1a="x"} 1', "expected a label name"),
    ],
)
def test_malformed_lines_name_the_line(line: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_prometheus_text(f"# ok\nfine 1\n{line}\n", source="http://app/metrics")
    assert message in err.value.message
    assert err.value.where == "http://app/metrics:3"


_label_values = st.text(
    alphabet=st.characters(
        blacklist_categories=["Cs"], blacklist_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    ),
    max_size=20,
)


@given(
    name=st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,20}", fullmatch=True),
    labels=st.dictionaries(
        st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,10}", fullmatch=True), _label_values, max_size=4
    ),
    value=st.floats(allow_nan=False),
)
def test_format_then_parse_round_trips(name: str, labels: dict[str, str], value: float) -> None:
    sample = Sample(name, tuple(sorted(labels.items())), value)
    assert parse_prometheus_text(format_sample(sample)) == [sample]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http_requests_total", ("http_requests_total", {})),
        ('logins_total{result="failure"}', ("logins_total", {"result": "failure"})),
        (' a{x="1", y="2"} ', ("a", {"x": "1", "y": "2"})),
    ],
)
def test_selectors(text: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_selector(text) == expected


@pytest.mark.parametrize("text", ["", '{a="b"}', 'a{b="c"} extra', "a{b}"])
def test_bad_selectors_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_selector(text)


# --- quantiles --------------------------------------------------------------------------------

INF = math.inf


@pytest.mark.parametrize(
    ("q", "buckets", "expected"),
    [
        (0.5, [(0.1, 50), (0.5, 90), (1.0, 100), (INF, 100)], 0.1),
        (0.95, [(0.1, 50), (0.5, 90), (1.0, 100), (INF, 100)], 0.75),
        (0.25, [(0.1, 50), (0.5, 90), (1.0, 100), (INF, 100)], 0.05),  # first bucket from 0
        (0.99, [(1.0, 90), (INF, 100)], 1.0),  # rank in +Inf: the highest finite bound
        (0.95, [(INF, 100), (1.0, 100), (0.5, 0)], 0.975),  # order does not matter
        (0.5, [(0.5, 60), (1.0, 40), (INF, 100)], 0.4166666666666667),  # made monotonic
        (0.5, [(-1.0, 10), (INF, 10)], -1.0),  # a non-positive first bound is returned
        (0.5, [(1.0, 0), (INF, 0)], None),  # no observations
        (0.5, [(1.0, 5)], None),  # one bucket
        (0.5, [(1.0, 5), (2.0, 10)], None),  # no +Inf bucket
        (0.0, [(1.0, 10), (INF, 10)], 0.0),
        (1.0, [(1.0, 10), (2.0, 20), (INF, 20)], 2.0),
    ],
)
def test_histogram_quantile_matches_prometheus(
    q: float, buckets: list[tuple[float, float]], expected: float | None
) -> None:
    result = compute_histogram_quantile(q, buckets)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_quantile_outside_zero_one_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        compute_histogram_quantile(1.5, [(1.0, 1), (INF, 1)])


@pytest.mark.parametrize(
    ("before", "after", "increase"),
    [
        ([("a", 10)], [("a", 15)], 5),
        ([("a", 10)], [("a", 4)], 4),  # reset: the new value is the increase
        ([], [("a", 7)], 7),  # a new series started at zero
        ([("a", 1), ("b", 2)], [("a", 3), ("b", 2)], 2),
        ([("a", 5)], [], 0),  # gone
    ],
)
def test_counter_increase(
    before: list[tuple[str, float]], after: list[tuple[str, float]], increase: float
) -> None:
    def samples(rows: list[tuple[str, float]]) -> list[Sample]:
        return [Sample("c", (("k", key),), value) for key, value in rows]

    assert compute_counter_increase(samples(before), samples(after)) == increase


# --- windows ----------------------------------------------------------------------------------


def scrape(
    at: datetime,
    *,
    ok: float,
    errors: float,
    buckets: dict[str, float],
    failed_logins: float | None = None,
    extra: tuple[Sample, ...] = (),
) -> MetricsSnapshot:
    p = "smart_dairy_"
    lines = [
        f'{p}http_requests_total{{code="200"}} {ok}',
        f'{p}http_requests_total{{code="500"}} {errors}',
        *(f'{p}http_request_duration_seconds_bucket{{le="{le}"}} {n}' for le, n in buckets.items()),
    ]
    if failed_logins is not None:
        lines.append(f"{p}failed_logins_total {failed_logins}")
    return MetricsSnapshot(at, (*parse_prometheus_text("\n".join(lines)), *extra))


def host(
    cpu_idle: float, cpu_all: float, *, mem_avail: float = 4, disk_used: float = 50
) -> tuple[Sample, ...]:
    return (
        Sample(HOST_CPU, (("mode", "idle"),), cpu_idle),
        Sample(HOST_CPU, (("mode", "all"),), cpu_all),
        Sample(HOST_MEMORY, (("state", "total"),), 16.0),
        Sample(HOST_MEMORY, (("state", "available"),), mem_avail),
        Sample(HOST_DISK, (("state", "total"),), 100.0),
        Sample(HOST_DISK, (("state", "used"),), disk_used),
        Sample(DB_CONNECTIONS, (("state", "used"),), 90.0),
        Sample(DB_CONNECTIONS, (("state", "max"),), 100.0),
    )


def test_window_metrics_from_two_scrapes() -> None:
    before = scrape(
        T0,
        ok=1000, errors=10, buckets={"0.5": 900, "1": 1000, "5": 1010, "+Inf": 1010},
        failed_logins=3, extra=host(1000, 2000),
    )  # fmt: skip
    after = scrape(
        T0 + timedelta(seconds=60),
        ok=1180, errors=30, buckets={"0.5": 900, "1": 1100, "5": 1210, "+Inf": 1210},
        failed_logins=18, extra=host(1010, 2100, mem_avail=2, disk_used=90),
    )  # fmt: skip
    window = compute_window_metrics(before, after)
    assert window.seconds == 60
    assert window.requests == 200 and window.errors == 20
    values = window.values
    assert values["error_rate"] == pytest.approx(10.0)
    # 200 observations: 100 in (0.5, 1], 100 in (1, 5]; rank 190 -> 1 + 4 * 90/100
    assert values["response_time_p95"] == pytest.approx(4.6)
    assert values["response_time_p99"] == pytest.approx(1 + 4 * 98 / 100)
    assert values["cpu_utilization"] == pytest.approx(90.0)
    assert values["memory_utilization"] == pytest.approx(87.5)
    assert values["disk_usage"] == pytest.approx(90.0)
    assert values["database_connections"] == pytest.approx(90.0)
    assert values["failed_logins"] == pytest.approx(15.0)


def test_no_traffic_means_nothing_measured_rather_than_zero() -> None:
    buckets = {"1": 5, "+Inf": 5}
    before = scrape(T0, ok=5, errors=0, buckets=buckets)
    after = scrape(T0 + timedelta(seconds=15), ok=5, errors=0, buckets=buckets)
    window = compute_window_metrics(before, after)
    assert window.values["error_rate"] is None
    assert window.values["response_time_p95"] is None
    assert window.values["cpu_utilization"] is None  # no host readings
    assert window.values["failed_logins"] is None  # no such series


def test_a_restarted_app_counts_from_its_new_values() -> None:
    before = scrape(T0, ok=5000, errors=0, buckets={"1": 5000, "+Inf": 5000})
    after = scrape(T0 + timedelta(seconds=30), ok=90, errors=10, buckets={"1": 100, "+Inf": 100})
    window = compute_window_metrics(before, after)
    assert window.requests == 100
    assert window.values["error_rate"] == pytest.approx(10.0)


def test_metric_names_and_labels_are_configurable() -> None:
    text_before = 'req_total{status="200",job="a"} 10\nreq_total{status="502",job="a"} 0\n'
    text_after = 'req_total{status="200",job="a"} 19\nreq_total{status="502",job="a"} 1\n'
    names = MetricNames(requests_total='req_total{job="a"}', status_label="status")
    window = compute_window_metrics(
        MetricsSnapshot(T0, tuple(parse_prometheus_text(text_before))),
        MetricsSnapshot(T0 + timedelta(seconds=10), tuple(parse_prometheus_text(text_after))),
        names,
    )
    assert window.values["error_rate"] == pytest.approx(10.0)


def test_app_connection_gauges_win_over_relmans_reading() -> None:
    gauges = "smart_dairy_db_connections_in_use 7\nsmart_dairy_db_connections_max 8\n"
    snap = MetricsSnapshot(T0, (*parse_prometheus_text(gauges), *host(0, 0)))
    later = MetricsSnapshot(T0 + timedelta(seconds=5), snap.samples)
    assert compute_window_metrics(snap, later).values["database_connections"] == 87.5


def test_the_second_scrape_must_be_later() -> None:
    snap = scrape(T0, ok=1, errors=0, buckets={})
    with pytest.raises(InvalidInputError, match="not after"):
        compute_window_metrics(snap, snap)


# --- thresholds -------------------------------------------------------------------------------

J003 = {t.key: t for t in default_thresholds()}


@pytest.mark.parametrize(
    ("key", "measured", "breached", "severity"),
    [
        ("error_rate", 1.0, False, "critical"),
        ("error_rate", 1.01, True, "critical"),
        ("response_time_p95", 3.0, False, "high"),
        ("response_time_p95", 3.2, True, "high"),
        ("response_time_p99", 5.5, True, "critical"),
        ("cpu_utilization", 80.0, False, "high"),
        ("cpu_utilization", 81.0, True, "high"),
        ("memory_utilization", 86.0, True, "high"),
        ("database_connections", 79.0, False, "high"),
        ("disk_usage", 85.5, True, "warning"),
        ("failed_logins", 11.0, True, "warning"),
        ("failed_logins", 10.0, False, "warning"),
    ],
)
def test_j003_thresholds(key: str, measured: float, breached: bool, severity: str) -> None:
    threshold = J003[key]
    assert threshold.severity == severity
    assert threshold.is_breached(measured) is breached


def test_evaluation_orders_breaches_by_severity_and_lists_the_unmeasured() -> None:
    window = WindowMetrics(
        T0,
        T0 + timedelta(minutes=1),
        {"disk_usage": 90.0, "response_time_p95": 4.0, "error_rate": 7.5, "cpu_utilization": 10.0},
    )
    verdict = evaluate_thresholds(window, default_thresholds())
    assert not verdict.ok
    assert [b.threshold.key for b in verdict.breaches] == [
        "error_rate",
        "response_time_p95",
        "disk_usage",
    ]
    assert verdict.breaches[0].describe() == "error_rate > 1% (measured 7.5%)"
    assert set(verdict.unmeasured) == {
        "response_time_p99", "memory_utilization", "database_connections", "failed_logins"
    }  # fmt: skip


def test_a_clean_window_passes() -> None:
    window = WindowMetrics(T0, T0 + timedelta(minutes=1), {"error_rate": 0.2})
    assert evaluate_thresholds(window, default_thresholds()).ok


def test_an_unknown_operator_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown operator"):
        Threshold("error_rate", "Error Rate", "=>", 1.0, "%", "critical")


def test_settings_thresholds_resolve_to_the_j003_defaults() -> None:
    from relman.policy_settings.verification import resolve_thresholds
    from relman.settings import Settings

    assert resolve_thresholds(Settings().thresholds) == default_thresholds()
