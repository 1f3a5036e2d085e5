"""Demo stages of deployments: promotion Dev -> QA -> Staging -> Prod in simulated windows,
blue-green with a pre-migration backup, a bad canary rolled back, a P1 incident and a hotfix."""

from __future__ import annotations

from typing import Any

from relman.services import demo_release as rel
from relman.services.demo import DemoContext, StageSkippedError
from relman.services.demo_story import at

ENGINE = "the deployment engine (relman promote/deploy/rollback, relman env status)"


def _engine_missing() -> StageSkippedError:
    return StageSkippedError(f"{ENGINE} is not available in this relman")


def stage_dev(ctx: DemoContext) -> None:
    raise _engine_missing()


def stage_qa(ctx: DemoContext) -> None:
    ctx.at(at(3, 2, 12, 5))
    rel.stage_qa_gates(ctx)


def stage_staging(ctx: DemoContext) -> None:
    raise _engine_missing()


def stage_release_finish(ctx: DemoContext) -> None:
    raise _engine_missing()


def stage_prod(ctx: DemoContext) -> None:
    raise _engine_missing()


def stage_verify(ctx: DemoContext) -> None:
    raise _engine_missing()


def stage_canary(ctx: DemoContext) -> None:
    raise _engine_missing()


def stage_incident(ctx: DemoContext) -> None:
    raise _engine_missing()


def read_env_status(svc: Any) -> dict[str, Any]:
    raise _engine_missing()
