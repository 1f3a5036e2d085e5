"""`relman changelog`: write or update CHANGELOG.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from relman.cli import _common
from relman.cli.notes import (
    ComponentOpt,
    DateOpt,
    FromContextOpt,
    ToOpt,
    VersionOpt,
    load_context,
    show_path,
)


def changelog(
    ctx: typer.Context,
    *,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The changelog file (default: notes.changelog_file).",
            dir_okay=False,
        ),
    ] = None,
    version: VersionOpt = None,
    to_ref: ToOpt = "HEAD",
    component: ComponentOpt = None,
    date: DateOpt = None,
    from_context: FromContextOpt = None,
    all_releases: Annotated[
        bool, typer.Option("--all", help="Rebuild the whole file from every release tag.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the section of a version already present.")
    ] = False,
) -> None:
    """Write or update CHANGELOG.md: one section per release, newest first."""
    from relman.errors import InvalidInputError
    from relman.services import changelog as cl
    from relman.services import release_notes as rn

    svc = _common.services(ctx, history=True)
    path = output if output is not None else svc.repo_root / svc.notes_policy.changelog_file
    request = rn.NotesRequest(to_ref=to_ref, component=component, version=version, date=date)
    if all_releases:
        if from_context is not None:
            raise InvalidInputError("--all cannot be used with --from-context", where="--all")
        result = cl.rebuild_changelog(
            git=svc.git,
            versioning=svc.versioning_policy,
            notes=svc.notes_policy,
            renderer=svc.notes_renderer,
            files=svc.files,
            path=path,
            request=request,
        )
        count = len(result.versions)
        what = "release" if count == 1 else "releases"
        _common.console().print(f"Rebuilt {show_path(path)} from {count} {what}")
        return
    context = load_context(svc, request, from_context, technical=False)
    result = cl.add_changelog_entry(
        path=path,
        notes=svc.notes_policy,
        renderer=svc.notes_renderer,
        files=svc.files,
        context=context,
        force=force,
    )
    _common.console().print(f"Added {context['version']} to {show_path(path)}")
