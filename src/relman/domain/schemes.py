"""Component version schemes (J-003 §4.3): each component keeps its own kind of version.

========  ==========================  ==================================================
scheme    example                     rules
========  ==========================  ==================================================
semver    ``1.2.3-rc.1+202601311200``  Semantic Versioning 2.0.0 (:mod:`.versions`)
odoo      ``19.0.1.2.3``               Odoo series ``N.0`` + module SemVer ``1.2.3``
mobile    ``1.2.3 (build 456)``        SemVer + a build number that only ever increases
schema    ``2026.01.31.001``           calendar date + 3-digit migration sequence of the day
========  ==========================  ==================================================

Every scheme parses with a 1-based error position, orders by its own rules and computes the
next value; ``get_scheme(name)`` returns it. Pure: ``today`` is passed in, never read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from relman.domain.version_format import (
    VersionSyntaxError,
    build_version_error,
    scan_number,
    split_dotted,
)
from relman.domain.versions import Version, scan_semver
from relman.errors import InvalidInputError, InvalidVersionError, NotFoundError

__all__ = [
    "MobileVersion",
    "OdooVersion",
    "SchemaVersion",
    "VersionScheme",
    "compute_scheme_bump",
    "get_scheme",
    "list_schemes",
]

_T = TypeVar("_T")


class VersionScheme(Protocol[_T]):
    """How one kind of component version is written, validated, ordered and advanced."""

    @property
    def name(self) -> str: ...

    def parse(self, text: str) -> _T:
        """The parsed value; InvalidVersionError naming the rule and position if invalid."""
        ...

    def format(self, value: _T) -> str: ...

    def validate(self, text: str) -> str:
        """The canonical form of ``text``; InvalidVersionError if it is not valid."""
        ...

    def describe(self, value: _T) -> dict[str, object]:
        """The parsed parts, for ``--json`` output."""
        ...

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as ``a`` ranks below, equal to or above ``b``."""
        ...

    def next(
        self,
        value: str,
        part: str,
        *,
        today: datetime.date | None = None,
        build: int | None = None,
        token: str | None = None,
    ) -> str:
        """The value after ``value`` for ``part`` (a :meth:`Version.bump` part)."""
        ...


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...

    def __gt__(self, other: Any, /) -> bool: ...


_V = TypeVar("_V", bound=_Ordered)


class _Scheme(Generic[_V]):
    """Shared behaviour: error wrapping, canonical form, comparison."""

    name = ""

    def _scan(self, text: str) -> _V:
        raise NotImplementedError

    def parse(self, text: str) -> _V:
        try:
            return self._scan(text)
        except VersionSyntaxError as problem:
            kind = "version" if self.name == "semver" else f"{self.name} version"
            raise build_version_error(text, problem, kind=kind) from None

    def format(self, value: _V) -> str:
        return str(value)

    def validate(self, text: str) -> str:
        return self.format(self.parse(text))

    def compare(self, a: str, b: str) -> int:
        left, right = self.parse(a), self.parse(b)
        return int(left > right) - int(left < right)


def _describe_semver(version: Version) -> dict[str, object]:
    return {
        "major": version.major,
        "minor": version.minor,
        "patch": version.patch,
        "prerelease": list(version.prerelease),
        "build": list(version.build),
    }


def _build_text(build: int | None) -> str | None:
    if build is not None and build < 0:
        raise InvalidInputError(f"a build number cannot be negative, got {build}")
    return None if build is None else str(build)


# --------------------------------------------------------------------------- semver


class SemverScheme(_Scheme[Version]):
    """Plain SemVer 2.0.0; ``next(build=N)`` attaches ``+N`` build metadata."""

    name = "semver"

    def _scan(self, text: str) -> Version:
        return scan_semver(text)

    def describe(self, value: Version) -> dict[str, object]:
        return _describe_semver(value)

    def next(
        self,
        value: str,
        part: str,
        *,
        today: datetime.date | None = None,
        build: int | None = None,
        token: str | None = None,
    ) -> str:
        bumped = self.parse(value).bump(part, token=token, build=_build_text(build))
        return str(bumped)


# --------------------------------------------------------------------------- odoo


@dataclass(frozen=True, order=True)
class OdooVersion:
    """``19.0.1.2.3``: Odoo series 19.0, module version 1.2.3 (ordered series first)."""

    series: int
    module: Version

    def __str__(self) -> str:
        return f"{self.series}.0.{self.module}"


