"""The ``local`` target: versions installed side by side, instances run as detached processes.

Layout under ``<root>/<environment>/``::

    releases/<version>/          one directory per installed version (kept for rollback)
    releases/<version>/logs/     one log file per instance start
    run/<slot>.json              one state file per running instance (pid, port, start ticks)

Instances are started with ``start_new_session=True``: they keep running when relman exits,
and a new ``LocalTarget`` on the same root finds them again from the state files (checking
that each pid is still the process we started).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from relman.adapters import processes as procs
from relman.adapters.targets.releases import check_name, install_release, list_releases
from relman.errors import ConfigError, ConflictError, IntegrationError, NotFoundError
from relman.ports import InstalledRelease, Instance

SAMPLE_APP_COMMAND = ("{python}", "-m", "smart_dairy_app", "--port", "{port}", "--host", "{host}")
INSTANCE_VARIABLE = "RELMAN_INSTANCE"  # a token in each instance's environment
PLACEHOLDERS = frozenset({"python", "port", "host", "version", "slot", "env", "release_dir"})


class LocalTarget:
    """Implements ``relman.ports.DeployTarget`` with real processes on this machine."""

    def __init__(
        self,
        root: Path | str,
        environment: str,
        *,
        command: Sequence[str] = SAMPLE_APP_COMMAND,
        health_path: str = "/health",
        host: str = "127.0.0.1",
        keep: int = 3,
        start_timeout: float = 20.0,
        stop_timeout: float = 10.0,
        port_range: tuple[int, int] | None = None,
        base_env: Mapping[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        check_name("environment", environment)
        if not command:
            raise ConfigError("local target command is empty", where="target.command")
        _check_placeholders(command)
        if keep < 1:
            raise ConfigError(f"keep must be >= 1, got {keep}", where="target.keep")
        self._env = environment
        self.base = Path(root) / environment
        self.releases_dir = self.base / "releases"
        self.run_dir = self.base / "run"
        self.command = tuple(command)
        self.health_path = health_path
        self.host = host
        self.keep = keep
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.port_range = port_range
        self.base_env = dict(base_env or {})
        self.python = python
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def environment(self) -> str:
        return self._env

    # --- releases ---------------------------------------------------------------------------

    def install(self, version: str, artifact_path: str, digest: str) -> InstalledRelease:
        release = install_release(
            self.releases_dir, version, Path(artifact_path), digest, environment=self._env
        )
        self.prune(protect=(version,))
        return release

    def list_installed(self) -> list[InstalledRelease]:
        return list_releases(self.releases_dir)

    def find_installed(self, version: str) -> InstalledRelease | None:
        return next((r for r in self.list_installed() if r.version == version), None)

    def remove(self, version: str) -> None:
        check_name("version", version)
        if self.find_installed(version) is None:
            raise NotFoundError(f"version {version} is not installed on {self._env}")
        users = [i for i in self.list_instances() if i.alive and i.version == version]
        if users:
            slots = ", ".join(f"{i.slot} (pid {i.pid})" for i in users)
            raise ConflictError(f"version {version} is running on {self._env}: {slots}")
        shutil.rmtree(self.releases_dir / version)

    def prune(self, *, protect: Sequence[str] = ()) -> list[str]:
        """Remove the oldest installs beyond ``keep``; never a running or protected version."""
        running = {i.version for i in self.list_instances() if i.alive}
        installed = self.list_installed()
        removed = []
        for release in installed[: max(0, len(installed) - self.keep)]:
            if release.version in running or release.version in protect:
                continue
            shutil.rmtree(release.path, ignore_errors=True)
            removed.append(release.version)
        return removed

    # --- instances --------------------------------------------------------------------------

    def start_instance(
        self,
        version: str,
        *,
        slot: str,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Instance:
        check_name("slot", slot)
        release = self.find_installed(version)
        if release is None:
            known = ", ".join(r.version for r in self.list_installed()) or "none"
            raise NotFoundError(
                f"version {version} is not installed on {self._env} (installed: {known})"
            )
        current = self.find_instance(slot)
        if current is not None and current.alive:
            raise ConflictError(
                f"slot {slot} on {self._env} already runs {current.version} (pid {current.pid})"
            )
        self._forget(slot)
        port = self._choose_port(port)
        instance = self._spawn(release, slot=slot, port=port, env=env or {})
        self._wait_healthy(instance)
        return instance

    def stop_instance(self, slot: str) -> bool:
        state = procs.read_json(self._state_path(slot))
        if state is None:
            return False
        # the process goes first, then the record: a relman killed in between leaves a record
        # of a dead pid (harmless), never a process nobody knows about
        stopped = False
        for pid, ticks in _state_pids(state):
            if procs.is_running(pid, ticks):
                procs.terminate(pid, timeout=self.stop_timeout, start_ticks=ticks)
                stopped = True
            child = self._children.pop(pid, None)
            if child is not None:
                child.poll()
        self._forget(slot)
        return stopped

    def restart_in_place(
        self, version: str, *, slot: str, env: Mapping[str, str] | None = None
    ) -> Instance:
        """Stop the slot's instance and start ``version`` on the same port: NOT zero-downtime."""
        current = self.find_instance(slot)
        port = current.port if current is not None else None
        self.stop_instance(slot)
        return self.start_instance(version, slot=slot, port=port, env=env)

    def find_instance(self, slot: str) -> Instance | None:
        check_name("slot", slot)
        state = procs.read_json(self._state_path(slot))
        return _instance_from_state(state) if state is not None else None

    def get_instance(self, slot: str) -> Instance:
        instance = self.find_instance(slot)
        if instance is None:
            raise NotFoundError(f"no instance in slot {slot} on {self._env}")
        return instance

    def list_instances(self) -> list[Instance]:
        found = []
        if self.run_dir.is_dir():
            for path in sorted(self.run_dir.glob("*.json")):
                state = procs.read_json(path)
                if state is not None:
                    found.append(_instance_from_state(state))
        return found

    # --- internals --------------------------------------------------------------------------

    def _state_path(self, slot: str) -> Path:
        return self.run_dir / f"{slot}.json"

    def _forget(self, slot: str) -> None:
        self._state_path(slot).unlink(missing_ok=True)

    def _choose_port(self, port: int | None) -> int:
        taken = {i.port for i in self.list_instances() if i.alive}
        if port is not None:
            if port in taken:
                raise ConflictError(f"port {port} is used by another instance on {self._env}")
            return port
        if self.port_range is None:
            return procs.find_free_port(self.host)
        low, high = self.port_range
        for candidate in range(low, high + 1):
            if candidate not in taken and procs.is_port_free(self.host, candidate):
                return candidate
        raise ConflictError(f"no free port in {low}-{high} on {self._env}", where="port_range")

    def _spawn(
        self, release: InstalledRelease, *, slot: str, port: int, env: Mapping[str, str]
    ) -> Instance:
        release_dir = Path(release.path)
        started = datetime.now(UTC)
        log_path = release_dir / "logs" / f"{slot}-{port}-{started:%Y%m%dT%H%M%S%f}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        values = {
            "python": self.python, "port": str(port), "host": self.host,
            "version": release.version, "slot": slot, "env": self._env,
            "release_dir": str(release_dir),
        }  # fmt: skip
        argv = [part.format(**values) for part in self.command]
        child_env = {**os.environ, **self.base_env, **env}
        child_env.update(
            PORT=str(port), RELMAN_VERSION=release.version, RELMAN_SLOT=slot, RELMAN_ENV=self._env
        )
        token = uuid.uuid4().hex  # finds the process if relman dies before recording its pid
        child_env[INSTANCE_VARIABLE] = token
        python_path = child_env.get("PYTHONPATH")
        child_env["PYTHONPATH"] = (
            f"{release_dir}{os.pathsep}{python_path}" if python_path else str(release_dir)
        )
        procs.write_json_atomic(
            self._state_path(slot),
            {
                "pending": True, "token": token, "port": port, "host": self.host,
                "version": release.version, "slot": slot, "log_path": str(log_path),
                "started_at": started.isoformat(),
            },
        )  # fmt: skip
        with log_path.open("ab") as log:
            try:
                proc = subprocess.Popen(
                    argv, cwd=release_dir, env=child_env, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
                )  # fmt: skip
            except OSError as exc:
                self._forget(slot)
                raise ConfigError(
                    f"cannot start {argv[0]!r}: {exc.strerror}", where="target.command"
                ) from exc
        self._children[proc.pid] = proc
        instance = Instance(
            proc.pid, port, release.version, slot, str(log_path), started, self.host
        )
        procs.write_json_atomic(
            self._state_path(slot),
            {
                "pid": proc.pid, "port": port, "host": self.host, "version": release.version,
                "slot": slot, "log_path": str(log_path), "started_at": started.isoformat(),
                "start_ticks": procs.read_start_ticks(proc.pid), "argv": argv, "token": token,
            },
        )  # fmt: skip
        return instance

    def _wait_healthy(self, instance: Instance) -> None:
        url = f"http://{instance.addr}{self.health_path}"
        deadline = time.monotonic() + self.start_timeout
        last = "no answer"
        while True:
            child = self._children.get(instance.pid)
            code = child.poll() if child is not None else None
            if code is not None or not procs.is_running(instance.pid):
                self._forget(instance.slot)
                raise IntegrationError(
                    f"{instance.version} in slot {instance.slot} on {self._env} exited"
                    f" (code {code}) before becoming healthy",
                    where=instance.log_path,
                    details={"log_tail": procs.tail_text(instance.log_path)},
                )
            status, body = procs.http_get(url)
            last = f"{status} {body}".strip() if status is not None else body
            if status == 200:
                return
            if time.monotonic() >= deadline:
                self.stop_instance(instance.slot)
                raise IntegrationError(
                    f"{instance.version} in slot {instance.slot} on {self._env} was not healthy"
                    f" after {self.start_timeout:g}s (last answer from {url}: {last}); stopped it",
                    where=instance.log_path,
                    details={"log_tail": procs.tail_text(instance.log_path)},
                )
            time.sleep(0.1)


