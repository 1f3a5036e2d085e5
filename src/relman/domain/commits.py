"""Conventional Commits 1.0.0 (J-003 §5.4): parse messages, read ranges, decide the bump.

A message is ``type(scope)!: description``, an optional body and optional footers::

    feat(farm)!: drop the legacy milk import

    The CSV importer is gone; use the API instead.

    BREAKING CHANGE: /import/csv returns 410.
    Refs: SD-142

Parsing rules (the ones the spec leaves open are decided here, once):

- CRLF/CR line ends become LF; trailing whitespace and leading/trailing blank lines are dropped.
- The type matches case-insensitively and is kept lowercased (``Feat:`` -> ``feat``).
- Footers are ``Token: value`` or ``Token #value`` (the value keeps its ``#``: ``Closes #12``
  -> ``Footer("Closes", "#12")``). ``BREAKING CHANGE`` and ``BREAKING-CHANGE`` are the only
  tokens with a space/hyphen exception. The footer block is the trailing run of paragraphs whose
  first line starts with a footer token; inside it, lines that do not start a new footer continue
  the previous value (indentation stripped). A ``BREAKING CHANGE:`` paragraph starts the footer
  block even when prose paragraphs follow it (they continue the breaking note).
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

from relman.domain.reverts import drop_reverted
from relman.domain.versions import Bump
from relman.errors import ConfigError, InvalidCommitError

if TYPE_CHECKING:
    from relman.domain.versions import Version

DEFAULT_TICKET_PATTERNS: tuple[str, ...] = (r"SD-\d+",)
HEADER_FORMAT = "type(scope): description"
MERGE_MODES = ("skip", "title", "body")
BREAKING_TOKENS = frozenset({"breaking-change"})  # normalized: lowercased, space -> hyphen

HEADER_RE = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:(?: (?P<desc>.*))?$"
)
_FOOTER = re.compile(
    r"^(?P<token>BREAKING[ -]CHANGE|[A-Za-z][A-Za-z0-9-]*)"
    r"(?::(?:[ \t]+(?P<value>.*))?$|[ ](?P<hash>#.*)$)"
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


@functools.lru_cache(maxsize=1024)
def normalize_token(token: str) -> str:
    """Footer tokens compare case-insensitively; ``BREAKING CHANGE`` == ``BREAKING-CHANGE``."""
    return token.strip().lower().replace(" ", "-")


@dataclass(frozen=True, slots=True)
class Footer:
    token: str
    value: str

    @property
    def is_breaking(self) -> bool:
        return normalize_token(self.token) in BREAKING_TOKENS


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


@dataclass(frozen=True, slots=True)
class MessageParts:
    """A message split into header, body and footers, before any header validation."""

    header: str
    body: str
    footers: tuple[Footer, ...]
    lines: tuple[str, ...]  # every normalized line, header first


def _normalize_lines(message: str) -> list[str]:
    """The lines of :func:`normalize_message`."""
    if "\r" in message:
        message = message.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in message.split("\n")]
    if not lines[-1] or not lines[0]:
        end = len(lines)
        while end and not lines[end - 1]:
            end -= 1
        start = 0
        while start < end and not lines[start]:
            start += 1
        lines = lines[start:end]
    return lines


def normalize_message(message: str) -> str:
    """LF line ends, no trailing whitespace, no leading/trailing blank lines."""
    return "\n".join(_normalize_lines(message))


def parse_footer_line(line: str) -> Footer | None:
    """``Token: value`` / ``Token #value`` / ``BREAKING CHANGE: value``, else None."""
    match = _FOOTER.match(line)
    if match is None:
        return None
    value = match.group("hash") or match.group("value") or ""
    return Footer(match.group("token"), value.strip())


def split_message(message: str) -> MessageParts:
    """Split into header, body and footer block (see the module docstring for the rules)."""
    return _split_lines(_normalize_lines(message))


