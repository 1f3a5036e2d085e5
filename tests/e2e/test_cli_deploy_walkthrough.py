"""The docs/deployments.md walk-through from the CLI: a minor release of the sample app through
gates G1-G7 and Dev -> QA -> Staging -> Prod on real processes behind real nginx."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_cli_release_walkthrough import PEOPLE_TOML, Cli, reports  # noqa: F401

from relman.adapters import processes as procs
from relman.adapters.switches.nginx import find_nginx

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "smart_dairy_app"
ENVIRONMENTS = ("dev", "qa", "staging", "prod")


def _deploy_config(ports: dict[str, int]) -> str:
    text = (
        "[windows]\nenvironments = {}\n\n"
        "[verification.monitoring]\ninterval_seconds = 0.5\nobservation_seconds = 1.0\n"
        "host_metrics = false\n\n"
    )
    for env in ENVIRONMENTS:
        text += f"[deployments.environments.{env}.target]\npublic_port = {ports[env]}\n\n"
    return text


@pytest.fixture
def deploy_cli(
    repo_builder: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Any:
    if find_nginx() is None:
        pytest.skip("nginx is not installed (.ci/run installs it)")
    monkeypatch.setenv("COLUMNS", "240")
    ports = {env: procs.find_free_port() for env in ENVIRONMENTS}
    config = PEOPLE_TOML + "\n" + _deploy_config(ports)
    repo_builder.commit("chore: relman policy", {"relman.toml": config, ".gitignore": ".relman/\n"})
    repo_builder.commit("feat(farm): first herd register")
    repo_builder.tag("v1.3.0")
    repo_builder.commit("feat(farm): milk quality parameters\n\nRefs: SD-101")
    cli = Cli(repo_builder.path, capsys)
    yield cli, ports
    targets = repo_builder.path / ".relman" / "targets"
    for state in targets.glob("*/run/*.json"):
        data = procs.read_json(state)
        if data:
            procs.terminate(int(data["pid"]), timeout=5, start_ticks=data.get("start_ticks"))
    for pid_file in targets.glob("*/nginx/logs/nginx.pid"):
        procs.terminate(int(pid_file.read_text().strip()), timeout=5)


def _artifact(tmp_path: Path) -> str:
    if str(EXAMPLE_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_DIR))
    from smart_dairy_app.build import build_artifact

    path, _digest = build_artifact("1.4.0", out_dir=tmp_path / "dist")
    return str(path)


def _served(port: int) -> str:
    status, _ = procs.http_get(f"http://127.0.0.1:{port}/health")
    return "up" if status == 200 else "down"


def test_minor_release_dev_to_prod(
    deploy_cli: Any,
    reports: dict[str, Path],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli, ports = deploy_cli
    target = (date.today() + timedelta(days=10)).isoformat()
    cli.ok("release", "plan", "--type", "minor", "--target-date", target, "--title", "Milk quality",
           "--as", "meher")  # fmt: skip

    # Dev: no gate; the first deployment brings the build (minor -> rolling, §8.1)
    out = cli.ok("deploy", "R-1", "--env", "dev", "--artifact", _artifact(tmp_path), "--as", "dipu")
    assert "start 1.4.0 in slot i0 and wait until healthy" in out
    assert "D-1: 1.4.0 is live on dev" in out and _served(ports["dev"]) == "up"

    # QA needs G1 and G2
    err = cli.fails(7, "promote", "R-1", "--to", "qa", "--as", "dipu")
    assert "qa requires gate(s) G1, G2" in err
    cli.ok("checklist", "tick", "R-1", "7.1.1-3", "--as", "tanvir")
    cli.ok("checklist", "tick", "R-1", "7.1.1-4", "--as", "dipu")
    cli.ok("gate", "sign", "R-1", "G1", "--as", "parvin")
    cli.ok("release", "advance", "R-1", "--as", "meher")
    cli.ok("checklist", "tick", "R-1", "7.1.2-2", "--as", "tanvir")
    cli.ok("evidence", "add", "R-1", "--kind", "junit", str(reports["junit"]))
    cli.ok("evidence", "add", "R-1", "--kind", "ci", str(reports["ci"]), "--as", "dipu")
    cli.ok("gate", "sign", "R-1", "G2", "--as", "tanvir")
    cli.ok("release", "advance", "R-1", "--as", "meher")
    out = cli.ok("promote", "R-1", "--to", "qa", "--as", "dipu")
    assert "✓ path: passed dev in deployment D-1" in out
    assert "✓ build: same build as dev (D-1)" in out
    assert "✓ gates: passed G1, G2" in out
    assert "D-2: 1.4.0 is live on qa" in out

    # Staging needs G3 and G4; its smoke tests are G5's "Smoke tests pass"
    cli.ok("evidence", "add", "R-1", "--kind", "coverage", str(reports["coverage"]))
    cli.ok("evidence", "add", "R-1", "--kind", "sarif", str(reports["sarif"]))
    cli.ok("checklist", "tick", "R-1", "7.1.3-3", "--as", "qamrul")
    cli.ok("gate", "sign", "R-1", "G3", "--as", "qamrul")
    cli.ok("gate", "sign", "R-1", "G4", "--as", "popy")
    cli.ok("release", "advance", "R-1", "--as", "meher")
    assert "D-3: 1.4.0 is live on staging" in cli.ok(
        "promote", "R-1", "--to", "staging", "--as", "dipu"
    )
    status = json.loads(cli.ok("gate", "status", "R-1", "G5", "--json"))
    smoke = next(c for c in status["gates"][0]["criteria"] if c["id"] == "G5.smoke")
    assert smoke["state"] == "met", smoke
    cli.ok("checklist", "tick", "R-1", "7.1.3-5", "--as", "qamrul")
    cli.ok("gate", "sign", "R-1", "G5", "--as", "dipu")
    cli.ok("checklist", "tick", "R-1", "7.1.4-3", "--as", "dipu")
    cli.ok("checklist", "tick", "R-1", "7.1.4-4", "--as", "dipu")
    for person in ("rana", "parvin", "tanvir"):
        cli.ok("gate", "sign", "R-1", "G6", "--as", person)

    # Prod: G1-G6 pass, but a minor release spends 3 days in QA/staging first (§2.2)
    err = cli.fails(7, "promote", "R-1", "--to", "prod", "--check")
    assert "a minor release needs 3d of testing in qa/staging (J-003 §2)" in err
    monkeypatch.setenv("RELMAN_RELEASE_TYPES__MINOR__TESTING_PERIOD_MIN", "0h")
    out = cli.ok("promote", "R-1", "--to", "prod", "--as", "dipu")
    assert "✓ gates: passed G1, G2, G3, G4, G5, G6" in out
    assert "D-4: 1.4.0 is live on prod" in out

    shown = json.loads(cli.ok("env", "status", "--json"))
    assert [(e["environment"], e["components"][0]["version"], e["health"]) for e in shown] == [
        (env, "1.4.0", "ok") for env in ENVIRONMENTS
    ]
    # VERIFY -> CLOSED: monitoring_stable (the prod observation) ticked 7.3-2 and meets G7
    cli.ok("release", "advance", "R-1", "--as", "meher")
    cli.ok("checklist", "tick", "R-1", "7.3-3", "--as", "sara")
    cli.ok("gate", "sign", "R-1", "G7", "--as", "sara")
    assert "R-1 advanced VERIFY -> CLOSED (G7 passed)" in cli.ok(
        "release", "advance", "R-1", "--as", "meher"
    )
    listed = json.loads(cli.ok("deploy", "list", "--json"))
    assert [(d["environment"], d["status"]) for d in listed] == [
        (env, "succeeded") for env in ENVIRONMENTS
    ]
    assert cli.ok("audit", "verify").startswith("audit chain OK: ")
