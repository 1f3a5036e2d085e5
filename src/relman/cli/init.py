"""`relman init`: write the J-003 policy as a fully commented relman.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from relman.cli._common import console, state


def init(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Option(
            "--path",
            help="Where to write the policy (relative paths are taken from --repo).",
            dir_okay=False,
        ),
    ] = Path("relman.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the J-003 release policy (relman's built-in default) as a commented relman.toml."""
    from relman import __version__
    from relman.bootstrap import build_services
    from relman.errors import ConflictError
    from relman.policy_settings.template import render_policy_file
    from relman.settings import Settings

    repo = state(ctx).repo
    target = path if path.is_absolute() else repo / path
    if target.is_dir():
        raise ConflictError("a folder is in the way of the policy file", where=str(path))
    if target.exists() and not force:
        raise ConflictError(
            "the policy file already exists", where=str(path), hint="use --force to overwrite it"
        )
    settings = Settings()
    text = render_policy_file(settings.model_dump(mode="json"), version=__version__)
    build_services(repo=repo, settings=settings).files.write_texts({target: text})
    console().print(
        f"wrote {path}: the J-003 policy ({len(settings.release_types)} release types, "
        f"{len(settings.gates)} gates, {len(settings.checklists)} checklists, "
        f"{len(settings.environments)} environments). Add your people under [people], then run "
        "`relman policy lint`.",
        markup=False,
    )
