"""Who the incident messages reach (J-003 §11.2, §13.1): the rest of
`relman.services.incidents`.

When the emergency messages can reach nobody of an emergency CAB seat, or the "next update in
30 minutes" reminders nobody of an update role (nobody holds it, no address, its channel not
configured), the incident commands warn, naming them and why; opening also records each
warning in the incident's story (kind ``unreachable``). ``describe_cab_notice`` is the story's
"emergency CAB notified" line: which seats the emergency messages are addressed to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relman.domain.outbox import OutboxEntry
    from relman.services.incidents import Incidents


def describe_cab_notice(cab_roles: Sequence[str], queued: Sequence[OutboxEntry]) -> str:
    """Which §13.1 CAB seats the emergency notifications are addressed to (and which not).
    A row for a person holding several roles names them all (``devops_lead,incident_commander``)."""
    reached = {role for row in queued for role in row.role.split(",")}
    seats = [r for r in cab_roles if r in reached]
    missed = [r for r in cab_roles if r not in reached]
    text = f"emergency CAB notified: {len(queued)} notifications queued"
    if seats:
        text += f" (CAB seats: {', '.join(seats)})"
    if missed:
        text += f"; no emergency message routed to: {', '.join(missed)}"
    return text


def check_reach(
    inc: Incidents, incident_id: str, queued: Sequence[OutboxEntry] | None = None
) -> list[str]:
    """Warnings for the messages of ``incident_id`` that reach nobody: the emergency CAB seats
    the ``queued`` emergency messages cannot reach (when given), then the update roles the
    "next update" reminders cannot reach. The incident goes on: these are warnings."""
    notifications = inc.open_notifications()
    if notifications is None:
        return []
    from relman.services.notifications import check_reminder_reach, check_rows_reach

    found: list[str | None] = []
    if queued is not None:
        found.append(
            check_rows_reach(
                notifications,
                what=f"the emergency messages of {incident_id} to the emergency CAB "
                "(emergency.cab)",
                roles=inc.incident_policy.cab_roles,
                rows=queued,
                no_route="no emergency message is routed to it (give the {role} seat "
                "channels, e.g. channels = ['email'], in your [emergency.cab] table: a table "
                "you write replaces the whole default CAB, so keep every seat in it; "
                "relman init writes them all)",
            )
        )
    found.append(check_reminder_reach(notifications, incident_id=incident_id))
    return [w for w in found if w]
