"""Release notes (J-003 §10.1): the template context, built from parsed commits and facts.

The context is a plain, JSON-serializable dict with a fixed key order (``--format json``
prints it, ``--from-context`` reads it back, templates render it). It is built in one place,
:func:`compute_notes_context`, from:

- the Conventional Commits of the range (:class:`~relman.domain.commits.Commit`), sorted into
  sections by the policy (``feat`` -> New Features, ``fix`` -> Bug Fixes, ``perf`` and
  user-visible ``refactor`` -> Enhancements, ``security`` -> Security Fixes) and read for the
  footers the notes use (``Severity``, ``Known-Issue``/``Workaround``/``Planned-Fix``,
  ``Deprecated``, ``BREAKING CHANGE``);
- :class:`NotesFacts`: what git and the policy say about the release (version, dates, changed
  migration and configuration files, dependency rows, instructions, support contacts).

The schema is documented in ``docs/release-notes.md`` and checked by
:func:`relman.domain.notes_schema.validate_notes_context` when a context is read from a file.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from relman.domain.commits import Commit, CommitPolicy
from relman.domain.dependencies import DependencyChange
from relman.domain.notes_schema import SCHEMA_VERSION
from relman.domain.reverts import drop_reverted
from relman.domain.versions import Bump, Version
from relman.errors import InvalidInputError

RELEASE_TYPES = ("Major", "Minor", "Patch", "Hotfix")
APPROVAL_ROLES = ("Release Manager", "QA Lead", "Product Owner")
GENERAL_SCOPE = "General"
SHORT_SHA = 7
NO_VALUES = frozenset({"no", "false", "0", "n"})
ACRONYM_MAX = 3  # scopes this short are written in capitals (api -> API)

SECTION_FEATURES = "New Features"
SECTION_FIXES = "Bug Fixes"
SECTION_ENHANCEMENTS = "Enhancements"
SECTION_SECURITY = "Security"

_CONFIG_CHANGE = {"A": "added", "C": "added", "M": "modified", "T": "modified", "D": "deleted"}


class FileChangeLike(Protocol):
    """A changed path (``relman.ports.FileChange`` fits)."""

    @property
    def status(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def old_path(self) -> str | None: ...


@dataclass(frozen=True)
class ConfigChange:
    """A configuration file that changed between the two revisions."""

    path: str
    change: str  # added | modified | deleted | renamed
    old_path: str | None = None


@dataclass(frozen=True)
class NotesPolicy:
    """What the notes take from the policy file (``[project]``, ``[notes]``)."""

    product: str = "Smart Dairy ERP"
    title: str = "Release Notes - {product} v{version}"
    default_severity: str = "Medium"
    archive_dir: str = "docs/releases"
    changelog_file: str = "CHANGELOG.md"
    migration_paths: tuple[str, ...] = ("migrations/**", "**/migrations/**")
    config_paths: tuple[str, ...] = ("config/**", "**/*.conf", "**/*.cfg", "**/*.ini")
    dependency_files: tuple[str, ...] = (
        "**/requirements*.txt",
        "**/pyproject.toml",
        "**/__manifest__.py",
    )
    upgrade_instructions: tuple[str, ...] = ()
    rollback_instructions: str = ""
    support_url: str = ""
    support_contact: str = ""
    hotfix_token: str = "hotfix"


@dataclass(frozen=True)
class NotesFacts:
    """What git and the command line say about one release."""

    version: str
    release_type: str
    release_date: str  # YYYY-MM-DD
    previous_version: str | None = None
    component: str | None = None
    from_ref: str | None = None
    to_ref: str = "HEAD"
    summary: str | None = None
    migrations: tuple[str, ...] = ()
    config_changes: tuple[ConfigChange, ...] = ()
    dependencies: tuple[DependencyChange, ...] = ()


# ------------------------------------------------------------------ release type


def parse_release_type(text: str) -> str:
    """``major|minor|patch|hotfix`` (any case) -> the display name; InvalidInputError otherwise."""
    for name in RELEASE_TYPES:
        if text.strip().lower() == name.lower():
            return name
    raise InvalidInputError(
        f"invalid release type {text!r}: expected one of major, minor, patch, hotfix",
        where="--type",
    )


def decide_release_type(
    version: Version, previous: Version | None, bump: Bump, *, hotfix_token: str = "hotfix"
) -> str:
    """Major/Minor/Patch/Hotfix for a release (J-003 §2).

    A hotfix version (``2.0.1-hotfix.1``) is a Hotfix; otherwise the part that changed against
    the previous release (``0.0.0`` for the first one) decides; when no part changed (a final
    release after its own hotfix, or a re-release) the bump does.
    """
    if version.prerelease and str(version.prerelease[0]) == hotfix_token:
        return "Hotfix"
    previous = previous if previous is not None else Version(0, 0, 0)
    if version.finalize() != previous.finalize():
        if version.major != previous.major:
            return "Major"
        if version.minor != previous.minor:
            return "Minor"
        return "Patch"
    if bump >= Bump.MAJOR:
        return "Major"
    if bump == Bump.MINOR:
        return "Minor"
    return "Patch"


def format_title(pattern: str, *, product: str, version: str, component: str | None = None) -> str:
    """The title from ``notes.title``: ``{product}`` (with the component), ``{version}``."""
    label = f"{product} ({component})" if component else product
    return pattern.replace("{product}", label).replace("{version}", version)


# ------------------------------------------------------------------ paths


@lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex: ``*`` and ``?`` stay in one folder, ``**`` crosses folders."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def match_path(path: str, patterns: Iterable[str]) -> bool:
    """Whether a repository-relative path matches one of the globs."""
    return any(compile_glob(p).match(path) for p in patterns)


def list_added_migrations(changes: Iterable[FileChangeLike], patterns: Sequence[str]) -> list[str]:
    """Migration files that are new in the range (added, copied or moved into a migrations path)."""
    found = []
    for change in changes:
        if change.status not in ("A", "C", "R") or not match_path(change.path, patterns):
            continue
        if change.status == "R" and change.old_path and match_path(change.old_path, patterns):
            continue  # renamed within the migrations: not a new migration
        found.append(change.path)
    return sorted(found)


def list_config_changes(
    changes: Iterable[FileChangeLike], patterns: Sequence[str]
) -> list[ConfigChange]:
    """Configuration files that were added, modified, deleted or renamed in the range."""
    found = []
    for change in changes:
        old = change.old_path
        if change.status == "R":
            if match_path(change.path, patterns) or (old and match_path(old, patterns)):
                found.append(ConfigChange(change.path, "renamed", old))
        elif change.status in _CONFIG_CHANGE and match_path(change.path, patterns):
            found.append(ConfigChange(change.path, _CONFIG_CHANGE[change.status]))
    return sorted(found, key=lambda c: c.path)


# ------------------------------------------------------------------ context


def compute_notes_context(
    commits: Iterable[Commit], policy: CommitPolicy, notes: NotesPolicy, facts: NotesFacts
) -> dict[str, Any]:
    """The template context of one release (see ``docs/release-notes.md`` for the schema).

    One pass sorts the commits into their sections; only commits with footers are read for
    footers, only breaking ones for breaking notes (100k commits must stay cheap).
    """
    kept = drop_reverted(list(commits))
    severity = notes.default_severity
    title = format_title(
        notes.title, product=notes.product, version=facts.version, component=facts.component
    )
    sections = _sort_into_sections(kept, policy)
    with_footers = [c for c in kept if c.footers]
    return {
        "schema_version": SCHEMA_VERSION,
        "title": title,
        "product": notes.product,
        "component": facts.component,
        "version": facts.version,
        "previous_version": facts.previous_version,
        "release_type": facts.release_type,
        "release_date": facts.release_date,
        "range": {"from": facts.from_ref, "to": facts.to_ref, "commits": len(kept)},
        "summary": facts.summary,
        "features": _features(sections.get(SECTION_FEATURES, [])),
        "enhancements": _enhancements(sections.get(SECTION_ENHANCEMENTS, []), policy),
        "bug_fixes": _fixes(sections.get(SECTION_FIXES, []), severity),
        "security_fixes": _fixes(sections.get(SECTION_SECURITY, []), severity),
        "known_issues": _known_issues(with_footers),
        "technical": {
            "migrations": list(facts.migrations),
            "breaking_changes": _breaking_changes(kept),
            "deprecations": [
                {"description": text, **_ref(c)}
                for c in with_footers
                for text in c.footers_named("Deprecated")
            ],
            "config_changes": [
                {"path": c.path, "change": c.change, "old_path": c.old_path}
                for c in facts.config_changes
            ],
        },
        "dependencies": [
            {"component": d.component, "previous": d.previous, "current": d.current}
            for d in facts.dependencies
        ],
        "upgrade_instructions": list(notes.upgrade_instructions),
        "rollback_instructions": _fill(notes.rollback_instructions, facts),
        "support": {"url": notes.support_url, "contact": notes.support_contact},
        "approvals": [{"role": role, "name": "", "date": ""} for role in APPROVAL_ROLES],
    }


def _sort_into_sections(commits: Sequence[Commit], policy: CommitPolicy) -> dict[str, list[Commit]]:
    """The commits of each notes section, in their original order."""
    section_of = {name: spec.section for name, spec in policy.types.items() if spec.section}
    sections: dict[str, list[Commit]] = {}
    for c in commits:
        section = section_of.get(c.type)
        if section is not None:
            sections.setdefault(section, []).append(c)
    return sections


def _ref(commit: Commit) -> dict[str, Any]:
    return {"sha": commit.sha, "short_sha": commit.sha[:SHORT_SHA], "tickets": list(commit.tickets)}


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _first_paragraph(body: str) -> str | None:
    if not body:
        return None
    for para in _PARAGRAPH_BREAK.split(body.strip()):
        text = " ".join(line.strip() for line in para.splitlines() if line.strip())
        if text:
            return text
    return None


def scope_title(scope: str | None) -> str:
    """How a scope heads a group (``milk-quality`` -> ``Milk quality``, ``api`` -> ``API``)."""
    if not scope:
        return GENERAL_SCOPE
    if len(scope) <= ACRONYM_MAX:
        return scope.upper()  # api -> API, ui -> UI, b2b -> B2B
    text = scope.replace("-", " ").replace("_", " ")
    return text[:1].upper() + text[1:]


def _features(commits: Sequence[Commit]) -> list[dict[str, Any]]:
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for c in commits:
        item = {
            "description": c.description,
            **_ref(c),
            "details": _first_paragraph(c.body),
            "breaking": c.breaking,
        }
        groups.setdefault(c.scope, []).append(item)
    order = sorted(groups, key=lambda s: (s is None, (s or "").lower()))
    return [{"scope": s, "title": scope_title(s), "entries": groups[s]} for s in order]


def _enhancements(commits: Sequence[Commit], policy: CommitPolicy) -> list[dict[str, Any]]:
    out = []
    for c in commits:
        if c.type == "refactor" and not _is_yes(c.footer(policy.visible_refactor_footer)):
            continue  # internal refactors are not news to users
        out.append(
            {
                "area": scope_title(c.scope),
                "scope": c.scope,
                "description": c.description,
                **_ref(c),
            }
        )
    return out


def _is_yes(value: str | None) -> bool:
    """A footer that is present and not ``no``/``false``/``0``."""
    return value is not None and value.strip().lower() not in NO_VALUES


def _fixes(commits: Sequence[Commit], default_severity: str) -> list[dict[str, Any]]:
    out = []
    for c in commits:
        severity = (c.footer("Severity") or "").strip() if c.footers else ""
        out.append(
            {
                "ticket": ", ".join(c.tickets) or c.sha[:SHORT_SHA],
                "description": c.description,
                "severity": severity[:1].upper() + severity[1:].lower() or default_severity,
                "scope": c.scope,
                **_ref(c),
            }
        )
    return out


def _known_issues(commits: Sequence[Commit]) -> list[dict[str, Any]]:
    out = []
    for c in commits:
        issues = c.footers_named("Known-Issue")
        if not issues:
            continue
        workarounds = c.footers_named("Workaround")
        fixes = c.footers_named("Planned-Fix")
        for i, issue in enumerate(issues):
            out.append(
                {
                    "issue": issue,
                    "workaround": _nth(workarounds, i),
                    "planned_fix": _nth(fixes, i),
                    **_ref(c),
                }
            )
    return out


def _nth(values: Sequence[str], index: int) -> str | None:
    if not values:
        return None
    return values[index] if index < len(values) else values[-1]


def _breaking_changes(commits: Sequence[Commit]) -> list[dict[str, Any]]:
    out = []
    for c in commits:
        if not c.breaking:
            continue
        for note in c.breaking_notes or (c.description,):
            out.append({"description": note, "scope": c.scope, **_ref(c)})
    return out


def _fill(text: str, facts: NotesFacts) -> str:
    previous = facts.previous_version or "the previous version"
    return text.replace("{previous}", previous).replace("{version}", facts.version)


def parse_iso_date(text: str, *, where: str) -> str:
    """Validate a ``YYYY-MM-DD`` date given by a person; return it unchanged."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if match is None or not _valid_day(*(int(g) for g in match.groups())):
        raise InvalidInputError(f"invalid date {text!r}: expected YYYY-MM-DD", where=where)
    return text.strip()


def _valid_day(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True
