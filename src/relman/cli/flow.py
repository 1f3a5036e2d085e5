"""`relman flow …`: the Git Flow workflows of J-003 §5.3, one command each, all or nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from relman.cli import _common
from relman.cli import _flow_records as rec

if TYPE_CHECKING:
    from relman.bootstrap import Services
    from relman.services.flow import FlowOutcome
    from relman.services.flow_files import NotesTools

app = typer.Typer(
    help=(
        "Git Flow (J-003 §5): feature, bugfix, release and hotfix branches with version bumps, "
        "tags and release notes. A failed step restores every branch and the working tree."
    ),
    no_args_is_help=True,
)
feature_app = typer.Typer(help="feature/\\[module]-\\[description] branches from develop.")
bugfix_app = typer.Typer(help="bugfix/\\[ticket]-\\[description] branches from develop.")
release_app = typer.Typer(help="release/\\[version] branches: bump, notes, tag, merge back.")
hotfix_app = typer.Typer(help="hotfix/\\[description] branches from the latest production tag.")
app.add_typer(feature_app, name="feature", no_args_is_help=True)
app.add_typer(bugfix_app, name="bugfix", no_args_is_help=True)
app.add_typer(release_app, name="release", no_args_is_help=True)
app.add_typer(hotfix_app, name="hotfix", no_args_is_help=True)

_DRY_RUN = typer.Option("--dry-run", "-n", help="Print the git operations; change nothing.")
_PUSH = typer.Option(
    "--push/--no-push", help="Push the branches and tags (atomically). Default: flow.push."
)
_JSON = typer.Option("--json", help="Print the plan and its outcome as JSON.")


def _render(outcome: FlowOutcome, *, as_json: bool) -> None:
    if as_json:
        _common.print_json(outcome.to_dict())
        return
    from rich.markup import escape

    out = _common.console()
    plan = outcome.plan
    what = f"{plan.action} {plan.branch}"
    extra = ", ".join(
        part
        for part in (
            f"version {plan.version}" if plan.version else "",
            f"tag {plan.tag}" if plan.tag else "",
        )
        if part
    )
    extra = f" ({extra})" if extra else ""
    if not plan.steps:
        out.print(f"[bold]{escape(what)}[/]: nothing to do")
    elif outcome.executed:
        out.print(f"[bold green]done:[/] {escape(what + extra)}")
    else:
        out.print(f"[bold]dry run:[/] {escape(what + extra)} would run:")
    for line in plan.render():
        out.print(escape(line))
    for note in plan.notes:
        out.print(f"[yellow]note:[/] {escape(note)}")
    err = _common.console(stderr=True)
    for warning in outcome.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    for resolution in outcome.resolutions:
        out.print(f"[cyan]resolved:[/] {escape(resolution)}")
    if outcome.record is not None:
        rec.render_record(outcome.record, executed=outcome.executed)
    if plan.steps and not outcome.executed:
        out.print("[dim]nothing was changed (dry run)[/]")


def _push(svc: Services, push: bool | None) -> bool:
    return svc.flow_policy.push if push is None else push


def _tools(svc: Services) -> NotesTools:
    from relman.services.flow_files import NotesTools

    return NotesTools(
        versioning=svc.versioning_policy, notes=svc.notes_policy, renderer=svc.notes_renderer
    )


# ---------------------------------------------------------------- init and check


@app.command("init")
def init(
    ctx: typer.Context,
    record: Annotated[
        bool,
        typer.Option(
            "--record/--no-record",
            help="Commit a \\[flow] table with the branch names to the policy file (on develop).",
        ),
    ] = True,
    dry_run: Annotated[bool, _DRY_RUN] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Create main and develop when missing and record the Git Flow settings."""
    from relman.services.flow import init_flow, render_flow_table

    svc = _common.services(ctx)
    outcome = init_flow(
        flow=svc.git_flow,
        policy=svc.flow_policy,
        config_path=_common.state(ctx).config,
        flow_table=render_flow_table(svc.core.flow),
        record=record,
        dry_run=dry_run,
    )
    _render(outcome, as_json=as_json)


