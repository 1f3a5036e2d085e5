"""Lint use cases: one message (commit-msg hook), a commit range (CI), a branch name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from relman.domain.branches import BranchPolicy
from relman.domain.commits import DEFAULT_TICKET_PATTERNS, CommitPolicy, list_merge_messages
from relman.domain.linting import (
    Violation,
    clean_commit_message,
    lint_branch_name,
    lint_commit_message,
)
from relman.ports import GitRepo


@dataclass(frozen=True)
class RangeLintReport:
    """The outcome of linting ``rev_range``."""

    rev_range: str
    checked: int  # commits whose message(s) were linted
    skipped: int  # merge commits with nothing to lint under the merge policy
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def summary(self) -> str:
        found = len(self.violations)
        commits = "commit" if self.checked == 1 else "commits"
        return f"{self.checked} {commits} checked, {found} violation{'' if found == 1 else 's'}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "range": self.rev_range,
            "commits_checked": self.checked,
            "merges_skipped": self.skipped,
            "ok": self.ok,
            "violations": [v.to_dict() for v in self.violations],
        }


def lint_message(
    *,
    message: str,
    policy: CommitPolicy,
    where: str = "",
    allow_fixup: bool = False,
    comment_char: str | None = "#",
) -> list[Violation]:
    """Lint a message as git would store it (comments and the scissors part removed)."""
    text = clean_commit_message(message, comment_char=comment_char)
    return lint_commit_message(text, policy, where=where, allow_fixup=allow_fixup)


def lint_range(
    *, git: GitRepo, policy: CommitPolicy, rev_range: str, allow_fixup: bool = False
) -> RangeLintReport:
    """Lint every commit of ``rev_range``; merge commits per ``policy.merge_commits``.

    ``skip``: merges are not linted. ``title``: the merge's conventional header or its PR title.
    ``body``: every conventional-looking line of the merge message. Unknown refs raise
    NotFoundError (from the GitRepo adapter).
    """
    checked = skipped = 0
    violations: list[Violation] = []
    for raw in git.iter_commits(rev_range):
        where = raw.sha[:7]
        if raw.is_merge:
            messages = list_merge_messages(raw.message, policy.merge_commits)
            if not messages:
                skipped += 1
                continue
        else:
            messages = [raw.message]
        checked += 1
        for message in messages:
            violations += lint_commit_message(message, policy, where=where, allow_fixup=allow_fixup)
    return RangeLintReport(rev_range, checked, skipped, tuple(violations))


def lint_branch(
    *,
    name: str,
    policy: BranchPolicy,
    ticket_patterns: Sequence[str] = DEFAULT_TICKET_PATTERNS,
) -> list[Violation]:
    """Lint a branch name against the J-003 §5.2 naming rules."""
    return lint_branch_name(name, policy, ticket_patterns=ticket_patterns)
