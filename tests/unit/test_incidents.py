"""Incidents and retrospectives (J-003 §2.3, §13.1, §14.4): pure rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from release_factories import make_release

from relman.domain.incidents import (
    Incident,
    compute_next_incident_id,
    decide_close,
    decide_link_hotfix,
    decide_open,
    decide_update,
)
from relman.domain.releases import Phase
from relman.domain.retrospectives import (
    Retrospective,
    compute_retro_due,
    compute_retro_metrics,
    decide_new_retro,
    list_due_retrospectives,
)
from relman.errors import ConflictError, InvalidInputError
from relman.policy_settings.calendar import resolve_incident_policy
from relman.settings import Settings

T0 = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)  # 10:00 BDT
DHAKA = ZoneInfo("Asia/Dhaka")
POLICY = resolve_incident_policy(Settings().severities, Settings().emergency)


def incident(**kw: object) -> Incident:
    opened, _ = decide_open(
        incident_id="INC-1", severity="P1", title="Payments down", description="502",
        actor="ikram", now=T0, policy=POLICY,
    )  # fmt: skip
    return replace(opened, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("severity", "hotfix_path", "story"),
    [
        ("P1", True, "opened as P1 Critical: System down, no workaround (hotfix path)"),
        ("p2", True, "opened as P2 High: Major feature broken, workaround exists (hotfix path)"),
        ("P3", False, "opened as P3 Medium: Minor feature issues"),
        (" P4 ", False, "opened as P4 Low: Cosmetic issues"),
    ],
)
def test_severity_criteria_come_from_the_policy(
    severity: str, hotfix_path: bool, story: str
) -> None:
    opened, first = decide_open(
        incident_id="INC-2", severity=severity, title=" Login broken ", description="",
        actor="ikram", now=T0, policy=POLICY,
    )  # fmt: skip
    assert (opened.severity, opened.title, opened.status) == (
        severity.strip().upper(),
        "Login broken",
        "open",
    )
    assert POLICY.opens_hotfix_path(opened.severity) is hotfix_path
    assert first.text == story


@pytest.mark.parametrize(
    ("severity", "title", "error"),
    [("P5", "x", "unknown severity 'P5' (J-003 §13.1: P1 Critical"), ("P1", "  ", "needs a title")],
)
def test_bad_incidents_are_refused(severity: str, title: str, error: str) -> None:
    with pytest.raises(InvalidInputError, match=error.replace("(", r"\(")):
        decide_open(
            incident_id="INC-1", severity=severity, title=title, description="", actor="x",
            now=T0, policy=POLICY,
        )  # fmt: skip


def test_next_incident_id() -> None:
    assert compute_next_incident_id([]) == "INC-1"
    assert compute_next_incident_id(["INC-2", "INC-10", "x"]) == "INC-11"


def test_updates_change_severity_and_root_cause_and_tell_the_story() -> None:
    changed, stories = decide_update(
        incident(), actor="tanvir", now=T0, policy=POLICY, text="found it", severity="P2",
        root_cause="gateway timeout",
    )  # fmt: skip
    assert (changed.severity, changed.root_cause) == ("P2", "gateway timeout")
    assert [s.kind for s in stories] == ["severity", "root_cause", "update"]
    with pytest.raises(InvalidInputError, match="nothing to update"):
        decide_update(incident(), actor="x", now=T0, policy=POLICY, severity="P1")


def test_hotfix_links_and_closing() -> None:
    linked, stories = decide_link_hotfix(
        incident(), actor="x", now=T0, release_id="R-1", branch="hotfix/a"
    )
    assert (linked.hotfix_release_id, linked.hotfix_branch) == ("R-1", "hotfix/a")
    assert [s.kind for s in stories] == ["hotfix", "branch"]
    assert decide_link_hotfix(linked, actor="x", now=T0, release_id="R-1")[1] == []
    with pytest.raises(ConflictError, match="already has hotfix release R-1"):
        decide_link_hotfix(linked, actor="x", now=T0, release_id="R-2")
    with pytest.raises(InvalidInputError, match="needs a resolution"):
        decide_close(linked, actor="x", now=T0, resolution="")
    closed, story = decide_close(linked, actor="ikram", now=T0, resolution="timeout raised")
    assert (closed.status, closed.closed_by, story.kind) == ("closed", "ikram", "closed")
    for action in (
        lambda: decide_close(closed, actor="x", now=T0, resolution="again"),
        lambda: decide_update(closed, actor="x", now=T0, policy=POLICY, text="late"),
        lambda: decide_link_hotfix(closed, actor="x", now=T0, branch="b"),
    ):
        with pytest.raises(ConflictError, match="is closed"):
            action()


# --- retrospectives ------------------------------------------------------------------------

HOTFIX = make_release(
    release_type="hotfix", version="1.4.1-hotfix.1", target_date=date(2026, 3, 31)
)


@pytest.mark.parametrize(
    ("deployed", "phase", "incidents", "rolled", "expected"),
    [
        # not deployed: no actual date, no defects counted
        (None, Phase.DEPLOY, [], False, (None, None, 0, False)),
        # deployed on the planned day (10:20 BDT = 04:20 UTC)
        (T0 + timedelta(minutes=20), Phase.VERIFY, [], False, (date(2026, 3, 31), 0, 0, False)),
        # deployed 2 days late, 1 incident after the deployment, 1 before it, 1 of another release
        (
            T0 + timedelta(days=2),
            Phase.ROLLED_BACK,
            [
                ("INC-2", "R-1", T0 + timedelta(days=3)),
                ("INC-1", "R-1", T0),
                ("INC-3", "R-9", T0 + timedelta(days=3)),
            ],
            False,
            (date(2026, 4, 2), 2, 1, True),
        ),
        # a rollback seen in the deployments
        (T0, Phase.VERIFY, [], True, (date(2026, 3, 31), 0, 0, True)),
    ],
)
def test_retro_metrics(
    deployed: datetime | None,
    phase: Phase,
    incidents: list[tuple[str, str, datetime]],
    rolled: bool,
    expected: tuple[object, ...],
) -> None:
    release = replace(HOTFIX, deployed_at=deployed, phase=phase)
    found = [incident(id=i, release_id=r, opened_at=at) for i, r, at in incidents]
    m = compute_retro_metrics(release, incidents=found, zone=DHAKA, rolled_back=rolled)
    assert (m.actual_date, m.days_late, m.defects_after_release, m.rollback) == expected
    assert m.planned_date == date(2026, 3, 31)


def test_retro_due_48_hours_after_a_hotfix_deployment_only() -> None:
    within = POLICY.retrospective_within
    assert within == timedelta(hours=48)
    assert compute_retro_due(replace(HOTFIX, deployed_at=T0), within) == T0 + within
    assert compute_retro_due(HOTFIX, within) is None
    assert compute_retro_due(make_release(deployed_at=T0), within) is None  # a minor


def retro(release_id: str, at: datetime) -> Retrospective:
    return Retrospective(release_id, "parvin", at, None, (), {}, "")


@pytest.mark.parametrize(
    ("written", "now", "overdue", "late"),
    [
        (None, T0 + timedelta(hours=47), False, False),
        (None, T0 + timedelta(hours=49), True, False),
        (T0 + timedelta(hours=10), T0 + timedelta(hours=49), False, False),
        (T0 + timedelta(hours=50), T0 + timedelta(hours=51), False, True),
    ],
)
def test_overdue_retrospectives(
    written: datetime | None, now: datetime, overdue: bool, late: bool
) -> None:
    releases = [replace(HOTFIX, deployed_at=T0), make_release(id="R-2", deployed_at=T0)]
    retros = [retro("R-1", written)] if written else []
    [due] = list_due_retrospectives(releases, retros, within=timedelta(hours=48), now=now)
    assert (due.release_id, due.overdue, due.late) == ("R-1", overdue, late)


def test_one_retrospective_per_release_unless_replaced() -> None:
    existing = [retro("R-1", T0)]
    with pytest.raises(ConflictError, match="has a retrospective already"):
        decide_new_retro(HOTFIX, existing)
    decide_new_retro(HOTFIX, existing, replace_existing=True)
    with pytest.raises(ConflictError, match="was cancelled"):
        decide_new_retro(replace(HOTFIX, phase=Phase.CANCELLED), [])
