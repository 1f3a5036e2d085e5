"""A rolled-back version is not planned again: a version is one build (J-003 §4.2, §6.1).

Release 1.3.1 is deployed to dev with a build that crashes and is rolled back; the build stays
installed on the target under 1.3.1 (immutable). ``relman release plan --version auto`` must
then propose 1.3.2 and say why, ``--version 1.3.1`` is refused, and the new release deploys.
``relman version next`` reads git only and still says 1.3.1 (docs/versions.md says so).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from calendar_support import PEOPLE_TOML, Cli, use_store

from relman.adapters import processes as procs

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "smart_dairy_app"


def _config(port: int) -> str:
    return (
        f"{PEOPLE_TOML}\n[windows]\nenvironments = {{}}\n\n"
        "[verification.monitoring]\ninterval_seconds = 0.2\nobservation_seconds = 0.5\n"
        "host_metrics = false\n\n"
        f"[deployments.environments.dev.target]\npublic_port = {port}\n"
    )


def _build(version: str, out: Path, fault: str | None = None) -> str:
    if str(EXAMPLE_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_DIR))
    from smart_dairy_app.build import build_artifact

    path, _digest = build_artifact(version, fault=fault, out_dir=out)
    return str(path)


@pytest.fixture
def cli(
    repo_builder: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> Iterator[Cli]:
    config = _config(procs.find_free_port())
    repo_builder.commit("chore: relman policy", {"relman.toml": config, ".gitignore": ".relman/\n"})
    repo_builder.tag("v1.3.0")
    repo_builder.commit("fix(farm): milk yield rounding\n\nRefs: SD-140")
    use_store(monkeypatch, database_url)
    yield Cli(repo_builder.path, capsys)
    targets = repo_builder.path / ".relman" / "targets"
    for state in targets.glob("*/run/*.json"):
        data = procs.read_json(state)
        if data:
            procs.terminate(int(data["pid"]), timeout=5, start_ticks=data.get("start_ticks"))
    for pid_file in targets.glob("*/nginx/logs/nginx.pid"):
        procs.terminate(int(pid_file.read_text().strip()), timeout=5)


def _plan(cli: Cli, *extra: str) -> tuple[int, str, str]:
    target = (date.today() + timedelta(days=4)).isoformat()
    return cli(
        "release", "plan", "--type", "patch", "--target-date", target, "--as", "rana", *extra
    )


def test_a_rolled_back_version_is_not_planned_again(cli: Cli, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    code, out, _ = _plan(cli, "--json")
    assert (code, json.loads(out)["release"]["version"]) == (0, "1.3.1")
    crashing = _build("1.3.1", dist, fault="crash-on-start")
    code, _, err = cli("deploy", "R-1", "--env", "dev", "--artifact", crashing, "--as", "dipu")
    assert code == 10, err  # failed and rolled back: the crashing 1.3.1 stays installed on dev

    # git knows nothing of it: version next still proposes 1.3.1 (documented)
    assert cli.json("version", "next")["next"] == "1.3.1"

    code, out, err = _plan(cli, "--json")
    assert code == 0, err
    planned = json.loads(out)
    assert planned["release"]["id"] == "R-2"
    assert planned["release"]["version"] == "1.3.2"
    notice = [w for w in planned["warnings"] if "1.3.1" in w]
    assert notice, planned["warnings"]
    assert "R-1" in notice[0]
    assert "planned as 1.3.2 instead" in notice[0]

    code, _, err = _plan(cli)  # the text output says it too
    assert code == 0
    assert "warning: version 1.3.1 has a build (D-1 deployed it to dev) (R-1)" in err

    code, _, err = _plan(cli, "--version", "1.3.1")
    assert code == 6
    assert "version 1.3.1 has a build (D-1 deployed it to dev) (R-1)" in err

    good = _build("1.3.2", dist)
    code, out, err = cli("deploy", "R-2", "--env", "dev", "--artifact", good, "--as", "dipu")
    assert code == 0, f"{out}\n{err}"
    assert "immutable" not in out + err
