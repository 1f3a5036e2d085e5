"""Demo stages after the release: a patch whose canary goes bad in production and is rolled
back automatically, then a P1 incident and its hotfix, deployed first and approved post hoc.

The patch (1.2.1) is a real Git Flow release with its own gates and test evidence; its build
carries the sample app's fault switch ``errors=0.2`` (one business request in five answers 500
from the fifth on), standing in for a regression no test caught: the smoke tests of QA and
staging pass, production's traffic does not. The canary's analysis sees the error rate over
the §14.2 threshold (1 %, critical) and relman rolls back on its own, measuring the time from
the trigger to traffic back on 1.2.0.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from relman.errors import BlockedError, DeploymentFailedError
from relman.services import demo_release as rel
from relman.services.demo import DemoContext, StageSkippedError
from relman.services.demo_deploy import DEVOPS, build, live_version, promote, start_traffic
from relman.services.demo_story import DEVELOP, at
from relman.services.demo_workspace import list_authors

PATCH = "patch"
BAD_BUILD = "errors=0.2"


def _commit(
    ctx: DemoContext, who: str, when: Any, message: str, edit: tuple[str, str, str]
) -> None:
    """A developer's commit on the branch checked out (the story goes on)."""
    writer = ctx.kit.host.history_writer(ctx.ws.repo)
    path, old, new = edit
    text = writer.read(path)
    if old not in text:  # pragma: no cover - the story is fixed
        raise BlockedError(f"story edit of {path}: {old!r} not found")
    writer.write(path, text.replace(old, new, 1))
    author = list_authors()[who]
    writer.commit(message, name=author.name, email=author.email, at=when)


def stage_patch(ctx: DemoContext) -> None:
    """Patch 1.2.1 through plan, Git Flow, G1-G6 and Dev, QA, Staging (all green)."""
    from relman.services.flow import RecordLink, start_release
    from relman.services.flow_records import RecordOptions
    from relman.services.planning import plan_release

    ctx.kit.host.history_writer(ctx.ws.repo).checkout(DEVELOP)
    _commit(
        ctx, "arif", at(3, 14, 15, 0),
        "perf(core): inventory query in one round trip\n\nRefs: SD-131",
        ("config/smart_dairy.conf", "inventory_hide_archived = true",
         "inventory_hide_archived = true\ninventory_single_query = true"),
    )  # fmt: skip
    ctx.at(at(3, 15, 9, 0))
    svc = ctx.services()
    lc = svc.lifecycle
    planned = plan_release(
        uow_factory=lc.uow_factory, policy=lc.policy, git=lc.git, versioning=lc.versioning,
        clock=lc.clock, actor="meher", release_type="patch", target_date=date(2026, 3, 18),
        title="Faster inventory query",
    )  # fmt: skip
    rid = planned.release.id
    ctx.releases[PATCH] = rid
    ctx.say(f"planned {rid} patch {planned.release.version}: {planned.lead_time.message}")
    link = RecordLink(records=svc.flow_records, options=RecordOptions(actor="meher"))
    outcome = start_release(
        flow=svc.git_flow, git=svc.git, policy=svc.flow_policy,
        versioning=svc.versioning_policy, link=link,
    )  # fmt: skip
    ctx.say(f"release start {outcome.plan.branch}")
    rel.tick(ctx, svc, rid, "7.1.1-3", by="tanvir", note="Arif on the patch")
    rel.tick(ctx, svc, rid, "7.1.1-4", by=DEVOPS, note="no schema change")
    rel.sign(ctx, svc, rid, "G1", by="parvin", comment="small patch")
    rel.advance(ctx, svc, rid)
    runs = rel.run_tests(ctx, "release-1.2.1")
    svc = ctx.services()
    record_evidence(ctx, svc, rid, runs)
    rel.tick(ctx, svc, rid, "7.1.2-2", by="tanvir", note="reviewed")
    rel.sign(ctx, svc, rid, "G2", by="tanvir", comment="done")
    rel.advance(ctx, svc, rid)
    ctx.at(at(3, 15, 10, 0))
    artifact = build(ctx, svc, rid, fault=BAD_BUILD)
    promote(ctx, svc, rid, "dev", artifact=artifact)
    ctx.at(at(3, 15, 12, 5))
    svc = ctx.services()
    promote(ctx, svc, rid, "qa")
    rel.tick(ctx, svc, rid, "7.1.3-3", by="qamrul", note="none open")
    rel.sign(ctx, svc, rid, "G3", by="qamrul", comment="QA passed")
    rel.sign(ctx, svc, rid, "G4", by="popy", comment="accepted")
    rel.advance(ctx, svc, rid)
    ctx.at(at(3, 15, 18, 5))
    svc = ctx.services()
    promote(ctx, svc, rid, "staging")
    rel.tick(
        ctx,
        svc,
        rid,
        "7.1.3-5",
        by="qamrul",
        note="staging smoke tests within their latency limits",
    )
    rel.sign(ctx, svc, rid, "G5", by=DEVOPS, comment="staging validated")
    ctx.at(at(3, 16, 10, 0))
    svc = ctx.services()
    rel.tick(ctx, svc, rid, "7.1.4-3", by=DEVOPS, note="canary at 5% first; rollback is automatic")
    rel.tick(ctx, svc, rid, "7.1.4-4", by=DEVOPS, note="runbook")
    rel.sign(ctx, svc, rid, "G6", by="rana", comment="go")
    rel.sign(ctx, svc, rid, "G6", by=DEVOPS, comment="approved (patch: DevOps Lead)")


