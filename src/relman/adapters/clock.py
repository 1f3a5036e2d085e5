"""`SystemClock`: the real time, in the policy's time zone (J-003 plans in Asia/Dhaka)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


class SystemClock:
    """Implements `relman.ports.Clock` with the system clock."""

    def __init__(self, zone: tzinfo = UTC) -> None:
        self._zone = zone

    def now(self) -> datetime:
        return datetime.now(self._zone)
