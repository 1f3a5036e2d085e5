"""What the store keeps about deployments: the deployment, its steps, the environment lock and
the environment's state per component (J-003 §6, §8).

A deployment is recorded before its first step runs and after every step starts and ends, so
a relman killed half-way leaves a record that says exactly where it stopped. The environment
lock is a lease in the database: one deployment per environment at a time; a lease that expired,
or whose holder process is gone from this host, can be taken over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from relman.domain.backups import BackupRecord
from relman.errors import ConflictError


class DeploymentStatus(StrEnum):
    DRY_RUN = "dry_run"  # planned with --dry-run: recorded, never run
    RUNNING = "running"
    ROLLING_BACK = "rolling_back"
    SUCCEEDED = "succeeded"
    ROLLED_BACK = "rolled_back"  # the deployment failed (or was rolled back) and was undone
    FAILED = "failed"  # the rollback failed too: a human is needed

    @property
    def is_open(self) -> bool:
        """Running or rolling back: a crash leaves it like this until someone resumes."""
        return self in (DeploymentStatus.RUNNING, DeploymentStatus.ROLLING_BACK)


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class DeploymentStep:
    """One recorded step: ``phase`` is "forward" (the plan) or "rollback"."""

    deployment_id: str
    index: int  # 0-based, over both phases, in execution order
    phase: str
    kind: str
    title: str
    params: Mapping[str, object] = field(default_factory=dict)
    status: StepStatus = StepStatus.PENDING
    started_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str = ""
    output_tail: str = ""
    data: Mapping[str, object] = field(default_factory=dict)  # what it produced (port, backup)

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class Deployment:
    id: str  # D-<n>
    release_id: str
    environment: str
    version: str
    digest: str  # sha256 hex of the artifact: the build
    artifact: str  # where relman keeps the artifact
    strategy: str
    status: DeploymentStatus
    actor: str
    created_at: datetime
    components: tuple[str, ...] = ()
    previous_version: str | None = None
    previous: Mapping[str, object] = field(default_factory=dict)  # Layout.to_dict() before
    notes: tuple[str, ...] = ()
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    rollback: Mapping[str, object] | None = None  # RollbackRecord.to_dict() + database method
    results: Mapping[str, object] = field(default_factory=dict)  # smoke, health, monitoring
    revision: int = 0

    @property
    def passed(self) -> bool:
        """Deployed and verified: a build that passed this environment."""
        return self.status is DeploymentStatus.SUCCEEDED


@dataclass(frozen=True)
class EnvLock:
    """The lease on one environment: who holds it, for which deployment, until when."""

    environment: str
    holder: str  # the person deploying
    deployment_id: str
    token: str  # unique per acquisition: only its owner renews or releases it
    host: str
    pid: int
    acquired_at: datetime
    expires_at: datetime
    process_start: str = ""  # /proc start ticks of the holder, against pid reuse

    def describe(self) -> str:
        return (
            f"{self.holder} holds the {self.environment} lock for deployment {self.deployment_id} "
            f"since {self.acquired_at.isoformat(timespec='seconds')} (pid {self.pid} on "
            f"{self.host}, lease until {self.expires_at.isoformat(timespec='seconds')})"
        )


@dataclass(frozen=True)
class LockDecision:
    granted: bool
    takeover: bool
    reason: str


def decide_lock(
    existing: EnvLock | None,
    *,
    environment: str,
    now: datetime,
    holder_alive: bool | None,
) -> LockDecision:
    """May a new holder take the environment lock? ``holder_alive`` is whether the current
    holder's process still runs (None: unknown, e.g. it runs on another host)."""
    if existing is None:
        return LockDecision(True, False, f"{environment} is free")
    if existing.expires_at <= now:
        return LockDecision(True, True, f"the lease of {existing.holder} expired")
    if holder_alive is False:
        return LockDecision(
            True, True, f"the process holding it (pid {existing.pid}) is gone: taken over"
        )
    return LockDecision(False, False, existing.describe())


def require_lock(decision: LockDecision, *, environment: str) -> LockDecision:
    if decision.granted:
        return decision
    raise ConflictError(
        f"one deployment per environment at a time: {decision.reason}",
        where=f"environment {environment}",
        hint="wait for it to finish, or run `relman deploy resume` once its lease expired",
    )


def renew_lock(lock: EnvLock, *, now: datetime, lease: timedelta) -> EnvLock:
    return replace(lock, expires_at=now + lease)


@dataclass(frozen=True)
class EnvComponentState:
    """What runs in an environment for one component (`relman env status`)."""

    environment: str
    component: str
    version: str
    release_id: str
    deployment_id: str
    digest: str
    deployed_at: datetime
    deployed_by: str
    health: str = "unknown"  # ok | failed | unknown
    health_detail: str = ""
    checked_at: datetime | None = None


@dataclass(frozen=True)
class ReleaseEvent:
    """A fact gates and checklists look for (``deployed:prod``, ``smoke_passed:staging``)."""

    release_id: str
    name: str
    at: datetime
    source: str = ""  # the deployment that recorded it
    detail: str = ""


def name_events(base: str, environment: str, *, production: str) -> tuple[str, ...]:
    """``smoke_passed:prod`` (and ``smoke_passed:production`` for the production environment,
    the name J-003's checklists use)."""
    names = [f"{base}:{environment}"]
    if environment == production and environment != "production":
        names.append(f"{base}:production")
    return tuple(names)


@dataclass(frozen=True)
class StoredBackup:
    """A pre-migration backup as the store keeps it: which environment and deployment."""

    id: int
    environment: str
    deployment_id: str | None
    record: BackupRecord