def record_evidence(ctx: DemoContext, svc: Any, rid: str, runs: dict[str, Any]) -> None:
    """JUnit, CI status, Cobertura and SARIF of one test run, as ``relman evidence add``."""
    status = {
        "status": "success" if runs["pytest"].exit_code == 0 else "failure",
        "commit": svc.lifecycle.git.resolve("HEAD"),
        "pipeline": "relman demo: pytest + coverage + " + runs["sarif"].tool,
    }
    files = (
        ("junit", runs["pytest"].output.read_bytes(), "junit.xml"),
        ("ci", json.dumps(status).encode(), "ci-status.json"),
        ("coverage", runs["coverage"].output.read_bytes(), "coverage.xml"),
        ("sarif", runs["sarif"].output.read_bytes(), "scan.sarif"),
    )
    for kind, data, source in files:
        rel.add_evidence(ctx, svc, rid, kind, data=data, source=source)


def stage_canary(ctx: DemoContext) -> None:
    """``relman promote R-2 --to prod --strategy canary`` under user traffic: rolled back."""
    if not ctx.ws.nginx:
        raise StageSkippedError("a canary needs weighted routes, which need nginx")
    rid = ctx.releases[PATCH]
    ctx.at(at(3, 18, 2, 5))  # Wednesday's prod window
    svc = ctx.services()
    traffic = start_traffic(ctx, svc, "prod")
    try:
        promote(ctx, svc, rid, "prod", strategy="canary", detail=True)
    except DeploymentFailedError as exc:
        _show_steps(ctx, svc, str(exc.details.get("deployment")))
        ctx.say(f"rolled back automatically: {exc.message}")
        record = dict(exc.details.get("rollback") or {})
        ctx.facts["rollback"] = _rollback_fact(exc.details.get("deployment"), record)
        seconds = record.get("duration_seconds")
        if seconds is not None:
            ctx.say(f"measured rollback time: {float(str(seconds)):.2f}s (J-003: < 15 minutes)")
    else:
        raise BlockedError("the bad canary was not rolled back: its faults did not show")
    finally:
        tally = traffic.stop() if traffic is not None else None
    if tally is not None:
        ctx.say(f"users during the canary: {tally.requests} requests, {tally.failed} failed")
        ctx.facts["canary_traffic"] = tally.to_dict()
    svc = ctx.services()
    with svc.lifecycle.uow_factory() as uow:
        phase = uow.releases.get(rid).phase.value
    ctx.say(f"{rid} is now {phase}; production runs {_prod_version(svc)}")


def _show_steps(ctx: DemoContext, svc: Any, deployment_id: str) -> None:
    """``relman deploy show D-n``: every step, forward then rollback."""
    from relman.services.deployment import get_deployment

    _dep, steps = get_deployment(svc.deployments, deployment_id)
    for step in steps:
        ctx.say(f"  {step.phase} {step.kind} [{step.status.value}]: {step.outcome or ''}")


def _rollback_fact(deployment: object, record: dict[str, Any]) -> dict[str, Any]:
    keys = ("from_version", "to_version", "reason", "threshold", "severity", "automatic")
    fact: dict[str, Any] = {"deployment": deployment, **{k: record.get(k) for k in keys}}
    seconds = record.get("duration_seconds")
    fact["seconds"] = None if seconds is None else float(str(seconds))
    fact["record"] = record
    return fact


def _prod_version(svc: Any) -> str | None:
    return live_version(svc, "prod")
