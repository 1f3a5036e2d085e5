"""`relman evidence …`: record test, coverage, security-scan and CI results for a release."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from relman.cli import _common
from relman.cli import _lifecycle_view as view
from relman.cli._lifecycle_view import AS_HELP, ReleaseArg

app = typer.Typer(
    help="Evidence for gates G2/G3: JUnit XML, Cobertura XML (coverage xml), SARIF 2.1.0, "
    "CI status."
)


class EvidenceKind(StrEnum):
    JUNIT = "junit"
    COVERAGE = "coverage"
    SARIF = "sarif"
    CI = "ci"


@app.command("add")
def add(
    ctx: typer.Context,
    release_id: ReleaseArg,
    file: Annotated[
        Path,
        typer.Argument(help="The report file.", dir_okay=False, show_default=False),
    ],
    *,
    kind: Annotated[
        EvidenceKind, typer.Option("--kind", help="What the file is.", case_sensitive=False)
    ],
    actor: Annotated[
        str | None,
        typer.Option("--as", envvar="RELMAN_ACTOR", help=AS_HELP + " Default: ci."),
    ] = None,
    commit: Annotated[
        str | None,
        typer.Option("--commit", help="The commit it is for (default: the release's)."),
    ] = None,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """Parse and record one evidence file (refused, exit 4, if it is not what --kind says)."""
    from relman.errors import InvalidInputError
    from relman.services.evidence import add_evidence

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read evidence file: {exc.strerror}", where=str(file)
        ) from None
    lc = view.lifecycle(ctx)
    done = add_evidence(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        clock=lc.clock,
        release_id=release_id,
        kind=kind.value,
        data=data,
        source=str(file),
        actor=actor,
        commit=commit,
        git=lc.git if commit else None,
    )
    e = done.evidence
    if as_json:
        _common.print_json(
            {
                **view.evidence_json(
                    e, ok=done.judgement.ok, detail=done.judgement.detail, counts=done.counts
                ),
                "auto_ticked": view.to_json(done.auto_ticked),
            }
        )
        return
    console = view.out()
    verdict = "[green]meets J-003[/]" if done.judgement.ok else "[red]does not meet J-003[/]"
    console.print(
        f"recorded evidence #{e.id} {e.kind} {view.esc(e.source)} for {e.release_id} "
        f"at commit {view.short(e.commit_sha)}: {view.esc(done.judgement.detail)}: {verdict}"
    )
    console.print(f"  digest {e.digest}")
    if not done.counts:
        console.print(
            "  [yellow]not counted[/]: the release is bound to another commit "
            "(relman release commit ID SHA re-binds it)"
        )
    view.print_auto_ticked(done.auto_ticked)


@app.command("list")
def list_(
    ctx: typer.Context,
    release_id: ReleaseArg,
    kind: Annotated[EvidenceKind | None, typer.Option("--kind", help="Only this kind.")] = None,
    as_json: Annotated[bool, view.JSON_OPT] = False,
) -> None:
    """The evidence recorded for a release, oldest first, with the J-003 verdict."""
    from relman.services.evidence import judge, list_evidence

    lc = view.lifecycle(ctx)
    release, found = list_evidence(
        uow_factory=lc.uow_factory, release_id=release_id, kind=kind.value if kind else None
    )
    rows = []
    for e in found:
        verdict = judge(e, lc.policy)
        rows.append((e, verdict.ok, verdict.detail, e.commit_sha == release.commit_sha))
    if as_json:
        _common.print_json(
            [view.evidence_json(e, ok=ok, detail=d, counts=c) for e, ok, d, c in rows]
        )
        return
    view.print_evidence(rows)
