"""Every failure point of every workflow leaves the repository exactly as it was.

Failures are real, not mocked: a ``reference-transaction`` hook aborts the n-th ref update
(commit, merge, tag, branch creation or deletion), a ``post-checkout`` hook fails the n-th
checkout, ``pre-commit``/``commit-msg`` hooks reject commits and merges. After each failure the
refs, HEAD, index, files and branch config are compared with a snapshot taken before.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flow_support import (
    collect_failure_points,
    git,
    install_failing_hook,
    install_hook,
    list_git_steps,
    run,
    snapshot,
)
from test_flow_workflows import PYPROJECT, build_flow_repo

from relman.errors import GitError, RollbackFailedError

RepoBuilder = Any


def _release_open(repo: RepoBuilder) -> None:
    run(repo.path, "release start")
    repo.commit("fix(farm): last fix before release")


def _develop_bumped(repo: RepoBuilder) -> None:
    _release_open(repo)
    repo.checkout("develop")
    repo.commit("chore: open 1.4.0", {"pyproject.toml": PYPROJECT.format(version="1.4.0-dev.1")})
    repo.checkout("release/1.3.0")


def _feature_open(repo: RepoBuilder) -> None:
    run(repo.path, "feature start", "farm-x")
    repo.commit("feat(farm): x")


def _hotfix_open_with_release(repo: RepoBuilder) -> None:
    run(repo.path, "release start")
    repo.checkout("develop")
    run(repo.path, "hotfix start", "payment-timeout")
    repo.commit("fix(b2b): payment timeout")


Setup = Callable[[RepoBuilder], None]
CASES: list[tuple[str, Setup | None, str, str | None, int]] = [
    # (id, setup, action, argument, steps that must be failure points)
    ("feature-start", None, "feature start", "farm-x", 1),
    ("feature-finish", _feature_open, "feature finish", None, 3),
    ("release-start", None, "release start", None, 3),
    ("release-finish", _release_open, "release finish", None, 9),
    ("release-finish-resolving", _develop_bumped, "release finish", None, 9),
    ("hotfix-start", None, "hotfix start", "payment-timeout", 3),
    ("hotfix-finish-open-release", _hotfix_open_with_release, "hotfix finish", None, 11),
]


@pytest.mark.parametrize(
    ("setup", "action", "arg", "steps"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_every_failure_point_restores_everything(
    repo_builder: RepoBuilder, setup: Setup | None, action: str, arg: str | None, steps: int
) -> None:
    build_flow_repo(repo_builder)
    if setup is not None:
        setup(repo_builder)
    failed, outcome = collect_failure_points(repo_builder.path, lambda p: run(p, action, arg))
    assert len(outcome.plan.steps) == steps
    assert failed == list_git_steps(outcome)


def test_every_failure_point_of_init_on_an_empty_repository(tmp_path: Path) -> None:
    template = tmp_path / "empty"
    template.mkdir()
    git(template, "init", "-q", "-b", "master")
    failed, outcome = collect_failure_points(template, lambda p: run(p, "init"))
    assert [type(s).__name__ for s in outcome.plan.steps] == [
        "InitialCommit",
        "CreateBranch",
        "WriteConfig",
        "Commit",
    ]
    assert failed == {1, 2, 4}


# ---------------------------------------------------------------- hooks people really have


def test_failing_pre_commit_hook_during_release_start(repo_builder: RepoBuilder) -> None:
    path = build_flow_repo(repo_builder).path
    install_failing_hook(path, "pre-commit", "black would reformat pyproject.toml")
    before = snapshot(path)
    with pytest.raises(GitError) as info:
        run(path, "release start")
    assert "step 3 of 3 failed" in info.value.message
    assert "black would reformat pyproject.toml" in info.value.message
    assert "nothing was changed" in info.value.message
    assert snapshot(path) == before
    assert git(path, "branch", "--list", "release/*") == ""


def test_failing_commit_msg_hook_on_the_merge_back(repo_builder: RepoBuilder) -> None:
    """The hook accepts the notes commit and the merge into main, then rejects develop's."""
    repo = build_flow_repo(repo_builder)
    _release_open(repo)
    path = repo.path
    hook = path / ".git" / "hooks" / "commit-msg"
    hook.write_text(
        "#!/bin/sh\nif grep -q 'into develop' \"$1\"; then echo 'no merges into develop' >&2;"
        " exit 1; fi\nexit 0\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    before = snapshot(path)
    with pytest.raises(GitError) as info:
        run(path, "release finish")
    assert "step 8 of 9 failed" in info.value.message
    assert "no merges into develop" in info.value.message
    assert snapshot(path) == before
    assert git(path, "tag", "--list", "v1.3.0") == ""  # the tag made at step 6 is gone


def test_failing_hook_during_a_resolved_version_conflict(repo_builder: RepoBuilder) -> None:
    """The merge stops on the version conflict; relman resolves it; the commit hook says no."""
    repo = build_flow_repo(repo_builder)
    _develop_bumped(repo)
    install_failing_hook(repo.path, "pre-commit", "tests failed")
    before = snapshot(repo.path)
    with pytest.raises(GitError, match="tests failed"):
        run(repo.path, "release finish")
    assert snapshot(repo.path) == before


def test_a_restore_that_cannot_finish_says_how_to_finish_it(repo_builder: RepoBuilder) -> None:
    """A hook that rejects every ref update from the 2nd on also blocks the restore."""
    repo = build_flow_repo(repo_builder)
    _release_open(repo)
    counter = repo.path.parent / "count"
    counter.write_text("0", encoding="utf-8")
    install_hook(
        repo.path,
        "reference-transaction",
        'cat >/dev/null\n[ "$1" = prepared ] || exit 0\n'
        f'n=$(($(cat "{counter}") + 1)); echo "$n" > "{counter}"\n'
        '[ "$n" -ge 2 ] && { echo "ref updates are frozen" >&2; exit 1; }\nexit 0\n',
    )
    release_tip = git(repo.path, "rev-parse", "release/1.3.0")
    with pytest.raises(RollbackFailedError) as info:
        run(repo.path, "release finish")
    assert info.value.exit_code == 11
    assert info.value.hint is not None
    assert f"git update-ref refs/heads/release/1.3.0 {release_tip}" in info.value.hint
