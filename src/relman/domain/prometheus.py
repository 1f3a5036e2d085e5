"""The Prometheus text exposition format (version 0.0.4, what ``/metrics`` serves), parsed.

Pure and stdlib-only. A parsed scrape is a list of `Sample` (metric name, sorted label pairs,
value); ``# HELP`` / ``# TYPE`` / other comments are skipped, an optional timestamp is ignored,
OpenMetrics' ``# EOF`` is accepted. A line that is not a sample raises InvalidInputError naming
the source, the line number and what was expected.

Selectors (`parse_selector`) are the small subset of PromQL used in relman.toml to name a series:
``name`` or ``name{label="value", other="value"}`` (equality matchers only).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from relman.errors import InvalidInputError

Labels = tuple[tuple[str, str], ...]

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_SPECIAL_VALUES = {"+inf": math.inf, "inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample: ``http_requests_total{status="200"} 1027``."""

    name: str
    labels: Labels
    value: float

    def label(self, name: str) -> str | None:
        return dict(self.labels).get(name)

    def matches(self, name: str, labels: Mapping[str, str]) -> bool:
        """Same name and carries every ``labels`` pair (other labels may be present)."""
        if self.name != name:
            return False
        own = dict(self.labels)
        return all(own.get(k) == v for k, v in labels.items())


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """Every sample read at one moment (a scrape, plus host/database readings)."""

    at: datetime
    samples: tuple[Sample, ...]
    source: str = ""

    def select(self, name: str, labels: Mapping[str, str] | None = None) -> list[Sample]:
        return [s for s in self.samples if s.matches(name, labels or {})]


def parse_prometheus_text(text: str, *, source: str = "/metrics") -> list[Sample]:
    """Every sample of a text-format exposition, in order."""
    samples: list[Sample] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        samples.append(_parse_sample(line, where=f"{source}:{number}"))
    return samples


def parse_selector(text: str) -> tuple[str, dict[str, str]]:
    """``'name{a="b"}'`` -> ``("name", {"a": "b"})``; InvalidInputError when malformed."""
    stripped = text.strip()
    name_match = _NAME.match(stripped)
    if name_match is None:
        raise InvalidInputError(
            f"invalid series selector {text!r}: expected a metric name, e.g. "
            'http_requests_total or login_attempts_total{result="failure"}',
            where=text,
        )
    rest = stripped[name_match.end() :].strip()
    labels: dict[str, str] = {}
    if rest:
        labels_part, end = _parse_labels(rest, 0, where=f"selector {text!r}")
        if rest[end:].strip():
            raise InvalidInputError(
                f"invalid series selector {text!r}: unexpected {rest[end:].strip()!r} "
                "after the labels",
                where=text,
            )
        labels = dict(labels_part)
    return name_match.group(0), labels


def format_sample(sample: Sample) -> str:
    """The text-format line of a sample (inverse of the parser, for tests and fakes)."""
    if sample.labels:
        inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sample.labels)
        return f"{sample.name}{{{inner}}} {_format_value(sample.value)}"
    return f"{sample.name} {_format_value(sample.value)}"


def sum_values(samples: Iterable[Sample]) -> float:
    return math.fsum(s.value for s in samples)


# --- internals ------------------------------------------------------------------------------


def _parse_sample(line: str, *, where: str) -> Sample:
    name_match = _NAME.match(line)
    if name_match is None:
        raise InvalidInputError(
            f"not Prometheus text format: expected a metric name at the start of {line[:60]!r}",
            where=where,
        )
    position = name_match.end()
    labels: Labels = ()
    if position < len(line) and line[position] == "{":
        labels, position = _parse_labels(line, position, where=where)
    fields = line[position:].split()
    if not fields or len(fields) > 2:
        raise InvalidInputError(
            "not Prometheus text format: expected 'name{labels} value [timestamp]', "
            f"got {line[:60]!r}",
            where=where,
        )
    return Sample(name_match.group(0), labels, _parse_value(fields[0], where=where))


def _parse_labels(text: str, start: int, *, where: str) -> tuple[Labels, int]:
    """Parse ``{a="b",...}`` starting at the brace; return the pairs and the index after it."""
    pairs: list[tuple[str, str]] = []
    i = start + 1
    while True:
        i = _skip_spaces(text, i)
        if i < len(text) and text[i] == "}":
            return tuple(sorted(pairs)), i + 1
        match = _LABEL_NAME.match(text, i)
        if match is None:
            raise InvalidInputError(
                f"not Prometheus text format: expected a label name at column {i + 1}",
                where=where,
            )
        i = _skip_spaces(text, match.end())
        if text[i : i + 2] != '="':
            raise InvalidInputError(
                f'not Prometheus text format: expected =" after label {match.group(0)!r}',
                where=where,
            )
        value, i = _parse_label_value(text, i + 2, where=where)
        pairs.append((match.group(0), value))
        i = _skip_spaces(text, i)
        if i < len(text) and text[i] == ",":
            i += 1
        elif i >= len(text) or text[i] != "}":
            raise InvalidInputError(
                f"not Prometheus text format: expected ',' or '}}' at column {i + 1}",
                where=where,
            )


def _parse_label_value(text: str, i: int, *, where: str) -> tuple[str, int]:
    out: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    raise InvalidInputError("not Prometheus text format: unterminated label value", where=where)


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _parse_value(text: str, *, where: str) -> float:
    special = _SPECIAL_VALUES.get(text.lower())
    if special is not None:
        return special
    try:
        return float(text)
    except ValueError:
        raise InvalidInputError(
            f"not Prometheus text format: {text!r} is not a sample value", where=where
        ) from None


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))
