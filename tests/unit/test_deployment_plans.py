"""Strategies as plans (J-003 §8.1) and the rollback plan (§9.3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from release_factories import NOW

from relman.domain.deployment_records import EnvLock, decide_lock, name_events
from relman.domain.deployment_rollback import plan_rollback
from relman.domain.deployments import PlanRequest, StepKind, Strategy, plan_deployment
from relman.domain.layouts import Layout, SlotState
from relman.errors import ConfigError, InvalidInputError

BLUE_LIVE = Layout((SlotState("blue", "1.0.0", True, "127.0.0.1:9001", 100),))


def kinds(plan: object) -> list[str]:
    return [s.kind.value for s in plan.steps]  # type: ignore[attr-defined]


def req(strategy: str, layout: Layout = BLUE_LIVE, **kw: object) -> PlanRequest:
    return PlanRequest(Strategy.parse(strategy), "prod", "1.1.0", layout, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["blue-green", "blue_green", "BlueGreen", "maintenance-window"])
def test_strategy_names(text: str) -> None:
    assert Strategy.parse(text) in (Strategy.BLUE_GREEN, Strategy.MAINTENANCE)


def test_unknown_strategy() -> None:
    with pytest.raises(InvalidInputError, match="known: rolling, blue_green"):
        Strategy.parse("big-bang")


def test_blue_green_starts_green_smokes_switches_and_keeps_blue() -> None:
    plan = plan_deployment(req("blue_green", migrate=True, backup=True, observation_seconds=30))
    assert kinds(plan) == [
        "install", "backup", "migrate", "start", "smoke", "switch", "verify", "observe",
    ]  # fmt: skip
    assert plan.steps[3].params == {"slot": "green", "version": "1.1.0"}
    assert plan.steps[5].params == {"routes": [["green", 100]]}
    assert not any(s.kind is StepKind.STOP for s in plan.steps)  # blue stays warm


def test_no_backup_step_without_a_migration_and_no_observation_when_zero() -> None:
    plan = plan_deployment(req("blue_green", backup=True, observation_seconds=0))
    assert "backup" not in kinds(plan) and "observe" not in kinds(plan)


def test_an_older_warm_version_is_stopped_first() -> None:
    layout = Layout(
        (
            SlotState("blue", "0.9.0", True, "127.0.0.1:9001", 0),
            SlotState("green", "1.0.0", True, "127.0.0.1:9002", 100),
        )
    )
    plan = plan_deployment(req("blue_green", layout))
    assert kinds(plan)[:3] == ["install", "stop", "start"]
    assert plan.steps[1].params == {"slot": "blue"} and plan.steps[2].params["slot"] == "blue"


def test_canary_weights_with_analysis() -> None:
    plan = plan_deployment(req("canary", analysis_seconds=5))
    switches = [s.params["routes"] for s in plan.steps if s.kind is StepKind.SWITCH]
    assert switches == [
        [["blue", 950], ["green", 50]],
        [["blue", 750], ["green", 250]],
        [["blue", 500], ["green", 500]],
        [["green", 100]],
    ]
    assert kinds(plan).count("analyse") == 3


def test_canary_weights_must_rise_to_100() -> None:
    with pytest.raises(ConfigError, match="rise to 100"):
        plan_deployment(req("canary", canary_weights=(5, 50)))


def test_maintenance_window_order() -> None:
    plan = plan_deployment(req("maintenance", migrate=True, backup=True))
    assert kinds(plan) == [
        "install", "maintenance_on", "backup", "migrate", "start", "switch", "verify",
        "maintenance_off", "observe",
    ]  # fmt: skip
    assert plan.steps[6].params == {"slot": "green"}  # verified directly behind the page


def test_rolling_replaces_instances_in_batches_never_emptying_the_routes() -> None:
    layout = Layout(
        (
            SlotState("i0", "1.0.0", True, "127.0.0.1:9001", 100),
            SlotState("i1", "1.0.0", True, "127.0.0.1:9002", 100),
            SlotState("i2", "1.0.0", True, "127.0.0.1:9003", 100),
        )
    )
    plan = plan_deployment(req("rolling", layout, instances=3, max_unavailable=1))
    for step in plan.steps:
        if step.kind is StepKind.SWITCH:
            assert step.params["routes"]  # type: ignore[truthy-bool]
    starts = [s.params["slot"] for s in plan.steps if s.kind is StepKind.START]
    assert starts == ["i0", "i1", "i2"]
    assert kinds(plan)[1:6] == ["switch", "stop", "start", "switch", "switch"]


def test_rolling_from_blue_green_adds_instances_then_drops_the_colour() -> None:
    plan = plan_deployment(req("rolling", instances=2, max_unavailable=1))
    last_switch = [s for s in plan.steps if s.kind is StepKind.SWITCH][-1]
    assert last_switch.params["routes"] == [["i0", 100], ["i1", 100]]


@pytest.mark.parametrize(("n", "u"), [(1, 1), (2, 2), (3, 0)])
def test_rolling_needs_spare_capacity(n: int, u: int) -> None:
    with pytest.raises(ConfigError, match="rolling needs at least 2 instances"):
        plan_deployment(req("rolling", instances=n, max_unavailable=u))


def test_without_nginx_the_plan_restarts_in_place_and_says_so() -> None:
    plan = plan_deployment(req("blue_green", switch="direct"))
    assert kinds(plan) == ["install", "restart", "verify", "observe"]
    assert not plan.zero_downtime and "NOT zero-downtime" in plan.notes[0]
    with pytest.raises(ConfigError, match="canary needs weighted routing"):
        plan_deployment(req("canary", switch="direct"))


def test_command_target_runs_its_configured_steps() -> None:
    plan = plan_deployment(
        req("rolling", switch="command", migrate=True, backup=True,
            command_steps=frozenset({"deploy", "health", "migrate", "rollback"}))
    )  # fmt: skip
    assert [s.params.get("step", s.kind.value) for s in plan.steps] == [
        "backup", "migrate", "deploy", "health", "verify", "observe",
    ]  # fmt: skip


def test_rollback_of_blue_green_is_one_switch() -> None:
    after = Layout(
        (
            SlotState("blue", "1.0.0", True, "127.0.0.1:9001", 0),
            SlotState("green", "1.1.0", True, "127.0.0.1:9002", 100),
        )
    )
    steps = plan_rollback(previous=BLUE_LIVE, current=after, new_version="1.1.0", migrated=True)
    assert [s.kind.value for s in steps] == ["switch", "db_rollback", "stop", "verify"]
    assert steps[0].params == {"routes": [["blue", 100]], "restores_traffic": True}
    assert steps[2].params == {"slot": "green"}


def test_rollback_before_the_switch_only_cleans_up() -> None:
    during = Layout((*BLUE_LIVE.slots, SlotState("green", "1.1.0", True, "127.0.0.1:9002", 0)))
    steps = plan_rollback(previous=BLUE_LIVE, current=during, new_version="1.1.0", migrated=False)
    assert [s.kind.value for s in steps] == ["stop", "verify"]


def test_rolling_rollback_restarts_the_previous_version_slot_by_slot() -> None:
    before = Layout(
        (
            SlotState("i0", "1.0.0", True, "a:1", 100),
            SlotState("i1", "1.0.0", True, "a:2", 100),
        )
    )
    after = Layout(
        (
            SlotState("i0", "1.1.0", True, "a:3", 100),
            SlotState("i1", "1.1.0", False, "a:4", 0),
        )
    )
    steps = plan_rollback(previous=before, current=after, new_version="1.1.0", migrated=False)
    assert [(s.kind.value, s.params.get("slot")) for s in steps] == [
        ("start", "i1"),
        ("switch", None),
        ("switch", None),
        ("stop", "i0"),
        ("start", "i0"),
        ("switch", None),
        ("verify", None),
    ]
    assert steps[-2].params["restores_traffic"] is True


def test_lock_decisions() -> None:
    lock = EnvLock("prod", "dipu", "D-1", "t", "host", 42, NOW, NOW + timedelta(minutes=5))
    assert decide_lock(None, environment="prod", now=NOW, holder_alive=None).granted
    held = decide_lock(lock, environment="prod", now=NOW, holder_alive=True)
    assert not held.granted and "dipu holds the prod lock for deployment D-1" in held.reason
    assert decide_lock(lock, environment="prod", now=NOW, holder_alive=False).takeover
    later = NOW + timedelta(minutes=6)
    assert decide_lock(lock, environment="prod", now=later, holder_alive=None).takeover


def test_event_names_for_production() -> None:
    assert name_events("deployed", "prod", production="prod") == (
        "deployed:prod",
        "deployed:production",
    )
    assert name_events("smoke_passed", "staging", production="prod") == ("smoke_passed:staging",)
