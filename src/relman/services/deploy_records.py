"""What a running deployment writes to the store, each in its own short transaction: step states,
the deployment's status, the environment lock's lease, events, checklist ticks, notifications.

Short transactions are the point: a relman killed at any moment leaves every finished step
recorded as done and at most one step recorded as running.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from relman.domain.deployment_records import (
    Deployment,
    DeploymentStep,
    EnvComponentState,
    EnvLock,
    ReleaseEvent,
    StepStatus,
    decide_lock,
    require_lock,
)
from relman.domain.deployments import PlannedStep
from relman.domain.releases import Release
from relman.services.deploy_runtime import Deployments, EnvironmentRuntime
from relman.services.lifecycle import Tx, apply_auto_ticks, run_in_transaction

if TYPE_CHECKING:
    from relman.domain.notifications import NotificationEvent
    from relman.ports import UnitOfWork


@dataclass(frozen=True)
class ProgressEvent:
    """What the CLI shows while a deployment runs."""

    kind: str  # step_started | step_done | step_failed | notice
    message: str
    step: DeploymentStep | None = None
    deployment: Deployment | None = None


Progress = Callable[[ProgressEvent], None]


def no_progress(_event: ProgressEvent) -> None:
    return None


@dataclass
class Run:
    """One deployment being driven by this process."""

    ctx: Deployments
    runtime: EnvironmentRuntime
    deployment: Deployment
    progress: Progress = no_progress
    lock: EnvLock | None = None
    results: dict[str, Any] = field(default_factory=dict)
    # metrics of the new version's slots scraped the moment they took traffic: the first
    # monitoring window starts there, so detection takes at most about one interval
    baselines: dict[str, Any] = field(default_factory=dict)

    @property
    def now(self) -> datetime:
        return self.ctx.clock.now()

    def notice(self, message: str) -> None:
        self.progress(ProgressEvent("notice", message, deployment=self.deployment))

    def steps(self) -> list[DeploymentStep]:
        with self.ctx.uow_factory() as uow:
            return list(uow.deployments.list_steps(self.deployment.id))

    def save(self, **changes: Any) -> Deployment:
        """Write changes to the deployment (and the results gathered so far)."""
        with self.ctx.uow_factory() as uow:
            current = uow.deployments.get(self.deployment.id)
            results = {**current.results, **self.results}
            updated = dataclasses.replace(current, results=results, **changes)
            self.deployment = uow.deployments.update(updated, current.revision)
        return self.deployment

    def mark(self, step: DeploymentStep, **changes: Any) -> DeploymentStep:
        updated = dataclasses.replace(step, **changes)
        with self.ctx.uow_factory() as uow:
            uow.deployments.update_step(updated)
        return updated

    def audit(self, action: str, work: Callable[[Tx, Release], None] | None = None) -> None:
        """One audited transaction on the deployment's release: ``work`` (events, ticks, the
        release itself), the audit entry, the auto-ticks whose proof now holds."""
        dep = self.deployment

        def tx_work(tx: Tx) -> None:
            release = tx.uow.releases.get(dep.release_id)
            if work is not None:
                work(tx, release)
            tx.record(action, dep.release_id, after={"deployment": _summary(self.deployment)})
            apply_auto_ticks(tx, tx.uow.releases.get(dep.release_id), self.ctx.policy)

        run_in_transaction(
            uow_factory=self.ctx.uow_factory, clock=self.ctx.clock, actor=dep.actor, work=tx_work
        )


def _summary(dep: Deployment) -> dict[str, object]:
    return {
        "id": dep.id,
        "environment": dep.environment,
        "version": dep.version,
        "digest": dep.digest,
        "strategy": dep.strategy,
        "status": dep.status.value,
        "previous_version": dep.previous_version,
    }


def add_events(
    uow: UnitOfWork, release_id: str, names: Iterable[str], *, source: str, at: datetime,
    detail: str = "",
) -> None:  # fmt: skip
    have = {e.name for e in uow.events.list(release_id)}
    for name in dict.fromkeys(names):
        if name not in have:
            uow.events.add(ReleaseEvent(release_id, name, at, source, detail))


def put_env_state(
    uow: UnitOfWork, dep: Deployment, components: Iterable[str], *, at: datetime, health: str,
    detail: str,
) -> None:  # fmt: skip
    for component in components:
        uow.env_state.put(
            EnvComponentState(
                environment=dep.environment,
                component=component,
                version=dep.version,
                release_id=dep.release_id,
                deployment_id=dep.id,
                digest=dep.digest,
                deployed_at=at,
                deployed_by=dep.actor,
                health=health,
                health_detail=detail,
                checked_at=at,
            )
        )


def queue(run: Run, uow: UnitOfWork, event: NotificationEvent) -> None:
    """Queue §11 notifications for ``event`` in the caller's transaction (when wired)."""
    notifications = run.ctx.open_notifications()
    if notifications is None:
        return
    from relman.services.notifications import queue_notifications

    queue_notifications(uow, event, notifications=notifications)


def deliver(run: Run) -> None:
    """Send what was queued, after the commit; never fails the deployment."""
    notifications = run.ctx.open_notifications()
    if notifications is None:
        return
    from relman.services.notification_delivery import deliver_quietly

    deliver_quietly(notifications=notifications)


# --- the environment lock ------------------------------------------------------------------------


def take_lock(
    ctx: Deployments, uow: UnitOfWork, *, environment: str, holder: str, deployment_id: str,
    now: datetime,
) -> EnvLock:  # fmt: skip
    """Take the environment's lease in ``uow`` (ConflictError naming the holder when busy)."""
    existing = uow.env_locks.find(environment)
    alive = ctx.host.is_alive(existing) if existing is not None else None
    decision = require_lock(
        decide_lock(existing, environment=environment, now=now, holder_alive=alive),
        environment=environment,
    )
    lock = EnvLock(
        environment=environment,
        holder=holder,
        deployment_id=deployment_id,
        token=uuid.uuid4().hex,
        host=ctx.host.name,
        pid=ctx.host.pid,
        acquired_at=now,
        expires_at=now + ctx.lock_lease,
        process_start=ctx.host.process_start,
    )
    uow.env_locks.acquire(
        lock, replacing=existing.token if decision.takeover and existing else None
    )
    return lock


def release_lock(ctx: Deployments, lock: EnvLock | None) -> None:
    if lock is None:
        return
    with ctx.uow_factory() as uow:
        uow.env_locks.release(lock.environment, lock.token)


class LeaseKeeper:
    """Renews the lease every third of its length while a deployment runs (a daemon thread:
    when relman dies the renewals stop and the lease runs out)."""

    def __init__(self, ctx: Deployments, lock: EnvLock) -> None:
        self._ctx = ctx
        self._lock = lock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="relman-lease", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        interval = max(0.5, self._ctx.lock_lease.total_seconds() / 3)
        while not self._stop.wait(interval):
            try:
                with self._ctx.uow_factory() as uow:
                    expires = self._ctx.clock.now() + self._ctx.lock_lease
                    uow.env_locks.renew(self._lock.environment, self._lock.token, expires)
            except Exception:
                continue


def step_record(deployment_id: str, index: int, phase: str, planned: PlannedStep) -> DeploymentStep:
    """A planned step as a pending record."""
    return DeploymentStep(
        deployment_id,
        index,
        phase,
        planned.kind.value,
        planned.title,
        dict(planned.params),
        StepStatus.PENDING,
    )
