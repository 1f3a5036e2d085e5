"""One command per documented exit code (docs/exit-codes.md), run the way a user runs relman."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder

DOC = Path(__file__).resolve().parents[2] / "docs" / "exit-codes.md"

PEOPLE = """
[people.meher]
name = "Meher Hossain"
roles = ["release_manager"]
"""


def _relman(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "relman", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
        timeout=120,
    )


def _tagged_repo(builder: RepoBuilder) -> Path:
    builder.commit("feat(core): first feature")
    builder.tag("v1.0.0")
    return builder.path


Case = Callable[["RepoBuilder", Path], "subprocess.CompletedProcess[str]"]


def _ok(b: RepoBuilder, tmp: Path) -> subprocess.CompletedProcess[str]:
    return _relman(tmp, "version", "compare", "1.0.0", "1.0.0+build.7")


def _check_failed(b: RepoBuilder, tmp: Path) -> subprocess.CompletedProcess[str]:
    return _relman(tmp, "lint", "commit", "--message", "added stuff")


def _usage(b: RepoBuilder, tmp: Path) -> subprocess.CompletedProcess[str]:
    return _relman(tmp, "version", "bump")


def _config(b: RepoBuilder, tmp: Path) -> subprocess.CompletedProcess[str]:
    repo = _tagged_repo(b)
    (repo / "relman.toml").write_text('[versioning]\ntag_format = "release"\n', encoding="utf-8")
    return _relman(repo, "version", "current")


def _invalid_input(b: RepoBuilder, tmp: Path) -> subprocess.CompletedProcess[str]:
    return _relman(tmp, "version", "validate", "1.2")


def _not_found(b: RepoBuilder, tmp: Path) -> subprocess.CompletedProcess[str]:
    return _relman(_tagged_repo(b), "notes", "--from", "v9.9.9")


def _conflict(b: RepoBuilder, tmp: Path) -> subprocess.CompletedProcess[str]:
    repo = _tagged_repo(b)
    first = _relman(repo, "init")
    assert first.returncode == 0, first.stderr
    return _relman(repo, "init")


def _blocked(b: RepoBuilder, tmp: Path) -> subprocess.CompletedProcess[str]:
    repo = _tagged_repo(b)
    b.commit("feat(farm): milk quality score")
    (repo / "relman.toml").write_text(PEOPLE, encoding="utf-8")
    # a major release needs 4 weeks of lead time (J-003 §2.1); three days is refused
    soon = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    return _relman(
        repo,
        "release",
        "plan",
        "--type",
        "major",
        "--version",
        "2.0.0",
        "--target-date",
        soon,
        "--as",
        "meher",
    )


def _git(b: RepoBuilder, tmp: Path) -> subprocess.CompletedProcess[str]:
    plain = tmp / "not-a-repo"
    plain.mkdir()
    return _relman(tmp, "-C", str(plain), "version", "current")


def _nothing(b: RepoBuilder, tmp: Path) -> subprocess.CompletedProcess[str]:
    repo = _tagged_repo(b)
    b.commit("docs(api): explain the sales order endpoint")
    return _relman(repo, "version", "next")


def _integration(b: RepoBuilder, tmp: Path) -> subprocess.CompletedProcess[str]:
    repo = _tagged_repo(b)
    url = "postgresql+psycopg://postgres@127.0.0.1:1/relman_nowhere"
    return _relman(repo, "audit", "verify", env={"RELMAN_DATABASE_URL": url})


CASES: dict[int, tuple[Case, str]] = {
    0: (_ok, "="),
    1: (_check_failed, "header-format"),
    2: (_usage, "Missing argument"),
    3: (_config, "versioning.tag_format"),
    4: (_invalid_input, "MAJOR.MINOR.PATCH"),
    5: (_not_found, "v9.9.9"),
    6: (_conflict, "relman.toml"),
    7: (_blocked, "lead time"),
    8: (_git, "not-a-repo"),
    9: (_nothing, "v1.0.0"),
    12: (_integration, "RELMAN_DATABASE_URL"),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_documented_exit_code(code: int, repo_builder: RepoBuilder, tmp_path: Path) -> None:
    case, needle = CASES[code]
    proc = case(repo_builder, tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == code, output
    assert needle.lower() in output.lower(), output
    if code not in (0, 2):
        assert "Traceback" not in output
        assert "error:" in proc.stderr


def test_every_documented_code_is_exercised_or_named_elsewhere() -> None:
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", DOC.read_text(), flags=re.M)}
    # 10 and 11 come from deployments (tests/integration/test_deploy_*), 70 and 130 are not
    # user errors; every other documented code has a case above.
    assert documented - {10, 11, 70, 130} == set(CASES)  # 70: test_a_bug_in_relman_exits_70


def test_a_bug_in_relman_exits_70_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from relman.cli import main as cli_main
    from relman.domain import versions

    def broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(versions, "get_scheme", broken)
    code = cli_main.main(["version", "validate", "1.2.3"])
    err = capsys.readouterr().err
    assert code == 70
    assert "internal error: RuntimeError: simulated bug" in err
    assert "--debug" in err
    assert "Traceback" not in err
    with pytest.raises(RuntimeError):
        cli_main.main(["--debug", "version", "validate", "1.2.3"])
