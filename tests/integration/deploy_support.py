"""A workspace for the deployment tests: a git repository with a relman.toml whose four
environments run the sample app on local targets behind relman-owned nginx instances on free
loopback ports, a SQLite store, releases added to it, and a teardown that stops every instance
and every nginx it started.

Observation and intervals are short (tests stay fast on two cores); deployment windows are off
(tests run at any hour); host CPU/memory/disk are not judged (a busy CI machine is not a bad
release).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from app_support import EXAMPLE_DIR, ArtifactFactory, stop_all_instances

from relman.adapters import processes as procs
from relman.adapters.targets.local import LocalTarget
from relman.bootstrap import Services, build_services
from relman.domain.releases import Phase, Release

ENVIRONMENTS = ("dev", "qa", "staging", "prod")
PEOPLE = {
    "dipu": ["devops_lead"],
    "rana": ["release_manager"],
    "parvin": ["project_manager"],
    "tanvir": ["tech_lead"],
    "qamrul": ["qa_lead"],
    "popy": ["product_owner"],
    "sara": ["sre_lead"],
    "rahim": ["developer"],
}


def _people_toml() -> str:
    return "".join(
        f'[people.{pid}]\nname = "{pid.title()}"\nemail = "{pid}@smartdairy.test"\n'
        f"roles = {json.dumps(roles)}\n\n"
        for pid, roles in PEOPLE.items()
    )


class ShiftedClock:
    """The real time moved forward by ``shift`` (tests skip the §2 testing period with it)."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def advance(self, **delta: float) -> None:
        self.shift += timedelta(**delta)