@app.command("check")
def check(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--source", help="The branch being merged (PR head).")],
    target: Annotated[str, typer.Option("--target", help="The branch merged into (PR base).")],
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Check a merge against J-003 §5.1-5.2 (exit 1 naming the rule broken)."""
    from relman.services.flow import check_branches

    svc = _common.services(ctx)
    check_branches(policy=svc.flow_policy, source=source, target=target)
    if as_json:
        _common.print_json({"source": source, "target": target, "ok": True, "violations": []})
        return
    typer.echo(f"ok: {source} -> {target} follows J-003 §5.1-5.2")


# ---------------------------------------------------------------- feature and bugfix


def _start_branch(
    ctx: typer.Context,
    kind_name: str,
    name: str,
    *,
    push: bool | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    from relman.domain.branches import BranchKind
    from relman.services.flow import start_branch

    svc = _common.services(ctx)
    outcome = start_branch(
        flow=svc.git_flow,
        policy=svc.flow_policy,
        kind=BranchKind(kind_name),
        name=name,
        push=_push(svc, push),
        dry_run=dry_run,
    )
    _render(outcome, as_json=as_json)


def _finish_branch(
    ctx: typer.Context,
    kind_name: str,
    name: str | None,
    *,
    push: bool | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    from relman.domain.branches import BranchKind
    from relman.services.flow import finish_branch

    svc = _common.services(ctx)
    outcome = finish_branch(
        flow=svc.git_flow,
        policy=svc.flow_policy,
        kind=BranchKind(kind_name),
        name=name,
        push=_push(svc, push),
        dry_run=dry_run,
    )
    _render(outcome, as_json=as_json)


@feature_app.command("start")
def feature_start(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="\\[module]-\\[description], e.g. farm-milk-quality.")
    ],
    push: Annotated[bool | None, _PUSH] = None,
    dry_run: Annotated[bool, _DRY_RUN] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Branch feature/NAME from develop."""
    _start_branch(ctx, "feature", name, push=push, dry_run=dry_run, as_json=as_json)


@feature_app.command("finish")
def feature_finish(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Default: the current feature branch.")] = None,
    push: Annotated[bool | None, _PUSH] = None,
    dry_run: Annotated[bool, _DRY_RUN] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Merge the feature branch into develop (--no-ff) and delete it."""
    _finish_branch(ctx, "feature", name, push=push, dry_run=dry_run, as_json=as_json)


@bugfix_app.command("start")
def bugfix_start(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="\\[ticket]-\\[description], e.g. SD-123-fix-credit.")
    ],
    push: Annotated[bool | None, _PUSH] = None,
    dry_run: Annotated[bool, _DRY_RUN] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Branch bugfix/NAME from develop."""
    _start_branch(ctx, "bugfix", name, push=push, dry_run=dry_run, as_json=as_json)


@bugfix_app.command("finish")
def bugfix_finish(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Default: the current bugfix branch.")] = None,
    push: Annotated[bool | None, _PUSH] = None,
    dry_run: Annotated[bool, _DRY_RUN] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Merge the bugfix branch into develop (--no-ff) and delete it."""
    _finish_branch(ctx, "bugfix", name, push=push, dry_run=dry_run, as_json=as_json)


# ---------------------------------------------------------------- release


@release_app.command("start")
def release_start(
    ctx: typer.Context,
    version: Annotated[
        str, typer.Argument(help="The version, or 'auto' to compute it from the commits.")
    ] = "auto",
    *,
    push: Annotated[bool | None, _PUSH] = None,
    dry_run: Annotated[bool, _DRY_RUN] = False,
    as_json: Annotated[bool, _JSON] = False,
    record: Annotated[bool, rec.RECORD] = True,
    release: Annotated[str | None, rec.RELEASE] = None,
    actor: Annotated[str | None, rec.ACTOR] = None,
    target_date: Annotated[str | None, rec.TARGET] = None,
) -> None:
    """Branch release/VERSION from develop and commit the version bump; link the record."""
    from relman.services.flow import start_release

    svc = _common.services(ctx)
    outcome = start_release(
        flow=svc.git_flow,
        git=svc.git,
        policy=svc.flow_policy,
        versioning=svc.versioning_policy,
        version=version,
        push=_push(svc, push),
        dry_run=dry_run,
        link=rec.make_link(svc, record, release, actor, target_date),
    )
    _render(outcome, as_json=as_json)


@release_app.command("finish")
def release_finish(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="release/VERSION or VERSION (default: the open one).")
    ] = None,
    *,
    push: Annotated[bool | None, _PUSH] = None,
    dry_run: Annotated[bool, _DRY_RUN] = False,
    as_json: Annotated[bool, _JSON] = False,
    record: Annotated[bool, rec.RECORD] = True,
    release: Annotated[str | None, rec.RELEASE] = None,
    actor: Annotated[str | None, rec.ACTOR] = None,
    target_date: Annotated[str | None, rec.TARGET] = None,
) -> None:
    """Commit the notes, merge into main, tag, merge main back into develop, delete."""
    from relman.services.flow import finish_release

    svc = _common.services(ctx)
    outcome = finish_release(
        flow=svc.git_flow,
        git=svc.git,
        policy=svc.flow_policy,
        tools=_tools(svc),
        name=name,
        push=_push(svc, push),
        dry_run=dry_run,
        link=rec.make_link(svc, record, release, actor, target_date),
    )
    _render(outcome, as_json=as_json)


# ---------------------------------------------------------------- hotfix


@hotfix_app.command("start")
def hotfix_start(
    ctx: typer.Context,
    description: Annotated[
        str | None,
        typer.Argument(help="Kebab-case description (default: the hotfix version)."),
    ] = None,
    *,
    push: Annotated[bool | None, _PUSH] = None,
    dry_run: Annotated[bool, _DRY_RUN] = False,
    as_json: Annotated[bool, _JSON] = False,
    record: Annotated[bool, rec.RECORD] = True,
    release: Annotated[str | None, rec.RELEASE] = None,
    actor: Annotated[str | None, rec.ACTOR] = None,
    target_date: Annotated[str | None, rec.TARGET] = None,
) -> None:
    """Branch hotfix/DESCRIPTION from main at the latest production tag (x.y.z-hotfix.N)."""
    from relman.services.flow import start_hotfix

    svc = _common.services(ctx)
    outcome = start_hotfix(
        flow=svc.git_flow,
        git=svc.git,
        policy=svc.flow_policy,
        description=description,
        push=_push(svc, push),
        dry_run=dry_run,
        link=rec.make_link(svc, record, release, actor, target_date),
    )
    _render(outcome, as_json=as_json)


@hotfix_app.command("finish")
def hotfix_finish(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Default: the open hotfix branch.")] = None,
    *,
    push: Annotated[bool | None, _PUSH] = None,
    dry_run: Annotated[bool, _DRY_RUN] = False,
    as_json: Annotated[bool, _JSON] = False,
    record: Annotated[bool, rec.RECORD] = True,
    release: Annotated[str | None, rec.RELEASE] = None,
    actor: Annotated[str | None, rec.ACTOR] = None,
    target_date: Annotated[str | None, rec.TARGET] = None,
) -> None:
    """Merge into main and tag; merge into develop and every open release branch."""
    from relman.services.flow import finish_hotfix

    svc = _common.services(ctx)
    outcome = finish_hotfix(
        flow=svc.git_flow,
        git=svc.git,
        policy=svc.flow_policy,
        tools=_tools(svc),
        name=name,
        push=_push(svc, push),
        dry_run=dry_run,
        link=rec.make_link(svc, record, release, actor, target_date),
    )
    _render(outcome, as_json=as_json)


# ---------------------------------------------------------------- the release record, by hand


@app.command("link")
def link(
    ctx: typer.Context,
    ref: Annotated[
        str,
        typer.Argument(
            help="A release or hotfix branch (the start) or a release tag (the finish).",
            show_default=False,
        ),
    ],
    *,
    actor: Annotated[str | None, rec.ACTOR] = None,
    release: Annotated[str | None, rec.RELEASE] = None,
    target_date: Annotated[str | None, rec.TARGET] = None,
    dry_run: Annotated[bool, _DRY_RUN] = False,
    as_json: Annotated[bool, _JSON] = False,
) -> None:
    """Link the release record to REF as release|hotfix start/finish would (or create it)."""
    from relman.services.flow_records import link_ref

    svc = _common.services(ctx)
    done = link_ref(
        records=svc.flow_records,
        git=svc.git,
        policy=svc.flow_policy,
        versioning=svc.versioning_policy,
        ref=ref,
        options=rec.make_link(svc, True, release, actor, target_date).options,
        dry_run=dry_run,
    )
    if as_json:
        _common.print_json({"ref": ref, "executed": not dry_run, "record": done.to_dict()})
        return
    rec.render_record(done, executed=not dry_run)
    if dry_run:
        _common.console().print("[dim]nothing was changed (dry run)[/]")
