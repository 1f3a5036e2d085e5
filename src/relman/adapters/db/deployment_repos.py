"""SQL repositories of deployments, their steps, environment locks and state, backups and release
events (tables of revision 0004). Same conventions as `relman.adapters.db.repositories`."""

from __future__ import annotations

import builtins
import dataclasses
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from relman.adapters.db.jsonvalues import to_json_object
from relman.adapters.db.tables import (
    backups,
    deployment_steps,
    deployments,
    env_locks,
    env_state,
    release_events,
)
from relman.domain.backups import BackupRecord
from relman.domain.deployment_records import (
    Deployment,
    DeploymentStatus,
    DeploymentStep,
    EnvComponentState,
    EnvLock,
    ReleaseEvent,
    StepStatus,
    StoredBackup,
)
from relman.errors import ConflictError, NotFoundError

_DEPLOYMENT_ID = re.compile(r"D-(\d+)")


def _json(value: Mapping[str, object] | None) -> dict[str, Any]:
    return to_json_object(value) or {}


class SqlDeploymentRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def next_id(self) -> str:
        ids = self._conn.execute(sa.select(deployments.c.id)).scalars()
        numbers = [int(m.group(1)) for i in ids if (m := _DEPLOYMENT_ID.fullmatch(i))]
        return f"D-{max(numbers, default=0) + 1}"

    def add(self, deployment: Deployment, steps: Sequence[DeploymentStep]) -> None:
        try:
            with self._conn.begin_nested():
                self._conn.execute(sa.insert(deployments).values(_deployment_values(deployment)))
        except IntegrityError as exc:
            raise ConflictError(
                f"deployment {deployment.id} already exists", where=f"deployment {deployment.id}"
            ) from exc
        self.add_steps(steps)

    def find(self, deployment_id: str) -> Deployment | None:
        row = self._conn.execute(
            sa.select(deployments).where(deployments.c.id == deployment_id)
        ).first()
        return None if row is None else _deployment_from_row(row._mapping)

    def get(self, deployment_id: str) -> Deployment:
        found = self.find(deployment_id)
        if found is None:
            raise NotFoundError(
                f"no deployment {deployment_id}",
                where=f"deployment {deployment_id}",
                hint="`relman deploy list` shows the deployments",
            )
        return found

    def list(
        self,
        *,
        environment: str | None = None,
        release_id: str | None = None,
        statuses: Collection[str] | None = None,
    ) -> builtins.list[Deployment]:
        query = sa.select(deployments)
        if environment is not None:
            query = query.where(deployments.c.environment == environment)
        if release_id is not None:
            query = query.where(deployments.c.release_id == release_id)
        if statuses is not None:
            query = query.where(deployments.c.status.in_([str(s) for s in statuses]))
        found = [_deployment_from_row(r._mapping) for r in self._conn.execute(query)]
        return sorted(found, key=lambda d: (d.created_at, _number(d.id)))

    def update(self, deployment: Deployment, expected_revision: int) -> Deployment:
        values = _deployment_values(deployment)
        del values["id"]
        values["revision"] = expected_revision + 1
        result = self._conn.execute(
            sa.update(deployments)
            .where(deployments.c.id == deployment.id, deployments.c.revision == expected_revision)
            .values(values)
        )
        if result.rowcount == 0:
            current = self.get(deployment.id)
            raise ConflictError(
                f"deployment {deployment.id} was changed by someone else (revision "
                f"{current.revision}, expected {expected_revision})",
                where=f"deployment {deployment.id}",
            )
        return dataclasses.replace(deployment, revision=expected_revision + 1)

    def list_steps(self, deployment_id: str) -> builtins.list[DeploymentStep]:
        query = (
            sa.select(deployment_steps)
            .where(deployment_steps.c.deployment_id == deployment_id)
            .order_by(deployment_steps.c.idx)
        )
        return [_step_from_row(r._mapping) for r in self._conn.execute(query)]

    def add_steps(self, steps: Sequence[DeploymentStep]) -> None:
        if steps:
            self._conn.execute(sa.insert(deployment_steps), [_step_values(s) for s in steps])

    def update_step(self, step: DeploymentStep) -> None:
        values = _step_values(step)
        result = self._conn.execute(
            sa.update(deployment_steps)
            .where(
                deployment_steps.c.deployment_id == step.deployment_id,
                deployment_steps.c.idx == step.index,
            )
            .values(values)
        )
        if result.rowcount == 0:
            raise NotFoundError(
                f"deployment {step.deployment_id} has no step {step.index + 1}",
                where=f"deployment {step.deployment_id}",
            )


def _number(deployment_id: str) -> int:
    found = _DEPLOYMENT_ID.fullmatch(deployment_id)
    return int(found.group(1)) if found else 0


def _deployment_values(d: Deployment) -> dict[str, Any]:
    return {
        "id": d.id,
        "release_id": d.release_id,
        "environment": d.environment,
        "version": d.version,
        "digest": d.digest,
        "artifact": d.artifact,
        "strategy": d.strategy,
        "status": d.status.value,
        "actor": d.actor,
        "created_at": d.created_at,
        "started_at": d.started_at,
        "finished_at": d.finished_at,
        "components": list(d.components),
        "previous_version": d.previous_version,
        "previous": _json(d.previous),
        "notes": list(d.notes),
        "error": d.error,
        "rollback": to_json_object(d.rollback),
        "results": _json(d.results),
        "revision": d.revision,
    }


