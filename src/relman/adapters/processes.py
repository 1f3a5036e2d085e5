"""Process and file helpers shared by the targets and switches (Linux ``/proc`` aware).

A pid alone is not an identity: pids are reused. Where we record a process we also record its
start time in clock ticks (``/proc/<pid>/stat`` field 22) and only treat the pid as ours while
both match. Zombies count as gone (and are reaped when they are our children).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def read_proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, start ticks) of a pid from /proc, or None when it does not exist."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    try:
        return fields[0], int(fields[1]), int(fields[19])
    except (IndexError, ValueError):
        return None


def read_start_ticks(pid: int) -> int | None:
    stat = read_proc_stat(pid)
    return stat[2] if stat else None


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def is_running(pid: int, start_ticks: int | None = None) -> bool:
    """True while ``pid`` is alive (not a zombie) and, when given, started at ``start_ticks``."""
    if pid <= 0:
        return False
    _reap(pid)
    stat = read_proc_stat(pid)
    if stat is None:
        if Path("/proc/self/stat").exists():
            return False
        try:  # no /proc: fall back to a signal-0 probe
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    state, _, ticks = stat
    if state in ("Z", "X"):
        return False
    return start_ticks is None or ticks == start_ticks


def list_children(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (e.g. nginx workers of a master)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = read_proc_stat(int(entry.name))
            if stat and stat[1] == pid and stat[0] not in ("Z", "X"):
                out.append(int(entry.name))
    return sorted(out)


def wait_gone(pid: int, timeout: float, start_ticks: int | None = None) -> bool:
    """Poll until the process is gone; False if it still runs after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while is_running(pid, start_ticks):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def send_signal(pid: int, sig: int, *, group: bool) -> None:
    try:
        if group and os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def terminate(
    pid: int, *, timeout: float, start_ticks: int | None = None, sig: int = signal.SIGTERM
) -> bool:
    """Send ``sig`` (SIGTERM) to the process group, SIGKILL after ``timeout`` s.

    Returns True when it stopped gracefully, False when it had to be killed.
    """
    if not is_running(pid, start_ticks):
        return True
    send_signal(pid, sig, group=True)
    if wait_gone(pid, timeout, start_ticks):
        return True
    send_signal(pid, signal.SIGKILL, group=True)
    wait_gone(pid, 5.0, start_ticks)
    return False


def find_pids_with_env(name: str, value: str) -> list[int]:
    """Live processes whose environment holds ``name=value`` (Linux ``/proc``; processes of
    other users are skipped). Finds a child whose pid was never recorded."""
    needle = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            variables = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in variables and is_running(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def find_free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def is_port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def tail_text(path: Path | str, *, lines: int = 20, max_bytes: int = 16_384) -> str:
    """The last ``lines`` lines of a file ("" if it does not exist)."""
    try:
        with Path(path).open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            data = fh.read()
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", errors="replace").splitlines()[-lines:])


def write_atomic(path: Path, text: str) -> None:
    """Write a file through a temp file in the same directory and rename it over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, *, timeout: float = 2.0) -> tuple[int | None, str]:
    """GET a local URL on a fresh connection, never through a proxy.

    Returns (status, first 500 characters of the body) or (None, why it failed).
    """
    try:
        with _NO_PROXY_OPENER.open(url, timeout=timeout) as resp:
            return int(resp.status), resp.read(500).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(500).decode("utf-8", errors="replace")
    except (OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))
