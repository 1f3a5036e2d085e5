"""Branch kinds of the J-003 §5 Git Flow."""

from __future__ import annotations

import pytest

from relman.domain.branches import BranchKind, BranchPolicy, classify_branch, split_branch

DEFAULT = BranchPolicy()
CUSTOM = BranchPolicy(
    main_names=("trunk",),
    develop_name="integration",
    feature_prefix="feat/",
    bugfix_prefix="bug/",
    release_prefix="rel-",
    hotfix_prefix="hf/",
)


@pytest.mark.parametrize(
    ("name", "policy", "kind"),
    [
        ("main", DEFAULT, BranchKind.MAIN),
        ("master", DEFAULT, BranchKind.MAIN),
        ("refs/heads/main", DEFAULT, BranchKind.MAIN),
        ("develop", DEFAULT, BranchKind.DEVELOP),
        ("feature/farm-milk-quality", DEFAULT, BranchKind.FEATURE),
        ("feature/", DEFAULT, BranchKind.FEATURE),
        ("bugfix/SD-123-fix-credit-limit", DEFAULT, BranchKind.BUGFIX),
        ("release/1.2.0", DEFAULT, BranchKind.RELEASE),
        ("refs/heads/release/1.2.0", DEFAULT, BranchKind.RELEASE),
        ("hotfix/critical-payment-fix", DEFAULT, BranchKind.HOTFIX),
        ("features/x", DEFAULT, BranchKind.OTHER),
        ("Main", DEFAULT, BranchKind.OTHER),
        ("developer", DEFAULT, BranchKind.OTHER),
        ("origin/main", DEFAULT, BranchKind.OTHER),
        ("trunk", CUSTOM, BranchKind.MAIN),
        ("main", CUSTOM, BranchKind.OTHER),
        ("integration", CUSTOM, BranchKind.DEVELOP),
        ("feat/x", CUSTOM, BranchKind.FEATURE),
        ("bug/SD-1-x", CUSTOM, BranchKind.BUGFIX),
        ("rel-1.0.0", CUSTOM, BranchKind.RELEASE),
        ("hf/x", CUSTOM, BranchKind.HOTFIX),
        ("hotfix/x", CUSTOM, BranchKind.OTHER),
    ],
)
def test_classify_branch(name: str, policy: BranchPolicy, kind: BranchKind) -> None:
    assert classify_branch(name, policy) is kind


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("release/1.2.0", (BranchKind.RELEASE, "1.2.0")),
        ("refs/heads/feature/farm-x", (BranchKind.FEATURE, "farm-x")),
        ("bugfix/SD-1-x", (BranchKind.BUGFIX, "SD-1-x")),
        ("main", (BranchKind.MAIN, "")),
        ("wip", (BranchKind.OTHER, "")),
    ],
)
def test_split_branch(name: str, expected: tuple[BranchKind, str]) -> None:
    assert split_branch(name, DEFAULT) == expected


def test_compute_name_and_prefixes() -> None:
    assert DEFAULT.compute_name(BranchKind.RELEASE, "1.2.0") == "release/1.2.0"
    assert DEFAULT.compute_name(BranchKind.HOTFIX, "payment") == "hotfix/payment"
    assert CUSTOM.compute_name(BranchKind.FEATURE, "farm-x") == "feat/farm-x"
    assert list(DEFAULT.prefixes.values()) == ["feature/", "bugfix/", "release/", "hotfix/"]
    with pytest.raises(ValueError, match="main has no prefix"):
        DEFAULT.prefix_for(BranchKind.MAIN)


def test_kind_prints_its_name() -> None:
    assert str(BranchKind.HOTFIX) == "hotfix"
    assert [str(k) for k in BranchKind] == [
        "main",
        "develop",
        "feature",
        "bugfix",
        "release",
        "hotfix",
        "other",
    ]
