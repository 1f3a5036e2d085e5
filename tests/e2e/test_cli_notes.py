"""`relman notes`, `relman notes archive` and `relman changelog` as a user runs them."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from golden.notes_fixture import build_notes_repo
from relman.cli.main import main

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def repo(repo_builder: Any) -> Any:
    build_notes_repo(repo_builder)
    return repo_builder


def relman(capsys: Capsys, repo: Any, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["-C", str(repo.path), *args])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ relman notes


def test_notes_default_range(repo: Any, capsys: Capsys) -> None:
    code, out, err = relman(capsys, repo, "notes")
    assert code == 0, err
    assert out.startswith("# Release Notes - Smart Dairy ERP v2.0.0\n")
    assert "**Previous Version:** 1.0.1-hotfix.1" in out
    assert "| SD-102 | fat percentage rounded to two decimals | High |" in out
    assert err == ""


def test_notes_options(repo: Any, capsys: Capsys) -> None:
    code, out, err = relman(
        capsys,
        repo,
        "notes",
        "--version",
        "1.1.0",
        "--type",
        "minor",
        "--summary",
        "Milk quality and B2B orders.",
        "--date",
        "2026-02-15",
    )
    assert code == 0, err
    assert "# Release Notes - Smart Dairy ERP v1.1.0" in out
    assert "**Release Date:** 2026-02-15\n**Release Type:** Minor\n" in out
    assert "## Executive Summary\n\nMilk quality and B2B orders.\n" in out
    assert "TODO" not in out


def test_notes_to_output_file(repo: Any, capsys: Capsys, tmp_path: Path) -> None:
    target = tmp_path / "out" / "notes.html"
    code, out, err = relman(capsys, repo, "notes", "-f", "html", "-o", str(target))
    assert code == 0, err
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert "written to" in out


def test_json_round_trip_with_an_edited_summary(repo: Any, capsys: Capsys, tmp_path: Path) -> None:
    code, out, _ = relman(capsys, repo, "notes", "--format", "json")
    assert code == 0
    context = json.loads(out)
    context["summary"] = "Edited by the release manager."
    context["approvals"][0]["name"] = "Karim Release"
    saved = tmp_path / "context.json"
    saved.write_text(json.dumps(context))
    code, out, err = relman(capsys, repo, "notes", "--from-context", str(saved))
    assert code == 0, err
    assert "Edited by the release manager." in out
    assert "| Release Manager | Karim Release | |" in out
    # and back to JSON unchanged
    code, again, _ = relman(capsys, repo, "notes", "--from-context", str(saved), "-f", "json")
    assert json.loads(again) == context


def test_docs_only_range_warns_and_still_writes_notes(repo_builder: Any, capsys: Capsys) -> None:
    repo_builder.commit("feat: first")
    repo_builder.tag("v1.0.0")
    repo_builder.commit("docs: user guide")
    code, out, err = relman(capsys, repo_builder, "notes")
    assert code == 0
    assert "warning: nothing to release" in err
    assert "# Release Notes - Smart Dairy ERP v1.0.0" in out
    code, out, err = relman(capsys, repo_builder, "notes", "--version", "1.0.1")
    assert (code, err) == (0, "")
    assert "v1.0.1" in out


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_notes_to_a_text_only_stdout(repo: Any, capsys: Capsys, fmt: str) -> None:
    """``main()`` called from a script whose stdout is a StringIO (no bytes layer)."""
    code, expected, _ = relman(capsys, repo, "notes", "-f", fmt)
    assert code == 0
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        assert main(["-C", str(repo.path), "notes", "-f", fmt]) == 0
    assert text.getvalue() == expected
    assert "2.0.0" in expected


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["notes", "--from", "v9.9.9"], 5, "unknown revision 'v9.9.9'"),
        (["notes", "--to", "no-such-branch"], 5, "unknown revision 'no-such-branch'"),
        (["notes", "--date", "31/01/2026"], 4, "invalid date '31/01/2026'"),
        (["notes", "--type", "urgent"], 4, "invalid release type 'urgent'"),
        (["notes", "--format", "pdf"], 4, "unknown format 'pdf'"),
        (["notes", "--version", "1.2"], 4, "(--version)"),
        (["notes", "--component", "nope"], 5, "unknown component 'nope'"),
        (["changelog", "--version", "x"], 4, "(--version)"),
    ],
)
def test_bad_input_exit_codes(
    repo: Any, capsys: Capsys, args: list[str], code: int, message: str
) -> None:
    got, out, err = relman(capsys, repo, *args)
    assert got == code
    assert message in err
    assert out == ""


def test_unreadable_context_files(repo: Any, capsys: Capsys, tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    code, _, err = relman(capsys, repo, "notes", "--from-context", str(missing))
    assert code == 4
    assert "no such file" in err and str(missing) in err

    broken = tmp_path / "broken.json"
    broken.write_text('{"version": "1.0.0",\n  oops}')
    code, _, err = relman(capsys, repo, "notes", "--from-context", str(broken))
    assert code == 4
    assert "invalid JSON" in err and f"{broken}:2:" in err

    _, out, _ = relman(capsys, repo, "notes", "-f", "json")
    context = json.loads(out)
    lone = tmp_path / "lone-surrogate.json"  # valid to json.loads, but no text can hold it
    lone.write_text(json.dumps({**context, "summary": "milk \ud800 yield"}))
    for fmt in ("md", "json"):
        code, out, err = relman(capsys, repo, "notes", "--from-context", str(lone), "-f", fmt)
        assert code == 4
        assert "invalid JSON" in err and "surrogate" in err and f"{lone}:1:" in err
        assert out == ""

    partial = tmp_path / "partial.json"
    del context["technical"]["migrations"]
    partial.write_text(json.dumps(context))
    code, _, err = relman(capsys, repo, "notes", "--from-context", str(partial))
    assert code == 4
    assert "missing key 'technical.migrations'" in err and str(partial) in err


def test_from_context_cannot_be_mixed_with_a_range(
    repo: Any, capsys: Capsys, tmp_path: Path
) -> None:
    saved = tmp_path / "c.json"
    saved.write_text(relman(capsys, repo, "notes", "-f", "json")[1])
    code, _, err = relman(capsys, repo, "notes", "--from-context", str(saved), "--to", "v1.0.0")
    assert code == 4
    assert "--to cannot be used with --from-context" in err


def test_bad_output_path_writes_nothing(repo: Any, capsys: Capsys, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = relman(capsys, repo, "notes", "-o", str(blocker / "notes.md"))
    assert code == 4
    assert "cannot write file" in err
    assert blocker.read_text() == "x"


# ------------------------------------------------------------------ relman notes archive


def test_archive_index_newest_first_with_a_hotfix(repo: Any, capsys: Capsys) -> None:
    for args in (
        ["--to", "v1.0.1-hotfix.1"],
        [],  # 2.0.0, the next release
        ["--to", "v1.0.0"],
    ):
        code, out, err = relman(capsys, repo, "notes", "archive", *args)
        assert code == 0, err
        assert "Archived the release notes of" in out
    archive = repo.path / "docs" / "releases"
    assert sorted(p.name for p in archive.iterdir()) == [
        "README.md",
        "release-notes-v1.0.0.md",
        "release-notes-v1.0.1-hotfix.1.md",
        "release-notes-v2.0.0.md",
    ]
    index = (archive / "README.md").read_text()
    rows = [line for line in index.splitlines() if line.startswith("| ") and "[" in line]
    assert [row.split(" | ")[0] for row in rows] == ["| 2.0.0", "| 1.0.1-hotfix.1", "| 1.0.0"]
    assert "| 1.0.1-hotfix.1 | 2026-01-01 | Hotfix |" in index


def test_archive_refuses_to_overwrite_without_force(repo: Any, capsys: Capsys) -> None:
    assert relman(capsys, repo, "notes", "archive")[0] == 0
    notes = repo.path / "docs/releases/release-notes-v2.0.0.md"
    before = notes.read_text()
    code, _, err = relman(capsys, repo, "notes", "archive", "--summary", "New text.")
    assert code == 6
    assert "already archived" in err and "--force" in err
    assert notes.read_text() == before
    code, _, err = relman(capsys, repo, "notes", "archive", "--summary", "New text.", "--force")
    assert code == 0, err
    assert "New text." in notes.read_text()


def test_archive_from_a_context_file(repo: Any, capsys: Capsys, tmp_path: Path) -> None:
    saved = tmp_path / "c.json"
    context = json.loads(relman(capsys, repo, "notes", "-f", "json", "--version", "2.0.0")[1])
    context["summary"] = "Reviewed."
    saved.write_text(json.dumps(context))
    code, _, err = relman(capsys, repo, "notes", "archive", "--from-context", str(saved))
    assert code == 0, err
    assert "Reviewed." in (repo.path / "docs/releases/release-notes-v2.0.0.md").read_text()


# ------------------------------------------------------------------ relman changelog


def test_changelog_created_then_updated_above_the_newest(repo: Any, capsys: Capsys) -> None:
    changelog = repo.path / "CHANGELOG.md"
    code, out, err = relman(capsys, repo, "changelog", "--to", "v1.0.1-hotfix.1")
    assert code == 0, err
    assert out.strip() == f"Added 1.0.1-hotfix.1 to {changelog}"
    first = changelog.read_text()
    assert first.startswith("# Changelog\n")
    # hand edits below the newest section are kept byte for byte
    edited = first + "\n[1.0.1-hotfix.1]: https://git.example/compare/v1.0.0...v1.0.1-hotfix.1\n"
    changelog.write_text(edited)

    code, _, err = relman(capsys, repo, "changelog")
    assert code == 0, err
    text = changelog.read_text()
    assert text.index("## [2.0.0]") < text.index("## [1.0.1-hotfix.1]")
    tail = edited[edited.index("## [1.0.1-hotfix.1]") :]
    assert text.endswith(tail)
    assert text[: text.index("## [2.0.0]")] == edited[: edited.index("## [1.0.1-hotfix.1]")]


def test_changelog_conflict_and_force(repo: Any, capsys: Capsys) -> None:
    changelog = repo.path / "CHANGELOG.md"
    assert relman(capsys, repo, "changelog")[0] == 0
    before = changelog.read_text()
    code, _, err = relman(capsys, repo, "changelog")
    assert code == 6
    assert "already has a section for 2.0.0" in err and "CHANGELOG.md:7" in err
    assert changelog.read_text() == before
    code, _, err = relman(capsys, repo, "changelog", "--force", "--date", "2026-03-01")
    assert code == 0, err
    after = changelog.read_text()
    assert "## [2.0.0] - 2026-03-01" in after
    assert after.count("## [2.0.0]") == 1


def test_changelog_output_option_and_all(repo: Any, capsys: Capsys, tmp_path: Path) -> None:
    target = tmp_path / "HISTORY.md"
    code, out, err = relman(capsys, repo, "changelog", "--all", "-o", str(target))
    assert code == 0, err
    assert "from 2 releases" in out
    text = target.read_text()
    assert text.index("## [1.0.1-hotfix.1]") < text.index("## [1.0.0]")
    assert "## [2.0.0]" not in text  # not released yet and no --version given
    assert not (repo.path / "CHANGELOG.md").exists()
