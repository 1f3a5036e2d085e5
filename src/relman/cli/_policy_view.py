"""Rich rendering of the effective policy for ``relman policy show`` (one table per J-003 topic)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from rich.console import Console

    from relman.settings import Settings


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _row(table: Table, *cells: object) -> None:
    table.add_row(*(escape(_text(c)) for c in cells))


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "-"
    return str(value)


def render(out: Console, s: Settings, label: str) -> None:
    out.print(f"[bold]Release policy[/] ({escape(label)}), times in {escape(s.windows.timezone)}")
    for table in _tables(s):
        out.print(table)
    if not s.people:
        out.print(
            "[yellow]No people configured:[/] gates cannot be signed until \\[people] is filled."
        )


def _tables(s: Settings) -> Iterable[Table]:
    yield _objectives(s)
    yield _release_types(s)
    yield _gates(s)
    yield _checklists(s)
    yield _components(s)
    yield _compatibility(s)
    yield _environments(s)
    yield _stakeholders(s)
    yield _emergency(s)
    yield _thresholds(s)
    yield _people(s)


def _objectives(s: Settings) -> Table:
    t = _table("Objectives (§1.2)", "Objective", "Metric", "Target")
    for o in s.objectives.values():
        _row(t, o.objective, o.metric, f"{o.operator} {o.target:g}{o.unit}")
    return t


def _release_types(s: Settings) -> Table:
    t = _table(
        "Release types (§2)", "Type", "Version", "Frequency", "Lead time", "Approvers",
        "Testing", "Window", "Docs", "Audience",
    )  # fmt: skip
    for name, r in s.release_types.items():
        lead = f"{r.lead_time_min}-{r.lead_time_max} ({r.lead_time_enforcement})"
        approvers = list(r.approver_roles)
        if r.post_hoc_approval_hours:
            approvers.append(f"post-hoc within {r.post_hoc_approval_hours}h")
        _row(
            t, name, r.version_change, r.frequency, lead, approvers,
            r.testing or f"{r.testing_period_min}-{r.testing_period_max}",
            r.window_class, r.documentation, r.communication_audience,
        )  # fmt: skip
    return t


def _gates(s: Settings) -> Table:
    t = _table("Gates (§3.3)", "Gate", "Name", "Transition", "Criteria", "Sign-off", "Waivers")
    for gid, g in s.gates.items():
        signoff = list(g.signoff_roles)
        if g.require_release_type_approvers:
            signoff.append("+ release type approvers")
        criteria = [f"{key} ({c.kind})" for key, c in g.criteria.items()]
        _row(t, gid, g.name, f"{g.from_phase} → {g.to_phase}", criteria, signoff, g.waiver_roles)
    return t


def _checklists(s: Settings) -> Table:
    t = _table("Checklists (§7, §9.4, §13.1, §14.3, App. A)", "Id", "Title", "Items", "Applies to")
    for cid, c in s.checklists.items():
        auto = sum(1 for i in c.items if i.proof)
        _row(t, cid, c.title, f"{len(c.items)} ({auto} automatic)", c.applies_to or "on demand")
    return t


def _components(s: Settings) -> Table:
    t = _table("Components (§4.3)", "Component", "Scheme", "Tag", "Paths", "Description")
    for name, c in s.components.items():
        _row(t, name, c.scheme, c.tag_format, c.paths or "(whole repository)", c.description)
    return t


def _compatibility(s: Settings) -> Table:
    names: list[str] = []
    for row in s.compatibility:
        names.extend(n for n in row.versions if n not in names)
    t = _table("Compatibility matrix (§4.4)", *names, "Status")
    for row in s.compatibility:
        _row(t, *(row.versions.get(n, "-") for n in names), row.status)
    return t


def _environments(s: Settings) -> Table:
    t = _table(
        "Environments (§6.2–6.4, windows §12.4)", "Env", "Purpose", "Stability", "Access",
        "Promotion", "Migration / rollback", "Windows",
    )  # fmt: skip
    order = [e for e in s.promotion.order if e in s.environments]
    order += [e for e in s.environments if e not in order]
    for env in order:
        e = s.environments[env]
        w = s.windows.environments.get(env)
        windows = _windows(w.primary, w.secondary, w.outside_windows, w.emergency) if w else "-"
        how = "automatic" if e.promotion.automated else "manual"
        promotion = f"from {e.promotion.source} ({how}): {', '.join(e.promotion.criteria)}"
        _row(
            t, env, e.purpose, e.stability_note or e.stability, e.access_roles, promotion,
            f"{e.migration.approach} / {e.migration.rollback}", windows,
        )  # fmt: skip
    return t


def _windows(primary: Sequence[str], secondary: Sequence[str], outside: str, emergency: str) -> str:
    parts = [*primary, *(f"{w} (secondary)" for w in secondary)]
    if outside != "none":
        parts.append(outside.replace("_", "-"))
    parts.append(f"emergency: {emergency.replace('_', ' ')}")
    return "; ".join(parts)


def _stakeholders(s: Settings) -> Table:
    t = _table(
        "Stakeholders (§11.1)", "Role", "Release notification", "Deployment window",
        "Post-release", "Emergency", "Channels",
    )  # fmt: skip
    for role, st in s.communication.stakeholders.items():
        _row(t, role, st.release_notification, st.deployment_window, st.post_release, st.emergency,
             st.channels)  # fmt: skip
    return t


def _emergency(s: Settings) -> Table:
    hotfix = ", ".join(s.emergency.hotfix_severities)
    t = _table(f"Severities (§13.1; hotfix path: {hotfix})", "Severity", "Criteria", "Examples")
    for sid, sev in s.severities.items():
        _row(t, f"{sid} - {sev.name}", sev.criteria, sev.examples)
    for role, seat in s.emergency.cab.items():
        # channels: how the seat hears the emergency messages besides its §11.1 row
        heard = ", ".join(seat.channels) or "its §11.1 row only"
        _row(t, f"CAB: {seat.title}", seat.responsibility,
             f"{role} ({seat.contact}); emergency messages: {heard}")  # fmt: skip
    return t


def _thresholds(s: Settings) -> Table:
    t = _table("Monitoring thresholds (§14.2)", "Metric", "Alert when", "Severity")
    for th in s.thresholds.values():
        _row(t, th.metric, f"{th.operator} {th.value:g}{th.unit}", th.severity)
    return t


def _people(s: Settings) -> Table:
    t = _table("People", "Id", "Name", "Email", "Roles")
    for pid, p in s.people.items():
        _row(t, pid, p.name, p.email, p.roles)
    return t