class OdooScheme(_Scheme[OdooVersion]):
    name = "odoo"

    def _scan(self, text: str) -> OdooVersion:
        pieces = text.split(".", 2)
        if len(pieces) < 3:
            raise VersionSyntaxError(
                "Odoo versions are SERIES.0.MAJOR.MINOR.PATCH, e.g. 19.0.1.2.3"
            )
        series = scan_number(pieces[0], 0, "Odoo series")
        zero_at = len(pieces[0]) + 1
        if pieces[1] != "0":
            raise VersionSyntaxError("the Odoo series must look like N.0", zero_at)
        start = zero_at + len(pieces[1]) + 1
        try:
            module = scan_semver(pieces[2])
        except VersionSyntaxError as problem:
            index = None if problem.index is None else problem.index + start
            raise VersionSyntaxError(f"module version: {problem.rule}", index) from None
        return OdooVersion(series, module)

    def describe(self, value: OdooVersion) -> dict[str, object]:
        return {"series": f"{value.series}.0", "module": str(value.module)} | _describe_semver(
            value.module
        )

    def next(
        self,
        value: str,
        part: str,
        *,
        today: datetime.date | None = None,
        build: int | None = None,
        token: str | None = None,
    ) -> str:
        current = self.parse(value)
        module = current.module.bump(part, token=token, build=_build_text(build))
        return str(OdooVersion(current.series, module))


# --------------------------------------------------------------------------- mobile

_BUILD_LABEL = " (build "


@dataclass(frozen=True, order=True)
class MobileVersion:
    """``1.2.3 (build 456)``: SemVer plus a build number (ordered version, then build)."""

    version: Version
    build: int

    def __str__(self) -> str:
        return f"{self.version}{_BUILD_LABEL}{self.build})"


def _split_mobile(text: str) -> tuple[str, str, int]:
    """(version text, build text, index of the build text)."""
    if text.endswith(")") and _BUILD_LABEL in text:
        cut = text.rindex(_BUILD_LABEL)
        return text[:cut], text[cut + len(_BUILD_LABEL) : -1], cut + len(_BUILD_LABEL)
    if "+" in text:
        cut = text.index("+")
        return text[:cut], text[cut + 1 :], cut + 1
    raise VersionSyntaxError(
        "a mobile version needs a build number: '1.2.3 (build 456)' or '1.2.3+456'"
    )


class MobileScheme(_Scheme[MobileVersion]):
    """``next`` always raises the build number; part ``build`` raises only the build number."""

    name = "mobile"

    def _scan(self, text: str) -> MobileVersion:
        head, number, at = _split_mobile(text)
        version = scan_semver(head)
        if version.build:
            raise VersionSyntaxError("build metadata and a build number together", head.index("+"))
        return MobileVersion(version, scan_number(number, at, "build number"))

    def describe(self, value: MobileVersion) -> dict[str, object]:
        return {"version": str(value.version), "build_number": value.build} | _describe_semver(
            value.version
        )

    def next(
        self,
        value: str,
        part: str,
        *,
        today: datetime.date | None = None,
        build: int | None = None,
        token: str | None = None,
    ) -> str:
        current = self.parse(value)
        if build is not None and build <= current.build:
            raise InvalidVersionError(
                f"build {build} must be greater than the current build {current.build} "
                f"of {value!r}: mobile build numbers only ever increase"
            )
        number = current.build + 1 if build is None else build
        version = current.version if part == "build" else current.version.bump(part, token=token)
        return str(MobileVersion(version, number))


# --------------------------------------------------------------------------- schema

_SCHEMA_FIELDS = (("year", 4), ("month", 2), ("day", 2), ("sequence", 3))
_LAST_SEQUENCE = 999


@dataclass(frozen=True, order=True)
class SchemaVersion:
    """``2026.01.31.001``: the migration date and its sequence number within that day."""

    day: datetime.date
    sequence: int

    def __str__(self) -> str:
        day = self.day
        return f"{day.year:04d}.{day.month:02d}.{day.day:02d}.{self.sequence:03d}"


