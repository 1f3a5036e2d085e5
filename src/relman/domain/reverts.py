"""Reverts inside a range cancel out: :func:`drop_reverted` (J-003 §5.4 bump rules).

A revert names its target by sha (full or abbreviated, any case; at least 7 characters). Two
shas are the same commit when one is a prefix of the other, so both share their first 7
characters: the index below buckets commits by that prefix and every look-up is one bucket.
"""

from __future__ import annotations

import functools
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
    """The commits of a list by sha prefix, for :func:`drop_reverted` (positions stay valid)."""

    def __init__(self, commits: Sequence[Commit]) -> None:
        self.commits = commits
        self.alive = [True] * len(commits)
        self.by_sha: dict[str, list[int]] = {}  # prefix -> positions of commits with that sha
        self.by_target: dict[str, list[int]] = {}  # prefix -> positions of reverts naming it
        self.positions: dict[int, list[int]] = {}  # id(commit) -> positions (a list may repeat one)
        for pos, commit in enumerate(commits):
            self.positions.setdefault(id(commit), []).append(pos)
            key = _sha_key(commit.sha)
            if key is not None:
                self.by_sha.setdefault(key, []).append(pos)
            if commit.is_revert and commit.reverts:
                target = _sha_key(commit.reverts)
                if target is not None:
                    self.by_target.setdefault(target, []).append(pos)

    def find_target(self, pos: int) -> int | None:
        """The first live commit the revert at ``pos`` names (None: none, or itself)."""
        revert = self.commits[pos]
        assert revert.reverts is not None
        for other in self.by_sha.get(_sha_key(revert.reverts) or "", ()):
            if self.alive[other] and same_sha(self.commits[other].sha, revert.reverts):
                return None if self.commits[other] is revert else other
        return None

    def is_reverted(self, pos: int) -> bool:
        """Whether a live revert names the commit at ``pos``."""
        sha = self.commits[pos].sha
        reverts = self.by_target.get(_sha_key(sha) or "", ())
        return any(self.alive[r] and same_sha(self.commits[r].reverts or "", sha) for r in reverts)

    def remove(self, commit: Commit) -> None:
        for pos in self.positions[id(commit)]:
            self.alive[pos] = False

    def list_related(self, commit: Commit) -> list[int]:
        """Reverts whose target or whose being reverted may change when ``commit`` goes."""
        related = list(self.by_target.get(_sha_key(commit.sha) or "", ()))
        if commit.is_revert and commit.reverts:
            named = self.by_sha.get(_sha_key(commit.reverts) or "", ())
            related += [p for p in named if p in self.revert_positions]
        return related

    @functools.cached_property
    def revert_positions(self) -> frozenset[int]:
        return frozenset(p for positions in self.by_target.values() for p in positions)


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
    if not index.by_target:
        return commits
    ready = sorted(index.revert_positions)  # a min-heap of positions to (re)check, in order
    while ready:
        pos = heapq.heappop(ready)
        if not index.alive[pos] or index.is_reverted(pos):
            continue  # rechecked (and pushed again) when what blocks it goes
        target = index.find_target(pos)
        if target is None:
            continue
        revert, gone = commits[pos], commits[target]
        index.remove(revert)
        index.remove(gone)
        for other in {*index.list_related(revert), *index.list_related(gone)}:
            if index.alive[other]:
                heapq.heappush(ready, other)
    return [c for pos, c in enumerate(commits) if index.alive[pos]]
