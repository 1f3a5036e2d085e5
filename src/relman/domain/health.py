"""Deployment verification results (J-003 §8.5) and the error-log scan.

Every check (HTTP health, database, cache, integrations, log, smoke case) ends as one
`CheckResult`; a `HealthReport` is the list of them. The log scan is pure: it takes the text of
the new version's log (read from the byte offset where that version started) and, optionally,
the start time, and returns the ERROR/CRITICAL lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

CHECK_KINDS: tuple[str, ...] = ("http", "database", "redis", "integration", "log", "smoke")
DEFAULT_LOG_LEVELS: tuple[str, ...] = ("ERROR", "CRITICAL")
MAX_FINDINGS = 20

# "2026-01-31 02:15:07,123", "2026-01-31T02:15:07.123+06:00", "[2026-01-31 02:15:07]"
_TIMESTAMP = re.compile(
    r"^\W{0,2}(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,6}))?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)


@dataclass(frozen=True)
class CheckResult:
    """One verification check: ``ok`` and what was seen (``detail``), with how long it took."""

    name: str
    ok: bool
    detail: str
    duration_ms: float
    kind: str = ""  # one of CHECK_KINDS (drives the rollback severity of a failure)


@dataclass(frozen=True)
class HealthReport:
    """The outcome of a round of checks; healthy when every check passed."""

    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if not check.ok)

    def summary(self) -> str:
        """``"5/6 checks passed; failed: redis (connection refused)"``"""
        passed = len(self.checks) - len(self.failures)
        text = f"{passed}/{len(self.checks)} checks passed"
        if self.failures:
            text += "; failed: " + ", ".join(f"{c.name} ({c.detail})" for c in self.failures)
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "checks": [
                {
                    "name": c.name,
                    "kind": c.kind,
                    "ok": c.ok,
                    "detail": c.detail,
                    "duration_ms": round(c.duration_ms, 1),
                }
                for c in self.checks
            ],
        }


@dataclass(frozen=True)
class LogFinding:
    line_number: int  # 1-based, counted from where the scan started
    text: str


def scan_log(
    text: str,
    *,
    since: datetime | None = None,
    levels: Sequence[str] = DEFAULT_LOG_LEVELS,
    limit: int = MAX_FINDINGS,
) -> list[LogFinding]:
    """Lines naming one of ``levels`` (as a whole word), at or after ``since`` when given.

    A line with no timestamp of its own (a traceback line) belongs to the line above it. A
    timestamp without a zone is read in ``since``'s zone.
    """
    if not levels:
        return []
    pattern = re.compile(r"\b(" + "|".join(re.escape(level) for level in levels) + r")\b")
    findings: list[LogFinding] = []
    current_is_new = since is None
    for number, line in enumerate(text.splitlines(), start=1):
        if since is not None:
            stamp = parse_log_timestamp(line, zone_of=since)
            if stamp is not None:
                current_is_new = stamp >= since
        if current_is_new and pattern.search(line):
            findings.append(LogFinding(number, line.rstrip()[:300]))
            if len(findings) >= limit:
                break
    return findings


def parse_log_timestamp(line: str, *, zone_of: datetime | None = None) -> datetime | None:
    """The timestamp a log line starts with, or None."""
    match = _TIMESTAMP.match(line)
    if match is None:
        return None
    date, clock, fraction, zone = match.groups()
    text = f"{date}T{clock}" + (f".{fraction.ljust(6, '0')}" if fraction else "")
    if zone:
        text += "+00:00" if zone == "Z" else zone
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None and zone_of is not None and zone_of.tzinfo is not None:
        stamp = stamp.replace(tzinfo=zone_of.tzinfo)
    elif stamp.tzinfo is not None and zone_of is not None and zone_of.tzinfo is None:
        stamp = stamp.replace(tzinfo=None)
    return stamp


def describe_log_findings(findings: Sequence[LogFinding], *, source: str) -> str:
    if not findings:
        return f"no ERROR or CRITICAL lines in {source}"
    first = findings[0]
    more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
    return (
        f"{len(findings)} error line(s) in {source}, "
        f"first at line {first.line_number}: {first.text}{more}"
    )
