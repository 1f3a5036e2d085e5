"""`LocalDemoHost`: the machine ``relman demo`` builds its workspace on.

- The sample application comes from relman's source tree (``examples/smart_dairy_app``, next to
  ``src/``); the demo's own files (Odoo modules, tests, docs) are packaged with relman under
  ``relman/templates/demo/`` (``<path>.tmpl``).
- `stop_processes` stops what a demo run started in its workspace, found from the state files
  it left (``run/*.json`` of local targets: pid + start time, so a reused pid is never hit;
  ``logs/nginx.pid`` of relman-owned nginx prefixes).
"""

from __future__ import annotations

import json
import shutil
import signal
from importlib import resources
from pathlib import Path
from typing import Literal

from relman.adapters import processes as procs
from relman.adapters.demo.git_history import GitHistoryWriter
from relman.adapters.demo.postgres import PgDemoDatabases
from relman.adapters.switches.nginx import find_nginx
from relman.errors import ConfigError, NotFoundError

MARKER = ".relman-demo.json"
FolderState = Literal["missing", "empty", "demo", "other"]


def find_sample_app() -> Path:
    """``examples/smart_dairy_app`` of the relman checkout this module runs from."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "examples" / "smart_dairy_app"
        if (candidate / "smart_dairy_app" / "server.py").is_file():
            return candidate
    raise ConfigError(
        "the demo needs the sample application examples/smart_dairy_app of a relman checkout",
        where=str(here),
        hint="run relman demo from a clone of the relman repository (make run)",
    )


class PackagedSources:
    """`StorySources`: the sample app's files and the demo's packaged assets."""

    def __init__(self, sample_root: Path | None = None) -> None:
        self._sample_root = sample_root

    @property
    def sample_root(self) -> Path:
        if self._sample_root is None:
            self._sample_root = find_sample_app()
        return self._sample_root

    def read_sample(self, path: str) -> str:
        target = self.sample_root / path
        if not target.is_file():
            raise NotFoundError(f"sample app file {path} is missing", where=str(target))
        return target.read_text(encoding="utf-8")

    def read_asset(self, path: str) -> str:
        node = resources.files("relman").joinpath("templates", "demo", *f"{path}.tmpl".split("/"))
        if not node.is_file():
            raise NotFoundError(f"demo asset {path} is missing", where=f"templates/demo/{path}")
        return node.read_text(encoding="utf-8")


def stop_processes(root: Path) -> list[str]:
    """Stop every instance and nginx a demo run left in ``root``; describe each one stopped."""
    stopped: list[str] = []
    if not root.is_dir():
        return stopped
    for state_file in sorted(root.rglob("run/*.json")):
        state = procs.read_json(state_file)
        if not state or "pid" not in state:
            continue
        pid, ticks = int(state["pid"]), state.get("start_ticks")
        ticks = int(ticks) if ticks is not None else None
        if procs.is_running(pid, ticks):
            procs.terminate(pid, timeout=10.0, start_ticks=ticks)
            stopped.append(f"{state.get('version', '?')} instance pid {pid} ({state_file.parent})")
    for pid_file in sorted(root.rglob("logs/nginx.pid")):
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        if procs.is_running(pid):
            procs.terminate(pid, timeout=10.0, sig=signal.SIGQUIT)
            stopped.append(f"nginx pid {pid} ({pid_file.parent.parent})")
    return stopped


class LocalDemoHost:
    """`relman.services.demo_workspace.DemoHost` on this machine."""

    def __init__(
        self,
        *,
        sources: PackagedSources | None = None,
        databases: PgDemoDatabases | None = None,
        nginx: str | None = "auto",
    ) -> None:
        self._sources = sources or PackagedSources()
        self._databases = databases or PgDemoDatabases()
        self._nginx = nginx  # "auto": find it; a path; None: run as if it were not installed

    @property
    def sources(self) -> PackagedSources:
        return self._sources

    @property
    def databases(self) -> PgDemoDatabases:
        return self._databases

    def inspect_folder(self, root: Path) -> FolderState:
        if not root.exists():
            return "missing"
        if not root.is_dir():
            return "other"
        if (root / MARKER).is_file():
            return "demo"
        return "other" if any(root.iterdir()) else "empty"

    def clear_previous(self, root: Path) -> list[str]:
        stopped = stop_processes(root)
        for name in _previous_databases(root):
            self._databases.drop(name)
        shutil.rmtree(root)
        return stopped

    def write_text(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)

    def history_writer(self, repo: Path) -> GitHistoryWriter:
        return GitHistoryWriter(repo)

    def find_nginx(self) -> str | None:
        return find_nginx() if self._nginx == "auto" else self._nginx


def _previous_databases(root: Path) -> list[str]:
    """The databases a previous run recorded in its summary (only ``relman_demo_*``)."""
    try:
        summary = json.loads((root / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names = summary.get("databases", {}) if isinstance(summary, dict) else {}
    return sorted(
        str(url).rsplit("/", 1)[-1]
        for url in (names.values() if isinstance(names, dict) else [])
        if str(url).rsplit("/", 1)[-1].startswith("relman_demo_")
    )
