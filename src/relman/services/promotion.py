"""Promotion checks (J-003 §6.3): may this release's build go to this environment now?

`check_promotion` loads what the rules judge (the release, its deployments, the gates the
environment requires, what runs there) and returns `relman.domain.promotion.decide_promotion`'s
decision; the deployment use cases call it inside their transaction and ``require()`` it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from relman.domain.promotion import (
    PromotionDecision,
    PromotionRequest,
    decide_promotion,
    list_required_gates,
)
from relman.services.deploy_runtime import (
    Deployments,
    list_component_versions,
    release_components,
)
from relman.services.lifecycle import evaluate_gates, load_recorded, read

if TYPE_CHECKING:
    from datetime import datetime

    from relman.ports import UnitOfWork


def required_gates(ctx: Deployments, environment: str) -> list[str]:
    """``[deployments.environments.<env>].gates``, else the J-003 rule."""
    configured = ctx.rules_for(environment).gates
    if configured is not None:
        return list(configured)
    return list_required_gates(ctx.path, environment, ctx.policy.gates)


def check_promotion(
    ctx: Deployments,
    uow: UnitOfWork,
    *,
    release_id: str,
    environment: str,
    digest: str | None,
    now: datetime,
) -> PromotionDecision:
    """Every promotion rule for ``release_id`` -> ``environment`` (nothing is written)."""
    release = uow.releases.get(release_id)
    environment = ctx.path.get(environment)
    gate_ids = required_gates(ctx, environment)
    statuses = evaluate_gates(release, ctx.policy, load_recorded(uow, release.id), now, gate_ids)
    return decide_promotion(
        PromotionRequest(
            release=release,
            environment=environment,
            path=ctx.path,
            deployments=list(uow.deployments.list(release_id=release.id)),
            digest=digest,
            gates={s.gate: s.passed for s in statuses},
            gate_details={s.gate: "; ".join(s.unmet) or "not passed" for s in statuses},
            release_type=ctx.policy.get_release_type(release.release_type),
            now=now,
            running=list_component_versions(uow, environment),
            components=release_components(release.components, ctx.default_component),
            matrix=ctx.matrix,
        )
    )


@dataclass(frozen=True)
class PromotionReport:
    decision: PromotionDecision
    required_gates: list[str]


def get_promotion_report(
    ctx: Deployments, *, release_id: str, environment: str, artifact: str | None = None
) -> PromotionReport:
    """The promotion checks without deploying (``relman promote --check``)."""
    digest = ctx.artifacts.digest(artifact) if artifact else None
    now = ctx.clock.now()

    def work(uow: UnitOfWork) -> PromotionReport:
        decision = check_promotion(
            ctx, uow, release_id=release_id, environment=environment, digest=digest, now=now
        )
        return PromotionReport(decision, required_gates(ctx, decision.environment))

    return read(ctx.uow_factory, work)
