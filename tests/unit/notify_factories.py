"""Builders for notification tests: the J-003 matrix, one person per stakeholder role, a wired
`Notifications` over an in-memory store with recording notifiers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from relman.adapters.templates import NOTIFICATIONS_FOLDER, JinjaNotesRenderer
from relman.domain.outbox import NotificationPolicy
from relman.domain.policy import Person
from relman.domain.releases import Phase, Release
from relman.policy_settings.models import CommunicationSettings
from relman.policy_settings.notifications import (
    NotificationSettings,
    resolve_notification_policy,
)
from relman.services.notifications import Notifications
from relman.testing import FixedClock, InMemoryUnitOfWork, RecordingNotifier

DHAKA = timezone(timedelta(hours=6))
T0 = datetime(2026, 3, 7, 2, 0, tzinfo=DHAKA)  # Saturday, in the prod window

# One person per §11.1 stakeholder role; Dipu also commands incidents.
PEOPLE: tuple[Person, ...] = (
    Person("chowdhury", "Chowdhury CTO", "cto@smartdairy.test", ("cto",)),
    Person("parvin", "Parvin PM", "parvin@smartdairy.test", ("project_manager",)),
    Person("dipu", "Dipu DevOps", "dipu@smartdairy.test", ("devops_lead", "incident_commander")),
    Person("tanvir", "Tanvir TL", "tanvir@smartdairy.test", ("tech_lead",)),
    Person("qamrul", "Qamrul QA", "qamrul@smartdairy.test", ("qa_lead",)),
    Person("popy", "Popy PO", "popy@smartdairy.test", ("product_owner",)),
    Person("users", "Business Users", "users@smartdairy.test", ("business_users",)),
    Person("support", "Support Team", "support@smartdairy.test", ("support_team",)),
)
CHANNELS = ("email", "slack", "phone", "status_page", "in_app")


def policy(**settings: Any) -> NotificationPolicy:
    return resolve_notification_policy(
        NotificationSettings.model_validate(settings),
        CommunicationSettings(),
        timezone="Asia/Dhaka",
    )


def release(
    *,
    release_type: str = "minor",
    version: str = "1.3.0",
    target: date = date(2026, 3, 7),
    phase: Phase = Phase.DEPLOY,
    rid: str = "R-1",
) -> Release:
    return Release(
        id=rid,
        title="Milk collection app",
        release_type=release_type,
        version=version,
        components=("erp",),
        phase=phase,
        planned_by="parvin",
        target_date=target,
        created_at=T0 - timedelta(days=30),
        commit_sha=None,
        scope_commits=("a" * 40, "b" * 40),
        scope_tickets=("SD-101", "SD-102"),
        revision=1,
    )


class Rig:
    """An in-memory store, a fixed clock and a recording notifier per channel."""

    def __init__(
        self,
        *,
        people: tuple[Person, ...] = PEOPLE,
        template_dir: Path | None = None,
        channels: tuple[str, ...] = CHANNELS,
        rand: float = 0.5,
        **settings: Any,
    ) -> None:
        self.uow = InMemoryUnitOfWork()
        self.clock = FixedClock(T0)
        self.notifiers: dict[str, RecordingNotifier] = {c: RecordingNotifier(c) for c in channels}
        self.notifications = Notifications(
            uow_factory=lambda: self.uow,
            policy=policy(**settings),
            people=people,
            renderer=JinjaNotesRenderer(template_dir, package_folder=NOTIFICATIONS_FOLDER),
            clock=self.clock,
            open_notifiers=lambda: self.notifiers,
            context={
                "project": {
                    "name": "Smart Dairy ERP",
                    "support_contact": "release@smartdairy.test",
                    "support_url": "https://support.smartdairy.test",
                },
                "links": {"status": "https://status.smartdairy.test", "issues": "#support"},
                "emergency_contact": "+880 1700 000000",
            },
            downtime={"major": "planned", "minor": "minimal"},
            random=lambda: rand,
        )

    def sent(self, channel: str) -> list[Any]:
        return self.notifiers[channel].sent

    def rows(self) -> list[Any]:
        return list(self.uow.state.outbox)

    def by_status(self) -> Mapping[str, int]:
        out: dict[str, int] = {}
        for row in self.rows():
            out[row.status.value] = out.get(row.status.value, 0) + 1
        return out
