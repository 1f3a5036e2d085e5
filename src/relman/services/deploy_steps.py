"""Running one deployment step against the environment's ports.

Every step is idempotent: run again after a crash it finds the work done (an installed
version, an instance already healthy in its slot, routes already applied) or does it again.
A step that fails raises; verification steps raise `RollbackNeeded` for a critical issue.
Verification, canary analysis and observation live in `relman.services.deploy_verify`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from relman.domain.backups import require_verified_backup
from relman.domain.deployments import StepKind
from relman.domain.rollback import RollbackTrigger, Severity
from relman.errors import (
    ConfigError,
    IntegrationError,
    NotFoundError,
    RelmanError,
    RollbackFailedError,
)
from relman.ports import Route
from relman.services.deploy_records import Run, add_events

if TYPE_CHECKING:
    from relman.domain.deployment_records import DeploymentStep, StoredBackup
    from relman.ports import DeployTarget, Instance, MigrationRunner, TrafficSwitch


@dataclass(frozen=True)
class StepOutcome:
    outcome: str
    output_tail: str = ""
    data: Mapping[str, object] = field(default_factory=dict)


class RollbackNeeded(Exception):  # noqa: N818 - control flow, not an error a user sees
    """Raised by a step: the deployment must be rolled back (``trigger`` says why)."""

    def __init__(self, trigger: RollbackTrigger, *, automatic: bool = True) -> None:
        super().__init__(trigger.reason)
        self.trigger = trigger
        self.automatic = automatic


def _target(run: Run) -> DeployTarget:
    if run.runtime.target is None:
        raise ConfigError(f"{run.deployment.environment} has no local target")
    return run.runtime.target


def _switch(run: Run) -> TrafficSwitch:
    if run.runtime.switch is None:
        raise ConfigError(f"{run.deployment.environment} has no traffic switch")
    return run.runtime.switch


def find_live_instance(run: Run, slot: str) -> Instance:
    found = _target(run).find_instance(slot)
    if found is None or not found.alive:
        raise IntegrationError(
            f"no running instance in slot {slot} on {run.deployment.environment}",
            where=f"slot {slot}",
        )
    return found


def execute_step(run: Run, step: DeploymentStep) -> StepOutcome:
    """Run ``step`` (dispatch on its kind)."""
    kind = StepKind(step.kind)
    p = step.params
    if kind is StepKind.INSTALL:
        return _install(run)
    if kind is StepKind.STOP:
        stopped = _target(run).stop_instance(str(p["slot"]))
        return StepOutcome(f"stopped slot {p['slot']}" if stopped else f"slot {p['slot']} was free")
    if kind is StepKind.BACKUP:
        return _backup(run)
    if kind is StepKind.MIGRATE:
        return _migrate(run)
    if kind is StepKind.START:
        return _start(run, str(p["slot"]), str(p["version"]))
    if kind is StepKind.RESTART:
        return _restart(run, str(p["slot"]), str(p["version"]))
    if kind is StepKind.SWITCH:
        return _apply_routes(run, p.get("routes"))
    if kind is StepKind.MAINTENANCE_ON:
        _switch(run).enable_maintenance()
        return StepOutcome("maintenance page on")
    if kind is StepKind.MAINTENANCE_OFF:
        _switch(run).disable_maintenance()
        return StepOutcome("maintenance page off")
    if kind is StepKind.COMMAND:
        return _command(run, str(p["step"]))
    if kind is StepKind.DB_ROLLBACK:
        return _db_rollback(run)
    from relman.services import deploy_verify

    return deploy_verify.execute_verification(run, step)


def _install(run: Run) -> StepOutcome:
    dep = run.deployment
    run.ctx.artifacts.check(dep.artifact, dep.digest)
    if run.runtime.target is None:
        return StepOutcome("nothing to install on a command target")
    installed = run.runtime.target.install(dep.version, dep.artifact, dep.digest)
    return StepOutcome(
        f"installed {dep.version} in {installed.path}",
        data={"path": installed.path, "digest": installed.digest},
    )


def _backup(run: Run) -> StepOutcome:
    dep = run.deployment
    if run.runtime.open_backup is None:
        raise ConfigError(
            f"{dep.environment} needs a backup before migrating but has no database",
            where=f"environments.{dep.environment}.target.database_url",
        )
    backup = run.runtime.open_backup()
    record = backup.verify(backup.take(label=f"{dep.id}-before-{dep.version}"))
    at = run.now
    with run.ctx.uow_factory() as uow:
        stored = uow.backups.add(record, environment=dep.environment, deployment_id=dep.id)
        names = [f"backup_verified:{dep.environment}"]
        if dep.environment == run.ctx.path.production:
            names.append("backup_verified")
        add_events(uow, dep.release_id, names, source=dep.id, at=at, detail=record.path)
    run.results["backup"] = {"id": stored.id, **record.to_dict()}
    return StepOutcome(
        f"backup {record.path} ({record.size} bytes, sha256 {record.sha256[:12]}): "
        f"{record.verification}",
        data={"backup_id": stored.id, "path": record.path, "sha256": record.sha256},
    )


def _latest_backup(run: Run) -> StoredBackup | None:
    with run.ctx.uow_factory() as uow:
        found = uow.backups.list(deployment_id=run.deployment.id)
    return found[-1] if found else None


def _migrations(run: Run) -> MigrationRunner:
    dep = run.deployment
    release_dir = run.runtime.release_dir(dep.version)
    runner = run.runtime.open_migrations(dep.version, dep.previous_version, release_dir)
    if runner is None:
        raise ConfigError(f"{dep.environment} runs no migrations", where="verification.migrations")
    return runner


def _migrate(run: Run) -> StepOutcome:
    dep = run.deployment
    stored = _latest_backup(run)
    require_verified_backup(
        stored.record if stored is not None else None,
        environment=dep.environment,
        environments=run.runtime.monitoring.backup_environments,
    )
    result = _migrations(run).migrate()
    at = run.now
    with run.ctx.uow_factory() as uow:
        names = [f"migrations_applied:{dep.environment}"]
        if dep.environment == run.ctx.path.production:
            names.append("migrations_applied:production")
        add_events(uow, dep.release_id, names, source=dep.id, at=at)
    return StepOutcome(
        f"migrated to {dep.version} in {result.seconds:.1f}s", output_tail=result.output_tail
    )


def _db_rollback(run: Run) -> StepOutcome:
    dep = run.deployment
    stored = _latest_backup(run)
    runner = run.runtime.open_migrations(
        dep.version, dep.previous_version, run.runtime.release_dir(dep.version)
    )
    if runner is not None and runner.has_reverse:
        try:
            result = runner.reverse()
        except NotFoundError as exc:
            if stored is None or not stored.record.verified:
                raise RollbackFailedError(
                    f"cannot roll the database back: {exc.message} and there is no verified "
                    "pre-migration backup",
                    where=dep.environment,
                ) from exc
        else:
            return StepOutcome(
                f"reverse migration to {dep.previous_version}",
                output_tail=result.output_tail,
                data={"method": "reverse_script"},
            )
    if stored is not None and stored.record.verified and run.runtime.open_backup is not None:
        run.runtime.open_backup().restore(stored.record)
        return StepOutcome(
            f"restored the pre-migration backup {stored.record.path}",
            data={"method": "restore_backup", "backup": stored.record.path},
        )
    if dep.environment in run.runtime.monitoring.backup_environments:
        raise RollbackFailedError(
            "cannot roll the database back: no reverse migration and no verified backup",
            where=dep.environment,
            hint="restore the database by hand (point-in-time recovery)",
        )
    return StepOutcome(
        f"database of {dep.environment} left as migrated: no reverse migration and no backup "
        "(J-003 §6.4: refresh it from the template)",
        data={"method": "none"},
    )


def _instance_env(run: Run) -> dict[str, str]:
    return dict(run.runtime.instance_env)


def _start(run: Run, slot: str, version: str) -> StepOutcome:
    target = _target(run)
    current = target.find_instance(slot)
    if current is not None and current.alive and current.version == version:
        run.runtime.wait_healthy(current)  # started before a crash: healthy now?
        return StepOutcome(
            f"{version} already runs in slot {slot} on {current.addr} (pid {current.pid})",
            data={"addr": current.addr, "pid": current.pid, "log": current.log_path},
        )
    if current is not None and current.alive:
        target.stop_instance(slot)
    instance = target.start_instance(version, slot=slot, env=_instance_env(run))
    return StepOutcome(
        f"{version} healthy in slot {slot} on {instance.addr} (pid {instance.pid})",
        data={"addr": instance.addr, "pid": instance.pid, "log": instance.log_path},
    )


def _restart(run: Run, slot: str, version: str) -> StepOutcome:
    target, switch = _target(run), _switch(run)
    current = target.find_instance(slot)
    if current is not None and current.alive and current.version == version:
        run.runtime.wait_healthy(current)
        instance = current
    elif current is not None:
        instance = target.restart_in_place(version, slot=slot, env=_instance_env(run))
    else:
        instance = target.start_instance(
            version, slot=slot, port=run.runtime.public_port, env=_instance_env(run)
        )
    switch.apply([Route(instance.addr, 100, version)])
    traffic = _note_traffic(run, [slot], {slot: instance})
    return StepOutcome(
        f"{version} runs in slot {slot} on {instance.addr} (restarted in place)",
        data={"addr": instance.addr, "pid": instance.pid, **traffic},
    )


def _apply_routes(run: Run, raw: object) -> StepOutcome:
    pairs = [(str(r[0]), int(r[1])) for r in raw] if isinstance(raw, Sequence) else []
    instances = {slot: find_live_instance(run, slot) for slot, _ in pairs}
    routes = [Route(instances[s].addr, w, instances[s].version) for s, w in pairs]
    _switch(run).apply(routes)
    traffic = _note_traffic(run, [s for s, w in pairs if w > 0], instances)
    _take_baselines(run, [s for s, w in pairs if w > 0], instances)
    shown = ", ".join(f"{s} ({instances[s].version}) {w}" for s, w in pairs) or "no route"
    return StepOutcome(f"routes: {shown}", data={"routes": [list(p) for p in pairs], **traffic})


def _note_traffic(
    run: Run, slots: Sequence[str], instances: Mapping[str, Instance]
) -> dict[str, object]:
    """When the new version first takes traffic (detection time is measured from here)."""
    if any(instances[s].version == run.deployment.version for s in slots):
        at = run.now.isoformat()
        run.results.setdefault("traffic_switched_at", at)
        return {"new_version_live_at": at}
    return {}


def _take_baselines(run: Run, slots: Sequence[str], instances: Mapping[str, Instance]) -> None:
    """Scrape the new version's slots as they take traffic (the start of the first window)."""
    if run.runtime.open_metrics is None:
        return
    run.baselines["taken_at"] = run.ctx.monotonic()
    for slot in slots:
        if instances[slot].version != run.deployment.version:
            continue
        try:
            url = run.runtime.instance_url(instances[slot])
            run.baselines[slot] = run.runtime.open_metrics(url).scrape()
        except RelmanError:  # the window then starts at its first scrape
            continue


def _command(run: Run, name: str) -> StepOutcome:
    dep = run.deployment
    if run.runtime.commands is None:
        raise ConfigError(f"{dep.environment} has no command target")
    previous = dep.previous_version
    result = run.runtime.commands.run_step(name, version=dep.version, previous=previous)
    if name == "deploy":
        run.results.setdefault("traffic_switched_at", run.now.isoformat())
    return StepOutcome(
        f"{name}: {' '.join(result.argv)} ({result.seconds:.1f}s)", output_tail=result.output_tail
    )


def failure_trigger(run: Run, step: DeploymentStep, error: BaseException) -> RollbackTrigger:
    """A failed step as a rollback trigger (the step's own failure is always critical)."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return RollbackTrigger(
        "step",
        Severity.CRITICAL,
        f"step {step.index + 1} ({step.title}) failed: {message}",
        run.now,
    )
