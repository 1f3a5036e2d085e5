"""Small value languages of the policy file: durations, clock times, windows, proofs, patterns.

Each parser raises ``ValueError`` with a message that says what was expected; pydantic turns it
into a ``relman.toml:LINE key.path: message`` error. The annotated types (`Duration`,
`WindowText`, ...) keep the text as written, so ``relman policy show --json`` prints ``"4w"``
rather than a number of seconds; call the ``parse_*`` functions to get the value.

    Duration     "90m", "24h", "3d", "4w", "1w3d", "0h"    (m=minutes h=hours d=days w=weeks)
    ClockTime    "02:00", "18:30", "24:00" (end of day, only as a window end)
    WindowText   "Sat 02:00-06:00", "Daily 18:00-20:00", "Mon-Fri 12:00-13:00",
                 "Sat,Wed 02:00-04:00";
                 an end before the start crosses midnight ("Fri 22:00-02:00")
    Proof        "scope", "evidence:junit", "gate:G4", "event:smoke_passed:staging", "a+b"
    VersionPattern "1.0.x", "2.x", "1.2.3", "1.*"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_GROUPS = {
    "daily": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekends": (5, 6),
}
_UNITS = {"m": 1, "min": 1, "h": 60, "d": MINUTES_PER_DAY, "w": MINUTES_PER_WEEK}
_DURATION_PART = re.compile(r"(\d+)\s*(min|m|h|d|w)", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_WINDOW = re.compile(r"^\s*(\S+)\s+(\S+?)\s*-\s*(\S+)\s*$")
_EVIDENCE_KINDS = ("junit", "coverage", "sarif", "ci")
_GATE_ID = re.compile(r"^G\d+$")
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(:[a-z0-9_\-]+)*$")
_VERSION_PATTERN = re.compile(r"^\d+(\.(\d+|x|\*)){0,2}$")


def parse_duration(text: str) -> timedelta:
    """``"4w"`` -> 28 days. Parts may be combined (``"1w3d"``); ``"0h"`` is zero."""
    compact = text.strip()
    parts = list(_DURATION_PART.finditer(compact))
    if not compact or "".join(m.group(0) for m in parts).replace(" ", "") != compact.replace(
        " ", ""
    ):
        raise ValueError(
            f"invalid duration {text!r}: expected a number and a unit "
            "(m = minutes, h = hours, d = days, w = weeks), e.g. '4w', '3d', '24h', '90m'"
        )
    minutes = sum(int(m.group(1)) * _UNITS[m.group(2).lower()] for m in parts)
    return timedelta(minutes=minutes)


def format_duration(*values: timedelta) -> str:
    """The text of the first value in the largest unit that states *all* values exactly, so a
    range reads as the plan wrote it: (4 weeks, 6 weeks) -> ``"4w"``, (2 hours, 24 hours) ->
    ``"2h"`` and ``format_duration(24 hours, 2 hours)`` -> ``"24h"``; 36 hours -> ``"1d12h"``."""
    all_minutes = [int(v.total_seconds() // 60) for v in values]
    minutes = all_minutes[0]
    if minutes == 0:
        return "0h"
    for unit, size in (("w", MINUTES_PER_WEEK), ("d", MINUTES_PER_DAY), ("h", 60)):
        if all(m % size == 0 for m in all_minutes):
            return f"{minutes // size}{unit}"
    out = []
    for unit, size in (("w", MINUTES_PER_WEEK), ("d", MINUTES_PER_DAY), ("h", 60), ("m", 1)):
        count, minutes = divmod(minutes, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)


def parse_clock(text: str, *, allow_24: bool = False) -> int:
    """``"02:30"`` -> 150 (minutes after midnight)."""
    match = _CLOCK.match(text.strip())
    if not match:
        raise ValueError(f"invalid time {text!r}: expected HH:MM, e.g. '02:00'")
    hour, minute = int(match.group(1)), int(match.group(2))
    if minute > 59:
        raise ValueError(f"invalid time {text!r}: minute {minute} is out of range 00-59")
    if hour == 24 and minute == 0 and allow_24:
        return MINUTES_PER_DAY
    if hour > 23:
        raise ValueError(f"invalid time {text!r}: hour {hour} is out of range 00-23")
    return hour * 60 + minute


@dataclass(frozen=True)
class WindowSpec:
    """A weekly deployment window: the days it opens on and its start/end in minutes."""

    text: str
    days: tuple[int, ...]  # 0 = Monday
    start: int  # minutes after midnight
    end: int  # minutes after midnight; <= start means the window crosses midnight

    @property
    def length(self) -> int:
        return (self.end - self.start) % MINUTES_PER_DAY or MINUTES_PER_DAY

    def intervals(self) -> tuple[tuple[int, int], ...]:
        """Half-open ``[start, end)`` minutes of the week (Monday 00:00 = 0), wrapping at Sunday."""
        out: list[tuple[int, int]] = []
        for day in self.days:
            begin = day * MINUTES_PER_DAY + self.start
            finish = begin + self.length
            if finish <= MINUTES_PER_WEEK:
                out.append((begin, finish))
            else:
                out.extend(((begin, MINUTES_PER_WEEK), (0, finish - MINUTES_PER_WEEK)))
        return tuple(out)


def parse_window(text: str) -> WindowSpec:
    """``"Sat 02:00-06:00"`` -> the window's days and times (see the module docstring)."""
    match = _WINDOW.match(text)
    if not match:
        raise ValueError(
            f"invalid window {text!r}: expected 'DAYS HH:MM-HH:MM', e.g. 'Sat 02:00-06:00' "
            "or 'Daily 18:00-20:00'"
        )
    days = _parse_days(match.group(1), text)
    try:
        start = parse_clock(match.group(2))
        end = parse_clock(match.group(3), allow_24=True)
    except ValueError as exc:
        raise ValueError(f"invalid window {text!r}: {exc}") from None
    if start == end % MINUTES_PER_DAY and end != MINUTES_PER_DAY:
        raise ValueError(f"invalid window {text!r}: it starts and ends at the same time")
    return WindowSpec(text=text.strip(), days=days, start=start, end=end)


