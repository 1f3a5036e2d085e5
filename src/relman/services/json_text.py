"""Big JSON documents as text, in chunks: ``json.dumps(obj, indent=2, ensure_ascii=False)``.

``json.dumps`` with ``indent`` falls back to the pure-Python encoder, which yields one string
per token and joins them all at the end: for the release notes of 100k commits that is 2M
small strings alive at once (over 100 MB) and most of the time spent in rendering.
:func:`iter_json_chunks` gives byte-for-byte the same text in chunks of about
``CHUNK_SIZE`` characters: containers with many items are walked one item at a time, small
ones (an entry of the notes) are encoded in one go, and strings go through the C string encoder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from json.encoder import encode_basestring  # the C implementation when available
from typing import Any

INDENT = "  "
CHUNK_SIZE = 1 << 16
_SMALL = 32  # a container of at most this many values, none a big container, goes in one go
_CONTAINERS = (dict, list, tuple)


def iter_json_chunks(obj: Any) -> Iterator[str]:
    """The text of ``json.dumps(obj, indent=2, ensure_ascii=False)``, in chunks (no newline)."""
    pending: list[str] = []
    size = 0
    for piece in _iter_value(obj, 0):
        pending.append(piece)
        size += len(piece)
        if size >= CHUNK_SIZE:
            yield "".join(pending)
            pending, size = [], 0
    if pending:
        yield "".join(pending)


def _is_small(obj: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> bool:
    """A container of scalars and small containers of scalars (a notes entry, a ticket list)."""
    values = obj.values() if isinstance(obj, dict) else obj
    if len(values) > _SMALL:
        return False
    for value in values:
        if isinstance(value, _CONTAINERS):
            inner = value.values() if isinstance(value, dict) else value
            if len(inner) > _SMALL or any(isinstance(v, _CONTAINERS) for v in inner):
                return False
    return True


def _iter_value(obj: Any, level: int) -> Iterator[str]:
    if not isinstance(obj, _CONTAINERS):
        yield _encode_scalar(obj)
    elif _is_small(obj):
        yield _encode(obj, level)
    elif isinstance(obj, dict):
        yield from _iter_dict(obj, level)
    else:
        yield from _iter_list(obj, level)


def _iter_dict(obj: dict[Any, Any], level: int) -> Iterator[str]:
    inner = "\n" + INDENT * (level + 1)
    first = True
    for key, value in obj.items():
        yield ("{" if first else ",") + inner + _encode_key(key) + ": "
        first = False
        yield from _iter_value(value, level + 1)
    yield "\n" + INDENT * level + "}"


def _iter_list(obj: list[Any] | tuple[Any, ...], level: int) -> Iterator[str]:
    inner = "\n" + INDENT * (level + 1)
    first = True
    for value in obj:
        yield "[" + inner if first else "," + inner
        first = False
        yield from _iter_value(value, level + 1)
    yield "\n" + INDENT * level + "]"


def _encode(obj: Any, level: int) -> str:
    """One (small) value in full; strings, the common case, take the shortest path."""
    enc = encode_basestring
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        inner = "\n" + INDENT * (level + 1)
        deeper = level + 1
        items = [
            (enc(k) if type(k) is str else _encode_key(k))
            + ": "
            + (enc(v) if type(v) is str else _encode(v, deeper))
            for k, v in obj.items()
        ]
        return "{" + inner + ("," + inner).join(items) + "\n" + INDENT * level + "}"
    if isinstance(obj, list | tuple):
        if not obj:
            return "[]"
        inner = "\n" + INDENT * (level + 1)
        deeper = level + 1
        items = [enc(v) if type(v) is str else _encode(v, deeper) for v in obj]
        return "[" + inner + ("," + inner).join(items) + "\n" + INDENT * level + "]"
    return _encode_scalar(obj)


def _encode_scalar(obj: Any) -> str:
    if isinstance(obj, str):
        return encode_basestring(obj)
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if isinstance(obj, int | float):
        return json.dumps(obj)  # int subclasses, NaN and Infinity exactly as json does
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _encode_key(key: Any) -> str:
    if isinstance(key, str):
        return encode_basestring(key)
    if isinstance(key, bool | None | int | float):
        return encode_basestring(json.dumps(key))  # True -> "true", 1 -> "1", like json
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
