"""Demo stages of deployments: promotion Dev -> QA -> Staging -> Prod inside simulated windows,
blue-green in production with a pre-migration backup, smoke tests and observation.

Each promotion is ``relman promote R --to ENV`` (`relman.services.deployment.deploy_release`):
the promotion rules (no skipping, same build, gates, testing period, compatibility), the
deployment window at the demo clock's time, the strategy's steps on the local target and nginx,
verification and the observation period. The build is made once, from the release's commit,
and every environment deploys those same bytes.
"""

from __future__ import annotations

from typing import Any

from relman.errors import BlockedError
from relman.services import demo_release as rel
from relman.services.demo import DemoContext
from relman.services.demo_story import at

DEVOPS = "dipu"
ATTEMPT_OUTSIDE_WINDOW = at(3, 13, 22, 0)  # Friday night: prod's window opens Sat 02:00
PROD_WINDOW = at(3, 14, 2, 5)


# ------------------------------------------------------------------ helpers


def build(ctx: DemoContext, svc: Any, release_id: str, *, fault: str | None = None) -> str:
    """The release's build from its commit (``python -m smart_dairy_app.build``)."""
    release = _release(svc, release_id)
    ref = release.commit_sha or "HEAD"
    path, digest = ctx.kit.builder.build(
        ctx.ws.repo, ref, release.version, ctx.ws.root / "builds", fault=fault
    )
    bad = f" with fault {fault}" if fault else ""
    ctx.say(f"built {path.name}{bad} from {ref[:12]}: sha256 {digest[:12]}")
    return str(path)


def _release(svc: Any, release_id: str) -> Any:
    lc = svc.lifecycle
    with lc.uow_factory() as uow:
        return uow.releases.get(release_id)


def promote(
    ctx: DemoContext,
    svc: Any,
    release_id: str,
    env: str,
    *,
    strategy: str | None = None,
    artifact: str | None = None,
    detail: bool = False,
) -> Any:
    """``relman promote RELEASE --to ENV --as dipu``; the succeeded deployment (``detail``:
    every step's outcome)."""
    from relman.services.deployment import deploy_release

    steps: list[str] = []

    def progress(event: Any) -> None:
        if event.kind == "step_failed" or (event.kind == "notice" and event.message):
            steps.append(event.message)

    outcome = deploy_release(
        svc.deployments, release_id=release_id, environment=env, actor=DEVOPS,
        strategy=strategy, artifact=artifact, progress=progress,
    )  # fmt: skip
    dep = outcome.deployment
    done = [s for s in outcome.steps if s.phase == "forward"]
    ctx.say(
        f"{dep.id}: {dep.version} -> {env} by {DEVOPS}, {dep.strategy}, {len(done)} steps, "
        f"{dep.status.value}"
    )
    for step in done if detail else []:
        ctx.say(f"  {step.kind}: {step.outcome}")
    for line in [*outcome.notices, *steps]:
        ctx.say(f"  {line}")
    ctx.facts.setdefault("deployments", []).append(_deployment_fact(dep))
    return dep


def _deployment_fact(dep: Any) -> dict[str, Any]:
    return {
        "id": dep.id,
        "release": dep.release_id,
        "environment": dep.environment,
        "version": dep.version,
        "strategy": dep.strategy,
        "status": dep.status.value,
        "previous_version": dep.previous_version,
    }


def refused(ctx: DemoContext, svc: Any, release_id: str, env: str) -> None:
    """A promotion that J-003 refuses now: show why (nothing is deployed)."""
    from relman.services.deployment import deploy_release

    try:
        deploy_release(svc.deployments, release_id=release_id, environment=env, actor=DEVOPS)
    except BlockedError as exc:
        ctx.say(f"promote {release_id} --to {env} refused: {exc.message}")
        if exc.hint:
            ctx.say(f"  {exc.hint}")
        return
    raise BlockedError(f"the promotion of {release_id} to {env} was expected to be refused")


# ------------------------------------------------------------------ stages


def stage_dev(ctx: DemoContext) -> None:
    rid = ctx.releases[rel.RELEASE]
    ctx.at(at(3, 2, 10, 30))
    svc = ctx.services()
    artifact = build(ctx, svc, rid)
    promote(ctx, svc, rid, "dev", artifact=artifact)


def stage_qa(ctx: DemoContext) -> None:
    rid = ctx.releases[rel.RELEASE]
    ctx.at(at(3, 2, 11, 0))
    refused(ctx, ctx.services(), rid, "qa")  # QA's window is daily 12:00-13:00
    ctx.at(at(3, 2, 12, 5))
    promote(ctx, ctx.services(), rid, "qa")
    rel.stage_qa_gates(ctx)


