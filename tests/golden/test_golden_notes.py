"""Golden files: the release notes of a realistic history, exactly as a user gets them.

The fixture repository (``notes_fixture.py``) has fixed dates, so its shas and therefore every
output byte are stable. When a template or the context changes on purpose, regenerate:

    RELMAN_REGENERATE_GOLDEN=1 pytest tests/golden

and review the diff of ``tests/golden/*`` like any other change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from golden.notes_fixture import build_notes_repo
from relman.cli.main import main

HERE = Path(__file__).parent
# Read at import: the autouse fixture of tests/conftest.py clears RELMAN_* variables per test.
REGENERATE = os.environ.get("RELMAN_REGENERATE_GOLDEN") == "1"


def check_golden(name: str, actual: str) -> None:
    path = HERE / name
    if REGENERATE:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"missing golden file {name}: run with RELMAN_REGENERATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


@pytest.fixture
def repo(repo_builder: Any) -> Any:
    build_notes_repo(repo_builder)
    return repo_builder


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_release_notes(repo: Any, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    out = run(capsys, "-C", str(repo.path), "notes", "--format", fmt)
    check_golden(f"release-notes-v2.0.0.{fmt}", out)


def test_json_context_round_trips_to_the_same_markdown(
    repo: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    context = tmp_path / "context.json"
    context.write_text(run(capsys, "-C", str(repo.path), "notes", "--format", "json"))
    assert json.loads(context.read_text())["version"] == "2.0.0"
    out = run(capsys, "-C", str(repo.path), "notes", "--from-context", str(context))
    check_golden("release-notes-v2.0.0.md", out)


def test_hotfix_notes(repo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "-C", str(repo.path), "notes", "--to", "v1.0.1-hotfix.1")
    check_golden("release-notes-v1.0.1-hotfix.1.md", out)


def test_changelog_rebuilt_from_history(repo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "-C", str(repo.path), "changelog", "--all", "--version", "2.0.0")
    check_golden("CHANGELOG.md", (repo.path / "CHANGELOG.md").read_text(encoding="utf-8"))


def test_archive_index(repo: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "-C", str(repo.path), "notes", "archive", "--to", "v1.0.0")
    run(capsys, "-C", str(repo.path), "notes", "archive", "--to", "v1.0.1-hotfix.1")
    run(capsys, "-C", str(repo.path), "notes", "archive", "--summary", "Phase 2: B2B orders.")
    archive = repo.path / "docs" / "releases"
    check_golden("archive-README.md", (archive / "README.md").read_text(encoding="utf-8"))
    assert "Phase 2: B2B orders." in (archive / "release-notes-v2.0.0.md").read_text()
