"""Whether a message can reach the people it is for (J-003 §11, §13.1).

`decide_reach` is how routing finds the recipients of one role on one channel: on a person
channel (email, phone) the people holding the role, each at their address; on a role-wide
channel (Slack, a webhook, a feed) the role itself. When nobody can be reached it says why
(``problem``) and how to fix it. `relman.domain.notifications` plans every notification with it.

`explain_reach` judges what was planned for a list of roles (the update roles of the incident
reminders, the seats of the emergency CAB) against the channels that are configured, and returns
one warning naming each role nothing can reach, and why: nobody holds it, its holders have no
address, no message is routed to it, or its channel is not configured. Pure: the configured
channel names come in as an argument.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relman.domain.policy import Person

if TYPE_CHECKING:
    from relman.domain.notifications import StakeholderMatrix


@dataclass(frozen=True)
class Reach:
    """Whom ``channel`` reaches for ``role``: people (person channels) or the role itself."""

    role: str
    channel: str
    people: tuple[tuple[Person, str], ...] = ()  # (person, address), person channels only
    role_wide: bool = False
    problem: str | None = None  # why nobody is reached, with the fix


@dataclass(frozen=True)
class Contact:
    """One planned way to tell ``role``: ``recipient`` over ``channel``, or why not."""

    role: str
    channel: str
    recipient: str = ""
    problem: str | None = None


def decide_reach(
    role: str, channel: str, *, person_channels: Collection[str], people: Iterable[Person]
) -> Reach:
    """Who holding ``role`` can be told over ``channel`` (see the module docstring)."""
    if channel not in person_channels:
        return Reach(role, channel, role_wide=True)
    holders = [p for p in people if role in p.roles]
    reachable = tuple((p, a) for p in holders if (a := address_of(p, channel)))
    if reachable:
        return Reach(role, channel, people=reachable)
    needs = " and an email" if channel == "email" else ""
    fix = f"add a [people.<id>] with roles = ['{role}']{needs}"
    if holders:  # only email can be missing: other person channels address the person id
        ids = ", ".join(p.id for p in holders)
        verb = "has" if len(holders) == 1 else "have"
        fix = f"{ids} {verb} no email (set email in [people.{holders[0].id}]), or {fix}"
    return Reach(
        role, channel, problem=f"nobody with role '{role}' can be reached by {channel}: {fix}"
    )


def address_of(person: Person, channel: str) -> str:
    """A person's address on a person channel: the email, else the id (the gateway knows it)."""
    if channel == "email":
        return person.email.strip()
    return person.id


def list_reminder_reach(matrix: StakeholderMatrix, people: Iterable[Person]) -> list[Reach]:
    """Whom the incident reminders reach: each update role on each update channel."""
    everyone = list(people)
    return [
        decide_reach(role, channel, person_channels=matrix.person_channels, people=everyone)
        for role in matrix.update_roles
        for channel in matrix.update_channels
    ]


def list_contacts(reaches: Iterable[Reach]) -> list[Contact]:
    """The planned contacts of some `Reach` results (one per person, or the role itself)."""
    out: list[Contact] = []
    for reach in reaches:
        if reach.problem is not None:
            out.append(Contact(reach.role, reach.channel, problem=reach.problem))
        elif reach.role_wide:
            out.append(Contact(reach.role, reach.channel, recipient=reach.role))
        else:
            out.extend(Contact(reach.role, reach.channel, p.id) for p, _ in reach.people)
    return out


def explain_reach(
    what: str,
    roles: Sequence[str],
    contacts: Iterable[Contact],
    *,
    configured: Collection[str] | None,
    no_route: str,
) -> str | None:
    """One warning naming every role of ``roles`` that no contact can reach, and why; None when
    each is reached at least once. A contact reaches when it has no problem and its channel is
    configured (``configured`` None: not checked). ``what`` is plural ("the reminders of
    INC-1"); ``no_route`` says why a role with no contact at all gets nothing (``{role}``)."""
    planned = list(contacts)
    reached: list[str] = []
    missed: list[str] = []
    for role in dict.fromkeys(roles):
        mine = [c for c in planned if c.role == role]
        ok = [
            c for c in mine if c.problem is None and (configured is None or c.channel in configured)
        ]
        if ok:
            reached.extend(f"{c.recipient} by {c.channel}" for c in ok)
            continue
        problems = [c.problem for c in mine if c.problem is not None]
        problems += [
            f"channel '{c.channel}' is not configured (add [notifications.channels.{c.channel}])"
            for c in mine
            if c.problem is None
        ]
        reasons = list(dict.fromkeys(problems)) or [no_route.format(role=role)]
        missed.append(f"{role}: {' / '.join(reasons)}")
    if not missed:
        return None
    if not reached:
        return f"{what} reach nobody: {'; '.join(missed)}"
    return (
        f"{what} do not reach {'; '.join(missed)} (they reach {', '.join(dict.fromkeys(reached))})"
    )
