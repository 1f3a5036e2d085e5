"""GitCli against real repositories built in tmp_path."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from relman.adapters import git_cli
from relman.adapters.git_cli import GitCli, to_pathspec
from relman.errors import GitError, NotFoundError
from relman.ports import FileChange

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder


@pytest.fixture
def repo(repo_builder: RepoBuilder) -> RepoBuilder:
    b = repo_builder
    b.commit("chore: initial import", {"README.md": "Smart Dairy\n"})
    b.tag("v1.0.0")
    b.commit(
        "feat(farm): herd view\n\nShows every cow.\n\nRefs: SD-101",
        {"addons/smart_farm/a.py": "1\n"},
    )
    b.commit("fix(b2b): price rounding", {"addons/b2b_portal/b.py": "1\n"})
    b.tag("v1.1.0", annotated=False)
    return b


def test_not_a_repository_names_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    with pytest.raises(GitError, match="not a git repository") as info:
        GitCli(plain)
    assert info.value.where == str(plain.resolve())


def test_missing_directory_is_a_git_error(tmp_path: Path) -> None:
    with pytest.raises(GitError) as info:
        GitCli(tmp_path / "nope")
    assert str(tmp_path / "nope") in str(info.value)


def test_missing_git_executable_is_a_git_error(repo: RepoBuilder) -> None:
    with pytest.raises(GitError, match="cannot run git"):
        GitCli(repo.path, executable="git-that-does-not-exist")


def test_root_is_the_top_level_from_a_subdirectory(repo: RepoBuilder) -> None:
    sub = repo.path / "addons" / "smart_farm"
    assert Path(GitCli(sub).root) == repo.path.resolve()


def test_resolve_peels_annotated_tags_to_commits(repo: RepoBuilder) -> None:
    git = GitCli(repo.path)
    assert git.resolve("v1.0.0") == repo.git("rev-parse", "HEAD~2")
    assert git.resolve("HEAD") == repo.head()
    assert git.resolve("main") == repo.head()


@pytest.mark.parametrize("ref", ["v9.9.9", "--all", "HEAD~99", "main..v1.0.0", ""])
def test_resolve_unknown_ref_is_not_found(repo: RepoBuilder, ref: str) -> None:
    git = GitCli(repo.path)
    with pytest.raises(NotFoundError) as info:
        git.resolve(ref)
    assert info.value.message == f"unknown revision {ref!r}"
    assert info.value.where == git.root


def test_iter_commits_reads_every_field(repo: RepoBuilder) -> None:
    commits = list(GitCli(repo.path).iter_commits("HEAD"))
    assert [c.message.splitlines()[0] for c in commits] == [
        "fix(b2b): price rounding",
        "feat(farm): herd view",
        "chore: initial import",
    ]
    feat = commits[1]
    assert feat.message == "feat(farm): herd view\n\nShows every cow.\n\nRefs: SD-101"
    assert feat.parents == (commits[2].sha,)
    assert (feat.author_name, feat.author_email) == ("Rahim Dev", "rahim@smartdairy.test")
    assert feat.date == "2026-01-01T00:02:00+06:00"
    assert commits[2].parents == ()
    assert not feat.is_merge


def test_iter_commits_range_and_rev_list(repo: RepoBuilder) -> None:
    git = GitCli(repo.path)
    by_range = [c.sha for c in git.iter_commits("v1.0.0..HEAD")]
    by_list = [c.sha for c in git.iter_commits(["^v1.0.0", "HEAD"])]
    assert by_range == by_list == [repo.git("rev-parse", "HEAD"), repo.git("rev-parse", "HEAD~1")]
    assert list(git.iter_commits("v1.1.0..HEAD")) == []


def test_iter_commits_keeps_unicode_and_odd_messages(repo_builder: RepoBuilder) -> None:
    message = "feat: দুধ সংগ্রহ ✓\n\nline with\ttab and \x1f unit separator\n\ntrailing lines\n\n"
    repo_builder.commit(message)
    [commit] = GitCli(repo_builder.path).iter_commits("HEAD")
    assert commit.message == message.rstrip("\n")


def test_iter_commits_marks_merges(repo: RepoBuilder) -> None:
    repo.branch("feature/SD-7-milk", "main")
    repo.checkout("feature/SD-7-milk")
    repo.commit("feat: milk yield")
    repo.checkout("main")
    repo.commit("fix: typo")
    repo.merge("feature/SD-7-milk", "Merge pull request #7 from feature/SD-7-milk")
    commits = list(GitCli(repo.path).iter_commits("v1.1.0..HEAD"))
    assert len(commits) == 3
    assert commits[0].is_merge
    assert len(commits[0].parents) == 2


def test_iter_commits_unknown_revision_is_not_found(repo: RepoBuilder) -> None:
    with pytest.raises(NotFoundError, match=r"unknown revision 'v9\.9\.9\.\.HEAD'"):
        list(GitCli(repo.path).iter_commits("v9.9.9..HEAD"))


@pytest.mark.parametrize(
    "paths",
    [
        ("addons/smart_farm/",),
        ("addons/smart_farm",),
        ("addons/smart_farm/**",),
        ("addons/smart_*/**",),
    ],
)
def test_iter_commits_path_filters(repo: RepoBuilder, paths: tuple[str, ...]) -> None:
    commits = list(GitCli(repo.path).iter_commits("HEAD", paths=paths))
    assert [c.message.splitlines()[0] for c in commits] == ["feat(farm): herd view"]


def test_iter_commits_several_path_filters(repo: RepoBuilder) -> None:
    paths = ("addons/smart_farm/**", "addons/b2b_portal/")
    assert len(list(GitCli(repo.path).iter_commits("HEAD", paths=paths))) == 2


@pytest.mark.parametrize(
    ("pattern", "spec"),
    [
        ("addons/smart_farm/", "addons/smart_farm/"),
        ("addons/smart_farm/**", ":(glob)addons/smart_farm/**"),
        ("addons/*/models", ":(glob)addons/*/models"),
        (":(exclude)docs", ":(exclude)docs"),
    ],
)
def test_to_pathspec(pattern: str, spec: str) -> None:
    assert to_pathspec(pattern) == spec


def _fast_import(path: Path, count: int, body: str = "") -> None:
    lines = []
    for i in range(1, count + 1):
        msg = f"fix: change number {i}\n{body}".encode()
        lines.append(b"commit refs/heads/main\n")
        lines.append(f"committer Bot <bot@x> {1767204000 + i} +0600\n".encode())
        lines.append(b"data %d\n%s\n" % (len(msg), msg))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(lines), check=True)


def test_stopping_early_reaps_the_git_process(
    repo_builder: RepoBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ~3 MB of log: more than the pipe (1 MiB) and our first read hold, so git is still running
    _fast_import(repo_builder.path, 3000, body="\n" + "milk " * 200)
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        proc: subprocess.Popen[bytes] = real_popen(*args, **kwargs)
        if "log" in args[0]:
            started.append(proc)
        return proc

    monkeypatch.setattr(git_cli.subprocess, "Popen", recording_popen)
    stream = GitCli(repo_builder.path).iter_commits("main")
    first = next(stream)
    assert first.message.startswith("fix: change number 3000\n")
    stream.close()
    [proc] = started
    # git was still blocked writing the rest of the log: it was killed and waited for
    assert proc.returncode == -signal.SIGKILL


def test_iter_commits_streams_a_long_history(repo_builder: RepoBuilder) -> None:
    _fast_import(repo_builder.path, 3000)
    shas = [c.sha for c in GitCli(repo_builder.path).iter_commits("main")]
    assert len(shas) == len(set(shas)) == 3000


def test_list_tags_peels_annotated_and_keeps_lightweight(repo: RepoBuilder) -> None:
    tags = {t.name: t.sha for t in GitCli(repo.path).list_tags()}
    assert tags == {"v1.0.0": repo.git("rev-parse", "HEAD~2"), "v1.1.0": repo.head()}


def test_list_tags_merged_into_ignores_unmerged_branches(repo: RepoBuilder) -> None:
    repo.branch("experiment", "v1.0.0")
    repo.checkout("experiment")
    repo.commit("feat: experiment")
    repo.tag("v9.0.0")
    repo.checkout("main")
    git = GitCli(repo.path)
    assert {t.name for t in git.list_tags(merged_into="HEAD")} == {"v1.0.0", "v1.1.0"}
    assert {t.name for t in git.list_tags(merged_into="v1.0.0")} == {"v1.0.0"}
    assert {t.name for t in git.list_tags()} == {"v1.0.0", "v1.1.0", "v9.0.0"}


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("", {"v1.0.0", "v1.1.0", "farm-v1.0.0", "farm-v2/x", "farm-odd", "release/1.0.0"}),
        ("v", {"v1.0.0", "v1.1.0"}),
        ("farm-v", {"farm-v1.0.0", "farm-v2/x"}),
        ("farm-", {"farm-v1.0.0", "farm-v2/x", "farm-odd"}),
        ("farm-[", set()),  # git refuses [ in ref names: nothing can match
        ("release/", {"release/1.0.0"}),
        ("b2b-v", set()),
    ],
)
def test_list_tags_with_a_prefix(repo: RepoBuilder, prefix: str, expected: set[str]) -> None:
    for name in ("farm-v1.0.0", "farm-v2/x", "farm-odd", "release/1.0.0"):
        repo.tag(name, annotated=False)
    tags = GitCli(repo.path).list_tags(merged_into="HEAD", prefix=prefix)
    assert {t.name for t in tags} == expected


def test_list_tags_merged_into_unknown_ref_is_not_found(repo: RepoBuilder) -> None:
    with pytest.raises(NotFoundError, match=r"v9\.9\.9"):
        GitCli(repo.path).list_tags(merged_into="v9.9.9")


def test_list_tags_of_a_repository_without_tags(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("feat: start")
    assert GitCli(repo_builder.path).list_tags(merged_into="HEAD") == []


def test_changed_files_reports_adds_edits_deletes_and_renames(repo_builder: RepoBuilder) -> None:
    b = repo_builder
    b.commit(
        "chore: base", {"keep.txt": "a\n", "gone.txt": "x\n", "old/name.py": "print(1)\n" * 20}
    )
    base = b.head()
    (b.path / "gone.txt").unlink()
    (b.path / "old" / "name.py").rename(b.path / "new_name.py")
    b.commit("refactor: move", {"keep.txt": "b\n", "added file.txt": "new\n"})
    changes = GitCli(b.path).changed_files(base, "HEAD")
    assert sorted(changes, key=lambda c: c.path) == [
        FileChange(status="A", path="added file.txt"),
        FileChange(status="D", path="gone.txt"),
        FileChange(status="M", path="keep.txt"),
        FileChange(status="R", path="new_name.py", old_path="old/name.py"),
    ]


def test_changed_files_unknown_ref_is_not_found(repo: RepoBuilder) -> None:
    with pytest.raises(NotFoundError):
        GitCli(repo.path).changed_files("v9.9.9", "HEAD")


def test_read_file(repo: RepoBuilder) -> None:
    git = GitCli(repo.path)
    assert git.read_file("v1.0.0", "README.md") == "Smart Dairy\n"
    assert git.read_file("v1.0.0", "addons/smart_farm/a.py") is None
    assert git.read_file("HEAD", "addons/smart_farm/a.py") == "1\n"
    assert git.read_file("HEAD", "addons") is None  # a tree, not a file
    with pytest.raises(NotFoundError, match=r"v9\.9\.9"):
        git.read_file("v9.9.9", "README.md")


def test_list_files(repo: RepoBuilder) -> None:
    git = GitCli(repo.path)
    assert git.list_files("v1.0.0") == ["README.md"]
    assert sorted(git.list_files("HEAD")) == [
        "README.md",
        "addons/b2b_portal/b.py",
        "addons/smart_farm/a.py",
    ]
    with pytest.raises(NotFoundError):
        git.list_files("v9.9.9")


def test_current_branch_and_detached_head(repo: RepoBuilder) -> None:
    git = GitCli(repo.path)
    assert git.current_branch() == "main"
    repo.checkout("v1.0.0")
    assert git.current_branch() is None
    assert git.resolve("HEAD") == repo.git("rev-parse", "v1.0.0^{commit}")


def test_is_shallow(repo: RepoBuilder, tmp_path: Path) -> None:
    assert GitCli(repo.path).is_shallow() is False
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True
    )
    shallow = GitCli(clone)
    assert shallow.is_shallow() is True
    assert len(list(shallow.iter_commits("HEAD"))) == 1
