"""Commit-message and branch-name lint rules: one row per rule and edge."""

from __future__ import annotations

from typing import Any

import pytest

from relman.domain.branches import BranchPolicy
from relman.domain.commits import CommitPolicy
from relman.domain.linting import (
    RULES,
    Violation,
    clean_commit_message,
    lint_branch_name,
    lint_commit_message,
)


def _rules(message: str, **policy: Any) -> list[str]:
    found = lint_commit_message(message, CommitPolicy(**policy), where="a1b2c3d")
    return [v.rule for v in found]


COMMIT_CASES: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("valid", "feat(farm): add breeding records", {}, []),
    ("valid with body and footers", "fix: x\n\nbody\n\nRefs: SD-1\nCloses #4", {}, []),
    ("uppercase type is accepted", "FIX: x", {}, []),
    ("empty", "", {}, ["message-empty"]),
    ("whitespace only", " \n\n ", {}, ["message-empty"]),
    ("not conventional", "added stuff", {}, ["header-format"]),
    ("no space after colon", "feat:x", {}, ["header-format"]),
    ("empty scope", "feat(): x", {}, ["header-format"]),
    ("space in type", "new feat: x", {}, ["header-format"]),
    ("unknown type", "feature: x", {}, ["type-enum"]),
    ("type from the policy", "wip: x", {"types": {}}, ["type-enum"]),
    ("scope not checked without a list", "feat(anything): x", {}, []),
    ("allowed scope", "feat(farm): x", {"allowed_scopes": ("farm", "b2b")}, []),
    ("no scope is fine", "feat: x", {"allowed_scopes": ("farm",)}, []),
    ("scope not allowed", "feat(farmm): x", {"allowed_scopes": ("farm",)}, ["scope-enum"]),
    (
        "each of several scopes checked",
        "feat(farm, iot,b2b): x",
        {"allowed_scopes": ("farm", "b2b")},
        ["scope-enum"],
    ),
    ("empty description", "feat:", {}, ["subject-empty"]),
    ("blank description", "feat(farm):    ", {}, ["subject-empty"]),
    ("header at the limit", "feat: " + "x" * 94, {}, []),
    ("header over the limit", "feat: " + "x" * 95, {}, ["header-max-length"]),
    ("limit from the policy", "feat: abcdef", {"header_max_length": 10}, ["header-max-length"]),
    (
        "several header rules at once",
        "feature: " + "x" * 100,
        {},
        ["type-enum", "header-max-length"],
    ),
    ("body without blank line", "feat: x\nbody", {}, ["body-leading-blank"]),
    ("footer without blank line", "feat: x\n\nbody\nRefs: SD-1", {}, ["footer-leading-blank"]),
    (
        "footer with '#' without blank line",
        "fix: x\n\nbody text\nCloses #12",
        {},
        ["footer-leading-blank"],
    ),
    ("footer directly after header", "feat: x\nRefs: SD-1", {}, ["body-leading-blank"]),
    (
        "breaking change without text",
        "feat: x\n\nBREAKING CHANGE:",
        {},
        ["breaking-change-description"],
    ),
    (
        "BREAKING-CHANGE without text",
        "feat!: x\n\nBREAKING-CHANGE: ",
        {},
        ["breaking-change-description"],
    ),
    ("breaking change text on next line", "feat: x\n\nBREAKING CHANGE:\n  api v1 gone", {}, []),
    ("git revert", 'Revert "feat: x"\n\nThis reverts commit abcdef1234.', {}, []),
    (
        "git revert needs the revert type",
        'Revert "feat: x"',
        {"types": {}},
        ["type-enum"],
    ),
    ("git reapply", 'Reapply "feat: x"\n\nThis reverts commit abcdef1234.', {}, []),
    ("conventional revert", "revert: feat x\n\nRefs: abcdef1", {}, []),
    ("git merge message is not linted", "Merge branch 'feature/x' into develop", {}, []),
    ("GitHub merge message is not linted", "Merge pull request #3 from a/b\n\nwhatever", {}, []),
    ("fixup", "fixup! feat: x", {}, ["no-fixup"]),
    ("squash", "squash! feat: x", {}, ["no-fixup"]),
    ("amend", "amend! feat: x", {}, ["no-fixup"]),
    ("CRLF", "feat: x\r\n\r\nbody\r\n\r\nRefs: SD-1\r\n", {}, []),
]


