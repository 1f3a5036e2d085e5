"""RFC 5545 iCalendar output of the release calendar, written with the `icalendar` library.

- a planned release is an event in its deployment slot (or an all-day event on its planned
  date when it has no slot), UID ``release-<key>@relman``;
- a freeze is an all-day event over its dates (DTEND is the day after the last one);
- a window opening (``--windows``) is an event of its own, UID ``window-<env>-<start>@relman``.

Times are written in the policy's time zone with its VTIMEZONE, so calendar programs show
"Sat 02:00 BDT" and handle DST in zones that have it. UIDs are stable, so re-importing an
export updates the events instead of duplicating them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from relman.domain.calendar import CalendarItem

PRODID = "-//relman//release calendar//EN"


class IcsCalendarWriter:
    """Renders calendar items as one VCALENDAR (the ``IcsWriter`` of the calendar service)."""

    def __init__(self, timezone: str) -> None:
        self._zone = ZoneInfo(timezone)

    def render(self, items: Sequence[CalendarItem], *, name: str, stamp: datetime) -> str:
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", self._zone.key)
        for item in items:
            cal.add_component(self._event(item, stamp))
        cal.add_missing_timezones()
        text: bytes = cal.to_ical()
        return text.decode("utf-8")

    def _event(self, item: CalendarItem, stamp: datetime) -> icalendar.Event:
        event = icalendar.Event()
        event.add("uid", _uid(item))
        event.add("dtstamp", stamp.astimezone(ZoneInfo("UTC")))
        event.add("summary", _summary(item))
        all_day = item.kind == "freeze" or (
            item.kind == "release" and not item.details.get("window")
        )
        if all_day:
            start = item.starts_at.astimezone(self._zone).date()
            end = (item.ends_at - timedelta(seconds=1)).astimezone(self._zone).date()
            event.add("dtstart", start)
            event.add("dtend", end + timedelta(days=1))
        else:
            event.add("dtstart", item.starts_at.astimezone(self._zone))
            event.add("dtend", item.ends_at.astimezone(self._zone))
        event.add("categories", [item.kind])
        event.add("description", _description(item))
        if item.environment:
            event.add("location", item.environment)
        event.add("transp", "TRANSPARENT" if item.kind == "window" else "OPAQUE")
        return event


def _uid(item: CalendarItem) -> str:
    if item.kind == "release":
        return f"release-{item.ref}@relman"
    if item.kind == "window":
        return f"window-{item.environment}-{item.starts_at:%Y%m%dT%H%M%z}@relman"
    digest = hashlib.sha256(f"{item.environment}|{item.title}".encode()).hexdigest()[:12]
    return f"freeze-{item.starts_at:%Y%m%d}-{digest}@relman"


def _summary(item: CalendarItem) -> str:
    d = item.details
    if item.kind == "release":
        version = d.get("version", "")
        return f"{item.ref} {version} {item.title}".strip() + (
            " (milestone)" if d.get("milestone") else ""
        )
    if item.kind == "freeze":
        return f"Freeze: {item.title}"
    return f"{item.environment} deployment window ({item.title})"


def _description(item: CalendarItem) -> str:
    lines = [f"{k}: {v}" for k, v in item.details.items() if v not in (None, "", False)]
    if item.kind == "window":
        lines.append(item.ref)
    return "\n".join(lines)
