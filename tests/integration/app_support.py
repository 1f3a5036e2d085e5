"""Fixtures and helpers of the issue-5 integration tests: sample-app artifacts, PostgreSQL
databases, local targets and relman-owned nginx instances. Every process started here is
stopped in the fixture's teardown.

Import the fixtures into a test module: ``from app_support import artifacts, local_target``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from relman.adapters import processes as procs
from relman.adapters.switches.nginx import NginxSwitch, find_nginx
from relman.adapters.targets.local import LocalTarget

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "smart_dairy_app"
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

from smart_dairy_app.build import build_artifact  # noqa: E402

PG_ADMIN_DSN = os.environ.get("RELMAN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Artifact:
    version: str
    path: str
    digest: str


class ArtifactFactory:
    """Builds sample-app artifacts once per session (version, fault) -> Artifact."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._cache: dict[tuple[str, str | None], Artifact] = {}

    def build(self, version: str, fault: str | None = None) -> Artifact:
        key = (version, fault)
        if key not in self._cache:
            path, digest = build_artifact(version, fault=fault, out_dir=self.out)
            self._cache[key] = Artifact(version, str(path), digest)
        return self._cache[key]


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> ArtifactFactory:
    return ArtifactFactory(tmp_path_factory.mktemp("artifacts"))


def _pg_problem() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


@pytest.fixture
def pg_dsn() -> Iterator[str]:
    """A fresh PostgreSQL database ``relman_t_<uuid8>``, dropped afterwards."""
    import psycopg

    problem = _pg_problem()
    if problem:
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_DSN}: {problem}")
    name = f"relman_t_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def stop_all_instances(root: Path) -> None:
    """Terminate every process recorded under a targets root (teardown: leave no strays)."""
    for state_file in root.glob("*/run/*.json"):
        state = procs.read_json(state_file)
        if state:
            procs.terminate(int(state["pid"]), timeout=5, start_ticks=state.get("start_ticks"))


@pytest.fixture
def targets_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "targets"
    root.mkdir()
    yield root
    stop_all_instances(root)


@pytest.fixture
def local_target(targets_root: Path) -> LocalTarget:
    """A ``local`` target for environment "qa", sample app without a database."""
    return LocalTarget(
        targets_root, "qa", base_env={"SMART_DAIRY_NO_DB": "1"}, start_timeout=20, stop_timeout=5
    )


def require_nginx() -> str:
    binary = find_nginx()
    if binary is None:
        pytest.skip("nginx is not installed (.ci/run installs it)")
    return binary


@pytest.fixture
def nginx_switch(tmp_path: Path) -> Iterator[NginxSwitch]:
    """A relman-owned nginx on a free loopback port, stopped in teardown."""
    require_nginx()
    switch = NginxSwitch(tmp_path / "nginx", listen_port=procs.find_free_port(), environment="qa")
    try:
        yield switch
    finally:
        switch.stop()


@dataclass
class LoadResult:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    versions: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


class BackgroundLoad:
    """``total`` GET requests from ``workers`` threads (each its own httpx client), bounded in
    count and time. A failure is any transport error or a status other than 200."""

    def __init__(self, url: str, *, total: int = 2000, workers: int = 8, deadline: float = 60):
        self.url = url
        self.total = total
        self.workers = workers
        self.deadline = deadline
        self.result = LoadResult()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers)
        self._futures: list[object] = []

    def _take(self) -> bool:
        with self._lock:
            if self.result.sent >= self.total:
                return False
            self.result.sent += 1
            return True

    def _worker(self, stop_at: float) -> None:
        with httpx.Client(timeout=10) as client:
            while time.monotonic() < stop_at and self._take():
                try:
                    resp = client.get(self.url)
                    outcome = (resp.status_code, resp.headers.get("x-app-version", "?"), None)
                except httpx.HTTPError as exc:
                    outcome = (0, "?", f"{type(exc).__name__}: {exc}")
                with self._lock:
                    self.result.statuses[outcome[0]] += 1
                    self.result.versions[outcome[1]] += 1
                    if outcome[2] or outcome[0] != 200:
                        self.result.failures.append(outcome[2] or f"HTTP {outcome[0]}")

    def start(self) -> BackgroundLoad:
        stop_at = time.monotonic() + self.deadline
        self._futures = [self._pool.submit(self._worker, stop_at) for _ in range(self.workers)]
        return self

    def wait_sent(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.result.sent < count and time.monotonic() < deadline:
            time.sleep(0.01)

    def finish(self) -> LoadResult:
        self._pool.shutdown(wait=True)
        return self.result
