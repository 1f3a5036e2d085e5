"""`relman demo`: the whole J-003 plan, end to end, on this machine (about two minutes)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from relman.cli import _common

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from relman.services.demo import DemoSummary, StageResult

_MARKS = {"ok": "[green]✓[/]", "skipped": "[yellow]-[/]", "failed": "[red]✗[/]"}


def demo(
    workspace: Annotated[
        Path,
        typer.Option(
            "--workspace",
            help="Folder of the demo: created, or empty, or a previous demo's (with --fresh).",
            file_okay=False,
        ),
    ] = Path("relman-demo"),
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable summary only.")
    ] = False,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep", help="Leave the application instances and nginx running afterwards."
        ),
    ] = False,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh", help="Replace a previous demo workspace (its processes are stopped)."
        ),
    ] = False,
) -> int:
    """Run a release through the whole J-003 plan, end to end, on this machine.

    Plan, Git Flow, gates G1-G7 with real test evidence, promotion Dev -> QA -> Staging -> Prod
    in simulated windows, blue-green with a backup, a bad canary rolled back, a P1 hotfix; then
    notes, notifications, status, audit."""
    from relman.bootstrap import build_demo
    from relman.services.demo import run_demo

    kit, options = build_demo(root=workspace, fresh=fresh, keep=keep)
    if as_json:
        summary = run_demo(kit=kit, options=options, listen=lambda _e, _r: None)
        _common.print_json(summary.to_dict())
        return 0 if summary.ok else 1
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from relman.services.demo_stages import list_stages

    console = _common.console()
    total = len(list_stages())
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("relman demo", total=total)
        summary = run_demo(
            kit=kit,
            options=options,
            listen=lambda event, result: _show(progress, task, event, result),
        )
    _print_footer(console, summary)
    return 0 if summary.ok else 1


def _show(progress: Progress, task: TaskID, event: str, result: StageResult) -> None:
    from rich.markup import escape

    if event == "start":
        progress.update(task, description=result.title)
        return
    out = progress.console
    clock = result.at[:16].replace("T", " ")
    out.print(
        f"{_MARKS[result.status]} [bold]{escape(result.title)}[/] "
        f"[dim]({result.seconds:.1f}s, story time {clock})[/]"
    )
    for line in result.lines:
        out.print(f"    {escape(line)}", highlight=False)
    if result.reason:
        colour = "red" if result.status == "failed" else "yellow"
        out.print(f"    [{colour}]{result.status}: {escape(result.reason)}[/]")
    progress.advance(task)


def _print_footer(console: Console, summary: DemoSummary) -> None:
    from rich.markup import escape

    counts = {s: sum(1 for r in summary.stages if r.status == s) for s in _MARKS}
    for skipped in summary.skipped:
        console.print(f"[yellow]skipped[/] {escape(skipped.feature)}: {escape(skipped.reason)}")
    verdict = "[green]done[/]" if summary.ok else "[red]finished with failures[/]"
    console.print(
        f"{verdict} in {summary.seconds:.0f}s: {counts['ok']} stages ok, "
        f"{counts['skipped']} skipped, {counts['failed']} failed. "
        f"Summary: {escape(summary.paths.get('summary', ''))}"
    )
