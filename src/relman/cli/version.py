"""`relman version …`: SemVer and component versions."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from relman.cli import _common

if TYPE_CHECKING:
    from relman.services.versioning import NextVersion

app = typer.Typer(help="Parse, compare and bump versions; compute the next version from git.")


# ---------------------------------------------------------------- current / next (from git)

_COMPONENT_OPT = typer.Option(
    "--component", "-c", help="A component of relman.toml (default: the whole repository)."
)
_REF_OPT = typer.Option("--ref", help="Compute at this revision instead of HEAD.")
_JSON_OPT = typer.Option("--json", help="Print JSON instead of text.")


@app.command("current")
def current(
    ctx: typer.Context,
    component: Annotated[str | None, _COMPONENT_OPT] = None,
    ref: Annotated[str, _REF_OPT] = "HEAD",
    as_json: Annotated[bool, _JSON_OPT] = False,
) -> None:
    """Print the latest released version (the highest release tag reachable from HEAD).

    Also the latest production release when it differs (a final version or a hotfix such as
    1.2.1-hotfix.1, never an alpha, beta or rc). A hotfix merged into the branch by Git Flow
    counts although its tag sits on main.
    """
    from relman.services.versioning import get_current_version

    svc = _common.services(ctx)
    found = get_current_version(
        git=svc.git, policy=svc.versioning_policy, component=component, ref=ref
    )
    prod = found.production
    if as_json:
        _common.print_json(
            {
                "component": found.component,
                "current": _str_or_none(found.version),
                "tag": found.tag,
                "sha": found.sha,
                "last_final": _str_or_none(found.last_final),
                "production": _str_or_none(prod.version if prod else None),
                "production_tag": prod.tag if prod else None,
            }
        )
        return
    from rich.markup import escape

    out = _common.console()
    label = escape(f"{found.component} ") if found.component else ""
    if found.version is None:
        first = svc.versioning_policy.initial_version
        out.print(f"{label}[bold]no release yet[/] (the first release will be {first})")
        return
    tag = escape(f"(tag {found.tag}, {(found.sha or '')[:10]})")
    out.print(f"{label}[bold]{escape(str(found.version))}[/] [dim]{tag}[/]")
    if prod is not None and prod.version != found.version:
        out.print(escape(f"production: {prod.version} (tag {prod.tag}, {prod.sha[:10]})"))


@app.command("next")
def next_(
    ctx: typer.Context,
    *,
    component: Annotated[str | None, _COMPONENT_OPT] = None,
    pre: Annotated[
        str | None,
        typer.Option("--pre", help="Make a prerelease with this token (alpha, beta, rc)."),
    ] = None,
    allow_noop: Annotated[
        bool,
        typer.Option("--allow-noop", help="Exit 0 (next = current) when nothing is releasable."),
    ] = False,
    ref: Annotated[str, _REF_OPT] = "HEAD",
    as_json: Annotated[bool, _JSON_OPT] = False,
) -> None:
    """Compute the next version from the Conventional Commits since the last release."""
    from relman.services.versioning import compute_next

    svc = _common.services(ctx, history=True)
    result = compute_next(
        git=svc.git,
        policy=svc.versioning_policy,
        component=component,
        pre=pre,
        ref=ref,
        allow_noop=allow_noop,
    )
    reasons = [
        {"sha": c.sha, "type": c.type, "breaking": c.breaking, "summary": c.header}
        for c in result.reasons
    ]
    if as_json:
        _common.print_json(
            {
                "component": result.component,
                "current": _str_or_none(result.current),
                "next": _str_or_none(result.next),
                "bump": str(result.bump),
                "commits": result.commits,
                "reasons": reasons,
            }
        )
        return
    _render_next(result, reasons)


# A person reads the first rows of the reasons; --json lists them all (a long history can hold
# hundreds of breaking changes, and laying them all out cost more than reading them).
SHOWN_REASONS = 20


def _render_next(result: NextVersion, reasons: list[dict[str, Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    out = _common.console()
    label = f"{result.component} " if result.component else ""
    current = result.current if result.current is not None else "(no release)"
    nxt = _str_or_none(result.next) or "(none)"
    what = "commit" if result.commits == 1 else "commits"
    detail = f"({result.bump}; {result.commits} {what} in {result.range})"
    out.print(f"{escape(f'{label}{current}')} -> [bold]{escape(nxt)}[/] [dim]{escape(detail)}[/]")
    if not reasons:
        return
    table = Table(show_edge=False, box=None, pad_edge=False)
    for column in ("sha", "type", "breaking", "summary"):
        table.add_column(column, style="dim" if column == "sha" else None)
    for row in reasons[:SHOWN_REASONS]:
        table.add_row(
            row["sha"][:10], row["type"], "yes" if row["breaking"] else "", Text(row["summary"])
        )
    out.print(table)
    if len(reasons) > SHOWN_REASONS:
        more = len(reasons) - SHOWN_REASONS
        out.print(f"[dim]... and {more} more (--json lists every reason)[/]")


def _str_or_none(value: object | None) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------- compare / validate / bump

SCHEME_HELP = "Version scheme: semver, odoo (19.0.1.2.3), mobile (1.2.3 (build 456)), schema."
SchemeOption = Annotated[str, typer.Option("--scheme", "-s", help=SCHEME_HELP)]


@app.command("compare")
def compare(
    a: Annotated[str, typer.Argument(metavar="A", help="First version.")],
    b: Annotated[str, typer.Argument(metavar="B", help="Second version.")],
    scheme: SchemeOption = "semver",
) -> None:
    """Print '<', '=' or '>' as A ranks below, equal to or above B (build metadata ignored)."""
    from relman.domain.versions import get_scheme

    order = get_scheme(scheme).compare(a, b)
    typer.echo("<=>"[order + 1])


@app.command("validate")
def validate(
    value: Annotated[str, typer.Argument(metavar="VERSION", help="The version to check.")],
    scheme: SchemeOption = "semver",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the parsed parts as JSON.")
    ] = False,
) -> None:
    """Print the canonical form of VERSION; exit 4 naming the broken rule if it is invalid."""
    from relman.cli._common import print_json
    from relman.domain.versions import get_scheme

    chosen = get_scheme(scheme)
    parsed = chosen.parse(value)
    canonical = chosen.format(parsed)
    if as_json:
        parts = chosen.describe(parsed)
        print_json({"input": value, "scheme": chosen.name, "canonical": canonical, "parts": parts})
    else:
        typer.echo(canonical)


def _parse_today(text: str | None) -> datetime.date:
    if text is None:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        from relman.errors import InvalidInputError

        raise InvalidInputError(
            f"invalid date {text!r}: expected YYYY-MM-DD", where="--today"
        ) from None


@app.command("bump")
def bump(
    value: Annotated[str, typer.Argument(metavar="VERSION", help="The version to bump.")],
    *,
    part: Annotated[
        str | None,
        typer.Option(
            "--part",
            "-p",
            help="major|minor|patch|prerelease|hotfix|release (mobile also: build; "
            "schema: not needed).",
        ),
    ] = None,
    pre: Annotated[
        str | None,
        typer.Option("--pre", help="Pre-release channel (beta, rc; hotfix channel for hotfix)."),
    ] = None,
    build: Annotated[
        str | None,
        typer.Option(
            "--build", help="semver: +build metadata (e.g. 202601311200); mobile: build number."
        ),
    ] = None,
    scheme: SchemeOption = "semver",
    today: Annotated[
        str | None,
        typer.Option("--today", help="schema: the migration date YYYY-MM-DD (default: today)."),
    ] = None,
) -> None:
    """Print the version after VERSION for --part."""
    from relman.domain.schemes import compute_scheme_bump

    result = compute_scheme_bump(
        scheme, value, part, token=pre, build=build, today=_parse_today(today)
    )
    typer.echo(result)
