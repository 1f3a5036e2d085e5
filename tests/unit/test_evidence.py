"""Evidence parsers on small hand-written documents; real tool output is in tests/integration."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relman.domain.evidence import (
    compute_cvss_severity,
    compute_digest,
    find_latest_evidence,
    judge_evidence,
    parse_ci_status,
    parse_cobertura,
    parse_evidence,
    parse_junit,
    parse_sarif,
)
from relman.domain.releases import Evidence
from relman.errors import InvalidInputError

JUNIT_SUITE = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuite name="s" tests="3" failures="1" errors="0" skipped="1">
  <testcase classname="m" name="ok"/>
  <testcase classname="m" name="bad"><failure message="x"/></testcase>
  <testcase classname="m" name="skip"><skipped/></testcase>
</testsuite>"""

JUNIT_AGGREGATE = (
    '<testsuites><testsuite tests="7" failures="0" errors="2" skipped="0"/></testsuites>'
)

COBERTURA = (
    '<?xml version="1.0" ?><coverage line-rate="0.8512" lines-valid="1000" lines-covered="851"/>'
)


def _sarif(results: list[dict[str, object]], rules: list[dict[str, object]] | None = None) -> str:
    driver: dict[str, object] = {"name": "scanner", "rules": rules or []}
    return json.dumps(
        {"version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results}]}
    )


def test_junit_testsuite_root_counts_each_outcome() -> None:
    summary = parse_junit(JUNIT_SUITE, source="r.xml")
    assert (summary["tests"], summary["failures"], summary["errors"], summary["skipped"]) == (
        3,
        1,
        0,
        1,
    )
    assert summary["passed"] == 1
    assert summary["failed_cases"] == ["m::bad"]


def test_junit_without_testcases_trusts_suite_attributes() -> None:
    summary = parse_junit(JUNIT_AGGREGATE, source="agg.xml")
    assert (summary["tests"], summary["errors"], summary["passed"]) == (7, 2, 5)


@pytest.mark.parametrize(
    ("parser", "data", "message"),
    [
        (parse_junit, COBERTURA, r"not JUnit XML.*root element is <coverage>"),
        (parse_junit, "<testsuite><testcase>", r"not JUnit XML.*malformed XML"),
        (parse_junit, "", r"not JUnit XML.*malformed XML"),
        (parse_junit, '<testsuite tests="many"/>', r"tests='many'.*is not a number"),
        (parse_junit, '<!DOCTYPE x [<!ENTITY a "b">]><testsuite/>', "document type declarations"),
        (parse_cobertura, JUNIT_SUITE, r"not Cobertura.*root element is <testsuite>"),
        (parse_cobertura, '<coverage line-rate="1.7"/>', "not between 0 and 1"),
        (parse_cobertura, '<coverage line-rate="abc"/>', "not between 0 and 1"),
        (
            parse_sarif,
            '{"version": "2.0.0", "runs": []}',
            r"not SARIF 2\.1\.0.*version is '2\.0\.0'",
        ),
        (parse_sarif, '{"runs": {}}', "no runs"),
        (parse_sarif, "[1, 2]", "no runs"),
        (parse_sarif, JUNIT_SUITE, "malformed JSON"),
        (
            parse_sarif,
            '{"version": "2.1.0", "runs": [{"results": [3]}]}',
            r"results\[0\] is not an object",
        ),
        (parse_ci_status, "green", "unknown status 'green'"),
        (parse_ci_status, '{"url": "x"}', "no status"),
        (parse_ci_status, "success\nnot a pair", "is not key=value"),
        (parse_ci_status, '{"status": "success", "artifact_digest": "md5:1"}', "is not sha256"),
    ],
)
def test_input_that_is_not_what_it_claims_is_refused_naming_the_file(
    parser: object, data: str | bytes, message: str
) -> None:
    assert callable(parser)
    with pytest.raises(InvalidInputError, match=message) as info:
        parser(data, source="evidence/file.dat")
    assert info.value.where is not None
    assert info.value.where.startswith("evidence/file.dat")


def test_cobertura_percent_from_lines() -> None:
    summary = parse_cobertura(COBERTURA, source="c.xml")
    assert summary["percent"] == 85.1
    assert summary["lines_covered"] == 851


def test_sarif_levels_default_from_rule_then_warning() -> None:
    rules = [{"id": "R1", "defaultConfiguration": {"level": "note"}}]
    summary = parse_sarif(_sarif([{"ruleId": "R1"}, {"ruleId": "R2"}], rules), source="s.sarif")
    assert summary["by_level"] == {"error": 0, "warning": 1, "note": 1, "none": 0}


@pytest.mark.parametrize(
    ("result_props", "rule_props", "severity"),
    [
        ({"security-severity": "9.8"}, {}, "critical"),
        ({}, {"security-severity": "7.5"}, "high"),
        ({}, {"security-severity": "5.0"}, "medium"),
        ({}, {"problem.severity": "recommendation"}, "low"),
        ({}, {"problem.severity": "error"}, "high"),
        ({"security-severity": "2.0"}, {"security-severity": "9.9"}, "low"),
        ({}, {}, ""),
    ],
)
def test_sarif_severity_from_security_severity_or_problem_severity(
    result_props: dict[str, str], rule_props: dict[str, str], severity: str
) -> None:
    rules = [{"id": "R", "properties": rule_props}]
    summary = parse_sarif(
        _sarif([{"ruleId": "R", "level": "warning", "properties": result_props}], rules), source="s"
    )
    findings = summary["findings"]
    assert isinstance(findings, list)
    assert findings[0]["severity"] == severity


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        (10.0, "critical"),
        (9.0, "critical"),
        (8.9, "high"),
        (7.0, "high"),
        (4.0, "medium"),
        (3.9, "low"),
    ],
)
def test_cvss_rating(score: float, rating: str) -> None:
    assert compute_cvss_severity(score) == rating


