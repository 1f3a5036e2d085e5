"""`relman notes …`: release notes in the J-003 §10.1 template, and their archive (§10.3)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from relman.cli import _common

if TYPE_CHECKING:
    from relman.bootstrap import Services
    from relman.services.release_notes import NotesRequest

app = typer.Typer(help="Release notes (J-003 §10).")

FromOpt = Annotated[
    str | None,
    typer.Option("--from", help="Start after this ref (default: the last release tag)."),
]
ToOpt = Annotated[str, typer.Option("--to", help="End at this ref.")]
ComponentOpt = Annotated[
    str | None, typer.Option("--component", "-c", help="A component of relman.toml.")
]
VersionOpt = Annotated[
    str | None,
    typer.Option("--version", help="The release's version (default: the computed next version)."),
]
TypeOpt = Annotated[
    str | None,
    typer.Option(
        "--type", help="major|minor|patch|hotfix (default: from the version and the bump)."
    ),
]
SummaryOpt = Annotated[
    str | None, typer.Option("--summary", help="The executive summary (a placeholder otherwise).")
]
DateOpt = Annotated[
    str | None,
    typer.Option("--date", help="Release date YYYY-MM-DD (default: the --to commit's date)."),
]
FromContextOpt = Annotated[
    Path | None,
    typer.Option(
        "--from-context",
        help="Render a context saved with --format json instead of reading git.",
        dir_okay=False,
    ),
]


def _request(
    *,
    from_ref: str | None,
    to_ref: str,
    component: str | None,
    version: str | None,
    release_type: str | None,
    summary: str | None,
    date: str | None,
) -> NotesRequest:
    from relman.services.release_notes import NotesRequest

    return NotesRequest(
        from_ref=from_ref,
        to_ref=to_ref,
        component=component,
        version=version,
        release_type=release_type,
        summary=summary,
        date=date,
    )


def load_context(
    svc: Services, request: NotesRequest, from_context: Path | None, *, technical: bool = True
) -> dict[str, Any]:
    """The notes context from git, or from a JSON file; warnings go to stderr."""
    from relman.errors import InvalidInputError
    from relman.services import release_notes as rn

    if from_context is not None:
        clashing = [
            name
            for name, value in (
                ("--from", request.from_ref),
                ("--to", None if request.to_ref == "HEAD" else request.to_ref),
                ("--component", request.component),
                ("--version", request.version),
            )
            if value is not None
        ]
        if clashing:
            raise InvalidInputError(
                f"{', '.join(clashing)} cannot be used with --from-context "
                "(the context already fixes the range and the version)",
                where="--from-context",
            )
        return rn.apply_overrides(
            rn.load_notes_context(files=svc.files, path=from_context), request
        )
    result = rn.build_notes_context(
        git=svc.git,
        versioning=svc.versioning_policy,
        notes=svc.notes_policy,
        request=request,
        technical=technical,
    )
    print_warnings(result.warnings)
    return result.context


def print_warnings(warnings: tuple[str, ...] | list[str]) -> None:
    if not warnings:
        return
    from rich.markup import escape

    err = _common.console(stderr=True)
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")


def show_path(path: Path) -> str:
    """A path relative to the current folder when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@app.callback(invoke_without_command=True)
def notes(
    ctx: typer.Context,
    *,
    from_ref: FromOpt = None,
    to_ref: ToOpt = "HEAD",
    component: ComponentOpt = None,
    version: VersionOpt = None,
    release_type: TypeOpt = None,
    summary: SummaryOpt = None,
    date: DateOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, html or json.")] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.", dir_okay=False)
    ] = None,
    from_context: FromContextOpt = None,
) -> None:
    """Release notes from the last release tag to HEAD, in the J-003 §10.1 template."""
    if ctx.invoked_subcommand is not None:
        return
    from relman.services import release_notes as rn

    svc = _common.services(ctx, history=True)
    request = _request(
        from_ref=from_ref,
        to_ref=to_ref,
        component=component,
        version=version,
        release_type=release_type,
        summary=summary,
        date=date,
    )
    context = load_context(svc, request, from_context)
    if output is None:
        data = rn.encode_notes(renderer=svc.notes_renderer, context=context, fmt=fmt.lower())
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:  # main() called in-process with a text-only stdout
            sys.stdout.write(data.decode("utf-8"))
            return
        sys.stdout.flush()
        binary.write(data)
        return
    text = rn.render_notes(renderer=svc.notes_renderer, context=context, fmt=fmt.lower())
    rn.write_output(files=svc.files, path=output, text=text)
    _common.console().print(f"Release notes of {context['version']} written to {show_path(output)}")


@app.command("archive")
def archive(
    ctx: typer.Context,
    *,
    from_ref: FromOpt = None,
    to_ref: ToOpt = "HEAD",
    component: ComponentOpt = None,
    version: VersionOpt = None,
    release_type: TypeOpt = None,
    summary: SummaryOpt = None,
    date: DateOpt = None,
    from_context: FromContextOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the archived notes of this version.")
    ] = False,
) -> None:
    """Archive the notes as docs/releases/release-notes-vVERSION.md and update the index."""
    from relman.services import release_notes as rn

    svc = _common.services(ctx, history=True)
    request = _request(
        from_ref=from_ref,
        to_ref=to_ref,
        component=component,
        version=version,
        release_type=release_type,
        summary=summary,
        date=date,
    )
    context = load_context(svc, request, from_context)
    result = rn.archive_notes(
        root=svc.repo_root,
        notes=svc.notes_policy,
        renderer=svc.notes_renderer,
        files=svc.files,
        context=context,
        force=force,
    )
    notes_path, index_path = result.paths
    _common.console().print(
        f"Archived the release notes of {context['version']}: {show_path(notes_path)} "
        f"(index: {show_path(index_path)})"
    )