def _scan_schema_fields(text: str) -> list[tuple[int, int]]:
    """(index, number) of YEAR, MONTH, DAY, SEQUENCE with their exact widths checked."""
    pieces = split_dotted(text, 0, len(text))
    if len(pieces) != len(_SCHEMA_FIELDS):
        raise VersionSyntaxError("schema versions are YYYY.MM.DD.NNN, e.g. 2026.01.31.001")
    fields = []
    for (index, piece), (name, width) in zip(pieces, _SCHEMA_FIELDS, strict=True):
        bad = next((i for i, char in enumerate(piece) if char not in "0123456789"), None)
        if bad is not None:
            raise VersionSyntaxError(f"{name} must be a number, found {piece[bad]!r}", index + bad)
        if len(piece) != width:
            raise VersionSyntaxError(f"{name} needs {width} digits", index)
        fields.append((index, int(piece)))
    return fields


class SchemaScheme(_Scheme[SchemaVersion]):
    """Migration-based: ``next`` gives ``today.001`` or the same day's sequence + 1."""

    name = "schema"

    def _scan(self, text: str) -> SchemaVersion:
        (_, year), (month_at, month), (day_at, day), (seq_at, seq) = _scan_schema_fields(text)
        if seq == 0:
            raise VersionSyntaxError("the sequence starts at 001", seq_at)
        if year == 0:
            raise VersionSyntaxError("year 0000 does not exist", 0)
        if not 1 <= month <= 12:
            raise VersionSyntaxError(f"month {month:02d} does not exist", month_at)
        try:
            return SchemaVersion(datetime.date(year, month, day), seq)
        except ValueError:
            date_text = f"{year:04d}-{month:02d}-{day:02d}"
            raise VersionSyntaxError(f"{date_text} is not a calendar date", day_at) from None

    def describe(self, value: SchemaVersion) -> dict[str, object]:
        return {"date": value.day.isoformat(), "sequence": value.sequence}

    def next(
        self,
        value: str,
        part: str,
        *,
        today: datetime.date | None = None,
        build: int | None = None,
        token: str | None = None,
    ) -> str:
        if today is None:
            raise InvalidInputError("the schema scheme needs today's date to number a migration")
        if build is not None or token is not None:
            raise InvalidInputError("schema versions have no build number or pre-release token")
        current = self.parse(value)
        if today > current.day:
            return str(SchemaVersion(today, 1))
        if current.sequence >= _LAST_SEQUENCE:
            raise InvalidVersionError(
                f"cannot number a migration after {value!r}: "
                f"{_LAST_SEQUENCE:03d} is the last sequence number of {current.day.isoformat()}"
            )
        return str(SchemaVersion(current.day, current.sequence + 1))


# --------------------------------------------------------------------------- registry

_SCHEMES: dict[str, VersionScheme[Any]] = {
    scheme.name: scheme for scheme in (SemverScheme(), OdooScheme(), MobileScheme(), SchemaScheme())
}


def list_schemes() -> list[str]:
    """The names of the known schemes."""
    return list(_SCHEMES)


def get_scheme(name: str) -> VersionScheme[Any]:
    """The scheme called ``name``; NotFoundError if unknown."""
    scheme = _SCHEMES.get(name.strip().lower())
    if scheme is None:
        raise NotFoundError(
            f"unknown version scheme {name!r} (known schemes: {', '.join(_SCHEMES)})",
            where="scheme",
        )
    return scheme


def _parse_build_number(build: str | None) -> int | None:
    if build is None:
        return None
    if not build or any(char not in "0123456789" for char in build):
        raise InvalidInputError(f"invalid build number {build!r}: expected a whole number")
    return int(build)


def compute_scheme_bump(
    scheme: str,
    value: str,
    part: str | None,
    *,
    token: str | None = None,
    build: str | None = None,
    today: datetime.date | None = None,
) -> str:
    """``relman version bump``: the next value of ``value`` in ``scheme``.

    For ``semver`` ``build`` is ``+`` metadata (any valid identifiers); for the other schemes
    it is a whole build number. ``part`` may be None only for ``schema`` (which ignores it).
    """
    chosen = get_scheme(scheme)
    if part is None and chosen.name != "schema":
        raise InvalidInputError(
            f"{chosen.name} versions need a bump part", hint="pass --part major|minor|patch|..."
        )
    part = part or "next"
    if chosen.name == "semver":
        return str(Version.parse(value).bump(part, token=token, build=build))
    number = _parse_build_number(build)
    return chosen.next(value, part, today=today, build=number, token=token)
