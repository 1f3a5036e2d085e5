"""Ports: the interfaces services depend on. Adapters implement them; tests may fake them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RawCommit:
    """One commit as git stores it, before Conventional Commits parsing."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: str  # ISO 8601 committer date, e.g. "2026-01-31T12:00:00+06:00"
    message: str  # full message: subject, blank line, body

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True, slots=True)
class TagRef:
    """A tag and the commit it points to (annotated tags are peeled)."""

    name: str
    sha: str


@dataclass(frozen=True, slots=True)
class FileChange:
    """One changed path between two revisions (status as in `git diff --name-status`)."""

    status: str  # A, M, D, R, C, T
    path: str
    old_path: str | None = None


class GitRepo(Protocol):
    """Read access to one git repository."""

    @property
    def root(self) -> str: ...

    def resolve(self, ref: str) -> str:
        """Full sha of a ref; NotFoundError if it does not exist."""
        ...

    def iter_commits(
        self, rev_range: str | Sequence[str], paths: Sequence[str] = ()
    ) -> Iterator[RawCommit]:
        """Commits of a range (``A..B``, a ref, or a list of rev args), newest first, streamed."""
        ...

    def list_tags(self, merged_into: str | None = None) -> list[TagRef]:
        """All tags, or only those reachable from ``merged_into``."""
        ...

    def changed_files(self, base: str, head: str) -> list[FileChange]: ...

    def read_file(self, ref: str, path: str) -> str | None:
        """File content at a revision, or None when the path does not exist there."""
        ...

    def list_files(self, ref: str) -> list[str]:
        """Every path in the tree at a revision."""
        ...

    def is_shallow(self) -> bool: ...

    def current_branch(self) -> str | None:
        """The checked-out branch, or None on a detached HEAD."""
        ...
