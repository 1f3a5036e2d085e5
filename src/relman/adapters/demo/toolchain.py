"""`DemoToolchain`: the real test, coverage and static-analysis runs whose files become evidence.

In a subprocess, in the sample repository's work tree (``PYTHONPATH`` = the repository):

1. ``python -m coverage run -m pytest --junitxml=junit.xml`` -> JUnit XML (and coverage data);
2. ``python -m coverage xml`` -> Cobertura XML;
3. ``python -m ruff check --output-format sarif`` (the repository's own ruff configuration) ->
   SARIF 2.1.0 when ruff is installed; without
   ruff, `scan_sources` (an ``ast`` scan of the sources for dangerous calls, below) writes the
   SARIF and names itself as the tool (``relman-demo-scan``), so nobody mistakes it for ruff.

Nothing is written into the repository: outputs and coverage data go to ``out``, and
``PYTHONDONTWRITEBYTECODE`` plus ``-p no:cacheprovider`` keep caches out of the work tree.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relman.errors import ConfigError, IntegrationError

SCANNER = "relman-demo-scan"
_DANGEROUS = {
    "eval": "eval() runs arbitrary code",
    "exec": "exec() runs arbitrary code",
    "pickle.loads": "pickle.loads() of untrusted data runs arbitrary code",
    "marshal.loads": "marshal.loads() of untrusted data is unsafe",
    "yaml.load": "yaml.load() without a safe loader builds arbitrary objects",
    "os.system": "os.system() runs a shell command",
}


@dataclass(frozen=True)
class ToolRun:
    """One tool's command, exit code, output file and how long it took."""

    tool: str
    argv: tuple[str, ...]
    exit_code: int
    output: Path
    seconds: float
    tail: str = ""


def list_missing_tools() -> list[str]:
    """The Python modules the evidence runs need and this interpreter lacks."""
    return [name for name in ("pytest", "coverage") if importlib.util.find_spec(name) is None]


class DemoToolchain:
    """Runs the tools with this interpreter (``sys.executable``)."""

    def __init__(self, *, python: str = sys.executable, timeout: float = 300.0) -> None:
        self.python = python
        self.timeout = timeout

    def _run(
        self,
        tool: str,
        argv: list[str],
        cwd: Path,
        output: Path,
        extra_env: Mapping[str, str] | None = None,
    ) -> ToolRun:
        env = dict(os.environ)
        env.update({"PYTHONPATH": str(cwd), "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"})
        env.update(extra_env or {})
        started = time.monotonic()
        try:
            proc = subprocess.run(
                argv,
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise IntegrationError(f"{tool} did not run: {exc}", where=" ".join(argv)) from exc
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        return ToolRun(
            tool, tuple(argv), proc.returncode, output, time.monotonic() - started,
            "\n".join(lines[-15:]),
        )  # fmt: skip

    def run_tests(
        self,
        repo: Path,
        out: Path,
        *,
        source: str,
        tests: str = "tests",
        env: Mapping[str, str] | None = None,
    ) -> ToolRun:
        """pytest under coverage; JUnit XML at ``out/junit.xml``; ``env`` for the tests."""
        missing = list_missing_tools()
        if missing:
            raise ConfigError(
                f"the demo's test evidence needs {' and '.join(missing)} in this Python "
                f"({self.python})",
                where="relman demo",
                hint="install them with: pip install 'relman[demo]' (make run does this)",
            )
        out.mkdir(parents=True, exist_ok=True)
        junit = out / "junit.xml"
        argv = [
            self.python, "-m", "coverage", "run", f"--data-file={out / '.coverage'}",
            f"--source={source}", "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"--junitxml={junit}", tests,
        ]  # fmt: skip
        run = self._run("pytest", argv, repo, junit, env)
        if not junit.is_file():
            raise IntegrationError(
                f"pytest wrote no JUnit report (exit {run.exit_code}): {run.tail}",
                where=" ".join(argv),
            )
        return run

    def write_coverage(self, repo: Path, out: Path) -> ToolRun:
        """``coverage xml`` (Cobertura) at ``out/coverage.xml``."""
        target = out / "coverage.xml"
        argv = [
            self.python, "-m", "coverage", "xml", f"--data-file={out / '.coverage'}",
            "-o", str(target),
        ]  # fmt: skip
        run = self._run("coverage", argv, repo, target)
        if run.exit_code != 0 or not target.is_file():
            raise IntegrationError(f"coverage xml failed: {run.tail}", where=" ".join(argv))
        return run

    def write_sarif(self, repo: Path, out: Path, *, paths: list[str]) -> ToolRun:
        """ruff's SARIF when ruff is installed, else `scan_sources`; at ``out/scan.sarif``."""
        target = out / "scan.sarif"
        if importlib.util.find_spec("ruff") is not None:
            argv = [
                self.python, "-m", "ruff", "check", "--no-cache", "--output-format", "sarif",
                "--output-file", str(target), *paths,
            ]  # fmt: skip
            run = self._run("ruff", argv, repo, target)
            if run.exit_code in (0, 1) and target.is_file():
                return run
            raise IntegrationError(f"ruff failed: {run.tail}", where=" ".join(argv))
        started = time.monotonic()
        sarif = scan_sources(repo, paths)
        target.write_text(json.dumps(sarif, indent=2), encoding="utf-8")
        count = len(sarif["runs"][0]["results"])
        return ToolRun(
            SCANNER, ("relman-demo-scan", *paths), 1 if count else 0, target,
            time.monotonic() - started, f"{count} findings",
        )  # fmt: skip


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


def scan_sources(repo: Path, paths: list[str]) -> dict[str, Any]:
    """A SARIF 2.1.0 log of dangerous calls (eval, exec, pickle/marshal loads, yaml.load,
    os.system, ``shell=True``) in the Python files under ``paths``; every finding is an error."""
    results: list[dict[str, object]] = []
    files = sorted(p for folder in paths for p in (repo / folder).rglob("*.py"))
    for path in files:
        rel = path.relative_to(repo).as_posix()
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        except SyntaxError as exc:
            results.append(_result("syntax-error", f"cannot parse: {exc.msg}", rel, exc.lineno))
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            if name in _DANGEROUS:
                results.append(_result("dangerous-call", _DANGEROUS[name], rel, node.lineno))
            for kw in node.keywords:
                if kw.arg == "shell" and isinstance(kw.value, ast.Constant) and kw.value.value:
                    results.append(
                        _result("shell-true", "subprocess with shell=True", rel, node.lineno)
                    )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": SCANNER,
                        "informationUri": "https://github.com/relman/relman",
                        "rules": [
                            {"id": "dangerous-call"},
                            {"id": "shell-true"},
                            {"id": "syntax-error"},
                        ],
                    }
                },
                "results": results,
                "properties": {"filesScanned": len(files)},
            }
        ],
    }


def _result(rule: str, text: str, uri: str, line: int | None) -> dict[str, object]:
    return {
        "ruleId": rule,
        "level": "error",
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": line or 1},
                }
            }
        ],
    }
