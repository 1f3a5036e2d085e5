"""Smoke checks judged from responses, JSON expectations, the JUnit report; smoke settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relman.domain.evidence import parse_junit
from relman.domain.health import CheckResult
from relman.domain.smoke import (
    SmokeCheck,
    SmokeResponse,
    build_smoke_report,
    default_smoke_checks,
    evaluate_json_expectation,
    evaluate_smoke_check,
    parse_json_expectation,
)
from relman.errors import ConfigError, InvalidInputError

AT = datetime(2026, 1, 31, 2, 30, tzinfo=UTC)
ORDER = {"id": 7, "status": "confirmed", "lines": [{"qty": 2}], "paid": False, "a b": 1}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('$.status == "confirmed"', None),
        ('$.status != "draft"', None),
        ('$.status == "draft"', '$.status == "draft": got "confirmed"'),
        ("$.id", None),
        ("$.missing", "$.missing: no such value in the response"),
        ("$.lines[0].qty >= 2", None),
        ("$.lines[0].qty > 2", "$.lines[0].qty > 2: got 2"),
        ("$.lines[1]", "$.lines[1]: no such value in the response"),
        ('$["a b"] == 1', None),
        ("$.paid == false", None),
        ("$.id < 10", None),
        ('$.id > "x"', '$.id > "x": got 7'),  # incomparable types fail, never raise
        ("$", None),
    ],
)
def test_json_expectations(text: str, problem: str | None) -> None:
    assert evaluate_json_expectation(parse_json_expectation(text), ORDER) == problem


@pytest.mark.parametrize(
    "text",
    ["status == 1", "$.status = 'x'", "$.status == confirmed", "$.[0]", "$.a ~= 1"],
)
def test_bad_json_expectations_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError, match="invalid JSON expectation"):
        parse_json_expectation(text)


CREATE = SmokeCheck(
    "create sales order",
    "/sales-orders",
    method="POST",
    json_body={"customer": "SMOKE"},
    expected_status=201,
    json_expectations=('$.status == "confirmed"',),
    max_latency_ms=1000,
)


@pytest.mark.parametrize(
    ("response", "ok", "detail"),
    [
        (SmokeResponse(201, json.dumps(ORDER), 120.0), True, "POST /sales-orders -> 201 in 120 ms"),
        (
            SmokeResponse(500, "boom", 5.0),
            False,
            "status 500, expected 201; body is not JSON: 'boom'",
        ),
        (SmokeResponse(201, json.dumps(ORDER), 1500.0), False, "took 1500 ms, more than 1000 ms"),
        (
            SmokeResponse(201, json.dumps({"status": "draft"}), 10.0),
            False,
            '$.status == "confirmed": got "draft"',
        ),
        (
            SmokeResponse(None, "", 3.0, "ConnectError: refused"),
            False,
            "no answer: ConnectError: refused",
        ),
    ],
)
def test_evaluate_smoke_check(response: SmokeResponse, ok: bool, detail: str) -> None:
    result = evaluate_smoke_check(CREATE, response)
    assert (result.ok, result.detail) == (ok, detail)
    assert result.kind == "smoke" and result.name == "create sales order"


def test_body_contains() -> None:
    check = SmokeCheck("dashboard", "/dashboard", body_contains="orders_today")
    assert evaluate_smoke_check(check, SmokeResponse(200, '{"orders_today": 3}', 1)).ok
    result = evaluate_smoke_check(check, SmokeResponse(200, "{}", 1))
    assert result.detail == "body does not contain 'orders_today'"


def test_a_check_refuses_an_unknown_method_or_expectation() -> None:
    with pytest.raises(InvalidInputError, match="unknown HTTP method"):
        SmokeCheck("x", "/", method="FETCH")
    with pytest.raises(InvalidInputError, match="invalid JSON expectation"):
        SmokeCheck("x", "/", json_expectations=("status",))


def test_the_defaults_are_the_j003_critical_paths() -> None:
    checks = {c.name: c for c in default_smoke_checks()}
    assert list(checks) == ["user login", "dashboard load", "create sales order", "inventory query"]
    assert checks["dashboard load"].max_latency_ms == 3000  # §14.1: < 3 seconds
    assert checks["inventory query"].max_latency_ms == 1000  # §8.5: DB query < 1 s
    assert checks["user login"].severity == "critical"  # §13.1: login broken is P1


def test_the_report_is_junit_evidence() -> None:
    results = [
        CheckResult("user login", True, "POST /login -> 200 in 12 ms", 12.0, "smoke"),
        CheckResult("dashboard load", False, "took 3400 ms, more than 3000 ms", 3400.0, "smoke"),
    ]
    report = build_smoke_report(results, suite="staging", at=AT)
    assert not report.ok
    summary = parse_junit(report.junit_xml, source="smoke.xml")
    assert summary == report.summary
    assert (summary["tests"], summary["failures"], summary["passed"]) == (2, 1, 1)
    assert summary["failed_cases"] == ["smoke.staging::dashboard load"]
    assert "took 3400 ms" in report.junit_xml
    assert report.describe() == "1/2 smoke tests passed; failed: smoke.staging::dashboard load"


def test_external_junit_suites_are_merged() -> None:
    external = (
        '<testsuite name="pytest" tests="2" failures="0" errors="0">'
        '<testcase classname="t" name="a"/><testcase classname="t" name="b"/></testsuite>'
    )
    results = [CheckResult("smoke command", True, "pytest exited with 0", 900.0, "smoke")]
    report = build_smoke_report(results, suite="prod", at=AT, external_junit=[("x.xml", external)])
    assert report.ok
    assert report.summary["tests"] == 3 and report.summary["suites"] == 2


def test_external_junit_that_is_not_junit_is_refused_naming_the_file() -> None:
    with pytest.raises(InvalidInputError) as err:
        build_smoke_report([], suite="s", at=AT, external_junit=[("out/smoke.xml", "<html/>")])
    assert err.value.where == "out/smoke.xml"


def test_an_empty_run_is_not_a_pass() -> None:
    assert not build_smoke_report([], suite="s", at=AT).ok


# --- settings ---------------------------------------------------------------------------------


def test_smoke_settings_default_to_the_domain_checks() -> None:
    from relman.settings import Settings

    assert Settings().verification.smoke.smoke_checks() == default_smoke_checks()


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({"name": "x", "path": "/", "json_path": ["status"]}, "invalid JSON expectation"),
        ({"name": "x", "path": "/", "method": "FETCH"}, "unknown HTTP method"),
        ({"name": "x", "path": "/", "expected_status": 99}, "greater than or equal to 100"),
        ({"name": "x", "path": "/", "timeout": 3}, "unknown key 'timeout'"),
    ],
)
def test_bad_smoke_settings_name_the_key(check: dict[str, object], message: str) -> None:
    from relman.settings import validate_settings

    with pytest.raises(ConfigError) as err:
        validate_settings({"verification": {"smoke": {"checks": [check]}}})
    assert message in err.value.message
    assert "verification.smoke.checks" in err.value.message


def test_configured_checks_become_domain_checks() -> None:
    from relman.settings import validate_settings

    settings = validate_settings(
        {
            "verification": {
                "smoke": {
                    "checks": [
                        {
                            "name": "order",
                            "path": "/orders",
                            "method": "post",
                            "body": {"qty": 1},
                            "expected_status": 201,
                            "json_path": ['$.status == "confirmed"'],
                            "max_latency_ms": 500,
                            "severity": "critical",
                        }
                    ]
                }
            }
        }
    )
    (check,) = settings.verification.smoke.smoke_checks()
    assert check == SmokeCheck(
        "order",
        "/orders",
        method="POST",
        json_body={"qty": 1},
        expected_status=201,
        json_expectations=('$.status == "confirmed"',),
        max_latency_ms=500.0,
        severity="critical",
    )


_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)


@given(key=st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,15}", fullmatch=True), value=_json_scalars)
def test_an_equality_expectation_holds_for_the_value_it_names(key: str, value: object) -> None:
    expectation = parse_json_expectation(f"$.{key} == {json.dumps(value)}")
    assert expectation.path == (key,)
    assert evaluate_json_expectation(expectation, {key: value}) is None
    quoted = parse_json_expectation(f"$[{json.dumps(key)}] != {json.dumps(value)}")
    assert evaluate_json_expectation(quoted, {key: value}) is not None
