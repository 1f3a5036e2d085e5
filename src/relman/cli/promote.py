"""`relman promote RELEASE --to ENV`: the promotion rules of J-003 §6.3, then the deployment."""

from __future__ import annotations

from typing import Annotated

import typer

from relman.cli import _common
from relman.cli import _deploy_view as view
from relman.cli._lifecycle_view import JSON_OPT
from relman.cli.deploy import ArtifactOpt, DryRunOpt, OptionalActor, StrategyOpt, run_deployment


def promote(
    ctx: typer.Context,
    release_id: Annotated[str, typer.Argument(help="The release, e.g. R-1.", show_default=False)],
    *,
    to: Annotated[str, typer.Option("--to", help="The environment to promote to.")],
    strategy: StrategyOpt = None,
    artifact: ArtifactOpt = None,
    dry_run: DryRunOpt = False,
    check: Annotated[
        bool, typer.Option("--check", help="Only judge the promotion rules; deploy nothing.")
    ] = False,
    actor: OptionalActor = None,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """Promote a release's build to the next environment, then deploy it there.

    No skipping, the same build, the required gates, the testing period (§2) and the
    compatibility matrix (§4.4)."""
    if check:
        from relman.services.promotion import get_promotion_report

        report = get_promotion_report(
            view.deployments(ctx), release_id=release_id, environment=to, artifact=artifact
        )
        if as_json:
            data = view.decision_json(report.decision)
            data["required_gates"] = report.required_gates
            _common.print_json(data)
        else:
            view.print_checks(_common.console(), report.decision)
        report.decision.require()
        return
    run_deployment(
        ctx, release_id=release_id, environment=to, actor=actor, strategy=strategy,
        artifact=artifact, dry_run=dry_run, as_json=as_json, check_first=True,
    )  # fmt: skip
