"""Benchmark: relman on long histories next to bare `git log` (results in docs/benchmarks.md).

Builds synthetic repositories of 1k, 10k and 100k Conventional Commits (about one release tag
per 20 commits, half annotated) with ``git fast-import`` -- one process per repository, not one
``git commit`` per commit -- and caches them under ``bench/.work/``. Then measures, as separate
processes, the median wall time of several runs and the peak RSS (``ru_maxrss`` of the child
and everything it waited for, via ``os.wait4`` in a small launcher process, see ``run_once``) of:

- ``git log`` over the whole history with relman's exact format, output to /dev/null;
- ``relman version next``: the commits since the last tag (a short range);
- ``relman version next -c full``: a component whose tag format matches no tag, which forces
  the whole history through relman (read, parse, decide);
- ``relman notes --format json`` over the whole history (``--from`` the root commit), when the
  command exists;
- ``relman --help``.

Usage: ``python bench/bench_history.py [--sizes 1000 10000 100000] [--runs 5] [--profile]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
LOG_FORMAT = "--format=%H%x1e%P%x1e%an%x1e%ae%x1e%cI%x1e%B"
EPOCH = 1767204000  # 2026-01-01 00:00 +0600
TAG_EVERY = 20
SINCE_LAST_TAG = 7  # commits after the last release tag
FULL_TOML = """\
[components.full]
paths = []
tag_format = "full-v{version}"
"""

AREAS = [
    ("farm", "addons/smart_farm"),
    ("b2b", "addons/b2b_portal"),
    ("iot", "iot/gateway"),
    ("mobile", "mobile/app"),
    ("core", "odoo/addons/smart_dairy_base"),
]
TYPES = [
    ("feat", 25),
    ("fix", 35),
    ("docs", 8),
    ("chore", 10),
    ("refactor", 8),
    ("test", 5),
    ("perf", 4),
    ("ci", 3),
    ("security", 2),
]
WORDS = [
    "milk",
    "collection",
    "herd",
    "yield",
    "cooling",
    "tank",
    "invoice",
    "order",
    "portal",
    "sync",
    "sensor",
    "gateway",
    "route",
    "delivery",
    "payment",
    "report",
    "dashboard",
    "farmer",
    "batch",
    "quality",
    "fat",
    "snf",
    "price",
    "rounding",
    "login",
    "cache",
]


# ---------------------------------------------------------------- synthetic repositories


def _message(rng: random.Random, i: int) -> str:
    kind = rng.choices([t for t, _ in TYPES], weights=[w for _, w in TYPES])[0]
    scope, _ = rng.choice(AREAS)
    words = " ".join(rng.sample(WORDS, rng.randint(2, 6)))
    bang = "!" if rng.random() < 0.002 else ""
    header = f"{kind}({scope}){bang}: {words}"
    paragraphs = [header]
    if rng.random() < 0.35:
        body = [" ".join(rng.sample(WORDS, rng.randint(5, 12))) for _ in range(rng.randint(1, 3))]
        paragraphs.append("\n".join(body))
    footers = []
    if rng.random() < 0.3:
        footers.append(f"Refs: SD-{rng.randint(1, 9999)}")
    if bang and rng.random() < 0.5:
        footers.append(f"BREAKING CHANGE: {words} changed")
    if rng.random() < 0.1:
        footers.append("Reviewed-by: Karim QA <karim@smartdairy.test>")
    if footers:
        paragraphs.append("\n".join(footers))
    if rng.random() < 0.002:  # a revert of a commit from before any range we read
        paragraphs = [f'Revert "fix({scope}): {words}"', f"This reverts commit {i:040x}."]
    return "\n\n".join(paragraphs) + "\n"


def _fast_import_stream(count: int, seed: int = 2026) -> bytes:
    rng = random.Random(seed)
    out: list[bytes] = []
    minor = 0
    last_tag_at = count - SINCE_LAST_TAG
    for i in range(1, count + 1):
        stamp = EPOCH + 60 * i
        msg = _message(rng, i).encode()
        _, area = rng.choice(AREAS)
        path = f"{area}/module_{rng.randrange(40)}.py"
        content = f"# change {i}\nVALUE = {rng.randrange(10**6)}\n".encode()
        out.append(b"commit refs/heads/main\nmark :%d\n" % i)
        out.append(b"author Rahim Dev <rahim@smartdairy.test> %d +0600\n" % stamp)
        out.append(b"committer Rahim Dev <rahim@smartdairy.test> %d +0600\n" % stamp)
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(content), content))
        if i % TAG_EVERY == last_tag_at % TAG_EVERY and i <= last_tag_at:
            minor += 1
            name = f"v1.{minor}.0"
            if minor % 2:
                note = f"Release {name}\n".encode()
                out.append(b"tag %s\nfrom :%d\n" % (name.encode(), i))
                out.append(b"tagger Rahim Dev <rahim@smartdairy.test> %d +0600\n" % stamp)
                out.append(b"data %d\n%s\n" % (len(note), note))
            else:
                out.append(b"reset refs/tags/%s\nfrom :%d\n\n" % (name.encode(), i))
    return b"".join(out)


def ensure_repo(count: int) -> Path:
    """The cached synthetic repository with ``count`` commits (built on first use)."""
    path = WORK / f"repo-{count}"
    done = path / ".git" / "relman-bench-done"
    if done.exists():
        return path
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    started = time.perf_counter()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True, env=env)
    stream = _fast_import_stream(count)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=stream, check=True, env=env)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True, env=env)
    subprocess.run(["git", "gc", "-q"], cwd=path, check=True, env=env)
    done.write_text("ok\n")
    print(f"built {path.name} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return path


# ---------------------------------------------------------------- measuring


@dataclass
class Result:
    name: str
    median: float
    runs: list[float]
    cpu: float  # median user+system seconds of the process tree
    peak_rss_mb: float
    status: int


# The measured command runs as the child of this small launcher, not of the bench itself. On
# Linux a process's peak RSS starts at the peak of the process it was spawned from (exec keeps
# the old memory's high-water mark): spawned straight from the bench, which built a 100k-commit
# repository in memory, every command "peaked" at the bench's 144 MB.
_LAUNCHER = """
import json, os, sys, time
out = os.open(os.devnull, os.O_WRONLY)
started = time.perf_counter()
to_devnull = [(os.POSIX_SPAWN_DUP2, out, 1)]
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ, file_actions=to_devnull)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - started
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps([elapsed, cpu, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)]))
"""


def run_once(argv: Sequence[str], cwd: Path) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, exit status) of one run of ``argv``."""
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _LAUNCHER, *argv],
        cwd=cwd,
        capture_output=True,
        env=_env(),
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
        raise SystemExit(f"cannot launch {argv[0]}: exit {proc.returncode}")
    elapsed, cpu, rss, code = json.loads(proc.stdout)
    if code not in (0, 9):
        sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
    return elapsed, cpu, rss, code


