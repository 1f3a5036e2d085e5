"""A release's downtime measured from its recorded production deployments (J-003 §14.4), and
the retrospective's downtime metric: measured, given (--downtime overrides it) or unknown."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from release_factories import make_release

from relman.domain.deployment_records import (
    Deployment,
    DeploymentStatus,
    DeploymentStep,
    StepStatus,
)
from relman.domain.deployments import PlanRequest, Strategy, plan_deployment
from relman.domain.downtime import FAILURE, MAINTENANCE, RESTART, compute_downtime
from relman.domain.layouts import Layout
from relman.domain.retrospectives import compute_retro_metrics

T0 = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)  # 10:00 in Dhaka
DHAKA = ZoneInfo("Asia/Dhaka")
STEP = timedelta(minutes=1)  # every step that ran takes a minute

Record = tuple[Deployment, list[DeploymentStep]]


def record(
    spec: str,
    *,
    status: str = "succeeded",
    dep_id: str = "D-1",
    env: str = "prod",
    strategy: str = "blue_green",
    start: datetime = T0,
    manual_after: timedelta | None = None,
) -> Record:
    """A deployment as the engine records it, from ``"forward steps | rollback steps"``: each
    step that ran takes a minute; ``kind!`` failed (the trigger is its end), ``kind~`` was
    running when relman died, ``-kind`` never started, ``kind*`` restored the traffic (rollback).
    ``manual_after``: the rollback was declared by hand this long after the last forward step.
    The new version took traffic at the end of the first forward switch or restart that ran."""
    forward, _, back = spec.partition("|")
    steps: list[DeploymentStep] = []
    at = start
    switched = trigger = restored = None
    for phase, words in (("forward", forward.split()), ("rollback", back.split())):
        if phase == "rollback" and manual_after is not None:
            at += manual_after
            trigger = at
        for word in words:
            kind = word.strip("!~*-")
            if word.startswith("-"):
                steps.append(DeploymentStep(dep_id, len(steps), phase, kind, kind))
                continue
            if word.endswith("~"):
                steps.append(
                    DeploymentStep(
                        dep_id,
                        len(steps),
                        phase,
                        kind,
                        kind,
                        status=StepStatus.RUNNING,
                        started_at=at,
                    )
                )
                continue
            begun, at = at, at + STEP
            failed = word.endswith("!")
            steps.append(
                DeploymentStep(
                    dep_id,
                    len(steps),
                    phase,
                    kind,
                    kind,
                    status=StepStatus.FAILED if failed else StepStatus.DONE,
                    started_at=begun,
                    ended_at=at,
                )
            )
            trigger = trigger or (at if failed else None)
            if phase == "forward" and kind in ("switch", "restart") and not failed:
                switched = switched or at
            restored = restored or (at if word.endswith("*") else None)
    state = DeploymentStatus(status)
    rollback: dict[str, object] | None = None
    if trigger is not None:
        rollback = {"trigger_detected_at": trigger.isoformat(), "reason": "bad"}
        if restored is not None:
            rollback["traffic_restored_at"] = restored.isoformat()
    dep = Deployment(
        id=dep_id,
        release_id="R-1",
        environment=env,
        version="1.4.1",
        digest="a" * 64,
        artifact="/kept/a.tar.gz",
        strategy=strategy,
        status=state,
        actor="dipu",
        created_at=start,
        started_at=start,
        rollback=rollback,
        finished_at=None if state.is_open else at,
        results={"traffic_switched_at": switched.isoformat()} if switched else {},
    )
    return dep, steps


def ended_before_start(rec: Record, kind: str, by: timedelta) -> Record:
    """``rec`` with the end of its ``kind`` steps recorded ``by`` before their start (the
    host's clock stepped back meanwhile)."""
    dep, steps = rec
    return dep, [
        replace(s, ended_at=s.started_at - by) if s.kind == kind and s.started_at else s
        for s in steps
    ]


BLUE_GREEN = "install start smoke switch verify observe"
MAINTENANCE_PLAN = (
    "install maintenance_on backup migrate start switch verify maintenance_off observe"
)
DIRECT = "install restart verify observe"


@pytest.mark.parametrize(
    ("records", "seconds", "complete", "causes"),
    [
        pytest.param([record(BLUE_GREEN)], 0, True, [], id="blue-green behind nginx"),
        pytest.param(
            [
                record(
                    "install switch stop start switch switch stop start switch verify observe",
                    strategy="rolling",
                )
            ],
            0,
            True,
            [],
            id="rolling",
        ),
        pytest.param(
            [record("install start smoke switch analyse switch verify observe", strategy="canary")],
            0,
            True,
            [],
            id="canary",
        ),
        # maintenance_on starts at +1 min, maintenance_off ends at +8 min
        pytest.param(
            [record(MAINTENANCE_PLAN, strategy="maintenance")],
            7 * 60,
            True,
            [MAINTENANCE],
            id="maintenance window: page on to page off",
        ),
        pytest.param([record(DIRECT)], 60, True, [RESTART], id="direct switch: the restart"),
        pytest.param(
            [
                record(
                    "install maintenance_on restart verify maintenance_off observe",
                    strategy="maintenance",
                )
            ],
            60,
            True,
            [RESTART],
            id="direct maintenance: the page is recorded only",
        ),
        # trigger at the end of verify (+5), traffic back after one more minute
        pytest.param(
            [
                record(
                    "install start smoke switch verify! -observe | switch* stop verify",
                    status="rolled_back",
                )
            ],
            60,
            True,
            [FAILURE],
            id="failed after the switch: trigger to traffic restored",
        ),
        # D-1's restart "ended" 30 s before it started; D-2's window (7 min) overlaps it
        pytest.param(
            [
                ended_before_start(record(DIRECT), "restart", timedelta(seconds=30)),
                record(MAINTENANCE_PLAN, dep_id="D-2", strategy="maintenance"),
            ],
            7 * 60,
            True,
            [RESTART, MAINTENANCE],
            id="a restart ending before its start counts nothing",
        ),
        pytest.param(
            [record("install start! -smoke -switch -verify | stop", status="rolled_back")],
            0,
            True,
            [],
            id="failed before it took traffic",
        ),
        # page on at +1, migrate fails at +3, rollback: page off ends at +4, then the database
        pytest.param(
            [
                record(
                    "install maintenance_on migrate! -start -switch -verify -maintenance_off "
                    "| maintenance_off db_rollback",
                    status="rolled_back",
                    strategy="maintenance",
                )
            ],
            3 * 60,
            True,
            [MAINTENANCE],
            id="maintenance failed: page on until the rollback",
        ),
        # page on at +1, verify fails at +6, traffic back at +7, page off at +8
        pytest.param(
            [
                record(
                    "install maintenance_on migrate start switch verify! -maintenance_off "
                    "| switch* maintenance_off db_rollback stop",
                    status="rolled_back",
                    strategy="maintenance",
                )
            ],
            7 * 60,
            True,
            [MAINTENANCE, FAILURE],
            id="failure inside the window counts once",
        ),
        # succeeded at +6, declared bad 10 minutes later, switched back in a minute
        pytest.param(
            [
                record(
                    f"{BLUE_GREEN} | switch* stop verify",
                    status="rolled_back",
                    manual_after=timedelta(minutes=10),
                )
            ],
            60,
            True,
            [FAILURE],
            id="manual rollback of a succeeded deployment",
        ),
        # direct: the restart fails (+2), the rollback restarts the old version (+3)
        pytest.param(
            [record("install restart! -verify | restart*", status="rolled_back")],
            2 * 60,
            True,
            [RESTART, RESTART, FAILURE],
            id="direct restart failed and restored",
        ),
        pytest.param(
            [record("install start smoke switch verify! | switch!", status="failed")],
            60,
            False,
            [FAILURE],
            id="rollback failed: no recorded end, a lower bound",
        ),
        pytest.param(
            [record("install maintenance_on migrate~", status="running", strategy="maintenance")],
            60,
            False,
            [MAINTENANCE],
            id="still running behind the page",
        ),
        pytest.param(
            [
                record(
                    "install maintenance_on! -start | stop",
                    status="rolled_back",
                    strategy="maintenance",
                )
            ],
            0,
            True,
            [],
            id="the page never went on",
        ),
        pytest.param(
            [record("command command verify observe")],
            0,
            False,
            [],
            id="command target",
        ),
        pytest.param(
            [
                record(MAINTENANCE_PLAN, status="dry_run", strategy="maintenance"),
                record(MAINTENANCE_PLAN, env="staging", dep_id="D-2", strategy="maintenance"),
            ],
            0,
            True,
            [],
            id="dry runs and other environments do not count",
        ),
        # a failed blue-green (1 min) and, an hour later, a maintenance window (7 min)
        pytest.param(
            [
                record("install start smoke switch verify! | switch* stop", status="rolled_back"),
                record(
                    MAINTENANCE_PLAN,
                    dep_id="D-2",
                    strategy="maintenance",
                    start=T0 + timedelta(hours=1),
                ),
            ],
            8 * 60,
            True,
            [FAILURE, MAINTENANCE],
            id="two deployments add up",
        ),
    ],
)
def test_downtime_from_the_recorded_deployments(
    records: list[Record], seconds: float, complete: bool, causes: list[str]
) -> None:
    measure = compute_downtime(records, production="prod")
    assert measure.seconds == seconds
    assert measure.minutes == round(seconds / 60, 2)
    assert measure.complete is complete, measure.notes
    assert [s.cause for s in measure.spans] == causes


def test_what_a_lower_bound_says_is_missing() -> None:
    failed = record("install start smoke switch verify! | switch!", status="failed")
    running = record(
        "install maintenance_on migrate~",
        status="running",
        dep_id="D-2",
        start=T0 + timedelta(hours=1),
        strategy="maintenance",
    )
    command = record("command verify", dep_id="D-3", start=T0 + timedelta(hours=2))
    measure = compute_downtime([failed, running, command], production="prod")
    assert measure.notes == (
        "D-1: the failure until traffic was restored has no recorded end",
        "D-2 is still running",
        "D-2: the maintenance page has no recorded end",
        "D-3 ran configured commands: relman cannot see whether they interrupted the service",
    )
    assert [(s.deployment_id, s.open) for s in measure.spans] == [("D-1", True), ("D-2", True)]


def test_the_planner_records_what_the_measure_reads() -> None:
    """The maintenance strategy is planned with a page on and off, the direct switch with a
    restart: the step kinds the measure looks for."""

    def kinds(strategy: Strategy, switch: str) -> list[str]:
        request = PlanRequest(
            strategy, "prod", "1.4.1", Layout(()), switch=switch, migrate=True, backup=True
        )
        return [s.kind.value for s in plan_deployment(request).steps]

    nginx = kinds(Strategy.MAINTENANCE, "nginx")
    assert nginx.index("maintenance_on") < nginx.index("switch") < nginx.index("maintenance_off")
    assert "restart" in kinds(Strategy.MAINTENANCE, "direct")
    assert "restart" not in kinds(Strategy.BLUE_GREEN, "nginx")
    assert " ".join(nginx) == MAINTENANCE_PLAN


HOTFIX = make_release(release_type="hotfix", version="1.4.1", target_date=date(2026, 3, 31))
WINDOW = record(MAINTENANCE_PLAN, strategy="maintenance")
FAILED = record("install start smoke switch verify! | switch!", status="failed")


@pytest.mark.parametrize(
    ("records", "given", "minutes", "source", "note"),
    [
        pytest.param(
            [WINDOW],
            None,
            7,
            "measured",
            "measured from the production deployments: D-1 maintenance page "
            "2026-03-31 10:01:00-10:08:00, 7.0 min",
            id="measured",
        ),
        pytest.param(
            [WINDOW],
            12.5,
            12.5,
            "given",
            "given by hand (--downtime); measured from the production deployments: 7 minutes "
            "(D-1 maintenance page 2026-03-31 10:01:00-10:08:00, 7.0 min)",
            id="given overrides the measure and keeps it",
        ),
        pytest.param(
            [record(BLUE_GREEN)],
            None,
            0,
            "measured",
            "measured from the production deployments: no downtime recorded by D-1 (blue_green)",
            id="zero-downtime switch",
        ),
        pytest.param(
            [FAILED],
            None,
            1,
            "measured",
            "measured from the production deployments: D-1 failure until traffic was restored "
            "2026-03-31 10:05:00-10:06:00 (no recorded end), 1.0 min; D-1: the failure until "
            "traffic was restored has no recorded end",
            id="lower bound",
        ),
        pytest.param(
            [],
            None,
            None,
            "unknown",
            "no production deployment recorded to measure it from",
            id="nothing recorded",
        ),
        pytest.param(
            [],
            4,
            4,
            "given",
            "given by hand (--downtime); no production deployment recorded",
            id="given without deployments",
        ),
    ],
)
def test_the_retrospective_says_where_its_downtime_comes_from(
    records: list[Record], given: float | None, minutes: float | None, source: str, note: str
) -> None:
    measure = compute_downtime(records, production="prod")
    release = replace(HOTFIX, deployed_at=T0)
    metrics = compute_retro_metrics(
        release, incidents=[], zone=DHAKA, downtime_minutes=given, downtime=measure
    )
    shown = metrics.as_dict()
    assert (shown["downtime_minutes"], shown["downtime_source"]) == (minutes, source)
    assert shown["downtime_note"] == note
    measured = shown["downtime_measured"]
    if records:
        assert isinstance(measured, dict)
        assert measured["minutes"] == measure.minutes
        assert measured["deployments"] == [{"id": "D-1", "strategy": records[0][0].strategy}]
    else:
        assert measured is None
