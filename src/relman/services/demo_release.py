"""Demo stages of the release record: workspace, plan, Git Flow, gates G1–G7 with evidence.

Every action is the use case the CLI command runs (``relman release plan``, ``relman flow
release start|finish``, ``relman evidence add``, ``relman checklist tick``, ``relman gate
sign``, ``relman release advance``), by the demo person the J-003 role calls for.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from relman.errors import BlockedError
from relman.services.demo import DemoContext
from relman.services.demo_policy import Endpoints, build_demo_settings, render_demo_policy
from relman.services.demo_story import DEVELOP, at
from relman.services.demo_workspace import ENVIRONMENTS, create_workspace, list_authors

RELEASE = "release"  # the minor release of the story (ctx.releases key)
PLAN_AT = at(3, 2, 9, 0)  # Monday
TARGET_DATE = date(2026, 3, 14)  # Saturday: the prod window Sat 02:00-06:00 BDT
TOO_SOON = date(2026, 3, 5)


# ------------------------------------------------------------------ helpers (the CLI's use cases)


def tick(ctx: DemoContext, svc: Any, release_id: str, item: str, *, by: str, note: str) -> None:
    from relman.services.checklists import tick_item

    lc = svc.lifecycle
    done = tick_item(
        uow_factory=lc.uow_factory, policy=lc.policy, clock=lc.clock, release_id=release_id,
        item_id=item, actor=by, note=note,
    )  # fmt: skip
    ctx.say(f"{by} ticked {item} {done.item.text}")


def sign(ctx: DemoContext, svc: Any, release_id: str, gate: str, *, by: str, comment: str) -> bool:
    """``relman gate sign``; whether the gate passed with it."""
    from relman.services.gates import sign_gate

    lc = svc.lifecycle
    signed = sign_gate(
        uow_factory=lc.uow_factory, policy=lc.policy, clock=lc.clock, release_id=release_id,
        gate_id=gate, actor=by, comment=comment,
    )  # fmt: skip
    state = "passed" if signed.gate.passed else f"still needs {len(signed.gate.unmet)}"
    late = " (post-hoc approval)" if signed.signoff.post_hoc else ""
    ctx.say(f"{by} ({signed.signoff.role}) signed {gate}{late}: {gate} {state}")
    return bool(signed.gate.passed)


def advance(ctx: DemoContext, svc: Any, release_id: str, person: str = "meher") -> str:
    from relman.services.releases import advance_release

    lc = svc.lifecycle
    moved = advance_release(
        uow_factory=lc.uow_factory, policy=lc.policy, clock=lc.clock, release_id=release_id,
        actor=person,
    )  # fmt: skip
    gates = ", ".join(g.gate for g in moved.gates)
    ctx.say(
        f"{release_id} advanced {moved.from_phase.value} -> {moved.release.phase.value} ({gates})"
    )
    return str(moved.release.phase.value)


def add_evidence(
    ctx: DemoContext, svc: Any, release_id: str, kind: str, *, data: bytes, source: str
) -> None:
    from relman.services.evidence import add_evidence as add

    lc = svc.lifecycle
    added = add(
        uow_factory=lc.uow_factory, policy=lc.policy, clock=lc.clock, release_id=release_id,
        kind=kind, data=data, source=source,
    )  # fmt: skip
    verdict = "meets J-003" if added.judgement.ok else "does NOT meet J-003"
    ctx.say(f"evidence {kind} {source}: {added.judgement.detail}: {verdict}")


def run_tests(ctx: DemoContext, label: str) -> dict[str, Any]:
    """The real pytest + coverage + SARIF runs in the repository's work tree (what CI runs)."""
    ws, tools = ctx.ws, ctx.kit.toolchain
    out = ws.evidence / label
    tests = tools.run_tests(ws.repo, out, source="smart_dairy_app", env=_test_env(ctx))
    coverage = tools.write_coverage(ws.repo, out)
    sarif = tools.write_sarif(ws.repo, out, paths=["smart_dairy_app", "addons"])
    last = tests.tail.splitlines()[-1] if tests.tail else "no output"
    ctx.say(f"pytest exit {tests.exit_code} in {tests.seconds:.1f}s: {last}")
    ctx.say(f"SARIF by {sarif.tool}: {' '.join(a for a in sarif.argv[3:] if '/' not in a)}")
    runs = {"pytest": tests, "coverage": coverage, "sarif": sarif}
    ctx.facts.setdefault("evidence_runs", []).append(
        {
            "label": label,
            **{name: {"argv": list(r.argv), "exit_code": r.exit_code, "file": str(r.output)}
               for name, r in runs.items()},
        }
    )  # fmt: skip
    return runs


