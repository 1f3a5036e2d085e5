"""`relman retro …`: release retrospectives (J-003 §2.3, §14.4)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from relman.cli import _common
from relman.cli import _lifecycle_view as view
from relman.cli._lifecycle_view import ActorOpt, ReleaseArg

if TYPE_CHECKING:
    from relman.services.retrospectives import Retros

app = typer.Typer(
    help="Release retrospectives (J-003 §14.4); a hotfix owes one within 48 hours (§2.3)."
)


def _retros(ctx: typer.Context) -> Retros:
    return _common.services(ctx).retrospectives


@app.command("new")
def new(
    ctx: typer.Context,
    release_id: ReleaseArg,
    *,
    actor: ActorOpt,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write it here (Markdown).")
    ] = None,
    downtime: Annotated[
        float | None,
        typer.Option(
            "--downtime",
            help="Downtime in minutes, given by hand: overrides the figure measured from the "
            "release's production deployments.",
        ),
    ] = None,
    participants: Annotated[
        list[str] | None,
        typer.Option("--participant", "-p", help="A participant (person id, repeatable)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Write it again over the earlier one.")
    ] = False,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Create the retrospective from the §14.4 template with its metrics filled in."""
    from relman.services.retrospectives import new_retrospective

    retro = new_retrospective(
        _retros(ctx),
        release_id=release_id,
        actor=actor,
        output=output,
        downtime_minutes=downtime,
        participants=participants or (),
        replace=replace,
    )
    if as_json:
        _common.print_json(view.to_json(retro))
    elif output is None:
        typer.echo(retro.content, nl=False)
    else:
        view.out().print(f"wrote the retrospective of {retro.release_id} to {view.esc(output)}")


@app.command("show")
def show(ctx: typer.Context, release_id: ReleaseArg) -> None:
    """Print a release's retrospective."""
    from relman.services.retrospectives import get_retrospective

    typer.echo(get_retrospective(_retros(ctx), release_id=release_id).content, nl=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only those missing after their deadline.")
    ] = False,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Releases that owe a retrospective (hotfixes: 48 hours after deployment), due first."""
    from relman.services.retrospectives import list_retrospectives

    found = list_retrospectives(_retros(ctx), overdue_only=overdue)
    if as_json:
        _common.print_json(view.to_json(found))
        return
    if not found:
        view.out().print("no overdue retrospectives" if overdue else "no retrospectives due")
        return
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(_common.services(ctx).settings.windows.timezone)
    grid = view.table("release", "version", "due", "state", "incidents")
    for d in found:
        if d.overdue:
            state = "[red]overdue[/]"
        elif d.done_at is None:
            state = "[yellow]due[/]"
        else:
            late = " (late)" if d.late else ""
            state = f"[green]written {d.done_at.astimezone(zone):%Y-%m-%d %H:%M}[/]{late}"
        grid.add_row(
            d.release_id, view.esc(d.version), f"{d.due_at.astimezone(zone):%Y-%m-%d %H:%M}", state,
            ", ".join(d.incidents),
        )  # fmt: skip
    view.out().print(grid)
