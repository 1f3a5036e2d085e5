"""Evidence parsers (JUnit XML, Cobertura XML, SARIF 2.1.0, CI status) and how gates judge evidence.

Parsers take the file content (bytes or str) and the name it came from (``source``) and return a
JSON-able summary dict. Anything that is not what it claims raises InvalidInputError naming the
file and what was expected. Pure: no file access, no clock.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from relman.domain.releases import Evidence
from relman.errors import InvalidInputError

EVIDENCE_KINDS: tuple[str, ...] = ("junit", "coverage", "sarif", "ci")
SARIF_LEVELS: tuple[str, ...] = ("error", "warning", "note", "none")
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
CI_STATUSES: Mapping[str, str] = {
    **dict.fromkeys(("success", "succeeded", "passed", "ok"), "success"),
    **dict.fromkeys(("failure", "failed", "error", "errored", "timed_out"), "failure"),
    **dict.fromkeys(("cancelled", "canceled", "skipped"), "cancelled"),
    **dict.fromkeys(("pending", "running", "queued", "in_progress"), "pending"),
}
_MAX_LISTED = 50  # failing cases / findings kept in a summary for display

Data = bytes | str


def compute_digest(data: Data) -> str:
    """``sha256:<hex>`` of the content as received."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def parse_evidence(kind: str, data: Data, *, source: str) -> dict[str, object]:
    """Dispatch on ``kind`` (junit|coverage|sarif|ci)."""
    parsers: Mapping[str, Callable[..., dict[str, object]]] = {
        "junit": parse_junit,
        "coverage": parse_cobertura,
        "sarif": parse_sarif,
        "ci": parse_ci_status,
    }
    try:
        parser = parsers[kind]
    except KeyError:
        known = "|".join(EVIDENCE_KINDS)
        raise InvalidInputError(
            f"unknown evidence kind '{kind}' (expected {known})", where=source
        ) from None
    return parser(data, source=source)


# --- XML ----------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml(data: Data, *, source: str, expected: str) -> ET.Element:
    head = data[:4096].lower() if isinstance(data, str) else data[:4096].lower().decode("latin-1")
    if "<!doctype" in head or "<!entity" in head:
        raise InvalidInputError(
            f"not {expected}: document type declarations are not accepted", where=source
        )
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise InvalidInputError(
            f"not {expected}: malformed XML ({exc})",
            where=f"{source}:{line}:{column}",
        ) from None


def _int_attr(el: ET.Element, name: str, *, source: str, expected: str) -> int:
    value = el.get(name, "0")
    try:
        number = int(float(value))
    except ValueError:
        raise InvalidInputError(
            f"not {expected}: attribute {name}='{value}' of <{_local(el.tag)}> is not a number",
            where=source,
        ) from None
    if number < 0:
        raise InvalidInputError(f"not {expected}: negative {name}", where=source)
    return number


def parse_junit(data: Data, *, source: str) -> dict[str, object]:
    """JUnit XML (``pytest --junitxml``, Surefire, ...): tests, failures, errors, skipped."""
    expected = "JUnit XML (root <testsuites> or <testsuite>)"
    root = _parse_xml(data, source=source, expected=expected)
    if _local(root.tag) not in ("testsuites", "testsuite"):
        raise InvalidInputError(
            f"not {expected}: root element is <{_local(root.tag)}>", where=source
        )
    suites = [root] if _local(root.tag) == "testsuite" else list(_iter_local(root, "testsuite"))
    cases = list(_iter_local(root, "testcase"))
    outcome = Counter(_case_outcome(case) for case in cases)
    if not cases:  # aggregate-only reports: trust the suite attributes
        for name in ("tests", "failures", "errors", "skipped"):
            outcome[name] = sum(
                _int_attr(s, name, source=source, expected=expected) for s in suites
            )
    else:
        outcome["tests"] = len(cases)
    failed = [_case_name(c) for c in cases if _case_outcome(c) in ("failures", "errors")]
    return {
        "format": "junit",
        "suites": len(suites),
        "tests": outcome["tests"],
        "failures": outcome["failures"],
        "errors": outcome["errors"],
        "skipped": outcome["skipped"],
        "passed": outcome["tests"] - outcome["failures"] - outcome["errors"] - outcome["skipped"],
        "failed_cases": failed[:_MAX_LISTED],
    }