def _test_env(ctx: DemoContext) -> dict[str, str]:
    url = ctx.ws.databases.get("ci")
    return {"SMART_DAIRY_TEST_DSN": url} if url else {}


# ------------------------------------------------------------------ stages


def stage_workspace(ctx: DemoContext) -> None:
    """The folder, the repository's history, databases, sinks, the policy and the store."""
    kit = ctx.kit
    ctx.at(at(2, 28, 9, 0))
    opts = ctx.options
    ws = create_workspace(
        host=kit.host, root=opts.root, fresh=opts.fresh, now=kit.clock.now(),
        db_prefix=opts.db_prefix,
    )  # fmt: skip
    ctx.workspace = ws
    ctx.skipped.extend(ws.skipped)
    for line in ws.replaced:
        ctx.say(f"--fresh: stopped {line}")
    kit.mail.start()
    kit.webhooks.start()
    ports = {env: kit.free_port() for env in ENVIRONMENTS}
    endpoints = Endpoints(kit.mail.host, kit.mail.port, kit.webhooks.url("").rstrip("/"), ports)
    settings = build_demo_settings(ws, endpoints)
    kit.host.write_text(ws.policy_file, render_demo_policy(settings))
    tanvir = list_authors()["tanvir"]
    writer = kit.host.history_writer(ws.repo)
    writer.commit(
        "chore: adopt relman with the J-003 release policy\n\nWritten by relman init, with the "
        "team's people, notification channels and environments.",
        name=tanvir.name, email=tanvir.email, at=at(2, 28, 9, 30),
    )  # fmt: skip
    svc = ctx.services()
    svc.store.ensure_upgraded()
    revision = svc.store.current_revision()
    history = ws.history
    assert history is not None
    ctx.say(f"repository {ws.repo}: {history.commits + 1} commits, tags {', '.join(history.tags)}")
    ctx.say(f"policy {ws.policy_file.name}: J-003 + {len(settings.people)} people, "
            f"{len(settings.notifications.channels)} channels")  # fmt: skip
    ctx.say(f"state store: {svc.store.url}{f' (schema {revision})' if revision else ''}")
    dbs = ", ".join(sorted(ws.databases)) or "none"
    ctx.say(f"PostgreSQL databases: {dbs}")
    ctx.say(f"nginx: {ws.nginx or 'not installed'}; public ports {json.dumps(ports)}")
    ctx.say(f"SMTP sink smtp://{kit.mail.host}:{kit.mail.port}, webhooks {endpoints.webhook_base}")
    ctx.facts["databases"] = dict(ws.databases)
    ctx.facts["public_ports"] = ports
    ctx.facts["nginx"] = ws.nginx
    ctx.facts["release_line"] = {"previous": "1.1.0", "develop": DEVELOP}


def stage_plan(ctx: DemoContext) -> None:
    """``relman release plan --type minor``: refused inside the lead time, then planned."""
    from relman.services.planning import plan_release

    ctx.at(PLAN_AT)
    svc = ctx.services()
    lc = svc.lifecycle

    def plan(target: date) -> Any:
        return plan_release(
            uow_factory=lc.uow_factory, policy=lc.policy, git=lc.git, versioning=lc.versioning,
            clock=lc.clock, actor="meher", release_type="minor", target_date=target,
            title="Sales channels and farm collection summary",
        )  # fmt: skip

    try:
        plan(TOO_SOON)
    except BlockedError as exc:
        ctx.say(f"refused: target {TOO_SOON}: {exc.message}")
        ctx.facts["lead_time_refusal"] = exc.message
    else:  # pragma: no cover - the J-003 minimum lead time is one week
        raise BlockedError("the lead-time check let a 3-day minor release through")
    planned = plan(TARGET_DATE)
    release = planned.release
    ctx.releases[RELEASE] = release.id
    ctx.say(f"planned {release.id} minor {release.version} by meher, target {TARGET_DATE}: "
            f"{planned.lead_time.message}")  # fmt: skip
    ctx.say(
        f"scope: {len(release.scope_commits)} commits, tickets {', '.join(release.scope_tickets)}"
    )
    ctx.say(f"checklists: {planned.checklist_items} items")
    ctx.facts["release"] = {"id": release.id, "version": release.version, "type": "minor"}


