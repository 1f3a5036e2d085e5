"""The relman CLI run in-process for tests: ``Cli(repo, capsys)("release", "list")``.

Shared by tests/e2e and tests/integration (this folder is on ``sys.path`` through
tests/conftest.py, as pytest puts a rootless conftest's folder there)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from relman.cli.main import main


class Cli:
    """``relman -C REPO ...`` in-process: (exit code, stdout, stderr)."""

    def __init__(self, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.repo = repo
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = main(["-C", str(self.repo), *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert code == 0, f"relman {' '.join(args)} -> {code}\n{out}\n{err}"
        return out

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def fails(self, code: int, *args: str) -> str:
        got, out, err = self(*args)
        assert got == code, f"relman {' '.join(args)} -> {got} (wanted {code})\n{out}\n{err}"
        return out + err

    def error(self, code: int, *args: str) -> str:
        """Exit ``code`` with an ``error: ...`` message on stderr (returned)."""
        got, out, err = self(*args)
        assert got == code, f"relman {' '.join(args)} -> {got} (wanted {code})\n{out}\n{err}"
        assert err.startswith("error: "), err
        return err
