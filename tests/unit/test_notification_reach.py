"""The emergency CAB hears the emergency column (§13.1), and a message that can reach nobody
is named with the reason: nobody holds the role, no address, the channel is not configured."""

from __future__ import annotations

from typing import Any

import pytest
from notify_factories import PEOPLE, T0, Rig, release

from relman.domain.notification_events import (
    deployment_rolled_back,
    deployment_started,
    incident_opened,
)
from relman.domain.notification_reach import Contact, decide_reach, explain_reach
from relman.domain.notifications import plan_notifications
from relman.domain.outbox import compute_compliance
from relman.domain.policy import Person
from relman.domain.policy_lint import lint_policy
from relman.policy_resolve import build_policy_facts
from relman.policy_settings.models import CommunicationSettings, EmergencySettings
from relman.policy_settings.notifications import NotificationSettings, resolve_notification_policy
from relman.services.notifications import check_reminder_reach, queue_notifications
from relman.settings import validate_settings

OPENED = incident_opened(incident_id="INC-1", title="Orders fail", severity="P1", at=T0)
IKRAM = Person("ikram", "Ikram IC", "ikram@smartdairy.test", ("incident_commander",))


def _matrix(cab: dict[str, Any] | None = None) -> Any:
    emergency = EmergencySettings.model_validate({"cab": cab}) if cab is not None else None
    return resolve_notification_policy(
        NotificationSettings(), CommunicationSettings(), timezone="Asia/Dhaka", emergency=emergency
    ).matrix


def test_the_incident_commander_hears_the_emergency_by_email_and_phone_by_default() -> None:
    notes = plan_notifications(OPENED, _matrix(), (IKRAM,), T0)
    mine = {(n.channel, n.address, n.required) for n in notes if n.recipient == "ikram"}
    assert mine == {("email", "ikram@smartdairy.test", True), ("phone", "ikram", True)}
    assert {n.detail for n in notes if n.recipient == "ikram"} == {
        "Emergency CAB: Overall coordination"
    }


def test_a_person_holding_two_roles_gets_one_message_per_channel() -> None:
    notes = plan_notifications(OPENED, _matrix(), PEOPLE, T0)
    dipu = sorted((n.channel, n.role) for n in notes if n.recipient == "dipu")
    # DevOps Lead "Immediate call" + Incident Commander email and phone: one call, one email
    assert dipu == [
        ("email", "incident_commander"),
        ("phone", "devops_lead,incident_commander"),
    ]


def test_the_cab_seat_hears_only_the_emergency_column() -> None:
    event = deployment_started(release(), environment="prod", at=T0)
    notes = plan_notifications(event, _matrix(), (IKRAM,), T0)
    assert not [n for n in notes if "incident_commander" in n.role]


def test_a_seat_nobody_holds_is_still_required_and_counts_as_missed() -> None:
    notes = plan_notifications(OPENED, _matrix(), PEOPLE[:2], T0)  # no incident commander
    seat = [n for n in notes if n.role == "incident_commander"]
    assert {(n.recipient, n.channel, n.required) for n in seat} == {
        ("incident_commander", "email", True),
        ("incident_commander", "phone", True),
    }
    assert all("roles = ['incident_commander']" in (n.problem or "") for n in seat)
    rig = Rig(people=PEOPLE[:2])
    with rig.uow:
        queue_notifications(rig.uow, OPENED, notifications=rig.notifications)
    report = compute_compliance(rig.rows(), T0)
    assert {m.role for m in report.misses} >= {"incident_commander"}


def test_the_seat_channels_are_policy() -> None:
    silent = _matrix({"incident_commander": {"title": "IC", "responsibility": "x"}})
    assert not [
        n for n in plan_notifications(OPENED, silent, (IKRAM,), T0) if n.recipient == "ikram"
    ]
    slack = _matrix(
        {"incident_commander": {"title": "IC", "responsibility": "x", "channels": ["slack"]}}
    )
    notes = plan_notifications(OPENED, slack, (IKRAM,), T0)
    assert ("incident_commander", "slack") in {(n.recipient, n.channel) for n in notes}