def _state_pids(state: Mapping[str, object]) -> list[tuple[int, int | None]]:
    """(pid, start ticks) of a state file's process; a pending record (relman died between
    starting the process and recording it) is resolved through the process's token."""
    if "pid" in state:
        ticks = state.get("start_ticks")
        return [(int(str(state["pid"])), int(str(ticks)) if ticks is not None else None)]
    token = state.get("token")
    return (
        [(pid, None) for pid in procs.find_pids_with_env(INSTANCE_VARIABLE, str(token))]
        if token
        else []
    )


def _instance_from_state(state: Mapping[str, object]) -> Instance:
    if "pid" not in state:
        pids = _state_pids(state)
        return Instance(
            pid=pids[0][0] if pids else 0,
            port=int(str(state["port"])),
            version=str(state["version"]),
            slot=str(state["slot"]),
            log_path=str(state["log_path"]),
            started_at=datetime.fromisoformat(str(state["started_at"])),
            host=str(state.get("host", "127.0.0.1")),
            alive=bool(pids),
        )
    pid = int(str(state["pid"]))
    ticks = state.get("start_ticks")
    return Instance(
        pid=pid,
        port=int(str(state["port"])),
        version=str(state["version"]),
        slot=str(state["slot"]),
        log_path=str(state["log_path"]),
        started_at=datetime.fromisoformat(str(state["started_at"])),
        host=str(state.get("host", "127.0.0.1")),
        alive=procs.is_running(pid, int(str(ticks)) if ticks is not None else None),
    )


def _check_placeholders(command: Sequence[str]) -> None:
    import string

    for position, part in enumerate(command):
        for _, field, _, _ in string.Formatter().parse(part):
            if field is not None and field not in PLACEHOLDERS:
                known = ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))
                raise ConfigError(
                    f"unknown placeholder {{{field}}} in the local target command (known: {known})",
                    where=f"target.command[{position}]",
                )
