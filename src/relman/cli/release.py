"""`relman release …`: plan a release, show and list releases, advance, cancel, re-bind."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from relman.cli import _common
from relman.cli import _lifecycle_view as view
from relman.cli._lifecycle_view import ActorOpt, ReleaseArg

if TYPE_CHECKING:
    from relman.services.lifecycle import Lifecycle

app = typer.Typer(
    help="Release records: plan (J-003 §2), then PLAN -> BUILD -> TEST -> DEPLOY -> VERIFY -> "
    "CLOSED through gates G1-G7."
)


class ReleaseType(StrEnum):
    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"
    HOTFIX = "hotfix"


def _parse_date(text: str) -> date:
    from relman.errors import InvalidInputError

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            f"invalid date '{text}': expected YYYY-MM-DD", where="--target-date"
        ) from None


@app.command("plan")
def plan(
    ctx: typer.Context,
    *,
    release_type: Annotated[
        ReleaseType, typer.Option("--type", help="Release type (J-003 §2).", case_sensitive=False)
    ],
    target_date: Annotated[
        str, typer.Option("--target-date", help="Planned release day, YYYY-MM-DD.")
    ],
    actor: ActorOpt,
    components: Annotated[
        list[str] | None,
        typer.Option("--component", "-c", help="A component it releases (repeatable)."),
    ] = None,
    version: Annotated[
        str, typer.Option("--version", help="The version, or 'auto' to compute it from git.")
    ] = "auto",
    title: Annotated[str, typer.Option("--title", help="A title for people.")] = "",
    force_lead_time: Annotated[
        bool,
        typer.Option("--force-lead-time", help="Plan despite a too-short lead time (audited)."),
    ] = False,
    override_reason: Annotated[
        str, typer.Option("--override-reason", help="Why the lead time is overridden.")
    ] = "",
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Create a release record at HEAD: version, scope (commits, tickets), checklists."""
    from relman.services.planning import plan_release

    lc = view.lifecycle(ctx)
    planned = plan_release(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        git=lc.git,
        versioning=lc.versioning,
        clock=lc.clock,
        actor=actor,
        release_type=release_type.value,
        target_date=_parse_date(target_date),
        components=components or (),
        version=version,
        title=title,
        force_lead_time=force_lead_time,
        override_reason=override_reason,
    )
    release = planned.release
    if as_json:
        _common.print_json(
            {
                "release": view.release_json(release),
                "lead_time": view.to_json(planned.lead_time),
                "scope_ranges": list(planned.scope.ranges),
                "checklist_items": planned.checklist_items,
                "auto_ticked": view.to_json(planned.auto_ticked),
                "warnings": planned.warnings,
            }
        )
        return
    console = view.out()
    console.print(f"planned [bold]{view.esc(view.describe_release(release))}[/]")
    tickets = ", ".join(release.scope_tickets[:10]) or "none"
    console.print(f"  commit: {view.short(release.commit_sha)}")
    console.print(
        f"  scope: {len(release.scope_commits)} commits, {len(release.scope_tickets)} tickets "
        f"({view.esc(tickets)}) in {view.esc(', '.join(planned.scope.ranges))}"
    )
    console.print(
        f"  target: {release.target_date.isoformat()}: {view.esc(planned.lead_time.message)}"
    )
    if planned.lead_time.state == "overridden":
        console.print(f"  [yellow]lead time overridden[/]: {view.esc(override_reason.strip())}")
    console.print(f"  checklists: {planned.checklist_items} items")
    view.print_auto_ticked(planned.auto_ticked)
    for warning in planned.warnings:
        _common.console(stderr=True).print(f"[yellow]warning:[/] {view.esc(warning)}")
    console.print(f"next: relman gate status {release.id}")