def stage_release_start(ctx: DemoContext) -> None:
    """``relman flow release start --as meher``: release/X from develop, linked to the record."""
    from relman.services.flow import RecordLink, start_release
    from relman.services.flow_records import RecordOptions

    ctx.at(at(3, 2, 9, 20))
    svc = ctx.services()
    link = RecordLink(records=svc.flow_records, options=RecordOptions(actor="meher"))
    outcome = start_release(
        flow=svc.git_flow, git=svc.git, policy=svc.flow_policy,
        versioning=svc.versioning_policy, link=link,
    )  # fmt: skip
    plan = outcome.plan
    ctx.say(f"release start {plan.branch} (version {plan.version}): {len(plan.steps)} git steps")
    if outcome.record is not None:
        for message in outcome.record.messages:
            ctx.say(f"record: {message}")
    ctx.facts["release_branch"] = plan.branch


def stage_build_gates(ctx: DemoContext) -> None:
    """G1 (planning) and G2 (development) with the real test run as evidence."""
    rid = ctx.releases[RELEASE]
    ctx.at(at(3, 2, 9, 30))
    svc = ctx.services()
    tick(ctx, svc, rid, "7.1.1-3", by="tanvir", note="Arif, Nusrat and Sohel on the release")
    tick(ctx, svc, rid, "7.1.1-4", by="dipu", note="migration 003 has a reverse script")
    sign(ctx, svc, rid, "G1", by="parvin", comment="scope agreed with the product owner")
    advance(ctx, svc, rid)
    ctx.at(at(3, 2, 10, 0))
    runs = run_tests(ctx, "release-1.2.0")
    svc = ctx.services()
    add_evidence(
        ctx, svc, rid, "junit", data=runs["pytest"].output.read_bytes(), source="junit.xml"
    )
    status = {
        "status": "success" if runs["pytest"].exit_code == 0 else "failure",
        "commit": svc.lifecycle.git.resolve("HEAD"),
        "pipeline": "relman demo: pytest + coverage + " + runs["sarif"].tool,
    }
    add_evidence(ctx, svc, rid, "ci", data=json.dumps(status).encode(), source="ci-status.json")
    tick(ctx, svc, rid, "7.1.2-2", by="tanvir", note="reviewed in the merge requests")
    sign(ctx, svc, rid, "G2", by="tanvir", comment="development complete")
    advance(ctx, svc, rid)
    ctx.facts["test_runs"] = {"coverage_file": str(runs["coverage"].output)}
    ctx.facts["_runs"] = runs


def stage_qa_gates(ctx: DemoContext) -> None:
    """G3 (QA: coverage and SARIF of the same run) and G4 (UAT by the product owner)."""
    rid = ctx.releases[RELEASE]
    runs = ctx.facts.pop("_runs")
    svc = ctx.services()
    add_evidence(
        ctx, svc, rid, "coverage", data=runs["coverage"].output.read_bytes(), source="coverage.xml"
    )
    add_evidence(
        ctx, svc, rid, "sarif", data=runs["sarif"].output.read_bytes(), source="scan.sarif"
    )
    tick(ctx, svc, rid, "7.1.3-3", by="qamrul", note="no open critical or high defects")
    sign(ctx, svc, rid, "G3", by="qamrul", comment="QA complete in the QA environment")
    ctx.at(at(3, 3, 11, 0))
    svc = ctx.services()
    sign(ctx, svc, rid, "G4", by="popy", comment="UAT done with the farm and B2B teams")
    advance(ctx, svc, rid)
