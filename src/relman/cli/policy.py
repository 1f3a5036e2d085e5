"""`relman policy check|show|lint`: validate, print and lint the release policy (J-003 as code)."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from relman.cli._common import console, print_json, state

if TYPE_CHECKING:
    from rich.console import Console

    from relman.domain.policy_lint import Finding
    from relman.settings import Settings

app = typer.Typer(help="Validate, show and lint the release policy (relman.toml).")

FileArg = Annotated[
    Path | None,
    typer.Argument(
        metavar="[FILE]",
        help="Policy file (relman.toml, or a pyproject.toml with \\[tool.relman]); "
        "default: --config, relman.toml, then \\[tool.relman] in pyproject.toml.",
        dir_okay=False,
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@dataclass(frozen=True)
class _Loaded:
    settings: Settings
    path: Path | None  # None: the built-in defaults

    @property
    def label(self) -> str:
        return str(self.path) if self.path else "built-in J-003 defaults"


def _load(ctx: typer.Context, file: Path | None) -> _Loaded:
    from relman.settings import find_config, load_settings

    st = state(ctx)
    explicit = file or st.config
    if explicit is not None:
        return _Loaded(load_settings(st.repo, config_file=explicit), explicit)
    settings = load_settings(st.repo)
    return _Loaded(settings, find_config(st.repo)[0])


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@app.command("check")
def check(ctx: typer.Context, file: FileArg = None) -> None:
    """Validate the policy: every error is printed as FILE:LINE key.path: message (exit 3)."""
    loaded = _load(ctx, file)
    _check_references(loaded)
    s = loaded.settings
    counts = [
        _plural(len(s.release_types), "release type"),
        _plural(len(s.gates), "gate"),
        _plural(len(s.checklists), "checklist"),
        _plural(len(s.environments), "environment"),
        _plural(len(s.components), "component"),
        _plural(len(s.communication.stakeholders), "stakeholder"),
        _plural(len(s.people), "person") if len(s.people) == 1 else f"{len(s.people)} people",
    ]
    sys.stdout.write(f"policy OK: {', '.join(counts)} ({loaded.label})\n")


def _check_references(loaded: _Loaded) -> None:
    """A name used but defined nowhere (an unknown role, gate, component...) is an error of the
    file, not a matter of taste: the same ``unknown-*`` rules as `policy lint`, reported as
    ``FILE:LINE key.path: message`` (ConfigError, exit 3)."""
    from relman.domain.policy_lint import check_references
    from relman.errors import ConfigError
    from relman.policy_resolve import build_policy_facts

    findings = list(check_references(build_policy_facts(loaded.settings)))
    if not findings:
        return
    lines = []
    for finding in findings:
        line = _locate(loaded.path, finding.where)
        place = f"{loaded.path}:{line}" if loaded.path and line else loaded.label
        lines.append(f"{place} {finding.where}: {finding.message}")
    message = (
        lines[0]
        if len(lines) == 1
        else f"{len(lines)} errors in the policy:\n" + "\n".join(f"  {line}" for line in lines)
    )
    raise ConfigError(message, details={"errors": lines})


@app.command("show")
def show(ctx: typer.Context, file: FileArg = None, as_json: JsonOpt = False) -> None:
    """Print the effective policy (file + environment overrides + defaults)."""
    loaded = _load(ctx, file)
    if as_json:
        print_json(loaded.settings.model_dump(mode="json"))
        return
    from relman.cli import _policy_view

    _policy_view.render(console(), loaded.settings, loaded.label)


@app.command("lint")
def lint(ctx: typer.Context, file: FileArg = None, as_json: JsonOpt = False) -> None:
    """Report contradictions in the policy, each explained (exit 1 when there is an error)."""
    from relman.domain.policy_lint import lint_policy
    from relman.errors import CheckFailedError
    from relman.policy_resolve import build_policy_facts

    loaded = _load(ctx, file)
    findings = lint_policy(build_policy_facts(loaded.settings))
    located = [(f, _locate(loaded.path, f.where)) for f in findings]
    counts = {
        level: sum(f.level == level for f in findings) for level in ("error", "warning", "info")
    }
    if as_json:
        print_json(
            {
                "source": loaded.label,
                "counts": counts,
                "findings": [{**asdict(f), "line": line} for f, line in located],
            }
        )
    else:
        _print_findings(console(), located, loaded)
    if counts["error"]:
        raise CheckFailedError(
            f"policy lint found {_plural(counts['error'], 'error')}",
            where=loaded.label,
            violations=[f"{f.where}: {f.message}" for f in findings if f.level == "error"],
        )


def _locate(path: Path | None, where: str) -> int | None:
    from relman.policy_settings.locate import locate_key, parse_key_path

    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    prefix: list[Any] = ["tool", "relman"] if path.name == "pyproject.toml" else []
    return locate_key(text, [*prefix, *parse_key_path(where)])


_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _print_findings(
    out: Console, located: list[tuple[Finding, int | None]], loaded: _Loaded
) -> None:
    from rich.markup import escape

    for finding, line in located:
        place = f"{loaded.path}:{line} " if loaded.path and line else ""
        out.print(
            f"[{_STYLE[finding.level]}]{finding.level:<7}[/] {escape(place + finding.where)}: "
            f"{escape(finding.message)}"
        )
        out.print(f"        [dim]why:[/] {escape(finding.explanation)}")
    levels = [
        _plural(sum(f.level == level for f, _ in located), level if level != "info" else "note")
        for level in ("error", "warning", "info")
    ]
    out.print(f"policy lint ({escape(loaded.label)}): {', '.join(levels)}")
