"""`relman notes …`: release notes in the J-003 §10.1 template, and their archive."""

from __future__ import annotations

import typer

app = typer.Typer(help="Release notes (J-003 §10).")