@pytest.mark.parametrize(
    ("message", "policy", "rules"),
    [c[1:] for c in COMMIT_CASES],
    ids=[c[0] for c in COMMIT_CASES],
)
def test_commit_rules(message: str, policy: dict[str, Any], rules: list[str]) -> None:
    assert _rules(message, **policy) == rules


def test_allow_fixup() -> None:
    policy = CommitPolicy.default()
    assert lint_commit_message("fixup! feat: x", policy, allow_fixup=True) == []


def test_violation_line_names_commit_message_and_rule() -> None:
    (violation,) = lint_commit_message("feature: x", CommitPolicy.default(), where="a1b2c3d")
    assert str(violation) == (
        "a1b2c3d: type 'feature' is not allowed (allowed: feat, fix, perf, security, refactor, "
        "docs, style, test, chore, build, ci, revert) [type-enum]"
    )
    assert violation.to_dict() == {
        "rule": "type-enum",
        "message": violation.message,
        "where": "a1b2c3d",
    }


@pytest.mark.parametrize(
    ("message", "text"),
    [
        ("feat:x", "header 'feat:x' is not 'type(scope): description': put a space after the ':'"),
        (
            "added stuff",
            "header 'added stuff' is not 'type(scope): description': the type and ':' are missing",
        ),
        ("feat(x): " + "y" * 100, "header is 109 characters, longer than 100"),
        ("feat(farmm): x", "scope 'farmm' is not allowed (allowed: farm)"),
        ("feat: x\n\nb\nRefs: SD-1", "footer 'Refs' must be preceded by a blank line"),
        ("fixup! feat: x", "'fixup!' commit must be squashed first"),
    ],
)
def test_violation_messages(message: str, text: str) -> None:
    policy = CommitPolicy(allowed_scopes=("farm",))
    messages = [v.message for v in lint_commit_message(message, policy)]
    assert text in messages


def test_violation_without_where() -> None:
    assert str(Violation("subject-empty", "description is empty")) == (
        "description is empty [subject-empty]"
    )


def test_every_reported_rule_is_documented() -> None:
    messages = [c[1] for c in COMMIT_CASES]
    seen = {r for m in messages for r in _rules(m, allowed_scopes=("farm",), header_max_length=50)}
    assert seen <= set(RULES)


# --------------------------------------------------------------------------------------
# clean_commit_message: what git keeps of .git/COMMIT_EDITMSG

EDITMSG = """feat(farm): add breeding records

Tracks inseminations per cow.
# Please enter the commit message for your changes. Lines starting
# with '#' will be ignored, and an empty message aborts the commit.
#
# On branch feature/farm-breeding
# Changes to be committed:
#	modified:   farm/models.py
#
# ------------------------ >8 ------------------------
# Do not modify or remove the line above.
# Everything below it will be ignored.
diff --git a/farm/models.py b/farm/models.py
+added: line
"""


@pytest.mark.parametrize(
    ("text", "comment_char", "expected"),
    [
        (EDITMSG, "#", "feat(farm): add breeding records\n\nTracks inseminations per cow."),
        ("# only comments\n#\n", "#", ""),
        ("\n\nfix: x  \n\n\n\nbody\n\n", "#", "fix: x\n\nbody"),
        ("fix: x\r\n# comment\r\n\r\nbody\r\n", "#", "fix: x\n\nbody"),
        ("fix: x\n; note\n#1 is kept\n", ";", "fix: x\n#1 is kept"),
        (
            "fix: x\n; ------------------------ >8 ------------------------\ngone",
            ";",
            "fix: x",
        ),
        ("fix: x\n# kept\n", None, "fix: x\n# kept"),
        ("fix: x\n\n#\n\nbody", "#", "fix: x\n\nbody"),
    ],
)
def test_clean_commit_message(text: str, comment_char: str | None, expected: str) -> None:
    assert clean_commit_message(text, comment_char=comment_char) == expected


