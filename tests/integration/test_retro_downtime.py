"""`relman retro new` measures the downtime from the release's real production deployments
(J-003 §14.4): a maintenance-window deployment of the sample app behind real nginx, recorded in
the SQLite store step by step, then the retrospective written by the CLI in this process.
``--downtime`` still overrides the measured figure, and the retrospective says which it shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_support import artifacts  # noqa: F401
from deploy_support import Workspace, workspace_fixture  # noqa: F401

from relman.cli.main import main
from relman.domain.downtime import format_duration


def relman(ws: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["-C", str(ws.root), *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_the_retrospective_measures_the_maintenance_window(
    ws: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ws.add_release("R-1", "1.0.0", release_type="hotfix")
    artifact = ws.artifacts.build("1.0.0").path
    for env in ("dev", "qa", "staging"):
        ws.deploy("R-1", env, artifact=artifact if env == "dev" else None, strategy="blue_green")
    outcome = ws.deploy("R-1", "prod", strategy="maintenance")
    dep = outcome.deployment
    assert (dep.id, dep.status.value, dep.strategy) == ("D-4", "succeeded", "maintenance")
    with ws.services().uow_factory() as uow:
        steps = {s.kind: s for s in uow.deployments.list_steps("D-4")}
    page_on, page_off = steps["maintenance_on"], steps["maintenance_off"]
    assert page_on.started_at is not None and page_off.ended_at is not None
    seconds = (page_off.ended_at - page_on.started_at).total_seconds()
    minutes = round(seconds / 60, 2)
    assert minutes > 0  # the page stays on while the new version starts and is verified

    # measured: the file shows the figure and where it comes from
    target = tmp_path / "retro" / "R-1.md"
    relman(ws, capsys, "retro", "new", "R-1", "--as", "rana", "--output", str(target))
    text = target.read_text(encoding="utf-8")
    assert f"- Downtime: {minutes:g} minutes\n" in text
    note = text.split(f"- Downtime: {minutes:g} minutes\n", 1)[1].splitlines()[0]
    assert note.startswith("  - measured from the production deployments: D-4 maintenance page ")
    assert note.endswith(", " + format_duration(seconds))
    assert "- Rollback Required: NO\n" in text
    # blue-green in dev, qa and staging took nothing down, and they are not production anyway
    assert "D-1" not in text and "D-3" not in text

    # the same in --json, with the span it measured
    shown = json.loads(
        relman(ws, capsys, "retro", "new", "R-1", "--as", "rana", "--replace", "--json")
    )
    metrics = shown["metrics"]
    assert (metrics["downtime_minutes"], metrics["downtime_source"]) == (minutes, "measured")
    measured = metrics["downtime_measured"]
    assert measured["complete"] is True
    assert measured["deployments"] == [{"id": "D-4", "strategy": "maintenance"}]
    assert [(s["deployment"], s["cause"]) for s in measured["spans"]] == [
        ("D-4", "maintenance page")
    ]
    assert measured["spans"][0]["seconds"] == pytest.approx(seconds, abs=0.001)

    # given by hand: it wins, and the measured figure stays beside it
    relman(
        ws,
        capsys,
        "retro",
        "new",
        "R-1",
        "--as",
        "rana",
        "--replace",
        "--downtime",
        "12",
        "--output",
        str(target),
    )
    text = target.read_text(encoding="utf-8")
    assert (
        "- Downtime: 12 minutes\n  - given by hand (--downtime); measured from the production "
        f"deployments: {minutes:g} minutes (D-4 maintenance page "
    ) in text
    with ws.services().uow_factory() as uow:
        stored = uow.retrospectives.find("R-1")
    assert stored is not None
    assert (stored.metrics["downtime_minutes"], stored.metrics["downtime_source"]) == (12, "given")
    assert stored.content == text
