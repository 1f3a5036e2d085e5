"""The pieces of `relman demo`'s workspace on their own: the repository's history read back by
relman, the SMTP sink over a real socket, the fallback SARIF scan, the policy file and the
folder rules."""

from __future__ import annotations

import json
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from relman.adapters.demo.git_history import GitHistoryWriter
from relman.adapters.demo.host import LocalDemoHost, PackagedSources
from relman.adapters.demo.sinks import SmtpSink
from relman.adapters.demo.toolchain import SCANNER, scan_sources
from relman.cli.main import main
from relman.errors import ConflictError
from relman.services.demo_policy import Endpoints, build_demo_settings, render_demo_policy
from relman.services.demo_story import write_history
from relman.services.demo_workspace import MARKER, Workspace, list_authors, prepare_folder
from relman.settings import load_settings

NOW = datetime(2026, 2, 28, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def story_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("story") / "repo"
    write_history(GitHistoryWriter(repo), PackagedSources(), list_authors())
    return repo


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(list(argv)) == 0
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    return data


def test_the_history_makes_1_2_0_a_minor_release(
    story_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nxt = _json(capsys, "-C", str(story_repo), "version", "next", "--json")
    assert (nxt["current"], nxt["next"], nxt["bump"]) == ("1.1.0", "1.2.0", "minor")


@pytest.mark.parametrize(("component", "current"), [("farm", "1.1.0"), ("b2b", "1.1.0")])
def test_the_components_have_their_own_tags(
    story_repo: Path, capsys: pytest.CaptureFixture[str], component: str, current: str
) -> None:
    data = _json(
        capsys, "-C", str(story_repo), "version", "current", "--component", component, "--json"
    )
    assert data["current"] == current


def test_every_commit_since_1_0_0_follows_conventional_commits(story_repo: Path) -> None:
    assert main(["-C", str(story_repo), "lint", "range", "v1.0.0..develop"]) == 0


def test_the_breaking_change_is_in_1_0_0(story_repo: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    assert main(["-C", str(story_repo), "notes", "--to", "v1.0.0", "--output", str(notes)]) == 0
    assert "CSV order upload is removed" in notes.read_text(encoding="utf-8")


def test_the_smtp_sink_keeps_every_message(tmp_path: Path) -> None:
    sink = SmtpSink(tmp_path)
    sink.start()
    try:
        msg = EmailMessage()
        msg["Subject"] = "[DEPLOYMENT COMPLETE] Smart Dairy ERP v1.2.0 §"
        msg["From"], msg["To"] = "relman@smartdairy.test", "parvin@smartdairy.test"
        msg.set_content("line one\n.a line starting with a dot\n")
        with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
            client.send_message(msg, to_addrs=["parvin@smartdairy.test", "dipu@smartdairy.test"])
    finally:
        sink.stop()
    (mail,) = sink.list_mail()
    assert mail.recipients == ("parvin@smartdairy.test", "dipu@smartdairy.test")
    assert mail.subject == "[DEPLOYMENT COMPLETE] Smart Dairy ERP v1.2.0 §"
    assert "\n.a line starting with a dot" in mail.path.read_text()
    index = [json.loads(line) for line in (tmp_path / "index.jsonl").read_text().splitlines()]
    assert index[0]["to"] == ["parvin@smartdairy.test", "dipu@smartdairy.test"]


def test_the_fallback_scan_finds_dangerous_calls_only(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "ok.py").write_text("import json\nprint(json.dumps({}))\n")
    (tmp_path / "pkg" / "bad.py").write_text(
        "import subprocess\neval('1')\nsubprocess.run('ls', shell=True)\n"
    )
    sarif = scan_sources(tmp_path, ["pkg"])
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["name"] == SCANNER
    found = sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
                   for r in run["results"])  # fmt: skip
    assert found == [("dangerous-call", 2), ("shell-true", 3)]


def test_the_policy_file_is_relman_inits_plus_the_team(tmp_path: Path) -> None:
    ws = Workspace(root=tmp_path, nginx=None)
    ports = {"dev": 18101, "qa": 18102, "staging": 18103, "prod": 18104}
    settings = build_demo_settings(ws, Endpoints("127.0.0.1", 2525, "http://127.0.0.1:9", ports))
    (tmp_path / "relman.toml").write_text(render_demo_policy(settings), encoding="utf-8")
    loaded = load_settings(tmp_path)
    assert loaded.people["rana"].roles == ["release_manager"]
    assert loaded.notifications.channels["email"].port == 2525  # type: ignore[union-attr]
    assert loaded.deployments.environments["prod"].target.public_port == 18104
    assert main(["-C", str(tmp_path), "policy", "check"]) == 0


def test_a_folder_that_is_not_a_demo_workspace_is_refused(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("mine")
    with pytest.raises(ConflictError, match="not a relman demo workspace"):
        prepare_folder(host=LocalDemoHost(), root=tmp_path, fresh=True, now=NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.tex"]


def test_a_previous_demo_is_replaced_only_with_fresh(tmp_path: Path) -> None:
    root = tmp_path / "relman-demo"
    prepare_folder(host=LocalDemoHost(), root=root, fresh=False, now=NOW)
    (root / "old.txt").write_text("previous run")
    with pytest.raises(ConflictError, match="previous relman demo run"):
        prepare_folder(host=LocalDemoHost(), root=root, fresh=False, now=NOW)
    prepare_folder(host=LocalDemoHost(), root=root, fresh=True, now=NOW)
    assert sorted(p.name for p in root.iterdir()) == [MARKER]
