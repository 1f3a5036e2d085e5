"""`relman flow release|hotfix start` skip or refuse a spent version (a version is one build).

Release 1.3.0 is planned from develop and deployed to dev, where its health check fails and the
deployment is rolled back; nobody tags it. Git alone still says 1.3.0 is next, but the build of
1.3.0 is installed on dev (immutable): ``flow release start`` (auto) must start release/1.3.1
and say why, as ``release plan --version auto`` does; ``flow release start 1.3.0`` is refused
before any branch exists. A hotfix whose version is spent is refused before its branch too. A
repository without a release store is not asked about one and gets no database.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from calendar_support import PEOPLE_TOML, Cli, use_store


def _failing_dev(hosts: Path) -> str:
    """dev is a command target whose health check fails: a deployment there is rolled back."""
    log = hosts / "dev.log"
    return (
        "[windows]\nenvironments = {}\n\n[deployments.environments.dev]\ngates = []\n\n"
        '[deployments.environments.dev.target]\nkind = "command"\n\n'
        "[deployments.environments.dev.target.steps]\n"
        f'deploy = {{ argv = ["sh", "-c", "echo deploy {{version}} >> {log}"] }}\n'
        f'health = {{ argv = ["sh", "-c", "echo unhealthy {{version}} >> {log}; exit 1"] }}\n'
        f'rollback = {{ argv = ["sh", "-c", "echo rollback {{version}} >> {log}"] }}\n'
    )


@pytest.fixture
def cli(repo_builder: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Cli:
    """1.2.0 released on main; develop has a feature; dev deployments are rolled back."""
    (tmp_path / "hosts").mkdir()
    policy = f"{PEOPLE_TOML}\n{_failing_dev(tmp_path / 'hosts')}"
    repo_builder.commit("chore: relman policy", {"relman.toml": policy, ".gitignore": ".relman/\n"})
    repo_builder.tag("v1.2.0")
    repo_builder.branch("develop")
    repo_builder.checkout("develop")
    repo_builder.commit("feat(farm): milk quality tracking", {"farm.py": "Q = 1\n"})
    return Cli(repo_builder.path, capsys)


def _spend(cli: Cli, tmp_path: Path, release_type: str) -> dict[str, Any]:
    """Plan a release with --version auto and deploy it to dev, where it is rolled back."""
    target = (date.today() + timedelta(days=10)).isoformat()
    planned = cli.json(
        "release", "plan", "--type", release_type, "--version", "auto",
        "--target-date", target, "--as", "rana",
    )["release"]  # fmt: skip
    artifact = tmp_path / f"build-{planned['version']}.tar.gz"
    artifact.write_bytes(b"the one build of this version\n")
    err = cli.error(
        10, "deploy", planned["id"], "--env", "dev", "--artifact", str(artifact), "--as", "dipu"
    )
    assert f"to dev failed and was rolled back: step 2 (wait until {planned['version']}" in err
    return dict(planned)


def _branches(repo_builder: Any) -> list[str]:
    return repo_builder.git("branch", "--format=%(refname:short)").split()


def test_release_start_skips_a_version_whose_build_was_rolled_back(
    cli: Cli, repo_builder: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    use_store(monkeypatch, database_url)
    spent = _spend(cli, tmp_path, "minor")
    assert (spent["id"], spent["version"]) == ("R-1", "1.3.0")
    assert cli.json("version", "next")["next"] == "1.3.0"  # git alone does not know
    why = "version 1.3.0 has a build (D-1 deployed it to dev) (R-1)"

    # the spent version given explicitly: refused before any branch, nothing recorded
    err = cli.error(6, "flow", "release", "start", "1.3.0", "--as", "rana")
    assert err.splitlines()[:2] == [
        f"error: {why}: a version is one build, and its artifact is already installed "
        "(immutable) on the targets (VERSION)",
        "hint: start the next version, or 'auto' to take the next free one",
    ]
    assert _branches(repo_builder) == ["develop", "main"]
    assert [r["id"] for r in cli.json("release", "list")] == ["R-1"]

    # a dry run shows the version it would take and why
    out = cli.ok("flow", "release", "start", "--dry-run", "--as", "rana")
    assert (
        out.splitlines()[0]
        == "dry run: release start release/1.3.1 (version 1.3.1, tag v1.3.1) would run:"
    )
    assert f"note: {why}: the release starts as 1.3.1 instead" in out
    assert _branches(repo_builder) == ["develop", "main"]

    # auto: the next free version, as release plan --version auto, with the reason
    shown = cli.json("flow", "release", "start", "--as", "rana")
    assert (shown["branch"], shown["version"], shown["executed"]) == (
        "release/1.3.1",
        "1.3.1",
        True,
    )
    assert f"{why}: the release starts as 1.3.1 instead" in shown["notes"]
    assert _branches(repo_builder) == ["develop", "main", "release/1.3.1"]
    record = shown["record"]
    assert (record["action"], record["done"], record["release_id"]) == ("create", True, "R-2")
    releases = {r["id"]: r for r in cli.json("release", "list")}
    assert releases["R-2"]["version"] == "1.3.1"
    assert releases["R-2"]["commit_sha"] == repo_builder.git("rev-parse", "release/1.3.1")
    assert cli.ok("audit", "verify")


def test_a_named_open_record_is_continued(
    cli: Cli, repo_builder: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """--release R-1: the team continues that record (its build is the one of 1.3.0), warned
    that 1.3.0 is spent and told to plan a new release for another build."""
    use_store(monkeypatch, database_url)
    _spend(cli, tmp_path, "minor")
    warning = (
        "version 1.3.0 has a build (D-1 deployed it to dev) (R-1): a version is one build, so "
        "R-1 is continued as --release asks, but do not build or deploy 1.3.0 again; for a new "
        "build plan a new release (relman release plan --version auto)"
    )
    code, out, err = cli(
        "flow", "release", "start", "--release", "R-1", "--dry-run", "--as", "rana"
    )
    assert code == 0, err
    assert out.startswith("dry run: release start release/1.3.0 (version 1.3.0, tag v1.3.0)")
    assert f"warning: {warning}" in " ".join(err.split())  # Rich wraps the long line
    assert _branches(repo_builder) == ["develop", "main"]

    shown = cli.json("flow", "release", "start", "--release", "R-1", "--as", "rana")
    assert (shown["branch"], shown["record"]["release_id"]) == ("release/1.3.0", "R-1")
    assert shown["record"]["done"]
    assert shown["warnings"] == [warning]


def test_hotfix_start_refuses_a_spent_hotfix_version(
    cli: Cli, repo_builder: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    use_store(monkeypatch, database_url)
    repo_builder.checkout("main")
    spent = _spend(cli, tmp_path, "hotfix")
    assert (spent["id"], spent["version"]) == ("R-1", "1.2.1-hotfix.1")
    repo_builder.checkout("develop")

    err = cli.error(6, "flow", "hotfix", "start", "payments-timeout", "--as", "rana")
    # located at the production tag the hotfix's version is computed from
    assert err.splitlines()[0] == (
        "error: version 1.2.1-hotfix.1 has a build (D-1 deployed it to dev) (R-1): a version is "
        "one build, and its artifact is already installed (immutable) on the targets (v1.2.0)"
    )
    assert "relman release plan --type hotfix --version auto" in err  # the way on
    assert _branches(repo_builder) == ["develop", "main"]
    assert repo_builder.git("branch", "--show-current") == "develop"
    assert [r["id"] for r in cli.json("release", "list")] == ["R-1"]


def test_without_a_store_flow_asks_none_and_creates_no_database(
    cli: Cli, repo_builder: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "state" / "relman.db"
    monkeypatch.setenv("RELMAN_DATABASE_URL", f"sqlite:///{db.as_posix()}")
    shown = cli.json("flow", "release", "start", "--as", "rana")
    assert (shown["branch"], shown["executed"]) == ("release/1.3.0", True)
    assert shown["record"]["action"] == "skip"
    cli.ok("flow", "release", "finish", "--as", "rana")
    shown = cli.json("flow", "hotfix", "start", "--as", "rana")
    assert (shown["version"], shown["executed"]) == ("1.3.1-hotfix.1", True)
    assert not db.exists()
    assert not (db.parent).exists()
    assert not (repo_builder.path / ".relman").exists()
