"""The environment lock as a lease in the store: refused naming the holder while the holder
lives, taken over when its process is gone or its lease expired (in-memory store)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from release_factories import NOW, make_policy

from relman.domain.compatibility import CompatibilityMatrix
from relman.domain.deployment_records import EnvLock
from relman.domain.promotion import PromotionPath
from relman.errors import ConflictError
from relman.services.deploy_records import release_lock, take_lock
from relman.services.deploy_runtime import Deployments, Host
from relman.testing import FixedClock, InMemoryUnitOfWork


def _ctx(uow: InMemoryUnitOfWork, clock: FixedClock, alive: bool | None) -> Deployments:
    def unused(*_args: Any) -> Any:
        raise AssertionError("not used")

    return Deployments(
        uow_factory=lambda: uow,
        policy=make_policy(),
        clock=clock,
        path=PromotionPath(("dev", "qa", "staging", "prod"), "prod"),
        matrix=CompatibilityMatrix(()),
        rules={},
        strategies={},
        default_component="core",
        artifacts=unused,  # type: ignore[arg-type]
        host=Host("build-01", 4242, "100", lambda _lock: alive),
        open_runtime=unused,
        lock_lease=timedelta(minutes=10),
    )


@pytest.mark.parametrize(
    ("alive", "minutes_later", "granted"),
    [
        (True, 1, False),  # the holder lives and its lease runs: refused
        (None, 1, False),  # another host: cannot tell, the lease decides
        (False, 1, True),  # the holder process is gone: taken over at once
        (True, 11, True),  # the lease expired
    ],
)
def test_a_second_deployment_and_a_crashed_one(
    alive: bool | None, minutes_later: int, granted: bool
) -> None:
    uow, clock = InMemoryUnitOfWork(), FixedClock(NOW)
    ctx = _ctx(uow, clock, alive)
    with uow:
        first = take_lock(ctx, uow, environment="prod", holder="rana", deployment_id="D-1", now=NOW)
    clock.advance(minutes=minutes_later)
    if not granted:
        with uow, pytest.raises(ConflictError) as err:
            take_lock(
                ctx, uow, environment="prod", holder="dipu", deployment_id="D-2", now=clock.now()
            )
        assert "rana holds the prod lock for deployment D-1" in err.value.message
        assert "pid 4242 on build-01" in err.value.message
        assert err.value.exit_code == 6
        return
    with uow:
        second = take_lock(
            ctx, uow, environment="prod", holder="dipu", deployment_id="D-2", now=clock.now()
        )
    assert second.token != first.token
    with uow:
        assert uow.env_locks.find("prod") == second
    release_lock(ctx, first)  # the old holder cannot release the new lease
    with uow:
        assert uow.env_locks.find("prod") == second
    release_lock(ctx, second)
    with uow:
        assert uow.env_locks.find("prod") is None


def test_lock_describes_itself() -> None:
    lock = EnvLock("qa", "sara", "D-7", "t", "h", 1, NOW, NOW + timedelta(minutes=5))
    assert lock.describe().startswith("sara holds the qa lock for deployment D-7 since ")
