"""A lower bound for `relman notes --format json` over a long history, in plain CPython.

Not relman: the least a Python program can do and still call its output release notes. It
streams the same `git log` relman reads (same format, `GIT_FLUSH=0`, 1 MiB reads), matches the
Conventional Commits header of each commit, finds its tickets and writes one JSON entry per
commit with orjson. It parses no footers (no Severity, Known-Issue, Deprecated or breaking
notes), drops no reverts, sorts nothing into sections, and starts no CLI, settings or policy.
If this alone is over 1.5x `git log`, so is any notes command written in Python (see "Not done"
in docs/benchmarks.md).

Usage: ``python bench/notes_floor.py [--repo bench/.work/repo-100000] [--runs 5]``
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

LOG_FORMAT = "--format=%H%x1e%P%x1e%an%x1e%ae%x1e%cI%x1e%B"
GIT_LOG = ["git", "log", "-z", "--no-color", "--encoding=UTF-8", LOG_FORMAT, "HEAD", "--"]
HEADER = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)(?:\(([^()]*)\))?(!)?:(?: (.*))?$")
TICKET = re.compile(r"SD-\d+")

_FLOOR = """
import os, re, subprocess, sys, orjson
HEADER, TICKET = re.compile(sys.argv[1]), re.compile(sys.argv[2])
git = subprocess.Popen(sys.argv[3:], stdout=subprocess.PIPE, env={**os.environ, "GIT_FLUSH": "0"})
entries, pending, fd = [], b"", git.stdout.fileno()
while chunk := os.read(fd, 1 << 20):
    end = chunk.rfind(b"\\0")
    if end < 0:
        pending += chunk
        continue
    block, pending = pending + chunk[:end], chunk[end + 1 :]
    for record in block.decode("utf-8", "replace").split("\\0"):
        sha, _parents, _name, _email, _date, message = record.split("\\x1e", 5)
        header, _, body = message.partition("\\n")
        found = HEADER.match(header)
        if found is not None:
            kind, scope, bang, description = found.groups()
            entries.append({"sha": sha.lstrip("\\n"), "type": kind, "scope": scope,
                "breaking": bang is not None, "description": description,
                "body": body.strip(), "tickets": TICKET.findall(message)})
git.wait()
sys.stdout.buffer.write(orjson.dumps({"entries": entries}, option=orjson.OPT_INDENT_2))
"""


def _time(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).parent / ".work/repo-100000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not (args.repo / ".git").exists():
        print(f"no repository at {args.repo}: run bench/bench_history.py first", file=sys.stderr)
        return 2
    floor = [sys.executable, "-c", _FLOOR, HEADER.pattern, TICKET.pattern, *GIT_LOG]
    cases = {"git log": GIT_LOG, "python floor": floor}
    times: dict[str, list[float]] = {name: [] for name in cases}
    for argv in cases.values():
        _time(argv, args.repo)  # warm-up
    for _ in range(args.runs):
        for name, argv in cases.items():
            times[name].append(_time(argv, args.repo))
    medians = {name: statistics.median(got) for name, got in times.items()}
    for name, median in medians.items():
        print(f"{name}: median {median:.3f} s  ({' '.join(f'{t:.3f}' for t in times[name])})")
    ratio = medians["python floor"] / medians["git log"]
    print(f"python floor / git log = {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
