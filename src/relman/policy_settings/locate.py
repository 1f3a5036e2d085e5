"""Point at the line of relman.toml that a validation error is about.

`locate_key` is a best-effort reader of hand-written TOML: ``[a.b]`` and ``[[a.b]]`` headers
(arrays of tables are numbered), quoted keys (``[checklists."7.1.1"]``), dotted keys, and arrays
that span several lines with one element per line (``items = [ {...}, {...} ]``). It falls back
to the closest enclosing table, so an error always gets *some* line when its table exists.

`describe_error` turns one pydantic error into ``where key.path: message`` with a plain message
(no "Value error," prefix) and, for an unknown key, the nearest known key as a suggestion.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

Key = str | int

_KEY = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+)"""
_SEGMENT = re.compile(rf"\s*({_KEY})\s*")
_ASSIGN = re.compile(rf"^\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*=(.*)$")
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]\]?\s*(#.*)?$")
_BARE = re.compile(r"^[A-Za-z0-9_\-]+$")
_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'[^']*'""")


def split_dotted(text: str) -> list[str] | None:
    """``a."b.c".d`` -> ``["a", "b.c", "d"]`` (None if it is not a TOML key)."""
    parts: list[str] = []
    pos = 0
    while True:
        match = _SEGMENT.match(text, pos)
        if not match:
            return None
        raw = match.group(1)
        parts.append(raw[1:-1] if raw[0] in "\"'" else raw)
        pos = match.end()
        if pos == len(text):
            return parts
        if text[pos] != ".":
            return None
        pos += 1


def _code(line: str) -> str:
    """The line without string contents and comments (so brackets can be counted)."""
    return _STRING.sub('""', line).split("#", 1)[0]


def _header(line: str) -> tuple[bool, list[str]] | None:
    match = _HEADER.match(line)
    if not match:
        return None
    keys = split_dotted(match.group(2))
    return (match.group(1) == "[[", keys) if keys else None


def _balance(code: str) -> int:
    return code.count("[") + code.count("{") - code.count("]") - code.count("}")


class _Reader:
    """Reads the text line by line; `feed` returns the key paths a line defines."""

    def __init__(self) -> None:
        self.table: list[Key] = []
        self.array_counts: dict[tuple[Key, ...], int] = {}
        self.array: list[Key] | None = None  # inside a multi-line array assigned to this path
        self.depth = 0
        self.element = -1
        self.in_string: str | None = None

    def _resolve(self, keys: list[str]) -> list[Key]:
        path: list[Key] = []
        for key in keys:
            path.append(key)
            count = self.array_counts.get(tuple(path))
            if count is not None:
                path.append(count - 1)
        return path

    def _header(self, is_array: bool, keys: list[str]) -> list[Key]:
        if is_array:
            path = [*self._resolve(keys[:-1]), keys[-1]]
            count = self.array_counts.get(tuple(path), 0) + 1
            self.array_counts[tuple(path)] = count
            self.table = [*path, count - 1]
        else:
            self.table = self._resolve(keys)
        return self.table

    def _array_line(self, line: str) -> list[list[Key]]:
        assert self.array is not None
        code = _code(line).strip()
        found: list[list[Key]] = []
        if self.depth == 1 and code and code[0] not in "],":
            self.element += 1
            found.append([*self.array, self.element])
        self.depth += _balance(code)
        if self.depth <= 0:
            self.array = None
        return found

    def feed(self, line: str) -> list[list[Key]]:
        if self.in_string:
            if self.in_string in line:
                self.in_string = None
            return []
        if self.array is not None:
            return self._array_line(line)
        header = _header(line)
        if header:
            return [list(self._header(*header))]
        match = _ASSIGN.match(line)
        keys = split_dotted(match.group(1)) if match else None
        if not match or not keys:
            return []
        path: list[Key] = [*self.table, *keys]
        value = match.group(2).strip()
        self.in_string = next(
            (q for q in ('"""', "'''") if value.startswith(q) and value.count(q) == 1), None
        )
        code = _code(value)
        opened = _balance(code) if code.startswith("[") else 0
        if opened <= 0:
            return [path]
        self.array, self.depth, self.element = path, opened, -1
        if code.rstrip() == "[":
            return [path]
        self.element = 0
        return [path, [*path, 0]]


def iter_key_lines(text: str) -> list[tuple[int, list[Key]]]:
    """Every (1-based line, key path) the reader recognises, in file order."""
    reader = _Reader()
    return [
        (number, path)
        for number, line in enumerate(text.splitlines(), start=1)
        for path in reader.feed(line)
    ]


