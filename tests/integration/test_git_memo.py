"""RememberedTags answers like the repository it wraps, and keeps its tag listings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from relman.adapters.git_cli import GitCli
from relman.services.git_memo import RememberedTags

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
