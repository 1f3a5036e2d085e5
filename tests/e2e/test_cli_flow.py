"""`relman flow …` as a user runs it: printed plan, exit codes, what the repository holds after."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from relman.cli.main import main

RepoBuilder = Any
PYPROJECT = '[project]\nname = "smart-dairy"\nversion = "{version}"\n'


def relman(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> tuple[int, str, str]:
    rc = main(["-C", str(repo), "flow", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def git(path: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


@pytest.fixture
def repo(repo_builder: RepoBuilder) -> RepoBuilder:
    repo_builder.commit(
        "feat: first release", {"pyproject.toml": PYPROJECT.format(version="1.2.0")}
    )
    repo_builder.tag("v1.2.0")
    repo_builder.branch("develop")
    repo_builder.checkout("develop")
    return repo_builder


def test_a_whole_cycle_from_the_command_line(
    capsys: pytest.CaptureFixture[str], repo: RepoBuilder
) -> None:
    path = repo.path
    rc, out, _ = relman(capsys, path, "feature", "start", "farm-milk-quality")
    assert rc == 0
    assert out.splitlines() == [
        "done: feature start feature/farm-milk-quality",
        " 1. git checkout -q -b feature/farm-milk-quality develop",
    ]
    repo.commit("feat(farm): add fat/snf tracking to milk production")
    assert relman(capsys, path, "feature", "finish")[0] == 0

    rc, out, _ = relman(capsys, path, "release", "start", "auto")
    assert rc == 0
    assert out.splitlines()[0] == "done: release start release/1.3.0 (version 1.3.0, tag v1.3.0)"
    assert " 2. write pyproject.toml (version 1.2.0 -> 1.3.0)" in out.splitlines()

    rc, out, _ = relman(capsys, path, "release", "finish")
    assert rc == 0
    assert " 6. git tag -a v1.3.0 -m 'Release 1.3.0' main" in out.splitlines()
    assert git(path, "describe", "--tags", "main") == "v1.3.0"
    assert git(path, "symbolic-ref", "--short", "HEAD") == "develop"


def test_dry_run_prints_the_exact_git_operations_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], repo: RepoBuilder
) -> None:
    refs = git(repo.path, "for-each-ref")
    rc, out, _ = relman(capsys, repo.path, "release", "start", "1.3.0", "--dry-run")
    assert rc == 0
    assert out.splitlines() == [
        "dry run: release start release/1.3.0 (version 1.3.0, tag v1.3.0) would run:",
        " 1. git checkout -q -b release/1.3.0 develop",
        " 2. write pyproject.toml (version 1.2.0 -> 1.3.0)",
        " 3. git add -- pyproject.toml",
        "    git commit -q -m 'chore(release): bump version to 1.3.0'",
        "nothing was changed (dry run)",
    ]
    assert git(repo.path, "for-each-ref") == refs
    assert git(repo.path, "status", "--porcelain") == ""


def test_json_output(capsys: pytest.CaptureFixture[str], repo: RepoBuilder) -> None:
    rc, out, _ = relman(capsys, repo.path, "bugfix", "start", "SD-42-credit-limit", "--json")
    assert rc == 0
    data = json.loads(out)
    assert (data["action"], data["branch"], data["executed"]) == (
        "bugfix start",
        "bugfix/SD-42-credit-limit",
        True,
    )
    assert data["steps"] == [
        {
            "step": "CreateBranch",
            "commands": ["git checkout -q -b bugfix/SD-42-credit-limit develop"],
        }
    ]


def test_hotfix_reports_the_version_file_resolution(
    capsys: pytest.CaptureFixture[str], repo: RepoBuilder
) -> None:
    path = repo.path
    repo.commit("feat(farm): breeding records")
    relman(capsys, path, "release", "start")
    repo.checkout("develop")
    rc, out, _ = relman(capsys, path, "hotfix", "start", "payment-timeout")
    assert rc == 0
    assert "(version 1.2.1-hotfix.1, tag v1.2.1-hotfix.1)" in out.splitlines()[0]
    repo.commit("fix(b2b): resolve payment gateway timeout")
    rc, out, _ = relman(capsys, path, "hotfix", "finish")
    assert rc == 0
    assert "note: also merged into the open release branch release/1.3.0" in out
    assert (
        "resolved: pyproject.toml: version conflict merging hotfix/payment-timeout into "
        "release/1.3.0 resolved by keeping release/1.3.0's 1.3.0 "
        "(hotfix/payment-timeout had 1.2.1-hotfix.1)"
    ) in out


@pytest.mark.parametrize(
    ("args", "setup", "code", "message"),
    [
        (["feature", "start", "milkquality"], None, 4, "[branch-module]"),
        (["feature", "start", "farm-x"], "dirty", 6, "the working tree is dirty: scratch.txt"),
        (["release", "start", "1.2.0"], None, 6, "tag 'v1.2.0' already exists"),
        (["release", "start", "1.3"], None, 4, "invalid version"),
        (["feature", "finish"], None, 5, "no feature branch is open"),
        (["release", "start", "1.3.0"], "no-develop", 5, "base branch 'develop' does not exist"),
        (["release", "start", "1.3.0"], "hook", 8, "step 3 of 3 failed"),
        (["feature", "start", "farm-x", "--push"], None, 5, "remote 'origin' does not exist"),
    ],
)
def test_refusals_exit_with_the_documented_code(
    capsys: pytest.CaptureFixture[str],
    repo: RepoBuilder,
    *,
    args: list[str],
    setup: str | None,
    code: int,
    message: str,
) -> None:
    if setup == "dirty":
        repo.write({"scratch.txt": "wip\n"})
    elif setup == "no-develop":
        repo.checkout("main")
        git(repo.path, "branch", "-D", "develop")
    elif setup == "hook":
        hook = repo.path / ".git" / "hooks" / "pre-commit"
        hook.write_text("#!/bin/sh\necho 'lint failed' >&2\nexit 1\n", encoding="utf-8")
        hook.chmod(0o755)
    refs = git(repo.path, "for-each-ref")
    rc, _, err = relman(capsys, repo.path, *args)
    assert rc == code
    assert err.startswith("error: ")
    assert message in err
    assert git(repo.path, "for-each-ref") == refs


def test_a_conflict_exits_6_with_a_hint(
    capsys: pytest.CaptureFixture[str], repo: RepoBuilder
) -> None:
    path = repo.path
    relman(capsys, path, "feature", "start", "farm-x")
    repo.commit("feat(farm): x", {"a.txt": "feature\n"})
    repo.checkout("develop")
    repo.commit("feat(farm): y", {"a.txt": "develop\n"})
    rc, _, err = relman(capsys, path, "feature", "finish", "farm-x")
    assert rc == 6
    assert "merging feature/farm-x into develop conflicts in a.txt" in err
    assert "nothing was changed" in err
    assert "hint: merge develop into feature/farm-x, resolve the conflict there" in err
    assert git(path, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("source", "target", "code", "text"),
    [
        ("feature/farm-milk-quality", "develop", 0, "ok: feature/farm-milk-quality -> develop"),
        ("hotfix/payment-fix", "release/1.3.0", 0, "ok: hotfix/payment-fix -> release/1.3.0"),
        ("feature/farm-milk-quality", "main", 1, "[flow-feature-target]"),
        ("release/1.3.0", "feature/farm-x", 1, "[flow-release-target]"),
        ("wip", "develop", 1, "[branch-type]"),
    ],
)
def test_flow_check(
    capsys: pytest.CaptureFixture[str],
    repo: RepoBuilder,
    *,
    source: str,
    target: str,
    code: int,
    text: str,
) -> None:
    rc, out, err = relman(capsys, repo.path, "check", "--source", source, "--target", target)
    assert rc == code
    assert text in (out if code == 0 else err)


def test_init_from_the_command_line(
    capsys: pytest.CaptureFixture[str], repo_builder: RepoBuilder
) -> None:
    rc, out, _ = relman(capsys, repo_builder.path, "init")
    assert rc == 0
    assert out.splitlines()[:3] == [
        "done: init develop",
        " 1. git symbolic-ref HEAD refs/heads/main",
        "    git commit -q --allow-empty -m 'chore: initial commit'",
    ]
    assert git(repo_builder.path, "branch", "--format=%(refname:short)").split() == [
        "develop",
        "main",
    ]
    rc, out, _ = relman(capsys, repo_builder.path, "init")
    assert (rc, out) == (
        0,
        "init develop: nothing to do\n"
        "note: main and develop exist and the Git Flow settings are recorded\n",
    )
