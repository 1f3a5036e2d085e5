"""Verification steps of a deployment (J-003 §8.5, §9, §14): smoke tests before the switch,
health checks and smoke tests after it, canary analysis and the observation period.

Problems become rollback triggers judged by the §9.1 decision tree
(`relman.domain.rollback.decide_rollback`): a critical one raises `RollbackNeeded` (automatic,
immediate rollback); a high or medium one is recorded as a proposal with the one command that
rolls back. Smoke results are stored as ``junit`` evidence of the release (G5, G7); passing
checks record the events gates and checklists look for (``smoke_passed:<env>``,
``health_ok:<env>``, ``monitoring_stable``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relman.domain.deployment_records import name_events
from relman.domain.deployments import StepKind
from relman.domain.health import HealthReport
from relman.domain.monitoring import evaluate_thresholds
from relman.domain.rollback import (
    RollbackDecision,
    RollbackTrigger,
    Severity,
    decide_rollback,
    list_health_triggers,
    list_threshold_triggers,
)
from relman.errors import IntegrationError, InvalidInputError, RelmanError
from relman.services.deploy_records import Run, add_events
from relman.services.deploy_steps import RollbackNeeded, StepOutcome, find_live_instance

if TYPE_CHECKING:
    from relman.domain.deployment_records import DeploymentStep
    from relman.domain.prometheus import MetricsSnapshot
    from relman.ports import MetricsSource

_UNSTABLE_FROM = Severity.MEDIUM.rank  # low issues (warnings) leave monitoring stable


def execute_verification(run: Run, step: DeploymentStep) -> StepOutcome:
    kind = StepKind(step.kind)
    if kind is StepKind.SMOKE:
        return _smoke_instance(run, str(step.params["slot"]))
    if kind is StepKind.VERIFY:
        return _verify(run, step)
    if kind in (StepKind.ANALYSE, StepKind.OBSERVE):
        return _watch(run, step)
    raise InvalidInputError(f"unknown step kind {step.kind!r}", where=f"step {step.index + 1}")


def _smoke_instance(run: Run, slot: str) -> StepOutcome:
    if run.runtime.open_smoke is None:
        return StepOutcome("no smoke tests configured")
    instance = find_live_instance(run, slot)
    suite = f"{run.deployment.environment}-{slot}-before-switch"
    report = run.runtime.open_smoke(run.runtime.instance_url(instance), suite).run()
    if not report.ok:
        raise RollbackNeeded(
            RollbackTrigger(
                "smoke",
                Severity.CRITICAL,
                f"smoke tests of {instance.version} in slot {slot} failed before it took "
                f"traffic: {report.describe()}",
                run.now,
            )
        )
    return StepOutcome(report.describe(), data={"summary": dict(report.summary)})


def _verify(run: Run, step: DeploymentStep) -> StepOutcome:
    dep, rt = run.deployment, run.runtime
    slot = step.params.get("slot")
    base, log = rt.public_url, None
    if slot is not None:
        instance = find_live_instance(run, str(slot))
        base, log = rt.instance_url(instance), instance.log_path
    elif rt.target is not None and not step.params.get("rollback"):
        new = [i for i in rt.target.list_instances() if i.alive and i.version == dep.version]
        log = new[0].log_path if new else None
    health = rt.open_health(base, log, 0).check() if rt.open_health is not None else None
    smoke = rt.open_smoke(base, dep.environment).run() if rt.open_smoke is not None else None
    health_ok = health is None or health.ok
    smoke_ok = smoke is None or smoke.ok
    summary = "; ".join(
        part for part in (
            health.summary() if health is not None else "",
            smoke.describe() if smoke is not None else "",
        ) if part
    ) or "nothing to verify"  # fmt: skip
    if step.params.get("rollback"):
        run.results["rollback_verify"] = {"health": health_ok, "smoke": smoke_ok}
        if not (health_ok and smoke_ok):
            raise IntegrationError(f"the previous version does not verify: {summary}")
        return StepOutcome(summary)
    if smoke is not None:
        _record_evidence(run, smoke.junit_xml)
    run.results["verify"] = {
        "health": health.to_dict() if health is not None else None,
        "smoke": dict(smoke.summary) if smoke is not None else None,
    }
    _record_checks(
        run, health_ok=health_ok and health is not None, smoke_ok=smoke_ok and smoke is not None
    )
    triggers = list_health_triggers(health, detected_at=run.now) if health else []
    if smoke is not None:
        triggers += list_health_triggers(
            HealthReport(smoke.results),
            detected_at=run.now,
            check_severities=rt.monitoring.smoke_severities,
        )
    _judge(run, triggers, where="verification")
    return StepOutcome(summary, data={"health": health_ok, "smoke": smoke_ok})


def _record_checks(run: Run, *, health_ok: bool, smoke_ok: bool) -> None:
    dep, production = run.deployment, run.ctx.path.production
    names: list[str] = []
    if smoke_ok:
        names += name_events("smoke_passed", dep.environment, production=production)
    if health_ok:
        names += name_events("health_ok", dep.environment, production=production)
        if any(s.kind == StepKind.MIGRATE.value and s.status == "done" for s in run.steps()):
            names += name_events("migrations_verified", dep.environment, production=production)
    if names:
        with run.ctx.uow_factory() as uow:
            add_events(uow, dep.release_id, names, source=dep.id, at=run.now)


def _record_evidence(run: Run, junit_xml: str) -> None:
    """The smoke report as ``junit`` evidence of the release (shown with G5 in staging and G7
    in prod). It is bound to no commit, so it never stands in for the unit tests that G2 and G3
    judge; the gates see the smoke result through the ``smoke_passed:<env>`` event."""
    from relman.domain.evidence import compute_digest, parse_evidence
    from relman.domain.releases import Evidence
    from relman.services.lifecycle import Tx, run_in_transaction

    dep = run.deployment
    source = f"smoke:{dep.environment}:{dep.id}"
    data = junit_xml.encode("utf-8")
    summary = parse_evidence("junit", data, source=source)

    def work(tx: Tx) -> int | None:
        release = tx.uow.releases.get(dep.release_id)
        if release.phase.is_terminal:
            return None
        stored = tx.uow.evidence.add(
            Evidence(dep.release_id, "junit", summary, compute_digest(data), source, None, tx.at)
        )
        tx.record("evidence.add", dep.release_id, after={"evidence": stored, "smoke": True})
        return stored.id

    run.results["smoke_evidence"] = run_in_transaction(
        uow_factory=run.ctx.uow_factory, clock=run.ctx.clock, actor=dep.actor, work=work
    )


def _judge(run: Run, triggers: list[RollbackTrigger], *, where: str) -> RollbackDecision | None:
    """Apply the §9.1 tree: critical -> raise RollbackNeeded; otherwise record a proposal."""
    dep, mon = run.deployment, run.runtime.monitoring
    decision = decide_rollback(
        triggers,
        environment=dep.environment,
        previous_version=dep.previous_version,
        quick_fix_limit=mon.quick_fix_limit,
    )
    if decision is None:
        return None
    if decision.rolls_back_now and mon.automatic_rollback:
        top = decision.triggers[0]
        raise RollbackNeeded(
            RollbackTrigger(
                top.kind, decision.severity, decision.reason, decision.detected_at,
                decision.threshold,
            )
        )  # fmt: skip
    proposals: list[Any] = run.results.setdefault("proposals", [])
    proposals.append(
        {
            "where": where,
            "severity": decision.severity.value,
            "action": decision.action.value,
            "reason": decision.reason,
            "threshold": decision.threshold,
            "command": decision.command,
            "at": decision.detected_at.isoformat(),
        }
    )
    run.notice(
        f"{decision.severity.value} issue ({decision.action.value}): {decision.reason}"
        + (f"; to roll back: {decision.command}" if decision.command else "")
    )
    return decision


def _watch(run: Run, step: DeploymentStep) -> StepOutcome:
    """Canary analysis or the observation period: scrape each interval, judge the thresholds."""
    dep, rt, ctx = run.deployment, run.runtime, run.ctx
    seconds = float(str(step.params.get("seconds", 0)))
    raw = step.params.get("slots") or ([step.params["slot"]] if "slot" in step.params else [])
    slots = [str(s) for s in raw] if isinstance(raw, list | tuple) else []
    sources = _sources(run, slots)
    if not sources or seconds <= 0:
        return StepOutcome("nothing to observe (no metrics source)")
    taken = run.baselines.pop("taken_at", None)
    previous: dict[str, MetricsSnapshot] = {
        name: run.baselines.pop(name, None) or src.scrape() for name, src in sources.items()
    }
    interval = rt.monitoring.interval_seconds
    started, windows, unstable = ctx.monotonic(), 0, False
    # the first window ends one interval after the new version took traffic (not after the
    # verification that ran in between), so detection takes about one interval
    first = interval - (started - taken) if isinstance(taken, float) else interval
    measured: list[dict[str, Any]] = []
    while (remaining := seconds - (ctx.monotonic() - started)) > 0:
        wait = min(max(first, 0.05) if windows == 0 else interval, remaining)
        ctx.sleep(wait)
        triggers = _scrape_round(run, sources, previous, measured)
        windows += 1
        decision = _judge(run, triggers, where=step.title)
        if decision is not None and decision.severity.rank <= _UNSTABLE_FROM:
            unstable = True
    kind = StepKind(step.kind)
    run.results.setdefault("monitoring", []).append(
        {"step": step.title, "windows": windows, "stable": not unstable, "last": measured[-3:]}
    )
    if kind is StepKind.OBSERVE and not unstable:
        names = [f"monitoring_stable:{dep.environment}"]
        if dep.environment == ctx.path.production:
            names.append("monitoring_stable")
        with ctx.uow_factory() as uow:
            add_events(uow, dep.release_id, names, source=dep.id, at=run.now)
    verdict = "stable" if not unstable else "issues recorded (see proposals)"
    return StepOutcome(
        f"{windows} window(s) of {interval:g}s: {verdict}", data={"windows": windows}
    )


def _sources(run: Run, slots: list[str]) -> dict[str, MetricsSource]:
    rt = run.runtime
    if rt.open_metrics is None:
        return {}
    if not slots:
        return {"app": rt.open_metrics(rt.public_url)} if rt.public_url else {}
    return {s: rt.open_metrics(rt.instance_url(find_live_instance(run, s))) for s in slots}


def _scrape_round(
    run: Run,
    sources: dict[str, MetricsSource],
    previous: dict[str, MetricsSnapshot],
    measured: list[dict[str, Any]],
) -> list[RollbackTrigger]:
    mon, now = run.runtime.monitoring, run.now
    triggers: list[RollbackTrigger] = []
    for name, source in sources.items():
        try:
            snapshot = source.scrape()
        except RelmanError as exc:
            triggers.append(
                RollbackTrigger(
                    "health", Severity.CRITICAL, f"{name} does not answer: {exc.message}", now
                )
            )
            continue
        try:
            window = source.measure(previous[name], snapshot)
        except InvalidInputError:
            continue
        previous[name] = snapshot
        verdict = evaluate_thresholds(window, mon.thresholds)
        measured.append(
            {
                "slot": name,
                "end": window.end.isoformat(),
                "requests": window.requests,
                "errors": window.errors,
                "breaches": [b.describe() for b in verdict.breaches],
            }
        )
        triggers += list_threshold_triggers(
            verdict.breaches, detected_at=now, severity_map=mon.severity_map
        )
    return triggers
