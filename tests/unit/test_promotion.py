"""Promotion rules (J-003 §6): path, same build, gates, testing period, compatibility."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from release_factories import NOW, make_policy, make_release

from relman.domain.compatibility import CompatibilityMatrix
from relman.domain.deployment_records import Deployment, DeploymentStatus
from relman.domain.promotion import PromotionPath, PromotionRequest, decide_promotion
from relman.domain.releases import Phase
from relman.errors import BlockedError, ConflictError, NotFoundError

PATH = PromotionPath(("dev", "qa", "staging", "prod"), production="prod")
DIGEST = "a" * 64
OTHER = "b" * 64
MATRIX = CompatibilityMatrix.of(
    [
        ("Phase 2", {"core": "2.0.x", "farm": "1.2.x"}),
        ("Phase 1", {"core": "1.4.x", "farm": "1.1.x"}),
    ]
)


def deployed(env: str, *, digest: str = DIGEST, days_ago: float = 1, ok: bool = True) -> Deployment:
    at = NOW - timedelta(days=days_ago)
    return Deployment(
        id=f"D-{env}",
        release_id="R-1",
        environment=env,
        version="1.4.0",
        digest=digest,
        artifact="/tmp/a.tar.gz",
        strategy="blue_green",
        status=DeploymentStatus.SUCCEEDED if ok else DeploymentStatus.ROLLED_BACK,
        actor="dipu",
        created_at=at,
        finished_at=at,
    )


def request(env: str, deployments: list[Deployment], **kw: Any) -> PromotionRequest:
    release = kw.pop("release", make_release(phase=Phase.DEPLOY, components=("core",)))
    policy = make_policy()
    fields: dict[str, Any] = {
        "release": release,
        "environment": env,
        "path": PATH,
        "deployments": deployments,
        "digest": None,
        "gates": {},
        "gate_details": {},
        "release_type": policy.get_release_type(release.release_type),
        "now": NOW,
        "running": {},
        "components": release.components,
        "matrix": MATRIX,
    }
    fields.update(kw)
    return PromotionRequest(**fields)


def failing(decision: Any) -> list[str]:
    return [c.id for c in decision.failures]


def test_the_first_environment_needs_an_artifact() -> None:
    assert failing(decide_promotion(request("dev", []))) == ["build"]
    ok = decide_promotion(request("dev", [], digest=DIGEST))
    assert ok.allowed and ok.digest == DIGEST


def test_an_unknown_environment_is_not_found() -> None:
    with pytest.raises(NotFoundError, match=r"unknown environment 'uat'.*dev, qa, staging, prod"):
        decide_promotion(request("uat", []))


@pytest.mark.parametrize(
    ("env", "history", "allowed"),
    [
        ("qa", ["dev"], True),
        ("staging", ["dev"], False),  # skips qa
        ("prod", ["dev", "qa"], False),  # skips staging
        ("qa", [], False),
    ],
)
def test_no_environment_is_skipped(env: str, history: list[str], allowed: bool) -> None:
    decision = decide_promotion(request(env, [deployed(e, days_ago=10) for e in history]))
    assert ("path" not in failing(decision)) is allowed


def test_a_failed_deployment_does_not_count_as_passed() -> None:
    decision = decide_promotion(request("qa", [deployed("dev", ok=False)]))
    with pytest.raises(BlockedError, match="must not skip an environment: R-1 has not passed dev"):
        decision.require()


def test_the_same_build_moves_on() -> None:
    decision = decide_promotion(request("qa", [deployed("dev")], digest=OTHER))
    assert failing(decision) == ["build"]
    assert "not the same build" in decision.failures[0].detail
    same = decide_promotion(request("qa", [deployed("dev")]))
    assert same.allowed and same.digest == DIGEST and same.source is not None


def test_required_gates() -> None:
    decision = decide_promotion(
        request(
            "qa",
            [deployed("dev")],
            gates={"G1": True, "G2": False},
            gate_details={"G2": "G2.unit-tests: no junit evidence"},
        )
    )
    with pytest.raises(BlockedError, match=r"requires gate\(s\) G2: G2: G2.unit-tests"):
        decision.require()


@pytest.mark.parametrize(
    ("release_type", "days_in_staging", "allowed"),
    [
        ("minor", 1, False),  # minor: 3 days minimum
        ("minor", 3.5, True),
        ("major", 10, False),  # major: 2 weeks
        ("hotfix", 0.01, True),  # exempt
    ],
)
def test_testing_period_before_production(
    release_type: str, days_in_staging: float, allowed: bool
) -> None:
    release = make_release(phase=Phase.DEPLOY, release_type=release_type, components=("core",))
    history = [deployed("dev", days_ago=30), deployed("qa", days_ago=days_in_staging)]
    history.append(replace(deployed("staging", days_ago=days_in_staging / 2), id="D-s"))
    decision = decide_promotion(request("prod", history, release=release))
    assert ("testing_period" not in failing(decision)) is allowed


def test_an_incompatible_set_is_refused_with_the_row() -> None:
    release = make_release(phase=Phase.DEPLOY, version="2.0.1", components=("core",))
    decision = decide_promotion(
        request(
            "dev", [], release=release, digest=DIGEST, running={"core": "1.4.0", "farm": "1.1.2"}
        )
    )
    assert failing(decision) == ["compatibility"]
    with pytest.raises(BlockedError, match=r'"Phase 2": core 2.0.x, farm 1.2.x'):
        decision.require()


def test_a_closed_release_is_not_deployed() -> None:
    release = make_release(phase=Phase.CLOSED)
    with pytest.raises(ConflictError, match="CLOSED"):
        decide_promotion(request("dev", [], release=release, digest=DIGEST))
