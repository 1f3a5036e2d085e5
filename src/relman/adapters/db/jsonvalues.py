"""Turn domain mappings into plain JSON values before they are stored (and hashed).

What is stored must be exactly what comes back, or an audit hash computed at write time would
not verify at read time. `relman.domain.audit.compute_snapshot` does the domain's part (dates as
UTC text, enums as values, dataclasses as dicts); what is left (timedeltas, odd values) is turned
into JSON here, before anything is written or hashed.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from relman.domain.audit import compute_snapshot


def to_json_object(value: Mapping[str, object] | None) -> dict[str, Any] | None:
    """``value`` as a plain JSON object (None stays None)."""
    if value is None:
        return None
    snapshot = compute_snapshot(dict(value))
    out = json.loads(json.dumps(snapshot, default=_encode, allow_nan=False))
    if not isinstance(out, dict):  # pragma: no cover - a Mapping always encodes as an object
        raise TypeError("expected a JSON object")
    return out


def _encode(value: object) -> object:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, Mapping):
        return dict(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot store a {type(value).__name__} as JSON: {value!r}")
