"""Release tags <-> versions (J-003 §4.3): ``v{version}``, ``farm-v{version}``, ...

A tag format is a pattern with exactly one ``{version}`` placeholder. Tags that do not match
the format, or whose version part is not a valid version, are not release tags of that format
and are ignored (``parse`` returns None).

**Production releases** (J-003 §2.3, §4.2) are the final versions and the hotfixes
(``x.y.Z-hotfix.N``); alpha, beta and rc tags are not. :func:`find_production_tag` is the one
rule that picks the latest production release, and :func:`compute_hotfix_version` the next
hotfix on top of it: ``1.2.0 -> 1.2.1-hotfix.1``, ``1.2.1-hotfix.1 -> 1.2.1-hotfix.2``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from relman.domain.versions import HOTFIX_TOKEN, Version
from relman.errors import ConfigError, InvalidInputError

PLACEHOLDER = "{version}"


@dataclass(frozen=True)
class TagFormat:
    """How a version is written as a git tag, e.g. ``v{version}`` or ``farm-v{version}``."""

    pattern: str = "v{version}"
    _prefix: str = field(init=False, repr=False, compare=False)
    _suffix: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        count = self.pattern.count(PLACEHOLDER)
        if count != 1:
            problem = "has no" if count == 0 else f"has {count}"
            raise ConfigError(
                f"tag format {self.pattern!r} {problem} '{PLACEHOLDER}' placeholder "
                f"(exactly one is needed, e.g. 'v{PLACEHOLDER}')",
                where="tag_format",
            )
        prefix, suffix = self.pattern.split(PLACEHOLDER)
        object.__setattr__(self, "_prefix", prefix)
        object.__setattr__(self, "_suffix", suffix)

    @property
    def prefix(self) -> str:
        """The text before the version (``farm-v`` for ``farm-v{version}``)."""
        return self._prefix

    def format(self, version: Version | str) -> str:
        """The tag name of ``version``."""
        return f"{self._prefix}{version}{self._suffix}"

    def extract(self, tag: str) -> str | None:
        """The version text of a tag of this format, or None if the tag does not match."""
        prefix, suffix = self._prefix, self._suffix
        if len(tag) <= len(prefix) + len(suffix):
            return None
        if not tag.startswith(prefix) or not tag.endswith(suffix):
            return None
        return tag[len(prefix) : len(tag) - len(suffix)]

    def parse(
        self, tag: str, *, parse_version: Callable[[str], Version] = Version.parse
    ) -> Version | None:
        """The version a tag stands for, or None when it is not a release tag of this format."""
        text = self.extract(tag)
        if text is None or not text[0].isdigit():
            return None
        try:
            return parse_version(text)
        except InvalidInputError:
            return None


class NamedTag(Protocol):
    """What :func:`find_release_tags` needs of a tag (``relman.ports.TagRef`` fits)."""

    @property
    def name(self) -> str: ...


_Tag = TypeVar("_Tag", bound=NamedTag)


def find_release_tags(
    tags: Iterable[_Tag], tag_format: TagFormat
) -> tuple[tuple[Version, _Tag] | None, tuple[Version, _Tag] | None]:
    """(latest, latest final) release among ``tags``: highest SemVer precedence wins.

    Tags that are not release tags of ``tag_format`` are ignored. Among tags of equal
    precedence (build metadata differs) the greater name wins, so the answer does not depend
    on the order the tags come in.
    """
    found = scan_release_tags(tags, tag_format)
    return found.latest, found.final


@dataclass(frozen=True)
class ReleaseTags(Generic[_Tag]):
    """The latest release tag, the latest final one and the latest production one."""

    latest: tuple[Version, _Tag] | None = None
    final: tuple[Version, _Tag] | None = None
    production: tuple[Version, _Tag] | None = None


def scan_release_tags(
    tags: Iterable[_Tag], tag_format: TagFormat, *, hotfix_token: str = HOTFIX_TOKEN
) -> ReleaseTags[_Tag]:
    """:func:`find_release_tags` and :func:`find_production_tag` in one pass over ``tags``."""
    latest: tuple[Version, _Tag] | None = None
    final: tuple[Version, _Tag] | None = None
    production: tuple[Version, _Tag] | None = None
    for tag in tags:
        version = tag_format.parse(tag.name)
        if version is None:
            continue
        if latest is None or _is_newer(version, tag.name, latest):
            latest = (version, tag)
        if not version.is_prerelease:
            if final is None or _is_newer(version, tag.name, final):
                final = (version, tag)
        elif not is_production_version(version, hotfix_token=hotfix_token):
            continue
        if production is None or _is_newer(version, tag.name, production):
            production = (version, tag)
    return ReleaseTags(latest, final, production)


def is_production_version(version: Version, *, hotfix_token: str = HOTFIX_TOKEN) -> bool:
    """A final release or a hotfix (``1.2.1-hotfix.2``) ran in production; alpha, beta and rc
    (``1.3.0-rc.1``) did not."""
    return not version.prerelease or version.prerelease[0] == hotfix_token


def find_production_tag(
    tags: Iterable[_Tag], tag_format: TagFormat, *, hotfix_token: str = HOTFIX_TOKEN
) -> tuple[Version, _Tag] | None:
    """The latest production release among ``tags`` (see :func:`is_production_version`):
    ``v1.2.1-hotfix.1`` over ``v1.2.0``, ``v1.2.1`` over ``v1.2.1-hotfix.2``, and
    ``v1.2.1-hotfix.1`` over ``v1.3.0-rc.1`` (an rc never ran in production)."""
    return scan_release_tags(tags, tag_format, hotfix_token=hotfix_token).production


def compute_hotfix_version(production: Version, *, hotfix_token: str = HOTFIX_TOKEN) -> Version:
    """The hotfix on top of the latest production release (J-003 §4.2): ``1.2.0 ->
    1.2.1-hotfix.1``, ``1.2.1-hotfix.1 -> 1.2.1-hotfix.2``. Under SemVer a hotfix is a
    pre-release of the next patch: 1.2.0 < 1.2.1-hotfix.1 < 1.2.1-hotfix.2 < 1.2.1."""
    return production.bump("hotfix", token=hotfix_token)


def _is_newer(version: Version, name: str, than: tuple[Version, NamedTag]) -> bool:
    return version > than[0] or (version == than[0] and name > than[1].name)
