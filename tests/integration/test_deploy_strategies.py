"""Releases of the sample app go Dev -> QA -> Staging -> Prod with each strategy in turn, on real
processes behind real nginx, under load where the strategy promises zero downtime. Each strategy
replaces what the one before it left (rolling after blue-green, canary after rolling ...)."""

from __future__ import annotations

from app_support import BackgroundLoad, artifacts  # noqa: F401
from deploy_support import ENVIRONMENTS, Workspace, workspace_fixture  # noqa: F401

from relman.adapters.targets.local import LocalTarget
from relman.services.env_status import get_environment_status

SEQUENCE = [  # release, version, strategy
    ("R-1", "1.0.0", "blue_green"),
    ("R-2", "1.1.0", "rolling"),
    ("R-3", "1.1.1", "canary"),
    ("R-4", "1.2.0", "maintenance"),
]


def _promote_everywhere(ws: Workspace, release_id: str, version: str, strategy: str) -> None:
    artifact = ws.artifacts.build(version).path
    previous = ws.served_version("prod")
    for env in ENVIRONMENTS:
        load = None
        if env == "prod":
            ws.clock.advance(days=4)  # a minor release spends 3 days in QA/staging (§2.2)
            if previous is not None and strategy != "maintenance":  # maintenance: 503 on purpose
                load = BackgroundLoad(ws.url(env) + "/inventory?product=milk", total=100_000,
                                      workers=4, deadline=120).start()  # fmt: skip
                load.wait_sent(20)
        outcome = ws.deploy(
            release_id, env, strategy=strategy, artifact=artifact if env == "dev" else None
        )
        dep = outcome.deployment
        assert (dep.status.value, dep.strategy, dep.previous_version) == (
            "succeeded", strategy, previous if env == "prod" else dep.previous_version
        ), dep  # fmt: skip
        if load is not None:
            load.total = load.result.sent + 50  # a little more after the switch, then stop
            result = load.finish()
            assert result.failures == [], (strategy, result.failures[:5])
            assert result.versions[version] > 0 and result.versions[previous or ""] > 0
    assert {env: ws.served_version(env) for env in ENVIRONMENTS} == dict.fromkeys(
        ENVIRONMENTS, version
    )


def test_promote_dev_to_prod_with_each_strategy(ws: Workspace) -> None:
    target = LocalTarget(ws.root / ".relman" / "targets", "prod")
    previous = None
    for release_id, version, strategy in SEQUENCE:
        ws.add_release(release_id, version)
        _promote_everywhere(ws, release_id, version, strategy)
        # the previous version is kept: warm (blue-green, canary, maintenance) or installed
        warm = {i.version for i in target.list_instances() if i.alive}
        if previous is not None:
            assert previous in {r.version for r in target.list_installed()}
            if strategy != "rolling":  # rolling replaces its instances in place
                assert previous in warm, (strategy, warm)
        events = ws.events(release_id)
        assert {"deployed:prod", "deployed:production", "smoke_passed:staging"} <= events
        assert {"monitoring_stable", "health_ok:production"} <= events
        previous = version

    with ws.services().uow_factory() as uow:
        assert uow.releases.get("R-4").deployed_at is not None
        junit = list(uow.evidence.list("R-4", kind="junit"))
    assert {e.source.split(":")[1] for e in junit} == set(ENVIRONMENTS)
    assert all(e.commit_sha is None for e in junit)  # never stands in for unit tests
    for status in get_environment_status(ws.services().deployments):
        assert [(c.component, c.version, c.deployed_by) for c in status.components] == [
            ("core", "1.2.0", "dipu")
        ]
        assert status.health == "ok", status.health_detail
