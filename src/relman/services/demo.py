"""``relman demo``: the J-003 plan run end to end on this machine, stage by stage.

Each stage is a function of the shared `DemoContext` that calls the same use cases the CLI
commands call (`relman.services.planning`, `.flow`, `.gates`, `.evidence`, deployments,
incidents, notifications), on services wired by `relman.bootstrap.build_services` for the
demo's repository with the demo's clock injected. Nothing is simulated but time: the clock is
moved into the deployment windows of the story (`DemoClock`), everything else (git, the test
run, the processes, nginx, PostgreSQL, SMTP) is real.

A stage ends ``ok``, ``skipped`` (with the reason: a missing tool, or a feature relman does not
have here) or ``failed`` (the error); the stages that need a failed one are skipped, the report
stages always run. The stages live in `relman.services.demo_release` (plan, Git Flow, gates),
`relman.services.demo_deploy` (promotion, blue-green, canary, incident, hotfix) and
`relman.services.demo_report` (notes, notifications, env status, audit).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from relman.errors import RelmanError
from relman.services.demo_workspace import DemoHost, Skipped, Workspace

Status = Literal["ok", "skipped", "failed"]


class DemoClock(Protocol):
    """relman's `Clock` port, which the demo moves (``relman.adapters.demo.clock``)."""

    def now(self) -> datetime: ...

    def set(self, moment: datetime) -> None: ...

    def close(self) -> None: ...


class MailSink(Protocol):
    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class WebhookSinkPort(Protocol):
    def url(self, channel: str) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class DemoKit:
    """The demo's collaborators, wired by `relman.bootstrap.build_demo`.

    ``open_services(repo)`` returns `relman.bootstrap.Services` for the repository with the
    demo clock injected (typed `Any` here: services never import the composition root).
    """

    host: DemoHost
    clock: DemoClock
    mail: MailSink
    webhooks: WebhookSinkPort
    toolchain: Any  # relman.adapters.demo.toolchain.DemoToolchain
    builder: Any  # relman.adapters.demo.builds.DemoBuilder
    open_services: Callable[[Path], Any]
    free_port: Callable[[], int]
    stop_processes: Callable[[Path], list[str]]
    read_mail: Callable[[], list[Any]]  # CapturedMail of the SMTP sink
    read_posts: Callable[[], list[dict[str, Any]]]  # webhook posts
    open_traffic: Callable[[str], Any]  # base URL -> relman.adapters.demo.traffic generator


@dataclass(frozen=True)
class DemoOptions:
    root: Path
    fresh: bool = False
    keep: bool = False
    db_prefix: str = "relman_demo"  # databases <prefix>_dev ... (RELMAN_DEMO_DB_PREFIX)


@dataclass
class StageResult:
    id: str
    title: str
    status: Status = "ok"
    lines: list[str] = field(default_factory=list)
    reason: str = ""
    seconds: float = 0.0
    at: str = ""  # the demo clock when the stage ended

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "seconds": round(self.seconds, 2),
            "simulated_time": self.at,
            "lines": list(self.lines),
        }


class StageSkippedError(RelmanError):
    """A stage cannot run here (a missing tool, a feature not available); not a failure."""

    code = "skipped"


@dataclass
class DemoContext:
    """What the stages share: collaborators, the workspace and what earlier stages produced."""

    kit: DemoKit
    options: DemoOptions
    workspace: Workspace | None = None
    skipped: list[Skipped] = field(default_factory=list)
    releases: dict[str, str] = field(default_factory=dict)  # role in the story -> release id
    facts: dict[str, Any] = field(default_factory=dict)  # what the summary reports
    lines: list[str] = field(default_factory=list)  # the running stage's output

    @property
    def ws(self) -> Workspace:
        if self.workspace is None:  # pragma: no cover - the workspace stage runs first
            raise RuntimeError("no workspace yet")
        return self.workspace

    def services(self) -> Any:
        """Fresh services for the demo repository (git picks up the clock's dates)."""
        return self.kit.open_services(self.ws.repo)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def at(self, moment: datetime) -> None:
        """Move the demo clock to ``moment`` (a moment of the story, Asia/Dhaka)."""
        self.kit.clock.set(moment)
        self.say(f"clock: {self.kit.clock.now():%a %Y-%m-%d %H:%M %Z}")


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    run: Callable[[DemoContext], None]
    needs: tuple[str, ...] = ()
    always: bool = False  # report stages run whatever happened before
    fatal: bool = False  # its error ends the demo (the workspace: nothing to show without it)


StageListener = Callable[[str, StageResult], None]  # ("start" | "end", result)


def run_stages(
    ctx: DemoContext, stages: Sequence[Stage], listen: StageListener
) -> list[StageResult]:
    """Run ``stages`` in order; a failed or skipped stage skips the stages that need it."""
    results: list[StageResult] = []
    done: dict[str, Status] = {}
    for stage in stages:
        result = StageResult(stage.id, stage.title)
        blocked = [n for n in stage.needs if done.get(n) != "ok"]
        listen("start", result)
        started = time.monotonic()
        ctx.lines = result.lines
        if blocked and (not stage.always or ctx.workspace is None):
            result.status = "skipped"
            result.reason = f"needs {', '.join(blocked)}, which did not complete"
        else:
            try:
                stage.run(ctx)
            except StageSkippedError as exc:
                result.status, result.reason = "skipped", exc.message
            except RelmanError as exc:
                if stage.fatal:
                    raise
                result.status, result.reason = "failed", str(exc)
                if exc.hint:
                    result.lines.append(f"hint: {exc.hint}")
            except Exception as exc:  # a bug: report it and go on to the report stages
                result.status = "failed"
                result.reason = f"internal error: {type(exc).__name__}: {exc}"
        result.seconds = time.monotonic() - started
        result.at = ctx.kit.clock.now().isoformat(timespec="seconds")
        done[stage.id] = result.status
        results.append(result)
        listen("end", result)
    return results


@dataclass
class DemoSummary:
    stages: list[StageResult]
    facts: dict[str, Any]
    skipped: list[Skipped]
    paths: dict[str, str]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.stages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 1),
            "stages": [s.to_dict() for s in self.stages],
            "skipped": [s.to_dict() for s in self.skipped],
            **self.facts,
            "paths": self.paths,
        }


def run_demo(*, kit: DemoKit, options: DemoOptions, listen: StageListener) -> DemoSummary:
    """Run every stage of the story; stop what the demo started unless ``options.keep``."""
    from relman.services.demo_stages import list_stages

    started = time.monotonic()
    ctx = DemoContext(kit=kit, options=options)
    try:
        results = run_stages(ctx, list_stages(), listen)
    finally:
        kit.clock.close()
        if ctx.workspace is not None and not options.keep:
            ctx.facts["stopped"] = kit.stop_processes(ctx.workspace.root)
        kit.mail.stop()
        kit.webhooks.stop()
    paths = ctx.workspace.paths() if ctx.workspace else {"workspace": str(options.root)}
    summary = DemoSummary(results, ctx.facts, ctx.skipped, paths, time.monotonic() - started)
    if ctx.workspace is not None:
        text = json.dumps(summary.to_dict(), indent=2, ensure_ascii=False, default=str)
        kit.host.write_text(ctx.workspace.summary_file, text + "\n")
    return summary