def _split_lines(lines: list[str]) -> MessageParts:
    if len(lines) <= 1:  # a header alone (most commits)
        return MessageParts(
            header=lines[0] if lines else "", body="", footers=(), lines=(*lines,) or ("",)
        )
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in lines[1:]:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    match = _FOOTER.match
    heads = [match(para[0]) for para in paragraphs]  # paragraphs that start like a footer
    start = len(paragraphs)
    while start > 0 and heads[start - 1] is not None:
        start -= 1
    for index in range(start):
        found = heads[index]
        if found is not None and normalize_token(found.group("token")) in BREAKING_TOKENS:
            start = index
            break
    if start == 0:
        body = ""
    elif start == 1:
        body = "\n".join(paragraphs[0])
    else:
        body = "\n\n".join("\n".join(para) for para in paragraphs[:start])
    footers = (
        _parse_footer_block(paragraphs[start:], heads[start:]) if start < len(paragraphs) else ()
    )
    return MessageParts(header=lines[0], body=body, footers=footers, lines=tuple(lines))


def _parse_footer_block(
    paragraphs: list[list[str]], heads: list[re.Match[str] | None]
) -> tuple[Footer, ...]:
    tokens: list[str] = []
    values: list[str] = []
    match = _FOOTER.match
    for para, head in zip(paragraphs, heads, strict=True):
        for number, line in enumerate(para):
            found = head if number == 0 else match(line)
            if found is not None:
                tokens.append(found.group("token"))
                values.append((found.group("hash") or found.group("value") or "").strip())
            else:  # a continuation of the previous value (blank lines kept as paragraph breaks)
                values[-1] += ("\n\n" if number == 0 else "\n") + line.strip()
    return tuple(Footer(token, value.strip()) for token, value in zip(tokens, values, strict=True))


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
    lines = _normalize_lines(message)
    parts = _split_lines(lines)
    header = parts.header
    if not header:
        raise _invalid(sha, "message is empty", "message-empty")
    git_revert = GIT_REVERT_RE.match(header)
    if git_revert:
        ctype, scope, bang, description = "revert", None, False, git_revert.group("inner")
    else:
        match = HEADER_RE.match(header)
        if match is None or (match.group("scope") is not None and not match.group("scope").strip()):
            raise _invalid(sha, f"header {header!r} is not {HEADER_FORMAT!r}", "header-format")
        ctype = match.group("type").lower()
        scope = match.group("scope").strip() if match.group("scope") is not None else None
        bang = match.group("bang") is not None
        description = (match.group("desc") or "").strip()
        if not description:
            raise _invalid(sha, f"header {header!r} has an empty description", "subject-empty")
    notes = tuple(f.value for f in parts.footers if f.is_breaking) if parts.footers else ()
    breaking = bang or bool(notes)
    if bang and not notes:
        notes = (description,)
    is_revert = ctype == "revert"
    return Commit(
        type=ctype,
        scope=scope,
        description=description,
        body=parts.body,
        footers=parts.footers,
        breaking=breaking,
        breaking_notes=notes,
        header=header,
        sha=sha,
        is_revert=is_revert,
        reverts=_find_reverted_sha(parts) if is_revert else None,
        tickets=find_tickets("\n".join(lines), ticket_patterns),
    )


def _find_reverted_sha(parts: MessageParts) -> str | None:
    found = _REVERTS_SHA.search("\n".join(parts.lines))
    if found:
        return found.group("sha").lower()
    for footer in parts.footers:
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
    for raw in raws:
        messages = (
            list_merge_messages(raw.message, policy.merge_commits)
            if raw.is_merge
            else [raw.message]
        )
        for message in messages:
            try:
                commit = parse_commit(message, sha=raw.sha, ticket_patterns=policy.ticket_patterns)
            except InvalidCommitError:
                continue
            yield replace(commit, is_merge=raw.is_merge) if raw.is_merge else commit


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
