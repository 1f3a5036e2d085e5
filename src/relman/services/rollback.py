"""Rolling an environment back by hand: ``relman rollback ENV [--to VERSION] [--reason]``
(J-003 §9.3).

An interrupted deployment is rolled back from where it stopped; a deployment whose rollback
failed is retried; otherwise the environment's latest successful deployment is rolled back to
the version it replaced (blue-green: one switch to the warm previous colour). ``--to`` repeats
that until the version runs. A rollback is always allowed by the deployment windows (§12.4).
Both automatic and manual rollbacks record the measured rollback time, the reason and the
threshold that tripped, and tick the §9.4 checklist.
"""

from __future__ import annotations

from dataclasses import dataclass

from relman.domain.deployment_records import Deployment, DeploymentStatus
from relman.domain.rollback import Severity, declare_issue
from relman.errors import ConflictError, NotFoundError
from relman.services.deploy_flow import drive, start_rollback
from relman.services.deploy_records import Progress, Run, no_progress, take_lock
from relman.services.deploy_runtime import Deployments
from relman.services.deployment import find_open_deployment, resume_deployment
from relman.services.lifecycle import get_actor

MAX_STEPS_BACK = 10


@dataclass(frozen=True)
class RollbackOutcome:
    rolled_back: list[Deployment]  # newest first
    live_version: str | None


def rollback_environment(
    ctx: Deployments,
    *,
    environment: str,
    actor: str | None,
    to_version: str | None = None,
    reason: str = "",
    severity: str = "high",
    progress: Progress = no_progress,
) -> RollbackOutcome:
    person = get_actor(ctx.policy, actor)
    env = ctx.path.get(environment)
    why = reason.strip() or f"manual rollback by {person.id}"
    if ctx.check_window is not None:
        ctx.check_window(_any_release(ctx, env), env, True).require()
    done: list[Deployment] = []
    if find_open_deployment(ctx, env) is not None:
        outcome = resume_deployment(
            ctx, environment=env, actor=person.id, rollback=True, reason=why, progress=progress
        )
        done.append(outcome.deployment)
    for _ in range(MAX_STEPS_BACK):
        latest = _latest(ctx, env)
        if latest is None:
            break
        live = latest.version if latest.status is DeploymentStatus.SUCCEEDED else None
        if done and (to_version is None or live == to_version):
            break
        if to_version is not None and live == to_version:
            break
        if latest.status is DeploymentStatus.SUCCEEDED and latest.previous_version is None:
            raise ConflictError(
                f"{latest.id} was the first deployment of {env}: there is no earlier version "
                "to roll back to",
                where=f"environment {env}",
            )
        done.append(
            _roll_back(
                ctx, latest, actor=person.id, reason=why, severity=severity, progress=progress
            )
        )
        if to_version is None:
            break
    if not done:
        raise NotFoundError(f"nothing to roll back on {env}: no deployment succeeded there")
    latest = _latest(ctx, env)
    live_version = (
        latest.version if latest and latest.status is DeploymentStatus.SUCCEEDED else None
    )
    if to_version is not None and live_version != to_version:
        raise NotFoundError(
            f"{to_version} is not an earlier version of {env} (it runs {live_version} now)",
            where="--to",
        )
    return RollbackOutcome(list(reversed(done)), live_version)


def _latest(ctx: Deployments, env: str) -> Deployment | None:
    """The deployment that decides what runs: the newest succeeded one, or a failed rollback."""
    with ctx.uow_factory() as uow:
        found = uow.deployments.list(
            environment=env,
            statuses=(DeploymentStatus.SUCCEEDED.value, DeploymentStatus.FAILED.value),
        )
    return found[-1] if found else None


def _any_release(ctx: Deployments, env: str) -> str:
    with ctx.uow_factory() as uow:
        found = uow.deployments.list(environment=env)
    if not found:
        raise NotFoundError(f"nothing to roll back on {env}: it was never deployed to")
    return found[-1].release_id


def _roll_back(
    ctx: Deployments,
    dep: Deployment,
    *,
    actor: str,
    reason: str,
    severity: str,
    progress: Progress,
) -> Deployment:
    env = dep.environment
    with ctx.uow_factory() as uow:
        lock = take_lock(
            ctx, uow, environment=env, holder=actor, deployment_id=dep.id, now=ctx.clock.now()
        )
    run = Run(ctx, ctx.runtime(env), dep, progress, lock)
    trigger = declare_issue(Severity.parse(severity), reason, detected_at=ctx.clock.now())
    start_rollback(run, trigger, automatic=False)
    return drive(run)
