"""Shared CLI plumbing: state passed down from the root, output helpers."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from relman.bootstrap import Services
    from relman.errors import RelmanError


@dataclass
class CliState:
    repo: Path
    config: Path | None
    debug: bool


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):  # invoked without the root callback (tests of sub-apps)
        obj = CliState(repo=Path(), config=None, debug=False)
    return obj


def services(ctx: typer.Context, *, history: bool = False) -> Services:
    """Wire the services for the repository and policy chosen on the command line.

    ``history``: the command may read a long history; on a terminal, show its progress.
    """
    from relman.bootstrap import build_services

    st = state(ctx)
    svc = build_services(repo=st.repo, config=st.config)
    if history:
        from relman.cli._history_progress import show_history_progress

        show_history_progress(ctx, svc)
    return svc


def console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """Machine output: one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def print_error(exc: RelmanError, *, as_json: bool = False) -> None:
    if as_json:
        sys.stderr.write(json.dumps({"error": exc.to_dict()}, ensure_ascii=False) + "\n")
        return
    from rich.markup import escape

    err = console(stderr=True)
    # escape: messages carry literal brackets ("[branch-module]", "feature/[module]-...")
    err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
    if exc.hint:
        err.print(f"[dim]hint:[/] {escape(exc.hint)}", markup=True)
