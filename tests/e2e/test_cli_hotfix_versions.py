"""One rule for the latest production version (J-003 §2.3, §4.2), from the command line.

After ``relman flow hotfix finish`` shipped 1.2.1-hotfix.1 on top of 1.2.0, the workflow ends
on develop, where the hotfix *branch* was merged (the tag sits on main's merge commit).
``version current`` must say 1.2.1-hotfix.1 there; ``release plan --type hotfix --version
auto``, ``incident open --start-branch`` and ``flow hotfix start`` must all propose
1.2.1-hotfix.2; the next regular patch is still 1.2.1.
"""

from __future__ import annotations

from typing import Any

import pytest
from calendar_support import PEOPLE_TOML, Cli, bdt, use_clock, use_store

HOTFIX = "hotfix/payments-timeout"


@pytest.fixture
def shipped_hotfix(repo_builder: Any, capsys: pytest.CaptureFixture[str]) -> Cli:
    """1.2.0 released and 1.2.1-hotfix.1 shipped, with relman's own Git Flow; on develop."""
    repo_builder.commit(
        "chore: start", {"relman.toml": PEOPLE_TOML, ".gitignore": ".relman/\n", "a.py": "A\n"}
    )
    cli = Cli(repo_builder.path, capsys)
    cli.ok("flow", "init")
    repo_builder.checkout("develop")
    repo_builder.commit("feat(payments): checkout with the payment gateway", {"pay.py": "T=2\n"})
    cli.ok("flow", "release", "start", "1.2.0")
    cli.ok("flow", "release", "finish")
    cli.ok("flow", "hotfix", "start", "payments-timeout")
    repo_builder.commit("fix(payments): raise the gateway timeout", {"pay.py": "T=9\n"})
    cli.ok("flow", "hotfix", "finish")
    assert repo_builder.git("branch", "--show-current") == "develop"
    # the tag is on main's merge commit, which develop does not contain
    tagged = repo_builder.git("rev-list", "-n1", "v1.2.1-hotfix.1")
    assert repo_builder.git("merge-base", "--is-ancestor", tagged, "HEAD", check=False) == ""
    assert "v1.2.1-hotfix.1" not in repo_builder.git("tag", "--merged", "HEAD").split()
    return cli


def test_version_current_on_develop_is_the_shipped_hotfix(shipped_hotfix: Cli) -> None:
    assert shipped_hotfix.ok("version", "current").split()[0] == "1.2.1-hotfix.1"
    shown = shipped_hotfix.json("version", "current")
    assert (shown["current"], shown["tag"]) == ("1.2.1-hotfix.1", "v1.2.1-hotfix.1")
    assert (shown["production"], shown["last_final"]) == ("1.2.1-hotfix.1", "1.2.0")


def test_the_next_regular_patch_after_a_hotfix_is_the_patch(shipped_hotfix: Cli) -> None:
    shown = shipped_hotfix.json("version", "next")
    assert (shown["current"], shown["next"], shown["bump"]) == ("1.2.1-hotfix.1", "1.2.1", "patch")


def test_an_rc_is_not_production(shipped_hotfix: Cli, repo_builder: Any) -> None:
    repo_builder.commit("feat(farm): herd view", {"farm.py": "F\n"})
    repo_builder.tag("v1.3.0-rc.1")
    shown = shipped_hotfix.json("version", "current")
    assert (shown["current"], shown["production"]) == ("1.3.0-rc.1", "1.2.1-hotfix.1")
    out = shipped_hotfix.ok("version", "current")
    assert "production: 1.2.1-hotfix.1 (tag v1.2.1-hotfix.1" in out


def test_flow_and_release_plan_propose_the_same_next_hotfix(
    shipped_hotfix: Cli, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    flow = shipped_hotfix.ok("flow", "hotfix", "start", "another-fix", "--dry-run")
    assert "(version 1.2.1-hotfix.2, tag v1.2.1-hotfix.2)" in flow
    use_store(monkeypatch, database_url)
    use_clock(monkeypatch, bdt("2026-03-31 10:00"))
    planned = shipped_hotfix.json(
        "release", "plan", "--type", "hotfix", "--version", "auto",
        "--target-date", "2026-03-31", "--as", "rana",
    )  # fmt: skip
    assert planned["release"]["version"] == "1.2.1-hotfix.2"


def test_an_incident_hotfix_after_a_shipped_hotfix_starts_its_branch(
    shipped_hotfix: Cli, repo_builder: Any, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    use_store(monkeypatch, database_url)
    use_clock(monkeypatch, bdt("2026-03-31 10:00"))
    opened = shipped_hotfix.json(
        "incident", "open", "--severity", "P1", "--title", "Payments down again",
        "--start-branch", "--as", "ikram",
    )  # fmt: skip
    assert opened["hotfix_release"]["version"] == "1.2.1-hotfix.2"
    assert opened["branch"] == "hotfix/inc-1-payments-down-again"
    assert not [w for w in opened.get("warnings", []) if "1.2.1-hotfix" in w]
    assert repo_builder.git("branch", "--show-current") == "hotfix/inc-1-payments-down-again"
