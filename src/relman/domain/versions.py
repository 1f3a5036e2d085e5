"""Semantic Versioning 2.0.0 (J-003 §4.1-§4.2): parse, format, precedence, bumps, next version.

Precedence follows semver.org §11: MAJOR, MINOR and PATCH compare numerically; a version
with a pre-release ranks below the same version without one; pre-release identifiers compare
left to right, numeric ones numerically and below alphanumeric ones (ASCII order), and a
longer set of identifiers ranks higher when all before are equal. Build metadata is kept and
printed but ignored for precedence, so ``==`` and ``hash`` ignore it too.

The J-003 hotfix form ``x.y.Z-hotfix.N`` is an ordinary pre-release of the next patch, so
``1.2.0 < 1.2.1-hotfix.1 < 1.2.1-hotfix.2 < 1.2.1`` holds by plain SemVer rules.

The version format itself (the semver.org grammar pieces and their errors) lives in
:mod:`relman.domain.version_format`; its public names are re-exported here. Component schemes
(Odoo, mobile, schema) live in :mod:`relman.domain.schemes`.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from relman.domain.version_format import (
    CORE_NAMES,
    Identifier,
    VersionSyntaxError,
    build_version_error,
    check_token,
    parse_with,
    scan_build,
    scan_build_identifier,
    scan_core,
    scan_number,
    scan_prerelease_identifier,
    split_dotted,
)
from relman.errors import InvalidInputError, InvalidVersionError

if TYPE_CHECKING:
    from relman.domain.schemes import VersionScheme

__all__ = [
    "BUMP_PARTS",
    "Bump",
    "Identifier",
    "Version",
    "VersionSyntaxError",
    "build_version_error",
    "compute_next_version",
    "get_scheme",
    "scan_number",
    "scan_prerelease_identifier",
    "split_dotted",
]

HOTFIX_TOKEN = "hotfix"
BUMP_PARTS = ("major", "minor", "patch", "prerelease", "hotfix", "release")


class Bump(enum.IntEnum):
    """How far a version moves: the bump a set of commits asks for."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @classmethod
    def parse(cls, name: str) -> Bump:
        """``"none"``, ``"patch"``, ``"minor"`` or ``"major"`` (any case)."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise InvalidInputError(
                f"unknown bump {name!r}: expected none, patch, minor or major"
            ) from None

    def __str__(self) -> str:
        return self.name.lower()

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


# --------------------------------------------------------------------------- parsing


def scan_semver(text: str) -> Version:
    """Parse ``text`` by the semver.org grammar; raise VersionSyntaxError (0-based index)."""
    if not text:
        raise VersionSyntaxError("empty version")
    core_end = next((i for i, ch in enumerate(text) if ch in "-+"), len(text))
    major, minor, patch = scan_core(text, core_end)
    prerelease: tuple[Identifier, ...] = ()
    build: tuple[str, ...] = ()
    rest = core_end
    if rest < len(text) and text[rest] == "-":
        plus = text.find("+", rest)
        end = len(text) if plus < 0 else plus
        prerelease = tuple(
            scan_prerelease_identifier(p, i) for i, p in split_dotted(text, rest + 1, end)
        )
        rest = end
    if rest < len(text):
        build = scan_build(text, rest + 1)
    return Version(major, minor, patch, prerelease, build)


# --------------------------------------------------------------------------- the value


def _identifier_key(identifier: Identifier) -> tuple[int, int, str]:
    if isinstance(identifier, int):
        return (0, identifier, "")
    return (1, 0, identifier)


def _normalize_identifier(identifier: object, index: int) -> Identifier:
    if isinstance(identifier, int) and not isinstance(identifier, bool) and identifier >= 0:
        return identifier
    if isinstance(identifier, str):
        try:
            return scan_prerelease_identifier(identifier, 0)
        except VersionSyntaxError as problem:
            raise build_version_error(
                identifier, problem, kind=f"pre-release identifier #{index + 1}"
            ) from None
    raise InvalidVersionError(f"invalid pre-release identifier #{index + 1}: {identifier!r}")


@functools.total_ordering
@dataclass(frozen=True, eq=False, repr=False)
class Version:
    """A SemVer 2.0.0 version. Build metadata is ignored by ``==``, ``hash`` and ordering."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...] = ()
    build: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, value in zip(CORE_NAMES, (self.major, self.minor, self.patch), strict=True):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidVersionError(f"invalid version: {name} must be >= 0, got {value!r}")
        pre = tuple(_normalize_identifier(p, i) for i, p in enumerate(self.prerelease))
        object.__setattr__(self, "prerelease", pre)
        build = tuple(self.build)
        for item in build:
            parse_with(lambda text: scan_build_identifier(text, 0), item, "build identifier")
        object.__setattr__(self, "build", build)

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse a strict SemVer string (no ``v`` prefix, no spaces)."""
        return parse_with(scan_semver, text, "version")

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(str(p) for p in self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    def __repr__(self) -> str:
        return f"Version({str(self)!r})"

    def precedence_key(self) -> tuple[Any, ...]:
        """A sort key giving SemVer precedence (build metadata is not part of it)."""
        pre = tuple(_identifier_key(p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if pre else 1, pre)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.precedence_key() == other.precedence_key()

    def __hash__(self) -> int:
        return hash(self.precedence_key())

    def __lt__(self, other: Version) -> bool:
        return self.precedence_key() < other.precedence_key()

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def finalize(self) -> Version:
        """The release this version leads to: pre-release and build metadata dropped."""
        return Version(self.major, self.minor, self.patch)

    def with_build(self, build: str | None) -> Version:
        """This version with build metadata ``build`` (validated; None drops it)."""
        if build is None:
            return replace(self, build=())
        return replace(self, build=parse_with(scan_build, build, "build metadata"))

    def bump(self, part: str, *, token: str | None = None, build: str | None = None) -> Version:
        """The next version for ``part``: major, minor, patch, prerelease, hotfix or release.

        ``token`` names the pre-release channel (``beta``, ``rc``; for ``hotfix`` the hotfix
        channel, default ``hotfix``); with major/minor/patch it makes a pre-release of that
        bump. ``build`` is attached as ``+build`` metadata; existing metadata is dropped.
        """
        step = _BUMPS.get(part)
        if step is None:
            raise InvalidInputError(
                f"unknown bump part {part!r}: expected one of {', '.join(BUMP_PARTS)}"
            )
        return step(self, token).with_build(build)


# --------------------------------------------------------------------------- bumps


def _start_prerelease(version: Version, token: str) -> Version:
    return Version(version.major, version.minor, version.patch, (check_token(token), 1))


def _increment_counter(prerelease: tuple[Identifier, ...]) -> tuple[Identifier, ...]:
    """``rc.1`` -> ``rc.2``; ``rc`` -> ``rc.1`` (the last number goes up)."""
    for index in range(len(prerelease) - 1, -1, -1):
        value = prerelease[index]
        if isinstance(value, int):
            return (*prerelease[:index], value + 1, *prerelease[index + 1 :])
    return (*prerelease, 1)


def _next_prerelease(version: Version, token: str | None) -> Version:
    """Continue a pre-release: same channel counts up, a later channel starts at 1."""
    if token is None or token == version.prerelease[0]:
        return replace(version, prerelease=_increment_counter(version.prerelease), build=())
    switched = _start_prerelease(version, token)
    if switched <= version:
        raise InvalidVersionError(
            f"cannot move {str(version)!r} to pre-release channel {token!r}: "
            f"{token!r} sorts below {version.prerelease[0]!r}",
            hint="pre-release channels only move forward (alpha -> beta -> rc)",
        )
    return switched


def _then_prerelease(version: Version, target: Version, token: str | None) -> Version:
    """Attach channel ``token`` to ``target``; continue ``version`` if it is on that line."""
    if token is None:
        return target
    if version.is_prerelease and target == version.finalize():
        return _next_prerelease(version, token)
    return _start_prerelease(target, token)


def _bump_major(version: Version, token: str | None) -> Version:
    if version.is_prerelease and version.minor == 0 and version.patch == 0:
        return _then_prerelease(version, version.finalize(), token)
    return _then_prerelease(version, Version(version.major + 1, 0, 0), token)


def _bump_minor(version: Version, token: str | None) -> Version:
    if version.is_prerelease and version.patch == 0:
        return _then_prerelease(version, version.finalize(), token)
    return _then_prerelease(version, Version(version.major, version.minor + 1, 0), token)


def _bump_patch(version: Version, token: str | None) -> Version:
    if version.is_prerelease:
        return _then_prerelease(version, version.finalize(), token)
    target = Version(version.major, version.minor, version.patch + 1)
    return _then_prerelease(version, target, token)


def _bump_prerelease(version: Version, token: str | None) -> Version:
    if version.is_prerelease:
        return _next_prerelease(version, token)
    if token is None:
        raise InvalidVersionError(
            f"cannot start a pre-release of {str(version)!r} without a token",
            hint="name the channel, e.g. --pre beta or --pre rc",
        )
    return _start_prerelease(replace(version, patch=version.patch + 1), token)


def _bump_hotfix(version: Version, token: str | None) -> Version:
    channel = check_token(token or HOTFIX_TOKEN)
    if not version.is_prerelease:
        return _start_prerelease(replace(version, patch=version.patch + 1), channel)
    if version.prerelease[0] == channel:
        return _next_prerelease(version, channel)
    raise InvalidVersionError(
        f"cannot hotfix {str(version)!r}: a hotfix starts from a release (x.y.z) "
        f"or continues an x.y.z-{channel}.N version",
    )


def _bump_release(version: Version, token: str | None) -> Version:
    if token is not None:
        raise InvalidInputError("a pre-release token makes no sense with part 'release'")
    if not version.is_prerelease:
        raise InvalidVersionError(f"cannot release {str(version)!r}: it is not a pre-release")
    return version.finalize()


_BUMPS: dict[str, Callable[[Version, str | None], Version]] = {
    "major": _bump_major,
    "minor": _bump_minor,
    "patch": _bump_patch,
    "prerelease": _bump_prerelease,
    "hotfix": _bump_hotfix,
    "release": _bump_release,
}


def compute_next_version(
    *,
    current: Version | None,
    last_final: Version | None,
    bump: Bump,
    pre: str | None = None,
    initial: Version,
    zero_major_breaking_bumps_minor: bool = False,
) -> Version:
    """The next release version after ``current`` for ``bump`` (optionally a ``pre`` release).

    - no ``current`` (nothing released yet): ``initial`` (``initial-{pre}.1`` with ``pre``);
    - ``Bump.NONE``: ``current`` unchanged (the caller decides whether that is an error);
    - 0.x and ``zero_major_breaking_bumps_minor``: a MAJOR bump becomes MINOR;
    - ``current`` final: bump it (and attach ``-{pre}.1`` with ``pre``);
    - ``current`` a pre-release whose final version already carries the bump relative to
      ``last_final`` (or no ``last_final``): finalize it, or with ``pre`` count up /
      switch channel (``beta.3`` -> ``rc.1``); otherwise the bumped ``last_final``
      (with ``-{pre}.1``).
    """
    if current is None:
        return initial if pre is None else _start_prerelease(initial, pre)
    if bump is Bump.NONE:
        return current
    if zero_major_breaking_bumps_minor and current.major == 0 and bump is Bump.MAJOR:
        bump = Bump.MINOR
    if not current.is_prerelease:
        target = current.bump(str(bump))
        return target if pre is None else _start_prerelease(target, pre)
    required = None if last_final is None else last_final.finalize().bump(str(bump))
    if required is not None and current.finalize() < required:
        return required if pre is None else _start_prerelease(required, pre)
    return current.finalize() if pre is None else _next_prerelease(current, pre)


def get_scheme(name: str) -> VersionScheme[Any]:
    """The scheme called ``name`` (semver, odoo, mobile, schema); NotFoundError if unknown."""
    from relman.domain.schemes import get_scheme as get

    return get(name)