def _iter_local(root: ET.Element, name: str) -> Iterable[ET.Element]:
    return (el for el in root.iter() if _local(el.tag) == name)


def _case_outcome(case: ET.Element) -> str:
    children = {_local(child.tag) for child in case}
    if "error" in children:
        return "errors"
    if "failure" in children:
        return "failures"
    if "skipped" in children:
        return "skipped"
    return "passed"


def _case_name(case: ET.Element) -> str:
    classname = case.get("classname", "")
    name = case.get("name", "?")
    return f"{classname}::{name}" if classname else name


def parse_cobertura(data: Data, *, source: str) -> dict[str, object]:
    """Cobertura XML as written by ``coverage xml``: line-rate -> percent."""
    expected = "Cobertura coverage XML (root <coverage line-rate=...>, as written by coverage xml)"
    root = _parse_xml(data, source=source, expected=expected)
    if _local(root.tag) != "coverage" or root.get("line-rate") is None:
        raise InvalidInputError(
            f"not {expected}: root element is <{_local(root.tag)}>", where=source
        )
    rate_text = root.get("line-rate", "")
    try:
        rate = float(rate_text)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise InvalidInputError(
            f"not {expected}: line-rate '{rate_text}' is not between 0 and 1", where=source
        )
    valid = _int_attr(root, "lines-valid", source=source, expected=expected)
    covered = _int_attr(root, "lines-covered", source=source, expected=expected)
    percent = covered * 100.0 / valid if valid else rate * 100.0
    return {
        "format": "cobertura",
        "line_rate": rate,
        "percent": round(percent, 2),
        "lines_valid": valid,
        "lines_covered": covered,
        "branch_rate": _float_or_none(root.get("branch-rate")),
        "generator": "coverage.py" if "coverage.py" in _text(data[:2048]) else None,
    }


def _float_or_none(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _text(data: Data) -> str:
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


# --- JSON ---------------------------------------------------------------------------------------


def _parse_json(data: Data, *, source: str, expected: str) -> Any:
    try:
        text = data if isinstance(data, str) else data.decode("utf-8-sig")
        return json.loads(text)
    except UnicodeDecodeError:
        raise InvalidInputError(f"not {expected}: not UTF-8 text", where=source) from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"not {expected}: malformed JSON ({exc.msg})",
            where=f"{source}:{exc.lineno}:{exc.colno}",
        ) from None


def parse_sarif(data: Data, *, source: str) -> dict[str, object]:
    """SARIF 2.1.0 (``ruff check --output-format sarif``, CodeQL): findings by level, severity."""
    expected = "SARIF 2.1.0 (a JSON log with version '2.1.0' and runs[])"
    log = _parse_json(data, source=source, expected=expected)
    if not isinstance(log, dict) or not isinstance(log.get("runs"), list):
        raise InvalidInputError(f"not {expected}: no runs[] array", where=source)
    if log.get("version") != "2.1.0":
        raise InvalidInputError(
            f"not {expected}: version is {log.get('version')!r}", where=f"{source} version"
        )
    findings: list[dict[str, str]] = []
    tools: list[str] = []
    for i, run in enumerate(log["runs"]):
        if not isinstance(run, dict):
            raise InvalidInputError(f"not {expected}: runs[{i}] is not an object", where=source)
        tools.append(_sarif_tool_name(run))
        findings.extend(_sarif_findings(run, where=f"{source} runs[{i}]", expected=expected))
    return _sarif_summary(findings, tools)


