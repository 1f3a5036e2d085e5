"""The `relman` command: the root Typer app and the one place errors become exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from relman.cli._common import CliState, print_error
from relman.cli._lazy import LazyCommand, LazyGroup
from relman.errors import EXIT_USAGE, RelmanError

# Every command of `relman`, in the order `relman --help` lists them (single commands first,
# then command groups). A command module is imported only when its command runs (or shows its
# own help), so `relman --help` and every command pay for one module, not all of them.
# Add a command here, not with app.add_typer(): tests/e2e/test_cli_registry.py checks that
# every module of relman.cli is listed and that the help here is the module's own.
COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        "changelog",
        "relman.cli.changelog",
        "changelog",
        "Write or update CHANGELOG.md: one section per release, newest first.",
    ),
    LazyCommand(
        "init",
        "relman.cli.init",
        "init",
        "Write the J-003 release policy (relman's built-in default) as a commented relman.toml.",
    ),
    LazyCommand(
        "demo",
        "relman.cli.demo",
        "demo",
        "Run a release through the whole J-003 plan, end to end, on this machine.",
    ),
    LazyCommand(
        "promote",
        "relman.cli.promote",
        "promote",
        "Promote a release's build to the next environment, then deploy it there.",
    ),
    LazyCommand(
        "rollback",
        "relman.cli.rollback",
        "rollback",
        "Switch traffic back to the kept previous version and roll the database back.",
    ),
    LazyCommand(
        "version",
        "relman.cli.version",
        "app",
        "Parse, compare and bump versions; compute the next version from git.",
    ),
    LazyCommand(
        "lint",
        "relman.cli.lint",
        "app",
        "Lint commit messages, commit ranges and branch names.",
    ),
    LazyCommand(
        "notes",
        "relman.cli.notes",
        "app",
        "Release notes (J-003 §10).",
    ),
    LazyCommand(
        "flow",
        "relman.cli.flow",
        "app",
        "Git Flow (J-003 §5): feature, bugfix, release and hotfix branches with version "
        "bumps, tags and release notes. A failed step restores every branch and the working "
        "tree.",
    ),
    LazyCommand(
        "db",
        "relman.cli.db",
        "app",
        "The state store: releases, sign-offs, evidence and the audit log. SQLite in "
        ".relman/relman.db, or the database named by RELMAN_DATABASE_URL.",
    ),
    LazyCommand(
        "audit",
        "relman.cli.audit",
        "app",
        "Verify and export the hash-chained audit log of every change.",
    ),
    LazyCommand(
        "release",
        "relman.cli.release",
        "app",
        "Release records: plan (J-003 §2), then PLAN -> BUILD -> TEST -> DEPLOY -> VERIFY -> "
        "CLOSED through gates G1-G7.",
    ),
    LazyCommand(
        "gate",
        "relman.cli.gate",
        "app",
        "Gates G1-G7 (J-003 §3.3): criteria met/unmet/waived, sign-offs by the right people.",
    ),
    LazyCommand(
        "evidence",
        "relman.cli.evidence",
        "app",
        "Evidence for gates G2/G3: JUnit XML, Cobertura XML (coverage xml), SARIF 2.1.0, CI "
        "status.",
    ),
    LazyCommand(
        "checklist",
        "relman.cli.checklist",
        "app",
        "Release checklists: show them, tick items (proven items tick themselves).",
    ),
    LazyCommand(
        "calendar",
        "relman.cli.calendar",
        "app",
        "Release calendar (J-003 §12): planned releases, deployment windows, freezes, "
        "conflicts, the next legal slot and emergency overrides.",
    ),
    LazyCommand(
        "incident",
        "relman.cli.incident",
        "app",
        "Incidents (J-003 §13): severity P1-P4; P1/P2 open the hotfix path (emergency CAB, "
        "hotfix release and branch, deployment any time with approval or post hoc).",
    ),
    LazyCommand(
        "retro",
        "relman.cli.retro",
        "app",
        "Release retrospectives (J-003 §14.4); a hotfix owes one within 48 hours (§2.3).",
    ),
    LazyCommand(
        "policy",
        "relman.cli.policy",
        "app",
        "Validate, show and lint the release policy (relman.toml).",
    ),
    LazyCommand(
        "notify",
        "relman.cli.notify",
        "app",
        "Stakeholder notifications (J-003 §11): queued with their event in the store, "
        "delivered with retries over email, Slack, signed webhooks and the status-page feed.",
    ),
    LazyCommand(
        "report",
        "relman.cli.report",
        "app",
        "Reports on the J-003 §1.2 objectives (notification compliance ...).",
    ),
    LazyCommand(
        "env",
        "relman.cli.env",
        "app",
        "Environments (J-003 §6): dev, qa, staging, prod.",
    ),
    LazyCommand(
        "deploy",
        "relman.cli.deploy",
        "app",
        "Deployments (J-003 §8): `relman deploy RELEASE --env ENV [--strategy S] [--dry-run]` "
        "runs one; resume, list and show them.",
    ),
)


class RelmanGroup(LazyGroup):
    lazy_commands = COMMANDS


app = typer.Typer(
    name="relman",
    cls=RelmanGroup,
    help=(
        "Release management that runs the whole written plan (J-003) from one policy file:\n\n"
        "versions, Conventional Commits, release notes, gates, promotion, deployments, rollback."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from relman import __version__

        typer.echo(f"relman {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    repo: Annotated[
        Path,
        typer.Option(
            "--repo",
            "-C",
            envvar="RELMAN_REPO",
            help="Repository to work on (default: the current directory).",
            file_okay=False,
        ),
    ] = Path(),
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="RELMAN_CONFIG",
            help="Policy file (default: relman.toml, then \\[tool.relman] in pyproject.toml).",
            dir_okay=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", envvar="RELMAN_DEBUG", help="Show tracebacks.")
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print relman's own version and exit.",
        ),
    ] = False,
) -> None:
    ctx.obj = CliState(repo=repo, config=config, debug=debug)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code (errors are rendered here and only here)."""
    args = sys.argv[1:] if argv is None else argv
    want_json = "--json" in args
    try:
        result = app(args=args, prog_name="relman", standalone_mode=False)
    except RelmanError as exc:
        if "--debug" in args:
            raise
        print_error(exc, as_json=want_json)
        return exc.exit_code
    except typer.Abort:
        print("Aborted.", file=sys.stderr)
        return 130
    except typer.TyperException as exc:  # typer vendors click: usage errors land here
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"error: {exc}", file=sys.stderr)
        code = getattr(exc, "exit_code", None)
        return code if isinstance(code, int) and code else EXIT_USAGE
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in relman: never let it pass for a check failure (exit 1)
        if "--debug" in args:
            raise
        internal = RelmanError(
            f"internal error: {type(exc).__name__}: {exc}",
            hint="rerun with --debug for the traceback and report it",
        )
        print_error(internal, as_json=want_json)
        return internal.exit_code
    return result if isinstance(result, int) else 0


def run() -> None:
    """The ``relman`` console script: one command, then the process ends."""
    import gc

    # A short-lived process: the objects of the imports live until exit (freeze them out of
    # every collection), and reading 100k commits builds millions of objects that are all
    # alive (collect the young generation 14x less often): ~15% less CPU for long histories.
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
    sys.exit(main())
