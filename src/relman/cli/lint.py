"""`relman lint …`: Conventional Commits and branch names (J-003 §5.2, §5.4)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from relman.cli._common import print_json, services

if TYPE_CHECKING:
    from relman.domain.linting import Violation

app = typer.Typer(help="Lint commit messages, commit ranges and branch names.")

HINT = "expected 'type(scope): description', e.g. 'feat(farm): add breeding records'"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _print_violations(violations: Sequence[Violation]) -> None:
    for violation in violations:
        sys.stdout.write(f"{violation}\n")


def _fail(message: str, violations: Sequence[Violation], **kw: str) -> None:
    from relman.errors import CheckFailedError

    raise CheckFailedError(message, violations=[str(v) for v in violations], **kw)


def _read_message(file: str) -> tuple[str, str]:
    from relman.errors import InvalidInputError

    if file == "-":
        return sys.stdin.read(), "commit message"
    path = Path(file)
    try:
        return path.read_text(encoding="utf-8", errors="replace"), file
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidInputError(
            f"cannot read commit message file: {reason}", where=str(path)
        ) from exc


@app.command("commit")
def lint_commit(
    ctx: typer.Context,
    file: Annotated[
        str | None,
        typer.Argument(
            metavar="FILE",
            help="Message file, e.g. .git/COMMIT_EDITMSG as passed to a commit-msg hook "
            "('-' reads stdin). Comment lines and the scissors part are ignored.",
            show_default=False,
        ),
    ] = None,
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", help="Lint this text instead of a file."),
    ] = None,
    allow_fixup: Annotated[
        bool, typer.Option("--allow-fixup", help="Accept fixup!/squash!/amend! messages.")
    ] = False,
    comment_char: Annotated[
        str, typer.Option("--comment-char", help="git's core.commentChar.")
    ] = "#",
) -> None:
    """Lint one commit message (works as a git commit-msg hook)."""
    from relman.services.linting import lint_message

    if (file is None) == (message is None):
        raise typer.BadParameter("give a message FILE or --message TEXT (exactly one)")
    if message is not None:
        text, where, comments = message, "commit message", None
    else:
        text, where = _read_message(file or "-")
        comments = comment_char
    policy = services(ctx).commit_policy
    found = lint_message(
        message=text, policy=policy, where=where, allow_fixup=allow_fixup, comment_char=comments
    )
    if found:
        _print_violations(found)
        place = {"where": where} if message is None else {}
        _fail(
            f"{_plural(len(found), 'violation')} in the commit message", found, hint=HINT, **place
        )


@app.command("range")
def lint_range(
    ctx: typer.Context,
    rev_range: Annotated[
        str, typer.Argument(metavar="REV..REV", help="Commits to lint, e.g. origin/main..HEAD.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    allow_fixup: Annotated[
        bool, typer.Option("--allow-fixup", help="Accept fixup!/squash!/amend! commits.")
    ] = False,
) -> None:
    """Lint every commit of a range (for CI); merge commits follow commits.merge_commits."""
    from relman.services.linting import lint_range as run

    svc = services(ctx, history=True)
    report = run(
        git=svc.git, policy=svc.commit_policy, rev_range=rev_range, allow_fixup=allow_fixup
    )
    if as_json:
        print_json(report.to_dict())
    else:
        _print_violations(report.violations)
        sys.stdout.write(report.summary + "\n")
    if not report.ok:
        _fail(report.summary, report.violations, where=rev_range)


@app.command("branch")
def lint_branch(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(help="Branch name (default: the checked-out branch).", show_default=False),
    ] = None,
) -> None:
    """Check a branch name against the J-003 §5.2 naming rules."""
    from relman.domain.branches import classify_branch
    from relman.errors import InvalidInputError
    from relman.services.linting import lint_branch as run

    svc = services(ctx)
    if name is None:
        name = svc.git.current_branch()
        if name is None:
            raise InvalidInputError("HEAD is detached: pass the branch NAME", where="HEAD")
    found = run(
        name=name, policy=svc.branch_policy, ticket_patterns=svc.commit_policy.ticket_patterns
    )
    if found:
        _print_violations(found)
        _fail(f"branch {name!r} breaks {_plural(len(found), 'naming rule')}", found)
    sys.stdout.write(f"{name}: {classify_branch(name, svc.branch_policy)} branch\n")


@app.command("rules")
def list_rules() -> None:
    """List the rule ids and what each one checks."""
    from relman.domain.linting import RULES

    width = max(map(len, RULES))
    for rule, text in RULES.items():
        sys.stdout.write(f"{rule:<{width}}  {text}\n")
