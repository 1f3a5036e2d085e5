"""Deployment strategies as plans (J-003 §8.1): a deployment is a list of steps.

`plan_deployment` turns a strategy, the environment's current layout (which instance runs in
which slot, which slots receive traffic) and what the version needs (a migration, a backup)
into steps. The executor (`relman.services.deployment`) runs them one by one and records each;
every step is idempotent, so a deployment killed half-way is finished by re-running the step it
stopped in. Routes name *slots*, not addresses: the port of an instance is known only once it
has started.

    rolling      N instances (slots i0..iN-1) replaced in batches of at most max_unavailable:
                 drain the batch, stop it, start the new version (health-checked), route it
    blue_green   start the idle colour, smoke-test it, switch, verify, observe; the previous
                 colour stays warm for an instant rollback
    canary       like blue_green, but the new colour gets 5% -> 25% -> 50% -> 100% of the
                 traffic with an analysis of its metrics at each weight
    maintenance  maintenance page on, backup, migrate, deploy, verify, page off

Without nginx (the direct switch) every strategy but canary restarts the single public
instance in place, which is not zero-downtime; the plan says so in its notes. A ``command``
target runs its configured steps (backup, migrate, deploy, health, switch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from relman.domain.layouts import Layout, SlotState
from relman.errors import ConfigError, InvalidInputError

COLOURS: tuple[str, str] = ("blue", "green")
DIRECT_SLOT = "main"
CANARY_WEIGHTS: tuple[int, ...] = (5, 25, 50, 100)
_WEIGHT_SCALE = 10  # canary weights per mille, so two stable slots share 95 % evenly


class Strategy(StrEnum):
    ROLLING = "rolling"
    BLUE_GREEN = "blue_green"
    CANARY = "canary"
    MAINTENANCE = "maintenance"

    @classmethod
    def parse(cls, text: str) -> Strategy:
        value = text.strip().lower().replace("-", "_").replace(" ", "_")
        value = {"bluegreen": "blue_green", "maintenance_window": "maintenance"}.get(value, value)
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(s.value for s in cls)
            raise InvalidInputError(
                f"unknown strategy '{text}' (known: {known})", where="--strategy"
            ) from None


class StepKind(StrEnum):
    INSTALL = "install"  # unpack the verified artifact on the target
    STOP = "stop"  # stop a slot's instance
    BACKUP = "backup"  # pg_dump -Fc + verify (no verified backup, no migration)
    MIGRATE = "migrate"  # the version's database migrations
    MAINTENANCE_ON = "maintenance_on"
    MAINTENANCE_OFF = "maintenance_off"
    START = "start"  # start the version in a slot, wait until healthy
    RESTART = "restart"  # restart the public instance in place (no nginx)
    SMOKE = "smoke"  # smoke-test one instance directly, before it takes traffic
    SWITCH = "switch"  # route traffic to slots with weights
    VERIFY = "verify"  # health checks + smoke tests of what users reach -> evidence, events
    ANALYSE = "analyse"  # canary analysis: the new slot's metrics at one weight
    OBSERVE = "observe"  # observation period against the §14.2 thresholds
    COMMAND = "command"  # a configured step of a command target
    DB_ROLLBACK = "db_rollback"  # reverse migration, else restore the pre-migration backup


# Steps before which nothing users see has changed (a failure there never needs a switch back).
TRAFFIC_KINDS = frozenset({StepKind.SWITCH, StepKind.RESTART, StepKind.MAINTENANCE_ON})


@dataclass(frozen=True)
class PlannedStep:
    kind: StepKind
    title: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PlanRequest:
    """What a plan depends on."""

    strategy: Strategy
    environment: str
    version: str
    layout: Layout
    switch: str = "nginx"  # nginx | direct | command
    migrate: bool = False
    backup: bool = False  # take and verify a backup before migrating
    instances: int = 2
    max_unavailable: int = 1
    canary_weights: Sequence[int] = CANARY_WEIGHTS
    analysis_seconds: float = 60.0
    observation_seconds: float = 300.0
    command_steps: frozenset[str] = frozenset()  # configured steps of a command target
    verify: bool = True  # the target has a URL to verify (command targets may not)


@dataclass(frozen=True)
class DeploymentPlan:
    strategy: Strategy
    steps: tuple[PlannedStep, ...]
    notes: tuple[str, ...] = ()
    zero_downtime: bool = True


def plan_deployment(request: PlanRequest) -> DeploymentPlan:
    """The steps of one deployment (ConfigError when the strategy cannot run here)."""
    if request.switch == "command":
        return _plan_command(request)
    if request.switch == "direct":
        return _plan_direct(request)
    planner = {
        Strategy.ROLLING: _plan_rolling,
        Strategy.BLUE_GREEN: _plan_blue_green,
        Strategy.CANARY: _plan_canary,
        Strategy.MAINTENANCE: _plan_maintenance,
    }[request.strategy]
    return DeploymentPlan(request.strategy, tuple(planner(request)))


# --- shared pieces ------------------------------------------------------------------------------


def _install(r: PlanRequest) -> PlannedStep:
    return PlannedStep(StepKind.INSTALL, f"install {r.version}", {"version": r.version})


def _database(r: PlanRequest) -> list[PlannedStep]:
    steps = []
    if r.migrate and r.backup:
        steps.append(PlannedStep(StepKind.BACKUP, "back up the database (pg_dump -Fc) and verify"))
    if r.migrate:
        steps.append(PlannedStep(StepKind.MIGRATE, f"migrate the database to {r.version}"))
    return steps


def _stop(slot: SlotState, why: str) -> PlannedStep:
    return PlannedStep(
        StepKind.STOP, f"stop {slot.version} in slot {slot.slot} ({why})", {"slot": slot.slot}
    )


def _cleanup(r: PlanRequest, *, keep: Sequence[str] = ()) -> list[PlannedStep]:
    """Stop warm instances older than the live ones: only the live version is kept for rollback."""
    return [
        _stop(s, "older than the live version")
        for s in r.layout.slots
        if s.alive and not s.live and s.slot not in keep
    ]


def _start(slot: str, version: str) -> PlannedStep:
    return PlannedStep(
        StepKind.START,
        f"start {version} in slot {slot} and wait until healthy",
        {"slot": slot, "version": version},
    )


def _smoke(slot: str) -> PlannedStep:
    return PlannedStep(StepKind.SMOKE, f"smoke-test slot {slot} before it takes traffic",
                       {"slot": slot})  # fmt: skip


def _switch(routes: Sequence[tuple[str, int]], title: str) -> PlannedStep:
    return PlannedStep(StepKind.SWITCH, title, {"routes": [[s, w] for s, w in routes]})


def _verify(slot: str | None = None) -> PlannedStep:
    if slot is None:
        return PlannedStep(StepKind.VERIFY, "verify: health checks and smoke tests")
    return PlannedStep(
        StepKind.VERIFY, f"verify slot {slot}: health checks and smoke tests", {"slot": slot}
    )


def _observe(r: PlanRequest, slots: Sequence[str]) -> list[PlannedStep]:
    if r.observation_seconds <= 0:
        return []
    return [
        PlannedStep(
            StepKind.OBSERVE,
            f"observe {', '.join(slots)} for {r.observation_seconds:g}s against the thresholds",
            {"slots": list(slots), "seconds": r.observation_seconds},
        )
    ]


def _idle_colour(layout: Layout) -> str:
    live = {s.slot for s in layout.live}
    return next((c for c in COLOURS if c not in live), COLOURS[0])


# --- strategies ---------------------------------------------------------------------------------


def _plan_blue_green(r: PlanRequest) -> list[PlannedStep]:
    colour = _idle_colour(r.layout)
    return [
        _install(r),
        *_cleanup(r),
        *_database(r),
        _start(colour, r.version),
        _smoke(colour),
        _switch([(colour, 100)], f"switch traffic to {colour} ({r.version})"),
        _verify(),
        *_observe(r, [colour]),
    ]


def _plan_canary(r: PlanRequest) -> list[PlannedStep]:
    weights = list(r.canary_weights)
    if not weights or weights[-1] != 100 or any(not 0 < w <= 100 for w in weights):
        raise ConfigError(
            f"canary weights must rise to 100 (got {weights})", where="canary_weights"
        )
    if weights != sorted(weights):
        raise ConfigError(f"canary weights must rise (got {weights})", where="canary_weights")
    colour = _idle_colour(r.layout)
    stable = [s.slot for s in r.layout.live if s.slot != colour]
    steps = [_install(r), *_cleanup(r), *_database(r), _start(colour, r.version), _smoke(colour)]
    for weight in weights:
        if weight == 100 or not stable:
            steps.append(_switch([(colour, 100)], f"canary {colour}: 100% of the traffic"))
            break
        share = (100 - weight) * _WEIGHT_SCALE // len(stable)
        routes = [(s, share) for s in stable] + [(colour, weight * _WEIGHT_SCALE)]
        steps.append(_switch(routes, f"canary {colour}: {weight}% of the traffic"))
        steps.append(
            PlannedStep(
                StepKind.ANALYSE,
                f"analyse {colour} at {weight}% for {r.analysis_seconds:g}s",
                {"slot": colour, "weight": weight, "seconds": r.analysis_seconds},
            )
        )
    return [*steps, _verify(), *_observe(r, [colour])]


def _plan_maintenance(r: PlanRequest) -> list[PlannedStep]:
    colour = _idle_colour(r.layout)
    return [
        _install(r),
        *_cleanup(r),
        PlannedStep(StepKind.MAINTENANCE_ON, "maintenance page on"),
        *_database(r),
        _start(colour, r.version),
        _switch([(colour, 100)], f"route to {colour} ({r.version}) behind the maintenance page"),
        _verify(colour),
        PlannedStep(StepKind.MAINTENANCE_OFF, "maintenance page off"),
        *_observe(r, [colour]),
    ]


def _plan_rolling(r: PlanRequest) -> list[PlannedStep]:
    n, unavailable = r.instances, r.max_unavailable
    if n < 2 or not 1 <= unavailable < n:
        raise ConfigError(
            f"rolling needs at least 2 instances and 1 <= max_unavailable < instances "
            f"(got instances={n}, max_unavailable={unavailable})",
            where=f"deployments.environments.{r.environment}",
        )
    targets = [f"i{k}" for k in range(n)]
    live = [s.slot for s in r.layout.live]
    steps = [_install(r), *_cleanup(r), *_database(r)]
    # slots that take no traffic yet go first, so a drain never empties the routes
    ordered = sorted(targets, key=lambda s: (s in live, targets.index(s)))
    current = list(live)
    for start in range(0, n, unavailable):
        batch = ordered[start : start + unavailable]
        drained = [s for s in current if s not in batch]
        if any(s in current for s in batch):
            steps.append(_switch([(s, 100) for s in drained], f"drain {', '.join(batch)}"))
            current = drained
        for slot in batch:
            old = r.layout.find(slot)
            if old is not None and old.alive and old.live:
                steps.append(_stop(old, "replaced"))
            steps.append(_start(slot, r.version))
        current = current + [s for s in batch if s not in current]
        steps.append(_switch([(s, 100) for s in current], f"route {', '.join(batch)}"))
    if set(current) != set(targets):
        steps.append(
            _switch([(s, 100) for s in targets], f"route only {', '.join(targets)} ({r.version})")
        )
    return [*steps, _verify(), *_observe(r, targets)]


def _plan_direct(r: PlanRequest) -> DeploymentPlan:
    if r.strategy is Strategy.CANARY:
        raise ConfigError(
            "a canary needs weighted routing, which needs nginx; install nginx or pick "
            "another strategy (the direct switch restarts in place)",
            where=f"deployments.environments.{r.environment}.target.switch",
        )
    notice = (
        f"nginx is not in use on {r.environment}: the {r.strategy.value} deployment restarts "
        "the instance in place, which is NOT zero-downtime (requests fail during the restart)"
    )
    maintenance = r.strategy is Strategy.MAINTENANCE
    steps = [_install(r)]
    if maintenance:
        steps.append(PlannedStep(StepKind.MAINTENANCE_ON, "maintenance page on (recorded only)"))
    steps += _database(r)
    steps.append(
        PlannedStep(
            StepKind.RESTART,
            f"restart the public instance in place with {r.version}",
            {"slot": DIRECT_SLOT, "version": r.version},
        )
    )
    steps.append(_verify())
    if maintenance:
        steps.append(PlannedStep(StepKind.MAINTENANCE_OFF, "maintenance page off"))
    steps += _observe(r, [DIRECT_SLOT])
    return DeploymentPlan(r.strategy, tuple(steps), (notice,), zero_downtime=False)


def _plan_command(r: PlanRequest) -> DeploymentPlan:
    configured = r.command_steps
    if "deploy" not in configured:
        raise ConfigError(
            f"the command target of {r.environment} has no deploy step",
            where=f"deployments.environments.{r.environment}.target.steps.deploy",
        )

    def command(step: str, title: str) -> PlannedStep:
        return PlannedStep(StepKind.COMMAND, title, {"step": step})

    steps: list[PlannedStep] = []
    if r.migrate and r.backup:
        steps.append(
            command("backup", "back up the database (configured command)")
            if "backup" in configured
            else PlannedStep(StepKind.BACKUP, "back up the database (pg_dump -Fc) and verify")
        )
    if r.migrate:
        steps.append(
            command("migrate", f"migrate the database to {r.version} (configured command)")
            if "migrate" in configured
            else PlannedStep(StepKind.MIGRATE, f"migrate the database to {r.version}")
        )
    steps.append(command("deploy", f"deploy {r.version} (configured command)"))
    if "health" in configured:
        steps.append(command("health", f"wait until {r.version} is healthy (configured command)"))
    if "switch" in configured:
        steps.append(command("switch", f"switch traffic to {r.version} (configured command)"))
    if r.verify:
        steps.append(_verify())
        steps += _observe(r, [])
    notes = () if r.verify else ("the command target has no url: smoke tests and monitoring skip",)
    return DeploymentPlan(r.strategy, tuple(steps), notes)
