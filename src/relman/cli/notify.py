"""`relman notify …`: the notification outbox (J-003 §11): pending, retry, log, due, test.

Also `relman report notifications` (registered by `relman.cli.report`): notification
compliance, J-003 §1.2.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from relman.cli import _common

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from relman.domain.outbox import ComplianceReport, OutboxEntry
    from relman.services.notification_delivery import DeliveryReport
    from relman.services.notifications import Notifications

app = typer.Typer(
    help="Stakeholder notifications (J-003 §11): queued with their event in the store, "
    "delivered with retries over email, Slack, signed webhooks and the status-page feed."
)

JSON_OPT = typer.Option("--json", help="Print JSON instead of text.")
STATUS_STYLE = {
    "sent": "green",
    "pending": "cyan",
    "sending": "cyan",
    "failed": "yellow",
    "dead": "red",
}


def _notifications(ctx: typer.Context) -> Notifications:
    return _common.services(ctx).notifications


def _esc(text: object) -> str:
    from rich.markup import escape

    return escape(str(text))


def _when(at: datetime | None, tz: ZoneInfo) -> str:
    return "—" if at is None else at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _status(entry: OutboxEntry) -> str:
    style = STATUS_STYLE.get(entry.status.value, "")
    return f"[{style}]{entry.status.value}[/]" if style else entry.status.value


def _rows_json(rows: list[OutboxEntry]) -> list[dict[str, Any]]:
    from relman.services.notification_delivery import describe_outcome

    return [dict(describe_outcome(r)) for r in rows]


def _print_rows(rows: list[OutboxEntry], tz: ZoneInfo, *, title: str, sent: bool) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False)
    for column in ("#", "event", "about", "to", "channel", "status", "tries"):
        table.add_column(column)
    table.add_column("sent" if sent else "next try")
    table.add_column("last error")
    for r in rows:
        who = r.recipient if r.recipient_name in ("", r.recipient) else r.recipient_name
        table.add_row(
            str(r.id),
            _esc(r.event_type),
            _esc(r.subject),
            _esc(who) + ("" if r.required else " [dim](optional)[/]"),
            _esc(r.channel),
            _status(r),
            str(r.attempts),
            _when(r.sent_at if sent else r.next_attempt_at, tz),
            _esc((r.last_error or "")[:120]),
        )
    _common.console().print(table)


def _print_delivery(report: DeliveryReport, *, verb: str = "delivered") -> None:
    out = _common.console()
    out.print(
        f"{verb}: [green]{len(report.sent)} sent[/], [yellow]{len(report.failed)} failed "
        f"(queued for retry)[/], [red]{len(report.dead)} dead[/]"
    )
    for row in [*report.failed, *report.dead]:
        out.print(
            f"  {_esc(row.status.value)} #{row.id} {_esc(row.event_type)} -> "
            f"{_esc(row.recipient)} over {_esc(row.channel)}: {_esc(row.last_error or '')}"
        )


def _delivery_json(report: DeliveryReport) -> dict[str, Any]:
    return {
        "sent": _rows_json(report.sent),
        "failed": _rows_json(report.failed),
        "dead": _rows_json(report.dead),
        "skipped": report.skipped,
    }


@app.command("pending")
def pending(ctx: typer.Context, as_json: Annotated[bool, JSON_OPT] = False) -> None:
    """Notifications not delivered yet: scheduled, due, being sent, or failed (retrying)."""
    from relman.services.notifications import list_pending

    n = _notifications(ctx)
    rows = list_pending(notifications=n)
    if as_json:
        _common.print_json(_rows_json(rows))
        return
    if not rows:
        _common.console().print("no notifications pending")
        return
    _print_rows(rows, n.tz, title=f"{len(rows)} pending", sent=False)


@app.command("retry")
def retry(
    ctx: typer.Context,
    include_dead: Annotated[
        bool, typer.Option("--all", help="Also retry dead notifications (attempts used up).")
    ] = False,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """Send failed notifications now (with --all, dead ones too); exit 12 if any still fail."""
    from relman.errors import IntegrationError
    from relman.services.notification_delivery import retry_notifications

    report = retry_notifications(notifications=_notifications(ctx), include_dead=include_dead)
    if as_json:
        _common.print_json(_delivery_json(report))
    else:
        _print_delivery(report, verb="retried")
    if not report.ok:
        raise IntegrationError(
            f"{len(report.failed) + len(report.dead)} notifications could not be delivered",
            where="relman notify pending",
            hint="they stay queued; fix the channel and run `relman notify retry` again",
        )


@app.command("log")
def log(
    ctx: typer.Context,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only notifications about R-1, INC-3 ...")
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="Only this status (repeatable): pending|sent|failed|dead."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="The newest N.", min=1)] = 200,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """Every queued notification and its outcome per recipient and channel."""
    from relman.services.notifications import list_log

    n = _notifications(ctx)
    rows = list_log(notifications=n, subject=subject, statuses=status, limit=limit)
    if as_json:
        _common.print_json(_rows_json(rows))
        return
    if not rows:
        _common.console().print("no notifications recorded")
        return
    _print_rows(rows, n.tz, title=f"{len(rows)} notifications", sent=True)


@app.command("due")
def due(ctx: typer.Context, as_json: Annotated[bool, JSON_OPT] = False) -> None:
    """Queue due scheduled notices (T-48h) and send everything due; run it every few minutes."""
    from relman.services.notification_delivery import run_due

    report = run_due(notifications=_notifications(ctx))
    if as_json:
        _common.print_json({"queued": _rows_json(report.queued), **_delivery_json(report.delivery)})
        return
    out = _common.console()
    undeliverable = [r for r in report.queued if r.status.value == "dead"]
    out.print(
        f"queued {len(report.queued)} scheduled notifications"
        + (f", [red]{len(undeliverable)} undeliverable[/]" if undeliverable else "")
    )
    for row in undeliverable:
        out.print(
            f"  dead #{row.id} {_esc(row.event_type)} -> {_esc(row.recipient)} over "
            f"{_esc(row.channel)}: {_esc(row.last_error or '')}"
        )
    _print_delivery(report.delivery)


@app.command("test")
def test(
    ctx: typer.Context,
    channel: Annotated[str, typer.Option("--channel", help="A configured channel, e.g. email.")],
    to: Annotated[str, typer.Option("--to", help="A person id from \\[people], or an address.")],
) -> None:
    """Send one test message over a channel (exit 12: it failed, 3: not configured)."""
    from relman.services.notification_delivery import send_test

    target = send_test(notifications=_notifications(ctx), channel=channel, to=to)
    _common.console().print(
        f"test message sent to {_esc(to)} over {_esc(channel)} ({_esc(target)})"
    )


def report_notifications(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="Only notifications due on or after YYYY-MM-DD.")
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only notifications about R-1, INC-3 ...")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when compliance is below the target.")
    ] = False,
    as_json: Annotated[bool, JSON_OPT] = False,
) -> None:
    """Notification compliance (J-003 §1.2): on time ÷ required, with every miss listed."""
    from relman.services.notifications import report_compliance

    n = _notifications(ctx)
    start = _parse_since(since, n.tz) if since else None
    report = report_compliance(notifications=n, since=start, subject=subject)
    if as_json:
        _common.print_json(_compliance_json(report))
    else:
        _print_compliance(report, n.tz)
    if check and not report.met:
        from relman.errors import CheckFailedError

        raise CheckFailedError(
            f"notification compliance {report.percent:.1f}% is below {report.target:g}%",
            violations=[f"#{m.id} {m.event_type} -> {m.recipient}" for m in report.misses],
        )


def _parse_since(text: str, tz: ZoneInfo) -> datetime:
    from relman.errors import InvalidInputError

    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            f"invalid date '{text}': expected YYYY-MM-DD", where="--since"
        ) from None
    return datetime.combine(day, datetime.min.time(), tzinfo=tz)


def _compliance_json(report: ComplianceReport) -> dict[str, Any]:
    return {
        "percent": report.percent,
        "target": report.target,
        "met": report.met,
        "required": report.required,
        "on_time": report.on_time,
        "late": report.late,
        "missed": report.missed,
        "in_flight": report.in_flight,
        "misses": _rows_json(list(report.misses)),
    }


def _print_compliance(report: ComplianceReport, tz: ZoneInfo) -> None:
    out = _common.console()
    if report.percent is None:
        out.print("notification compliance: no required notification is due yet")
        return
    style = "green" if report.met else "red"
    out.print(
        f"notification compliance: [{style}]{report.percent:.1f}%[/] "
        f"(target {report.target:g}%): {report.on_time} of {report.required} required "
        f"notifications delivered on time; {report.late} late, {report.missed} missed"
        + (f", {report.in_flight} in flight" if report.in_flight else "")
    )
    if report.misses:
        _print_rows(list(report.misses), tz, title="misses", sent=True)
