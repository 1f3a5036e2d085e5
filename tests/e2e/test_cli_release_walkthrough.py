"""The whole lifecycle of a minor release driven from the CLI on a real git repository.

Evidence comes from the real tools (``pytest --junitxml``, ``coverage xml``, ``ruff check
--output-format sarif``); gates pass only with that evidence and the right people; every refusal
exits with its documented code; the audit log verifies, and a row edited with sqlite3 is named.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli_support import Cli

PEOPLE_TOML = """\
[people.meher]
name = "Meher Hossain"
email = "meher@smartdairy.test"
roles = ["release_manager"]

[people.rana]
name = "Rana Ahmed"
roles = ["release_manager"]

[people.parvin]
name = "Parvin Akter"
roles = ["project_manager"]

[people.tanvir]
name = "Tanvir Islam"
roles = ["tech_lead"]

[people.qamrul]
name = "Qamrul Hasan"
roles = ["qa_lead"]

[people.popy]
name = "Popy Rahman"
roles = ["product_owner"]

[people.dipu]
name = "Dipu Sarker"
roles = ["devops_lead"]

[people.sara]
name = "Sara Karim"
roles = ["sre_lead"]
"""

TINY = 'def grade(litres):\n    if litres > 10:\n        return "bulk"\n    return "retail"\n'
TINY_TESTS = (
    "from tiny import grade\n\n\n"
    'def test_bulk():\n    assert grade(11) == "bulk"\n\n\n'
    'def test_retail():\n    assert grade(2) == "retail"\n'
)

JUNIT_ARGS = ("--junitxml=report.xml", "test_tiny.py")
SARIF_ARGS = ("--output-format", "sarif", "tiny.py")


@pytest.fixture
def cli(
    repo_builder: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    monkeypatch.setenv("COLUMNS", "240")  # Rich tables on one line each
    repo_builder.commit(
        "chore: relman policy", {"relman.toml": PEOPLE_TOML, ".gitignore": ".relman/\n"}
    )
    repo_builder.commit("feat(farm): first herd register")
    repo_builder.tag("v1.3.0")
    repo_builder.commit("feat(farm): milk quality parameters\n\nRefs: SD-101")
    repo_builder.commit("fix(farm): fat percentage rounding (SD-102)")
    return Cli(repo_builder.path, capsys)


def _tool(args: list[str], cwd: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def reports(tmp_path: Path) -> dict[str, Path]:
    """Real tool output for a tiny module: JUnit XML, Cobertura XML, SARIF, and a CI status."""
    work = tmp_path / "build"
    work.mkdir()
    (work / "tiny.py").write_text(TINY, encoding="utf-8")
    (work / "test_tiny.py").write_text(TINY_TESTS, encoding="utf-8")
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    _tool(
        ["coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", *JUNIT_ARGS],
        work,
    )
    _tool(["coverage", "xml", "-o", "coverage.xml"], work)
    sarif = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", *SARIF_ARGS],
        cwd=work, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert sarif.returncode == 0, sarif.stderr
    (work / "ruff.sarif").write_text(sarif.stdout, encoding="utf-8")
    (work / "ci-status.txt").write_text("success\nurl=https://ci.smartdairy.test/run/42\n")
    return {
        "junit": work / "report.xml",
        "coverage": work / "coverage.xml",
        "sarif": work / "ruff.sarif",
        "ci": work / "ci-status.txt",
    }


def _target(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _unmet(err: str) -> list[str]:
    return [line.strip()[2:].split(":")[0] for line in err.splitlines() if line.startswith("  - ")]


def test_minor_release_from_plan_to_closed(cli: Cli, reports: dict[str, Path]) -> None:
    # --- PLAN ----------------------------------------------------------------------------------
    err = cli.error(
        7, "release", "plan", "--type", "minor", "--target-date", _target(3), "--as", "meher"
    )
    assert "is shorter than 1 week" in err and "hint: choose a target date on or after" in err
    assert cli.ok("release", "list") == "no releases\n"  # the refusal wrote nothing

    out = cli.ok(
        "release", "plan", "--type", "minor", "--target-date", _target(10),
        "--title", "Milk quality", "--as", "meher",
    )  # fmt: skip
    assert "planned R-1 minor 1.4.0 [PLAN] 'Milk quality' (repository)" in out
    assert "scope: 2 commits, 2 tickets (SD-102, SD-101) in v1.3.0.." in out
    assert "auto-ticked 7.1.1-1 Release scope defined and documented: scope: 2 commits" in out

    err = cli.error(7, "release", "advance", "R-1", "--as", "meher")
    assert "cannot advance release R-1 from PLAN to BUILD: 3 unmet (G1)" in err
    assert _unmet(err) == ["G1.resources", "G1.risks", "G1 sign-off project_manager"]
    assert "separation of duties" in cli.error(7, "gate", "sign", "R-1", "G1", "--as", "meher")
    assert "tanvir (tech_lead) holds none of the roles G1 needs: project_manager" in cli.error(
        7, "gate", "sign", "R-1", "G1", "--as", "tanvir"
    )
    assert "unknown person 'nobody'" in cli.error(5, "gate", "sign", "R-1", "G1", "--as", "nobody")
    assert "G4 cannot be signed before release R-1 reaches TEST" in cli.error(
        7, "gate", "sign", "R-1", "G4", "--as", "popy"
    )
    cli.ok("checklist", "tick", "R-1", "7.1.1-3", "--as", "tanvir", "--note", "team of 4")
    cli.ok("checklist", "tick", "R-1", "7.1.1-4", "--as", "dipu")
    out = cli.ok("gate", "sign", "R-1", "G1", "--as", "parvin", "--comment", "scope agreed")
    assert out.startswith("parvin (project_manager) approved G1 of R-1 for commit ")
    assert "G1 passed" in out
    assert "parvin already approved G1 of release R-1" in cli.error(
        6, "gate", "sign", "R-1", "G1", "--as", "parvin"
    )
    assert cli.ok("release", "advance", "R-1", "--as", "meher").startswith(
        "R-1 advanced PLAN -> BUILD (G1 passed)"
    )

    # --- BUILD: G2 needs passing unit tests and a CI build for the release's commit -------------
    err = cli.error(4, "evidence", "add", "R-1", "--kind", "junit", str(reports["coverage"]))
    assert "not JUnit XML (root <testsuites> or <testsuite>): root element is <coverage>" in err
    cli.ok("checklist", "tick", "R-1", "7.1.2-2", "--as", "tanvir")
    cli.ok("gate", "sign", "R-1", "G2", "--as", "tanvir")
    err = cli.error(7, "release", "advance", "R-1", "--as", "meher")
    assert _unmet(err) == ["G2.features", "G2.unit-tests", "G2.build"]
    out = cli.ok("evidence", "add", "R-1", "--kind", "junit", str(reports["junit"]))
    assert (
        "recorded evidence #1 junit" in out and "2 tests, 0 failures, 0 errors: meets J-003" in out
    )
    assert "auto-ticked 7.1.2-1 All features developed and unit tested: evidence #1 junit" in out
    cli.ok("evidence", "add", "R-1", "--kind", "ci", str(reports["ci"]), "--as", "dipu")
    assert "R-1 advanced BUILD -> TEST (G2 passed)" in cli.ok(
        "release", "advance", "R-1", "--as", "meher"
    )

    # --- TEST: G3 needs coverage and a clean security scan; G4 the product owner ----------------
    err = cli.error(7, "release", "advance", "R-1", "--as", "meher")
    assert _unmet(err) == [
        "G3.coverage",
        "G3.security",
        "G3.defects",
        "G3 sign-off qa_lead",
        "G4.uat",
        "G4 sign-off product_owner",
    ]
    out = cli.ok("evidence", "add", "R-1", "--kind", "coverage", str(reports["coverage"]))
    assert "line coverage 100.00% (min 80%): meets J-003" in out
    out = cli.ok("evidence", "add", "R-1", "--kind", "sarif", str(reports["sarif"]))
    assert "0 blocking findings" in out and "meets J-003" in out
    cli.ok("checklist", "tick", "R-1", "7.1.3-3", "--as", "qamrul")
    cli.ok("gate", "sign", "R-1", "G3", "--as", "qamrul")
    cli.ok("gate", "sign", "R-1", "G4", "--as", "popy", "--comment", "UAT done with farm staff")
    out = cli.ok("gate", "status", "R-1", "G3")
    assert "G3 QA Complete (TEST -> DEPLOY): passed" in out
    assert "G3.coverage" in out and "evidence #3 coverage" in out
    assert "G3.security" in out and "evidence #4 sarif" in out
    assert "R-1 advanced TEST -> DEPLOY (G3, G4 passed)" in cli.ok(
        "release", "advance", "R-1", "--as", "meher"
    )

    # --- DEPLOY: wrong-order actions, then G5 and G6 (release manager + PM + tech lead) ----------
    assert "cannot update commit a DEPLOY release" in cli.error(
        6, "release", "commit", "R-1", "--as", "meher"
    )
    for item, person in [
        ("7.2.3-1", "qamrul"),
        ("7.1.3-5", "qamrul"),
        ("7.1.4-3", "dipu"),
        ("7.1.4-4", "dipu"),
    ]:
        cli.ok("checklist", "tick", "R-1", item, "--as", person)
    cli.ok("gate", "sign", "R-1", "G5", "--as", "dipu")
    assert "holds none of the roles G6 needs" in cli.error(
        7, "gate", "sign", "R-1", "G6", "--as", "dipu"
    )
    for person in ("rana", "parvin"):
        cli.ok("gate", "sign", "R-1", "G6", "--as", person)
    assert "G6 sign-off tech_lead" in cli.error(7, "release", "advance", "R-1", "--as", "meher")
    out = cli.ok("gate", "sign", "R-1", "G6", "--as", "tanvir")
    assert (
        "G6 passed" in out and "auto-ticked 7.1.4-7 Go/No-Go decision made: gate G6 passed" in out
    )
    assert "R-1 advanced DEPLOY -> VERIFY (G5, G6 passed)" in cli.ok(
        "release", "advance", "R-1", "--as", "meher"
    )

    # --- VERIFY -> CLOSED -----------------------------------------------------------------------
    cli.ok("checklist", "tick", "R-1", "7.3-2", "--as", "sara")
    cli.ok("checklist", "tick", "R-1", "7.3-3", "--as", "sara")
    cli.ok("gate", "sign", "R-1", "G7", "--as", "sara")
    assert "R-1 advanced VERIFY -> CLOSED (G7 passed)" in cli.ok(
        "release", "advance", "R-1", "--as", "meher"
    )
    assert "cannot advance a CLOSED release" in cli.error(
        6, "release", "advance", "R-1", "--as", "meher"
    )
    assert "cannot cancel a CLOSED release" in cli.error(
        6, "release", "cancel", "R-1", "--as", "meher", "--reason", "too late"
    )

    shown = json.loads(cli.ok("release", "show", "R-1", "--json"))
    assert shown["release"]["phase"] == "CLOSED"
    assert all(g["passed"] for g in shown["gates"])
    assert [e["kind"] for e in shown["evidence"]] == ["junit", "ci", "coverage", "sarif"]
    assert all(e["ok"] and e["counts"] for e in shown["evidence"])
    assert len(shown["signoffs"]) == 9 and not any(s["invalidated"] for s in shown["signoffs"])

    # --- the audit trail ------------------------------------------------------------------------
    assert cli.ok("audit", "verify").startswith("audit chain OK: ")
    entries = json.loads(cli.ok("audit", "list", "--json"))
    actions = Counter(e["action"] for e in entries)
    assert actions["release.plan"] == 1 and actions["release.advance"] == 5
    assert actions["gate.sign"] == 9 and actions["evidence.add"] == 4
    assert actions["checklist.tick"] == 10 and actions["checklist.auto_tick"] >= 8
    signers = [e["actor"] for e in entries if e["action"] == "gate.sign"]
    assert signers == [
        "parvin",
        "tanvir",
        "qamrul",
        "popy",
        "dipu",
        "rana",
        "parvin",
        "tanvir",
        "sara",
    ]
    assert {e["actor"] for e in entries if e["action"] == "release.advance"} == {"meher"}
    evidence_entry = next(e for e in entries if e["action"] == "evidence.add")
    assert evidence_entry["actor"] == "ci"
    assert evidence_entry["after"]["evidence"]["digest"].startswith("sha256:")

    # someone edits one row behind relman's back: verify names it
    g4 = next(e for e in entries if e["action"] == "gate.sign" and e["actor"] == "popy")
    db = sqlite3.connect(cli.repo / ".relman" / "relman.db")
    with db:
        db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = ?", (g4["seq"],))
    db.close()
    err = cli.error(1, "audit", "verify")
    assert (
        f"entry {g4['seq']} (" in err and "was edited: its content does not match its hash" in err
    )


def test_a_new_commit_invalidates_signoffs_shown_as_such(cli: Cli, repo_builder: Any) -> None:
    cli.ok("release", "plan", "--type", "minor", "--target-date", _target(10), "--as", "meher")
    cli.ok("checklist", "tick", "R-1", "7.1.1-3", "--as", "tanvir")
    cli.ok("checklist", "tick", "R-1", "7.1.1-4", "--as", "tanvir")
    cli.ok("gate", "sign", "R-1", "G1", "--as", "parvin")
    new = repo_builder.commit("fix(farm): late fix SD-103")

    out = cli.ok("release", "commit", "R-1", "--as", "meher")
    assert f"R-1 bound to commit {new[:12]}" in out
    assert "1 sign-off(s) invalidated" in out

    out = cli.ok("gate", "status", "R-1", "G1")
    assert "G1 Planning Complete (PLAN -> BUILD): not passed" in out
    assert "INVALIDATED (commit changed)" in out
    status = json.loads(cli.ok("gate", "status", "R-1", "G1", "--json"))
    assert [s["invalidated"] for s in status["signoffs"]] == [True]
    assert status["gates"][0]["unmet"] == [
        "G1 sign-off project_manager: needs a sign-off by project_manager"
    ]
    assert "already bound to" in cli.ok("release", "commit", "R-1", "--as", "meher")


def test_actor_from_the_environment_and_usage_errors(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = cli("release", "plan", "--type", "minor", "--target-date", _target(10))
    assert code == 2 and "--as" in err
    monkeypatch.setenv("RELMAN_ACTOR", "meher")
    assert "planned R-1" in cli.ok(
        "release", "plan", "--type", "minor", "--target-date", _target(10)
    )
    assert "invalid date 'soon'" in cli.error(
        4, "release", "plan", "--type", "minor", "--target-date", "soon"
    )
    assert "no release R-7" in cli.error(5, "release", "show", "R-7")
    listed = json.loads(cli.ok("release", "list", "--json"))
    assert [(r["id"], r["planned_by"], r["phase"]) for r in listed] == [("R-1", "meher", "PLAN")]
    assert cli.ok("release", "list", "--overdue") == "no overdue approvals\n"
    cancelled = cli.ok("release", "cancel", "R-1", "--reason", "descoped")
    assert cancelled == "cancelled R-1: descoped\n"
    assert cli.ok("release", "list", "--phase", "cancelled").count("R-1") == 1
