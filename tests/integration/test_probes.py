"""Health checks, smoke tests and metrics sources against real local servers, PostgreSQL, Redis."""

from __future__ import annotations

import socket
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from verify_support import FakeApp, closed_port_url, scratch_database, serve_fake_app

from relman.adapters.probes.health import (
    HealthChecks,
    HttpCheck,
    LogScanCheck,
    PostgresCheck,
    RedisCheck,
    build_health_checks,
    integration_check,
    log_offset,
)
from relman.adapters.probes.prometheus import PromQLMetricsSource, ScrapeMetricsSource
from relman.adapters.probes.smoke import SmokeCommand, SmokeTests
from relman.domain.monitoring import default_thresholds, evaluate_thresholds
from relman.domain.rollback import RollbackAction, decide_rollback, list_threshold_triggers
from relman.domain.smoke import SmokeCheck, default_smoke_checks
from relman.errors import ConfigError, IntegrationError

T0 = datetime(2026, 1, 31, 2, 0, tzinfo=UTC)


@pytest.fixture
def fake_app() -> Iterator[tuple[FakeApp, str]]:
    with serve_fake_app() as served:
        yield served


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


# --- health -----------------------------------------------------------------------------------


def test_http_health(fake_app: tuple[FakeApp, str]) -> None:
    app, url = fake_app
    result = HttpCheck(f"{url}/health").run()
    assert result.ok and result.kind == "http"
    assert result.detail.startswith(f"GET {url}/health -> 200 in ")
    app.health_status = 503
    failed = HttpCheck(f"{url}/health").run()
    assert not failed.ok and failed.detail.endswith(", expected 200")


def test_http_health_with_nobody_listening() -> None:
    url = closed_port_url()
    result = HttpCheck(f"{url}/health", timeout=2).run()
    assert not result.ok and "ConnectError" in result.detail


def test_integration_status_urls_need_any_2xx(fake_app: tuple[FakeApp, str]) -> None:
    app, url = fake_app
    assert integration_check("sms", f"{url}/status/sms").run().ok  # 204
    app.integrations["sms"] = 502
    result = integration_check("sms", f"{url}/status/sms").run()
    assert not result.ok and result.kind == "integration" and result.name == "integration sms"


def test_database_connection_and_query_time() -> None:
    with scratch_database() as dsn:
        result = PostgresCheck(dsn).run()
        assert result.ok and result.detail.startswith("connected in ")
        slow = PostgresCheck(dsn, query="SELECT pg_sleep(0.3)", max_query_ms=100).run()
        assert not slow.ok and slow.detail.endswith("(limit 100 ms)")
        missing = PostgresCheck(dsn.rsplit("/", 1)[0] + "/relman_t_missing").run()
        assert not missing.ok and "does not exist" in missing.detail


