"""Run smoke tests against a deployed version (J-003 §8.5, §14.1).

`SmokeTests` sends the configured HTTP checks (`relman.domain.smoke.SmokeCheck`) to a base URL
with httpx, judging each response with `evaluate_smoke_check`, and/or runs an external command
(e.g. ``pytest smoke/ --junitxml=smoke.xml``) with a timeout, reading the JUnit file it writes.
The outcome is one `SmokeReport`: a JUnit document to store as ``junit`` evidence (G5/G7) and
its summary. Outside failures (no answer, a command that times out) are failed test cases,
never exceptions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from relman.adapters.tool_runs import run_tool
from relman.domain.evidence import parse_junit
from relman.domain.health import CheckResult
from relman.domain.smoke import (
    SmokeCheck,
    SmokeReport,
    SmokeResponse,
    build_smoke_report,
    evaluate_smoke_check,
)
from relman.errors import IntegrationError, InvalidInputError

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class SmokeCommand:
    """An external smoke suite: argv, a timeout, and the JUnit file it writes (optional)."""

    argv: tuple[str, ...]
    timeout: float = 600.0
    junit_path: Path | None = None
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    name: str = "smoke command"


class SmokeTests:
    """The smoke suite of one environment; ``run()`` -> `SmokeReport`."""

    def __init__(
        self,
        base_url: str | None,
        checks: Sequence[SmokeCheck] = (),
        *,
        command: SmokeCommand | None = None,
        timeout: float = 10.0,
        suite: str = "smoke",
        now: Callable[[], datetime] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.checks = tuple(checks)
        self.command = command
        self.timeout = timeout
        self.suite = suite
        self._now = now or (lambda: datetime.now(UTC))
        self._headers = dict(headers or {})

    def run(self) -> SmokeReport:
        at = self._now()
        results = self.run_http_checks() if self.checks else []
        external: list[tuple[str, str]] = []
        if self.command is not None:
            result, junit = run_smoke_command(self.command)
            results.append(result)
            if junit is not None:
                external.append(junit)
        return build_smoke_report(results, suite=self.suite, at=at, external_junit=external)

    def run_http_checks(self) -> list[CheckResult]:
        import httpx

        if self.base_url is None:
            return [
                CheckResult(c.name, False, "no URL to test: the environment has none", 0.0, "smoke")
                for c in self.checks
            ]
        with httpx.Client(
            base_url=self.base_url, timeout=self.timeout, trust_env=False, headers=self._headers
        ) as client:
            return [evaluate_smoke_check(c, send_smoke_request(client, c)) for c in self.checks]


def send_smoke_request(client: httpx.Client, check: SmokeCheck) -> SmokeResponse:
    """Send one check's request; a transport failure is a response without a status."""
    import httpx

    started = time.perf_counter()
    try:
        response = client.request(
            check.method.upper(),
            check.path,
            json=check.json_body,
            headers=dict(check.headers),
        )
    except httpx.HTTPError as exc:
        return SmokeResponse(
            None, "", (time.perf_counter() - started) * 1000.0, f"{type(exc).__name__}: {exc}"
        )
    elapsed = (time.perf_counter() - started) * 1000.0
    return SmokeResponse(response.status_code, response.text, elapsed)


def run_smoke_command(command: SmokeCommand) -> tuple[CheckResult, tuple[str, str] | None]:
    """Run the external suite: its own result, and ``(source, junit xml)`` when it wrote one."""
    if command.junit_path is not None:
        command.junit_path.unlink(missing_ok=True)  # never read a previous run's results
    started = time.perf_counter()
    try:
        run = run_tool(
            command.argv,
            what=command.name,
            timeout=command.timeout,
            env=command.env,
            cwd=command.cwd,
            check=False,
        )
    except IntegrationError as exc:  # not found, timed out
        tail = str(exc.details.get("stderr_tail", ""))
        detail = exc.message + (f"\n{tail}" if tail else "")
        elapsed = (time.perf_counter() - started) * 1000.0
        return CheckResult(command.name, False, detail, elapsed, "smoke"), None
    elapsed = run.seconds * 1000.0
    ok = run.returncode == 0
    detail = f"{' '.join(command.argv)} exited with {run.returncode}"
    junit, problem = _read_junit(command.junit_path)
    if problem is not None:
        ok = False
        detail += f"; {problem}"
    if not ok and run.output_tail:
        detail += "\n" + run.output_tail
    return CheckResult(command.name, ok, detail, elapsed, "smoke"), junit


def _read_junit(path: Path | None) -> tuple[tuple[str, str] | None, str | None]:
    """``((source, xml), None)``, or ``(None, what is wrong)``; ``(None, None)`` without a path."""
    if path is None:
        return None, None
    if not path.is_file():
        return None, f"it wrote no JUnit report at {path}"
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        parse_junit(text, source=str(path))
    except InvalidInputError as exc:
        return None, f"its JUnit report is unreadable: {exc}"
    return (str(path), text), None
