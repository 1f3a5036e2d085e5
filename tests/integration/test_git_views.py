"""The GitRepo views answer like the repository they wrap: RememberedTags keeps its tag
listings, CountingCommits reports the commits a log streams."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from relman.adapters.git_cli import GitCli
from relman.errors import GitError
from relman.services.git_views import CountingCommits, RememberedTags

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder


def test_answers_like_the_wrapped_repository(repo_builder: RepoBuilder) -> None:
    first = repo_builder.commit("feat: a", {"a.txt": "1\n"})
    repo_builder.tag("v1.0.0")
    head = repo_builder.commit("fix: b", {"a.txt": "2\n", "b.txt": "x\n"})
    git = GitCli(repo_builder.path)
    memo = RememberedTags(git)

    assert memo.root == git.root
    assert memo.resolve("HEAD") == head
    assert [c.sha for c in memo.iter_commits("HEAD")] == [head, first]
    assert memo.list_tags(head, prefix="v") == git.list_tags(head, prefix="v")
    assert memo.changed_files(first, head) == git.changed_files(first, head)
    assert memo.read_file(head, "a.txt") == "2\n"
    assert memo.list_files(head) == ["a.txt", "b.txt"]
    assert memo.is_shallow() is False
    assert memo.current_branch() == git.current_branch()


def test_a_listing_is_read_once_per_use_case(repo_builder: RepoBuilder) -> None:
    head = repo_builder.commit("feat: a", {"a.txt": "1\n"})
    repo_builder.tag("v1.0.0")
    git = GitCli(repo_builder.path)
    memo = RememberedTags(git)
    listed = memo.list_tags(head, prefix="v")
    listed.clear()  # callers get their own copy

    repo_builder.tag("v1.0.1")
    assert [t.name for t in memo.list_tags(head, prefix="v")] == ["v1.0.0"]
    assert [t.name for t in RememberedTags(git).list_tags(head, prefix="v")] == [
        "v1.0.0",
        "v1.0.1",
    ]
    assert [t.name for t in memo.list_tags(head)] == ["v1.0.0", "v1.0.1"]  # another question


def test_a_prefetched_listing_is_the_listing(repo_builder: RepoBuilder) -> None:
    first = repo_builder.commit("feat: a", {"a.txt": "1\n"})
    repo_builder.tag("v1.0.0")
    head = repo_builder.commit("fix: b", {"a.txt": "2\n"})
    repo_builder.tag("v1.0.1")
    git = GitCli(repo_builder.path)
    with RememberedTags(git) as memo:
        memo.prefetch_tags(head, prefix="v")
        memo.prefetch_tags(first, prefix="v")
        memo.prefetch_tags(head, prefix="v")  # asked twice: one walk
        assert [c.sha for c in memo.iter_commits("HEAD")] == [head, first]  # meanwhile
        assert [t.name for t in memo.list_tags(first, prefix="v")] == ["v1.0.0"]
        assert [t.name for t in memo.list_tags(head, prefix="v")] == ["v1.0.0", "v1.0.1"]
        repo_builder.tag("v1.0.2")  # the listing is remembered, like one listed in the foreground
        assert [t.name for t in memo.list_tags(head, prefix="v")] == ["v1.0.0", "v1.0.1"]


def test_a_prefetch_that_fails_fails_when_asked_for(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("feat: a", {"a.txt": "1\n"})
    git = GitCli(repo_builder.path)
    missing = "0" * 40
    with pytest.raises(GitError) as direct:
        git.list_tags(missing, prefix="v")
    with RememberedTags(git) as memo:
        memo.prefetch_tags(missing, prefix="v")  # no error yet
        with pytest.raises(GitError) as caught:
            memo.list_tags(missing, prefix="v")
    assert "must point to a commit" in caught.value.message
    assert (caught.value.message, caught.value.where) == (direct.value.message, direct.value.where)


def test_counting_commits_reports_long_logs_and_their_end(repo_builder: RepoBuilder) -> None:
    repo_builder.import_history([f"fix: {i}\n" for i in range(25)])
    seen: list[object] = []
    git = CountingCommits(
        GitCli(repo_builder.path),
        on_count=seen.append,
        on_done=lambda: seen.append("done"),
        every=5,
        show_after=10,
    )
    assert len(list(git.iter_commits("HEAD"))) == 25
    assert seen == [10, 15, 20, 25, "done"]

    seen.clear()
    assert len(list(git.iter_commits("HEAD~20"))) == 5  # a short log: nothing to show
    assert seen == []

    seen.clear()
    log = git.iter_commits("HEAD")
    for _ in range(12):
        next(log)
    log.close()  # the consumer stops early: the spinner still goes away
    assert seen == [10, "done"]
    assert git.root == repo_builder.git("rev-parse", "--show-toplevel")
