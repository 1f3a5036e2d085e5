"""Render the commented relman.toml that ``relman init`` writes.

The J-003 policy sections are written by hand in the packaged template
(``templates/policy/relman.toml.j2``), each commented with the plan section it comes from.
Sections the template does not spell out (``[project]``, ``[versioning]``, ``[commits]``,
``[notes]`` and any section added later) are written from the live defaults with
`dump_toml`, so the file never lags behind ``Settings()``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

TEMPLATE = "relman.toml.j2"
# Top-level sections the template writes out by hand (with their J-003 comments).
HANDWRITTEN = frozenset(
    {
        "objectives", "release_types", "lifecycle", "gates", "evidence", "components",
        "compatibility", "environments", "promotion", "checklists", "communication", "windows",
        "severities", "emergency", "thresholds", "roles", "people",
    }
)  # fmt: skip
# Comments for sections written from the defaults that the template does not place itself.
SECTION_TITLES = {
    "flow": "§5 Branching Strategy (Git Flow, §5.1–5.3)",
    "notifications": "§11 delivery: channels, retries, scheduled notices (docs/notifications.md)",
}
_MAX_LINE = 100
_BARE_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


def render_policy_file(defaults: Mapping[str, Any], *, version: str = "") -> str:
    """The commented policy file for ``defaults`` (``Settings().model_dump(mode="json")``)."""
    import jinja2

    source = (
        resources.files("relman")
        .joinpath("templates", "policy", TEMPLATE)
        .read_text(encoding="utf-8")
    )
    env = jinja2.Environment(
        autoescape=False,  # TOML, not HTML
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    written: set[str] = set()

    def section(name: str) -> str:
        written.add(name)
        return dump_toml({name: defaults[name]}).rstrip("\n")

    def remaining_sections() -> str:
        names = [n for n in defaults if n not in written and n not in HANDWRITTEN]
        return "\n\n".join(f"# {SECTION_TITLES.get(n, f'[{n}]')}\n{section(n)}" for n in names)

    env.filters["toml"] = _value
    env.filters["toml_key"] = _key
    env.filters["toml_array"] = _multiline_array
    template = env.from_string(source)
    text = template.render(
        d=defaults, section=section, remaining_sections=remaining_sections, version=version
    )
    return re.sub(r"\n{3,}", "\n\n", text)  # values are single-line: no string is touched


def dump_toml(data: Mapping[str, Any], path: Sequence[str] = ()) -> str:
    """A TOML document for JSON-like data (None values are left out: they mean "unset")."""
    lines: list[str] = []
    scalars = [(k, v) for k, v in data.items() if v is not None and not _is_table(v)]
    if path and (scalars or not any(_is_table(v) for v in data.values())):
        lines.append(f"[{_dotted(path)}]")
    for key, value in scalars:
        if _is_table_array(value):
            continue
        lines.append(_assignment(key, value))
    for key, value in data.items():
        if _is_table(value):
            lines.extend(["", dump_toml(value, [*path, key]).rstrip("\n")])
    for key, value in scalars:
        if _is_table_array(value):
            for item in value:
                lines.extend(["", f"[[{_dotted([*path, key])}]]"])
                lines.extend(_assignment(k, v) for k, v in item.items() if v is not None)
    return "\n".join(lines).lstrip("\n") + "\n"


def _assignment(key: str, value: object) -> str:
    """``key = value``; a long array gets one element per line."""
    line = f"{_key(key)} = {_value(value)}"
    if len(line) <= _MAX_LINE or not isinstance(value, list):
        return line
    return f"{_key(key)} = {_multiline_array(value)}"


def _multiline_array(value: list[Any]) -> str:
    """An array with one element per line (checklist items, phase activities)."""
    if not value:
        return "[]"
    return "[\n" + "".join(f"  {_value(v)},\n" for v in value) + "]"


def _is_table(value: object) -> bool:
    return isinstance(value, Mapping)


def _is_table_array(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _dotted(path: Sequence[str]) -> str:
    return ".".join(_key(p) for p in path)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None)
        return f"{{ {inner} }}" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