def _sarif_tool_name(run: Mapping[str, Any]) -> str:
    driver = run.get("tool", {}).get("driver", {}) if isinstance(run.get("tool"), dict) else {}
    return str(driver.get("name", "unknown")) if isinstance(driver, dict) else "unknown"


def _sarif_rules(run: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    tool = run.get("tool")
    driver = tool.get("driver") if isinstance(tool, dict) else None
    rules = driver.get("rules") if isinstance(driver, dict) else None
    if not isinstance(rules, list):
        return {}
    return {str(r.get("id")): r for r in rules if isinstance(r, dict)}


def _sarif_findings(run: Mapping[str, Any], *, where: str, expected: str) -> list[dict[str, str]]:
    results = run.get("results", [])
    if not isinstance(results, list):
        raise InvalidInputError(f"not {expected}: results is not an array", where=where)
    rules = _sarif_rules(run)
    out = []
    for j, result in enumerate(results):
        if not isinstance(result, dict):
            raise InvalidInputError(
                f"not {expected}: results[{j}] is not an object", where=f"{where}.results[{j}]"
            )
        rule = rules.get(str(result.get("ruleId")), {})
        out.append(
            {
                "rule": str(result.get("ruleId", "?")),
                "level": _sarif_level(result, rule),
                "severity": _sarif_severity(result, rule),
                "location": _sarif_location(result),
            }
        )
    return out


def _sarif_level(result: Mapping[str, Any], rule: Mapping[str, Any]) -> str:
    level = result.get("level")
    if level is None:
        config = rule.get("defaultConfiguration")
        level = config.get("level") if isinstance(config, dict) else None
    level = str(level or "warning").lower()  # SARIF §3.27.10: the default level is "warning"
    return level if level in SARIF_LEVELS else "warning"


def _sarif_severity(result: Mapping[str, Any], rule: Mapping[str, Any]) -> str:
    """critical|high|medium|low from ``security-severity`` (CVSS) or ``problem.severity``.

    Result properties win over rule properties; '' when neither says.
    """
    for props in (result.get("properties"), rule.get("properties")):
        if not isinstance(props, dict):
            continue
        score = _float_or_none(str(props.get("security-severity")))
        if score is not None:
            return compute_cvss_severity(score)
        problem = str(props.get("problem.severity", "")).lower()
        severity = _PROBLEM_SEVERITY.get(problem, problem)
        if severity in SEVERITIES:
            return severity
    return ""


_PROBLEM_SEVERITY = {"error": "high", "warning": "medium", "recommendation": "low"}


def compute_cvss_severity(score: float) -> str:
    """CVSS v3 qualitative rating (critical >= 9.0, high >= 7.0, medium >= 4.0, else low)."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


def _sarif_location(result: Mapping[str, Any]) -> str:
    try:
        physical = result["locations"][0]["physicalLocation"]
        uri = str(physical["artifactLocation"]["uri"]).removeprefix("file://")
        line = physical.get("region", {}).get("startLine")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""
    return f"{uri}:{line}" if line else uri


def _sarif_summary(findings: list[dict[str, str]], tools: list[str]) -> dict[str, object]:
    by_level = Counter(f["level"] for f in findings)
    by_severity = Counter(f["severity"] for f in findings if f["severity"])
    pairs = Counter(f"{f['level']}/{f['severity'] or '-'}" for f in findings)
    return {
        "format": "sarif",
        "version": "2.1.0",
        "tools": tools,
        "total": len(findings),
        "by_level": {level: by_level[level] for level in SARIF_LEVELS},
        "by_severity": {sev: by_severity[sev] for sev in SEVERITIES},
        "by_level_severity": dict(sorted(pairs.items())),
        "findings": findings[:_MAX_LISTED],
    }


def parse_ci_status(data: Data, *, source: str) -> dict[str, object]:
    """CI status: JSON ``{"status": "success", "url": ..., "artifact_digest": "sha256:..."}``,
    or text: the status word on the first line, then optional ``key=value`` lines."""
    expected = 'a CI status (JSON {"status": "success"|"failure", ...} or text "success")'
    text = _text(data).strip()
    if text.startswith("{"):
        raw = _parse_json(data, source=source, expected=expected)
    else:
        first, *rest = text.splitlines() or [""]
        raw = {"status": first.strip()}
        for line in rest:
            key, sep, value = line.partition("=")
            if not sep:
                raise InvalidInputError(
                    f"not {expected}: line '{line}' is not key=value", where=source
                )
            raw[key.strip()] = value.strip()
    return _ci_summary(raw, source=source, expected=expected)


def _ci_summary(raw: Any, *, source: str, expected: str) -> dict[str, object]:
    if not isinstance(raw, dict) or "status" not in raw:
        raise InvalidInputError(f"not {expected}: no status", where=source)
    status = CI_STATUSES.get(str(raw["status"]).strip().lower())
    if status is None:
        known = ", ".join(sorted(CI_STATUSES))
        raise InvalidInputError(
            f"not {expected}: unknown status '{raw['status']}' (known: {known})",
            where=f"{source} status",
        )
    digest = raw.get("artifact_digest")
    if digest is not None and not _is_sha256(str(digest)):
        raise InvalidInputError(
            f"not {expected}: artifact_digest '{digest}' is not sha256:<64 hex digits>",
            where=f"{source} artifact_digest",
        )
    return {
        "format": "ci",
        "status": status,
        "raw_status": str(raw["status"]),
        "url": raw.get("url"),
        "artifact_digest": digest,
        "commit": raw.get("commit") or raw.get("sha"),
    }


def _is_sha256(text: str) -> bool:
    hexpart = text.removeprefix("sha256:")
    return (
        text.startswith("sha256:")
        and len(hexpart) == 64
        and all(c in "0123456789abcdef" for c in hexpart)
    )


# --- judging ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    ok: bool
    detail: str


def find_latest_evidence(
    evidence: Iterable[Evidence], kind: str, commit_sha: str | None
) -> Evidence | None:
    """The most recent evidence of ``kind`` recorded for ``commit_sha``, or None."""
    matching = [e for e in evidence if e.kind == kind and e.commit_sha == commit_sha]
    if not matching:
        return None
    return max(matching, key=lambda e: (e.at, e.id or 0))


def judge_evidence(
    evidence: Evidence, *, coverage_min: float, blocking_levels: Iterable[str]
) -> Judgement:
    """Does it satisfy J-003? Tests pass, coverage >= min, no blocking findings, CI success."""
    s = evidence.summary
    if evidence.kind == "junit":
        tests, bad = _num(s, "tests"), _num(s, "failures") + _num(s, "errors")
        ok = tests > 0 and bad == 0
        detail = f"{tests} tests, {_num(s, 'failures')} failures, {_num(s, 'errors')} errors"
        return Judgement(ok, detail + ("" if tests else " (no tests ran)"))
    if evidence.kind == "coverage":
        percent = float(_num(s, "percent"))
        return Judgement(
            percent >= coverage_min, f"line coverage {percent:.2f}% (min {coverage_min:g}%)"
        )
    if evidence.kind == "sarif":
        blocking = set(blocking_levels)
        pairs = s.get("by_level_severity", {})
        count = sum(
            int(n)
            for key, n in (pairs.items() if isinstance(pairs, dict) else [])
            if blocking & set(str(key).split("/"))
        )
        return Judgement(
            count == 0,
            f"{count} blocking findings ({'/'.join(sorted(blocking))}) of {_num(s, 'total')}",
        )
    if evidence.kind == "ci":
        return Judgement(s.get("status") == "success", f"CI status {s.get('status')}")
    return Judgement(False, f"unknown evidence kind '{evidence.kind}'")


def _num(summary: Mapping[str, object], key: str) -> float:
    value = summary.get(key, 0)
    return value if isinstance(value, int | float) else 0
