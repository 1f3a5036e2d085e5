"""`relman lint …`: Conventional Commits and branch names (J-003 §5.2, §5.4)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Lint commit messages, commit ranges and branch names.")
