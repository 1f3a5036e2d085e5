"""`relman db …`: the state store's schema (SQLite by default, PostgreSQL for teams)."""

from __future__ import annotations

from typing import Annotated

import typer

from relman.cli import _common

app = typer.Typer(
    help=(
        "The state store: releases, sign-offs, evidence and the audit log. SQLite in "
        ".relman/relman.db, or the database named by RELMAN_DATABASE_URL."
    )
)

_JSON_OPT = typer.Option("--json", help="Print JSON instead of text.")


@app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    revision: Annotated[
        str, typer.Argument(help="Migrate up to this revision (default: the newest).")
    ] = "head",
    as_json: Annotated[bool, _JSON_OPT] = False,
) -> None:
    """Create or migrate the database schema (relman also does this on first use)."""
    store = _common.services(ctx).store
    result = store.upgrade(revision)
    if as_json:
        _common.print_json(
            {
                "url": result.url,
                "before": result.before,
                "after": result.after,
                "changed": result.changed,
            }
        )
        return
    from rich.markup import escape

    out = _common.console()
    url = escape(result.url)
    if not result.changed:
        out.print(f"database already at revision [bold]{result.after}[/] ({url})")
        return
    before = "an empty database" if result.before is None else f"revision {result.before}"
    out.print(f"database upgraded from {before} to revision [bold]{result.after}[/] ({url})")


@app.command("current")
def current(
    ctx: typer.Context,
    as_json: Annotated[bool, _JSON_OPT] = False,
) -> None:
    """Show which database relman uses and its schema revision (changes nothing)."""
    store = _common.services(ctx).store
    revision = store.current_revision()
    head = store.head_revision()
    if as_json:
        _common.print_json(
            {"url": store.url, "revision": revision, "head": head, "up_to_date": revision == head}
        )
        return
    from rich.markup import escape

    out = _common.console()
    out.print(f"database: {escape(store.url)}")
    if revision is None:
        out.print(f"revision: none (empty database; head is {head}: run `relman db upgrade`)")
    elif revision == head:
        out.print(f"revision: [bold]{revision}[/] (head)")
    else:
        out.print(f"revision: [bold]{revision}[/] (head is {head}: run `relman db upgrade`)")
