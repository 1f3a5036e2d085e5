"""A read-only view of a GitRepo that remembers tag listings for one use case.

``git for-each-ref --merged=REF`` walks the history to check every tag: on 100k commits and
5000 tags that is ~0.15 s per call. Release notes ask for the same listing twice (the range,
then the next version); inside one read-only use case nothing moves the tags in between, so
the second answer can be the first one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from relman.ports import FileChange, GitRepo, RawCommit, TagRef


class RememberedTags:
    """Delegates to ``git``; ``list_tags`` answers each (ref, prefix) once."""

    def __init__(self, git: GitRepo) -> None:
        self._git = git
        self._tags: dict[tuple[str | None, str], list[TagRef]] = {}

    @property
    def root(self) -> str:
        return self._git.root

    def resolve(self, ref: str) -> str:
        return self._git.resolve(ref)

    def iter_commits(
        self, rev_range: str | Sequence[str], paths: Sequence[str] = ()
    ) -> Iterator[RawCommit]:
        return self._git.iter_commits(rev_range, paths)

    def list_tags(self, merged_into: str | None = None, *, prefix: str = "") -> list[TagRef]:
        key = (merged_into, prefix)
        if key not in self._tags:
            self._tags[key] = self._git.list_tags(merged_into, prefix=prefix)
        return list(self._tags[key])

    def changed_files(self, base: str, head: str) -> list[FileChange]:
        return self._git.changed_files(base, head)

    def read_file(self, ref: str, path: str) -> str | None:
        return self._git.read_file(ref, path)

    def list_files(self, ref: str) -> list[str]:
        return self._git.list_files(ref)

    def is_shallow(self) -> bool:
        return self._git.is_shallow()

    def current_branch(self) -> str | None:
        return self._git.current_branch()
