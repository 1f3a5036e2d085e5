"""Driving a recorded deployment: forward steps, then success or rollback (J-003 §8, §9).

`drive` runs what is left of a deployment from its record, so the same code starts a new
deployment and finishes one that a crash interrupted:

- ``running``: the forward steps not done yet, in order (a step recorded as running when
  relman died is run again: steps are idempotent); then the success is recorded;
- a failed step, a critical issue in verification, or a resume with ``--rollback`` starts the
  rollback: the rollback steps are planned from the layout recorded before the deployment and
  the layout now, recorded, and run (``rolling_back``);
- ``rolled_back``: the rollback record (time from trigger to traffic back on the previous
  version, reason, threshold), the §9.4 checklist ticked from what relman did, events.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from relman.domain.checklists import plan_checklist
from relman.domain.deployment_records import (
    Deployment,
    DeploymentStatus,
    StepStatus,
    name_events,
)
from relman.domain.deployment_rollback import plan_rollback
from relman.domain.deployments import StepKind
from relman.domain.layouts import Layout
from relman.domain.lifecycle import Action, decide_transition
from relman.domain.notification_events import (
    deployment_completed,
    deployment_rolled_back,
)
from relman.domain.releases import Phase, Release
from relman.domain.rollback import (
    ROLLBACK_CHECKLIST_ID,
    RollbackRecord,
    RollbackTrigger,
    Severity,
    tick_rollback_checklist,
)
from relman.errors import NotFoundError, RollbackFailedError
from relman.services.deploy_records import (
    LeaseKeeper,
    ProgressEvent,
    Run,
    add_events,
    deliver,
    put_env_state,
    queue,
    release_lock,
    step_record,
)
from relman.services.deploy_runtime import release_components
from relman.services.deploy_steps import RollbackNeeded, execute_step, failure_trigger
from relman.services.lifecycle import Tx

FORWARD, ROLLBACK = "forward", "rollback"


def drive(run: Run) -> Deployment:
    """Run the deployment to a terminal status (see the module docstring); returns it."""
    keeper = LeaseKeeper(run.ctx, run.lock) if run.lock is not None else None
    try:
        if keeper is not None:
            keeper.__enter__()
        if run.deployment.status is DeploymentStatus.RUNNING:
            try:
                _forward(run)
                _finish_success(run)
            except RollbackNeeded as need:
                start_rollback(run, need.trigger, automatic=need.automatic)
        if run.deployment.status is DeploymentStatus.ROLLING_BACK:
            _continue_rollback(run)
            _finish_rollback(run)
    finally:
        if keeper is not None:
            keeper.__exit__(None, None, None)
        if not run.deployment.status.is_open:
            release_lock(run.ctx, run.lock)
    return run.deployment


def _run_step(run: Run, step: Any) -> Any:
    step = run.mark(step, status=StepStatus.RUNNING, started_at=run.now, outcome="")
    run.progress(ProgressEvent("step_started", step.title, step, run.deployment))
    try:
        result = execute_step(run, step)
    except RollbackNeeded as need:
        failed = run.mark(
            step, status=StepStatus.FAILED, ended_at=run.now, outcome=need.trigger.reason
        )
        run.save()
        run.progress(ProgressEvent("step_failed", need.trigger.reason, failed, run.deployment))
        raise
    except Exception as exc:
        trigger = failure_trigger(run, step, exc)
        tail = str(getattr(exc, "details", {}).get("output_tail", "") or "")
        failed = run.mark(
            step, status=StepStatus.FAILED, ended_at=run.now, outcome=trigger.reason,
            output_tail=tail[-4000:],
        )  # fmt: skip
        run.save()
        run.progress(ProgressEvent("step_failed", trigger.reason, failed, run.deployment))
        raise RollbackNeeded(trigger) from exc
    done = run.mark(
        step,
        status=StepStatus.DONE,
        ended_at=run.now,
        outcome=result.outcome,
        output_tail=result.output_tail[-4000:],
        data=dict(result.data),
    )
    run.save()
    run.progress(ProgressEvent("step_done", result.outcome, done, run.deployment))
    return done


def _forward(run: Run) -> None:
    for step in [s for s in run.steps() if s.phase == FORWARD]:
        if step.status in (StepStatus.DONE, StepStatus.SKIPPED):
            continue
        if step.status is StepStatus.FAILED:  # crashed between the failure and the rollback
            raise RollbackNeeded(
                RollbackTrigger("step", Severity.CRITICAL, step.outcome or step.title, run.now)
            )
        _run_step(run, step)


def _finish_success(run: Run) -> None:
    dep, ctx = run.deployment, run.ctx
    at = run.now
    verify = run.results.get("verify") or dep.results.get("verify") or {}
    health = verify.get("health") if isinstance(verify, dict) else None
    smoke = verify.get("smoke") if isinstance(verify, dict) else None
    health_ok = bool(health.get("ok")) if isinstance(health, dict) else None
    smoke_ok = _smoke_ok(smoke)

    def work(tx: Tx, release: Release) -> None:
        components = release_components(dep.components, ctx.default_component)
        before = [dataclasses.asdict(s) for s in tx.uow.env_state.list(environment=dep.environment)]
        run.results["env_state_before"] = before
        put_env_state(
            tx.uow, dep, components, at=at,
            health="ok" if health_ok else ("failed" if health_ok is False else "unknown"),
            detail=str(health.get("summary", "")) if isinstance(health, dict) else "",
        )  # fmt: skip
        names = name_events("deployed", dep.environment, production=ctx.path.production)
        add_events(tx.uow, dep.release_id, names, source=dep.id, at=at)
        if dep.environment == ctx.path.production:
            tx.save_release(release, dataclasses.replace(release, deployed_at=at))
        updated = dataclasses.replace(
            tx.uow.deployments.get(dep.id),
            status=DeploymentStatus.SUCCEEDED,
            finished_at=at,
            results={**dep.results, **run.results},
        )
        run.deployment = tx.uow.deployments.update(updated, updated.revision)
        queue(
            run,
            tx.uow,
            deployment_completed(
                release, environment=dep.environment, at=at, succeeded=True,
                smoke_passed=smoke_ok, health_passed=health_ok, deployment_id=dep.id,
            ),
        )  # fmt: skip

    run.audit("deployment.succeed", work)
    deliver(run)


def _smoke_ok(summary: object) -> bool | None:
    if not isinstance(summary, dict):
        return None
    failed = int(summary.get("failures", 0) or 0) + int(summary.get("errors", 0) or 0)
    return int(summary.get("tests", 0) or 0) > 0 and failed == 0


# --- rollback -----------------------------------------------------------------------------------


def start_rollback(run: Run, trigger: RollbackTrigger, *, automatic: bool) -> None:
    """Plan and record the rollback steps (status ``rolling_back``)."""
    dep, rt = run.deployment, run.runtime
    steps = run.steps()
    migrated = any(
        s.phase == FORWARD
        and (s.kind == StepKind.MIGRATE.value or s.params.get("step") == "migrate")
        and s.status in (StepStatus.RUNNING, StepStatus.DONE, StepStatus.FAILED)
        for s in steps
    )
    if dep.status is DeploymentStatus.SUCCEEDED:  # a manual rollback of a finished deployment
        migrated = any(
            s.kind == StepKind.MIGRATE.value and s.status is StepStatus.DONE for s in steps
        )
    current = rt.read_layout(known_version=dep.version)
    planned = plan_rollback(
        previous=Layout.from_dict(dep.previous),
        current=current,
        new_version=dep.version,
        migrated=migrated,
        switch=rt.switch_kind,
        command_steps=frozenset(getattr(rt.commands, "steps", {}) or ()),
        verify=rt.open_smoke is not None or rt.open_health is not None,
    )
    first = max((s.index for s in steps), default=-1) + 1
    records = [step_record(dep.id, first + n, ROLLBACK, p) for n, p in enumerate(planned)]
    info = {
        "kind": trigger.kind,
        "reason": trigger.reason,
        "threshold": trigger.threshold,
        "severity": trigger.severity.value,
        "automatic": automatic,
        "trigger_detected_at": trigger.detected_at.isoformat(),
        "was_succeeded": dep.status is DeploymentStatus.SUCCEEDED
        or bool((dep.rollback or {}).get("was_succeeded", False)),
        "migrated": migrated,
    }
    with run.ctx.uow_factory() as uow:
        for old in uow.deployments.list_steps(dep.id):  # an earlier, failed rollback attempt
            if old.phase == ROLLBACK and old.status is not StepStatus.DONE:
                uow.deployments.update_step(dataclasses.replace(old, status=StepStatus.SKIPPED))
        uow.deployments.add_steps(records)
        current_dep = uow.deployments.get(dep.id)
        updated = dataclasses.replace(
            current_dep,
            status=DeploymentStatus.ROLLING_BACK,
            error=trigger.reason,
            rollback=info,
            results={**current_dep.results, **run.results},
        )
        run.deployment = uow.deployments.update(updated, current_dep.revision)
    how = "automatic" if automatic else "manual"
    run.notice(f"{how} rollback of {dep.id} ({trigger.severity.value}): {trigger.reason}")


def _continue_rollback(run: Run) -> None:
    for step in [s for s in run.steps() if s.phase == ROLLBACK]:
        if step.status in (StepStatus.DONE, StepStatus.SKIPPED):
            continue
        try:
            done = _run_step(run, step)
        except RollbackNeeded as need:
            if step.kind == StepKind.VERIFY.value:  # traffic is back; the old version is unwell
                run.notice(f"after the rollback: {need.trigger.reason}")
                continue
            _rollback_failed(run, step.title, need.trigger.reason)
        if done.params.get("restores_traffic"):
            info = dict(run.deployment.rollback or {})
            info.setdefault("traffic_restored_at", run.now.isoformat())
            run.save(rollback=info)


def _rollback_failed(run: Run, title: str, reason: str) -> None:
    dep = run.deployment
    run.save(status=DeploymentStatus.FAILED, finished_at=run.now)
    release_lock(run.ctx, run.lock)
    raise RollbackFailedError(
        f"the rollback of deployment {dep.id} ({dep.version} on {dep.environment}) failed at "
        f"'{title}': {reason}",
        where=f"deployment {dep.id}",
        hint=f"fix it by hand, then `relman rollback {dep.environment}` retries the rollback",
        details={"deployment": dep.id},
    )


def _finish_rollback(run: Run) -> None:
    dep, ctx = run.deployment, run.ctx
    info: dict[str, Any] = dict(dep.rollback or {})
    detected = datetime.fromisoformat(str(info["trigger_detected_at"]))
    restored_text = info.get("traffic_restored_at")
    restored = datetime.fromisoformat(str(restored_text)) if restored_text else detected
    record = RollbackRecord(
        environment=dep.environment,
        from_version=dep.version,
        to_version=dep.previous_version or "none",
        reason=str(info.get("reason", "")),
        threshold=info.get("threshold") if isinstance(info.get("threshold"), str) else None,
        severity=Severity(str(info.get("severity", "critical"))),
        automatic=bool(info.get("automatic", True)),
        trigger_detected_at=detected,
        traffic_restored_at=max(restored, detected),
    )
    info.update(record.to_dict())
    switched = run.results.get("traffic_switched_at") or dep.results.get("traffic_switched_at")
    if switched and info.get("kind") == "threshold":
        took = detected - datetime.fromisoformat(str(switched))
        info["detection_seconds"] = round(took.total_seconds(), 3)
    at = run.now
    verified = run.results.get("rollback_verify") or {}

    def work(tx: Tx, release: Release) -> None:
        names = [*name_events("rolled_back", dep.environment, production=ctx.path.production)]
        names.append("rolled_back")
        add_events(tx.uow, dep.release_id, names, source=dep.id, at=at, detail=record.reason)
        if info.get("was_succeeded"):
            _restore_env_state(tx, dep)
        if dep.environment == ctx.path.production and release.phase in (Phase.DEPLOY, Phase.VERIFY):
            moved = dataclasses.replace(
                release, phase=decide_transition(release.phase, Action.ROLLBACK)
            )
            release = tx.save_release(release, moved)
            tx.record("release.rollback", release.id, after={"phase": release.phase.value})
        _tick_rollback_checklist(tx, run, release, record, smoke_passed=bool(verified.get("smoke")))
        current = tx.uow.deployments.get(dep.id)
        updated = dataclasses.replace(
            current, status=DeploymentStatus.ROLLED_BACK, finished_at=at, rollback=info,
            results={**current.results, **run.results},
        )  # fmt: skip
        run.deployment = tx.uow.deployments.update(updated, current.revision)
        queue(
            run,
            tx.uow,
            deployment_rolled_back(
                release, environment=dep.environment, at=at, reason=record.reason,
                to_version=dep.previous_version, deployment_id=dep.id,
            ),
        )  # fmt: skip

    run.audit("deployment.rollback", work)
    deliver(run)


def _restore_env_state(tx: Tx, dep: Deployment) -> None:
    from relman.domain.deployment_records import EnvComponentState

    before = dep.results.get("env_state_before")
    for row in before if isinstance(before, list) else []:
        if isinstance(row, dict):
            values = dict(row)
            for key in ("deployed_at", "checked_at"):
                if isinstance(values.get(key), str):
                    values[key] = datetime.fromisoformat(values[key])
            tx.uow.env_state.put(EnvComponentState(**values))


def _tick_rollback_checklist(
    tx: Tx, run: Run, release: Release, record: RollbackRecord, *, smoke_passed: bool
) -> None:
    try:
        spec = run.ctx.policy.get_checklist(ROLLBACK_CHECKLIST_ID)
    except NotFoundError:
        return
    existing = {i.item_id for i in tx.uow.checklists.list(release.id, checklist_id=spec.id)}
    for item in plan_checklist(release, spec):
        if item.item_id not in existing:
            tx.uow.checklists.add(item)
    backups = tx.uow.backups.list(deployment_id=run.deployment.id)
    ticked = tick_rollback_checklist(
        tx.uow.checklists.list(release.id, checklist_id=spec.id),
        record,
        now=tx.at,
        backup=backups[-1].record if backups else None,
        smoke_passed=smoke_passed,
        notified=run.ctx.open_notifications() is not None,
    )
    for item in ticked:
        tx.uow.checklists.update(item)
        tx.record("checklist.auto_tick", release.id, after=item, actor="relman")
