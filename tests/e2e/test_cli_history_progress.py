"""A long history shows its progress on a terminal's stderr, and nowhere else.

relman runs as a real process with stderr on a pseudo-terminal (``pty``) and stdout on a pipe,
as in ``relman notes --format json > notes.json`` typed at a shell.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder

COMMITS = 6000
PROGRESS = "Reading history"


def _env() -> dict[str, str]:
    drop = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, "TERM": "xterm-256color"}


def _run(
    repo: Path, *args: str, tty: bool, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``relman -C repo ARGS``; stderr on a terminal if ``tty``."""
    argv = [sys.executable, "-m", "relman", "-C", str(repo), *args]
    env = {**_env(), **(env or {})}
    if not tty:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed its end
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, env=env)
        os.close(slave)
        out, _ = child.communicate(timeout=120)
    finally:
        reader.join(timeout=30)
        os.close(master)
    return child.returncode, out.decode(), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def long_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import RepoBuilder

    builder = RepoBuilder(tmp_path_factory.mktemp("history") / "repo")
    builder.import_history(
        [f"fix(farm): milk yield {i}\n\nRefs: SD-{i}\n" for i in range(1, COMMITS + 1)],
        tags={1: "v1.0.0"},
    )
    return builder.path


def test_notes_show_the_commits_read_on_a_terminal(long_repo: Path) -> None:
    code, out, err = _run(long_repo, "notes", "--format", "json", tty=True)
    assert code == 0, err
    assert PROGRESS in err and "commits" in err
    counts = [int(n.replace(",", "")) for n in _counts(err)]
    assert counts and max(counts) <= COMMITS - 1 and min(counts) >= 2000
    assert json.loads(out)["range"]["commits"] == COMMITS - 1  # stdout is untouched

    piped = _run(long_repo, "notes", "--format", "json", tty=False)
    assert piped[0] == 0
    assert PROGRESS not in piped[2]
    assert piped[1] == out  # the same notes, byte for byte

    # a CI log that asks for colours is still not a terminal
    forced = _run(long_repo, "notes", tty=False, env={"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"})
    assert forced[0] == 0
    assert PROGRESS not in forced[2]


@pytest.mark.parametrize(
    "args",
    [("version", "next"), ("lint", "range", "v1.0.0..HEAD"), ("changelog", "--all")],
)
def test_other_history_commands_show_it_too(long_repo: Path, args: tuple[str, ...]) -> None:
    code, _, err = _run(long_repo, *args, tty=True)
    assert code == 0, err
    assert PROGRESS in err


def test_a_short_range_shows_nothing(long_repo: Path) -> None:
    # (without --version, the notes would work the version out from all 5,999 commits since v1.0.0)
    code, _, err = _run(long_repo, "notes", "--from", "HEAD~50", "--version", "2.0.0", tty=True)
    assert code == 0, err
    assert PROGRESS not in err


def test_a_saved_context_needs_no_repository_on_a_terminal(long_repo: Path, tmp_path: Path) -> None:
    saved = tmp_path / "context.json"
    code, out, err = _run(long_repo, "notes", "--format", "json", "--version", "2.0.0", tty=False)
    assert code == 0, err
    saved.write_text(out)
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    code, out, err = _run(elsewhere, "notes", "--from-context", str(saved), tty=True)
    assert code == 0, err
    assert out.startswith("# Release Notes") and "2.0.0" in out


def _counts(text: str) -> list[str]:
    import re

    return re.findall(rf"{PROGRESS}: ([\d,]+) commits", text)


def test_the_builder_made_the_history(repo_builder: RepoBuilder) -> None:
    repo_builder.import_history(["feat: a\n", "fix: b\n"], tags={2: "v0.1.0"})
    assert repo_builder.git("rev-list", "--count", "HEAD") == "2"
    assert repo_builder.git("tag") == "v0.1.0"