@pytest.mark.parametrize(
    ("data", "status", "digest"),
    [
        (
            '{"status": "success", "url": "https://ci/1", "artifact_digest": "sha256:'
            + "a" * 64
            + '"}',
            "success",
            "sha256:" + "a" * 64,
        ),
        ("failed\nurl=https://ci/2", "failure", None),
        ("SUCCESS", "success", None),
        ('{"status": "canceled"}', "cancelled", None),
    ],
)
def test_ci_status(data: str, status: str, digest: str | None) -> None:
    summary = parse_ci_status(data, source="ci.json")
    assert summary["status"] == status
    assert summary["artifact_digest"] == digest


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown evidence kind 'lcov'"):
        parse_evidence("lcov", b"", source="x")


def test_digest_is_sha256_of_the_bytes() -> None:
    assert compute_digest("abc") == compute_digest(b"abc")
    assert compute_digest(b"abc").startswith("sha256:ba7816bf")


@given(st.binary(max_size=300), st.sampled_from(["junit", "coverage", "sarif", "ci"]))
def test_any_bytes_parse_or_raise_invalid_input(data: bytes, kind: str) -> None:
    try:
        summary = parse_evidence(kind, data, source="fuzz")
    except InvalidInputError as exc:
        assert exc.where is not None
    else:
        assert summary["format"] in ("junit", "cobertura", "sarif", "ci")


@given(st.text(max_size=200), st.sampled_from(["junit", "coverage", "sarif", "ci"]))
def test_any_text_parses_or_raises_invalid_input(data: str, kind: str) -> None:
    with contextlib.suppress(InvalidInputError):
        parse_evidence(kind, data, source="fuzz")


@given(st.lists(st.sampled_from(["", "<failure/>", "<error/>", "<skipped/>"]), max_size=30))
def test_junit_counts_match_generated_cases(outcomes: list[str]) -> None:
    cases = "".join(f'<testcase name="t{i}">{o}</testcase>' for i, o in enumerate(outcomes))
    summary = parse_junit(f"<testsuites><testsuite>{cases}</testsuite></testsuites>", source="g")
    assert summary["tests"] == len(outcomes)
    assert summary["failures"] == outcomes.count("<failure/>")
    assert summary["errors"] == outcomes.count("<error/>")
    assert summary["skipped"] == outcomes.count("<skipped/>")


AT = datetime(2026, 3, 1, tzinfo=UTC)


def _ev(kind: str, summary: dict[str, object], *, sha: str = "c1", minute: int = 0) -> Evidence:
    return Evidence("R1", kind, summary, "sha256:x", "f", sha, AT.replace(minute=minute))


@pytest.mark.parametrize(
    ("kind", "summary", "ok"),
    [
        ("junit", {"tests": 5, "failures": 0, "errors": 0}, True),
        ("junit", {"tests": 0, "failures": 0, "errors": 0}, False),
        ("junit", {"tests": 5, "failures": 1, "errors": 0}, False),
        ("junit", {"tests": 5, "failures": 0, "errors": 1}, False),
        ("coverage", {"percent": 80.0}, True),
        ("coverage", {"percent": 79.99}, False),
        ("sarif", {"total": 3, "by_level_severity": {"warning/-": 2, "note/low": 1}}, True),
        ("sarif", {"total": 1, "by_level_severity": {"warning/high": 1}}, False),
        ("sarif", {"total": 1, "by_level_severity": {"error/-": 1}}, False),
        ("sarif", {"total": 1, "by_level_severity": {"note/critical": 1}}, False),
        ("ci", {"status": "success"}, True),
        ("ci", {"status": "failure"}, False),
    ],
)
def test_judge_evidence(kind: str, summary: dict[str, object], ok: bool) -> None:
    verdict = judge_evidence(
        _ev(kind, summary), coverage_min=80.0, blocking_levels=("critical", "high", "error")
    )
    assert verdict.ok is ok
    assert verdict.detail


def test_latest_evidence_is_for_the_current_commit() -> None:
    old = _ev("junit", {"tests": 1}, minute=1)
    new = _ev("junit", {"tests": 2}, minute=2)
    other_commit = _ev("junit", {"tests": 3}, sha="c2", minute=3)
    assert find_latest_evidence([new, old, other_commit], "junit", "c1") is new
    assert find_latest_evidence([old], "coverage", "c1") is None
    assert find_latest_evidence([old], "junit", "c9") is None
