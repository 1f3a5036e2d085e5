"""The §8.5 health report and the error-log scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from relman.domain.health import (
    CheckResult,
    HealthReport,
    describe_log_findings,
    parse_log_timestamp,
    scan_log,
)

DHAKA = timezone(timedelta(hours=6))
STARTED = datetime(2026, 1, 31, 2, 0, 0, tzinfo=DHAKA)

LOG = """\
2026-01-31 01:59:58,100 ERROR smart_dairy_app: old version failing
Traceback (most recent call last):
  ValueError: ERROR inside the old traceback
2026-01-31 02:00:00,000 INFO smart_dairy_app: listening on 127.0.0.1:8001
2026-01-31 02:00:05,250 WARNING smart_dairy_app: failed login for 'x'
2026-01-31 02:00:07,000 ERROR smart_dairy_app: database error on GET /inventory
Traceback (most recent call last):
  psycopg.OperationalError: CRITICAL server closed the connection
2026-01-31T02:00:09.5+06:00 CRITICAL smart_dairy_app: out of memory
[2026-01-31 02:00:10] INFO no TERRORS here, an ERRORS word neither
"""


def test_scan_since_the_start_keeps_only_the_new_versions_lines() -> None:
    findings = scan_log(LOG, since=STARTED)
    assert [f.line_number for f in findings] == [6, 8, 9]
    assert findings[0].text.endswith("database error on GET /inventory")


def test_scan_without_a_start_time_reads_every_line() -> None:
    assert [f.line_number for f in scan_log(LOG)] == [1, 3, 6, 8, 9]


@pytest.mark.parametrize(
    ("levels", "lines"),
    [(("CRITICAL",), [8, 9]), (("ERROR", "CRITICAL", "WARNING"), [5, 6, 8, 9]), ((), [])],
)
def test_levels_are_configurable(levels: tuple[str, ...], lines: list[int]) -> None:
    assert [f.line_number for f in scan_log(LOG, since=STARTED, levels=levels)] == lines


def test_findings_are_bounded() -> None:
    text = "ERROR x\n" * 100
    assert len(scan_log(text, limit=5)) == 5


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2026-01-31 02:00:07,000 ERROR x", datetime(2026, 1, 31, 2, 0, 7, tzinfo=DHAKA)),
        ("2026-01-31T02:00:09.5+06:00 x", datetime(2026, 1, 31, 2, 0, 9, 500000, tzinfo=DHAKA)),
        ("2026-01-30T20:00:09Z x", datetime(2026, 1, 30, 20, 0, 9, tzinfo=UTC)),
        ("[2026-01-31 02:00:10] x", datetime(2026, 1, 31, 2, 0, 10, tzinfo=DHAKA)),
        ("  psycopg.OperationalError", None),
        ("2026-13-31 02:00:10 bad month", None),
    ],
)
def test_log_timestamps(line: str, expected: datetime | None) -> None:
    assert parse_log_timestamp(line, zone_of=STARTED) == expected


def test_report_summary_names_the_failures() -> None:
    report = HealthReport(
        (
            CheckResult("http health", True, "GET /health -> 200", 3.0, "http"),
            CheckResult("redis", False, "connection refused", 1.0, "redis"),
        )
    )
    assert not report.ok
    assert report.summary() == "1/2 checks passed; failed: redis (connection refused)"
    assert report.to_dict()["checks"][1] == {  # type: ignore[index]
        "name": "redis", "kind": "redis", "ok": False, "detail": "connection refused",
        "duration_ms": 1.0,
    }  # fmt: skip
    assert HealthReport(()).ok


def test_log_findings_are_described_for_people() -> None:
    findings = scan_log(LOG, since=STARTED)
    text = describe_log_findings(findings, source="app.log")
    assert text.startswith("3 error line(s) in app.log, first at line 6: ")
    assert text.endswith("(+2 more)")
    assert describe_log_findings([], source="app.log") == "no ERROR or CRITICAL lines in app.log"