def _parse_days(spec: str, text: str) -> tuple[int, ...]:
    days: list[int] = []
    for part in spec.lower().split(","):
        if part in _DAY_GROUPS:
            days.extend(_DAY_GROUPS[part])
            continue
        first, _, last = part.partition("-")
        if first[:3] not in DAY_NAMES or (last and last[:3] not in DAY_NAMES):
            raise ValueError(
                f"invalid window {text!r}: unknown day {part!r} "
                "(use Mon..Sun, a range 'Mon-Fri', a list 'Sat,Wed', Daily, Weekdays or Weekends)"
            )
        a = DAY_NAMES.index(first[:3])
        b = DAY_NAMES.index(last[:3]) if last else a
        days.extend((a + i) % 7 for i in range((b - a) % 7 + 1))
    return tuple(days)


def check_proof(text: str) -> str:
    """A checklist item's proof: what ticks it automatically (parts joined with ``+``)."""
    for part in text.split("+"):
        kind, _, rest = part.partition(":")
        ok = (
            (kind == "scope" and not rest)
            or (kind == "evidence" and rest in _EVIDENCE_KINDS)
            or (kind == "gate" and bool(_GATE_ID.match(rest)))
            or (kind == "event" and bool(_EVENT_NAME.match(rest)))
        )
        if not ok:
            raise ValueError(
                f"invalid proof {part!r}: expected 'scope', 'evidence:junit|coverage|sarif|ci', "
                "'gate:G<n>' or 'event:<name>' (several joined with '+')"
            )
    return text


def check_version_pattern(text: str) -> str:
    if not _VERSION_PATTERN.match(text):
        raise ValueError(
            f"invalid version pattern {text!r}: expected MAJOR[.MINOR[.PATCH]] where a part may "
            "be 'x', e.g. '1.0.x'"
        )
    return text


def matches_version_pattern(pattern: str, version: str) -> bool:
    """Whether ``"1.2.7"`` (or ``"1.2.7-hotfix.1"``) falls under ``"1.2.x"``."""
    core = re.split(r"[-+]", version, maxsplit=1)[0].split(".")
    for want, have in zip(pattern.split("."), core, strict=False):
        if want not in ("x", "*") and want != have:
            return False
    return True


def _check_duration(text: str) -> str:
    parse_duration(text)
    return text


def _check_clock(text: str) -> str:
    parse_clock(text)
    return text


def _check_window(text: str) -> str:
    parse_window(text)
    return text


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


Duration = Annotated[str, AfterValidator(_check_duration)]
ClockTime = Annotated[str, AfterValidator(_check_clock)]
WindowText = Annotated[str, AfterValidator(_check_window)]
Proof = Annotated[str, AfterValidator(check_proof)]
VersionPattern = Annotated[str, AfterValidator(check_version_pattern)]
PhaseName = Annotated[
    Literal["PLAN", "BUILD", "TEST", "DEPLOY", "VERIFY", "CLOSED", "CANCELLED", "ROLLED_BACK"],
    BeforeValidator(_upper),
]
