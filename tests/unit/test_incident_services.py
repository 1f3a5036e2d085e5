"""Incident use cases on the in-memory store: the hotfix checklist ticked from events, one
transaction per use case, nothing written on a refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from release_factories import NOW, make_policy, make_release

from relman.domain.checklists import plan_checklists
from relman.domain.outbox import DeliveryStatus, OutboxEntry
from relman.errors import ConflictError, NotFoundError
from relman.policy_settings.calendar import resolve_incident_policy
from relman.services.incident_updates import close_incident, update_incident
from relman.services.incidents import FlowTools, Incidents, open_incident
from relman.services.lifecycle import Lifecycle
from relman.settings import Settings
from relman.testing import FixedClock, InMemoryUnitOfWork


def unused() -> Any:
    raise AssertionError("not used by these use cases")


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


@pytest.fixture
def inc(uow: InMemoryUnitOfWork) -> Incidents:
    s = Settings()
    lifecycle = Lifecycle(
        uow_factory=lambda: uow,
        policy=make_policy(),
        clock=FixedClock(NOW),
        versioning=unused,  # type: ignore[arg-type]
        open_git=unused,
    )
    return Incidents(
        lifecycle=lifecycle,
        incident_policy=resolve_incident_policy(s.severities, s.emergency),
        open_notifications=lambda: None,
        open_flow=lambda: FlowTools(unused(), unused(), unused(), unused()),
    )


def hotfix_for(uow: InMemoryUnitOfWork, incident_id: str) -> str:
    """A hotfix release with its checklists, linked to the incident (as `create_hotfix` does)."""
    import dataclasses

    release = make_release(release_type="hotfix", version="1.4.1-hotfix.1", deployed_at=NOW)
    with uow:
        uow.releases.add(release)
        for item in plan_checklists(release, make_policy()):
            uow.checklists.add(item)
        incident = uow.incidents.get(incident_id)
        uow.incidents.update(
            dataclasses.replace(incident, hotfix_release_id=release.id), incident.revision
        )
    return release.id


def emergency_row(recipient: str, status: DeliveryStatus) -> OutboxEntry:
    return OutboxEntry(
        event_key="emergency:INC-1", event_type="emergency", kind="emergency", subject="INC-1",
        recipient=recipient, recipient_name=recipient, role="devops_lead", channel="email",
        address=f"{recipient}@x.test", template="emergency", required=True, event_at=NOW,
        due_at=NOW, deadline=NOW + timedelta(minutes=15), created_at=NOW, status=status,
    )  # fmt: skip


def ticked(uow: InMemoryUnitOfWork, release_id: str) -> dict[str, str | None]:
    with uow:
        return {i.item_id: i.proof for i in uow.checklists.list(release_id) if i.is_ticked}


@pytest.mark.parametrize(
    ("statuses", "notified"),
    [
        ((DeliveryStatus.SENT, DeliveryStatus.SENT), True),
        ((DeliveryStatus.SENT, DeliveryStatus.FAILED), False),  # not every one delivered yet
        ((), False),
    ],
)
def test_stakeholders_notified_is_ticked_once_every_emergency_message_is_delivered(
    inc: Incidents, uow: InMemoryUnitOfWork, statuses: tuple[DeliveryStatus, ...], notified: bool
) -> None:
    opened = open_incident(inc, severity="P1", title="Payments down", actor="dipu", hotfix=False)
    release_id = hotfix_for(uow, opened.incident.id)
    with uow:
        uow.outbox.add([emergency_row(f"p{n}", s) for n, s in enumerate(statuses)])
    update_incident(inc, incident_id="INC-1", actor="dipu", root_cause="timeout of 2 s")
    items = ticked(uow, release_id)
    assert items.get("13.1-3") == "incident INC-1: root cause timeout of 2 s"
    assert items.get("13.1-11") == "incident INC-1 updated after the deployment"
    assert ("13.1-6" in items) is notified


def test_a_p3_takes_no_hotfix_path_and_updates_are_audited(
    inc: Incidents, uow: InMemoryUnitOfWork
) -> None:
    opened = open_incident(inc, severity="P3", title="Typo", actor="dipu")
    assert (opened.hotfix, opened.notified, opened.warnings) == (None, 0, ())
    update_incident(inc, incident_id="INC-1", actor="parvin", message="fixed in 1.5.0")
    close_incident(inc, incident_id="INC-1", actor="parvin", resolution="shipped in 1.5.0")
    with uow:
        actions = [e.action for e in uow.audit.list(subject="INC-1")]
        kinds = [u.kind for u in uow.incidents.list_updates("INC-1")]
    assert actions == ["incident.open", "incident.update", "incident.close"]
    assert kinds == ["opened", "update", "closed"]
    with pytest.raises(ConflictError, match="is closed"):
        close_incident(inc, incident_id="INC-1", actor="parvin", resolution="again")


def test_an_unknown_release_or_person_writes_nothing(
    inc: Incidents, uow: InMemoryUnitOfWork
) -> None:
    with pytest.raises(NotFoundError, match="no release R-9"):
        open_incident(inc, severity="P1", title="x", actor="dipu", release_id="R-9")
    with pytest.raises(NotFoundError, match="unknown person 'nobody'"):
        open_incident(inc, severity="P1", title="x", actor="nobody")
    with uow:
        assert uow.incidents.list() == [] and uow.audit.list() == []
