"""Who hears what: the §11.1 stakeholder matrix routes each event kind to people and channels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from notify_factories import PEOPLE, T0, policy, release

from relman.domain.notification_events import (
    deployment_completed,
    deployment_rolled_back,
    deployment_started,
    incident_opened,
    post_release_summary,
    pre_release_notice,
)
from relman.domain.notifications import (
    EventKind,
    NotificationEvent,
    Stakeholder,
    decide_route,
    plan_incident_reminders,
    plan_notifications,
)
from relman.domain.policy import Person
from relman.errors import InvalidInputError

K = EventKind


def _row(cell: str, *channels: str, **routes: tuple[str, ...]) -> Stakeholder:
    return Stakeholder(
        role="r",
        name="R",
        cells={K.RELEASE_NOTIFICATION: cell},
        channels=channels or ("email", "slack"),
        routes={K(k): v for k, v in routes.items()},
    )


@pytest.mark.parametrize(
    ("cell", "channels", "release_types"),
    [
        ("Email summary", ("email",), ()),
        ("Detailed briefing", ("email",), ()),  # no channel named: the first channel
        ("Yes - approval", ("email",), ()),
        ("Notification only", ("email",), ()),
        ("Immediate call", ("phone",), ()),
        ("Slack + Call", ("slack", "phone"), ()),
        ("Email + Call", ("email", "phone"), ()),
        ("Status page", ("status_page",), ()),
        ("In-app notification", ("in_app",), ()),
        ("ServiceNow ticket", ("servicenow",), ()),
        ("Major features only", ("email",), ("major",)),
        ("Hotfix only, by Slack", ("slack",), ("hotfix",)),
    ],
)
def test_a_cell_names_its_channels_or_uses_the_first(
    cell: str, channels: tuple[str, ...], release_types: tuple[str, ...]
) -> None:
    route = decide_route(_row(cell), K.RELEASE_NOTIFICATION)
    assert route is not None
    assert (route.channels, route.release_types, route.detail) == (channels, release_types, cell)


@pytest.mark.parametrize("cell", ["", "No", "none", "-", "—", "N/A"])
def test_an_empty_or_no_cell_tells_nobody(cell: str) -> None:
    assert decide_route(_row(cell), K.RELEASE_NOTIFICATION) is None


def test_an_explicit_route_replaces_the_cell_and_an_empty_one_silences_it() -> None:
    routed = decide_route(_row("Email", release_notification=("slack",)), K.RELEASE_NOTIFICATION)
    assert routed is not None and routed.channels == ("slack",)
    assert decide_route(_row("Email", release_notification=()), K.RELEASE_NOTIFICATION) is None


def _heard(event: NotificationEvent, people: tuple[Person, ...] = PEOPLE) -> set[tuple[str, str]]:
    return {
        (n.recipient, n.channel) for n in plan_notifications(event, policy().matrix, people, T0)
    }


INTERNAL_EMAIL = {
    (p, "email")
    for p in ("chowdhury", "parvin", "dipu", "tanvir", "qamrul", "popy", "users", "support")
}


def test_deployment_window_tells_every_stakeholder_and_customers_get_a_maintenance_notice() -> None:
    event = deployment_started(release(), environment="prod", at=T0, deployment_id="D-1")
    assert _heard(event) == INTERNAL_EMAIL | {("end_customers", "status_page")}


def test_release_notification_reaches_end_customers_only_for_major_releases() -> None:
    def notice(release_type: str) -> NotificationEvent:
        return pre_release_notice(
            release(release_type=release_type),
            deploy_at=T0 + timedelta(hours=48),
            notice=timedelta(hours=48),
            duration=timedelta(hours=1),
            downtime="minimal",
        )

    assert _heard(notice("minor")) == INTERNAL_EMAIL
    assert _heard(notice("major")) == INTERNAL_EMAIL | {("end_customers", "status_page")}


def test_post_release_goes_in_app_to_end_customers() -> None:
    event = post_release_summary(release(), at=T0)
    assert _heard(event) == INTERNAL_EMAIL | {("end_customers", "in_app")}


def test_emergency_calls_the_leads_and_posts_to_slack_and_the_status_page() -> None:
    event = incident_opened(incident_id="INC-1", title="Orders fail", severity="P1", at=T0)
    assert _heard(event) == {
        ("chowdhury", "phone"),  # Immediate call
        ("parvin", "phone"),
        ("dipu", "phone"),
        ("tech_lead", "slack"),  # Slack + Call: the Slack channel once, the person by phone
        ("tanvir", "phone"),
        ("qamrul", "phone"),
        ("qa_lead", "slack"),
        ("popy", "email"),  # Email + Call
        ("popy", "phone"),
        ("users", "email"),  # Email
        ("support_team", "slack"),  # Slack
        ("end_customers", "status_page"),  # Status page
        # the Incident Commander's CAB seat (§13.1): email and phone; Dipu, also DevOps Lead,
        # gets one call for both roles and the email
        ("dipu", "email"),
    }


def test_rollback_is_told_like_an_emergency() -> None:
    event = deployment_rolled_back(release(), environment="prod", at=T0, reason="error rate 3%")
    assert ("tech_lead", "slack") in _heard(event)
    assert ("chowdhury", "phone") in _heard(event)


def test_deployments_outside_the_announced_environments_tell_nobody() -> None:
    staging = deployment_completed(release(), environment="staging", at=T0, succeeded=True)
    assert _heard(staging) == set()
    everywhere = policy(environments=[]).matrix
    assert plan_notifications(staging, everywhere, PEOPLE, T0)


def test_a_person_with_two_roles_is_told_once_for_both() -> None:
    dora = Person("dora", "Dora", "dora@smartdairy.test", ("project_manager", "tech_lead"))
    event = deployment_started(release(), environment="prod", at=T0)
    notes = plan_notifications(event, policy().matrix, (dora,), T0)
    mine = [n for n in notes if n.recipient == "dora"]
    assert len(mine) == 1
    assert (mine[0].role, mine[0].channel) == ("project_manager,tech_lead", "email")


def test_a_role_nobody_can_be_reached_in_is_still_required_with_the_problem_named() -> None:
    no_mail = Person("chowdhury", "Chowdhury CTO", "", ("cto",))
    event = deployment_started(release(), environment="prod", at=T0)
    notes = plan_notifications(event, policy().matrix, (no_mail,), T0)
    cto = next(n for n in notes if n.role == "cto")
    assert (cto.recipient, cto.address, cto.required) == ("cto", "", True)
    assert cto.problem is not None and "roles = ['cto']" in cto.problem


@pytest.mark.parametrize(
    ("event_kind", "allowance"),
    [("deployment_started", timedelta(minutes=15)), ("post_release", timedelta(hours=24))],
)
def test_each_notification_is_due_with_its_event_and_on_time_for_the_kinds_allowance(
    event_kind: str, allowance: timedelta
) -> None:
    event = NotificationEvent(type=event_kind, subject="R-1", at=T0, facts={"environment": "prod"})
    notes = plan_notifications(event, policy().matrix, PEOPLE, T0 + timedelta(minutes=1))
    assert notes
    assert {(n.due_at, n.deadline, n.queued_at) for n in notes} == {
        (T0, T0 + allowance, T0 + timedelta(minutes=1))
    }


def test_an_event_has_a_stable_key_and_refuses_unknown_types_and_naive_times() -> None:
    a = deployment_started(release(), environment="prod", at=T0, deployment_id="D-7")
    b = deployment_started(release(), environment="prod", at=T0, deployment_id="D-7")
    assert a.key == b.key == "deployment_started:R-1:prod:D-7"
    with pytest.raises(InvalidInputError, match="unknown notification event type 'deployed'"):
        NotificationEvent(type="deployed", subject="R-1", at=T0)
    with pytest.raises(InvalidInputError, match="time-zone aware"):
        NotificationEvent(type="emergency", subject="INC-1", at=T0.replace(tzinfo=None))


def test_incident_reminders_go_to_the_update_roles_every_30_minutes() -> None:
    reminders = plan_incident_reminders(
        incident_id="INC-1",
        matrix=policy().matrix,
        people=PEOPLE,
        start=T0,
        every=timedelta(minutes=30),
        count=3,
        now=T0,
    )
    assert [(n.recipient, n.channel, n.due_at) for n in reminders] == [
        ("dipu", "email", T0 + timedelta(minutes=30 * i)) for i in (1, 2, 3)
    ]
    assert not any(n.required for n in reminders)
    assert len({n.event_key for n in reminders}) == 3
