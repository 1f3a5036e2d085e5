"""`relman gate waive` is bound to the build: after `relman release commit` the waiver is stale,
`relman gate status` says so (Rich and --json, naming the commit it was granted for), the release
cannot advance on it, and waiving again for the new build lets it through."""

from __future__ import annotations

from typing import Any

import pytest
from calendar_support import Cli, plan_patch_release

REASON = "risks assessed in the phase plan"


@pytest.fixture
def cli(
    repo_builder: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> Cli:
    monkeypatch.setenv("COLUMNS", "400")  # Rich tables on one line each
    return plan_patch_release(repo_builder, capsys, monkeypatch, database_url, planner="dipu")


def _risks(status: dict[str, Any]) -> dict[str, Any]:
    (gate,) = status["gates"]
    return next(c for c in gate["criteria"] if c["id"] == "G1.risks")


def test_a_waiver_goes_stale_with_a_new_commit_and_is_granted_again(
    cli: Cli, repo_builder: Any
) -> None:
    old = repo_builder.head()
    cli.ok("checklist", "tick", "R-1", "7.1.1-3", "--as", "tanvir")
    out = cli.ok("gate", "waive", "R-1", "G1", "G1.risks", "--as", "rana", "--reason", REASON)
    assert f"rana waived G1.risks of G1 of R-1 for commit {old[:12]}: {REASON}" in out
    assert "G1 passed" in cli.ok("gate", "sign", "R-1", "G1", "--as", "parvin")

    new = repo_builder.commit("fix(farm): late fix SD-141")
    out = cli.ok("release", "commit", "R-1", "--as", "rana")
    assert f"R-1 bound to commit {new[:12]} (was {old[:12]})" in out
    assert "1 sign-off(s) invalidated" in out
    assert "1 waiver(s) stale: they were granted for the old commit" in out

    stale = (
        f"waiver by rana is stale: granted for commit {old[:12]}, the release is now at "
        f"{new[:12]}; waive it again"
    )
    shown = cli.ok("gate", "status", "R-1", "G1")
    risks_row = next(line for line in shown.splitlines() if line.startswith("G1.risks"))
    assert "unmet" in risks_row and stale in risks_row
    waivers_table = shown.split("\nwaivers\n")[1]
    (waiver_row,) = [line for line in waivers_table.splitlines() if "rana" in line]
    assert "G1.risks" in waiver_row and REASON in waiver_row
    assert (
        f"STALE (granted for commit {old[:12]}, the release is now at {new[:12]}: waive again)"
        in waiver_row
    )
    status = cli.json("gate", "status", "R-1", "G1")
    assert [(w["person_id"], w["commit_sha"], w["invalidated"]) for w in status["waivers"]] == [
        ("rana", old, True)
    ]
    risks = _risks(status)
    assert risks["state"] == "unmet" and stale in risks["detail"]
    assert risks["stale_waiver"]["commit_sha"] == old
    assert status["gates"][0]["passed"] is False

    err = cli.error(7, "release", "advance", "R-1", "--as", "rana")
    assert err.startswith(
        "error: cannot advance release R-1 from PLAN to BUILD: 2 unmet (G1) (release R-1)\n"
    )
    assert (
        f"  - G1.risks: Risks assessed (not ticked: 7.1.1-4 Risk assessment completed; {stale})"
        in err
    )

    out = cli.ok("gate", "waive", "R-1", "G1", "risks", "--as", "rana", "--reason", REASON)
    assert f"for commit {new[:12]}" in out
    err = cli.error(6, "gate", "waive", "R-1", "G1", "risks", "--as", "rana", "--reason", REASON)
    assert err.startswith("error: G1.risks is already waived by rana at ")
    assert err.rstrip().endswith("(release R-1 gate G1)")
    status = cli.json("gate", "status", "R-1", "G1")
    assert [(w["commit_sha"], w["invalidated"]) for w in status["waivers"]] == [
        (old, True),
        (new, False),
    ]
    assert (_risks(status)["state"], _risks(status)["stale_waiver"]) == ("waived", None)
    assert "G1 passed" in cli.ok("gate", "sign", "R-1", "G1", "--as", "parvin")
    assert "R-1 advanced PLAN -> BUILD" in cli.ok("release", "advance", "R-1", "--as", "rana")

    actions = [e["action"] for e in cli.json("audit", "list", "--subject", "R-1")]
    assert actions.count("gate.waive") == 2 and actions.count("release.commit") == 1
