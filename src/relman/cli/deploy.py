"""`relman deploy …`: run a release's deployment, resume an interrupted one, list and show them.

``relman deploy R-1 --env staging`` is short for ``relman deploy run R-1 --env staging``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from relman.cli import _common
from relman.cli import _deploy_view as view
from relman.cli._lifecycle_view import AS_HELP, JSON_OPT


class _RunByDefault(TyperGroup):
    """``relman deploy R-1 ...`` runs ``relman deploy run R-1 ...``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a click Context
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RunByDefault,
    help=(
        "Deployments (J-003 §8): `relman deploy RELEASE --env ENV [--strategy S] [--dry-run]` "
        "runs one; resume, list and show them."
    ),
    no_args_is_help=True,
)

EnvOpt = Annotated[
    str, typer.Option("--env", "-e", help="The environment (dev, qa, staging, prod).")
]
StrategyOpt = Annotated[
    str | None,
    typer.Option(
        "--strategy",
        "-s",
        help="rolling | blue_green | canary | maintenance (default: by release type, §8.1).",
    ),
]
ArtifactOpt = Annotated[
    str | None,
    typer.Option(
        "--artifact", help="The build to deploy (needed once: later environments reuse it)."
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show and record the plan; run nothing.")
]
OptionalActor = Annotated[str | None, typer.Option("--as", envvar="RELMAN_ACTOR", help=AS_HELP)]


def run_deployment(
    ctx: typer.Context,
    *,
    release_id: str,
    environment: str,
    actor: str | None,
    strategy: str | None,
    artifact: str | None,
    dry_run: bool,
    as_json: bool,
    check_first: bool = False,
) -> None:
    """Shared by `relman deploy` and `relman promote`."""
    from relman.services.deployment import deploy_release
    from relman.services.promotion import get_promotion_report

    deps = view.deployments(ctx)
    console = _common.console()
    if check_first and not as_json:
        report = get_promotion_report(
            deps, release_id=release_id, environment=environment, artifact=artifact
        )
        view.print_checks(console, report.decision)
    progress = view.LiveProgress(console)
    try:
        outcome = deploy_release(
            deps,
            release_id=release_id,
            environment=environment,
            actor=actor,
            strategy=strategy,
            artifact=artifact,
            dry_run=dry_run,
            progress=(lambda _e: None) if as_json else progress,
        )
    finally:
        progress.close()
    if as_json:
        data: dict[str, Any] = view.deployment_json(outcome.deployment, outcome.steps)
        if outcome.decision is not None:
            data["promotion"] = view.decision_json(outcome.decision)
        _common.print_json(data)
        return
    if dry_run:
        view.print_plan(console, outcome.deployment, outcome.steps)
        console.print("[dim]dry run: the plan is recorded, nothing ran[/]")
        return
    view.print_result(console, outcome.deployment)


@app.command("run")
def run(
    ctx: typer.Context,
    release_id: Annotated[str, typer.Argument(help="The release, e.g. R-1.", show_default=False)],
    *,
    environment: EnvOpt,
    strategy: StrategyOpt = None,
    artifact: ArtifactOpt = None,
    dry_run: DryRunOpt = False,
    actor: OptionalActor = None,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """Deploy a release's build to an environment: promotion rules, window, plan, steps,
    verification, observation; a critical issue rolls back automatically (exit 10)."""
    run_deployment(
        ctx, release_id=release_id, environment=environment, actor=actor, strategy=strategy,
        artifact=artifact, dry_run=dry_run, as_json=as_json,
    )  # fmt: skip


@app.command("resume")
def resume(
    ctx: typer.Context,
    environment: Annotated[str, typer.Argument(help="The environment.", show_default=False)],
    *,
    rollback: Annotated[
        bool, typer.Option("--rollback", help="Roll the interrupted deployment back instead.")
    ] = False,
    actor: OptionalActor = None,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """Finish (or roll back) the environment's deployment that a crash interrupted, from the
    step it stopped in."""
    from relman.services.deployment import resume_deployment

    console = _common.console()
    progress = view.LiveProgress(console)
    try:
        outcome = resume_deployment(
            view.deployments(ctx),
            environment=environment,
            actor=actor,
            rollback=rollback,
            progress=(lambda _e: None) if as_json else progress,
        )
    finally:
        progress.close()
    if as_json:
        _common.print_json(view.deployment_json(outcome.deployment, outcome.steps))
        return
    view.print_result(console, outcome.deployment)


@app.command("list")
def list_(
    ctx: typer.Context,
    environment: Annotated[str | None, typer.Option("--env", "-e", help="Only this one.")] = None,
    release_id: Annotated[str | None, typer.Option("--release", help="Only this release.")] = None,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """Deployments, oldest first."""
    from relman.services.deployment import list_deployments

    found = list_deployments(view.deployments(ctx), environment=environment, release_id=release_id)
    if as_json:
        _common.print_json([view.deployment_json(d) for d in found])
        return
    from rich.table import Table

    table = Table("id", "release", "version", "env", "strategy", "status", "by", "finished")
    for d in found:
        table.add_row(
            d.id, d.release_id, d.version, d.environment, d.strategy, view.styled(d.status.value),
            d.actor, d.finished_at.isoformat(timespec="seconds") if d.finished_at else "",
        )  # fmt: skip
    _common.console().print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    deployment_id: Annotated[str, typer.Argument(help="e.g. D-3", show_default=False)],
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """A deployment with every step: start, end, outcome and output tail."""
    from relman.services.deployment import get_deployment

    dep, steps = get_deployment(view.deployments(ctx), deployment_id)
    if as_json:
        _common.print_json(view.deployment_json(dep, steps))
        return
    console = _common.console()
    view.print_plan(console, dep, steps)
    view.print_result(console, dep)
