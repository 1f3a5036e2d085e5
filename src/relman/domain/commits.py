"""Conventional Commits 1.0.0 (J-003 §5.4): parse messages, read ranges, decide the bump.

A message is ``type(scope)!: description``, an optional body and optional footers::

    feat(farm)!: drop the legacy milk import

    The CSV importer is gone; use the API instead.

    BREAKING CHANGE: /import/csv returns 410.
    Refs: SD-142

Splitting a message into header, body and footers (line ends, the footer block) is
:mod:`relman.domain.commit_messages`; its names are re-exported here. Parsing rules (the ones
the spec leaves open are decided here, once):

- The type matches case-insensitively and is kept lowercased (``Feat:`` -> ``feat``).
- ``!`` or a BREAKING footer marks the commit breaking; without a footer the description is the
  breaking note.
- Reverts: git's default ``Revert "feat: x"`` (``Reapply "feat: x"`` for the revert of a revert)
  + ``This reverts commit <sha>.`` and the
  conventional ``revert: ...`` with a ``Refs: <sha>`` footer both set ``is_revert``/``reverts``.
- Tickets (default ``SD-\\d+``, J-003 §10.1) are found anywhere in the message, deduplicated in
  order of first appearance.

Bump rules (:func:`decide_bump`): a breaking change bumps ``policy.breaking_bump`` (MINOR while
MAJOR is 0 when ``zero_major_breaking_bumps_minor``), otherwise the commit type's bump. A revert
whose target is in the same set cancels both commits: neither bumps nor is a reason.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from relman.domain.commit_messages import (
    BREAKING_TOKENS,
    Footer,
    MessageParts,
    normalize_lines,
    normalize_message,
    normalize_token,
    parse_footer_line,
    split_lines,
    split_message,
)
from relman.domain.reverts import drop_reverted
from relman.domain.versions import Bump
from relman.errors import ConfigError, InvalidCommitError

if TYPE_CHECKING:
    from relman.domain.versions import Version

__all__ = [
    "BREAKING_TOKENS",
    "DEFAULT_TICKET_PATTERNS",
    "GIT_REVERT_RE",
    "HEADER_FORMAT",
    "HEADER_RE",
    "MERGE_MODES",
    "BumpDecision",
    "Commit",
    "CommitPolicy",
    "CommitType",
    "Footer",
    "MessageParts",
    "RawCommitLike",
    "compute_commit_bump",
    "decide_bump",
    "drop_reverted",
    "find_tickets",
    "is_conventional_header",
    "is_git_merge_header",
    "list_merge_messages",
    "normalize_message",
    "normalize_token",
    "parse_commit",
    "parse_footer_line",
    "read_commits",
    "split_message",
]

DEFAULT_TICKET_PATTERNS: tuple[str, ...] = (r"SD-\d+",)
HEADER_FORMAT = "type(scope): description"
MERGE_MODES = ("skip", "title", "body")

HEADER_RE = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:(?: (?P<desc>.*))?$"
)
# git's own revert headers; git >= 2.43 calls the revert of a revert "Reapply".
GIT_REVERT_RE = re.compile(r'^(?:Revert|Reapply) "(?P<inner>.*)"$')
_REVERTS_SHA = re.compile(r"This reverts commit (?P<sha>[0-9a-fA-F]{7,64})")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_GIT_MERGE = re.compile(
    r"^Merge (?:branch|branches|remote-tracking branch|pull request|tag|commit|"
    r"'[^']*'|\"[^\"]*\")\b"
)
_BULLET = re.compile(r"^\s*(?:[*+-]\s+)?")


@dataclass(frozen=True, slots=True)
class Commit:
    """One parsed Conventional Commit."""

    type: str
    scope: str | None
    description: str
    body: str
    footers: tuple[Footer, ...]
    breaking: bool
    breaking_notes: tuple[str, ...]
    header: str
    sha: str = ""
    is_merge: bool = False
    is_revert: bool = False
    reverts: str | None = None
    tickets: tuple[str, ...] = ()

    @property
    def short_sha(self) -> str:
        return self.sha[:7]

    def footer(self, token: str) -> str | None:
        """The first value of a footer (token compared case-insensitively), or None."""
        values = self.footers_named(token)
        return values[0] if values else None

    def footers_named(self, token: str) -> list[str]:
        wanted = normalize_token(token)
        return [f.value for f in self.footers if normalize_token(f.token) == wanted]


@functools.lru_cache(maxsize=32)
def _ticket_regex(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error as exc:
        raise ConfigError(
            f"invalid ticket pattern: {exc}", where="commits.ticket_patterns"
        ) from exc


def find_tickets(text: str, patterns: Sequence[str] = DEFAULT_TICKET_PATTERNS) -> tuple[str, ...]:
    """Ticket references in order of first appearance, without duplicates."""
    regex = _ticket_regex(tuple(patterns))
    if regex is None:
        return ()
    # findall gives the groups instead of the whole match when a pattern has groups
    found = [m.group(0) for m in regex.finditer(text)] if regex.groups else regex.findall(text)
    if not found:
        return ()
    if len(found) == 1:
        return (found[0],) if found[0] else ()
    return tuple(dict.fromkeys(t for t in found if t))


def _invalid(sha: str, what: str, rule: str) -> InvalidCommitError:
    prefix = f"commit {sha[:7]}: " if sha else ""
    return InvalidCommitError(
        f"{prefix}{what} [{rule}]", where=sha or None, details={"rule": rule, "sha": sha}
    )


def parse_commit(
    message: str, *, sha: str = "", ticket_patterns: Sequence[str] = DEFAULT_TICKET_PATTERNS
) -> Commit:
    """Parse one Conventional Commits message; InvalidCommitError names the broken rule."""
    if "\n" in message or "\r" in message:
        lines = normalize_lines(message)
        parts = split_lines(lines)
        header, body, footers = parts.header, parts.body, parts.footers
        text = "\n".join(lines)
    else:  # a header alone, as most commits are: nothing to split
        header = text = message.rstrip()
        body, footers = "", ()
    if not header:
        raise _invalid(sha, "message is empty", "message-empty")
    git_revert = GIT_REVERT_RE.match(header) if header.startswith(("Revert ", "Reapply ")) else None
    if git_revert:
        ctype, scope, bang, description = "revert", None, False, git_revert.group("inner")
    else:
        match = HEADER_RE.match(header)
        if match is None:
            raise _invalid(sha, f"header {header!r} is not {HEADER_FORMAT!r}", "header-format")
        raw_type, raw_scope, bang_mark, raw_description = match.groups()
        scope = raw_scope.strip() if raw_scope is not None else None
        if scope == "":
            raise _invalid(sha, f"header {header!r} is not {HEADER_FORMAT!r}", "header-format")
        ctype = raw_type.lower()
        bang = bang_mark is not None
        description = (raw_description or "").strip()
        if not description:
            raise _invalid(sha, f"header {header!r} has an empty description", "subject-empty")
    notes = tuple(f.value for f in footers if f.is_breaking) if footers else ()
    breaking = bang or bool(notes)
    if bang and not notes:
        notes = (description,)
    is_revert = ctype == "revert"
    return Commit(
        type=ctype,
        scope=scope,
        description=description,
        body=body,
        footers=footers,
        breaking=breaking,
        breaking_notes=notes,
        header=header,
        sha=sha,
        is_revert=is_revert,
        reverts=_find_reverted_sha(text, footers) if is_revert else None,
        tickets=find_tickets(text, ticket_patterns),
    )


def _find_reverted_sha(text: str, footers: tuple[Footer, ...]) -> str | None:
    found = _REVERTS_SHA.search(text)
    if found:
        return found.group("sha").lower()
    for footer in footers:
        if normalize_token(footer.token) == "refs":
            for word in re.split(r"[\s,]+", footer.value):
                if _SHA.match(word):
                    return word.lower()
    return None


def is_conventional_header(line: str) -> bool:
    """True when ``line`` parses as a Conventional Commits header (any type)."""
    match = HEADER_RE.match(line.strip())
    return bool(match and (match.group("desc") or "").strip())


def is_git_merge_header(header: str) -> bool:
    """Headers git (or GitHub/GitLab) writes for merge commits: ``Merge branch 'x'`` ..."""
    return _GIT_MERGE.match(header) is not None


# --------------------------------------------------------------------------------------
# Policy, ranges and the bump


@dataclass(frozen=True)
class CommitType:
    bump: Bump
    section: str | None


def _default_types() -> dict[str, CommitType]:
    none, patch = Bump.NONE, Bump.PATCH
    return {
        "feat": CommitType(Bump.MINOR, "New Features"),
        "fix": CommitType(patch, "Bug Fixes"),
        "perf": CommitType(patch, "Enhancements"),
        "security": CommitType(patch, "Security"),
        "refactor": CommitType(none, "Enhancements"),
        "docs": CommitType(none, None),
        "style": CommitType(none, None),
        "test": CommitType(none, None),
        "chore": CommitType(none, None),
        "build": CommitType(none, None),
        "ci": CommitType(none, None),
        "revert": CommitType(none, None),
    }


@dataclass(frozen=True)
class CommitPolicy:
    """What commit types exist and what they do to the version (settings ``[commits]``)."""

    types: Mapping[str, CommitType] = field(default_factory=_default_types)
    breaking_bump: Bump = Bump.MAJOR
    zero_major_breaking_bumps_minor: bool = False
    merge_commits: str = "skip"  # "skip" | "title" | "body"
    ticket_patterns: tuple[str, ...] = DEFAULT_TICKET_PATTERNS
    allowed_scopes: tuple[str, ...] = ()
    header_max_length: int = 100
    visible_refactor_footer: str = "User-Visible"

    def __post_init__(self) -> None:
        if self.merge_commits not in MERGE_MODES:
            raise ConfigError(
                f"merge_commits must be one of {', '.join(MERGE_MODES)}, "
                f"not {self.merge_commits!r}",
                where="commits.merge_commits",
            )

    @classmethod
    def default(cls) -> CommitPolicy:
        """The J-003 §5.4 defaults (the same values as an empty relman.toml)."""
        return cls()


class RawCommitLike(Protocol):
    """What :func:`read_commits` needs of a commit (``relman.ports.RawCommit`` fits)."""

    @property
    def sha(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def is_merge(self) -> bool: ...


def list_merge_messages(message: str, mode: str) -> list[str]:
    """The messages a merge commit stands for under a ``merge_commits`` mode.

    ``skip``: none. ``title``: the whole message when its header is conventional (e.g.
    ``feat: x (#12)``), else the body (GitHub's ``Merge pull request #12 from a/b`` keeps the PR
    title on the first body line). ``body``: every line that looks like a conventional header
    (bullets ``*``/``-`` and indentation stripped), each as its own one-line message.
    """
    if mode == "skip":
        return []
    text = normalize_message(message)
    header, _, rest = text.partition("\n")
    if mode == "title":
        if is_conventional_header(header):
            return [text]
        body = rest.strip("\n")
        return [body] if body else []
    lines = (_BULLET.sub("", line, count=1) for line in text.split("\n"))
    return [line for line in lines if is_conventional_header(line)]


def read_commits(raws: Iterable[RawCommitLike], policy: CommitPolicy) -> Iterator[Commit]:
    """Parse a range leniently: merges per policy, non-conventional commits dropped."""
    patterns = policy.ticket_patterns
    for raw in raws:
        is_merge = raw.is_merge
        messages = (
            list_merge_messages(raw.message, policy.merge_commits) if is_merge else (raw.message,)
        )
        for message in messages:
            try:
                commit = parse_commit(message, sha=raw.sha, ticket_patterns=patterns)
            except InvalidCommitError:
                continue
            yield replace(commit, is_merge=True) if is_merge else commit


@dataclass(frozen=True)
class BumpDecision:
    bump: Bump
    reasons: tuple[Commit, ...]


def compute_commit_bump(
    commit: Commit, policy: CommitPolicy, *, current: Version | None = None
) -> Bump:
    """The bump one commit asks for on its own."""
    if commit.breaking:
        bump = policy.breaking_bump
        if policy.zero_major_breaking_bumps_minor and current is not None and current.major == 0:
            bump = min(bump, Bump.MINOR)
        return bump
    ctype = policy.types.get(commit.type)
    return ctype.bump if ctype is not None else Bump.NONE


def decide_bump(
    commits: Iterable[Commit], policy: CommitPolicy, *, current: Version | None
) -> BumpDecision:
    """The largest bump asked for; the reasons are the commits that asked for it."""
    scored = [
        (c, compute_commit_bump(c, policy, current=current)) for c in drop_reverted(list(commits))
    ]
    top = max((bump for _, bump in scored), default=Bump.NONE)
    if top == Bump.NONE:
        return BumpDecision(Bump.NONE, ())
    return BumpDecision(top, tuple(c for c, bump in scored if bump == top))
