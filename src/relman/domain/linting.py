"""Lint rules for commit messages (J-003 §5.4) and branch names (J-003 §5.2).

Every finding is a :class:`Violation` with a stable rule id; ``str(violation)`` is the one line
people see: ``a1b2c3d: type 'feature' is not allowed (allowed: feat, fix, ...) [type-enum]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from relman.domain.branches import BranchKind, BranchPolicy, split_branch, strip_ref
from relman.domain.commit_messages import normalize_message, parse_footer_line, split_message
from relman.domain.commits import (
    DEFAULT_TICKET_PATTERNS,
    GIT_REVERT_RE,
    HEADER_FORMAT,
    HEADER_RE,
    CommitPolicy,
    is_git_merge_header,
)
from relman.domain.versions import Version
from relman.errors import InvalidVersionError

COMMIT_RULES: dict[str, str] = {
    "message-empty": "the message has no text once comments are removed",
    "no-fixup": "fixup!/squash!/amend! commits must be squashed before merging",
    "header-format": f"the first line is '{HEADER_FORMAT}' (or git's 'Revert \"...\"')",
    "type-enum": "the type is one of the policy's commit types",
    "scope-enum": "the scope is one of commits.allowed_scopes (only when that list is set)",
    "subject-empty": "the description after 'type: ' is not empty",
    "header-max-length": "the first line is at most commits.header_max_length characters",
    "body-leading-blank": "a blank line separates the header from the body",
    "footer-leading-blank": "a blank line separates the body from the footers",
    "breaking-change-description": "a BREAKING CHANGE footer says what broke",
}
BRANCH_RULES: dict[str, str] = {
    "branch-type": "the branch is main/master, develop, or feature/, bugfix/, release/, hotfix/",
    "branch-description": "the description is lowercase kebab-case (farm-milk-quality)",
    "branch-module": "a feature branch starts with its module: feature/[module]-[description]",
    "branch-ticket": "a bugfix branch starts with its ticket: bugfix/[ticket]-[description]",
    "branch-version": "a release branch names a SemVer version: release/1.2.0",
}
RULES: dict[str, str] = {**COMMIT_RULES, **BRANCH_RULES}

FIXUP_PREFIXES = ("fixup! ", "squash! ", "amend! ")
SCISSORS = "------------------------ >8 ------------------------"
_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    where: str = ""  # a short sha, a file path or a branch name

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.message} [{self.rule}]"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "message": self.message, "where": self.where}


def clean_commit_message(text: str, *, comment_char: str | None = "#") -> str:
    """What git keeps of an edited message (``cleanup=strip``, as in ``.git/COMMIT_EDITMSG``).

    Cuts everything from the scissors line on, drops comment lines, trailing whitespace,
    repeated and leading/trailing blank lines. ``comment_char=None`` keeps comment lines.
    """
    kept: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if comment_char is not None:
            if line == f"{comment_char} {SCISSORS}":
                break
            if line.startswith(comment_char):
                continue
        if line or (kept and kept[-1]):
            kept.append(line)
    return normalize_message("\n".join(kept))


def lint_commit_message(
    message: str, policy: CommitPolicy, *, where: str = "", allow_fixup: bool = False
) -> list[Violation]:
    """Every rule a message breaks (git merge messages are not linted)."""
    text = normalize_message(message)
    if not text:
        return [Violation("message-empty", "commit message is empty", where)]
    lines = text.split("\n")
    header = lines[0]
    if header.startswith(FIXUP_PREFIXES):
        if allow_fixup:
            return []
        word = header.split(" ", 1)[0]
        return [Violation("no-fixup", f"'{word}' commit must be squashed first", where)]
    if is_git_merge_header(header):
        return []
    found: list[Violation] = []
    if GIT_REVERT_RE.match(header):
        found += _check_type("revert", policy, where)
    else:
        found += _check_header(header, policy, where)
    if len(lines) > 1 and lines[1]:
        found.append(
            Violation(
                "body-leading-blank",
                "the body must be separated from the header by a blank line",
                where,
            )
        )
    found += _check_footers(text, where)
    return found


def _check_header(header: str, policy: CommitPolicy, where: str) -> list[Violation]:
    found = _check_header_parts(header, policy, where)
    if len(header) > policy.header_max_length:
        found.append(
            Violation(
                "header-max-length",
                f"header is {len(header)} characters, longer than {policy.header_max_length}",
                where,
            )
        )
    return found


def _check_header_parts(header: str, policy: CommitPolicy, where: str) -> list[Violation]:
    match = HEADER_RE.match(header)
    if match is None:
        return [_header_format(header, where)]
    scope = match.group("scope")
    if scope is not None and not scope.strip():
        return [Violation("header-format", f"header {header!r} has an empty scope '()'", where)]
    found = _check_type(match.group("type").lower(), policy, where)
    if scope is not None and policy.allowed_scopes:
        allowed = ", ".join(policy.allowed_scopes)
        found += [
            Violation("scope-enum", f"scope {part!r} is not allowed (allowed: {allowed})", where)
            for part in (s.strip() for s in scope.split(","))
            if part not in policy.allowed_scopes
        ]
    if not (match.group("desc") or "").strip():
        found.append(Violation("subject-empty", "description after the type is empty", where))
    return found


def _header_format(header: str, where: str) -> Violation:
    why = ""
    if re.match(r"^[A-Za-z][A-Za-z0-9_-]*(?:\([^()]*\))?!?:\S", header):
        why = ": put a space after the ':'"
    elif ":" not in header:
        why = ": the type and ':' are missing"
    return Violation("header-format", f"header {header!r} is not {HEADER_FORMAT!r}{why}", where)


def _check_type(ctype: str, policy: CommitPolicy, where: str) -> list[Violation]:
    if ctype in policy.types:
        return []
    allowed = ", ".join(policy.types)
    return [Violation("type-enum", f"type {ctype!r} is not allowed (allowed: {allowed})", where)]


def _check_footers(text: str, where: str) -> list[Violation]:
    found: list[Violation] = []
    parts = split_message(text)
    last_body_paragraph = parts.body.split("\n\n")[-1].split("\n") if parts.body else []
    for line in last_body_paragraph[1:]:
        footer = parse_footer_line(line)
        if footer is not None:
            found.append(
                Violation(
                    "footer-leading-blank",
                    f"footer {footer.token!r} must be preceded by a blank line",
                    where,
                )
            )
            break
    for footer in parts.footers:
        if footer.is_breaking and not footer.value:
            found.append(
                Violation(
                    "breaking-change-description",
                    f"{footer.token} footer needs a description of what broke",
                    where,
                )
            )
    return found


# --------------------------------------------------------------------------------------
# Branch names


def lint_branch_name(
    name: str,
    policy: BranchPolicy,
    *,
    ticket_patterns: Sequence[str] = DEFAULT_TICKET_PATTERNS,
) -> list[Violation]:
    """Every J-003 §5.2 naming rule a branch name breaks."""
    name = strip_ref(name)
    kind, rest = split_branch(name, policy)
    if kind in (BranchKind.MAIN, BranchKind.DEVELOP):
        return []
    if kind is BranchKind.OTHER:
        kinds = [*policy.main_names, policy.develop_name]
        prefixes = [f"{p}..." for p in policy.prefixes.values()]
        return [
            Violation(
                "branch-type",
                f"branch is not one of {', '.join(kinds)}, {', '.join(prefixes)}",
                name,
            )
        ]
    if kind is BranchKind.RELEASE:
        return _check_release(rest, name)
    if kind is BranchKind.BUGFIX:
        return _check_bugfix(rest, name, policy, ticket_patterns)
    found = _check_description(rest, name, policy.prefix_for(kind))
    if kind is BranchKind.FEATURE and not found:
        module, _, description = rest.partition("-")
        if not description:
            found.append(
                Violation(
                    "branch-module",
                    f"feature branch needs '{policy.feature_prefix}[module]-[description]', "
                    f"e.g. {policy.feature_prefix}farm-milk-quality",
                    name,
                )
            )
        elif policy.modules and module not in policy.modules:
            allowed = ", ".join(policy.modules)
            found.append(
                Violation("branch-module", f"module {module!r} is not one of {allowed}", name)
            )
    return found


def _check_description(description: str, name: str, prefix: str) -> list[Violation]:
    if _KEBAB.match(description):
        return []
    what = f"description {description!r}" if description else "the description"
    return [
        Violation(
            "branch-description",
            f"{what} after {prefix!r} is not lowercase kebab-case (e.g. milk-quality-report)",
            name,
        )
    ]


def _check_release(rest: str, name: str) -> list[Violation]:
    try:
        Version.parse(rest)
    except InvalidVersionError as exc:
        return [Violation("branch-version", f"{rest!r} is not a SemVer version: {exc}", name)]
    return []


def _check_bugfix(
    rest: str, name: str, policy: BranchPolicy, ticket_patterns: Sequence[str]
) -> list[Violation]:
    for pattern in ticket_patterns:
        match = re.match(f"(?:{pattern})(?:-|$)", rest)
        if match:
            ticket = rest[: match.end()]
            return _check_description(rest[match.end() :], name, policy.bugfix_prefix + ticket)
    example = f"{policy.bugfix_prefix}SD-123-fix-credit-limit"
    return [
        Violation(
            "branch-ticket",
            f"bugfix branch needs '{policy.bugfix_prefix}[ticket]-[description]' with a ticket "
            f"matching {' or '.join(ticket_patterns)}, e.g. {example}",
            name,
        )
    ]