@dataclass
class Workspace:
    root: Path
    ports: dict[str, int]
    artifacts: ArtifactFactory
    extra_toml: str = ""
    dsn: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    env_rules: dict[str, str] = field(default_factory=dict)  # extra keys per environment
    clock: ShiftedClock = field(default_factory=ShiftedClock)
    db_envs: tuple[str, ...] = ("staging", "prod")  # environments that get ``dsn``

    def write_config(self, extra: str = "") -> None:
        self.extra_toml = extra
        (self.root / "relman.toml").write_text(self.config_text(), encoding="utf-8")

    def config_text(self) -> str:
        envs = ""
        for env in ENVIRONMENTS:
            envs += f"[deployments.environments.{env}]\ngates = []\nanalysis_seconds = 0.5\n"
            envs += f"{self.env_rules.get(env, '')}\n"
            envs += f"[deployments.environments.{env}.target]\npublic_port = {self.ports[env]}\n"
            envs += "start_timeout = 20\nstop_timeout = 5\n"
            if self.dsn is not None and env in self.db_envs:
                envs += f'database_url = "{self.dsn}"\n'
            envs += "\n"
        return (
            _people_toml()
            + textwrap.dedent(
                """\
                [windows]
                environments = {}

                [verification.monitoring]
                interval_seconds = 0.3
                observation_seconds = 0.6
                host_metrics = false

                """
            )
            + envs
            + self.extra_toml
        )

    def services(self, **overrides: object) -> Services:
        return build_services(repo=self.root, **{"clock": self.clock, **overrides})

    def deploy(self, release_id: str, env: str, **kw: Any) -> Any:
        """`relman deploy` through the services (in this process), as dipu by default."""
        from relman.services.deployment import deploy_release

        kw.setdefault("actor", "dipu")
        return deploy_release(
            self.services().deployments, release_id=release_id, environment=env, **kw
        )

    def add_release(
        self,
        release_id: str,
        version: str,
        *,
        release_type: str = "minor",
        components: tuple[str, ...] = (),
        phase: Phase = Phase.DEPLOY,
    ) -> Release:
        release = Release(
            id=release_id,
            title=f"Smart Dairy {version}",
            release_type=release_type,
            version=version,
            components=components,
            phase=phase,
            planned_by="rahim",
            target_date=date(2026, 3, 1),
            created_at=datetime(2026, 2, 1, tzinfo=UTC),
            commit_sha=None,
            scope_commits=(),
            scope_tickets=(),
            revision=0,
        )
        with self.services().uow_factory() as uow:
            uow.releases.add(release)
        return release

    def url(self, env: str) -> str:
        return f"http://127.0.0.1:{self.ports[env]}"

    def get(self, env: str, path: str = "/health") -> httpx.Response:
        with httpx.Client(timeout=5, trust_env=False) as client:
            return client.get(self.url(env) + path)

    def served_version(self, env: str) -> str | None:
        try:
            response = self.get(env)
        except httpx.HTTPError:
            return None
        return response.headers.get("x-app-version") if response.status_code == 200 else None

    def relman(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """The real CLI in a child process (what a person runs)."""
        return subprocess.run(
            [sys.executable, "-m", "relman", "-C", str(self.root), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.child_env(),
            check=False,
        )

    def child_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RELMAN_")}
        env.update({"COLUMNS": "200", "NO_COLOR": "1", **self.env})
        return env

    def rows(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.root / ".relman" / "relman.db", timeout=10) as conn:
            return list(conn.execute(query, params))

    def events(self, release_id: str) -> set[str]:
        return {
            r[0]
            for r in self.rows("SELECT name FROM release_events WHERE release_id=?", release_id)
        }

    def stop_everything(self) -> None:
        targets = self.root / ".relman" / "targets"
        stop_all_instances(targets)
        for pid_file in targets.glob("*/nginx/logs/nginx.pid"):
            try:
                pid = int(pid_file.read_text().strip())
            except (OSError, ValueError):
                continue
            procs.terminate(pid, timeout=5)


@pytest.fixture(name="ws")
def workspace_fixture(tmp_path: Path, artifacts: ArtifactFactory) -> Iterator[Workspace]:
    """Import ``workspace_fixture`` (and ``artifacts`` from app_support); the fixture is ``ws``."""
    from app_support import require_nginx

    require_nginx()
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text(".relman/\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", "chore: start"], check=True)
    ports = {env: procs.find_free_port() for env in ENVIRONMENTS}
    ws = Workspace(root, ports, artifacts)
    ws.env["PYTHONPATH"] = os.pathsep.join(
        p
        for p in (str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH"))
        if p
    )
    ws.write_config()
    try:
        yield ws
    finally:
        ws.stop_everything()


def wait_for(predicate: Any, *, timeout: float = 60, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def list_strays(ws: Workspace) -> list[str]:
    """Instances running from the workspace's release directories that no state file records
    (processes nobody would ever stop)."""
    targets = (ws.root / ".relman" / "targets").resolve()
    known = {
        i.pid for env in ENVIRONMENTS for i in LocalTarget(targets, env).list_instances() if i.alive
    }
    strays = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in known:
            continue
        try:
            cwd = str((entry / "cwd").readlink())
        except OSError:
            continue
        if cwd.startswith(str(targets)) and procs.is_running(int(entry.name)):
            strays.append(f"pid {entry.name} in {cwd}")
    return strays


def step_states(ws: Workspace, deployment_id: str) -> list[tuple[int, str, str, str]]:
    return [
        (r[0], r[1], r[2], r[3])
        for r in ws.rows(
            "SELECT idx, phase, kind, status FROM deployment_steps "
            "WHERE deployment_id=? ORDER BY idx",
            deployment_id,
        )
    ]


def deployment_status(ws: Workspace, deployment_id: str) -> str:
    rows = ws.rows("SELECT status FROM deployments WHERE id=?", deployment_id)
    return str(rows[0][0]) if rows else ""


def example_dir() -> Path:
    return EXAMPLE_DIR


def env_snapshot(ws: Workspace) -> Mapping[str, str | None]:
    return {env: ws.served_version(env) for env in ENVIRONMENTS}
