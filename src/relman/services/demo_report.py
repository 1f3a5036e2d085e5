"""Demo report stages: release notes, notifications received, environments, audit, paths.

These run whatever happened before (a failed stage still leaves a store, an audit chain and
mail worth showing). What they print is read back from where relman wrote it: the notes file
in the repository, the mail the SMTP sink received, the store.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from relman.services.demo import DemoContext, StageSkippedError


def stage_notes(ctx: DemoContext) -> None:
    """The release notes ``relman flow release finish`` wrote (docs/releases/)."""
    folder = ctx.ws.repo / "docs" / "releases"
    version = ctx.facts.get("release", {}).get("version")
    candidates = sorted(folder.glob(f"*{version}*.md")) if version and folder.is_dir() else []
    if not candidates:
        raise StageSkippedError("no release notes were written (the release was not finished)")
    path = candidates[0]
    text = path.read_text(encoding="utf-8")
    ctx.facts["release_notes"] = {"path": str(path), "lines": len(text.splitlines())}
    ctx.say(f"{path.relative_to(ctx.ws.root)} ({len(text.splitlines())} lines):")
    ctx.lines.extend(_excerpt(text))


def _excerpt(text: str, limit: int = 60) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"... ({len(lines) - limit} more lines in the file)"]


def stage_notifications(ctx: DemoContext) -> None:
    """Deliver what is still due, then show what the SMTP sink and webhook sink received."""
    from relman.services.notification_delivery import deliver_pending
    from relman.services.notifications import list_log, report_compliance

    svc = ctx.services()
    notifications = svc.notifications
    deliver_pending(notifications=notifications)
    rows = list_log(notifications=notifications, limit=None)
    by_status = Counter(str(r.status) for r in rows)
    mail = ctx.kit.read_mail()
    posts = ctx.kit.read_posts()
    per_recipient: Counter[str] = Counter()
    for m in mail:
        for rcpt in m.recipients:
            per_recipient[rcpt] += 1
    subjects = Counter(m.subject for m in mail)
    compliance = report_compliance(notifications=notifications)
    states = ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
    ctx.say(f"outbox: {len(rows)} notifications ({states})")
    ctx.say(f"SMTP sink received {len(mail)} emails for {len(per_recipient)} recipients "
            f"({ctx.ws.mail.relative_to(ctx.ws.root)}/)")  # fmt: skip
    for subject, count in subjects.most_common():
        ctx.say(f"  {count:3d} x {subject}")
    for rcpt, count in sorted(per_recipient.items()):
        ctx.say(f"  {rcpt}: {count}")
    channels = Counter(str(p.get("channel")) for p in posts)
    if posts:
        ctx.say(f"webhook sink received {len(posts)} posts: "
                + ", ".join(f"{c} {n}" for c, n in sorted(channels.items())))  # fmt: skip
    ctx.say(f"notification compliance: {_percent(compliance)}")
    ctx.facts["notifications"] = {
        "queued": len(rows),
        "by_status": dict(by_status),
        "emails_received": len(mail),
        "delivered_by_recipient": dict(sorted(per_recipient.items())),
        "subjects": dict(subjects),
        "webhook_posts": dict(channels),
        "compliance": _compliance_dict(compliance),
    }


def _percent(report: Any) -> str:
    percent = getattr(report, "percent", None)
    if percent is None:
        return "no required notification due yet"
    return f"{percent:.1f}% (target {report.target:g}%)"


def _compliance_dict(report: Any) -> dict[str, Any]:
    keys = ("percent", "target", "met", "required", "on_time", "late", "missed", "in_flight")
    out: dict[str, Any] = {}
    for key in keys:
        value = getattr(report, key, None)
        out[key] = len(value) if isinstance(value, list) else value
    return out


def stage_env_status(ctx: DemoContext) -> None:
    """``relman env status``: what runs in each environment, and its health."""
    svc = ctx.services()
    status = _env_status(svc)
    ctx.facts["environments"] = status
    ctx.facts["versions"] = {env: info.get("version") for env, info in status.items()}
    for env, info in status.items():
        ctx.say(f"{env:8s} {info.get('version') or '-':20s} {info.get('health', '')}")


def _env_status(svc: Any) -> dict[str, Any]:
    from relman.services import demo_deploy

    return demo_deploy.read_env_status(svc)


def stage_audit(ctx: DemoContext) -> None:
    """``relman audit verify``: the hash chain of everything the demo did."""
    from relman.services.audit import list_audit_entries, verify_audit_log

    svc = ctx.services()
    check = verify_audit_log(uow_factory=svc.uow_factory)
    entries = list_audit_entries(uow_factory=svc.uow_factory)
    actions = Counter(e.action for e in entries)
    ctx.say(check.describe())
    ctx.say("actions: " + ", ".join(f"{a} {n}" for a, n in sorted(actions.items())))
    ctx.facts["audit"] = {**check.to_dict(), "actions": dict(sorted(actions.items()))}


def stage_paths(ctx: DemoContext) -> None:
    """Where everything was written."""
    paths = ctx.ws.paths()
    for name, where in paths.items():
        ctx.say(f"{name:14s} {where}")
    ctx.say(f"explore: relman -C {Path(paths['repository'])} release show "
            f"{ctx.releases.get('release', 'R-1')}")  # fmt: skip
