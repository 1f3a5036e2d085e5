"""`relman audit …`: the tamper-evident audit trail (J-003 §1.2: 100% change tracking)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from relman.cli import _common

app = typer.Typer(help="Verify and export the hash-chained audit log of every change.")

_JSON_OPT = typer.Option("--json", help="Print JSON instead of text.")
_SUBJECT_OPT = typer.Option("--subject", help="Only entries about this subject (e.g. R-12).")


class ExportFormat(StrEnum):
    JSONL = "jsonl"


@app.command("verify")
def verify(ctx: typer.Context, as_json: Annotated[bool, _JSON_OPT] = False) -> None:
    """Check the hash chain: exit 1 naming the first edited, deleted or reordered entry."""
    from relman.errors import CheckFailedError
    from relman.services.audit import verify_audit_log

    check = verify_audit_log(uow_factory=_common.services(ctx).uow_factory)
    if as_json:
        _common.print_json(check.to_dict())
    if not check.ok:
        raise CheckFailedError(
            check.describe(),
            where="audit log",
            hint="restore the database from a backup and compare with an exported log",
            details=check.to_dict(),
        )
    if not as_json:
        _common.console().print(check.describe())


@app.command("list")
def list_(
    ctx: typer.Context,
    subject: Annotated[str | None, _SUBJECT_OPT] = None,
    as_json: Annotated[bool, _JSON_OPT] = False,
) -> None:
    """Show the audit entries, oldest first."""
    from relman.services.audit import entry_to_dict, format_time, list_audit_entries

    entries = list_audit_entries(uow_factory=_common.services(ctx).uow_factory, subject=subject)
    if as_json:
        _common.print_json([entry_to_dict(e) for e in entries])
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("seq", "at (UTC)", "actor", "action", "subject", "hash"):
        table.add_column(column)
    for entry in entries:
        table.add_row(
            str(entry.seq),
            format_time(entry.at)[:19].replace("T", " "),
            entry.actor,
            entry.action,
            entry.subject,
            entry.hash[:12],
        )
    out = _common.console()
    out.print(table if entries else "no audit entries")


@app.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.", case_sensitive=False)
    ] = ExportFormat.JSONL,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file (default: stdout).", dir_okay=False
        ),
    ] = None,
    subject: Annotated[str | None, _SUBJECT_OPT] = None,
) -> None:
    """Export the audit log (JSON Lines: one entry per line, with its hashes)."""
    from relman.services.audit import export_audit_log

    uow_factory = _common.services(ctx).uow_factory
    if output is None:
        export_audit_log(uow_factory=uow_factory, out=sys.stdout, subject=subject)
        return
    output = output.resolve()
    partial = output.with_name(f".{output.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            count = export_audit_log(uow_factory=uow_factory, out=out, subject=subject)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    _common.console(stderr=True).print(f"exported {count} audit entries to {output}")
