"""`relman checklist open`: the Appendix A checklists (applies_to = []) opened on demand."""

from __future__ import annotations

from typing import Any

import pytest
from calendar_support import Cli, plan_patch_release


@pytest.fixture
def cli(
    repo_builder: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> Cli:
    return plan_patch_release(repo_builder, capsys, monkeypatch, database_url, planner="rana")


def test_open_an_appendix_a_checklist(cli: Cli) -> None:
    before = cli.json("checklist", "show", "R-1")
    assert "A-pre" not in [c["id"] for c in before["checklists"]]

    out = cli.ok("checklist", "open", "R-1", "A-pre", "--as", "rana")
    assert out.startswith("opened A-pre Pre-Release (1 Week Before) on R-1: 13 items, 1 ticked")
    assert "auto-ticked A-pre-1 Release scope finalized" in out  # its proof already holds

    shown = cli.json("checklist", "show", "R-1", "--checklist", "A-pre")["checklists"][0]
    assert (shown["id"], shown["ticked"], len(shown["items"])) == ("A-pre", 1, 13)
    cli.ok("checklist", "tick", "R-1", "A-pre-2", "--as", "tanvir")

    opened = cli.json("checklist", "open", "R-1", "A-day", "--as", "dipu")
    assert [i["item_id"] for i in opened["items"]][:2] == ["A-day-1", "A-day-2"]

    actions = [e["action"] for e in cli.json("audit", "list", "--subject", "R-1")]
    assert actions.count("checklist.open") == 2


def test_open_refuses_twice_and_unknown(cli: Cli) -> None:
    cli.ok("checklist", "open", "R-1", "A-post", "--as", "rana")
    assert "already open on release R-1" in cli.fails(
        6, "checklist", "open", "R-1", "A-post", "--as", "rana"
    )
    assert "unknown checklist 'A-nope'" in cli.fails(
        5, "checklist", "open", "R-1", "A-nope", "--as", "rana"
    )
    assert "7.1.1" in cli.fails(6, "checklist", "open", "R-1", "7.1.1", "--as", "rana")