@app.command("show")
def show(
    ctx: typer.Context,
    release_id: ReleaseArg,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """A release with its gates, sign-offs (invalidated ones marked), evidence and checklists."""
    from relman.services.evidence import judge
    from relman.services.releases import get_release_details

    lc = view.lifecycle(ctx)
    details = get_release_details(
        uow_factory=lc.uow_factory, policy=lc.policy, clock=lc.clock, release_id=release_id
    )
    release = details.release
    judged = []
    for e in details.evidence:
        verdict = judge(e, lc.policy)
        judged.append((e, verdict.ok, verdict.detail, e.commit_sha == release.commit_sha))
    ticked = sum(1 for i in details.items if i.is_ticked)
    if as_json:
        _common.print_json(
            {
                "release": view.release_json(release),
                "gates": [view.gate_json(g, lc.policy) for g in details.gates],
                "next_gates": details.next_gates,
                "allowed_actions": details.allowed_actions,
                "signoffs": view.to_json(details.signoffs),
                "evidence": [
                    view.evidence_json(e, ok=ok, detail=d, counts=c) for e, ok, d, c in judged
                ],
                "waivers": view.to_json(details.waivers),
                "checklist": {"items": len(details.items), "ticked": ticked},
            }
        )
        return
    console = view.out()
    console.print(f"[bold]{view.esc(view.describe_release(release))}[/]")
    console.print(
        f"  planned by {view.esc(release.planned_by)} at {release.created_at:%Y-%m-%d %H:%M}, "
        f"target {release.target_date.isoformat()}"
    )
    console.print(f"  commit: {view.short(release.commit_sha)}")
    console.print(
        f"  scope: {len(release.scope_commits)} commits, {len(release.scope_tickets)} tickets"
    )
    if details.next_gates:
        console.print(f"  next: advance through {', '.join(details.next_gates)}")
    console.print(f"  checklists: {ticked}/{len(details.items)} items ticked")
    grid = view.table("gate", "name", "status", "missing")
    for gate in details.gates:
        state = "[green]passed[/]" if gate.passed else "[red]open[/]"
        missing = [c.id for c in gate.criteria if c.state == "unmet"]
        missing += [f"sign-off {s.role}" for s in gate.signoffs if s.blocks]
        grid.add_row(gate.gate, view.esc(gate.name), state, view.esc(", ".join(missing)))
    console.print(grid)
    view.print_signoffs(details.signoffs)
    view.print_waivers(details.waivers, release)
    view.print_evidence(judged)


@app.command("list")
def list_(
    ctx: typer.Context,
    phase: Annotated[
        str | None, typer.Option("--phase", help="Only releases in this phase.")
    ] = None,
    release_type: Annotated[
        ReleaseType | None, typer.Option("--type", help="Only this release type.")
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Hotfix post-hoc approvals past their deadline.")
    ] = False,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Releases, oldest first (or, with --overdue, the overdue hotfix approvals)."""
    lc = view.lifecycle(ctx)
    if overdue:
        _list_overdue(lc, as_json=as_json)
        return
    from relman.services.releases import list_releases

    releases = list_releases(
        uow_factory=lc.uow_factory,
        phase=phase,
        release_type=release_type.value if release_type else None,
    )
    if as_json:
        _common.print_json([view.release_json(r) for r in releases])
        return
    if not releases:
        view.out().print("no releases")
        return
    grid = view.table("id", "type", "version", "phase", "target", "planned by", "title")
    for r in releases:
        grid.add_row(
            r.id,
            r.release_type,
            view.esc(r.version),
            r.phase.value,
            r.target_date.isoformat(),
            view.esc(r.planned_by),
            view.esc(r.title),
        )
    view.out().print(grid)


def _list_overdue(lc: Lifecycle, *, as_json: bool) -> None:
    from relman.services.releases import list_overdue

    found = list_overdue(uow_factory=lc.uow_factory, policy=lc.policy, clock=lc.clock)
    if as_json:
        _common.print_json(view.to_json(found))
        return
    if not found:
        view.out().print("no overdue approvals")
        return
    grid = view.table("release", "gate", "role", "due", "signed")
    for o in found:
        signed = f"late, {o.signed_at:%Y-%m-%d %H:%M}" if o.signed_at else "[red]missing[/]"
        grid.add_row(o.release_id, o.gate, o.role, f"{o.due_at:%Y-%m-%d %H:%M}", signed)
    view.out().print(grid)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    release_id: ReleaseArg,
    actor: ActorOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why it is cancelled.")],
) -> None:
    """Cancel a release (PLAN..DEPLOY). CANCELLED is terminal."""
    from relman.services.releases import cancel_release

    lc = view.lifecycle(ctx)
    release = cancel_release(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        clock=lc.clock,
        release_id=release_id,
        actor=actor,
        reason=reason,
    )
    view.out().print(f"cancelled {release.id}: {view.esc(reason.strip())}")


@app.command("advance")
def advance(
    ctx: typer.Context,
    release_id: ReleaseArg,
    actor: ActorOpt,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Move to the next phase when its gates pass; exit 7 listing every unmet criterion."""
    from relman.errors import BlockedError
    from relman.services.releases import advance_release

    lc = view.lifecycle(ctx)
    try:
        done = advance_release(
            uow_factory=lc.uow_factory,
            policy=lc.policy,
            clock=lc.clock,
            release_id=release_id,
            actor=actor,
        )
    except BlockedError as exc:
        unmet = exc.details.get("unmet")
        if isinstance(unmet, list) and unmet:  # one line per unmet criterion or sign-off
            exc.hint = "unmet:\n" + "\n".join(f"  - {line}" for line in unmet)
        raise
    gates = ", ".join(g.gate for g in done.gates) or "no gate"
    if as_json:
        _common.print_json(
            {
                "release": view.release_json(done.release),
                "from_phase": done.from_phase.value,
                "to_phase": done.release.phase.value,
                "gates": [view.gate_json(g, lc.policy) for g in done.gates],
                "auto_ticked": view.to_json(done.auto_ticked),
            }
        )
        return
    view.out().print(
        f"{done.release.id} advanced {done.from_phase.value} -> "
        f"[bold]{done.release.phase.value}[/] ({gates} passed)"
    )
    view.print_auto_ticked(done.auto_ticked)


@app.command("commit")
def commit(
    ctx: typer.Context,
    release_id: ReleaseArg,
    actor: ActorOpt,
    ref: Annotated[
        str, typer.Argument(help="The new build commit (default HEAD).", show_default=False)
    ] = "HEAD",
) -> None:
    """Bind the release to a new build commit; earlier sign-offs and waivers stop counting."""
    from relman.services.releases import update_commit

    lc = view.lifecycle(ctx)
    done = update_commit(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        git=lc.git,
        versioning=lc.versioning,
        clock=lc.clock,
        release_id=release_id,
        actor=actor,
        ref=ref,
    )
    console = view.out()
    if not done.changed:
        console.print(
            f"{done.release.id} is already bound to {view.short(done.release.commit_sha)}"
        )
        return
    console.print(
        f"{done.release.id} bound to commit {view.short(done.release.commit_sha)} "
        f"(was {view.short(done.previous_sha)})"
    )
    if done.invalidated:
        console.print(
            f"  [yellow]{done.invalidated} sign-off(s) invalidated[/]: they were given for the "
            "old commit and must be given again"
        )
    if done.stale_waivers:
        console.print(
            f"  [yellow]{done.stale_waivers} waiver(s) stale[/]: they were granted for the "
            "old commit and must be granted again"
        )
