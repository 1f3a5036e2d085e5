"""`relman incident …`: incidents and the emergency hotfix path (J-003 §13)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from relman.cli import _common
from relman.cli import _lifecycle_view as view
from relman.cli._lifecycle_view import ActorOpt

if TYPE_CHECKING:
    from relman.domain.incidents import Incident
    from relman.services.incidents import HotfixOutcome, Incidents

app = typer.Typer(
    help="Incidents (J-003 §13): severity P1-P4; P1/P2 open the hotfix path (emergency CAB, "
    "hotfix release and branch, deployment any time with approval or post hoc)."
)

IncidentArg = Annotated[
    str, typer.Argument(help="The incident id, e.g. INC-1.", show_default=False)
]
VersionOpt = Annotated[
    str, typer.Option("--version", help="The hotfix version, or 'auto' (x.y.z-hotfix.N).")
]
BranchOpt = Annotated[
    bool,
    typer.Option("--start-branch", help="Also start the hotfix/... branch (relman flow)."),
]


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def _incidents(ctx: typer.Context) -> Incidents:
    return _common.services(ctx).incidents


def incident_json(incident: Incident) -> dict[str, Any]:
    data: dict[str, Any] = view.to_json(incident)
    return data


def _local(ctx: typer.Context, at: datetime) -> str:
    """``2026-03-31 10:00 +06``: a stored (UTC) time in the policy's time zone."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(_common.services(ctx).settings.windows.timezone)
    local = at.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local:%z}"[:-2]


def _warn(lines: tuple[str, ...] | list[str]) -> None:
    err = _common.console(stderr=True)
    for line in lines:
        err.print(f"[yellow]warning:[/] {view.esc(line)}")


def _print_hotfix(outcome: HotfixOutcome) -> None:
    console = view.out()
    for message in outcome.messages:
        console.print(f"  {view.esc(message)}")
    if outcome.release is not None:
        console.print(
            f"  hotfix {outcome.release.id} {view.esc(outcome.release.version)}: smoke tests "
            "only; deploy any time with `relman calendar override` (DevOps Lead + PM approval, "
            "or post hoc within 48 hours)"
        )
    _warn(outcome.warnings)


