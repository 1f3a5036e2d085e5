"""The ``--record`` options of `relman flow release|hotfix` and how the record work is shown."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import typer

from relman.cli import _common

if TYPE_CHECKING:
    from relman.bootstrap import Services
    from relman.services.flow import RecordLink
    from relman.services.flow_records import RecordOutcome

RECORD = typer.Option(
    "--record/--no-record",
    help="Link the release record (creating it when none is open) if the release store "
    "exists. A repository without one is left without.",
)
RELEASE = typer.Option(
    "--release",
    metavar="ID",
    help="The release record to link (default: the open one of this version).",
)
ACTOR = typer.Option(
    "--as",
    envvar="RELMAN_ACTOR",
    metavar="PERSON",
    help="Who acts on the release record (a person id of the policy; or set RELMAN_ACTOR).",
)
TARGET = typer.Option(
    "--target-date",
    metavar="YYYY-MM-DD",
    help="Target date of a record created now (default: today + the type's minimum lead time).",
)


def make_link(
    svc: Services, record: bool, release: str | None, actor: str | None, target: str | None
) -> RecordLink:
    from relman.services.flow import RecordLink
    from relman.services.flow_records import RecordOptions

    options = RecordOptions(
        enabled=record, release_id=release, actor=actor, target_date=parse_date(target)
    )
    return RecordLink(records=svc.flow_records, options=options)


def parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        from relman.errors import InvalidInputError

        raise InvalidInputError(
            f"invalid date '{text}': expected YYYY-MM-DD", where="--target-date"
        ) from None


def render_record(record: RecordOutcome, *, executed: bool) -> None:
    from rich.markup import escape

    plan = record.plan
    if not plan.shown:
        return
    out = _common.console()
    if record.done:
        for message in record.messages:
            out.print(f"[cyan]record:[/] {escape(message)}")
    elif record.warning:
        err = _common.console(stderr=True)
        err.print(f"[bold yellow]warning:[/] {escape(record.warning)}")
        err.print(f"[dim]run by hand:[/] {escape(record.command or '')}")
    elif executed or plan.action == "skip":
        out.print(f"[yellow]record:[/] {escape(plan.detail)}")
        if record.command:
            out.print(f"[dim]link it by hand:[/] {escape(record.command)}")
    else:
        out.print(f"[cyan]record:[/] would {escape(plan.detail)}")
