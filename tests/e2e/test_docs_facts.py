"""What the docs state about relman matches what relman does (docs that went stale before)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from relman.adapters.db.migrations import HEAD_REVISION
from relman.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SRC = ROOT / "src" / "relman"
EXAMPLE_DIR = ROOT / "examples" / "smart_dairy_app"


def _doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_store_md_shows_the_head_revision_and_lists_every_revision() -> None:
    text = _doc("store.md")
    shown = re.findall(r"revision:? (\d{4})\b", text)
    shown += re.findall(r"at revision (\d{4})\b", text)
    assert shown, "store.md shows no revision"
    assert set(shown) == {HEAD_REVISION}, f"store.md shows {sorted(set(shown))}"
    migrations = SRC / "adapters" / "db" / "migrations" / "versions"
    for revision in sorted(p.name[:4] for p in migrations.glob("[0-9][0-9][0-9][0-9]_*.py")):
        assert f"| `{revision}` |" in text, f"store.md does not list revision {revision}"


def test_deployments_md_shows_what_the_sample_build_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if str(EXAMPLE_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLE_DIR))
    from smart_dairy_app.build import main as build

    assert build(["1.4.0", "--out", str(tmp_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    text = _doc("deployments.md")
    line = text.split("python -m smart_dairy_app.build 1.4.0 --out dist\n", 1)[1].splitlines()[0]
    documented = json.loads(line)
    assert list(documented) == list(printed)
    assert documented["artifact"] == "dist/smart-dairy-app-1.4.0.tar.gz"


def _deployment_event_bases() -> set[str]:
    """The events deployments record (``smoke_passed:<env>`` ...), read from the services."""
    bases: set[str] = set()
    for path in SRC.glob("services/deploy*.py"):
        code = path.read_text(encoding="utf-8")
        bases |= set(re.findall(r'name_events\(\s*"([a-z_]+)"', code))
        bases |= set(re.findall(r'f"([a-z_]+):\{dep\.environment\}"', code))
    return bases


def test_lifecycle_md_describes_the_events_deployments_record() -> None:
    text = _doc("lifecycle.md")
    assert "Until deployments record events" not in text
    bases = _deployment_event_bases()
    assert {"deployed", "smoke_passed", "monitoring_stable", "rolled_back"} <= bases
    missing = sorted(b for b in bases if f"`{b}:<env>`" not in text)
    assert not missing, f"lifecycle.md does not describe the events {missing}"


def test_demo_md_says_the_database_prefix_must_start_with_relman_demo() -> None:
    from relman.adapters.demo.postgres import PgDemoDatabases
    from relman.errors import InvalidInputError

    text = _doc("demo.md")
    row = next(line for line in text.splitlines() if "`RELMAN_DEMO_DB_PREFIX`" in line)
    assert "must start with `relman_demo`" in row
    PgDemoDatabases._check("relman_demo_ci7_dev")  # what the doc's example prefix makes
    with pytest.raises(InvalidInputError, match="only manages relman_demo_"):
        PgDemoDatabases._check("demo_dev")


def test_policy_md_on_demand_checklists_have_a_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = _doc("policy.md")
    assert "`[]` = opened on demand with `relman checklist open RELEASE ID --as PERSON`" in text
    assert main(["checklist", "open", "--help"]) == 0
    assert "Appendix A" in capsys.readouterr().out