def measure(name: str, argv: Sequence[str], cwd: Path, runs: int) -> Result:
    run_once(argv, cwd)  # warm the page cache and Python's bytecode cache
    samples = [run_once(argv, cwd) for _ in range(runs)]
    times = [s[0] for s in samples]
    return Result(
        name=name,
        median=statistics.median(times),
        runs=times,
        cpu=statistics.median(s[1] for s in samples),
        peak_rss_mb=max(s[2] for s in samples),
        status=samples[-1][3],
    )


def measure_interleaved(cases: list[tuple[str, list[str]]], cwd: Path, runs: int) -> list[Result]:
    """Run the cases round-robin, so a busy machine slows them all alike."""
    for _, argv in cases:
        run_once(argv, cwd)  # warm-up
    samples: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name, _ in cases}
    for _ in range(runs):
        for name, argv in cases:
            samples[name].append(run_once(argv, cwd))
    return [
        Result(
            name=name,
            median=statistics.median(s[0] for s in got),
            runs=[s[0] for s in got],
            cpu=statistics.median(s[1] for s in got),
            peak_rss_mb=max(s[2] for s in got),
            status=got[-1][3],
        )
        for name, got in samples.items()
    ]


def _env() -> dict[str, str]:
    # relman as installed: pip compiles the bytecode at install time, and a first run of an
    # editable install writes it. With PYTHONDONTWRITEBYTECODE (set in some CI/sandbox
    # shells) every run would compile relman's modules from source again (~0.1 s a command).
    drop = ("RELMAN_", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env


def relman_argv() -> list[str]:
    script = Path(sys.executable).with_name("relman")
    return [str(script)] if script.exists() else [sys.executable, "-m", "relman"]


def has_command(*words: str) -> bool:
    proc = subprocess.run(
        [*relman_argv(), *words, "--help"], capture_output=True, text=True, check=False
    )
    return proc.returncode == 0


def root_commit(repo: Path) -> str:
    out = subprocess.run(
        ["git", "rev-list", "--max-parents=0", "HEAD"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()[0]


def bench_size(count: int, runs: int, notes: bool) -> list[Result]:
    repo = ensure_repo(count)
    config = WORK / "bench-relman.toml"
    config.write_text(FULL_TOML)
    relman = [*relman_argv(), "-C", str(repo), "--config", str(config)]
    git_log = ["git", "log", "-z", "--no-color", "--encoding=UTF-8", LOG_FORMAT, "HEAD", "--"]
    cases: list[tuple[str, list[str]]] = [
        ("git log (full history)", git_log),
        ("relman version next -c full (full history)", [*relman, "version", "next", "-c", "full"]),
        ("relman version next (since last tag)", [*relman, "version", "next"]),
        # startup + settings + the tag look-up, no history: what the full read adds is the rest
        ("relman version current -c full (startup)", [*relman, "version", "current", "-c", "full"]),
    ]
    if notes:
        cases.append(
            (
                "relman notes --format json (full history)",
                [*relman, "notes", "--from", root_commit(repo), "--format", "json"],
            )
        )
    return measure_interleaved(cases, repo, runs)


def profile(count: int) -> None:
    """cProfile of `relman version next -c full` in-process: the top functions."""
    import cProfile
    import pstats

    from relman.cli.main import main

    repo = ensure_repo(count)
    config = WORK / "bench-relman.toml"
    config.write_text(FULL_TOML)
    argv = ["-C", str(repo), "--config", str(config), "version", "next", "-c", "full", "--json"]
    prof = cProfile.Profile()
    stdout = sys.stdout
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115, PTH123
        prof.runcall(main, argv)
    finally:
        sys.stdout.close()
        sys.stdout = stdout
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False)
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "git": git.stdout.strip(),
        "os": platform.platform(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile on the N-commit repo")
    parser.add_argument("--skip-notes", action="store_true", help="do not time `relman notes`")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    if args.profile:
        profile(args.profile)
        return 0

    info = machine()
    print("Machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    print("Load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    notes = not args.skip_notes and has_command("notes") and "--format" in _help("notes")
    if not notes and not args.skip_notes:
        print("note: `relman notes --format json` is not available yet: skipped")
    help_result = measure("relman --help", [*relman_argv(), "--help"], WORK, max(args.runs, 10))
    rows: list[tuple[int, Result]] = [(0, help_result)]
    for count in args.sizes:
        rows += [(count, r) for r in bench_size(count, args.runs, notes)]

    print()
    print("| commits | command | median wall (s) | runs (s) | CPU (s) | peak RSS (MB) | exit |")
    print("|---:|---|---:|---|---:|---:|---:|")
    for count, r in rows:
        runs = " ".join(f"{t:.3f}" for t in r.runs)
        label = f"{count:,}" if count else "-"
        print(
            f"| {label} | `{r.name}` | {r.median:.3f} | {runs} | {r.cpu:.3f} "
            f"| {r.peak_rss_mb:.0f} | {r.status} |"
        )
    _print_ratios(rows)
    print("Load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    (WORK / "results.json").write_text(
        json.dumps(
            {"machine": info, "rows": [{"commits": c, **r.__dict__} for c, r in rows]}, indent=2
        )
    )
    return 0


def _help(*words: str) -> str:
    proc = subprocess.run(
        [*relman_argv(), *words, "--help"], capture_output=True, text=True, check=False
    )
    return proc.stdout


def _print_ratios(rows: list[tuple[int, Result]]) -> None:
    by: dict[tuple[int, str], Result] = {(c, r.name.split(" (")[0]): r for c, r in rows}
    ratio: Callable[[int, str], float | None] = lambda c, name: (  # noqa: E731
        by[(c, name)].median / by[(c, "git log")].median if (c, name) in by else None
    )
    print()
    for count in sorted({c for c, _ in rows if c}):
        for name in ("relman version next -c full", "relman notes --format json"):
            value = ratio(count, name)
            if value is not None:
                best = min(by[(count, name)].runs) / min(by[(count, "git log")].runs)
                print(
                    f"{count:,} commits: `{name}` / `git log` = {value:.2f}x "
                    f"(fastest runs: {best:.2f}x)"
                )
        full, start = (
            by.get((count, "relman version next -c full")),
            by.get((count, "relman version current -c full")),
        )
        if full and start:
            marginal = (full.median - start.median) / by[(count, "git log")].median
            print(f"{count:,} commits: (full read - startup) / `git log` = {marginal:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
