"""The root command's static table of sub-commands (relman.cli.main.COMMANDS) cannot drift.

`relman --help` lists the commands from the table without importing them; these tests load
every one for real and check that the table says what the modules say, that every command
module is in the table, and that every listed command answers `--help`.
"""

from __future__ import annotations

import inspect
import json
import pkgutil
import subprocess
import sys

import pytest
import typer

import relman.cli
from relman.cli._lazy import LazyGroup, load_command
from relman.cli.main import COMMANDS, app, main

NAMES = [entry.name for entry in COMMANDS]


def _root_group() -> LazyGroup:
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    return group


def _render_help(group: LazyGroup, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    with typer.Context(group, info_name="relman") as ctx:
        group.get_help(ctx)
    return capsys.readouterr().out


def test_root_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[1] for line in out.splitlines() if line.startswith("│ ")]
    assert [name for name in listed if name in NAMES] == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_listed_command_answers_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"Usage: relman {name}" in out


def test_the_table_has_the_modules_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    for entry in COMMANDS:
        command = load_command(entry, rich_markup_mode="rich")
        assert command.name == entry.name
        own = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
        assert entry.help == own.strip(), f"update the help of {entry.name!r} in COMMANDS"
        # one line: in rich markup mode a line break stays a break in the narrow help column
        assert "\n" not in entry.help, f"the first paragraph of {entry.name!r} spans lines"
        assert not command.hidden
        assert not command.deprecated
        assert not getattr(command, "rich_help_panel", None)  # one "Commands" panel

    # and `relman --help` reads the same from the table as from the loaded commands
    group = _root_group()
    from_table = _render_help(group, capsys)
    with typer.Context(group, info_name="relman") as ctx:
        for name in NAMES:
            group.get_command(ctx, name)  # loads it
    assert set(group.commands) == set(NAMES)
    assert _render_help(group, capsys) == from_table


def test_every_command_module_is_in_the_table() -> None:
    modules = {
        f"relman.cli.{info.name}"
        for info in pkgutil.iter_modules(relman.cli.__path__)
        if not info.name.startswith("_") and info.name != "main"
    }
    assert {entry.module for entry in COMMANDS} == modules
    assert len(set(NAMES)) == len(NAMES)


def test_unknown_commands_get_suggestions_from_the_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["nots"]) == 2
    err = capsys.readouterr().err
    assert "No such command 'nots'" in err
    assert "Did you mean 'notes', 'notify'?" in err


def test_root_help_imports_no_command_module() -> None:
    code = (
        "import json, sys\n"
        "from relman.cli.main import main\n"
        "main(['--help'])\n"
        "mods = [m for m in sys.modules if m.startswith('relman.cli.')]\n"
        "print(json.dumps(mods), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    assert loaded == {"relman.cli._common", "relman.cli._lazy", "relman.cli.main"}
    assert "Commands" in proc.stdout
