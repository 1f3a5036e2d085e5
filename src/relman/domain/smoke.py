"""Smoke tests (J-003 §8.5, §14.1): HTTP checks judged from responses, reported as JUnit XML.

A `SmokeCheck` says what to send (method, path, JSON body) and what a good answer is: the status,
text the body contains, JSON expectations (``$.status == "confirmed"``) and a maximum latency
(J-003: dashboard < 3 s, database query < 1 s). `evaluate_smoke_check` judges one response;
`build_smoke_report` turns the results (plus the JUnit suites of an external command, e.g.
``pytest --junitxml``) into one JUnit document that is stored as ``junit`` evidence for G5/G7.

JSON expectations: ``$`` then ``.key``, ``[0]`` or ``["key"]`` steps, then optionally an
operator (``== != > >= < <=``) and a JSON literal; with no operator the value must exist.
"""

from __future__ import annotations

import json
import math
import operator
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from relman.domain.evidence import parse_junit
from relman.domain.health import CheckResult
from relman.errors import InvalidInputError

HTTP_METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
_STEP = re.compile(r"""\.([A-Za-z_][\w\-]*)|\[(\d+)\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]""")
_OPERATORS: Mapping[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_MISSING = object()


@dataclass(frozen=True)
class JsonExpectation:
    text: str
    path: tuple[str | int, ...]
    operator: str  # one of _OPERATORS, or "exists"
    expected: Any = None


def parse_json_expectation(text: str) -> JsonExpectation:
    """``'$.status == "confirmed"'`` -> path ("status",), ``==``, ``"confirmed"``."""
    source = text.strip()
    if not source.startswith("$"):
        raise InvalidInputError(
            f"invalid JSON expectation {text!r}: it must start with $ "
            '(e.g. $.status == "confirmed")',
            where=text,
        )
    position, path = 1, list[str | int]()
    while (match := _STEP.match(source, position)) is not None:
        key, index, quoted = match.groups()
        if index is not None:
            path.append(int(index))
        else:
            path.append(key if key is not None else json.loads(f'"{quoted}"'))
        position = match.end()
    rest = source[position:].strip()
    if not rest:
        return JsonExpectation(text, tuple(path), "exists")
    op = next((o for o in _OPERATORS if rest.startswith(o)), None)
    if op is None:
        raise InvalidInputError(
            f"invalid JSON expectation {text!r}: expected .key, [index] or an operator "
            f"({' '.join(_OPERATORS)}) at {rest[:20]!r}",
            where=text,
        )
    literal = rest[len(op) :].strip()
    try:
        expected = json.loads(literal)
    except ValueError:
        raise InvalidInputError(
            f"invalid JSON expectation {text!r}: {literal!r} is not a JSON value "
            '(strings need double quotes: "confirmed")',
            where=text,
        ) from None
    return JsonExpectation(text, tuple(path), op, expected)


def evaluate_json_expectation(expectation: JsonExpectation, document: Any) -> str | None:
    """None when the document meets the expectation, else what is wrong."""
    value: Any = document
    for step in expectation.path:
        in_list = isinstance(step, int) and isinstance(value, list) and step < len(value)
        in_dict = isinstance(step, str) and isinstance(value, dict) and step in value
        if in_list or in_dict:
            value = value[step]
        else:
            value = _MISSING
            break
    if value is _MISSING:
        return f"{expectation.text}: no such value in the response"
    if expectation.operator == "exists":
        return None
    try:
        holds = _OPERATORS[expectation.operator](value, expectation.expected)
    except TypeError:
        holds = False
    if holds:
        return None
    return f"{expectation.text}: got {json.dumps(value)[:80]}"


@dataclass(frozen=True)
class SmokeCheck:
    """One HTTP smoke check (J-003 §14.1 critical path)."""

    name: str
    path: str
    method: str = "GET"
    json_body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    expected_status: int = 200
    body_contains: str | None = None
    json_expectations: tuple[str, ...] = ()
    max_latency_ms: float | None = None
    severity: str = "high"  # of a failure after the switch (see relman.domain.rollback)

    def __post_init__(self) -> None:
        if self.method.upper() not in HTTP_METHODS:
            raise InvalidInputError(
                f"smoke check {self.name!r}: unknown HTTP method {self.method!r} "
                f"(expected one of {', '.join(HTTP_METHODS)})",
                where=f"smoke check {self.name}",
            )
        for text in self.json_expectations:
            parse_json_expectation(text)


@dataclass(frozen=True)
class SmokeResponse:
    """What came back: the status (None when no answer), the body text and the latency."""

    status: int | None
    body: str
    latency_ms: float
    error: str | None = None


def evaluate_smoke_check(check: SmokeCheck, response: SmokeResponse) -> CheckResult:
    """Judge one response against its check; ``detail`` names every unmet expectation."""
    problems: list[str] = []
    target = f"{check.method.upper()} {check.path}"
    if response.error is not None or response.status is None:
        problems.append(f"no answer: {response.error or 'no status'}")
    else:
        if response.status != check.expected_status:
            problems.append(f"status {response.status}, expected {check.expected_status}")
        if check.max_latency_ms is not None and response.latency_ms > check.max_latency_ms:
            problems.append(
                f"took {response.latency_ms:.0f} ms, more than {check.max_latency_ms:.0f} ms"
            )
        if check.body_contains is not None and check.body_contains not in response.body:
            problems.append(f"body does not contain {check.body_contains!r}")
        problems.extend(_json_problems(check, response.body))
    detail = (
        "; ".join(problems)
        if problems
        else f"{target} -> {response.status} in {response.latency_ms:.0f} ms"
    )
    return CheckResult(check.name, not problems, detail, response.latency_ms, kind="smoke")


def _json_problems(check: SmokeCheck, body: str) -> list[str]:
    if not check.json_expectations:
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return [f"body is not JSON: {body[:60]!r}"]
    expectations = [parse_json_expectation(text) for text in check.json_expectations]
    return [p for e in expectations if (p := evaluate_json_expectation(e, document)) is not None]


def default_smoke_checks() -> tuple[SmokeCheck, ...]:
    """J-003 §14.1 critical path tests 1, 2, 3 and 5, against the sample application."""
    return (
        SmokeCheck(
            "user login",
            "/login",
            method="POST",
            json_body={"username": "demo", "password": "demo"},
            json_expectations=("$.authenticated == true", "$.token"),
            severity="critical",  # J-003 §13.1: "login broken" is P1
        ),
        SmokeCheck("dashboard load", "/dashboard", max_latency_ms=3000.0),
        SmokeCheck(
            "create sales order",
            "/sales-orders",
            method="POST",
            json_body={"customer": "SMOKE-TEST", "product": "milk", "quantity": 1},
            expected_status=201,
            json_expectations=('$.status == "confirmed"',),
        ),
        SmokeCheck(
            "inventory query",
            "/inventory?product=milk",
            json_expectations=('$.product == "milk"', "$.quantity"),
            max_latency_ms=1000.0,
        ),
    )


# --- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SmokeReport:
    """A smoke run as results, one JUnit XML document (``junit`` evidence) and its summary."""

    results: tuple[CheckResult, ...]
    junit_xml: str
    summary: Mapping[str, object]

    @property
    def ok(self) -> bool:
        """100 % pass rate (J-003 §8.5) over at least one test."""
        tests = _int(self.summary.get("tests"))
        failed = _int(self.summary.get("failures")) + _int(self.summary.get("errors"))
        return tests > 0 and failed == 0

    def describe(self) -> str:
        text = f"{self.summary.get('passed', 0)}/{self.summary.get('tests', 0)} smoke tests passed"
        failed = self.summary.get("failed_cases")
        if isinstance(failed, list) and failed:
            text += "; failed: " + ", ".join(str(case) for case in failed)
        return text


def build_smoke_report(
    results: Sequence[CheckResult],
    *,
    suite: str,
    at: datetime,
    external_junit: Sequence[tuple[str, str]] = (),
) -> SmokeReport:
    """One JUnit document: a ``<testsuite name=suite>`` of ``results``, then every suite of each
    external JUnit document (``(source, xml)`` pairs, validated with `parse_junit`)."""
    root = ET.Element("testsuites", {"name": f"relman smoke: {suite}"})
    if results:
        root.append(_suite_element(results, suite=suite, at=at))
    for source, text in external_junit:
        parse_junit(text, source=source)  # refuses what is not JUnit, names the file
        external = ET.fromstring(text)
        suites = [external] if external.tag.endswith("testsuite") else list(external)
        root.extend(s for s in suites if s.tag.endswith("testsuite"))
    ET.indent(root)
    xml = ET.tostring(root, encoding="unicode", xml_declaration=False)
    document = '<?xml version="1.0" encoding="utf-8"?>\n' + xml + "\n"
    summary = parse_junit(document, source=f"smoke:{suite}")
    return SmokeReport(tuple(results), document, summary)


def _suite_element(results: Sequence[CheckResult], *, suite: str, at: datetime) -> ET.Element:
    failures = sum(1 for r in results if not r.ok)
    seconds = math.fsum(r.duration_ms for r in results) / 1000.0
    element = ET.Element(
        "testsuite",
        {
            "name": suite,
            "tests": str(len(results)),
            "failures": str(failures),
            "errors": "0",
            "skipped": "0",
            "time": f"{seconds:.3f}",
            "timestamp": at.isoformat(),
        },
    )
    for result in results:
        case = ET.SubElement(
            element,
            "testcase",
            {
                "classname": f"smoke.{suite}",
                "name": result.name,
                "time": f"{result.duration_ms / 1000.0:.3f}",
            },
        )
        if result.ok:
            ET.SubElement(case, "system-out").text = result.detail
        else:
            failure = ET.SubElement(case, "failure", {"message": result.detail[:500]})
            failure.text = result.detail
    return element


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0
