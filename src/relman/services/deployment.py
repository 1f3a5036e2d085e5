"""Deployment use cases (J-003 §6, §8): deploy (promote), resume, list, show.

`deploy_release` checks the promotion rules and the deployment window, plans the strategy,
records the deployment and its steps with the environment lock in one transaction, then drives
it (`relman.services.deploy_flow.drive`). With ``dry_run`` the plan is recorded and nothing
runs. An interrupted deployment on the environment is dealt with first: the same release is
resumed, any other one is rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from relman.domain.deployment_records import (
    Deployment,
    DeploymentStatus,
    DeploymentStep,
    EnvLock,
)
from relman.domain.deployments import DeploymentPlan, PlanRequest, Strategy, plan_deployment
from relman.domain.layouts import Layout
from relman.domain.notification_events import deployment_started
from relman.domain.rollback import RollbackTrigger, Severity
from relman.errors import DeploymentFailedError, NotFoundError
from relman.services.deploy_flow import drive, start_rollback
from relman.services.deploy_records import (
    Progress,
    Run,
    deliver,
    no_progress,
    queue,
    step_record,
    take_lock,
)
from relman.services.deploy_runtime import (
    Deployments,
    EnvironmentRuntime,
    list_component_versions,
    release_components,
)
from relman.services.lifecycle import Tx, get_actor, read, run_in_transaction
from relman.services.promotion import check_promotion

if TYPE_CHECKING:
    from relman.domain.promotion import PromotionDecision
    from relman.domain.releases import Release
    from relman.ports import UnitOfWork

OPEN = (DeploymentStatus.RUNNING.value, DeploymentStatus.ROLLING_BACK.value)


@dataclass(frozen=True)
class DeploymentOutcome:
    deployment: Deployment
    steps: list[DeploymentStep]
    decision: PromotionDecision | None = None
    notices: list[str] = field(default_factory=list)


def deploy_release(
    ctx: Deployments,
    *,
    release_id: str,
    environment: str,
    actor: str | None,
    strategy: str | None = None,
    artifact: str | None = None,
    dry_run: bool = False,
    progress: Progress = no_progress,
) -> DeploymentOutcome:
    """Promote ``release_id``'s build to ``environment`` and run (or, ``dry_run``, only plan
    and record) the deployment. DeploymentFailedError (exit 10) when it failed and was rolled
    back; RollbackFailedError (exit 11) when the rollback failed too."""
    person = get_actor(ctx.policy, actor)
    env = ctx.path.get(environment)
    notices: list[str] = []
    if not dry_run:
        resumed = _settle_interrupted(
            ctx, env, release_id=release_id, actor=person.id, progress=progress, notices=notices
        )
        if resumed is not None:
            return resumed
    digest = ctx.artifacts.digest(artifact) if artifact else None
    now = ctx.clock.now()

    def check(uow: UnitOfWork) -> tuple[PromotionDecision, Release, dict[str, str]]:
        decision = check_promotion(
            ctx, uow, release_id=release_id, environment=env, digest=digest, now=now
        ).require()
        running = list_component_versions(uow, env)
        return decision, uow.releases.get(release_id), running

    decision, release, running = read(ctx.uow_factory, check)
    if ctx.check_window is not None:
        ctx.check_window(release_id, env, False).require()
    stored = _artifact_for(ctx, decision, artifact)
    runtime = ctx.runtime(env)
    known = running.get(release_components(release.components, ctx.default_component)[0])
    layout = runtime.read_layout(known_version=known)
    plan = _plan(ctx, runtime, release=release, env=env, strategy=strategy, layout=layout)
    previous_version = _live_version(layout) or known
    run = _record(
        ctx, runtime, release=release, env=env, actor=person.id, decision=decision,
        artifact=stored, plan=plan, layout=layout, previous_version=previous_version,
        dry_run=dry_run, progress=progress,
    )  # fmt: skip
    if dry_run:
        return DeploymentOutcome(run.deployment, run.steps(), decision, notices)
    deliver(run)
    return _finish(run, decision, notices)


def _finish(run: Run, decision: PromotionDecision | None, notices: list[str]) -> DeploymentOutcome:
    deployment = drive(run)
    if deployment.status is DeploymentStatus.ROLLED_BACK and (deployment.rollback or {}).get(
        "automatic", True
    ):
        raise _failed(deployment)
    return DeploymentOutcome(deployment, run.steps(), decision, notices)


def _failed(dep: Deployment) -> DeploymentFailedError:
    info = dep.rollback or {}
    seconds = info.get("duration_seconds")
    took = f" in {float(str(seconds)):.1f}s" if seconds is not None else ""
    back = f"rolled back to {dep.previous_version}{took}" if dep.previous_version else "rolled back"
    return DeploymentFailedError(
        f"deployment {dep.id} of {dep.version} to {dep.environment} failed and was {back}: "
        f"{info.get('reason', dep.error)}",
        where=f"deployment {dep.id}",
        hint=f"`relman deploy show {dep.id}` shows every step and its output",
        details={"deployment": dep.id, "rollback": dict(info)},
    )


def _artifact_for(ctx: Deployments, decision: PromotionDecision, artifact: str | None) -> str:
    if artifact is not None:
        stored, _digest = ctx.artifacts.keep(artifact)
        return stored
    if decision.source is not None:
        return decision.source.artifact
    with ctx.uow_factory() as uow:
        same = [d for d in uow.deployments.list(release_id=decision.release_id)
                if d.digest == decision.digest]  # fmt: skip
    if not same:
        raise NotFoundError(
            f"no build recorded for {decision.release_id}: pass --artifact", where="--artifact"
        )
    return same[-1].artifact


def _live_version(layout: Layout) -> str | None:
    live = sorted(layout.live, key=lambda s: -s.weight)
    return live[0].version if live else None


def _plan(
    ctx: Deployments,
    runtime: EnvironmentRuntime,
    *,
    release: Release,
    env: str,
    strategy: str | None,
    layout: Layout,
) -> DeploymentPlan:
    rules = ctx.rules_for(env)
    chosen = strategy or rules.strategy or ctx.strategies.get(release.release_type, "blue_green")
    mon = runtime.monitoring
    migrate = runtime.migrations_configured and (
        runtime.has_database or runtime.switch_kind == "command"
    )
    return plan_deployment(
        PlanRequest(
            strategy=Strategy.parse(chosen),
            environment=env,
            version=release.version,
            layout=layout,
            switch=runtime.switch_kind,
            migrate=migrate,
            backup=migrate and env in mon.backup_environments,
            instances=rules.instances,
            max_unavailable=rules.max_unavailable,
            canary_weights=rules.canary_weights,
            analysis_seconds=rules.analysis_seconds,
            observation_seconds=mon.observation_seconds,
            command_steps=frozenset(getattr(runtime.commands, "steps", {}) or ()),
            verify=runtime.public_url is not None,
        )
    )


def _record(
    ctx: Deployments,
    runtime: EnvironmentRuntime,
    *,
    release: Release,
    env: str,
    actor: str,
    decision: PromotionDecision,
    artifact: str,
    plan: DeploymentPlan,
    layout: Layout,
    previous_version: str | None,
    dry_run: bool,
    progress: Progress,
) -> Run:
    """Record the deployment, its steps and (unless a dry run) the environment lock, in one
    audited transaction that also queues the "deployment started" notification."""
    notes = tuple(plan.notes) + ((runtime.notice,) if runtime.notice else ())
    holder: dict[str, object] = {}

    def work(tx: Tx) -> Deployment:
        dep_id = tx.uow.deployments.next_id()
        if not dry_run:
            holder["lock"] = take_lock(
                ctx, tx.uow, environment=env, holder=actor, deployment_id=dep_id, now=tx.at
            )
        deployment = Deployment(
            id=dep_id,
            release_id=release.id,
            environment=env,
            version=release.version,
            digest=decision.digest or "",
            artifact=artifact,
            strategy=plan.strategy.value,
            status=DeploymentStatus.DRY_RUN if dry_run else DeploymentStatus.RUNNING,
            actor=actor,
            created_at=tx.at,
            components=release_components(release.components, ctx.default_component),
            previous_version=previous_version,
            previous=layout.to_dict(),
            notes=notes,
            started_at=None if dry_run else tx.at,
            results={"checks": [c.__dict__ for c in decision.checks]},
        )
        steps = [step_record(dep_id, n, "forward", s) for n, s in enumerate(plan.steps)]
        tx.uow.deployments.add(deployment, steps)
        action = "deployment.plan" if dry_run else "deployment.start"
        summary = {
            "deployment": dep_id,
            "environment": env,
            "version": release.version,
            "strategy": deployment.strategy,
            "steps": [s.title for s in steps],
        }
        tx.record(action, release.id, after=summary)
        if not dry_run:
            event = deployment_started(release, environment=env, at=tx.at, deployment_id=dep_id)
            queue(Run(ctx, runtime, deployment), tx.uow, event)
        return deployment

    deployment = run_in_transaction(
        uow_factory=ctx.uow_factory, clock=ctx.clock, actor=actor, work=work
    )
    lock = holder.get("lock")
    return Run(ctx, runtime, deployment, progress, lock if isinstance(lock, EnvLock) else None)


# --- interrupted deployments --------------------------------------------------------------------


def find_open_deployment(ctx: Deployments, environment: str) -> Deployment | None:
    with ctx.uow_factory() as uow:
        found = uow.deployments.list(environment=environment, statuses=OPEN)
    return found[-1] if found else None


def _settle_interrupted(
    ctx: Deployments,
    env: str,
    *,
    release_id: str,
    actor: str,
    progress: Progress,
    notices: list[str],
) -> DeploymentOutcome | None:
    """An interrupted deployment on ``env``: resume it when it is this release's, otherwise
    roll it back before the new one starts."""
    interrupted = find_open_deployment(ctx, env)
    if interrupted is None:
        return None
    same = interrupted.release_id == release_id
    message = (
        f"{env} has an interrupted deployment {interrupted.id} ({interrupted.version}, "
        f"{interrupted.status.value}): " + ("resuming it" if same else "rolling it back first")
    )
    notices.append(message)
    progress_notice(progress, message)
    try:
        outcome = resume_deployment(
            ctx, environment=env, actor=actor, rollback=not same, progress=progress
        )
    except DeploymentFailedError:
        if same:
            raise
        return None
    return outcome if same else None


def progress_notice(progress: Progress, message: str) -> None:
    from relman.services.deploy_records import ProgressEvent

    progress(ProgressEvent("notice", message))


def resume_deployment(
    ctx: Deployments,
    *,
    environment: str,
    actor: str | None,
    rollback: bool = False,
    reason: str = "",
    progress: Progress = no_progress,
) -> DeploymentOutcome:
    """Finish (or, ``rollback``, roll back) the environment's interrupted deployment from its
    recorded step. ConflictError while the process that runs it is still alive."""
    env = ctx.path.get(environment)
    open_dep = find_open_deployment(ctx, env)
    if open_dep is None:
        raise NotFoundError(
            f"no interrupted deployment on {env}",
            where=f"environment {env}",
            hint=f"`relman deploy list --env {env}` shows its deployments",
        )
    who = get_actor(ctx.policy, actor).id if actor else open_dep.actor
    with ctx.uow_factory() as uow:
        lock = take_lock(
            ctx, uow, environment=env, holder=who, deployment_id=open_dep.id, now=ctx.clock.now()
        )
    run = Run(ctx, ctx.runtime(env), open_dep, progress, lock)
    done = [s for s in run.steps() if s.status.value == "done"]
    run.notice(f"resuming {open_dep.id} ({open_dep.status.value}) after {len(done)} done step(s)")
    if rollback and open_dep.status is DeploymentStatus.RUNNING:
        why = reason or f"interrupted deployment rolled back by {who}"
        trigger = RollbackTrigger("operator", Severity.HIGH, why, ctx.clock.now())
        start_rollback(run, trigger, automatic=not bool(reason))
    return _finish(run, None, [])


def list_deployments(
    ctx: Deployments, *, environment: str | None = None, release_id: str | None = None
) -> list[Deployment]:
    if environment is not None:
        environment = ctx.path.get(environment)

    def work(uow: UnitOfWork) -> list[Deployment]:
        return list(uow.deployments.list(environment=environment, release_id=release_id))

    return read(ctx.uow_factory, work)


def get_deployment(ctx: Deployments, deployment_id: str) -> tuple[Deployment, list[DeploymentStep]]:
    def work(uow: UnitOfWork) -> tuple[Deployment, list[DeploymentStep]]:
        return uow.deployments.get(deployment_id), list(uow.deployments.list_steps(deployment_id))

    return read(ctx.uow_factory, work)
