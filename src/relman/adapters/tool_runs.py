"""Run an outside tool (pg_dump, pg_restore, a migration command) with a timeout.

argv lists only (never a shell string). The child runs in its own session so a timeout kills it
and everything it started. Failures become the caller's relman error class, naming the tool, the
exit code or signal, and carrying the argv and the tail of its output in ``details``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from relman.errors import IntegrationError

TAIL_LINES = 20
TAIL_CHARS = 4000


@dataclass(frozen=True)
class ToolRun:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output_tail(self) -> str:
        return compute_tail(
            self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr
        )


def compute_tail(text: str, *, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> str:
    """The last ``lines`` lines (at most ``chars`` characters) of ``text``."""
    tail = "\n".join(text.rstrip().splitlines()[-lines:])
    return tail[-chars:]


def run_tool(
    argv: Sequence[str],
    *,
    what: str,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    error: type[IntegrationError] = IntegrationError,
    check: bool = True,
) -> ToolRun:
    """Run ``argv``; ``error`` on a missing tool, a timeout or (with ``check``) a non-zero exit.

    ``env`` is added to this process's environment (e.g. libpq's PGHOST, PGPASSWORD).
    """
    args = tuple(argv)
    full_env = {**os.environ, **(env or {})}
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            cwd=cwd,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except FileNotFoundError:
        raise error(
            f"{what}: {args[0]} not found", where=args[0], details={"argv": list(args)}
        ) from None
    except OSError as exc:
        raise error(
            f"{what}: cannot start {args[0]}: {exc.strerror}",
            where=args[0],
            details={"argv": list(args)},
        ) from exc
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        run = ToolRun(args, process.returncode, stdout, stderr, time.monotonic() - started)
        raise error(
            f"{what}: {args[0]} timed out after {timeout:g} s and was killed",
            where=args[0],
            details={"argv": list(args), "stderr_tail": run.output_tail, "timeout": timeout},
        ) from None
    run = ToolRun(args, process.returncode, stdout, stderr, time.monotonic() - started)
    if check and run.returncode != 0:
        raise error(
            f"{what}: {args[0]} {describe_exit(run.returncode)}"
            + (f": {_last_line(run.stderr or run.stdout)}" if (run.stderr or run.stdout) else ""),
            where=args[0],
            details={
                "argv": list(args),
                "returncode": run.returncode,
                "stderr_tail": compute_tail(run.stderr or run.stdout),
            },
        )
    return run


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"exited with {returncode}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
