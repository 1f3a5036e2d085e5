"""The root command group: sub-commands listed from a static table, imported when invoked.

``relman --help`` lists every command with its one-line help from :data:`LazyCommand` entries
(no command module is imported); ``relman version next`` imports ``relman.cli.version`` only.
A command is built exactly as ``app.add_typer(module.app, name=...)`` or
``app.command(name)(module.function)`` would build it, so its options and help are unchanged.
``tests/e2e/test_cli_registry.py`` checks that the table says what the modules say.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    """A sub-command of ``relman``: where it lives and its one-line help."""

    name: str
    module: str  # e.g. "relman.cli.version"
    attr: str  # "app" for a Typer sub-app (a command group), else the command function
    help: str  # the first paragraph of its help, as `relman --help` shows it


def load_command(
    entry: LazyCommand, *, rich_markup_mode: Any, pretty_exceptions_short: bool = True
) -> _click.Command:
    """Import the entry's module and build its click command (as the root Typer would)."""
    target = getattr(importlib.import_module(entry.module), entry.attr)
    holder = typer.Typer()
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=entry.name)
        return typer.main.get_group_from_info(
            holder.registered_groups[0],
            pretty_exceptions_short=pretty_exceptions_short,
            rich_markup_mode=rich_markup_mode,
            suggest_commands=True,
        )
    holder.command(entry.name)(target)
    return typer.main.get_command_from_info(
        holder.registered_commands[0],
        pretty_exceptions_short=pretty_exceptions_short,
        rich_markup_mode=rich_markup_mode,
    )


class LazyGroup(TyperGroup):
    """A TyperGroup whose sub-commands come from :attr:`lazy_commands` on first use.

    While the group formats its own help, unloaded commands are stand-ins carrying the name
    and the one-line help of the table; anything else (invoking, ``relman X --help``,
    completion) loads the real command.
    """

    lazy_commands: Sequence[LazyCommand] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return names + [e.name for e in self.lazy_commands if e.name not in self.commands]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        found = self.commands.get(cmd_name)
        if found is not None:
            return found
        entry = next((e for e in self.lazy_commands if e.name == cmd_name), None)
        if entry is None:
            return None
        if self._listing:
            return TyperCommand(entry.name, help=entry.help, rich_markup_mode=self.rich_markup_mode)
        command = load_command(entry, rich_markup_mode=self.rich_markup_mode)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except _click.exceptions.UsageError as exc:
            # TyperGroup suggests from self.commands: only the loaded ones
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if self.suggest_commands and matches and "Did you mean" not in exc.message:
                suggestions = ", ".join(f"{m!r}" for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise
