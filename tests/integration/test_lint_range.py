"""`lint_range` and `read_commits` over real git history (GitCli + repo_builder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from relman.adapters.git_cli import GitCli
from relman.domain.commits import CommitPolicy, read_commits
from relman.errors import NotFoundError
from relman.services.linting import lint_range

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder

PR_MERGE = "Merge pull request #12 from smartdairy/feature/farm-milk\n\n{title}"


def _history(repo: RepoBuilder, *, pr_title: str) -> dict[str, str]:
    """main: base - fix - (merge of feature/farm-milk with a GitHub-style message)."""
    shas = {"base": repo.commit("chore: initial import")}
    repo.tag("v1.0.0")
    shas["fix"] = repo.commit("fix(b2b): resolve credit limit calculation\n\nRefs: SD-3")
    repo.branch("feature/farm-milk")
    repo.checkout("feature/farm-milk")
    shas["feat"] = repo.commit("feat(farm): add fat/snf tracking")
    repo.checkout("main")
    shas["merge"] = repo.merge("feature/farm-milk", PR_MERGE.format(title=pr_title))
    return shas


def test_violations_name_commit_and_rule(repo_builder: RepoBuilder) -> None:
    base = repo_builder.commit("chore: initial import")
    good = repo_builder.commit("feat(farm): add breeding records")
    bad = repo_builder.commit("added stuff")
    fixup = repo_builder.commit("fixup! feat(farm): add breeding records")
    typo = repo_builder.commit("feature: x\nno blank line")

    report = lint_range(
        git=GitCli(repo_builder.path), policy=CommitPolicy.default(), rev_range=f"{base}..HEAD"
    )

    assert good not in {v.where for v in report.violations}
    assert [(v.where, v.rule) for v in report.violations] == [
        (typo[:7], "type-enum"),
        (typo[:7], "body-leading-blank"),
        (fixup[:7], "no-fixup"),
        (bad[:7], "header-format"),
    ]
    assert report.summary == "4 commits checked, 4 violations"
    assert not report.ok


def test_allow_fixup_and_clean_range(repo_builder: RepoBuilder) -> None:
    base = repo_builder.commit("chore: initial import")
    repo_builder.commit("feat(farm): add breeding records")
    repo_builder.commit("fixup! feat(farm): add breeding records")
    git = GitCli(repo_builder.path)

    report = lint_range(
        git=git, policy=CommitPolicy.default(), rev_range=f"{base}..HEAD", allow_fixup=True
    )

    assert report.ok
    assert report.to_dict() == {
        "range": f"{base}..HEAD",
        "commits_checked": 2,
        "merges_skipped": 0,
        "ok": True,
        "violations": [],
    }


@pytest.mark.parametrize(
    ("mode", "pr_title", "outcome"),
    [
        ("skip", "Add milk stuff", (2, 1, [])),
        ("title", "Add milk stuff", (3, 0, ["header-format"])),
        ("title", "feat(farm): milk quality", (3, 0, [])),
        ("body", "Add milk stuff", (2, 1, [])),
        ("body", "* feature: milk quality", (3, 0, ["type-enum"])),
    ],
)
def test_merge_commits_follow_the_policy(
    repo_builder: RepoBuilder, mode: str, pr_title: str, outcome: tuple[int, int, list[str]]
) -> None:
    checked, skipped, rules = outcome
    shas = _history(repo_builder, pr_title=pr_title)

    report = lint_range(
        git=GitCli(repo_builder.path),
        policy=CommitPolicy(merge_commits=mode),
        rev_range="v1.0.0..HEAD",
    )

    assert (report.checked, report.skipped) == (checked, skipped)
    assert [(v.where, v.rule) for v in report.violations] == [
        (shas["merge"][:7], rule) for rule in rules
    ]


def test_unknown_ref_is_not_found(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("chore: initial import")
    with pytest.raises(NotFoundError):
        lint_range(
            git=GitCli(repo_builder.path), policy=CommitPolicy.default(), rev_range="v9.9.9..HEAD"
        )


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("skip", [("feat", "feat"), ("fix", "fix")]),
        ("title", [("feat", "merge"), ("feat", "feat"), ("fix", "fix")]),
    ],
)
def test_read_commits_from_real_history(
    repo_builder: RepoBuilder, mode: str, expected: list[tuple[str, str]]
) -> None:
    shas = _history(repo_builder, pr_title="feat(farm): milk quality SD-9")
    git = GitCli(repo_builder.path)

    commits = list(read_commits(git.iter_commits("v1.0.0..HEAD"), CommitPolicy(merge_commits=mode)))

    assert [(c.type, c.sha) for c in commits] == [(t, shas[key]) for t, key in expected]
    assert [c.tickets for c in commits if c.type == "fix"] == [("SD-3",)]
    if mode == "title":
        assert commits[0].is_merge
        assert commits[0].tickets == ("SD-9",)
