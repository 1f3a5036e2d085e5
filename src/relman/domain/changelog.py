"""CHANGELOG.md and the release notes archive (J-003 §10.3), as text and history rules.

- :func:`update_changelog` puts one release section (``## [1.2.0] - 2026-01-31``) into an
  existing changelog without touching the rest: above the newest older release, or in place of
  the same version with ``force``.
- :func:`assign_commits_to_releases` splits one pass over the log into releases: a commit
  belongs to the first release (by SemVer precedence) whose tag reaches it.
- The archive holds ``release-notes-v[VERSION].md`` files; :func:`list_archive_entries` reads
  their version, date and type back for the index, newest first by SemVer precedence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from relman.domain.versions import Version
from relman.errors import ConflictError, InvalidInputError

ARCHIVE_PREFIX = "release-notes-v"
ARCHIVE_SUFFIX = ".md"
ARCHIVE_INDEX = "README.md"
UNKNOWN = "unknown"

_SECTION = re.compile(r"^## +\[?v?(?P<version>[^\]\s]+)\]?", re.MULTILINE)
_DATE = re.compile(r"^\*\*Release Date:\*\* *(?P<value>.*?) *$", re.MULTILINE)
_TYPE = re.compile(r"^\*\*Release Type:\*\* *(?P<value>.*?) *$", re.MULTILINE)


# ------------------------------------------------------------------ changelog


@dataclass(frozen=True)
class ChangelogSection:
    """A ``## `` section of a changelog: its version (None if not one) and its span."""

    heading: str
    version: Version | None
    start: int
    end: int
    line: int


def list_changelog_sections(text: str) -> list[ChangelogSection]:
    """Every ``## `` section of a changelog, in file order."""
    matches = list(_SECTION.finditer(text))
    sections = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        try:
            version: Version | None = Version.parse(match.group("version"))
        except InvalidInputError:
            version = None  # "## [Unreleased]" and other headings
        newline = text.find("\n", match.start())
        heading = text[match.start() : newline if newline >= 0 else len(text)]
        line = text.count("\n", 0, match.start()) + 1
        sections.append(ChangelogSection(heading, version, match.start(), end, line))
    return sections


def update_changelog(
    existing: str | None,
    *,
    version: Version,
    entry: str,
    header: str,
    force: bool = False,
    where: str = "CHANGELOG.md",
) -> str:
    """The changelog with the section of ``version`` added (or replaced with ``force``).

    A new section goes above the first section of an older version (normally the previous
    newest), so headings such as ``## [Unreleased]`` above it stay on top. ConflictError when
    the version already has a section and ``force`` is false.
    """
    entry = entry.strip("\n") + "\n"
    if existing is None or not existing.strip():
        return header.strip("\n") + "\n\n" + entry
    sections = list_changelog_sections(existing)
    for section in sections:
        if section.version is not None and section.version == version:
            if not force:
                raise ConflictError(
                    f"the changelog already has a section for {version}",
                    where=f"{where}:{section.line}",
                    hint="pass --force to replace that section",
                )
            tail = existing[section.end :]
            return existing[: section.start] + entry + ("\n" + tail if tail else "")
    for section in sections:
        if section.version is not None and section.version < version:
            return existing[: section.start] + entry + "\n" + existing[section.start :]
    return existing.rstrip("\n") + "\n\n" + entry


# ------------------------------------------------------------------ history


class _Node(Protocol):
    @property
    def sha(self) -> str: ...

    @property
    def parents(self) -> tuple[str, ...]: ...


N = TypeVar("N", bound=_Node)


def assign_commits_to_releases(
    log: Iterable[N], releases: Sequence[tuple[Version, str]]
) -> dict[str | None, list[N]]:
    """Commits of one log pass grouped by the release that first shipped them.

    ``releases`` are (version, commit sha) pairs; each commit goes to the lowest version whose
    commit reaches it (``None``: not released yet). Lists keep the log order (newest first).
    """
    commits = list(log)
    by_sha: Mapping[str, N] = {c.sha: c for c in commits}
    owner: dict[str, str] = {}
    for _, tip in sorted(releases, key=lambda r: r[0]):
        if tip not in by_sha or tip in owner:
            continue
        stack = [tip]
        while stack:
            sha = stack.pop()
            if sha in owner or sha not in by_sha:
                continue
            owner[sha] = tip
            stack.extend(by_sha[sha].parents)
    groups: dict[str | None, list[N]] = {tip: [] for _, tip in releases}
    groups[None] = []
    for c in commits:
        groups[owner.get(c.sha)].append(c)
    return groups


# ------------------------------------------------------------------ archive


@dataclass(frozen=True)
class ArchiveEntry:
    """One archived release notes file, as the index lists it."""

    version: Version
    file: str
    release_date: str
    release_type: str


def archive_file_name(version: Version | str) -> str:
    """``release-notes-v[VERSION].md`` (J-003 §10.3)."""
    return f"{ARCHIVE_PREFIX}{version}{ARCHIVE_SUFFIX}"


def parse_archive_file_name(name: str) -> Version | None:
    """The version an archive file name stands for, or None for other files."""
    if not (name.startswith(ARCHIVE_PREFIX) and name.endswith(ARCHIVE_SUFFIX)):
        return None
    try:
        return Version.parse(name[len(ARCHIVE_PREFIX) : -len(ARCHIVE_SUFFIX)])
    except InvalidInputError:
        return None


def read_archive_entry(name: str, text: str) -> ArchiveEntry | None:
    """Version (from the name), date and type (from the notes' header) of an archived file."""
    version = parse_archive_file_name(name)
    if version is None:
        return None
    date = _DATE.search(text)
    kind = _TYPE.search(text)
    return ArchiveEntry(
        version=version,
        file=name,
        release_date=date.group("value") if date and date.group("value") else UNKNOWN,
        release_type=kind.group("value") if kind and kind.group("value") else UNKNOWN,
    )


def list_archive_entries(files: Mapping[str, str]) -> list[ArchiveEntry]:
    """The index rows for ``{file name: text}``, newest first by SemVer precedence."""
    entries = [e for name, text in files.items() if (e := read_archive_entry(name, text))]
    return sorted(entries, key=lambda e: (e.version, e.file), reverse=True)
