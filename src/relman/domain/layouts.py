"""What runs where in an environment: slots, the versions in them and their share of the traffic.

A `Layout` is read from the target and the traffic switch before a deployment (and recorded
with it, as the state a rollback returns to) and again when a rollback is planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SlotState:
    """One slot of an environment: the instance in it and its share of the traffic."""

    slot: str
    version: str
    alive: bool
    addr: str = ""
    weight: int = 0  # 0: not routed

    @property
    def live(self) -> bool:
        return self.alive and self.weight > 0


@dataclass(frozen=True)
class Layout:
    """Which version runs where and who gets traffic (read from the target and the switch)."""

    slots: tuple[SlotState, ...] = ()
    maintenance: bool = False

    @property
    def live(self) -> tuple[SlotState, ...]:
        return tuple(s for s in self.slots if s.live)

    @property
    def live_versions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.version for s in self.live))

    def find(self, slot: str) -> SlotState | None:
        return next((s for s in self.slots if s.slot == slot), None)

    def routes(self) -> list[list[object]]:
        """``[[slot, weight], ...]`` of the live slots (a SWITCH step's ``routes``)."""
        return [[s.slot, s.weight] for s in self.live]

    def to_dict(self) -> dict[str, object]:
        return {
            "maintenance": self.maintenance,
            "slots": [
                {"slot": s.slot, "version": s.version, "alive": s.alive, "addr": s.addr,
                 "weight": s.weight}
                for s in self.slots
            ],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> Layout:
        if not data:
            return cls()
        raw = data.get("slots")
        slots = raw if isinstance(raw, list) else []
        return cls(
            tuple(
                SlotState(
                    str(s["slot"]), str(s["version"]), bool(s["alive"]), str(s.get("addr", "")),
                    int(s.get("weight", 0)),
                )
                for s in slots
                if isinstance(s, dict)
            ),
            bool(data.get("maintenance", False)),
        )  # fmt: skip