def test_scissors_diff_is_not_linted() -> None:
    cleaned = clean_commit_message(EDITMSG)
    assert lint_commit_message(cleaned, CommitPolicy.default()) == []
    # without cleaning, the comment lines break the body/footer rules
    assert lint_commit_message(EDITMSG.replace("\n\nTracks", "\nTracks"), CommitPolicy()) != []


# --------------------------------------------------------------------------------------
# Branch names (J-003 §5.2)

BRANCH_CASES: list[tuple[str, list[str]]] = [
    ("main", []),
    ("master", []),
    ("develop", []),
    ("refs/heads/develop", []),
    ("feature/farm-milk-quality", []),
    ("feature/b2b-credit-limit", []),
    ("feature/farm", ["branch-module"]),
    ("feature/", ["branch-description"]),
    ("feature/Farm-Milk", ["branch-description"]),
    ("feature/farm_milk", ["branch-description"]),
    ("feature/farm--milk", ["branch-description"]),
    ("feature/farm/milk", ["branch-description"]),
    ("feature/farm-milk-", ["branch-description"]),
    ("bugfix/SD-123-fix-credit-limit", []),
    ("bugfix/SD-7-x", []),
    ("bugfix/fix-credit-limit", ["branch-ticket"]),
    ("bugfix/sd-123-fix", ["branch-ticket"]),
    ("bugfix/SD-123", ["branch-description"]),
    ("bugfix/SD-123-Fix_It", ["branch-description"]),
    ("release/1.2.0", []),
    ("release/2.0.0-rc.1", []),
    ("release/v1.2.0", ["branch-version"]),
    ("release/1.2", ["branch-version"]),
    ("release/", ["branch-version"]),
    ("hotfix/critical-payment-fix", []),
    ("hotfix/x", []),
    ("hotfix/Critical", ["branch-description"]),
    ("hotfix/", ["branch-description"]),
    ("wip", ["branch-type"]),
    ("features/farm-x", ["branch-type"]),
    ("Main", ["branch-type"]),
]


@pytest.mark.parametrize(("name", "rules"), BRANCH_CASES)
def test_branch_rules(name: str, rules: list[str]) -> None:
    assert [v.rule for v in lint_branch_name(name, BranchPolicy())] == rules


def test_branch_violation_line() -> None:
    (violation,) = lint_branch_name("release/v1.2.0", BranchPolicy())
    assert str(violation).startswith("release/v1.2.0: 'v1.2.0' is not a SemVer version: ")
    assert str(violation).endswith("[branch-version]")
    (violation,) = lint_branch_name("wip", BranchPolicy())
    assert str(violation) == (
        "wip: branch is not one of main, master, develop, "
        "feature/..., bugfix/..., release/..., hotfix/... [branch-type]"
    )


def test_branch_ticket_patterns() -> None:
    patterns = (r"JIRA-\d+", r"GH-\d+")
    assert lint_branch_name("bugfix/GH-4-fix-x", BranchPolicy(), ticket_patterns=patterns) == []
    (violation,) = lint_branch_name("bugfix/SD-4-fix-x", BranchPolicy(), ticket_patterns=patterns)
    assert violation.rule == "branch-ticket"
    assert "JIRA-\\d+ or GH-\\d+" in violation.message


def test_branch_modules_from_the_policy() -> None:
    policy = BranchPolicy(modules=("farm", "b2b"))
    assert lint_branch_name("feature/farm-milk", policy) == []
    (violation,) = lint_branch_name("feature/iot-sensor", policy)
    assert (violation.rule, violation.message) == (
        "branch-module",
        "module 'iot' is not one of farm, b2b",
    )


def test_branch_custom_names() -> None:
    policy = BranchPolicy(main_names=("trunk",), develop_name="dev", feature_prefix="feat/")
    assert lint_branch_name("trunk", policy) == []
    assert lint_branch_name("dev", policy) == []
    assert lint_branch_name("feat/farm-x", policy) == []
    assert [v.rule for v in lint_branch_name("main", policy)] == ["branch-type"]
    assert [v.rule for v in lint_branch_name("feature/farm-x", policy)] == ["branch-type"]
