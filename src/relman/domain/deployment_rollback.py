"""The steps that take an environment back to where a deployment found it (J-003 §9.3).

`plan_rollback` compares the layout recorded before the deployment with the layout now:

1. every slot that served the previous version and no longer runs it is restarted with it
   (drained first when it is routed, so traffic keeps flowing: a rolling rollback);
2. traffic is switched back to the previous routes (for blue-green and canary the previous
   colour is still warm, so this is the whole application rollback); the rollback time is
   measured up to the end of this step;
3. the maintenance page goes off if the deployment turned it on;
4. the database goes back (reverse migration script, else the pre-migration backup) when the
   deployment migrated it;
5. instances of the new version are stopped;
6. what users reach is verified again (health and smoke tests).

Every step is idempotent: a rollback interrupted by a crash is finished by planning again.
"""

from __future__ import annotations

from collections.abc import Sequence

from relman.domain.deployments import DIRECT_SLOT, PlannedStep, StepKind
from relman.domain.layouts import Layout


def plan_rollback(
    *,
    previous: Layout,
    current: Layout,
    new_version: str,
    migrated: bool,
    switch: str = "nginx",
    command_steps: frozenset[str] = frozenset(),
    verify: bool = True,
) -> tuple[PlannedStep, ...]:
    """The rollback steps; ``migrated``: the deployment ran (or started) its migration."""
    if switch == "command":
        steps = _command(previous, new_version, migrated, command_steps)
    elif switch == "direct":
        steps = _direct(previous, current, migrated)
    else:
        steps = _nginx(previous, current, new_version, migrated)
    if verify and previous.live:
        steps.append(
            PlannedStep(
                StepKind.VERIFY,
                f"verify {', '.join(previous.live_versions)}: health checks and smoke tests",
                {"rollback": True},
            )
        )
    return tuple(steps)


def _switch(routes: dict[str, int], title: str, *, restores: bool = False) -> PlannedStep:
    params: dict[str, object] = {"routes": [[s, w] for s, w in routes.items()]}
    if restores:
        params["restores_traffic"] = True
    return PlannedStep(StepKind.SWITCH, title, params)


def _db(migrated: bool) -> list[PlannedStep]:
    if not migrated:
        return []
    return [
        PlannedStep(
            StepKind.DB_ROLLBACK,
            "roll the database back (reverse migration, else the pre-migration backup)",
        )
    ]


def _nginx(
    previous: Layout, current: Layout, new_version: str, migrated: bool
) -> list[PlannedStep]:
    prev_live = previous.live
    routes = {s.slot: s.weight for s in current.live}
    wanted = {s.slot: s.weight for s in prev_live}
    restore = [s for s in prev_live if not _runs(current, s.slot, s.version)]
    restore.sort(key=lambda s: s.slot in routes)  # unrouted first: a drain never empties
    steps: list[PlannedStep] = []
    for n, slot in enumerate(restore):
        if slot.slot in routes and len(routes) > 1:
            routes = {k: w for k, w in routes.items() if k != slot.slot}
            steps.append(_switch(routes, f"drain {slot.slot}"))
        now = current.find(slot.slot)
        if now is not None and now.alive:
            steps.append(
                PlannedStep(
                    StepKind.STOP, f"stop {now.version} in slot {slot.slot}", {"slot": slot.slot}
                )
            )
        steps.append(
            PlannedStep(
                StepKind.START,
                f"start {slot.version} in slot {slot.slot} and wait until healthy",
                {"slot": slot.slot, "version": slot.version},
            )
        )
        if n < len(restore) - 1:
            routes = {**routes, slot.slot: slot.weight}
            steps.append(_switch(routes, f"route {slot.slot} ({slot.version})"))
    if restore or routes != wanted:
        shown = ", ".join(previous.live_versions) or "no version (nothing was live before)"
        steps.append(_switch(wanted, f"switch traffic back to {shown}", restores=True))
    if current.maintenance and not previous.maintenance:
        steps.append(PlannedStep(StepKind.MAINTENANCE_OFF, "maintenance page off"))
    steps += _db(migrated)
    kept = {s.slot for s in prev_live}
    steps += [
        PlannedStep(StepKind.STOP, f"stop {s.version} in slot {s.slot}", {"slot": s.slot})
        for s in current.slots
        if s.alive and s.slot not in kept and s.version == new_version
    ]
    return steps


def _runs(layout: Layout, slot: str, version: str) -> bool:
    found = layout.find(slot)
    return found is not None and found.alive and found.version == version


def _direct(previous: Layout, current: Layout, migrated: bool) -> list[PlannedStep]:
    steps: list[PlannedStep] = []
    before = previous.find(DIRECT_SLOT)
    if before is not None and before.live and not _runs(current, DIRECT_SLOT, before.version):
        steps.append(
            PlannedStep(
                StepKind.RESTART,
                f"restart the public instance in place with {before.version}",
                {"slot": DIRECT_SLOT, "version": before.version, "restores_traffic": True},
            )
        )
    if current.maintenance and not previous.maintenance:
        steps.append(PlannedStep(StepKind.MAINTENANCE_OFF, "maintenance page off"))
    return steps + _db(migrated)


def _command(
    previous: Layout, new_version: str, migrated: bool, configured: Sequence[str] | frozenset[str]
) -> list[PlannedStep]:
    steps: list[PlannedStep] = []
    if previous.live_versions and "rollback" in configured:
        steps.append(
            PlannedStep(
                StepKind.COMMAND,
                f"roll back to {previous.live_versions[0]} (configured command)",
                {"step": "rollback", "restores_traffic": True},
            )
        )
    if migrated:
        if "restore" in configured:
            steps.append(
                PlannedStep(
                    StepKind.COMMAND,
                    f"restore the database backup taken before {new_version} (configured command)",
                    {"step": "restore"},
                )
            )
        else:
            steps += _db(migrated)
    return steps
