"""`relman rollback ENV [--to VERSION]`: roll an environment back by hand (J-003 §9.3)."""

from __future__ import annotations

from typing import Annotated

import typer

from relman.cli import _common
from relman.cli import _deploy_view as view
from relman.cli._lifecycle_view import JSON_OPT
from relman.cli.deploy import OptionalActor


def rollback(
    ctx: typer.Context,
    environment: Annotated[str, typer.Argument(help="The environment.", show_default=False)],
    *,
    to: Annotated[str | None, typer.Option("--to", help="Go back until this version runs.")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the record).")] = "",
    severity: Annotated[
        str, typer.Option("--severity", help="critical | high | medium | low (§9.2).")
    ] = "high",
    actor: OptionalActor = None,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """Switch traffic back to the kept previous version and roll the database back.

    The database goes back by its reverse migration, else from the pre-migration backup; the
    time the rollback took is recorded."""
    from relman.services.rollback import rollback_environment

    console = _common.console()
    progress = view.LiveProgress(console)
    try:
        outcome = rollback_environment(
            view.deployments(ctx),
            environment=environment,
            actor=actor,
            to_version=to,
            reason=reason,
            severity=severity,
            progress=(lambda _e: None) if as_json else progress,
        )
    finally:
        progress.close()
    if as_json:
        _common.print_json(
            {
                "environment": environment,
                "live_version": outcome.live_version,
                "rolled_back": [view.deployment_json(d) for d in outcome.rolled_back],
            }
        )
        return
    for dep in outcome.rolled_back:
        view.print_result(console, dep)
    console.print(f"{environment} runs {outcome.live_version or 'nothing'}")
