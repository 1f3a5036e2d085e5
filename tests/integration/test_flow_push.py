"""``--push`` to a real bare repository: atomic, and undone locally when refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flow_support import git, run, snapshot
from test_flow_workflows import build_flow_repo

from relman.errors import GitError, NotFoundError

RepoBuilder = Any


@pytest.fixture
def pushed(repo_builder: RepoBuilder, tmp_path: Path) -> tuple[RepoBuilder, Path]:
    """The flow repository with a bare ``origin`` holding main, develop and the tags."""
    repo = build_flow_repo(repo_builder)
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo.path, "remote", "add", "origin", str(remote))
    git(repo.path, "push", "-q", "origin", "main", "develop", "--tags")
    return repo, remote


def remote_refs(remote: Path) -> dict[str, str]:
    out = git(remote, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ")[::-1] for line in out.splitlines())  # type: ignore[misc]


def remote_heads(remote: Path) -> dict[str, str]:
    out = git(remote, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads")
    return dict(line.split(" ", 1) for line in out.splitlines())  # type: ignore[misc]


def test_feature_start_and_finish_push(pushed: tuple[RepoBuilder, Path]) -> None:
    repo, remote = pushed
    run(repo.path, "feature start", "farm-x", push=True)
    assert "feature/farm-x" in remote_heads(remote)
    upstream = git(repo.path, "rev-parse", "--abbrev-ref", "feature/farm-x@{upstream}")
    assert upstream == "origin/feature/farm-x"
    repo.commit("feat(farm): x")
    git(repo.path, "push", "-q")
    run(repo.path, "feature finish", push=True)
    heads = remote_heads(remote)
    assert "feature/farm-x" not in heads
    assert heads["develop"] == git(repo.path, "rev-parse", "develop")


def test_release_and_hotfix_push_everything(pushed: tuple[RepoBuilder, Path]) -> None:
    repo, remote = pushed
    path = repo.path
    run(path, "release start", push=True)
    assert remote_heads(remote)["release/1.3.0"] == git(path, "rev-parse", "release/1.3.0")
    repo.checkout("develop")
    run(path, "hotfix start", "payment-timeout")
    repo.commit("fix(b2b): payment timeout")
    run(path, "hotfix finish", push=True)
    heads = remote_heads(remote)
    for branch in ("main", "develop", "release/1.3.0"):  # the open release got the fix too
        assert heads[branch] == git(path, "rev-parse", branch)
    assert "hotfix/payment-timeout" not in heads  # never pushed, nothing to delete
    assert git(remote, "rev-parse", "v1.2.1-hotfix.1^{commit}") == heads["main"]

    outcome = run(path, "release finish", push=True)
    assert outcome.plan.render()[-1].endswith(
        "origin refs/heads/main refs/tags/v1.3.0 refs/heads/develop :refs/heads/release/1.3.0"
    )
    heads = remote_heads(remote)
    assert "release/1.3.0" not in heads
    assert heads["main"] == git(path, "rev-parse", "main")
    assert heads["develop"] == git(path, "rev-parse", "develop")
    assert git(remote, "cat-file", "-t", "v1.3.0") == "tag"


def test_refused_push_restores_the_local_repository(pushed: tuple[RepoBuilder, Path]) -> None:
    repo, remote = pushed
    run(repo.path, "release start", push=True)
    repo.commit("fix: last one")
    git(repo.path, "push", "-q", "origin", "release/1.3.0")
    hook = remote / "hooks" / "pre-receive"  # a bare repository keeps its hooks at the top
    hook.write_text("#!/bin/sh\necho 'main is protected: 2 approvals required' >&2\nexit 1\n")
    hook.chmod(0o755)
    before, remote_before = snapshot(repo.path), remote_refs(remote)
    with pytest.raises(GitError) as info:
        run(repo.path, "release finish", push=True)
    assert "step 10 of 10 failed" in info.value.message
    assert "main is protected: 2 approvals required" in info.value.message
    assert info.value.hint is not None
    assert "nothing was pushed" in info.value.hint
    assert snapshot(repo.path) == before
    assert remote_refs(remote) == remote_before


def test_remote_moved_on_restores_the_branch_and_its_upstream(
    pushed: tuple[RepoBuilder, Path], tmp_path: Path
) -> None:
    repo, remote = pushed
    run(repo.path, "feature start", "farm-x", push=True)
    repo.commit("feat(farm): x")
    other = tmp_path / "colleague"
    git(tmp_path, "clone", "-q", "-b", "develop", str(remote), str(other))
    (other / "b2b.txt").write_text("theirs\n", encoding="utf-8")
    git(other, "add", "b2b.txt")
    git(other, "commit", "-q", "-m", "feat(b2b): theirs")
    git(other, "push", "-q", "origin", "develop")
    before = snapshot(repo.path)
    assert "branch.feature/farm-x.remote origin" in before["branch_config"]
    with pytest.raises(GitError, match="rejected"):
        run(repo.path, "feature finish", push=True)
    assert snapshot(repo.path) == before  # branch, its upstream config, develop: all back


def test_push_needs_the_configured_remote(repo_builder: RepoBuilder) -> None:
    repo = build_flow_repo(repo_builder)
    with pytest.raises(NotFoundError, match="remote 'origin' does not exist"):
        run(repo.path, "feature start", "farm-x", push=True)


def test_dry_run_with_push_shows_the_push_and_touches_nothing(
    pushed: tuple[RepoBuilder, Path],
) -> None:
    repo, remote = pushed
    before, remote_before = snapshot(repo.path), remote_refs(remote)
    outcome = run(repo.path, "release start", push=True, dry_run=True)
    assert outcome.plan.render()[-1] == (
        " 4. git push -q --atomic -u origin refs/heads/release/1.3.0"
    )
    assert snapshot(repo.path) == before
    assert remote_refs(remote) == remote_before
