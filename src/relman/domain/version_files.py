"""Version files: where a project writes its own version, as pure text transforms.

A *handler* finds the version literal(s) in one kind of file and says how a new version is
written there; everything else in the file is left byte for byte as it was. Handlers are looked
up in a :class:`VersionFileRegistry` by file-name pattern, so a new file type plugs in with
``registry.register("Cargo.toml", CargoHandler())``.

Built in (J-003 §4.3 components):

- ``pyproject.toml``: ``[project].version`` and ``[tool.poetry].version``;
- ``package.json``: the top-level ``"version"``;
- ``__manifest__.py`` (Odoo modules): ``'version': '19.0.1.2.0'``, keeping the Odoo series
  prefix (``19.0.``) in front of the module version; prereleases and hotfixes are written
  without their suffix, since Odoo accepts dotted numbers only;
- ``VERSION``: the whole file is the version.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

from relman.errors import InvalidInputError, NotFoundError


@dataclass(frozen=True)
class VersionSpan:
    """One version literal: ``text[start:end] == raw`` (the content, without quotes)."""

    start: int
    end: int
    raw: str


class VersionFileHandler(Protocol):
    """Finds and rewrites the version in one kind of file."""

    @property
    def name(self) -> str: ...

    def locate(self, text: str, *, path: str) -> list[VersionSpan]:
        """Every version literal in ``text`` (empty when the file declares none).

        Raises InvalidInputError naming ``path`` when the file cannot be read as its type.
        """
        ...

    def render(self, raw: str, version: str) -> str:
        """The literal that replaces ``raw`` to declare ``version``."""
        ...


# --------------------------------------------------------------------------------------
# pyproject.toml

_TABLE = re.compile(r"^[ \t]*\[[ \t]*([A-Za-z0-9_.\-\" \t]+?)[ \t]*\][ \t]*(?:#.*)?$")
_VERSION_KEY = re.compile(
    r"^[ \t]*(?:\"version\"|'version'|version)[ \t]*=[ \t]*(\"|')([^\"'\n]*)\1"
)
PYPROJECT_TABLES = (("project",), ("tool", "poetry"))


class PyprojectHandler:
    """``[project].version`` and ``[tool.poetry].version`` of a pyproject.toml."""

    name = "pyproject"

    def locate(self, text: str, *, path: str) -> list[VersionSpan]:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInputError(f"invalid TOML: {exc}", where=path) from exc
        wanted = {t for t in PYPROJECT_TABLES if isinstance(_dig(data, t), str)}
        spans: list[VersionSpan] = []
        found: set[tuple[str, ...]] = set()
        table: tuple[str, ...] = ()
        offset = 0
        for line in text.splitlines(keepends=True):
            if line.lstrip().startswith("[["):
                table = ("[[array]]",)
            elif header := _TABLE.match(line.rstrip("\r\n")):
                table = tuple(p.strip().strip('"') for p in header.group(1).split("."))
            elif table in wanted and table not in found:
                key = _VERSION_KEY.match(line)
                if key and key[2] == _dig(data, table):
                    spans.append(VersionSpan(offset + key.start(2), offset + key.end(2), key[2]))
                    found.add(table)
            offset += len(line)
        for table in wanted - found:
            raise InvalidInputError(
                f"cannot rewrite [{'.'.join(table)}].version: it is not a plain "
                "'version = \"...\"' line",
                where=path,
            )
        return spans

    def render(self, raw: str, version: str) -> str:
        return version


def _dig(data: object, keys: tuple[str, ...]) -> object:
    for key in (*keys, "version"):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


# --------------------------------------------------------------------------------------
# package.json


class PackageJsonHandler:
    """The top-level ``"version"`` of a package.json."""

    name = "package.json"

    def locate(self, text: str, *, path: str) -> list[VersionSpan]:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInputError(f"invalid JSON: {exc}", where=path) from exc
        if not isinstance(data, dict) or not isinstance(data.get("version"), str):
            return []
        span = _find_top_level_string(text, "version")
        if span is None or span.raw != data["version"]:
            raise InvalidInputError(
                'cannot rewrite "version": it is not a plain JSON string', where=path
            )
        return [span]

    def render(self, raw: str, version: str) -> str:
        return version


def _find_top_level_string(text: str, key: str) -> VersionSpan | None:
    """The string value of ``key`` in the outermost JSON object (a tiny scanner)."""
    depth = 0
    i = 0
    last_key: str | None = None
    expect_value = False
    while i < len(text):
        ch = text[i]
        if ch == '"':
            end = _string_end(text, i)
            content = text[i + 1 : end]
            if expect_value and depth == 1 and last_key == key:
                return VersionSpan(i + 1, end, content)
            rest = text[end + 1 :].lstrip()
            if depth == 1 and not expect_value and rest.startswith(":"):
                last_key = content
            expect_value = False
            i = end + 1
            continue
        if ch in "{[":
            depth += 1
            expect_value = False
        elif ch in "}]":
            depth -= 1
        elif ch == ":":
            expect_value = True
        elif ch == "," or not ch.isspace():
            expect_value = False
        i += 1
    return None


def _string_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    return len(text)


# --------------------------------------------------------------------------------------
# Odoo __manifest__.py

_ODOO_SERIES = re.compile(r"^(\d+\.\d+)\.(\d+\.\d+\.\d+.*)$")


class OdooManifestHandler:
    """``'version': '19.0.1.2.0'`` in an Odoo module manifest (series prefix kept)."""

    name = "odoo-manifest"

    def locate(self, text: str, *, path: str) -> list[VersionSpan]:
        try:
            tree = ast.parse(text, filename=path)
        except SyntaxError as exc:
            raise InvalidInputError(
                f"invalid Python: {exc.msg}", where=f"{path}:{exc.lineno}"
            ) from exc
        manifest = next(
            (
                n.value
                for n in tree.body
                if isinstance(n, ast.Expr) and isinstance(n.value, ast.Dict)
            ),
            None,
        )
        if manifest is None:
            raise InvalidInputError("no manifest dictionary found", where=path)
        for key, value in zip(manifest.keys, manifest.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "version":
                if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                    raise InvalidInputError(
                        "'version' is not a string literal", where=f"{path}:{value.lineno}"
                    )
                return [_literal_span(text, value, path)]
        return []

    def render(self, raw: str, version: str) -> str:
        # Odoo reads a manifest version as dotted numbers only: a prerelease such as the
        # J-003 hotfix 1.2.1-hotfix.2 is written as the patch its line leads to (1.2.1), so
        # `odoo -u` still sees the module version rise and runs its 1.2.1 migrations.
        numeric = version.split("+", 1)[0].split("-", 1)[0]
        series = _ODOO_SERIES.match(raw)
        return f"{series[1]}.{numeric}" if series else numeric


def _literal_span(text: str, node: ast.Constant, path: str) -> VersionSpan:
    lines = text.splitlines(keepends=True)
    start = _char_offset(lines, node.lineno, node.col_offset)
    end = _char_offset(lines, node.end_lineno or node.lineno, node.end_col_offset or 0)
    literal = text[start:end]
    body = literal.lstrip("rRuUbB")
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    inner_start = start + (len(literal) - len(body)) + len(quote)
    inner_end = end - len(quote)
    raw = text[inner_start:inner_end]
    if raw != node.value:
        raise InvalidInputError(
            "cannot rewrite 'version': the literal uses escapes or concatenation",
            where=f"{path}:{node.lineno}",
        )
    return VersionSpan(inner_start, inner_end, raw)


def _char_offset(lines: Sequence[str], lineno: int, col_bytes: int) -> int:
    before = sum(len(line) for line in lines[: lineno - 1])
    line = lines[lineno - 1] if lineno - 1 < len(lines) else ""
    return before + len(line.encode("utf-8")[:col_bytes].decode("utf-8", errors="ignore"))


# --------------------------------------------------------------------------------------
# VERSION


class PlainVersionHandler:
    """A file holding only the version (surrounding whitespace kept)."""

    name = "plain"

    def locate(self, text: str, *, path: str) -> list[VersionSpan]:
        stripped = text.strip()
        if not stripped:
            return []
        if "\n" in stripped:
            raise InvalidInputError("a VERSION file must hold one line", where=path)
        start = text.index(stripped)
        return [VersionSpan(start, start + len(stripped), stripped)]

    def render(self, raw: str, version: str) -> str:
        return version


# --------------------------------------------------------------------------------------
# Registry and text transforms


class VersionFileRegistry:
    """Handlers keyed by file-name pattern (``fnmatch`` on the base name)."""

    def __init__(self, handlers: Iterable[tuple[str, VersionFileHandler]] = ()) -> None:
        self._handlers: dict[str, VersionFileHandler] = dict(handlers)

    @classmethod
    def default(cls) -> VersionFileRegistry:
        return cls(
            [
                ("pyproject.toml", PyprojectHandler()),
                ("package.json", PackageJsonHandler()),
                ("__manifest__.py", OdooManifestHandler()),
                ("VERSION", PlainVersionHandler()),
            ]
        )

    @property
    def patterns(self) -> list[str]:
        return list(self._handlers)

    def register(self, pattern: str, handler: VersionFileHandler) -> None:
        """Add (or replace) the handler of a file-name pattern; later patterns win ties."""
        self._handlers.pop(pattern, None)
        self._handlers[pattern] = handler

    def find(self, path: str) -> VersionFileHandler | None:
        name = PurePosixPath(path).name
        exact = self._handlers.get(name)
        if exact is not None:
            return exact
        for pattern, handler in reversed(self._handlers.items()):
            if fnmatch.fnmatchcase(name, pattern):
                return handler
        return None

    def get(self, path: str) -> VersionFileHandler:
        handler = self.find(path)
        if handler is None:
            known = ", ".join(self._handlers)
            raise NotFoundError(
                f"no version-file handler for {PurePosixPath(path).name!r} (known: {known})",
                where=path,
            )
        return handler


DEFAULT_REGISTRY = VersionFileRegistry.default()


def read_version(
    text: str, *, path: str, registry: VersionFileRegistry = DEFAULT_REGISTRY
) -> str | None:
    """The version a file declares as written there (``19.0.1.2.0``), or None."""
    spans = registry.get(path).locate(text, path=path)
    return spans[0].raw if spans else None


def replace_version(
    text: str, version: str, *, path: str, registry: VersionFileRegistry = DEFAULT_REGISTRY
) -> str:
    """``text`` declaring ``version`` instead (each literal rendered by the file's handler).

    Raises InvalidInputError when the file declares no version.
    """
    handler = registry.get(path)
    return _rewrite(text, path, handler, lambda raw: handler.render(raw, version))


def replace_raw_version(
    text: str, raw: str, *, path: str, registry: VersionFileRegistry = DEFAULT_REGISTRY
) -> str:
    """``text`` with every version literal set to ``raw`` exactly (used to resolve merges)."""
    handler = registry.get(path)
    return _rewrite(text, path, handler, lambda _old: raw)


def _rewrite(text: str, path: str, handler: VersionFileHandler, new: _Render) -> str:
    spans = handler.locate(text, path=path)
    if not spans:
        raise InvalidInputError("the file declares no version", where=path)
    out = text
    for span in sorted(spans, key=lambda s: s.start, reverse=True):
        out = out[: span.start] + new(span.raw) + out[span.end :]
    return out


class _Render(Protocol):
    def __call__(self, raw: str, /) -> str: ...


def match_version_files(
    paths: Iterable[str], patterns: Sequence[str], registry: VersionFileRegistry = DEFAULT_REGISTRY
) -> list[str]:
    """The tracked ``paths`` matching the configured version-file ``patterns``, sorted.

    Patterns are repository-relative globs (``*`` within a directory, ``**/`` any depth).
    Only files with a registered handler are returned.
    """
    compiled = [_glob(p) for p in patterns]
    return sorted(
        p for p in paths if any(c.fullmatch(p) for c in compiled) and registry.find(p) is not None
    )


def _glob(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


@dataclass(frozen=True)
class AlignedVersions:
    """The three sides of a conflicted version file, all declaring the version kept."""

    base: str
    ours: str
    theirs: str
    kept: str  # the raw version kept
    dropped: str  # the raw version of the other side


def align_versions(
    base: str,
    ours: str,
    theirs: str,
    *,
    path: str,
    keep: str,
    registry: VersionFileRegistry = DEFAULT_REGISTRY,
) -> AlignedVersions:
    """Rewrite base/ours/theirs to one version (``keep`` = ``ours`` or ``theirs``).

    A three-way merge of the aligned texts no longer conflicts on the version line, so what
    still conflicts is a real conflict. Raises InvalidInputError when a side has no version.
    """
    if keep not in ("ours", "theirs"):
        raise ValueError(f"keep must be 'ours' or 'theirs', not {keep!r}")
    handler = registry.get(path)
    versions = []
    for side, text in (("ours", ours), ("theirs", theirs)):
        spans = handler.locate(text, path=f"{path} ({side})")
        if not spans:
            raise InvalidInputError(f"{side} side declares no version", where=path)
        versions.append(spans[0].raw)
    kept, dropped = versions if keep == "ours" else versions[::-1]
    new_base, new_ours, new_theirs = (
        replace_raw_version(t, kept, path=path, registry=registry) for t in (base, ours, theirs)
    )
    return AlignedVersions(new_base, new_ours, new_theirs, kept=kept, dropped=dropped)