def locate_key(text: str, keys: Sequence[Key]) -> int | None:
    """The 1-based line of a key path (``["release_types", "major", "lead_time_min"]``) in
    TOML text, or of its closest enclosing table/key; None when nothing matches."""
    want = list(keys)
    best: tuple[int, int] | None = None  # (matched depth, line)
    for number, path in iter_key_lines(text):
        depth = _prefix_depth(path, want)
        if depth == min(len(path), len(want)) and depth > 0 and (best is None or depth > best[0]):
            best = (depth, number)
    return best[1] if best else None


def _prefix_depth(a: Sequence[Key], b: Sequence[Key]) -> int:
    depth = 0
    for x, y in zip(a, b, strict=False):
        if type(x) is not type(y) or x != y:
            break
        depth += 1
    return depth


def format_key_path(loc: Sequence[Key]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if _BARE.match(part) else '"' + part.replace('"', '\\"') + '"'
            out += ("." if out else "") + key
    return out


def describe_error(
    err: Mapping[str, Any],
    *,
    model: type[BaseModel],
    source: str,
    text: str,
    prefix: Sequence[str] = (),
    env_sources: Mapping[tuple[str, ...], str] | None = None,
) -> str:
    """``relman.toml:12 release_types.major.lead_time_min: invalid duration ...``."""
    loc, _ = _walk(model, tuple(err["loc"]))  # without the tags of tagged unions
    key_path = format_key_path(loc)
    where = source
    env_var = _env_source(loc, env_sources or {})
    if env_var:
        where = env_var
    elif text:
        line = locate_key(text, [*prefix, *loc])
        if line:
            where = f"{source}:{line}"
    return f"{where} {key_path}: {_message(err, model)}"


def _env_source(loc: Sequence[Key], sources: Mapping[tuple[str, ...], str]) -> str | None:
    names = tuple(str(k).lower() for k in loc)
    for path, var in sources.items():
        if names[: len(path)] == tuple(p.lower() for p in path):
            return var
    return None


def _message(err: Mapping[str, Any], model: type[BaseModel]) -> str:
    kind = err.get("type")
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    if kind == "extra_forbidden":
        loc = tuple(err["loc"])
        known = known_keys(model, loc[:-1])
        message = f"unknown key {str(loc[-1])!r}"
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        if close:
            return f"{message} (did you mean {close[0]!r}?)"
        if known:
            return f"{message} (known keys: {', '.join(known)})"
        return message
    if kind == "missing":
        return f"missing required key {str(err['loc'][-1])!r}"
    return str(err["msg"])


def known_keys(model: type[BaseModel], loc: Sequence[Key]) -> list[str]:
    """The field names of the model found at ``loc`` below ``model`` ([] if not a model)."""
    _, target = _walk(model, loc)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return list(target.model_fields)
    return []


def _walk(model: type[BaseModel], loc: Sequence[Key]) -> tuple[tuple[Key, ...], Any]:
    """``loc`` without the tags pydantic adds for tagged unions (``channels.email.smtp.port``
    is ``channels.email.port`` in the file), and the annotation found at its end."""
    target: Any = model
    keys: list[Key] = []
    for part in loc:
        target = _unwrap(target)
        member = _tagged_member(target, part)
        if member is not None:
            target = member
            continue
        keys.append(part)
        if isinstance(target, type) and issubclass(target, BaseModel):
            field = target.model_fields.get(str(part))
            target = None if field is None else field.annotation
            continue
        args = typing.get_args(target)
        target = args[-1] if args else None  # dict value type / list item type
    return tuple(keys), _unwrap(target)


def _tagged_member(union: Any, tag: Key) -> type[BaseModel] | None:
    """The member of a union of models whose Literal field (the discriminator) is ``tag``."""
    if typing.get_origin(union) not in (typing.Union, types.UnionType) or not isinstance(tag, str):
        return None
    for member in typing.get_args(union):
        if isinstance(member, type) and issubclass(member, BaseModel):
            for field in member.model_fields.values():
                ann = field.annotation
                if typing.get_origin(ann) is typing.Literal and tag in typing.get_args(ann):
                    return member
    return None


def _unwrap(annotation: Any) -> Any:
    """``Model | None`` -> ``Model``; ``Annotated[X, ...]`` -> ``X``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


_PATH_PART = re.compile(r"""\.?(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_\-]+))|\[(\d+)\]""")


def parse_key_path(text: str) -> list[Key]:
    """``checklists."7.1.1".items[3].proof`` -> ``["checklists", "7.1.1", "items", 3, "proof"]``."""
    out: list[Key] = []
    for match in _PATH_PART.finditer(text):
        quoted, bare, index = match.groups()
        out.append(int(index) if index is not None else quoted if quoted is not None else bare)
    return out
