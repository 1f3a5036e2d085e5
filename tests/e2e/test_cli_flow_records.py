"""`relman flow release|hotfix …` with the release store, as a user runs it from the CLI.

What the user sees: the record lines after the git steps, the release list, the exit code, and
that a repository that never used releases gets no database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from relman.cli.main import main

RepoBuilder = Any
PYPROJECT = '[project]\nname = "smart-dairy"\nversion = "{version}"\n'
PEOPLE = '[people.meher]\nname = "Meher Release"\nroles = ["release_manager"]\n'


def relman(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> tuple[int, str, str]:
    rc = main(["-C", str(repo), *args])
    out, err = capsys.readouterr()
    return rc, out, err


def git(path: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def release_list(capsys: pytest.CaptureFixture[str], repo: Path) -> list[dict[str, Any]]:
    rc, out, err = relman(capsys, repo, "release", "list", "--json")
    assert rc == 0, err
    data = json.loads(out)
    return list(data["releases"] if isinstance(data, dict) else data)


@pytest.fixture
def repo(repo_builder: RepoBuilder) -> RepoBuilder:
    repo_builder.commit(
        "feat: first release",
        {"pyproject.toml": PYPROJECT.format(version="1.2.0"), "relman.toml": PEOPLE},
    )
    repo_builder.tag("v1.2.0")
    repo_builder.branch("develop")
    repo_builder.checkout("develop")
    repo_builder.commit("feat(farm): milk quality tracking")
    return repo_builder


@pytest.fixture
def with_store(capsys: pytest.CaptureFixture[str], repo: RepoBuilder) -> RepoBuilder:
    """The repository uses releases: its store (.relman/relman.db) exists."""
    assert relman(capsys, repo.path, "db", "upgrade")[0] == 0
    return repo


def test_release_start_and_finish_create_then_bind_the_record(
    capsys: pytest.CaptureFixture[str],
    repo: RepoBuilder,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELMAN_DATABASE_URL", database_url)
    monkeypatch.setenv("RELMAN_ACTOR", "meher")
    assert relman(capsys, repo.path, "db", "upgrade")[0] == 0

    rc, out, err = relman(capsys, repo.path, "flow", "release", "start")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "done: release start release/1.3.0 (version 1.3.0, tag v1.3.0)"
    assert lines[-2].startswith("record: created R-1: Minor release 1.3.0, target ")
    assert lines[-1] == "record: linked R-1 to release/1.3.0 (flow.link)"
    [record] = release_list(capsys, repo.path)
    assert record["commit_sha"] == git(repo.path, "rev-parse", "release/1.3.0")

    rc, out, err = relman(capsys, repo.path, "flow", "release", "finish")
    assert rc == 0, err
    tagged = git(repo.path, "rev-parse", "v1.3.0^{commit}")
    assert out.splitlines()[-2:] == [
        f"record: R-1 bound to commit {tagged[:12]} (was {record['commit_sha'][:12]})",
        "record: linked R-1 to v1.3.0 (flow.finish)",
    ]
    [record] = release_list(capsys, repo.path)
    assert record["commit_sha"] == tagged

    rc, out, _ = relman(capsys, repo.path, "audit", "list", "--subject", "R-1", "--json")
    assert rc == 0
    actions = [e["action"] for e in json.loads(out)]
    assert actions[-2:] == ["release.commit", "flow.finish"]
    assert "flow.link" in actions


def test_dry_run_prints_the_record_action_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], with_store: RepoBuilder
) -> None:
    path = with_store.path
    rc, out, err = relman(
        capsys,
        path,
        "flow",
        "release",
        "start",
        "--dry-run",
        "--as",
        "meher",
        "--target-date",
        "2099-01-31",
    )
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[-2].startswith(
        "record: would create a minor release record for 1.3.0 bound to release/1.3.0 "
        "(target 2099-01-31, planned by meher; lead time "
    )
    assert lines[-1] == "nothing was changed (dry run)"
    assert release_list(capsys, path) == []
    assert "release/1.3.0" not in git(path, "branch")


def test_json_carries_the_record(
    capsys: pytest.CaptureFixture[str], with_store: RepoBuilder
) -> None:
    rc, out, _ = relman(
        capsys, with_store.path, "flow", "release", "start", "--as", "meher", "--json"
    )
    assert rc == 0
    record = json.loads(out)["record"]
    assert (record["action"], record["done"], record["release_id"]) == ("create", True, "R-1")
    assert record["commit_sha"] == git(with_store.path, "rev-parse", "release/1.3.0")


def test_no_record_leaves_the_store_alone(
    capsys: pytest.CaptureFixture[str], with_store: RepoBuilder
) -> None:
    rc, out, _ = relman(
        capsys, with_store.path, "flow", "release", "start", "--no-record", "--as", "meher"
    )
    assert rc == 0
    assert "record:" not in out
    assert release_list(capsys, with_store.path) == []


def test_without_a_store_flow_creates_no_database(
    capsys: pytest.CaptureFixture[str], repo: RepoBuilder
) -> None:
    rc, out, _ = relman(capsys, repo.path, "flow", "release", "start", "--as", "meher")
    assert rc == 0
    assert "record:" not in out  # a repository without releases hears nothing about them
    rc, _, _ = relman(capsys, repo.path, "flow", "release", "finish", "--as", "meher")
    assert rc == 0
    assert not (repo.path / ".relman").exists()

    rc, _, err = relman(capsys, repo.path, "flow", "hotfix", "start", "--release", "R-1")
    assert rc == 5
    assert "no release store to link R-1" in err
    assert not (repo.path / ".relman").exists()
    assert "hotfix/" not in git(repo.path, "branch")


def test_a_failed_workflow_creates_no_record(
    capsys: pytest.CaptureFixture[str], with_store: RepoBuilder
) -> None:
    hook = with_store.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'lint failed' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    rc, _, err = relman(capsys, with_store.path, "flow", "release", "start", "--as", "meher")
    assert rc != 0
    assert "nothing was changed" in err
    assert release_list(capsys, with_store.path) == []


def test_a_record_failure_after_git_is_a_warning_with_the_command_to_run(
    capsys: pytest.CaptureFixture[str], with_store: RepoBuilder
) -> None:
    path = with_store.path
    plan = ["--type", "minor", "--version", "1.3.0", "--target-date", "2099-01-31"]
    rc, _, err = relman(capsys, path, "release", "plan", *plan, "--as", "meher")
    assert rc == 0, err
    # while git runs, someone cancels the record (a real second process on the same store)
    hook = path / ".git" / "hooks" / "post-commit"
    hook.write_text(
        f"#!/bin/sh\n'{sys.executable}' -m relman -C '{path}' release cancel R-1 "
        "--reason 'replanned' --as meher >/dev/null\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)

    rc, out, err = relman(capsys, path, "flow", "release", "start", "--as", "meher")

    assert rc == 0  # the git workflow succeeded and stays done
    assert out.splitlines()[0] == "done: release start release/1.3.0 (version 1.3.0, tag v1.3.0)"
    warning = "warning: the release start succeeded in git, but the release record was not updated"
    assert warning in err
    assert "run by hand: relman flow link release/1.3.0 --release R-1 --as meher" in err
    [record] = release_list(capsys, path)
    assert record["phase"] == "CANCELLED"


def test_flow_link_does_the_record_work_by_hand(
    capsys: pytest.CaptureFixture[str], with_store: RepoBuilder
) -> None:
    path = with_store.path
    assert relman(capsys, path, "flow", "release", "start")[0] == 0  # no person: no record
    assert release_list(capsys, path) == []

    rc, out, _ = relman(capsys, path, "flow", "link", "release/1.3.0", "--dry-run", "--as", "meher")
    assert rc == 0
    assert out.startswith("record: would create a minor release record for 1.3.0")
    assert release_list(capsys, path) == []

    rc, out, err = relman(capsys, path, "flow", "link", "release/1.3.0", "--as", "meher")
    assert rc == 0, err
    assert out.splitlines()[-1] == "record: linked R-1 to release/1.3.0 (flow.link)"
    [record] = release_list(capsys, path)
    assert record["commit_sha"] == git(path, "rev-parse", "release/1.3.0")

    rc, _, err = relman(capsys, path, "flow", "link", "develop", "--as", "meher")
    assert rc == 4
    assert "neither a release or hotfix branch nor a release tag" in err
    rc, _, err = relman(capsys, path, "flow", "link", "release/1.3.0")
    assert rc == 4
    assert "who is acting?" in err


def test_hotfix_start_links_a_planned_hotfix_record(
    capsys: pytest.CaptureFixture[str], with_store: RepoBuilder
) -> None:
    path = with_store.path
    with_store.checkout("main")
    plan = ["--type", "hotfix", "--version", "1.2.1-hotfix.1", "--target-date", "2099-01-31"]
    rc, _, err = relman(capsys, path, "release", "plan", *plan, "--as", "meher")
    assert rc == 0, err
    with_store.checkout("develop")

    rc, out, err = relman(
        capsys, path, "flow", "hotfix", "start", "payment-timeout", "--as", "meher"
    )
    assert rc == 0, err
    assert "record: linked R-1 to hotfix/payment-timeout (flow.link)" in out.splitlines()
    with_store.commit("fix(b2b): payment gateway timeout")
    rc, out, err = relman(capsys, path, "flow", "hotfix", "finish", "--as", "meher")
    assert rc == 0, err
    assert "record: linked R-1 to v1.2.1-hotfix.1 (flow.finish)" in out.splitlines()
    [record] = release_list(capsys, path)
    assert record["release_type"] == "hotfix"
    assert record["commit_sha"] == git(path, "rev-parse", "v1.2.1-hotfix.1^{commit}")


def test_an_unreachable_database_refuses_before_git_unless_no_record(
    capsys: pytest.CaptureFixture[str], repo: RepoBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELMAN_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/relman")
    rc, _, err = relman(capsys, repo.path, "flow", "release", "start", "--as", "meher")
    assert rc == 12
    assert "cannot connect to the database" in err
    assert "--no-record" in err
    assert "release/1.3.0" not in git(repo.path, "branch")

    rc, _, err = relman(capsys, repo.path, "flow", "release", "start", "--no-record")
    assert rc == 0, err
    assert "release/1.3.0" in git(repo.path, "branch")
