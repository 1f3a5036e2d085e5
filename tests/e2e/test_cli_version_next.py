"""`relman version current|next`: what a user sees (output, JSON, exit codes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from relman.cli.main import main

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder


def _run(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(repo), "version", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _snapshot(path: Path) -> dict[str, float]:
    """Every file under ``path`` (except .git) with its mtime: proof that nothing was written."""
    return {
        str(p.relative_to(path)): p.stat().st_mtime
        for p in path.rglob("*")
        if ".git" not in p.relative_to(path).parts
    }


@pytest.fixture
def repo(repo_builder: RepoBuilder) -> RepoBuilder:
    repo_builder.commit("chore: init")
    repo_builder.tag("v1.4.2")
    repo_builder.commit("fix(farm): milk totals [SD-1]")
    repo_builder.commit("feat(b2b): bulk orders\n\nRefs: SD-2")
    repo_builder.commit("docs: guide")
    return repo_builder


def test_next_json_is_exactly_the_documented_shape(
    repo: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    feat = repo.git("rev-parse", "HEAD~1")
    code, out, _ = _run(capsys, repo.path, "next", "--json")
    assert code == 0
    assert json.loads(out) == {
        "component": None,
        "current": "1.4.2",
        "next": "1.5.0",
        "bump": "minor",
        "commits": 3,
        "reasons": [
            {"sha": feat, "type": "feat", "breaking": False, "summary": "feat(b2b): bulk orders"}
        ],
    }


def test_next_human_output_shows_versions_and_reasons(
    repo: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, repo.path, "next")
    assert code == 0
    assert "1.4.2 -> 1.5.0" in out
    assert "minor; 3 commits in v1.4.2..HEAD" in out
    assert "feat(b2b): bulk orders" in out


def test_next_human_output_shows_the_first_reasons_and_counts_the_rest(
    repo: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    from relman.cli.version import SHOWN_REASONS

    for n in range(SHOWN_REASONS + 3):
        repo.commit(f"feat(farm): herd view {n:02d}")
    code, out, _ = _run(capsys, repo.path, "next")
    assert code == 0
    shown = [line for line in out.splitlines() if "feat(farm): herd view" in line]
    assert len(shown) == SHOWN_REASONS
    assert "... and 4 more (--json lists every reason)" in out  # 23 new + the b2b feature
    code, out, _ = _run(capsys, repo.path, "next", "--json")
    assert len(json.loads(out)["reasons"]) == SHOWN_REASONS + 4


def test_next_keeps_brackets_in_summaries(
    repo_builder: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    repo_builder.commit("fix: [farm] rounding [bold]x[/bold]")
    code, out, _ = _run(capsys, repo_builder.path, "next")
    assert code == 0
    assert "fix: [farm] rounding [bold]x[/bold]" in out


def test_next_prerelease(repo: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, repo.path, "next", "--pre", "rc", "--json")
    assert code == 0
    assert json.loads(out)["next"] == "1.5.0-rc.1"


def test_current(repo: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, repo.path, "current")
    assert (code, out.split()[0]) == (0, "1.4.2")
    code, out, _ = _run(capsys, repo.path, "current", "--json")
    data = json.loads(out)
    assert (code, data["current"], data["tag"], data["component"]) == (0, "1.4.2", "v1.4.2", None)
    assert data["sha"] == repo.git("rev-parse", "v1.4.2^{commit}")


def test_current_without_tags(
    repo_builder: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    repo_builder.commit("feat: start")
    code, out, _ = _run(capsys, repo_builder.path, "current")
    assert code == 0
    assert "no release yet" in out
    assert "0.1.0" in out


def test_components(repo_builder: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    toml = '[components.farm]\npaths = ["addons/smart_farm/**"]\ntag_format = "farm-v{version}"\n'
    repo_builder.commit("chore: init", {"relman.toml": toml})
    repo_builder.tag("farm-v0.4.0")
    repo_builder.commit("feat(farm): herd", {"addons/smart_farm/herd.py": "1\n"})
    repo_builder.commit("feat!: core rewrite", {"core/app.py": "1\n"})
    code, out, _ = _run(capsys, repo_builder.path, "next", "--component", "farm", "--json")
    data = json.loads(out)
    assert (code, data["component"], data["current"], data["next"]) == (0, "farm", "0.4.0", "0.5.0")
    code, out, _ = _run(capsys, repo_builder.path, "current", "-c", "farm", "--json")
    assert (code, json.loads(out)["tag"]) == (0, "farm-v0.4.0")


def test_unknown_component_exits_5(repo: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, repo.path, "next", "--component", "robot")
    assert code == 5
    assert "unknown component 'robot'" in err


def test_nothing_to_release_exits_9(
    repo_builder: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    repo_builder.commit("feat: a")
    repo_builder.tag("v2.0.0")
    repo_builder.commit("docs: b")
    repo_builder.commit("chore: c")
    code, out, err = _run(capsys, repo_builder.path, "next")
    assert (code, out) == (9, "")
    assert "nothing to release" in err
    assert "2 commits in v2.0.0..HEAD" in err


def test_allow_noop_exits_0_with_the_current_version(
    repo_builder: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    repo_builder.commit("feat: a")
    repo_builder.tag("v2.0.0")
    repo_builder.commit("docs: b")
    code, out, _ = _run(capsys, repo_builder.path, "next", "--allow-noop", "--json")
    assert code == 0
    assert json.loads(out) == {
        "component": None,
        "current": "2.0.0",
        "next": "2.0.0",
        "bump": "none",
        "commits": 1,
        "reasons": [],
    }


def test_not_a_repository_exits_8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    code, out, err = _run(capsys, plain, "next")
    assert (code, out) == (8, "")
    assert "not a git repository" in err
    assert str(plain.resolve()) in err
    assert list(plain.iterdir()) == []


def test_unknown_ref_exits_5(repo: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(repo.path)
    code, out, err = _run(capsys, repo.path, "next", "--ref", "v9.9.9")
    assert (code, out) == (5, "")
    assert "unknown revision 'v9.9.9'" in err
    assert _snapshot(repo.path) == before


def test_unknown_ref_json_error(repo: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, repo.path, "current", "--ref", "v9.9.9", "--json")
    assert code == 5
    assert json.loads(err)["error"]["code"] == "not_found"


def test_tag_format_without_placeholder_exits_3(
    repo: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write({"relman.toml": '[project]\nname = "x"\n\n[versioning]\ntag_format = "release"\n'})
    before = _snapshot(repo.path)
    code, out, err = _run(capsys, repo.path, "next")
    assert (code, out) == (3, "")
    assert "relman.toml:5 versioning.tag_format" in err
    assert "{version}" in err
    assert _snapshot(repo.path) == before


def test_component_tag_format_without_placeholder_exits_3(
    repo: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write({"relman.toml": '[components.farm]\ntag_format = "farm"\n'})
    code, _, err = _run(capsys, repo.path, "current", "-c", "farm")
    assert code == 3
    assert "relman.toml:2 components.farm.tag_format" in err


@pytest.mark.parametrize(
    ("toml", "where"),
    [
        ('[versioning]\ninitial_version = "1.0"\n', "relman.toml:2 versioning.initial_version"),
        ("[versioning]\ntag_format = 5\n", "relman.toml:2 versioning.tag_format"),
        ('[components.farm]\npaths = "addons"\n', "relman.toml:2 components.farm.paths"),
        ('[components.farm]\nscheme = "calver"\n', "relman.toml:2 components.farm.scheme"),
        ('[versioning]\ntag_fromat = "v{version}"\n', "relman.toml:2 versioning.tag_fromat"),
    ],
)
def test_malformed_config_value_exits_3(
    repo: RepoBuilder, capsys: pytest.CaptureFixture[str], toml: str, where: str
) -> None:
    repo.write({"relman.toml": toml})
    code, out, err = _run(capsys, repo.path, "next")
    assert (code, out) == (3, "")
    assert where in err


def test_unknown_prerelease_token_exits_4(
    repo: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, repo.path, "next", "--pre", "nightly")
    assert code == 4
    assert "'nightly'" in err


def test_shallow_clone_exits_8(
    repo: RepoBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(clone)], check=True
    )
    code, _, err = _run(capsys, clone, "next")
    assert code == 8
    assert "shallow clone: no release tag reachable from HEAD" in err


def test_as_a_subprocess(repo: RepoBuilder) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "relman", "-C", str(repo.path), "version", "next", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["next"] == "1.5.0"
