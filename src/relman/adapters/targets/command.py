"""The ``command`` target: every deployment step is a configured command with a timeout.

Covers systemd, docker compose, helm/kubectl and manual Odoo setups (J-003 §8.3-8.4): relman
runs the configured argv (no shell unless the argv says ``sh -c``), substituting ``{version}``,
``{env}``, ``{port}`` and ``{previous}``, and reads only the exit status and the output tail.
A non-zero exit or a timeout is an ``IntegrationError`` carrying the output tail; on a timeout
the step's whole process group is killed. See docs/targets.md for worked configurations.
"""

from __future__ import annotations

import os
import signal
import string
import subprocess
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from relman.adapters import processes as procs
from relman.errors import ConfigError, IntegrationError
from relman.ports import StepResult

STEPS = ("deploy", "switch", "health", "rollback", "migrate", "backup", "restore", "stop")
PLACEHOLDERS = ("version", "env", "port", "previous")
_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class CommandStep:
    """One step: an argv template and how long it may take."""

    argv: tuple[str, ...]
    timeout: float = 300.0

    @classmethod
    def of(cls, value: CommandStep | Sequence[str]) -> CommandStep:
        return value if isinstance(value, CommandStep) else cls(tuple(value))


class CommandTarget:
    """Implements ``relman.ports.CommandSteps``."""

    def __init__(
        self,
        environment: str,
        steps: Mapping[str, CommandStep | Sequence[str]],
        *,
        cwd: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        tail_lines: int = 40,
    ) -> None:
        self._env = environment
        self.steps = {name: CommandStep.of(value) for name, value in steps.items()}
        self.cwd = Path(cwd) if cwd is not None else None
        self.extra_env = dict(env or {})
        self.tail_lines = tail_lines
        for name, step in self.steps.items():
            _check_step(environment, name, step)

    @property
    def environment(self) -> str:
        return self._env

    def has_step(self, step: str) -> bool:
        return step in self.steps

    def run_step(
        self, step: str, *, version: str, port: int | None = None, previous: str | None = None
    ) -> StepResult:
        where = f"deployments.environments.{self._env}.target.steps.{step}"
        spec = self.steps.get(step)
        if spec is None:
            configured = ", ".join(sorted(self.steps)) or "none"
            raise ConfigError(
                f"step {step!r} is not configured for {self._env} (configured: {configured})",
                where=where,
            )
        values = {"version": version, "env": self._env, "port": port, "previous": previous}
        argv = tuple(_substitute(part, values, where) for part in spec.argv)
        env = {**os.environ, **self.extra_env, "RELMAN_ENV": self._env, "RELMAN_VERSION": version}
        if port is not None:
            env["RELMAN_PORT"] = str(port)
        if previous is not None:
            env["RELMAN_PREVIOUS_VERSION"] = previous
        code, tail, seconds, timed_out = self._execute(argv, env, spec.timeout, where)
        result = StepResult(step, argv, code, tail, seconds)
        if timed_out:
            raise IntegrationError(
                f"step {step} of {self._env} timed out after {spec.timeout:g}s: {_last(tail)}",
                where=where,
                details={"argv": list(argv), "output_tail": tail, "seconds": seconds},
            )
        if code != 0:
            raise IntegrationError(
                f"step {step} of {self._env} failed with exit code {code}: {_last(tail)}",
                where=where,
                details={"argv": list(argv), "output_tail": tail, "returncode": code},
            )
        return result

    def _execute(
        self, argv: tuple[str, ...], env: dict[str, str], timeout: float, where: str
    ) -> tuple[int, str, float, bool]:
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
            )  # fmt: skip
        except OSError as exc:
            raise ConfigError(f"cannot run {argv[0]!r}: {exc.strerror}", where=where) from exc
        buffer: deque[bytes] = deque()
        reader = threading.Thread(target=_pump, args=(proc, buffer), daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            procs.send_signal(proc.pid, signal.SIGTERM, group=True)
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                procs.send_signal(proc.pid, signal.SIGKILL, group=True)
                proc.wait()
        reader.join(timeout=2)
        text = b"".join(buffer).decode("utf-8", errors="replace")
        tail = "\n".join(text.splitlines()[-self.tail_lines :])
        return proc.returncode, tail, round(time.monotonic() - start, 3), timed_out


def _pump(proc: subprocess.Popen[bytes], buffer: deque[bytes]) -> None:
    """Read the output, keeping only the last ~64 KiB."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    size = 0
    for chunk in iter(lambda: os.read(fd, 8192), b""):
        buffer.append(chunk)
        size += len(chunk)
        while size > _TAIL_BYTES and len(buffer) > 1:
            size -= len(buffer.popleft())
    proc.stdout.close()


def _substitute(part: str, values: Mapping[str, object], where: str) -> str:
    out = []
    for literal, field, _spec, _conv in string.Formatter().parse(part):
        out.append(literal)
        if field is None:
            continue
        value = values.get(field)
        if value is None:
            raise ConfigError(f"{{{field}}} has no value for this step ({part!r})", where=where)
        out.append(str(value))
    return "".join(out)


def _check_step(environment: str, name: str, step: CommandStep) -> None:
    where = f"deployments.environments.{environment}.target.steps.{name}"
    if name not in STEPS:
        raise ConfigError(f"unknown step {name!r} (known: {', '.join(STEPS)})", where=where)
    if not step.argv or not step.argv[0]:
        raise ConfigError(f"step {name} has an empty command", where=where)
    if step.timeout <= 0:
        raise ConfigError(f"step {name} needs a timeout > 0, got {step.timeout:g}", where=where)
    for position, part in enumerate(step.argv):
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(part) if f is not None]
        except ValueError as exc:
            raise ConfigError(f"{part!r}: {exc}", where=f"{where}[{position}]") from exc
        for field in fields:
            if field not in PLACEHOLDERS:
                known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                raise ConfigError(
                    f"unknown placeholder {{{field}}} (known: {known})",
                    where=f"{where}[{position}]",
                )


def _last(tail: str) -> str:
    lines = [line for line in tail.splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else "(no output)"
