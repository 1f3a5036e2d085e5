"""`relman version …`: SemVer and component versions."""

from __future__ import annotations

import typer

app = typer.Typer(help="Parse, compare and bump versions; compute the next version from git.")
