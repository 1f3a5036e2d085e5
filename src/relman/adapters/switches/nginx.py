"""Traffic through a real nginx that relman runs and owns, one per environment.

relman starts ``nginx -p <prefix> -c <prefix>/nginx.conf`` (nginx daemonizes, so it outlives
relman), and on every change:

1. renders the new configuration to ``nginx.conf.candidate``;
2. validates it with ``nginx -t``; a refused candidate is kept as ``nginx.conf.rejected``, the
   live file is untouched and a ConfigError names nginx's message and line;
3. renames it over ``nginx.conf`` (atomic), sends SIGHUP to the master (graceful reload);
4. confirms the reload took: ``GET /__relman/route`` answers the new generation; otherwise the
   previous file is put back and reloaded, and an IntegrationError says so;
5. waits (bounded) for the previous worker generation to finish its requests and exit, so when
   ``apply`` returns no nginx worker will send anything to the old routes.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from relman.adapters import processes as procs
from relman.adapters.switches.nginx_config import (
    ROUTE_PATH,
    NginxConfig,
    parse_nginx_error,
    render_maintenance_page,
    render_nginx_config,
    validate_routes,
)
from relman.errors import ConfigError, IntegrationError
from relman.ports import Route

DEFAULT_NGINX = "/usr/sbin/nginx"


def find_nginx() -> str | None:
    """The nginx executable (PATH first, then /usr/sbin/nginx), or None when not installed."""
    found = shutil.which("nginx")
    if found:
        return found
    return DEFAULT_NGINX if os.access(DEFAULT_NGINX, os.X_OK) else None


class NginxSwitch:
    """Implements ``relman.ports.TrafficSwitch`` with a real, relman-owned nginx."""

    is_zero_downtime = True

    def __init__(
        self,
        prefix: Path | str,
        *,
        listen_port: int,
        environment: str = "default",
        listen_host: str = "127.0.0.1",
        nginx_bin: str | None = None,
        worker_processes: int = 2,
        server_snippet: str = "",
        access_log: bool = False,
        client_keepalive: bool = False,
        reload_timeout: float = 10.0,
        drain_timeout: float = 30.0,
    ) -> None:
        binary = nginx_bin or find_nginx()
        if binary is None:
            raise ConfigError(
                "nginx is not installed: install it (apt-get install nginx) or use the direct "
                "switch, which restarts in place and is not zero-downtime",
                where="nginx",
            )
        self.nginx = binary
        self.prefix = Path(prefix).resolve()
        self.conf = self.prefix / "nginx.conf"
        self.candidate = self.prefix / "nginx.conf.candidate"
        self.rejected = self.prefix / "nginx.conf.rejected"
        self.state_path = self.prefix / "relman-switch.json"
        self.pid_path = self.prefix / "logs" / "nginx.pid"
        self.error_log = self.prefix / "logs" / "error.log"
        self.environment = environment
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.worker_processes = worker_processes
        self.server_snippet = server_snippet
        self.access_log = access_log
        self.client_keepalive = client_keepalive
        self.reload_timeout = reload_timeout
        self.drain_timeout = drain_timeout
        self.user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None

    @property
    def public_url(self) -> str:
        return f"http://{self.listen_host}:{self.listen_port}"

    # --- state ------------------------------------------------------------------------------

    def _load_state(self) -> dict[str, Any]:
        state = procs.read_json(self.state_path) or {}
        return {
            "routes": [Route(**r) for r in state.get("routes", [])],
            "maintenance": bool(state.get("maintenance", False)),
            "retry_after": int(state.get("retry_after", 300)),
            "generation": str(state.get("generation", "0")),
        }

    def _save_state(self, state: dict[str, Any]) -> None:
        procs.write_json_atomic(
            self.state_path, {**state, "routes": [asdict(r) for r in state["routes"]]}
        )

    def current(self) -> list[Route]:
        return list(self._load_state()["routes"])

    def in_maintenance(self) -> bool:
        return bool(self._load_state()["maintenance"])

    def generation(self) -> str:
        return str(self._load_state()["generation"])

    # --- process ----------------------------------------------------------------------------

    def master_pid(self) -> int | None:
        """The running master's pid, or None when our nginx is not running."""
        try:
            pid = int(self.pid_path.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None
        stat = procs.read_proc_stat(pid)
        return pid if stat is not None and procs.is_running(pid) else None

    def is_running(self) -> bool:
        return self.master_pid() is not None

    def list_workers(self) -> list[int]:
        pid = self.master_pid()
        return procs.list_children(pid) if pid else []

    def ensure_running(self) -> None:
        """Start our nginx with the recorded routing if it is not running."""
        if self.is_running():
            return
        for sub in ("logs", "tmp", "html"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        state = self._load_state()
        state["generation"] = _next_generation(state["generation"])
        self._write_checked(state)
        self.candidate.replace(self.conf)
        proc = self._run([self.nginx, *self._args(self.conf)], timeout=15)
        if proc.returncode != 0:
            message, _, _ = parse_nginx_error(proc.stdout)
            raise IntegrationError(
                f"nginx did not start on {self.listen_host}:{self.listen_port}: {message}",
                where=str(self.conf),
                details={"output": proc.stdout[-2000:]},
            )
        self._save_state(state)
        self._await_generation(state["generation"])

    def stop(self) -> None:
        """Graceful stop (SIGQUIT: workers finish their requests), SIGKILL after a timeout."""
        pid = self.master_pid()
        if pid is not None:
            procs.terminate(pid, timeout=10.0, sig=signal.SIGQUIT)

    # --- routing ----------------------------------------------------------------------------

    def apply(self, routes: Sequence[Route]) -> None:
        validate_routes(routes)
        if routes and all(r.weight == 0 for r in routes):
            raise ConfigError("every route has weight 0: no instance would receive traffic")
        self._change(routes=list(routes))

    def enable_maintenance(self, *, retry_after: int = 300) -> None:
        self._change(maintenance=True, retry_after=retry_after)

    def disable_maintenance(self) -> None:
        self._change(maintenance=False)

    def _change(self, **updates: Any) -> None:
        self.ensure_running()
        old = self._load_state()
        new = {**old, **updates, "generation": _next_generation(old["generation"])}
        self._write_checked(new)  # raises and leaves nginx.conf alone when nginx -t refuses
        previous_text = self.conf.read_text(encoding="utf-8")
        old_workers = self.list_workers()
        self.candidate.replace(self.conf)
        try:
            self._reload()
            self._await_generation(new["generation"])
        except IntegrationError:
            procs.write_atomic(self.conf, previous_text)
            self._reload()
            raise
        self._save_state(new)
        for pid in old_workers:  # the old generation finishes its requests, then exits
            procs.wait_gone(pid, self.drain_timeout)

    def _write_checked(self, state: dict[str, Any]) -> None:
        """Render ``state`` to the candidate file and run ``nginx -t`` on it."""
        (self.prefix / "html").mkdir(parents=True, exist_ok=True)
        procs.write_atomic(
            self.prefix / "html" / "maintenance.html",
            render_maintenance_page(self.environment, state["retry_after"]),
        )
        text = render_nginx_config(
            NginxConfig(
                prefix=str(self.prefix),
                listen_host=self.listen_host,
                listen_port=self.listen_port,
                generation=state["generation"],
                environment=self.environment,
                routes=tuple(state["routes"]),
                maintenance=state["maintenance"],
                retry_after=state["retry_after"],
                worker_processes=self.worker_processes,
                user=self.user,
                access_log=self.access_log,
                client_keepalive=self.client_keepalive,
                server_snippet=self.server_snippet,
            )
        )
        procs.write_atomic(self.candidate, text)
        proc = self._run([self.nginx, "-t", "-q", *self._args(self.candidate)], timeout=15)
        if proc.returncode != 0:
            self.candidate.replace(self.rejected)
            message, _file, line = parse_nginx_error(proc.stdout)
            where = f"{self.rejected}:{line}" if line else str(self.rejected)
            raise ConfigError(
                f"nginx -t refused the new configuration, nothing was reloaded: {message}",
                where=where,
                hint=f"the running configuration is unchanged ({self.conf})",
                details={"output": proc.stdout[-2000:]},
            )

    def _reload(self) -> None:
        pid = self.master_pid()
        if pid is None:
            raise IntegrationError("nginx is not running: cannot reload", where=str(self.pid_path))
        os.kill(pid, signal.SIGHUP)

    def _await_generation(self, generation: str) -> None:
        """Probe fresh connections until nginx answers with ``generation`` (bounded)."""
        url = f"{self.public_url}{ROUTE_PATH}"
        deadline = time.monotonic() + self.reload_timeout
        seen = "no answer"
        while time.monotonic() < deadline:
            _status, body = procs.http_get(url)
            seen = body.strip()
            if seen == generation:
                return
            time.sleep(0.05)
        raise IntegrationError(
            f"nginx did not load configuration {generation} within {self.reload_timeout:g}s "
            f"(it answers {seen!r}); the previous configuration was restored",
            where=str(self.error_log),
            details={"error_log_tail": procs.tail_text(self.error_log)},
        )

    def _args(self, conf: Path) -> list[str]:
        return ["-p", f"{self.prefix}/", "-c", str(conf), "-e", str(self.error_log)]

    def _run(self, argv: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                argv, capture_output=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise IntegrationError(f"cannot run {argv[0]}: {exc}", where=self.nginx) from exc


def _next_generation(previous: str) -> str:
    head = previous.split("-", 1)[0]
    number = int(head) + 1 if head.isdigit() else 1
    return f"{number}-{uuid.uuid4().hex[:8]}"
