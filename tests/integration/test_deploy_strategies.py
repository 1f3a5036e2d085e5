"""A release of the sample app goes Dev -> QA -> Staging -> Prod with each strategy, on real
processes behind real nginx, under load where the strategy promises zero downtime."""

from __future__ import annotations

import pytest
from app_support import BackgroundLoad, artifacts  # noqa: F401
from deploy_support import ENVIRONMENTS, Workspace, workspace_fixture  # noqa: F401

from relman.adapters.targets.local import LocalTarget
from relman.services.env_status import get_environment_status


def _promote_everywhere(ws: Workspace, release_id: str, strategy: str, artifact: str) -> None:
    for env in ENVIRONMENTS:
        if env == "prod":
            ws.clock.advance(days=4)  # a minor release spends 3 days in QA/staging (§2.2)
        outcome = ws.deploy(
            release_id, env, strategy=strategy, artifact=artifact if env == "dev" else None
        )
        assert outcome.deployment.status.value == "succeeded", outcome.deployment


@pytest.mark.parametrize("strategy", ["rolling", "blue_green", "canary", "maintenance"])
def test_promote_dev_to_prod_with_each_strategy(ws: Workspace, strategy: str) -> None:
    first, second = ws.artifacts.build("1.0.0"), ws.artifacts.build("1.1.0")
    ws.add_release("R-1", "1.0.0")
    ws.add_release("R-2", "1.1.0")
    _promote_everywhere(ws, "R-1", strategy, first.path)
    assert {env: ws.served_version(env) for env in ENVIRONMENTS} == dict.fromkeys(
        ENVIRONMENTS, "1.0.0"
    )

    load = None
    if strategy != "maintenance":  # a maintenance window answers 503 on purpose
        load = BackgroundLoad(ws.url("prod") + "/inventory?product=milk", total=100_000,
                              workers=4, deadline=120).start()  # fmt: skip
        load.wait_sent(20)
    for env in ENVIRONMENTS[:-1]:
        ws.deploy("R-2", env, strategy=strategy, artifact=second.path if env == "dev" else None)
    ws.clock.advance(days=4)
    prod = ws.deploy("R-2", "prod", strategy=strategy).deployment
    if load is not None:
        load.total = load.result.sent + 50  # let it run a little after the switch, then stop
        result = load.finish()
        assert result.failures == [], result.failures[:5]
        assert result.versions["1.0.0"] > 0 and result.versions["1.1.0"] > 0

    assert {env: ws.served_version(env) for env in ENVIRONMENTS} == dict.fromkeys(
        ENVIRONMENTS, "1.1.0"
    )
    assert prod.status.value == "succeeded" and prod.previous_version == "1.0.0"
    assert prod.strategy == strategy
    # the previous version is kept: warm (blue-green, canary, maintenance) or installed (rolling)
    target = LocalTarget(ws.root / ".relman" / "targets", "prod")
    assert "1.0.0" in {r.version for r in target.list_installed()}
    warm = {i.version for i in target.list_instances() if i.alive}
    assert ("1.0.0" in warm) is (strategy != "rolling")
    events = ws.events("R-2")
    assert {"deployed:prod", "deployed:production", "smoke_passed:staging"} <= events
    assert {"monitoring_stable", "health_ok:production"} <= events
    with ws.services().uow_factory() as uow:
        assert uow.releases.get("R-2").deployed_at is not None
        junit = list(uow.evidence.list("R-2", kind="junit"))
    assert {e.source.split(":")[1] for e in junit} == set(ENVIRONMENTS)

    statuses = get_environment_status(ws.services().deployments)
    for status in statuses:
        assert [(c.component, c.version, c.deployed_by) for c in status.components] == [
            ("core", "1.1.0", "dipu")
        ]
        assert status.health == "ok", status.health_detail