def test_a_seat_responsibility_is_text_not_a_routing_rule() -> None:
    """A matrix cell saying "major ... only" limits a row to major releases; a CAB seat's
    responsibility saying so is a description: the seat still hears every emergency message."""
    seat = {"title": "IC", "responsibility": "Coordinates major incidents only"}
    matrix = _matrix({"incident_commander": {**seat, "channels": ["email"]}})
    rolled_back = deployment_rolled_back(
        release(), environment="prod", at=T0, reason="error rate 5%"
    )
    for event in (OPENED, rolled_back):  # no release type, a minor release
        mine = [
            n for n in plan_notifications(event, matrix, (IKRAM,), T0) if n.recipient == "ikram"
        ]
        assert [(n.channel, n.required) for n in mine] == [("email", True)], event.type
        assert mine[0].detail == "Emergency CAB: Coordinates major incidents only"


def test_a_seat_channel_that_is_no_channel_is_a_lint_error() -> None:
    cab = {"incident_commander": {"title": "IC", "responsibility": "x", "channels": ["pager"]}}
    facts = build_policy_facts(validate_settings({"emergency": {"cab": cab}}))
    found = [(f.level, f.rule, f.where) for f in lint_policy(facts)]
    assert ("error", "unknown-channel", "emergency.cab.incident_commander.channels") in found


def test_decide_reach_names_who_lacks_an_address() -> None:
    nobody = decide_reach("cto", "email", person_channels={"email"}, people=PEOPLE[1:])
    assert nobody.problem == (
        "nobody with role 'cto' can be reached by email: add a [people.<id>] with "
        "roles = ['cto'] and an email"
    )
    no_mail = Person("chowdhury", "Chowdhury CTO", " ", ("cto",))
    reach = decide_reach("cto", "email", person_channels={"email"}, people=(no_mail,))
    assert reach.problem is not None
    assert "chowdhury has no email (set email in [people.chowdhury])" in reach.problem
    assert "roles = ['cto']" in reach.problem
    phone = decide_reach("cto", "phone", person_channels={"phone"}, people=(no_mail,))
    assert phone.people == ((no_mail, "chowdhury"),)
    assert decide_reach("cto", "slack", person_channels={"email"}, people=()).role_wide


A, B = Contact("a", "email", "ann"), Contact("b", "email", "bob")


@pytest.mark.parametrize(
    ("roles", "contacts", "configured", "expected"),
    [
        (["a", "b"], [A, B], {"email"}, None),
        (["a", "b"], [A], None, "the reminders do not reach b: nothing routed to b "
         "(they reach ann by email)"),
        (["a"], [A, Contact("a", "phone", problem="x")], None, None),  # channels not judged
        (["a", "b"], [A, Contact("b", "email", problem="nobody holds b")], {"email"},
         "the reminders do not reach b: nobody holds b (they reach ann by email)"),
        (["a", "b"], [A, Contact("b", "slack", "b")], {"slack"},
         "the reminders do not reach a: channel 'email' is not configured "
         "(add [notifications.channels.email]) (they reach b by slack)"),
        (["a", "b"], [Contact("a", "email", problem="no mail for a"), A], set(),
         "the reminders reach nobody: a: no mail for a / channel 'email' is not configured "
         "(add [notifications.channels.email]); b: nothing routed to b"),
    ],
)  # fmt: skip
def test_explain_reach_names_each_role_reached_by_nothing(
    roles: list[str], contacts: list[Contact], configured: set[str] | None, expected: str | None
) -> None:
    got = explain_reach(
        "the reminders", roles, contacts, configured=configured, no_route="nothing routed to {role}"
    )
    assert got == expected


def test_the_reminder_warning_follows_the_routing_that_schedules_them() -> None:
    rig = Rig()  # Dipu (DevOps Lead, Incident Commander) has an email; email is configured
    assert check_reminder_reach(rig.notifications, incident_id="INC-1") is None
    no_mail = Person("dipu", "Dipu DevOps", "", ("devops_lead", "incident_commander"))
    warning = check_reminder_reach(Rig(people=(no_mail,)).notifications, incident_id="INC-1")
    assert warning is not None
    assert warning.startswith(
        'the "next update in 30 minutes" reminders of INC-1 (notifications.incident_update_roles)'
        " reach nobody: incident_commander: nobody with role 'incident_commander' can be "
        "reached by email: dipu has no email"
    )
    assert "; devops_lead: nobody with role 'devops_lead'" in warning
    unwired = check_reminder_reach(Rig(channels=("slack",)).notifications, incident_id="INC-1")
    assert unwired is not None and "reach nobody" in unwired
    assert "channel 'email' is not configured" in unwired
    quiet = Rig(incident_reminders=0).notifications
    assert check_reminder_reach(quiet, incident_id="INC-1") is None
