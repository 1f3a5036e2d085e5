"""The SemVer 2.0.0 version format (J-003 §4.1): ``MAJOR.MINOR.PATCH[-prerelease][+build]``.

The pieces of the semver.org grammar: numeric identifiers (no leading zero), pre-release and
build identifiers (``[0-9A-Za-z-]``), the ``MAJOR.MINOR.PATCH`` core and pre-release channel
tokens (``beta``, ``rc``, ``hotfix``). A broken rule raises :class:`VersionSyntaxError` with a
0-based index; :func:`build_version_error` turns it into InvalidVersionError with a 1-based
position. The :class:`~relman.domain.versions.Version` value is built in :mod:`.versions`;
the component schemes reuse these pieces (:mod:`.schemes`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from relman.errors import InvalidVersionError

_DIGITS = frozenset("0123456789")
_IDENT_CHARS = _DIGITS | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")
CORE_NAMES = ("MAJOR", "MINOR", "PATCH")

Identifier = int | str
_R = TypeVar("_R")


class VersionSyntaxError(Exception):
    """Internal: a grammar rule broken at a 0-based index (None: the text as a whole).

    Never escapes the domain: parsers turn it into InvalidVersionError with a 1-based position.
    """

    def __init__(self, rule: str, index: int | None = None) -> None:
        super().__init__(rule)
        self.rule = rule
        self.index = index


def build_version_error(
    text: str, problem: VersionSyntaxError, *, kind: str = "version", offset: int = 0
) -> InvalidVersionError:
    """``invalid version '1.02.3': numeric identifier has a leading zero at position 3``."""
    message = f"invalid {kind} {text!r}: {problem.rule}"
    details: dict[str, object] = {"input": text, "rule": problem.rule}
    if problem.index is not None:
        position = problem.index + offset + 1
        message += f" at position {position}"
        details["position"] = position
    return InvalidVersionError(message, details=details)


def split_dotted(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """Dot-separated pieces of ``text[start:end]`` with their absolute start index."""
    pieces: list[tuple[int, str]] = []
    index = start
    for piece in text[start:end].split("."):
        pieces.append((index, piece))
        index += len(piece) + 1
    return pieces


def _check_chars(text: str, index: int, what: str, allowed: frozenset[str]) -> None:
    for offset, char in enumerate(text):
        if char not in allowed:
            raise VersionSyntaxError(f"invalid character {char!r} in {what}", index + offset)


def scan_number(text: str, index: int, name: str) -> int:
    """A numeric identifier: digits, no leading zero."""
    if not text:
        raise VersionSyntaxError(f"{name} is empty", index)
    for offset, char in enumerate(text):
        if char not in _DIGITS:
            raise VersionSyntaxError(f"{name} must be a number, found {char!r}", index + offset)
    if len(text) > 1 and text[0] == "0":
        raise VersionSyntaxError("numeric identifier has a leading zero", index)
    return int(text)


def scan_prerelease_identifier(text: str, index: int) -> Identifier:
    if not text:
        raise VersionSyntaxError("empty pre-release identifier", index)
    _check_chars(text, index, "pre-release identifier", _IDENT_CHARS)
    if set(text) <= _DIGITS:
        return scan_number(text, index, "pre-release identifier")
    return text


def scan_build_identifier(text: str, index: int) -> str:
    if not text:
        raise VersionSyntaxError("empty build identifier", index)
    _check_chars(text, index, "build metadata", _IDENT_CHARS)
    return text


def scan_build(text: str, start: int = 0) -> tuple[str, ...]:
    return tuple(scan_build_identifier(p, i) for i, p in split_dotted(text, start, len(text)))


def scan_core(text: str, end: int) -> tuple[int, int, int]:
    pieces = split_dotted(text, 0, end)
    if len(pieces) < 3:
        raise VersionSyntaxError("SemVer needs MAJOR.MINOR.PATCH")
    if len(pieces) > 3:
        raise VersionSyntaxError(
            "SemVer needs MAJOR.MINOR.PATCH, found an extra part", pieces[3][0]
        )
    major, minor, patch = (
        scan_number(piece, index, name)
        for (index, piece), name in zip(pieces, CORE_NAMES, strict=True)
    )
    return major, minor, patch


def parse_with(scan: Callable[[str], _R], text: str, kind: str) -> _R:
    try:
        return scan(text)
    except VersionSyntaxError as problem:
        raise build_version_error(text, problem, kind=kind) from None


def _scan_token(text: str) -> str:
    """A pre-release channel name such as ``beta``, ``rc`` or ``hotfix``."""
    if not text:
        raise VersionSyntaxError("a pre-release token must not be empty")
    _check_chars(text, 0, "pre-release token", _IDENT_CHARS)
    if set(text) <= _DIGITS:
        raise VersionSyntaxError("a pre-release token must not be a number", 0)
    return text


def check_token(token: str) -> str:
    return parse_with(_scan_token, token, "pre-release token")
