"""Faults baked into a build for tests and demos (the release's ``FAULT`` file).

The text is a comma-separated list of tokens:

- ``errors=<fraction>``  answer 5xx on that share of business requests (deterministic spread);
- ``slow=<seconds>``     sleep that long in every business request;
- ``failing-migration``  the build carries a migration that fails (see ``build.py``);
- ``crash-on-start``     the process logs an ERROR and exits 1 before listening;
- ``never-healthy``      ``/health`` always answers 503.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

FLAGS = ("failing-migration", "crash-on-start", "never-healthy")


@dataclass(frozen=True)
class Faults:
    error_fraction: float = 0.0
    slow_seconds: float = 0.0
    failing_migration: bool = False
    crash_on_start: bool = False
    never_healthy: bool = False

    @classmethod
    def parse(cls, text: str) -> Faults:
        """Parse ``errors=0.5,slow=2``; ValueError names the bad token and its position."""
        values: dict[str, float | bool] = {}
        for position, raw in enumerate(t.strip() for t in text.replace(";", ",").split(",")):
            if not raw:
                continue
            name, sep, value = raw.partition("=")
            if name in FLAGS and not sep:
                values[name.replace("-", "_")] = True
            elif name in ("errors", "slow") and sep:
                number = _parse_number(value, raw, position)
                if name == "errors" and not 0.0 <= number <= 1.0:
                    raise ValueError(f"fault {raw!r} (token {position}): errors is a fraction 0..1")
                values["error_fraction" if name == "errors" else "slow_seconds"] = number
            else:
                known = "errors=<fraction>, slow=<seconds>, " + ", ".join(FLAGS)
                raise ValueError(f"unknown fault {raw!r} (token {position}); known: {known}")
        return cls(**values)  # type: ignore[arg-type]

    def describe(self) -> str:
        """The canonical text (what a build writes to ``FAULT``); ``""`` for a healthy build."""
        tokens: list[str] = []
        if self.error_fraction:
            tokens.append(f"errors={self.error_fraction:g}")
        if self.slow_seconds:
            tokens.append(f"slow={self.slow_seconds:g}")
        tokens += [flag for flag in FLAGS if getattr(self, flag.replace("-", "_"))]
        return ",".join(tokens)


def _parse_number(value: str, raw: str, position: int) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"fault {raw!r} (token {position}): {value!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"fault {raw!r} (token {position}): needs a finite number >= 0")
    return number


@dataclass
class ErrorInjector:
    """Fails exactly ``floor(n * fraction)`` of the first ``n`` requests, evenly spread."""

    fraction: float
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def should_fail(self) -> bool:
        if self.fraction <= 0:
            return False
        with self._lock:
            self._count += 1
            n = self._count
        return math.floor(n * self.fraction) > math.floor((n - 1) * self.fraction)
