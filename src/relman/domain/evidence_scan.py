"""Security scan evidence (J-003 §3.2 "Scan report", §7.1.2): SARIF 2.1.0 findings.

``ruff check --output-format sarif``, CodeQL and other SARIF 2.1.0 logs become a summary of
findings by level (error, warning, note, none) and severity (critical, high, medium, low, from
``security-severity`` CVSS scores or ``problem.severity``). Pure: no file access.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from relman.domain.evidence_content import MAX_LISTED, Data, float_or_none, parse_json
from relman.errors import InvalidInputError

SARIF_LEVELS: tuple[str, ...] = ("error", "warning", "note", "none")
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")


def parse_sarif(data: Data, *, source: str) -> dict[str, object]:
    """SARIF 2.1.0 (``ruff check --output-format sarif``, CodeQL): findings by level, severity."""
    expected = "SARIF 2.1.0 (a JSON log with version '2.1.0' and runs[])"
    log = parse_json(data, source=source, expected=expected)
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
        score = float_or_none(str(props.get("security-severity")))
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
        "findings": findings[:MAX_LISTED],
    }
