"""`relman checklist …`: a release's J-003 checklists (§7, §13.1, §14.3), ticked by hand or
by proof."""

from __future__ import annotations

from typing import Annotated

import typer

from relman.cli import _common
from relman.cli import _lifecycle_view as view
from relman.cli._lifecycle_view import ActorOpt, ReleaseArg

app = typer.Typer(help="Release checklists: show them, tick items (proven items tick themselves).")


@app.command("show")
def show(
    ctx: typer.Context,
    release_id: ReleaseArg,
    checklist: Annotated[
        str | None, typer.Option("--checklist", help="Only this checklist, e.g. 7.1.2.")
    ] = None,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Every item: ticked by whom and when, with the proof or note behind it."""
    from relman.services.checklists import list_checklists

    lc = view.lifecycle(ctx)
    release, views = list_checklists(
        uow_factory=lc.uow_factory, policy=lc.policy, release_id=release_id, checklist_id=checklist
    )
    if as_json:
        _common.print_json(
            {
                "release": release.id,
                "checklists": [
                    {
                        "id": v.id,
                        "title": v.title,
                        "section": v.section,
                        "ticked": v.ticked,
                        "items": view.to_json(v.items),
                    }
                    for v in views
                ],
            }
        )
        return
    console = view.out()
    console.print(f"[bold]{view.esc(view.describe_release(release))}[/]")
    for v in views:
        console.print()
        console.print(
            f"[bold]{view.esc(v.id)} {view.esc(v.title)}[/] (§{view.esc(v.section)}): "
            f"{v.ticked}/{len(v.items)} ticked"
        )
        grid = view.table("", "item", "text", "ticked by", "proof / note")
        for item in v.items:
            mark = "[green]x[/]" if item.is_ticked else " "
            by = (
                f"{item.ticked_by} {item.ticked_at:%Y-%m-%d %H:%M}"
                if item.is_ticked and item.ticked_at
                else "-"
            )
            grid.add_row(
                mark,
                view.esc(item.item_id),
                view.esc(item.text),
                view.esc(by),
                view.esc(item.proof or "-"),
            )
        console.print(grid)


@app.command("tick")
def tick(
    ctx: typer.Context,
    release_id: ReleaseArg,
    item: Annotated[str, typer.Argument(help="The item id, e.g. 7.1.1-3.", show_default=False)],
    actor: ActorOpt,
    note: Annotated[str, typer.Option("--note", help="A note or link kept with the tick.")] = "",
) -> None:
    """Tick one item as PERSON (exit 6 if it is already ticked)."""
    from relman.services.checklists import tick_item

    lc = view.lifecycle(ctx)
    done = tick_item(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        clock=lc.clock,
        release_id=release_id,
        item_id=item,
        actor=actor,
        note=note,
    )
    ticked = done.item
    view.out().print(
        f"{view.esc(ticked.ticked_by)} ticked {view.esc(ticked.item_id)} "
        f"{view.esc(ticked.text)} on {release_id}"
    )
    view.print_auto_ticked(done.auto_ticked)


@app.command("open")
def open_(
    ctx: typer.Context,
    release_id: ReleaseArg,
    checklist: Annotated[
        str,
        typer.Argument(
            help="The checklist id, e.g. A-pre, A-day, A-post, 9.4.", show_default=False
        ),
    ],
    actor: ActorOpt,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Open a checklist no release type gets by itself (Appendix A: A-pre, A-day, A-post)."""
    from relman.services.checklists import open_checklist

    lc = view.lifecycle(ctx)
    opened = open_checklist(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        clock=lc.clock,
        release_id=release_id,
        checklist_id=checklist,
        actor=actor,
    )
    shown = opened.checklist
    if as_json:
        _common.print_json(
            {
                "release": release_id,
                "checklist": shown.id,
                "title": shown.title,
                "items": view.to_json(shown.items),
                "auto_ticked": view.to_json(opened.auto_ticked),
            }
        )
        return
    view.out().print(
        f"opened {view.esc(shown.id)} {view.esc(shown.title)} on {view.esc(release_id)}: "
        f"{len(shown.items)} items, {shown.ticked} ticked"
    )
    view.print_auto_ticked(opened.auto_ticked)
