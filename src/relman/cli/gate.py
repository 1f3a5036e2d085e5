"""`relman gate …`: the state of gates G1–G7, and signing, rejecting and waiving them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from relman.cli import _common
from relman.cli import _lifecycle_view as view
from relman.cli._lifecycle_view import ActorOpt, ReleaseArg

if TYPE_CHECKING:
    from relman.services.gates import Signed

app = typer.Typer(
    help="Gates G1-G7 (J-003 §3.3): criteria met/unmet/waived, sign-offs by the right people."
)

GateArg = Annotated[str, typer.Argument(help="The gate, G1..G7.", show_default=False)]
CommentOpt = typer.Option("--comment", "-m", help="A note kept with the decision.")
RoleOpt = typer.Option("--role", help="Sign in this role (when you hold several).")


@app.command("status")
def status(
    ctx: typer.Context,
    release_id: ReleaseArg,
    gate: Annotated[
        str | None, typer.Argument(help="Only this gate (default: all).", show_default=False)
    ] = None,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Every criterion as met, unmet or waived with the evidence behind it, and the sign-offs."""
    from relman.services.gates import get_gate_status

    lc = view.lifecycle(ctx)
    report = get_gate_status(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        clock=lc.clock,
        release_id=release_id,
        gate_id=gate,
    )
    release = report.release
    if as_json:
        _common.print_json(
            {
                "release": release.id,
                "phase": release.phase.value,
                "commit_sha": release.commit_sha,
                "gates": [view.gate_json(g, lc.policy) for g in report.gates],
                "signoffs": view.to_json(report.signoffs),
                "waivers": view.to_json(report.waivers),
            }
        )
        return
    console = view.out()
    console.print(
        f"[bold]{view.esc(view.describe_release(release))}[/] "
        f"at commit {view.short(release.commit_sha)}"
    )
    for gate_status in report.gates:
        console.print()
        view.print_gate(gate_status, lc.policy)
    console.print()
    view.print_signoffs(report.signoffs)
    view.print_waivers(report.waivers, release)


def _print_signed(done: Signed) -> None:
    s = done.signoff
    verb = "approved" if s.decision == "approve" else "rejected"
    post_hoc = " (post-hoc)" if s.post_hoc else ""
    console = view.out()
    console.print(
        f"{view.esc(s.person_id)} ({view.esc(s.role)}) {verb} {s.gate} of {s.release_id}"
        f"{post_hoc} for commit {view.short(s.commit_sha)}"
    )
    gate = done.gate
    if gate.passed:
        console.print(f"{gate.gate} [green]passed[/]")
    else:
        console.print(f"{gate.gate} still needs:")
        for line in gate.unmet:
            console.print(f"  - {view.esc(line)}")
    view.print_auto_ticked(done.auto_ticked)


@app.command("sign")
def sign(
    ctx: typer.Context,
    release_id: ReleaseArg,
    gate: GateArg,
    *,
    actor: ActorOpt,
    comment: Annotated[str, CommentOpt] = "",
    role: Annotated[str | None, RoleOpt] = None,
) -> None:
    """Approve a gate as PERSON: refused for the planner, a missing role, or twice."""
    from relman.services.gates import sign_gate

    lc = view.lifecycle(ctx)
    done = sign_gate(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        clock=lc.clock,
        release_id=release_id,
        gate_id=gate,
        actor=actor,
        comment=comment,
        role=role,
    )
    _print_signed(done)


@app.command("reject")
def reject(
    ctx: typer.Context,
    release_id: ReleaseArg,
    gate: GateArg,
    *,
    actor: ActorOpt,
    comment: Annotated[str, typer.Option("--comment", "-m", help="Why it is rejected.")],
    role: Annotated[str | None, RoleOpt] = None,
) -> None:
    """Reject a gate as PERSON (a veto until that person approves)."""
    from relman.services.gates import reject_gate

    lc = view.lifecycle(ctx)
    done = reject_gate(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        clock=lc.clock,
        release_id=release_id,
        gate_id=gate,
        actor=actor,
        comment=comment,
        role=role,
    )
    _print_signed(done)


@app.command("waive")
def waive(
    ctx: typer.Context,
    release_id: ReleaseArg,
    gate: GateArg,
    criterion: Annotated[
        str, typer.Argument(help="The criterion, e.g. G3.coverage.", show_default=False)
    ],
    *,
    actor: ActorOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why it is waived (recorded).")],
) -> None:
    """Waive one criterion of a gate for the release's commit (only the policy's waiver roles;
    audited; a new commit makes it stale)."""
    from relman.services.gates import waive_criterion

    lc = view.lifecycle(ctx)
    done = waive_criterion(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        clock=lc.clock,
        release_id=release_id,
        gate_id=gate,
        criterion_id=criterion,
        actor=actor,
        reason=reason,
    )
    w = done.waiver
    console = view.out()
    console.print(
        f"{view.esc(w.person_id)} waived {view.esc(w.criterion_id)} of {w.gate} of "
        f"{w.release_id} for commit {view.short(w.commit_sha)}: {view.esc(w.reason)}"
    )
    if done.gate.passed:
        console.print(f"{done.gate.gate} [green]passed[/]")
    view.print_auto_ticked(done.auto_ticked)
