"""Benchmark: deployments under load through relman's own nginx (results in docs/benchmarks.md).

Builds the sample app (1.0.0, 1.1.0 and bad builds answering 500 on half of the business
requests), wires one environment ``prod`` on this machine (local target, relman-owned nginx on a
free loopback port, SQLite store in a temporary directory) and, while ``wrk`` sends steady load
to ``/inventory`` through nginx:

1. deploys 1.1.0 over 1.0.0 blue-green: every request must succeed;
2. deploys a bad build blue-green ``--rollbacks`` times (the smoke suite checks only /health,
   so the bad build takes traffic): monitoring must see the error rate over 1 % and roll back
   on its own. Counted per answer (wrk Lua): transport errors and proxy errors (502/503/504)
   must be zero; 500s come only from the bad build, before traffic is back on the previous one.

It reports the load (requests/s), the rollback time (trigger detected -> traffic back on the
previous version; J-003 asks < 15 min, the target here is < 10 s) and the detection time (bad
version live -> trigger; target <= two monitoring intervals).

Usage: ``python bench/bench_deploy.py [--interval 1] [--rollbacks 3] [--connections 16]
[--no-write]`` (needs nginx and wrk; bounded: each wrk run stops after its deployment).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "examples" / "smart_dairy_app"))
sys.path.insert(0, str(ROOT / "src"))

from smart_dairy_app.build import build_artifact  # noqa: E402

from relman.adapters import processes as procs  # noqa: E402
from relman.bootstrap import build_services  # noqa: E402
from relman.domain.releases import Phase, Release  # noqa: E402
from relman.errors import DeploymentFailedError  # noqa: E402
from relman.services.deployment import deploy_release  # noqa: E402

WRK_LUA = r"""
counts = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  local v = headers["X-App-Version"] or headers["x-app-version"] or "?"
  local key = status .. "/" .. v
  counts[key] = (counts[key] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, n in pairs(t:get("counts")) do total[k] = (total[k] or 0) + n end
  end
  io.write("RELMAN_COUNTS ")
  for k, n in pairs(total) do io.write(k .. "=" .. n .. ";") end
  io.write("\n")
  local e = summary.errors
  io.write(string.format(
    "RELMAN_SUMMARY requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout))
end
"""

CONFIG = """\
[people.dipu]
name = "Dipu Sarker"
roles = ["devops_lead"]

[promotion]
order = ["prod"]

[windows]
environments = {{}}

[verification.monitoring]
interval_seconds = {interval}
observation_seconds = {observation}
host_metrics = false

[verification.smoke]
checks = [{{ name = "health", path = "/health" }}]

[deployments.environments.prod]
gates = []
strategy = "blue_green"

[deployments.environments.prod.target]
public_port = {port}
"""


@dataclass
class LoadRun:
    requests: int = 0
    seconds: float = 0.0
    socket_errors: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def count(self, status: str, version: str | None = None) -> int:
        return sum(
            n for key, n in self.counts.items()
            if key.split("/")[0] == status and (version is None or key.split("/", 1)[1] == version)
        )  # fmt: skip

    @property
    def proxy_errors(self) -> int:
        return sum(self.count(code) for code in ("502", "503", "504"))


class Wrk:
    """wrk in the background for at most ``limit`` seconds; stopped with SIGINT (it then
    prints its summary)."""

    def __init__(self, url: str, *, connections: int, threads: int, limit: int, lua: Path) -> None:
        argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{limit}s", "-s", str(lua), url]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def stop(self) -> LoadRun:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=30)
        return parse_wrk(out)


def parse_wrk(text: str) -> LoadRun:
    run = LoadRun()
    summary = re.search(
        r"RELMAN_SUMMARY requests=(\d+) duration_us=(\d+) connect=(\d+) read=(\d+) "
        r"write=(\d+) timeout=(\d+)",
        text,
    )
    if summary is None:
        raise RuntimeError(f"wrk printed no summary:\n{text}")
    values = [int(v) for v in summary.groups()]
    run.requests, run.seconds = values[0], values[1] / 1e6
    run.socket_errors = sum(values[2:])
    counts = re.search(r"RELMAN_COUNTS (.*)", text)
    for part in (counts.group(1) if counts else "").split(";"):
        if "=" in part:
            key, n = part.rsplit("=", 1)
            run.counts[key] = int(n)
    return run


def add_release(services: Any, release_id: str, version: str) -> None:
    with services.uow_factory() as uow:
        uow.releases.add(
            Release(
                release_id,
                f"bench {version}",
                "hotfix",
                version,
                (),
                Phase.DEPLOY,
                "dipu",
                date(2026, 3, 1),
                datetime.now(UTC),
                None,
                (),
                (),
                0,
            )
        )


def main() -> int:  # noqa: PLR0915 - one scenario, step by step
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--interval", type=float, default=1.0, help="monitoring interval (s)")
    parser.add_argument("--rollbacks", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            print(f"{tool} is not installed", file=sys.stderr)
            return 2

    work = Path(tempfile.mkdtemp(prefix="relman-bench-deploy-"))
    lua = work / "count.lua"
    lua.write_text(WRK_LUA, encoding="utf-8")
    port = procs.find_free_port()
    observation = max(10.0, 8 * args.interval)
    (work / "relman.toml").write_text(
        CONFIG.format(interval=args.interval, observation=observation, port=port), encoding="utf-8"
    )
    dist = work / "dist"
    good = [build_artifact(v, out_dir=dist)[0] for v in ("1.0.0", "1.1.0")]
    services = build_services(repo=work)
    ctx = services.deployments
    url = f"http://127.0.0.1:{port}/inventory?product=milk"
    results: dict[str, Any] = {"interval_seconds": args.interval}
    try:
        add_release(services, "R-1", "1.0.0")
        deploy_release(
            ctx, release_id="R-1", environment="prod", actor="dipu", artifact=str(good[0])
        )

        # 1. blue-green under load
        add_release(services, "R-2", "1.1.0")
        wrk = Wrk(url, connections=args.connections, threads=args.threads, limit=300, lua=lua)
        time.sleep(2)
        started = time.monotonic()
        deploy_release(
            ctx, release_id="R-2", environment="prod", actor="dipu", artifact=str(good[1])
        )
        took = time.monotonic() - started
        time.sleep(2)
        load = wrk.stop()
        results["blue_green"] = {
            "deployment_seconds": round(took, 2),
            "requests": load.requests,
            "rate": round(load.rate),
            "failed": load.socket_errors + load.requests - load.count("200"),
            "versions": dict(load.counts.items()),
        }
        print(json.dumps({"blue_green": results["blue_green"]}), flush=True)

        # 2. automatic rollbacks of bad builds under load
        rollbacks = []
        for n in range(args.rollbacks):
            version = f"1.1.{n + 1}"
            bad = build_artifact(version, fault="errors=0.5", out_dir=dist)[0]
            add_release(services, f"R-{n + 3}", version)
            wrk = Wrk(url, connections=args.connections, threads=args.threads, limit=300, lua=lua)
            time.sleep(2)
            try:
                deploy_release(ctx, release_id=f"R-{n + 3}", environment="prod", actor="dipu",
                               artifact=str(bad))  # fmt: skip
                raise RuntimeError(f"the bad build {version} was not rolled back")
            except DeploymentFailedError as exc:
                record = dict(exc.details["rollback"])
            time.sleep(2)
            load = wrk.stop()
            row = {
                "version": version,
                "rollback_seconds": record["duration_seconds"],
                "detection_seconds": record.get("detection_seconds"),
                "threshold": record.get("threshold"),
                "requests": load.requests,
                "rate": round(load.rate),
                "socket_errors": load.socket_errors,
                "proxy_errors": load.proxy_errors,
                "errors_from_bad_build": load.count("500", version),
                "errors_from_others": load.count("500") - load.count("500", version),
                "other_statuses": load.requests
                - load.count("200")
                - load.count("500")
                - load.socket_errors,
            }
            rollbacks.append(row)
            print(json.dumps({"rollback": row}), flush=True)
        results["rollbacks"] = rollbacks
    finally:
        stop_everything(work)
    results["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(json.dumps(results, indent=2))
    if not args.no_write:
        write_results(results)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def stop_everything(work: Path) -> None:
    targets = work / ".relman" / "targets"
    for state in targets.glob("*/run/*.json"):
        data = procs.read_json(state)
        if data:
            procs.terminate(int(data["pid"]), timeout=5, start_ticks=data.get("start_ticks"))
    for pid_file in targets.glob("*/nginx/logs/nginx.pid"):
        procs.terminate(int(pid_file.read_text().strip()), timeout=5)


START, END = "<!-- bench_deploy:start -->", "<!-- bench_deploy:end -->"


def _wrap(line: str) -> str:
    """Prose at 100 columns like the other docs (table rows stay on one line)."""
    if line.startswith("|") or len(line) <= 100:
        return line
    indent = "  " if line.startswith("- ") else ""
    return textwrap.fill(line, 100, subsequent_indent=indent, break_on_hyphens=False)


def write_results(results: dict[str, Any]) -> None:
    bg, rows = results["blue_green"], results["rollbacks"]
    rollback_times = [r["rollback_seconds"] for r in rows]
    detections = [r["detection_seconds"] for r in rows if r["detection_seconds"] is not None]
    lines = [
        START,
        "## Deployments under load (`bench/bench_deploy.py`)",
        "",
        f"Measured {date.today().isoformat()} on {results['machine']}, loopback only: wrk "
        "(2 threads) sends `GET /inventory` through relman's nginx (client keep-alive off, see "
        "targets.md) while relman deploys to `prod`; monitoring interval "
        f"{results['interval_seconds']:g} s. A *failed* request is a transport error (connect, "
        "read, write, timeout) or a proxy error (502/503/504): something the deployment or the "
        "rollback itself caused. The bad builds answer 500 on half of the business requests by "
        "design; those 500s are counted apart (they are why the rollback happens).",
        "",
        "| Scenario | Load | Failed requests | Notes |",
        "|---|---|---|---|",
        f"| blue-green 1.0.0 -> 1.1.0 | {bg['requests']} requests, {bg['rate']} req/s | "
        f"**{bg['failed']}** | deployment {bg['deployment_seconds']} s (incl. observation) |",
    ]
    for r in rows:
        lines.append(
            f"| automatic rollback of {r['version']} (errors=0.5) | {r['requests']} requests, "
            f"{r['rate']} req/s | **{r['socket_errors'] + r['proxy_errors']}** | "
            f"{r['errors_from_bad_build']} × 500 from the bad build before the rollback, "
            f"{r['errors_from_others']} from the others; rollback {r['rollback_seconds']:.2f} s, "
            f"detection {r['detection_seconds']} s; `{r['threshold']}` |"
        )
    lines += [
        "",
        f"- **Rollback time** (trigger detected -> traffic back on the previous version): "
        f"median {statistics.median(rollback_times):.2f} s, max {max(rollback_times):.2f} s "
        "(target < 10 s for blue-green; J-003 asks < 15 min). It is one nginx reload to the "
        "warm previous colour plus the drain of the old workers.",
        f"- **Detection time** (bad version live -> rollback trigger): median "
        f"{statistics.median(detections):.2f} s, max {max(detections):.2f} s, at an interval of "
        f"{results['interval_seconds']:g} s (target <= two intervals). The first window starts "
        "when the new version takes traffic; the trigger comes at the end of the first window "
        "that breaches a critical threshold.",
        END,
    ]
    lines = [_wrap(line) for line in lines]
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = "\n".join(lines) + "\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
