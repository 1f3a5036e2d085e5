"""Reverts inside a range cancel out: :func:`drop_reverted` (J-003 §5.4 bump rules).

A revert names its target by sha (full or abbreviated, any case; at least 7 characters). Two
shas are the same commit when one is a prefix of the other, so both share their first 7
characters: the index below buckets commits by that prefix and every look-up is one bucket.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relman.domain.commits import Commit

__all__ = ["drop_reverted", "same_sha"]


def same_sha(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return min(len(a), len(b)) >= 7 and (a.startswith(b) or b.startswith(a))


def _sha_key(sha: str | None) -> str | None:
    """The bucket of a sha: two shas :func:`same_sha` only if their 7-char prefixes agree."""
    return sha[:7].lower() if sha and len(sha) >= 7 else None


class _RevertIndex:
    """The reverts of a list and the commits they may name, by 7-char sha prefix."""

    def __init__(self, commits: Sequence[Commit]) -> None:
        self.commits = commits
        self.dead: set[int] = set()  # positions removed so far
        self.by_target: dict[str, list[int]] = {}  # prefix -> positions of reverts naming it
        for pos, commit in enumerate(commits):
            if commit.is_revert and commit.reverts:
                target = _sha_key(commit.reverts)
                if target is not None:
                    self.by_target.setdefault(target, []).append(pos)
        self.by_sha: dict[str, list[int]] = {}  # prefix -> positions of commits with that sha
        if self.by_target:
            for pos, commit in enumerate(commits):
                key = commit.sha[:7].lower()
                if key in self.by_target and len(key) == 7:
                    self.by_sha.setdefault(key, []).append(pos)
        self.reverts = frozenset(p for group in self.by_target.values() for p in group)

    def find_target(self, pos: int) -> int | None:
        """The first live commit the revert at ``pos`` names (None: none, or itself)."""
        revert = self.commits[pos]
        assert revert.reverts is not None
        for other in self.by_sha.get(_sha_key(revert.reverts) or "", ()):
            if other not in self.dead and same_sha(self.commits[other].sha, revert.reverts):
                return None if self.commits[other] is revert else other
        return None

    def is_reverted(self, pos: int) -> bool:
        """Whether a live revert names the commit at ``pos``."""
        sha = self.commits[pos].sha
        reverts = self.by_target.get(_sha_key(sha) or "", ())
        return any(
            r not in self.dead and same_sha(self.commits[r].reverts or "", sha) for r in reverts
        )

    def _list_buckets(self, commit: Commit) -> list[int]:
        """Positions that may hold ``commit``: its sha bucket and its revert bucket."""
        return [
            *self.by_sha.get(_sha_key(commit.sha) or "", ()),
            *self.by_target.get(_sha_key(commit.reverts) or "", ()),
        ]

    def remove(self, commit: Commit) -> None:
        """Remove every position holding ``commit`` (a list may hold one object twice)."""
        self.dead.update(p for p in self._list_buckets(commit) if self.commits[p] is commit)

    def list_related(self, commit: Commit) -> list[int]:
        """Reverts whose target or whose being reverted may change when ``commit`` goes."""
        related = list(self.by_target.get(_sha_key(commit.sha) or "", ()))
        if commit.is_revert and commit.reverts:
            named = self.by_sha.get(_sha_key(commit.reverts) or "", ())
            related += [p for p in named if p in self.reverts]
        return related


def drop_reverted(commits: Sequence[Commit]) -> list[Commit]:
    """Remove every revert whose target is in ``commits``, together with its target.

    The outermost revert goes first, so reverting a revert brings the original back. Step by
    step: the first revert (in list order) whose target is present and that no present revert
    names goes, with its target (the first commit with that sha); repeat until none is left.
    Linear in the number of commits: reverts and shas are looked up by their 7-char prefix,
    and after each removal only the reverts related to the two removed commits are rechecked.
    """
    commits = list(commits)
    index = _RevertIndex(commits)
    ready = sorted(index.reverts)  # a min-heap of positions to (re)check, in order
    while ready:
        pos = heapq.heappop(ready)
        if pos in index.dead or index.is_reverted(pos):
            continue  # rechecked (and pushed again) when what blocks it goes
        target = index.find_target(pos)
        if target is None:
            continue
        revert, gone = commits[pos], commits[target]
        index.remove(revert)
        index.remove(gone)
        for other in {*index.list_related(revert), *index.list_related(gone)}:
            if other not in index.dead:
                heapq.heappush(ready, other)
    if not index.dead:
        return commits
    dead = index.dead
    return [c for pos, c in enumerate(commits) if pos not in dead]
