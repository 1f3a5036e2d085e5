"""Deployments, steps, environment locks and state, backups and release events round-trip on
SQLite and PostgreSQL (and the in-memory fakes behave the same)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from relman.adapters.db.store import SqlStore
from relman.domain.backups import BackupRecord
from relman.domain.deployment_records import (
    Deployment,
    DeploymentStatus,
    DeploymentStep,
    EnvComponentState,
    EnvLock,
    ReleaseEvent,
    StepStatus,
)
from relman.domain.releases import Phase, Release
from relman.errors import ConflictError, NotFoundError
from relman.ports import UnitOfWork
from relman.services.lifecycle import load_recorded
from relman.testing import InMemoryUnitOfWork

T0 = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)


@pytest.fixture(params=["sql", "memory"])
def uow_factory(
    request: pytest.FixtureRequest, store: SqlStore
) -> Iterator[Callable[[], UnitOfWork]]:
    if request.param == "sql":
        yield store.unit_of_work
    else:
        memory = InMemoryUnitOfWork()
        yield lambda: memory


def _release(uow: UnitOfWork) -> None:
    uow.releases.add(
        Release(
            "R-1",
            "Milk quality",
            "minor",
            "1.4.0",
            ("core",),
            Phase.DEPLOY,
            "rahim",
            date(2026, 3, 31),
            T0,
            None,
            (),
            (),
            0,
        )
    )


def _deployment(dep_id: str, env: str = "prod") -> Deployment:
    return Deployment(
        id=dep_id, release_id="R-1", environment=env, version="1.4.0", digest="a" * 64,
        artifact="/kept/a.tar.gz", strategy="blue_green", status=DeploymentStatus.RUNNING,
        actor="dipu", created_at=T0, components=("core",), previous_version="1.3.0",
        previous={"maintenance": False, "slots": [{"slot": "blue", "version": "1.3.0",
                  "alive": True, "addr": "127.0.0.1:9001", "weight": 100}]},
        notes=("note",), started_at=T0, results={"checks": [{"id": "path", "ok": True}]},
    )  # fmt: skip


def test_deployments_and_steps_round_trip(uow_factory: Callable[[], UnitOfWork]) -> None:
    steps = [
        DeploymentStep("D-1", n, "forward", kind, f"step {n}", {"slot": "green"})
        for n, kind in enumerate(("install", "start", "switch"))
    ]
    with uow_factory() as uow:
        _release(uow)
        assert uow.deployments.next_id() == "D-1"
        uow.deployments.add(_deployment("D-1"), steps)
        uow.deployments.add(_deployment("D-2", env="qa"), [])
        assert uow.deployments.next_id() == "D-3"
    with uow_factory() as uow:
        stored = uow.deployments.get("D-1")
        assert stored == _deployment("D-1")
        assert uow.deployments.list_steps("D-1") == steps
        assert [d.id for d in uow.deployments.list(environment="qa")] == ["D-2"]
        assert [d.id for d in uow.deployments.list(statuses=("running",))] == ["D-1", "D-2"]
        done = dataclasses.replace(
            steps[1], status=StepStatus.DONE, started_at=T0, ended_at=T0 + timedelta(seconds=2),
            outcome="healthy", output_tail="ok", data={"addr": "127.0.0.1:9002"},
        )  # fmt: skip
        uow.deployments.update_step(done)
        rolled = dataclasses.replace(
            stored, status=DeploymentStatus.ROLLED_BACK, rollback={"duration_seconds": 0.4}
        )
        updated = uow.deployments.update(rolled, stored.revision)
        assert updated.revision == stored.revision + 1
    with uow_factory() as uow:
        assert uow.deployments.list_steps("D-1")[1] == done
        assert uow.deployments.get("D-1").rollback == {"duration_seconds": 0.4}
        with pytest.raises(ConflictError):
            uow.deployments.update(rolled, stored.revision)  # stale
        with pytest.raises(NotFoundError, match="no deployment D-9"):
            uow.deployments.get("D-9")


def test_the_environment_lock_is_taken_once(uow_factory: Callable[[], UnitOfWork]) -> None:
    lock = EnvLock("prod", "dipu", "D-1", "t1", "host", 42, T0, T0 + timedelta(minutes=10), "77")
    with uow_factory() as uow:
        uow.env_locks.acquire(lock)
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.env_locks.acquire(dataclasses.replace(lock, token="t2"))
    with uow_factory() as uow:
        assert uow.env_locks.find("prod") == lock
        later = T0 + timedelta(minutes=20)
        assert uow.env_locks.renew("prod", "t1", later)
        assert not uow.env_locks.renew("prod", "other", later)
        taken = dataclasses.replace(lock, holder="sara", token="t3")
        uow.env_locks.acquire(taken, replacing="t1")
        with pytest.raises(ConflictError):
            uow.env_locks.acquire(taken, replacing="t1")  # someone else took it first
    with uow_factory() as uow:
        assert [lk.holder for lk in uow.env_locks.list()] == ["sara"]
        assert not uow.env_locks.release("prod", "t1")
        assert uow.env_locks.release("prod", "t3")
        assert uow.env_locks.find("prod") is None


def test_state_backups_and_events(uow_factory: Callable[[], UnitOfWork]) -> None:
    state = EnvComponentState("prod", "core", "1.4.0", "R-1", "D-1", "a" * 64, T0, "dipu", "ok",
                              "2/2 checks passed", T0)  # fmt: skip
    record = BackupRecord("/b/x.dump", 1234, "c" * 64, "smart_dairy", T0, True, "full: ok",
                          {"public.product": 3})  # fmt: skip
    with uow_factory() as uow:
        _release(uow)
        uow.env_state.put(state)
        uow.env_state.put(dataclasses.replace(state, version="1.4.1"))
        stored = uow.backups.add(record, environment="prod", deployment_id="D-1")
        uow.events.add(ReleaseEvent("R-1", "smoke_passed:staging", T0, "D-1"))
    with uow_factory() as uow:
        assert [s.version for s in uow.env_state.list(environment="prod")] == ["1.4.1"]
        assert uow.env_state.list(environment="qa") == []
        assert uow.backups.list(deployment_id="D-1") == [stored]
        assert stored.record == record
        assert load_recorded(uow, "R-1").events == frozenset({"smoke_passed:staging"})
