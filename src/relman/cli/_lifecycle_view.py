"""Rendering shared by `relman release|gate|evidence|checklist`: Rich for people, dicts for JSON."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from relman.cli import _common

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from relman.bootstrap import Services
    from relman.domain.gates import GateStatus
    from relman.domain.policy import ReleasePolicy
    from relman.domain.releases import ChecklistItem, Evidence, Release, SignOff, Waiver
    from relman.services.lifecycle import Lifecycle

AS_HELP = "The person acting: an id from the policy's people (or set RELMAN_ACTOR)."
JSON_OPT = typer.Option("--json", help="Print JSON instead of text.")
ActorOpt = Annotated[str, typer.Option("--as", envvar="RELMAN_ACTOR", help=AS_HELP)]
ReleaseArg = Annotated[str, typer.Argument(help="The release id, e.g. R-1.", show_default=False)]

STATE_STYLE = {
    "met": "green",
    "approved": "green",
    "waived": "yellow",
    "post_hoc_pending": "yellow",
    "unmet": "red",
    "missing": "red",
    "rejected": "red",
    "overdue": "red",
}


def lifecycle(ctx: typer.Context) -> Lifecycle:
    services: Services = _common.services(ctx)
    return services.lifecycle


def out() -> Console:
    return _common.console()


def esc(text: object) -> str:
    from rich.markup import escape

    return escape(str(text))


def short(sha: str | None) -> str:
    return sha[:12] if sha else "(none)"


def styled(state: str) -> str:
    style = STATE_STYLE.get(state, "")
    return f"[{style}]{state}[/]" if style else state


def table(*columns: str) -> Table:
    from rich.table import Table

    grid = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    return grid


def to_json(value: Any) -> Any:
    from relman.domain.audit import compute_snapshot

    return compute_snapshot(value)


# --- releases -------------------------------------------------------------------------------


def release_json(release: Release) -> dict[str, Any]:
    data: dict[str, Any] = to_json(release)
    data["scope_size"] = {
        "commits": len(release.scope_commits),
        "tickets": len(release.scope_tickets),
    }
    return data


def describe_release(release: Release) -> str:
    parts = ", ".join(release.components) or "repository"
    return (
        f"{release.id} {release.release_type} {release.version} [{release.phase.value}] "
        f"{release.title!r} ({parts})"
    )


def print_auto_ticked(items: Iterable[ChecklistItem]) -> None:
    console = out()
    for item in items:
        console.print(f"  auto-ticked {esc(item.item_id)} {esc(item.text)}: {esc(item.proof)}")


# --- gates ----------------------------------------------------------------------------------


def gate_json(status: GateStatus, policy: ReleasePolicy) -> dict[str, Any]:
    gate = policy.get_gate(status.gate)
    return {
        "gate": status.gate,
        "name": status.name,
        "from_phase": gate.from_phase,
        "to_phase": gate.to_phase,
        "passed": status.passed,
        "criteria": to_json(status.criteria),
        "signoffs": [{**to_json(s), "blocks": s.blocks} for s in status.signoffs],
        "unmet": status.unmet,
    }


def print_gate(status: GateStatus, policy: ReleasePolicy) -> None:
    gate = policy.get_gate(status.gate)
    verdict = "[green]passed[/]" if status.passed else "[red]not passed[/]"
    console = out()
    console.print(
        f"[bold]{status.gate} {esc(status.name)}[/] "
        f"({gate.from_phase} -> {gate.to_phase}): {verdict}"
    )
    grid = table("criterion", "state", "detail", "evidence / proof")
    for c in status.criteria:
        grid.add_row(esc(c.id), styled(c.state), esc(c.detail), esc(c.proof or "-"))
    for slot in status.signoffs:
        grid.add_row(
            esc(f"sign-off {slot.role}"),
            styled(slot.state),
            esc(slot.detail),
            esc(f"{slot.person_id} at {slot.at:%Y-%m-%d %H:%M}") if slot.at else "-",
        )
    console.print(grid)


def print_signoffs(signoffs: Sequence[SignOff]) -> None:
    console = out()
    if not signoffs:
        console.print("sign-offs: none yet")
        return
    grid = table("gate", "person", "role", "decision", "commit", "at", "note")
    for s in signoffs:
        note = "[red]INVALIDATED[/] (commit changed)" if s.invalidated else ""
        note += " post-hoc" if s.post_hoc else ""
        note += f" {esc(s.comment)}" if s.comment else ""
        grid.add_row(
            s.gate,
            esc(s.person_id),
            esc(s.role),
            styled("approved" if s.decision == "approve" else "rejected"),
            short(s.commit_sha),
            f"{s.at:%Y-%m-%d %H:%M}",
            note.strip() or "-",
        )
    console.print("[bold]sign-offs[/]")
    console.print(grid)


def print_waivers(waivers: Sequence[Waiver], release: Release) -> None:
    """Every waiver with the commit it was granted for; stale ones marked (they no longer count)."""
    if not waivers:
        return
    from relman.domain.gates import describe_stale_grant

    grid = table("gate", "criterion", "person", "commit", "at", "note")
    for w in waivers:
        note = esc(w.reason)
        if w.invalidated:
            why = esc(describe_stale_grant(w, release))
            note = f"[red]STALE[/] ({why}: waive again) {note}"
        grid.add_row(
            w.gate,
            esc(w.criterion_id),
            esc(w.person_id),
            short(w.commit_sha),
            f"{w.at:%Y-%m-%d %H:%M}",
            note,
        )
    out().print("[bold]waivers[/]")
    out().print(grid)


# --- evidence -------------------------------------------------------------------------------


def evidence_json(evidence: Evidence, *, ok: bool, detail: str, counts: bool) -> dict[str, Any]:
    return {**to_json(evidence), "ok": ok, "detail": detail, "counts": counts}


def print_evidence(rows: Sequence[tuple[Evidence, bool, str, bool]]) -> None:
    console = out()
    if not rows:
        console.print("evidence: none yet")
        return
    grid = table("#", "kind", "source", "commit", "verdict", "digest", "at")
    for evidence, ok, detail, counts in rows:
        verdict = ("[green]ok[/] " if ok else "[red]fails[/] ") + esc(detail)
        if not counts:
            verdict += " [dim](other commit: not counted)[/]"
        grid.add_row(
            str(evidence.id),
            evidence.kind,
            esc(evidence.source),
            short(evidence.commit_sha),
            verdict,
            evidence.digest[:19],
            f"{evidence.at:%Y-%m-%d %H:%M}",
        )
    console.print("[bold]evidence[/]")
    console.print(grid)
