"""In-memory deployment, environment-lock, environment-state, backup and release-event
repositories for `relman.testing`'s ``InMemoryUnitOfWork`` (its state holds a
`DeploymentState`, rolled back with the rest)."""

from __future__ import annotations

import builtins
import dataclasses
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from relman.domain.backups import BackupRecord
from relman.domain.deployment_records import (
    Deployment,
    DeploymentStep,
    EnvComponentState,
    EnvLock,
    ReleaseEvent,
    StoredBackup,
)
from relman.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from relman.testing import InMemoryUnitOfWork


@dataclass
class DeploymentState:
    deployments: dict[str, Deployment] = field(default_factory=dict)
    steps: list[DeploymentStep] = field(default_factory=list)
    locks: dict[str, EnvLock] = field(default_factory=dict)
    env_state: dict[tuple[str, str], EnvComponentState] = field(default_factory=dict)
    backups: list[StoredBackup] = field(default_factory=list)
    events: list[ReleaseEvent] = field(default_factory=list)


class _Repo:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _dep(self) -> DeploymentState:
        return self._uow.state.deployments


class InMemoryDeploymentRepo(_Repo):
    def next_id(self) -> str:
        numbers = [
            int(m.group(1)) for i in self._dep.deployments if (m := re.fullmatch(r"D-(\d+)", i))
        ]
        return f"D-{max(numbers, default=0) + 1}"

    def add(self, deployment: Deployment, steps: Sequence[DeploymentStep]) -> None:
        if deployment.id in self._dep.deployments:
            raise ConflictError(f"deployment {deployment.id} already exists")
        if deployment.release_id not in self._uow.state.releases:
            raise NotFoundError(f"no release {deployment.release_id}")
        self._dep.deployments[deployment.id] = deployment
        self.add_steps(steps)

    def find(self, deployment_id: str) -> Deployment | None:
        return self._dep.deployments.get(deployment_id)

    def get(self, deployment_id: str) -> Deployment:
        found = self.find(deployment_id)
        if found is None:
            raise NotFoundError(
                f"no deployment {deployment_id}", where=f"deployment {deployment_id}"
            )
        return found

    def list(
        self,
        *,
        environment: str | None = None,
        release_id: str | None = None,
        statuses: Collection[str] | None = None,
    ) -> builtins.list[Deployment]:
        found = [
            d
            for d in self._dep.deployments.values()
            if (environment is None or d.environment == environment)
            and (release_id is None or d.release_id == release_id)
            and (statuses is None or d.status.value in {str(s) for s in statuses})
        ]
        return sorted(found, key=lambda d: (d.created_at, int(d.id.split("-")[-1])))

    def update(self, deployment: Deployment, expected_revision: int) -> Deployment:
        current = self.get(deployment.id)
        if current.revision != expected_revision:
            raise ConflictError(f"deployment {deployment.id} was changed by someone else")
        updated = dataclasses.replace(deployment, revision=expected_revision + 1)
        self._dep.deployments[deployment.id] = updated
        return updated

    def list_steps(self, deployment_id: str) -> builtins.list[DeploymentStep]:
        return sorted(
            (s for s in self._dep.steps if s.deployment_id == deployment_id), key=lambda s: s.index
        )

    def add_steps(self, steps: Sequence[DeploymentStep]) -> None:
        for step in steps:
            if any(
                (s.deployment_id, s.index) == (step.deployment_id, step.index)
                for s in self._dep.steps
            ):
                raise ConflictError(f"step {step.index} of {step.deployment_id} exists")
            self._dep.steps.append(step)

    def update_step(self, step: DeploymentStep) -> None:
        for n, existing in enumerate(self._dep.steps):
            if (existing.deployment_id, existing.index) == (step.deployment_id, step.index):
                self._dep.steps[n] = step
                return
        raise NotFoundError(f"deployment {step.deployment_id} has no step {step.index + 1}")


class InMemoryEnvLockRepo(_Repo):
    def find(self, environment: str) -> EnvLock | None:
        return self._dep.locks.get(environment)

    def list(self) -> builtins.list[EnvLock]:
        return [self._dep.locks[e] for e in sorted(self._dep.locks)]

    def acquire(self, lock: EnvLock, *, replacing: str | None = None) -> None:
        current = self._dep.locks.get(lock.environment)
        if (replacing is None and current is not None) or (
            replacing is not None and (current is None or current.token != replacing)
        ):
            raise ConflictError(f"someone else took the {lock.environment} lock")
        self._dep.locks[lock.environment] = lock

    def renew(self, environment: str, token: str, expires_at: datetime) -> bool:
        current = self._dep.locks.get(environment)
        if current is None or current.token != token:
            return False
        self._dep.locks[environment] = dataclasses.replace(current, expires_at=expires_at)
        return True

    def release(self, environment: str, token: str) -> bool:
        current = self._dep.locks.get(environment)
        if current is None or current.token != token:
            return False
        del self._dep.locks[environment]
        return True


class InMemoryEnvStateRepo(_Repo):
    def put(self, state: EnvComponentState) -> None:
        self._dep.env_state[(state.environment, state.component)] = state

    def list(self, *, environment: str | None = None) -> builtins.list[EnvComponentState]:
        return [
            self._dep.env_state[key]
            for key in sorted(self._dep.env_state)
            if environment is None or key[0] == environment
        ]


class InMemoryBackupRepo(_Repo):
    def add(
        self, record: BackupRecord, *, environment: str, deployment_id: str | None
    ) -> StoredBackup:
        stored = StoredBackup(len(self._dep.backups) + 1, environment, deployment_id, record)
        self._dep.backups.append(stored)
        return stored

    def list(
        self, *, environment: str | None = None, deployment_id: str | None = None
    ) -> builtins.list[StoredBackup]:
        return [
            b
            for b in self._dep.backups
            if (environment is None or b.environment == environment)
            and (deployment_id is None or b.deployment_id == deployment_id)
        ]


class InMemoryReleaseEventRepo(_Repo):
    def add(self, event: ReleaseEvent) -> None:
        if event.release_id not in self._uow.state.releases:
            raise NotFoundError(f"no release {event.release_id}")
        self._dep.events.append(event)

    def list(self, release_id: str) -> builtins.list[ReleaseEvent]:
        return [e for e in self._dep.events if e.release_id == release_id]