@pytest.mark.skipif(not redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_redis_ping() -> None:
    result = RedisCheck("redis://127.0.0.1:6379").run()
    assert result.ok and "PONG" in result.detail and result.kind == "redis"


def test_redis_unreachable() -> None:
    url = closed_port_url().replace("http://", "redis://")
    result = RedisCheck(url, timeout=1).run()
    assert not result.ok and "redis://127.0.0.1:" in result.detail


def test_log_scan_reads_only_what_the_new_version_wrote(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("2026-01-31 01:00:00 ERROR the previous version failed\n", encoding="utf-8")
    offset = log_offset(log)
    with log.open("a", encoding="utf-8") as fh:
        fh.write("2026-01-31 02:00:00 INFO listening\n")
    check = LogScanCheck(log, start_offset=offset)
    assert check.run().ok
    with log.open("a", encoding="utf-8") as fh:
        fh.write("2026-01-31 02:00:05 ERROR database error on GET /inventory\n")
    result = check.run()
    assert not result.ok
    assert "first at line 2: 2026-01-31 02:00:05 ERROR database error" in result.detail


def test_log_scan_after_rotation_and_by_start_time(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(
        "2026-01-31 01:59:00 ERROR before the start\n2026-01-31 02:00:01 INFO ok\n",
        encoding="utf-8",
    )
    since = datetime(2026, 1, 31, 2, 0)
    assert LogScanCheck(log, start_offset=10_000, since=since).run().ok  # rotated: from 0
    assert not LogScanCheck(log, start_offset=10_000).run().ok
    missing = LogScanCheck(tmp_path / "nope.log").run()
    assert not missing.ok and "cannot read" in missing.detail


def test_the_health_probe_runs_what_applies(fake_app: tuple[FakeApp, str], tmp_path: Path) -> None:
    app, url = fake_app
    log = tmp_path / "app.log"
    log.write_text("INFO started\n", encoding="utf-8")
    with scratch_database() as dsn:
        probe = build_health_checks(
            base_url=url,
            dsn=dsn,
            redis_url="redis://127.0.0.1:6379" if redis_reachable() else None,
            integrations={"payment": f"{url}/status/payment"},
            log_path=log,
        )
        report = probe.check()
    kinds = [c.kind for c in report.checks]
    assert kinds[:2] == ["http", "database"] and kinds[-2:] == ["integration", "log"]
    assert report.ok, report.summary()
    app.health_status = 500
    assert not build_health_checks(base_url=url).check().ok


def test_a_check_that_blows_up_is_a_failed_check() -> None:
    class Broken:
        name = "broken"

        def run(self) -> Any:
            raise RuntimeError("boom")

    report = HealthChecks([Broken()]).check()
    assert not report.ok and report.checks[0].detail == "RuntimeError: boom"


# --- smoke ------------------------------------------------------------------------------------


def test_the_j003_critical_paths_pass_on_a_healthy_app(fake_app: tuple[FakeApp, str]) -> None:
    _, url = fake_app
    report = SmokeTests(url, default_smoke_checks(), suite="staging").run()
    assert report.ok, report.describe()
    assert report.summary["tests"] == 4
    assert "<testcase " in report.junit_xml


def test_a_slow_or_wrong_app_fails_its_smoke_tests(fake_app: tuple[FakeApp, str]) -> None:
    app, url = fake_app
    app.order_status = "draft"
    app.delay = 0.2
    checks = [
        *default_smoke_checks(),
        SmokeCheck("inventory fast", "/inventory", max_latency_ms=100),
    ]
    report = SmokeTests(url, checks, suite="prod").run()
    assert not report.ok
    failed = report.summary["failed_cases"]
    assert failed == ["smoke.prod::create sales order", "smoke.prod::inventory fast"]
    assert '$.status == "confirmed": got "draft"' in report.junit_xml


def test_smoke_tests_with_nobody_listening_fail_without_raising() -> None:
    report = SmokeTests(closed_port_url(), default_smoke_checks()[:1], timeout=2).run()
    assert not report.ok and "no answer: ConnectError" in report.results[0].detail


def test_an_external_pytest_suite_becomes_part_of_the_report(
    fake_app: tuple[FakeApp, str], tmp_path: Path
) -> None:
    _, url = fake_app
    suite = tmp_path / "test_live.py"
    suite.write_text(
        textwrap.dedent(
            f"""
            import urllib.request

            def test_health():
                assert urllib.request.urlopen("{url}/health").status == 200

            def test_inventory():
                assert b"milk" in urllib.request.urlopen("{url}/inventory").read()
            """
        ),
        encoding="utf-8",
    )
    junit = tmp_path / "out" / "smoke.xml"
    command = SmokeCommand(
        (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite),
         f"--junitxml={junit}"),
        timeout=120,
        junit_path=junit,
        cwd=str(tmp_path),
    )  # fmt: skip
    report = SmokeTests(url, default_smoke_checks(), command=command).run()
    assert report.ok, report.describe()
    assert report.summary["tests"] == 4 + 1 + 2  # HTTP checks, the command, its two tests
    assert "test_inventory" in report.junit_xml


def test_an_external_suite_that_fails_or_hangs(tmp_path: Path) -> None:
    junit = tmp_path / "smoke.xml"
    junit.write_text("<testsuite tests='1'/>", encoding="utf-8")  # a previous run's file
    failing = SmokeCommand((sys.executable, "-c", "import sys; sys.exit(2)"), junit_path=junit)
    report = SmokeTests(None, (), command=failing).run()
    assert not report.ok
    assert "exited with 2; it wrote no JUnit report" in report.results[0].detail
    hanging = SmokeCommand((sys.executable, "-c", "import time; time.sleep(60)"), timeout=1)
    report = SmokeTests(None, (), command=hanging).run()
    assert not report.ok and "timed out after 1 s" in report.results[0].detail


# --- metrics ----------------------------------------------------------------------------------


class StepClock:
    def __init__(self, step: timedelta) -> None:
        self.at, self.step = T0, step

    def __call__(self) -> datetime:
        self.at += self.step
        return self.at


def test_scraping_two_windows_trips_the_error_rate(fake_app: tuple[FakeApp, str]) -> None:
    app, url = fake_app
    source = ScrapeMetricsSource(f"{url}/metrics", now=StepClock(timedelta(seconds=15)))
    app.record(ok=100)
    # critical breaches sort first whatever the host measures (high / warning at most)
    first = source.scrape()
    app.record(ok=190, seconds=0.2)
    app.record(errors=10, seconds=8.0)
    second = source.scrape()
    window = source.measure(first, second)
    assert window.seconds == 15 and window.requests == 200
    assert window.values["error_rate"] == pytest.approx(5.0)
    # 190 answers took 0.2 s (bucket <= 0.5), 10 took 8 s (bucket (5, 10])
    assert window.values["response_time_p95"] == pytest.approx(0.5)
    assert window.values["response_time_p99"] == pytest.approx(5 + 5 * 8 / 10)
    assert window.values["cpu_utilization"] is not None  # this host, from /proc
    assert 0 < (window.values["disk_usage"] or 0) <= 100
    verdict = evaluate_thresholds(window, default_thresholds())
    # (the host's own CPU/memory/disk may breach too on a busy machine: not asserted)
    assert [b.threshold.key for b in verdict.breaches][:2] == ["error_rate", "response_time_p99"]
    decision = decide_rollback(
        list_threshold_triggers(verdict.breaches, detected_at=second.at),
        environment="prod",
        previous_version="1.1.0",
    )
    assert decision is not None and decision.action is RollbackAction.AUTOMATIC_ROLLBACK
    assert decision.threshold == "error_rate > 1% (measured 5%)"


def test_failed_logins_per_minute(fake_app: tuple[FakeApp, str]) -> None:
    app, url = fake_app
    source = ScrapeMetricsSource(
        f"{url}/metrics", host_metrics=False, now=StepClock(timedelta(seconds=30))
    )
    first = source.scrape()
    app.failed_logins += 6
    window = source.measure(first, source.scrape())
    assert window.values["failed_logins"] == pytest.approx(12.0)
    assert window.values["cpu_utilization"] is None


def test_database_connection_usage_comes_from_postgres(fake_app: tuple[FakeApp, str]) -> None:
    _, url = fake_app
    with scratch_database() as dsn:
        source = ScrapeMetricsSource(f"{url}/metrics", host_metrics=False, dsn=dsn)
        snapshot = source.scrape()
    used = snapshot.select("relman_db_connections", {"state": "used"})
    limit = snapshot.select("relman_db_connections", {"state": "max"})
    assert used[0].value >= 1 and limit[0].value >= used[0].value


def test_a_scrape_that_fails_is_an_integration_error(fake_app: tuple[FakeApp, str]) -> None:
    _, url = fake_app
    with pytest.raises(IntegrationError, match="GET answered 404"):
        ScrapeMetricsSource(f"{url}/nope").scrape()
    with pytest.raises(IntegrationError, match="cannot scrape metrics: ConnectError"):
        ScrapeMetricsSource(f"{closed_port_url()}/metrics", timeout=2).scrape()


def prometheus_answers(values: dict[str, Any]) -> Any:
    """A Prometheus-like /api/v1/query: the value of the first key found in the query."""

    def answer(query: dict[str, list[str]]) -> tuple[int, Any]:
        expression = query["query"][0]
        if expression == "time()":
            return 200, {"status": "success", "data": {"resultType": "scalar", "result": [1, "1"]}}
        if "syntax error" in expression:
            return 400, {"status": "error", "errorType": "bad_data", "error": "parse error"}
        for needle, value in values.items():
            if needle in expression:
                result = [] if value is None else [{"metric": {}, "value": [1, str(value)]}]
                return 200, {
                    "status": "success",
                    "data": {"resultType": "vector", "result": result},
                }
        return 200, {"status": "success", "data": {"resultType": "vector", "result": []}}

    return answer


def test_promql_source_queries_each_metric_for_the_window(fake_app: tuple[FakeApp, str]) -> None:
    app, url = fake_app
    app.prometheus = prometheus_answers(
        {'code=~"5.."': 7.5, "histogram_quantile(0.99": 6.0, "node_cpu": "NaN", "failed": None}
    )
    source = PromQLMetricsSource(url, now=StepClock(timedelta(seconds=60)))
    first, second = source.scrape(), source.scrape()
    window = source.measure(first, second)
    assert window.values["error_rate"] == 7.5
    assert window.values["response_time_p99"] == 6.0
    assert window.values["cpu_utilization"] is None  # NaN: not measured
    assert window.values["failed_logins"] is None  # empty vector
    error_query = next(q for q in app.queries if "code=~" in q["query"][0])
    assert "[60s]" in error_query["query"][0]
    assert float(error_query["time"][0]) == second.at.timestamp()
    verdict = evaluate_thresholds(window, default_thresholds())
    assert [b.threshold.key for b in verdict.breaches] == ["error_rate", "response_time_p99"]


def test_promql_errors_are_integration_errors(fake_app: tuple[FakeApp, str]) -> None:
    app, url = fake_app
    app.prometheus = prometheus_answers({})
    source = PromQLMetricsSource(url, queries={"error_rate": "syntax error("})
    with pytest.raises(IntegrationError, match="refused the query 'syntax error\\(': parse error"):
        source.measure(source.scrape(), source.scrape())
    with pytest.raises(IntegrationError, match="Prometheus did not answer"):
        PromQLMetricsSource(closed_port_url(), timeout=2).scrape()
    with pytest.raises(ConfigError, match="unknown metric"):
        PromQLMetricsSource(url, queries={"latency": "up"})
