"""`relman env status`: what runs in each environment, since when, by whom, and its health."""

from __future__ import annotations

from typing import Annotated

import typer

from relman.cli import _common
from relman.cli import _deploy_view as view
from relman.cli._lifecycle_view import JSON_OPT

app = typer.Typer(help="Environments (J-003 §6): dev, qa, staging, prod.", no_args_is_help=True)


@app.command("status")
def status(
    ctx: typer.Context,
    environment: Annotated[
        str | None, typer.Argument(help="Only this environment.", show_default=False)
    ] = None,
    probe: Annotated[
        bool, typer.Option("--probe/--no-probe", help="Ask each environment for its health.")
    ] = True,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """Per environment and component: the deployed version, when and by whom, and health."""
    from relman.services.env_status import describe_age, get_environment_status

    deps = view.deployments(ctx)
    statuses = get_environment_status(deps, environment=environment, probe=probe)
    if as_json:
        _common.print_json([s.to_dict() for s in statuses])
        return
    from rich.table import Table

    now = deps.clock.now()
    table = Table("env", "component", "version", "release", "deployed", "by", "health")
    for s in statuses:
        health = view.styled({"ok": "succeeded", "failed": "failed"}.get(s.health, s.health))
        health = health.replace("succeeded", "ok")
        if not s.components:
            table.add_row(s.environment, "-", "-", "-", "-", "-", health)
        for c in s.components:
            table.add_row(
                s.environment, c.component, c.version, c.release_id,
                describe_age(c.deployed_at, now), c.deployed_by, health,
            )  # fmt: skip
    console = _common.console()
    console.print(table)
    for s in statuses:
        if s.interrupted is not None:
            console.print(
                f"[red]![/] {s.environment}: deployment {s.interrupted.id} "
                f"({s.interrupted.version}) was interrupted: `relman deploy resume {s.environment}`"
            )
        elif s.lock is not None:
            console.print(f"[cyan]…[/] {view.esc(s.lock.describe())}")
        if s.notice and s.components:
            console.print(f"[yellow]![/] {s.environment}: {view.esc(s.notice)}")