def _deployment_from_row(row: sa.RowMapping) -> Deployment:
    return Deployment(
        id=row["id"],
        release_id=row["release_id"],
        environment=row["environment"],
        version=row["version"],
        digest=row["digest"],
        artifact=row["artifact"],
        strategy=row["strategy"],
        status=DeploymentStatus(row["status"]),
        actor=row["actor"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        components=tuple(row["components"] or ()),
        previous_version=row["previous_version"],
        previous=dict(row["previous"] or {}),
        notes=tuple(row["notes"] or ()),
        error=row["error"],
        rollback=dict(row["rollback"]) if row["rollback"] is not None else None,
        results=dict(row["results"] or {}),
        revision=row["revision"],
    )


def _step_values(s: DeploymentStep) -> dict[str, Any]:
    return {
        "deployment_id": s.deployment_id,
        "idx": s.index,
        "phase": s.phase,
        "kind": s.kind,
        "title": s.title,
        "params": _json(s.params),
        "status": s.status.value,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "outcome": s.outcome,
        "output_tail": s.output_tail,
        "data": _json(s.data),
    }


def _step_from_row(row: sa.RowMapping) -> DeploymentStep:
    return DeploymentStep(
        deployment_id=row["deployment_id"],
        index=row["idx"],
        phase=row["phase"],
        kind=row["kind"],
        title=row["title"],
        params=dict(row["params"] or {}),
        status=StepStatus(row["status"]),
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        outcome=row["outcome"],
        output_tail=row["output_tail"],
        data=dict(row["data"] or {}),
    )


class SqlEnvLockRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def find(self, environment: str) -> EnvLock | None:
        row = self._conn.execute(
            sa.select(env_locks).where(env_locks.c.environment == environment)
        ).first()
        return None if row is None else EnvLock(**dict(row._mapping))

    def list(self) -> builtins.list[EnvLock]:
        rows = self._conn.execute(sa.select(env_locks).order_by(env_locks.c.environment))
        return [EnvLock(**dict(r._mapping)) for r in rows]

    def acquire(self, lock: EnvLock, *, replacing: str | None = None) -> None:
        values = dataclasses.asdict(lock)
        lost = ConflictError(
            f"someone else took the {lock.environment} lock at the same moment; re-run",
            where=f"environment {lock.environment}",
        )
        if replacing is None:
            try:
                with self._conn.begin_nested():
                    self._conn.execute(sa.insert(env_locks).values(values))
            except IntegrityError as exc:
                raise lost from exc
            return
        result = self._conn.execute(
            sa.update(env_locks)
            .where(env_locks.c.environment == lock.environment, env_locks.c.token == replacing)
            .values(values)
        )
        if result.rowcount == 0:
            raise lost

    def renew(self, environment: str, token: str, expires_at: datetime) -> bool:
        result = self._conn.execute(
            sa.update(env_locks)
            .where(env_locks.c.environment == environment, env_locks.c.token == token)
            .values(expires_at=expires_at)
        )
        return bool(result.rowcount)

    def release(self, environment: str, token: str) -> bool:
        result = self._conn.execute(
            sa.delete(env_locks).where(
                env_locks.c.environment == environment, env_locks.c.token == token
            )
        )
        return bool(result.rowcount)


class SqlEnvStateRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def put(self, state: EnvComponentState) -> None:
        values = dataclasses.asdict(state)
        self._conn.execute(
            sa.delete(env_state).where(
                env_state.c.environment == state.environment,
                env_state.c.component == state.component,
            )
        )
        self._conn.execute(sa.insert(env_state).values(values))

    def list(self, *, environment: str | None = None) -> builtins.list[EnvComponentState]:
        query = sa.select(env_state).order_by(env_state.c.environment, env_state.c.component)
        if environment is not None:
            query = query.where(env_state.c.environment == environment)
        return [EnvComponentState(**dict(r._mapping)) for r in self._conn.execute(query)]


class SqlBackupRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(
        self, record: BackupRecord, *, environment: str, deployment_id: str | None
    ) -> StoredBackup:
        result = self._conn.execute(
            sa.insert(backups).values(
                environment=environment,
                deployment_id=deployment_id,
                path=record.path,
                size=record.size,
                sha256=record.sha256,
                database=record.database,
                taken_at=record.taken_at,
                verified=record.verified,
                verification=record.verification,
                row_counts=dict(record.row_counts),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return StoredBackup(int(key[0]), environment, deployment_id, record)

    def list(
        self, *, environment: str | None = None, deployment_id: str | None = None
    ) -> builtins.list[StoredBackup]:
        query = sa.select(backups).order_by(backups.c.id)
        if environment is not None:
            query = query.where(backups.c.environment == environment)
        if deployment_id is not None:
            query = query.where(backups.c.deployment_id == deployment_id)
        out = []
        for row in self._conn.execute(query):
            m = row._mapping
            record = BackupRecord(
                path=m["path"],
                size=m["size"],
                sha256=m["sha256"],
                database=m["database"],
                taken_at=m["taken_at"],
                verified=m["verified"],
                verification=m["verification"],
                row_counts=dict(m["row_counts"] or {}),
            )
            out.append(StoredBackup(m["id"], m["environment"], m["deployment_id"], record))
        return out


class SqlReleaseEventRepo:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, event: ReleaseEvent) -> None:
        self._conn.execute(sa.insert(release_events).values(dataclasses.asdict(event)))

    def list(self, release_id: str) -> builtins.list[ReleaseEvent]:
        query = (
            sa.select(release_events)
            .where(release_events.c.release_id == release_id)
            .order_by(release_events.c.id)
        )
        return [
            ReleaseEvent(
                release_id=r.release_id, name=r.name, at=r.at, source=r.source, detail=r.detail
            )
            for r in self._conn.execute(query)
        ]
