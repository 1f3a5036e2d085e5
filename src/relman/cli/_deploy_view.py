"""Rendering shared by `relman deploy|promote|rollback|env`: a Rich progress display while a
deployment runs, plans, step tables and JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from relman.cli import _common

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status

    from relman.bootstrap import Services
    from relman.domain.deployment_records import Deployment, DeploymentStep
    from relman.domain.promotion import PromotionDecision
    from relman.services.deploy_records import ProgressEvent
    from relman.services.deploy_runtime import Deployments

STATUS_STYLE = {
    "succeeded": "green",
    "done": "green",
    "rolled_back": "yellow",
    "rolling_back": "yellow",
    "running": "cyan",
    "dry_run": "blue",
    "failed": "red",
    "skipped": "dim",
    "pending": "dim",
}
MARK = {
    "done": "[green]✓[/]",
    "failed": "[red]✗[/]",
    "skipped": "[dim]-[/]",
    "running": "[cyan]…[/]",
}


def deployments(ctx: typer.Context) -> Deployments:
    services: Services = _common.services(ctx)
    return services.deployments


def esc(text: object) -> str:
    from rich.markup import escape

    return escape(str(text))


def styled(value: str) -> str:
    style = STATUS_STYLE.get(value, "")
    return f"[{style}]{value}[/]" if style else value


class LiveProgress:
    """Shows each step as it starts (a spinner) and ends (✓/✗ with its outcome and time)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None

    def __call__(self, event: ProgressEvent) -> None:
        step = event.step
        if event.kind == "notice":
            self._stop()
            self.console.print(f"[yellow]![/] {esc(event.message)}")
            return
        if step is None:
            return
        label = f"[{step.index + 1}] {'rollback: ' if step.phase == 'rollback' else ''}{step.title}"
        if event.kind == "step_started":
            self._stop()
            self._status = self.console.status(esc(label), spinner="dots")
            self._status.start()
            return
        self._stop()
        took = f" [dim]({step.seconds:.1f}s)[/]" if step.seconds is not None else ""
        mark = MARK["done"] if event.kind == "step_done" else MARK["failed"]
        self.console.print(f"{mark} {esc(label)}{took}")
        if event.message:
            self.console.print(f"    [dim]{esc(event.message)}[/]")

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def close(self) -> None:
        self._stop()


def deployment_json(dep: Deployment, steps: list[DeploymentStep] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": dep.id,
        "release": dep.release_id,
        "environment": dep.environment,
        "version": dep.version,
        "digest": dep.digest,
        "strategy": dep.strategy,
        "status": dep.status.value,
        "actor": dep.actor,
        "previous_version": dep.previous_version,
        "created_at": dep.created_at.isoformat(),
        "started_at": dep.started_at.isoformat() if dep.started_at else None,
        "finished_at": dep.finished_at.isoformat() if dep.finished_at else None,
        "notes": list(dep.notes),
        "error": dep.error,
        "rollback": dict(dep.rollback) if dep.rollback else None,
        "proposals": dep.results.get("proposals", []),
    }
    if steps is not None:
        out["steps"] = [
            {
                "index": s.index + 1,
                "phase": s.phase,
                "kind": s.kind,
                "title": s.title,
                "status": s.status.value,
                "started_at": s.started_at.isoformat() if s.started_at else None,
                "ended_at": s.ended_at.isoformat() if s.ended_at else None,
                "outcome": s.outcome,
                "output_tail": s.output_tail,
            }
            for s in steps
        ]
    return out


def decision_json(decision: PromotionDecision) -> dict[str, Any]:
    return {
        "release": decision.release_id,
        "environment": decision.environment,
        "previous_environment": decision.previous_environment,
        "version": decision.version,
        "digest": decision.digest,
        "allowed": decision.allowed,
        "checks": [{"id": c.id, "ok": c.ok, "detail": c.detail} for c in decision.checks],
    }


def print_checks(console: Console, decision: PromotionDecision) -> None:
    for check in decision.checks:
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        console.print(f"{mark} {check.id}: {esc(check.detail)}")


def print_plan(console: Console, dep: Deployment, steps: list[DeploymentStep]) -> None:
    console.print(
        f"[bold]{dep.id}[/]: {esc(dep.release_id)} {esc(dep.version)} -> {esc(dep.environment)} "
        f"({esc(dep.strategy)}, {styled(dep.status.value)})"
    )
    for note in dep.notes:
        console.print(f"[yellow]![/] {esc(note)}")
    for step in steps:
        phase = "rollback: " if step.phase == "rollback" else ""
        mark = MARK.get(step.status.value, " ")
        took = f" ({step.seconds:.1f}s)" if step.seconds is not None else ""
        console.print(f" {mark} {step.index + 1:>2}. {phase}{esc(step.title)}{took}")
        if step.outcome and step.status.value != "pending":
            console.print(f"       [dim]{esc(step.outcome)}[/]")


def print_result(console: Console, dep: Deployment) -> None:
    if dep.status.value == "succeeded":
        console.print(
            f"[green]{dep.id}: {esc(dep.version)} is live on {esc(dep.environment)}[/]"
            + (f" (previous {esc(dep.previous_version)} kept)" if dep.previous_version else "")
        )
    elif dep.status.value == "rolled_back":
        info = dep.rollback or {}
        console.print(
            f"[yellow]{dep.id} rolled back: {esc(info.get('from_version', dep.version))} -> "
            f"{esc(info.get('to_version', dep.previous_version))} in "
            f"{float(str(info.get('duration_seconds', 0))):.1f}s[/] ({esc(info.get('reason', ''))})"
        )
    proposals = dep.results.get("proposals")
    for proposal in proposals if isinstance(proposals, list) else []:
        if isinstance(proposal, dict):
            console.print(
                f"[yellow]![/] {esc(proposal.get('severity'))}: {esc(proposal.get('reason'))}"
                + (
                    f" — to roll back: {esc(proposal['command'])}"
                    if proposal.get("command")
                    else ""
                )
            )