def stage_staging(ctx: DemoContext) -> None:
    rid = ctx.releases[rel.RELEASE]
    ctx.at(at(3, 3, 18, 5))
    svc = ctx.services()
    promote(ctx, svc, rid, "staging", detail=True)
    rel.tick(
        ctx,
        svc,
        rid,
        "7.1.3-5",
        by="qamrul",
        note="staging smoke tests within their latency limits",
    )
    rel.sign(ctx, svc, rid, "G5", by=DEVOPS, comment="staging validated, smoke tests green")
    refused(ctx, svc, rid, "prod")  # G6 not signed, testing period not over, no window
    ctx.at(at(3, 11, 16, 0))
    svc = ctx.services()
    rel.tick(
        ctx,
        svc,
        rid,
        "7.1.4-3",
        by=DEVOPS,
        note="the previous version stays installed for rollback",
    )
    rel.tick(ctx, svc, rid, "7.1.4-4", by=DEVOPS, note="runbook updated")
    rel.sign(ctx, svc, rid, "G6", by="rana", comment="go")
    rel.sign(ctx, svc, rid, "G6", by="parvin", comment="approved for Saturday's window")
    rel.sign(ctx, svc, rid, "G6", by="tanvir", comment="approved")


def stage_release_finish(ctx: DemoContext) -> None:
    """The T-48h notice goes out, then ``relman flow release finish``: notes, tag, merges."""
    from relman.services.flow import RecordLink, finish_release
    from relman.services.flow_files import NotesTools
    from relman.services.flow_records import RecordOptions
    from relman.services.notification_delivery import run_due

    ctx.at(at(3, 12, 2, 10))  # T-48h before Saturday 02:00
    svc = ctx.services()
    due = run_due(notifications=svc.notifications)
    ctx.say(
        f"relman notify due: {len(due.queued)} queued (T-48h pre-release notice), "
        f"{len(due.delivery.sent)} sent"
    )
    ctx.at(at(3, 12, 11, 0))
    svc = ctx.services()
    tools = NotesTools(
        versioning=svc.versioning_policy, notes=svc.notes_policy, renderer=svc.notes_renderer
    )
    link = RecordLink(records=svc.flow_records, options=RecordOptions(actor="meher"))
    outcome = finish_release(
        flow=svc.git_flow, git=svc.git, policy=svc.flow_policy, tools=tools, link=link
    )
    plan = outcome.plan
    ctx.say(f"release finish {plan.branch}: tag {plan.tag}, {len(plan.steps)} git steps")
    for line in (*outcome.resolutions, *outcome.warnings):
        ctx.say(f"  {line}")
    if outcome.record is not None:
        for message in outcome.record.messages:
            ctx.say(f"record: {message}")
    ctx.facts["tag"] = plan.tag


def stage_prod(ctx: DemoContext) -> None:
    rid = ctx.releases[rel.RELEASE]
    ctx.at(ATTEMPT_OUTSIDE_WINDOW)
    refused(ctx, ctx.services(), rid, "prod")
    ctx.at(PROD_WINDOW)
    svc = ctx.services()
    traffic = start_traffic(ctx, svc, "prod")
    try:
        promote(ctx, svc, rid, "prod", strategy="blue_green", detail=True)
    finally:
        tally = traffic.stop() if traffic is not None else None
    if tally is not None:
        ctx.say(f"users during the deployment: {tally.requests} requests, {tally.failed} failed")
        ctx.facts["prod_traffic"] = tally.to_dict()


def start_traffic(ctx: DemoContext, svc: Any, env: str) -> Any:
    """Users on ``env``'s public URL (only once something answers there)."""
    url = svc.deployments.runtime(env).public_url
    if url is None or live_version(svc, env) is None:
        return None
    traffic = ctx.kit.open_traffic(url)
    traffic.start()
    return traffic


def live_version(svc: Any, env: str) -> str | None:
    from relman.services.env_status import get_environment_status

    (status,) = get_environment_status(svc.deployments, environment=env, probe=False)
    return next((c.version for c in status.components), None)


def stage_verify(ctx: DemoContext) -> None:
    """G7 after the observation: monitoring stable, no critical issue; the release closes."""
    rid = ctx.releases[rel.RELEASE]
    ctx.at(at(3, 14, 6, 30))
    svc = ctx.services()
    rel.advance(ctx, svc, rid)  # DEPLOY -> VERIFY (G5, G6)
    rel.tick(ctx, svc, rid, "7.3-3", by="sara", note="no critical issue in the first hours")
    rel.sign(ctx, svc, rid, "G7", by="sara", comment="monitoring stable after the switch")
    rel.advance(ctx, svc, rid)  # VERIFY -> CLOSED (G7)


def read_env_status(svc: Any) -> dict[str, Any]:
    """``relman env status --json``, reduced to what the summary reports per environment."""
    from relman.services.env_status import get_environment_status

    out: dict[str, Any] = {}
    for status in get_environment_status(svc.deployments):
        data = status.to_dict()
        versions = {c.component: c.version for c in status.components}
        out[status.environment] = {
            "version": next(iter(versions.values()), None),
            "components": versions,
            "health": status.health,
            "public_url": status.public_url,
            "last_deployment": data["last_deployment"],
        }
    return out
