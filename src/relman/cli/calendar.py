"""`relman calendar …`: the release calendar, deployment windows and freezes (J-003 §12)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from relman.cli import _common
from relman.cli import _lifecycle_view as view
from relman.cli._lifecycle_view import ActorOpt, ReleaseArg

if TYPE_CHECKING:
    from relman.domain.calendar import CalendarItem, Conflict
    from relman.domain.windows import NextSlot, WindowDecision
    from relman.services.calendar import Calendar

app = typer.Typer(
    help="Release calendar (J-003 §12): planned releases, deployment windows, freezes, "
    "conflicts, the next legal slot and emergency overrides."
)

FromOpt = Annotated[
    str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default today).")
]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default +4 weeks).")]
EnvOpt = Annotated[
    list[str] | None, typer.Option("--env", "-e", help="Only this environment (repeatable).")
]
DurationOpt = Annotated[
    str | None,
    typer.Option("--duration", help="Expected deployment length, e.g. 90m (default: policy)."),
]
DEFAULT_DAYS = 27


def _calendar(ctx: typer.Context) -> Calendar:
    return _common.services(ctx).calendar


def _day(text: str, option: str) -> date:
    from relman.errors import InvalidInputError

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            f"invalid date '{text}': expected YYYY-MM-DD", where=option
        ) from None


def _duration(text: str | None, option: str = "--duration") -> timedelta | None:
    if text is None:
        return None
    from relman.errors import InvalidInputError
    from relman.policy_settings.values import parse_duration

    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise InvalidInputError(str(exc), where=option) from None
    if value <= timedelta(0):
        raise InvalidInputError(f"{option} must be longer than 0", where=option)
    return value


def _range(cal: Calendar, start: str | None, end: str | None) -> tuple[date, date]:
    first = _day(start, "--from") if start else cal.clock.now().astimezone(cal.windows.zone).date()
    last = _day(end, "--to") if end else first + timedelta(days=DEFAULT_DAYS)
    if last < first:
        from relman.errors import InvalidInputError

        raise InvalidInputError(f"--to {last} is before --from {first}", where="--to")
    return first, last


# --- show -----------------------------------------------------------------------------------


def item_json(item: CalendarItem) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "environment": item.environment,
        "starts_at": item.starts_at.isoformat(),
        "ends_at": item.ends_at.isoformat(),
        "title": item.title,
        "ref": item.ref,
        **dict(item.details),
    }


@app.command("show")
def show(
    ctx: typer.Context,
    *,
    start: FromOpt = None,
    end: ToOpt = None,
    env: EnvOpt = None,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Planned releases, deployment windows and freezes, in time order."""
    from relman.services.calendar import show_calendar

    cal = _calendar(ctx)
    first, last = _range(cal, start, end)
    items = show_calendar(cal, start=first, end=last, environments=env or ())
    if as_json:
        _common.print_json(
            {
                "from": first.isoformat(),
                "to": last.isoformat(),
                "timezone": cal.windows.timezone,
                "items": [item_json(i) for i in items],
            }
        )
        return
    console = view.out()
    console.print(f"calendar {first} .. {last} ({cal.windows.timezone})")
    if not items:
        console.print("  nothing planned, no windows")
        return
    grid = view.table("when", "what", "env", "details")
    for i in items:
        grid.add_row(_when(i), _what(i), i.environment or "all", view.esc(_details(i)))
    console.print(grid)


def _when(item: CalendarItem) -> str:
    a, b = item.starts_at, item.ends_at
    if item.kind == "freeze" or (item.kind == "release" and not item.details.get("window")):
        last = (b - timedelta(seconds=1)).date()
        return f"{a:%a %Y-%m-%d}" + (f" .. {last:%a %Y-%m-%d}" if last != a.date() else "")
    return f"{a:%a %Y-%m-%d %H:%M}-{b:%H:%M}"


def _what(item: CalendarItem) -> str:
    if item.kind == "release":
        d = item.details
        flag = " [yellow](!)[/]" if d.get("problem") else ""
        name = f"{view.esc(item.ref)} {view.esc(d.get('version'))}"
        return f"[bold]{name}[/] {view.esc(item.title)}{flag}"
    if item.kind == "freeze":
        return f"[red]freeze[/] {view.esc(item.title)}"
    return f"[dim]window {view.esc(item.title)}[/]"