@app.command("open")
def open_(
    ctx: typer.Context,
    *,
    severity: Annotated[str, typer.Option("--severity", help="P1, P2, P3 or P4 (J-003 §13.1).")],
    title: Annotated[str, typer.Option("--title", help="What is broken.")],
    actor: ActorOpt,
    description: Annotated[str, typer.Option("--description", help="Impact, details.")] = "",
    release: Annotated[
        str | None, typer.Option("--release", help="The release it is a defect of.")
    ] = None,
    hotfix: Annotated[
        bool, typer.Option("--hotfix/--no-hotfix", help="Create the hotfix release (P1/P2).")
    ] = True,
    version: VersionOpt = "auto",
    start_branch: BranchOpt = False,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Open an incident; P1/P2 notify the emergency CAB and create the hotfix release."""
    from relman.services.incidents import open_incident

    opened = open_incident(
        _incidents(ctx),
        severity=severity,
        title=title,
        actor=actor,
        description=description,
        release_id=release,
        hotfix=hotfix,
        version=version,
        start_branch=start_branch,
    )
    incident, hot = opened.incident, opened.hotfix
    if as_json:
        _common.print_json(
            {
                "incident": incident_json(incident),
                "notified": opened.notified,
                "hotfix_release": view.release_json(hot.release) if hot and hot.release else None,
                "branch": hot.branch if hot else None,
                "messages": list(hot.messages) if hot else [],
                "warnings": [*opened.warnings, *(hot.warnings if hot else ())],
            }
        )
        return
    console = view.out()
    console.print(f"opened [bold]{incident.id}[/] {incident.severity}: {view.esc(incident.title)}")
    if opened.notified:
        console.print(f"  emergency CAB notified: {opened.notified} notifications queued")
    if hot is not None:
        _print_hotfix(hot)
    _warn(opened.warnings)


@app.command("hotfix")
def hotfix(
    ctx: typer.Context,
    incident_id: IncidentArg,
    *,
    actor: ActorOpt,
    version: VersionOpt = "auto",
    start_branch: BranchOpt = False,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Create the incident's hotfix release if missing; --start-branch runs flow hotfix start."""
    from relman.services.incidents import create_hotfix

    outcome = create_hotfix(
        _incidents(ctx),
        incident_id=incident_id,
        actor=actor,
        version=version,
        start_branch=start_branch,
    )
    if as_json:
        _common.print_json(
            {
                "incident": incident_json(outcome.incident),
                "hotfix_release": view.release_json(outcome.release) if outcome.release else None,
                "branch": outcome.branch,
                "messages": list(outcome.messages),
                "warnings": list(outcome.warnings),
            }
        )
        return
    view.out().print(f"{outcome.incident.id} hotfix path:")
    _print_hotfix(outcome)


@app.command("update")
def update(
    ctx: typer.Context,
    incident_id: IncidentArg,
    *,
    actor: ActorOpt,
    message: Annotated[str, typer.Option("--message", "-m", help="The update.")] = "",
    severity: Annotated[str | None, typer.Option("--severity", help="A new severity.")] = None,
    root_cause: Annotated[
        str | None, typer.Option("--root-cause", help="The root cause, once identified.")
    ] = None,
) -> None:
    """Post an update (the promised "next update in 30 minutes"), change severity, root cause."""
    from relman.services.incident_updates import update_incident

    updated = update_incident(
        _incidents(ctx),
        incident_id=incident_id,
        actor=actor,
        message=message,
        severity=severity,
        root_cause=root_cause,
    )
    for story in updated.stories:
        view.out().print(f"{updated.incident.id} {story.kind}: {view.esc(story.text)}")
    _warn(updated.warnings)


@app.command("close")
def close(
    ctx: typer.Context,
    incident_id: IncidentArg,
    *,
    actor: ActorOpt,
    resolution: Annotated[str, typer.Option("--resolution", help="What fixed it.")],
) -> None:
    """Close the incident; its resolution is announced and the update reminders stop."""
    from relman.services.incident_updates import close_incident

    incident = close_incident(
        _incidents(ctx), incident_id=incident_id, actor=actor, resolution=resolution
    )
    view.out().print(f"closed {incident.id}: {view.esc(incident.resolution)}")


@app.command("show")
def show(
    ctx: typer.Context,
    incident_id: IncidentArg,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """An incident with its story, the release it affects and its hotfix release."""
    from relman.services.incident_updates import get_incident_details

    details = get_incident_details(_incidents(ctx), incident_id=incident_id)
    i = details.incident
    if as_json:
        _common.print_json(
            {
                "incident": incident_json(i),
                "updates": view.to_json(details.updates),
                "affected_release": view.release_json(details.affected)
                if details.affected
                else None,
                "hotfix_release": view.release_json(details.hotfix) if details.hotfix else None,
            }
        )
        return
    console = view.out()
    console.print(f"[bold]{i.id}[/] {i.severity} {view.esc(f'[{i.status}]')} {view.esc(i.title)}")
    console.print(f"  opened by {view.esc(i.opened_by)} at {_local(ctx, i.opened_at)}")
    if details.affected:
        console.print(f"  affects: {view.esc(view.describe_release(details.affected))}")
    if details.hotfix:
        console.print(f"  hotfix: {view.esc(view.describe_release(details.hotfix))}")
    if i.hotfix_branch:
        console.print(f"  branch: {view.esc(i.hotfix_branch)}")
    if i.root_cause:
        console.print(f"  root cause: {view.esc(i.root_cause)}")
    if i.closed_at:
        console.print(f"  closed at {_local(ctx, i.closed_at)}: {view.esc(i.resolution)}")
    grid = view.table("at", "who", "what", "")
    for u in details.updates:
        grid.add_row(_local(ctx, u.at), view.esc(u.actor), u.kind, view.esc(u.text))
    console.print(grid)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[Status | None, typer.Option("--status", help="open or closed.")] = None,
    release: Annotated[
        str | None, typer.Option("--release", help="Only those of this release.")
    ] = None,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Incidents, oldest first."""
    from relman.services.incident_updates import list_incidents

    found = list_incidents(
        _incidents(ctx), status=status.value if status else None, release_id=release
    )
    if as_json:
        _common.print_json([incident_json(i) for i in found])
        return
    if not found:
        view.out().print("no incidents")
        return
    grid = view.table("id", "severity", "status", "opened", "release", "hotfix", "title")
    for i in found:
        grid.add_row(
            i.id,
            i.severity,
            i.status,
            _local(ctx, i.opened_at),
            i.release_id or "",
            i.hotfix_release_id or "",
            view.esc(i.title),
        )
    view.out().print(grid)
