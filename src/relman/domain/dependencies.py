"""Dependency files and how they changed between two releases (J-003 §10.1 "Dependencies").

Pure parsers, one per kind of file, each returning ``{component: version}``:

- ``requirements*.txt``: PEP 508 lines (``name[extras] spec ; markers``), options and includes
  skipped, ``\\`` continuations joined;
- ``pyproject.toml``: ``[project].dependencies``, ``[project].requires-python`` (as ``Python``)
  and ``[tool.poetry.dependencies]`` (``python`` as ``Python``);
- an Odoo ``__manifest__.py``: the module (named after its folder) and its ``version``, read with
  :func:`ast.literal_eval` (never executed).

A pinned requirement (``==1.2.3``) shows as ``1.2.3``; any other specifier shows as written
(``>=2.0,<3``); no specifier shows as ``*``. :func:`compute_dependency_changes` turns the files of
two revisions into the rows of the release notes table: changed, added and removed only.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from relman.errors import InvalidInputError

ANY_VERSION = "*"
PYTHON = "Python"

_OPERATOR = r"(?:===|==|!=|~=|<=|>=|<|>)"
_CLAUSE = rf"{_OPERATOR}\s*[A-Za-z0-9.*+!_-]+"
_REQUIREMENT = re.compile(
    rf"""^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*
        (?:\[[^\]]*\])?\s*                                    # extras
        (?P<spec>\(?\s*{_CLAUSE}(?:\s*,\s*{_CLAUSE})*\s*\)?   # version specifier
                |@\s*\S+)?\s*                                  # or a direct reference
        (?:;.*)?$                                              # environment markers
    """,
    re.VERBOSE,
)
_HASH = re.compile(r"\s+--hash[= ]\S+")
_PINNED = re.compile(r"^===?\s*([^,\s]+)$")


@dataclass(frozen=True)
class OdooManifest:
    """What the release notes need from an Odoo ``__manifest__.py``."""

    module: str
    name: str
    version: str | None
    depends: tuple[str, ...] = ()
    external_python: tuple[str, ...] = ()
    external_bin: tuple[str, ...] = ()


@dataclass(frozen=True)
class DependencyChange:
    """One row of the Dependencies table; ``None`` means absent at that revision."""

    component: str
    previous: str | None
    current: str | None


def normalize_name(name: str) -> str:
    """PEP 503 normalized project name (``Foo_Bar.baz`` -> ``foo-bar-baz``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(line: str) -> tuple[str, str] | None:
    """``(name, version)`` of one PEP 508 requirement, or None for a line that is not one."""
    text = _HASH.sub("", line).strip()
    if not text or text.startswith(("-", "#")):
        return None
    match = _REQUIREMENT.match(text)
    if match is None:
        return None
    return match.group("name"), _display_spec(match.group("spec") or "")


def _display_spec(spec: str) -> str:
    spec = spec.strip()
    if not spec:
        return ANY_VERSION
    if spec.startswith("@"):
        return spec[1:].strip()
    spec = re.sub(r"\s+", "", spec).removeprefix("(").removesuffix(")")
    pinned = _PINNED.match(spec)
    return pinned.group(1) if pinned else spec


def parse_requirements_txt(text: str) -> dict[str, str]:
    """Requirements of a ``requirements*.txt`` file (options, includes and URLs skipped)."""
    out: dict[str, str] = {}
    for line in _logical_lines(text):
        parsed = parse_requirement(line)
        if parsed is not None:
            out[parsed[0]] = parsed[1]
    return out


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def parse_pyproject(text: str, *, where: str = "pyproject.toml") -> dict[str, str]:
    """``[project]`` dependencies and requires-python, and ``[tool.poetry.dependencies]``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"invalid TOML: {exc}", where=where) from exc
    out: dict[str, str] = {}
    project = _table(data.get("project"))
    requires_python = project.get("requires-python")
    if isinstance(requires_python, str):
        out[PYTHON] = _display_spec(requires_python)
    for item in project.get("dependencies") or ():
        parsed = parse_requirement(item) if isinstance(item, str) else None
        if parsed is not None:
            out[parsed[0]] = parsed[1]
    poetry = _table(_table(_table(data.get("tool")).get("poetry")).get("dependencies"))
    for name, value in poetry.items():
        version = _poetry_version(value)
        if version is not None:
            out[PYTHON if name.lower() == "python" else name] = version
    return out


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _poetry_version(value: object) -> str | None:
    if isinstance(value, str):
        return _display_spec(value) if value.strip() not in ("", "*") else ANY_VERSION
    if isinstance(value, Mapping):
        for key in ("version", "git", "path", "url"):
            if isinstance(value.get(key), str):
                return _poetry_version(value[key]) if key == "version" else str(value[key])
        return ANY_VERSION
    return None  # a list of constraints per platform: too rich for one table cell


def parse_odoo_manifest(text: str, *, path: str) -> OdooManifest:
    """An Odoo manifest (a Python dict literal); the module is the folder holding it."""
    module = PurePosixPath(path).parent.name or PurePosixPath(path).stem
    try:
        data = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise InvalidInputError(
            f"invalid Odoo manifest: not a Python dict literal ({exc.__class__.__name__})",
            where=path,
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInputError("invalid Odoo manifest: expected a dict literal", where=path)
    external = _table(data.get("external_dependencies"))
    version = data.get("version")
    return OdooManifest(
        module=module,
        name=str(data.get("name", module)),
        version=str(version) if version is not None else None,
        depends=_strings(data.get("depends")),
        external_python=_strings(external.get("python")),
        external_bin=_strings(external.get("bin")),
    )


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()


def detect_kind(path: str) -> str | None:
    """``requirements``, ``pyproject`` or ``odoo`` for a dependency file path, else None."""
    name = PurePosixPath(path).name
    if name.startswith("requirements") and name.endswith(".txt"):
        return "requirements"
    if name == "pyproject.toml":
        return "pyproject"
    if name == "__manifest__.py":
        return "odoo"
    return None


def parse_dependency_file(path: str, text: str) -> dict[str, str]:
    """``{component: version}`` of one dependency file (its kind is chosen from its name)."""
    kind = detect_kind(path)
    if kind == "requirements":
        return parse_requirements_txt(text)
    if kind == "pyproject":
        return parse_pyproject(text, where=path)
    if kind == "odoo":
        manifest = parse_odoo_manifest(text, path=path)
        return {manifest.module: manifest.version} if manifest.version else {}
    return {}


def compute_dependency_changes(
    previous: Mapping[str, str], current: Mapping[str, str]
) -> tuple[list[DependencyChange], list[str]]:
    """Rows for two ``{path: text}`` snapshots: components changed, added or removed.

    Files are compared path by path; a component listed in several files yields one row per
    distinct change. Rows are sorted by component name (case-insensitive). A file that does not
    parse is left out and named in the returned warnings (old revisions may hold broken files).
    """
    rows: list[DependencyChange] = []
    warnings: list[str] = []
    for path in sorted(set(previous) | set(current)):
        try:
            before = parse_dependency_file(path, previous[path]) if path in previous else {}
            after = parse_dependency_file(path, current[path]) if path in current else {}
        except InvalidInputError as exc:
            warnings.append(f"dependencies of {path} skipped: {exc}")
            continue
        rows.extend(_diff(before, after))
    unique = list(dict.fromkeys(rows))
    rows = sorted(unique, key=lambda r: (r.component.lower(), r.previous or "", r.current or ""))
    return rows, warnings


def _diff(before: Mapping[str, str], after: Mapping[str, str]) -> list[DependencyChange]:
    old = {normalize_name(k): (k, v) for k, v in before.items()}
    new = {normalize_name(k): (k, v) for k, v in after.items()}
    rows = []
    for key in old.keys() | new.keys():
        prev = old.get(key)
        cur = new.get(key)
        if prev is not None and cur is not None and prev[1] == cur[1]:
            continue
        name = (cur or prev or (key, ""))[0]
        rows.append(DependencyChange(name, prev[1] if prev else None, cur[1] if cur else None))
    return rows