def _details(item: CalendarItem) -> str:
    d = item.details
    if item.kind == "release":
        parts = [str(d.get("release_type"))]
        parts += [f"release {d['release_id']}"] if d.get("release_id") else []
        parts += [str(d["phase"])] if d.get("phase") else []
        parts += [str(d["problem"])] if d.get("problem") else []
        return "; ".join(parts)
    if item.kind == "freeze":
        return "" if d.get("allow_emergency") else "no emergency deployments"
    return ""


# --- import / export ------------------------------------------------------------------------


@app.command("import")
def import_(
    ctx: typer.Context,
    *,
    file: Annotated[Path, typer.Argument(help="A calendar file (TOML, see docs/calendar.md).")],
    actor: ActorOpt,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Load a release schedule; importing the same file again replaces it."""
    from relman.services.calendar import import_calendar, load_calendar

    cal = _calendar(ctx)
    done = import_calendar(cal, load_calendar(file, cal), actor=actor)
    if as_json:
        _common.print_json(
            {
                "source": done.source,
                "entries": done.entries,
                "phases": done.phases,
                "freezes": done.freezes,
                "conflicts": [conflict_json(c) for c in done.conflicts],
            }
        )
        return
    view.out().print(
        f"imported {done.entries} releases, {done.phases} phases and {done.freezes} freezes "
        f"from {view.esc(done.source)}"
    )
    if done.conflicts:
        _common.console(stderr=True).print(
            f"[yellow]warning:[/] {len(done.conflicts)} conflicts in the calendar: "
            "see `relman calendar check`"
        )


@app.command("export")
def export(
    ctx: typer.Context,
    *,
    ics: Annotated[
        bool, typer.Option("--ics", help="RFC 5545 iCalendar (the only format).")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day (default: all).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (default: all).")] = None,
    env: EnvOpt = None,
    windows: Annotated[
        bool, typer.Option("--windows", help="Also every window opening in the range.")
    ] = False,
) -> None:
    """Write the calendar as iCalendar: planned releases, freezes (and windows)."""
    from relman.errors import InvalidInputError
    from relman.services.calendar import show_calendar

    if not ics:
        raise InvalidInputError("choose a format: --ics", where="--ics")
    svc = _common.services(ctx)
    cal = svc.calendar
    if windows and not (start and end):
        raise InvalidInputError("--windows needs --from and --to", where="--windows")
    first = _day(start, "--from") if start else date(1970, 1, 1)
    last = _day(end, "--to") if end else date(9998, 12, 31)
    items = show_calendar(
        cal, start=first, end=last, environments=env or (), include_windows=windows
    )
    text = svc.ics_writer.render(items, name=svc.settings.project.name, stamp=cal.clock.now())
    if output is None:
        typer.echo(text, nl=False)
        return
    svc.files.write_texts({output: text})
    _common.console(stderr=True).print(f"wrote {len(items)} events to {view.esc(output)}")


# --- check ----------------------------------------------------------------------------------


def conflict_json(c: Conflict) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "environment": c.environment,
        "date": c.day.isoformat(),
        "refs": list(c.refs),
        "message": c.message,
    }


@app.command("check")
def check(ctx: typer.Context, as_json: Annotated[bool, view.JSON_OPT] = False) -> None:
    """Conflicts: double bookings, releases outside windows or in freezes, short lead times
    (exit 1 when there is any)."""
    from relman.errors import CheckFailedError
    from relman.services.calendar import check_calendar

    found = check_calendar(_calendar(ctx))
    if as_json:
        _common.print_json({"conflicts": [conflict_json(c) for c in found]})
    elif not found:
        view.out().print("no conflicts")
    else:
        grid = view.table("date", "env", "conflict", "releases", "why")
        for c in found:
            grid.add_row(
                c.day.isoformat(), c.environment, c.kind, ", ".join(c.refs), view.esc(c.message)
            )
        view.out().print(grid)
    if found:
        raise CheckFailedError(
            f"{len(found)} calendar conflict{'s' if len(found) != 1 else ''}",
            where="relman calendar check",
            violations=[c.message for c in found],
        )


# --- next slot, window check, override -------------------------------------------------------


@app.command("next-slot")
def next_slot(
    ctx: typer.Context,
    *,
    release_id: ReleaseArg,
    env: Annotated[str, typer.Option("--env", "-e", help="The environment to deploy to.")],
    duration: DurationOpt = None,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """The earliest legal deployment slot: windows, freezes, lead time, testing, gates."""
    from relman.services.calendar import compute_release_slot

    found = compute_release_slot(
        _calendar(ctx), release_id=release_id, environment=env, duration=_duration(duration)
    )
    if as_json:
        _common.print_json(slot_json(found))
        return
    console = view.out()
    if found.slot is None:
        console.print(
            f"{found.release_id}: no {env} window fits after {found.earliest:%Y-%m-%d %H:%M}"
        )
    else:
        console.print(f"{found.release_id} -> {env}: [bold]{view.esc(found.slot.describe())}[/]")
    for c in found.constraints:
        mark = "*" if c.name == found.binding else " "
        console.print(
            f"  {mark} {c.name}: not before {c.earliest:%Y-%m-%d %H:%M} ({view.esc(c.detail)})"
        )
    if found.tentative:
        console.print(
            f"  [yellow]tentative[/]: gates {', '.join(found.pending_gates)} must pass first"
        )
    if found.late:
        console.print("  [red]late[/]: after the release's target date")


def slot_json(found: NextSlot) -> dict[str, Any]:
    slot = found.slot
    return {
        "release_id": found.release_id,
        "environment": found.environment,
        "starts_at": slot.starts_at.isoformat() if slot else None,
        "ends_at": slot.ends_at.isoformat() if slot else None,
        "window": slot.opening.describe() if slot else None,
        "earliest": found.earliest.isoformat(),
        "binding": found.binding,
        "constraints": [
            {"name": c.name, "earliest": c.earliest.isoformat(), "detail": c.detail}
            for c in found.constraints
        ],
        "pending_gates": list(found.pending_gates),
        "tentative": found.tentative,
        "late": found.late,
    }


@app.command("window")
def window(
    ctx: typer.Context,
    *,
    release_id: ReleaseArg,
    env: Annotated[str, typer.Option("--env", "-e", help="The environment to deploy to.")],
    at: Annotated[
        str | None, typer.Option("--at", help="When (ISO date-time; default now).")
    ] = None,
    duration: DurationOpt = None,
    rollback: Annotated[bool, typer.Option("--rollback", help="It is a rollback.")] = False,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """May the release deploy now? Exit 7 naming the next open window when not."""
    from relman.services.calendar import check_deployment_window

    cal = _calendar(ctx)
    decision = check_deployment_window(
        cal,
        release_id=release_id,
        environment=env,
        at=_when_at(at, cal),
        duration=_duration(duration),
        rollback=rollback,
    )
    if as_json:
        _common.print_json(decision_json(decision))
    elif decision.allowed:
        view.out().print(f"[green]allowed[/] ({decision.code}): {view.esc(decision.message)}")
    decision.require()


def _when_at(text: str | None, cal: Calendar) -> datetime | None:
    if text is None:
        return None
    from relman.errors import InvalidInputError

    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            f"invalid time '{text}': expected YYYY-MM-DDTHH:MM[+HH:MM]", where="--at"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=cal.windows.zone)


def decision_json(d: WindowDecision) -> dict[str, Any]:
    return {
        "allowed": d.allowed,
        "code": d.code,
        "message": d.message,
        "environment": d.environment,
        "starts_at": d.starts_at.isoformat(),
        "ends_at": d.ends_at.isoformat(),
        "next_window": d.next_slot.starts_at.isoformat() if d.next_slot else None,
        "override": d.override.id if d.override else None,
        "missing_approvals": list(d.missing_approvals),
        "post_hoc_due": d.post_hoc_due.isoformat() if d.post_hoc_due else None,
    }


@app.command("override")
def override(
    ctx: typer.Context,
    *,
    release_id: ReleaseArg,
    env: Annotated[str, typer.Option("--env", "-e", help="The environment to deploy to.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it cannot wait for a window.")],
    actor: ActorOpt,
    expires: Annotated[
        str, typer.Option("--expires", help="How long it lasts, e.g. 4h (at most 24h).")
    ] = "4h",
    incident: Annotated[
        str | None, typer.Option("--incident", help="The incident it fixes (INC-n).")
    ] = None,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Allow a hotfix or an incident fix outside the windows (J-003 §12.4 emergency)."""
    from relman.services.calendar import request_override

    granted = request_override(
        _calendar(ctx),
        release_id=release_id,
        environment=env,
        reason=reason,
        expires_in=_duration(expires, "--expires") or timedelta(hours=4),
        actor=actor,
        incident_id=incident,
    )
    if as_json:
        _common.print_json(view.to_json(granted))
        return
    view.out().print(
        f"emergency override #{granted.id} for {granted.release_id} in {granted.environment} "
        f"until {granted.expires_at:%Y-%m-%d %H:%M}: {view.esc(granted.reason)}"
    )
