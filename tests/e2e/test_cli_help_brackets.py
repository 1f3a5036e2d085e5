"""Bracketed text in help survives Rich markup: `[tool.relman]`, `[flow]`, `[people]` ...

Typer renders help in Rich markup mode, where `[word]` is a style tag: an unknown one is
dropped silently ("then  in pyproject.toml"). Help that means the brackets literally writes
`\\[tool.relman]`. Every command's help page is rendered, and every bracketed token of its
help source (docstring, option and argument help) that is not a Rich style must be on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from rich.errors import StyleSyntaxError
from rich.style import Style

from relman.cli.main import app, main

# what Rich reads as a tag (rich.markup.RE_TAGS): a backslash run, then [lowercase/#/@...]
_TOKEN = re.compile(r"(\\*)\[([^\[\]\n]*)\]")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command under ``command`` (itself first), by its path of names."""
    yield path, command
    if not hasattr(command, "list_commands"):
        return
    with typer.Context(command, info_name=path[-1] if path else "relman") as ctx:
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), (*path, name))


COMMANDS = dict(_walk(typer.main.get_command(app), ()))


def _is_style(tag: str) -> bool:
    if tag.startswith("/"):
        return True
    try:
        Style.parse(tag)
    except StyleSyntaxError:
        return False
    return True


def list_literal_tokens(text: str) -> list[str]:
    """The `[...]` a reader should see in the rendered ``text`` (Rich styles left out)."""
    found = []
    for match in _TOKEN.finditer(text):
        slashes, inner = match.groups()
        escaped = len(slashes) % 2 == 1
        tag_like = bool(re.match(r"[a-z#/@]", inner))
        if escaped or not tag_like or not _is_style(inner):
            found.append(f"[{inner}]")
    return found


def _sources(path: tuple[str, ...]) -> list[str]:
    """The command's help, epilog and parameter help; for a group also the first paragraph of
    each sub-command's help (the listing shows it)."""
    command = COMMANDS[path]
    texts = [getattr(command, "help", None), getattr(command, "epilog", None)]
    texts += [getattr(p, "help", None) for p in getattr(command, "params", [])]
    for sub_path, sub in COMMANDS.items():
        if len(sub_path) == len(path) + 1 and sub_path[: len(path)] == path:
            texts.append(
                (getattr(sub, "short_help", None) or getattr(sub, "help", None) or "").split(
                    "\n\n"
                )[0]
            )
    return [t for t in texts if t]


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=" ".join(p) or "relman") for p in COMMANDS],
)
def test_help_keeps_every_bracketed_token(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    assert main([*path, "--help"]) == 0
    shown = _ANSI.sub("", capsys.readouterr().out)
    expected = [t for text in _sources(path) for t in list_literal_tokens(text)]
    missing = [t for t in expected if t not in shown]
    assert not missing, (
        f"relman {' '.join(path)} --help lost {missing}: escape them as \\{missing[0]}"
    )
    for gap in ("  in pyproject", "Commit a  table", "from , or", "with )"):
        assert gap not in shown


def test_the_token_finder_tells_markup_from_text() -> None:
    text = r"[bold]x[/] then [tool.relman] or \[people] and [FILE] [dim red]y[/dim red]"
    assert list_literal_tokens(text) == ["[tool.relman]", "[people]", "[FILE]"]


def test_every_command_group_and_sub_command_is_rendered() -> None:
    assert ("flow", "hotfix", "start") in COMMANDS
    assert ("policy", "check") in COMMANDS
    assert len(COMMANDS) > 60
