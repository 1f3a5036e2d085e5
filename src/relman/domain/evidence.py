"""Evidence parsers (JUnit XML, Cobertura XML, SARIF 2.1.0, CI status) and how gates judge evidence.

Parsers take the file content (bytes or str) and the name it came from (``source``) and return a
JSON-able summary dict. Anything that is not what it claims raises InvalidInputError naming the
file and what was expected. Pure: no file access, no clock.

Security scan (SARIF) evidence lives in :mod:`relman.domain.evidence_scan` and the shared XML/JSON
decoding in :mod:`relman.domain.evidence_content`; the scan's names are re-exported here.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from relman.domain.evidence_content import (
    MAX_LISTED,
    Data,
    as_text,
    float_or_none,
    int_attr,
    local_name,
    parse_json,
    parse_xml,
)
from relman.domain.evidence_scan import SARIF_LEVELS, SEVERITIES, compute_cvss_severity, parse_sarif
from relman.domain.releases import Evidence
from relman.errors import InvalidInputError

__all__ = [
    "CI_STATUSES",
    "EVIDENCE_KINDS",
    "SARIF_LEVELS",
    "SEVERITIES",
    "Data",
    "Judgement",
    "compute_cvss_severity",
    "compute_digest",
    "find_latest_evidence",
    "judge_evidence",
    "parse_ci_status",
    "parse_cobertura",
    "parse_evidence",
    "parse_junit",
    "parse_sarif",
]

EVIDENCE_KINDS: tuple[str, ...] = ("junit", "coverage", "sarif", "ci")
CI_STATUSES: Mapping[str, str] = {
    **dict.fromkeys(("success", "succeeded", "passed", "ok"), "success"),
    **dict.fromkeys(("failure", "failed", "error", "errored", "timed_out"), "failure"),
    **dict.fromkeys(("cancelled", "canceled", "skipped"), "cancelled"),
    **dict.fromkeys(("pending", "running", "queued", "in_progress"), "pending"),
}


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


def parse_junit(data: Data, *, source: str) -> dict[str, object]:
    """JUnit XML (``pytest --junitxml``, Surefire, ...): tests, failures, errors, skipped."""
    expected = "JUnit XML (root <testsuites> or <testsuite>)"
    root = parse_xml(data, source=source, expected=expected)
    if local_name(root.tag) not in ("testsuites", "testsuite"):
        raise InvalidInputError(
            f"not {expected}: root element is <{local_name(root.tag)}>", where=source
        )
    suites = [root] if local_name(root.tag) == "testsuite" else list(_iter_local(root, "testsuite"))
    cases = list(_iter_local(root, "testcase"))
    outcome = Counter(_case_outcome(case) for case in cases)
    if not cases:  # aggregate-only reports: trust the suite attributes
        for name in ("tests", "failures", "errors", "skipped"):
            outcome[name] = sum(int_attr(s, name, source=source, expected=expected) for s in suites)
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
        "failed_cases": failed[:MAX_LISTED],
    }


def _iter_local(root: ET.Element, name: str) -> Iterable[ET.Element]:
    return (el for el in root.iter() if local_name(el.tag) == name)


def _case_outcome(case: ET.Element) -> str:
    children = {local_name(child.tag) for child in case}
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
    root = parse_xml(data, source=source, expected=expected)
    if local_name(root.tag) != "coverage" or root.get("line-rate") is None:
        raise InvalidInputError(
            f"not {expected}: root element is <{local_name(root.tag)}>", where=source
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
    valid = int_attr(root, "lines-valid", source=source, expected=expected)
    covered = int_attr(root, "lines-covered", source=source, expected=expected)
    percent = covered * 100.0 / valid if valid else rate * 100.0
    return {
        "format": "cobertura",
        "line_rate": rate,
        "percent": round(percent, 2),
        "lines_valid": valid,
        "lines_covered": covered,
        "branch_rate": float_or_none(root.get("branch-rate")),
        "generator": "coverage.py" if "coverage.py" in as_text(data[:2048]) else None,
    }


def parse_ci_status(data: Data, *, source: str) -> dict[str, object]:
    """CI status: JSON ``{"status": "success", "url": ..., "artifact_digest": "sha256:..."}``,
    or text: the status word on the first line, then optional ``key=value`` lines."""
    expected = 'a CI status (JSON {"status": "success"|"failure", ...} or text "success")'
    text = as_text(data).strip()
    if text.startswith("{"):
        raw = parse_json(data, source=source, expected=expected)
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
