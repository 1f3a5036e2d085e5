"""Branch kinds and names of the J-003 §5 Git Flow.

| Kind    | Name                             | Example                          |
|---------|----------------------------------|----------------------------------|
| main    | ``main`` or ``master``           | ``main``                         |
| develop | ``develop``                      | ``develop``                      |
| feature | ``feature/[module]-[description]`` | ``feature/farm-milk-quality``  |
| bugfix  | ``bugfix/[ticket]-[description]``  | ``bugfix/SD-123-fix-credit-limit`` |
| release | ``release/[version]``            | ``release/1.2.0``                |
| hotfix  | ``hotfix/[description]``         | ``hotfix/critical-payment-fix``  |

Names and prefixes live in :class:`BranchPolicy` so a team can rename them in one place.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

REFS_HEADS = "refs/heads/"


class BranchKind(enum.Enum):
    MAIN = "main"
    DEVELOP = "develop"
    FEATURE = "feature"
    BUGFIX = "bugfix"
    RELEASE = "release"
    HOTFIX = "hotfix"
    OTHER = "other"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class BranchPolicy:
    """The branch names of the Git Flow (J-003 §5.2)."""

    main_names: tuple[str, ...] = ("main", "master")
    develop_name: str = "develop"
    feature_prefix: str = "feature/"
    bugfix_prefix: str = "bugfix/"
    release_prefix: str = "release/"
    hotfix_prefix: str = "hotfix/"
    # Allowed [module] parts of feature branches; empty = any lowercase word.
    modules: tuple[str, ...] = ()

    @property
    def prefixes(self) -> dict[BranchKind, str]:
        """Prefix of every prefixed kind, in the order of the plan's table."""
        return {
            BranchKind.FEATURE: self.feature_prefix,
            BranchKind.BUGFIX: self.bugfix_prefix,
            BranchKind.RELEASE: self.release_prefix,
            BranchKind.HOTFIX: self.hotfix_prefix,
        }

    def prefix_for(self, kind: BranchKind) -> str:
        """The prefix of a prefixed kind; ValueError for main/develop/other."""
        try:
            return self.prefixes[kind]
        except KeyError:
            raise ValueError(f"branch kind {kind} has no prefix") from None

    def compute_name(self, kind: BranchKind, suffix: str) -> str:
        """``compute_name(BranchKind.RELEASE, "1.2.0") -> "release/1.2.0"``."""
        return self.prefix_for(kind) + suffix


def strip_ref(name: str) -> str:
    """``refs/heads/feature/x`` -> ``feature/x``."""
    return name.removeprefix(REFS_HEADS)


def classify_branch(name: str, policy: BranchPolicy) -> BranchKind:
    """The kind of a branch by its name (``refs/heads/`` accepted)."""
    name = strip_ref(name)
    if name in policy.main_names:
        return BranchKind.MAIN
    if name == policy.develop_name:
        return BranchKind.DEVELOP
    for kind, prefix in policy.prefixes.items():
        if name.startswith(prefix):
            return kind
    return BranchKind.OTHER


def split_branch(name: str, policy: BranchPolicy) -> tuple[BranchKind, str]:
    """The kind and the part after the prefix (``""`` for main/develop/other)."""
    name = strip_ref(name)
    kind = classify_branch(name, policy)
    if kind in policy.prefixes:
        return kind, name[len(policy.prefix_for(kind)) :]
    return kind, ""
