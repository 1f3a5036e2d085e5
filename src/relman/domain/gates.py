"""Gate evaluation (J-003 §3.3): every criterion met, unmet or waived, plus the sign-offs it needs.

`evaluate_gate` is a pure function of the release and what is recorded against it (evidence,
sign-offs, checklist items, waivers, events). `decide_advance` applies it to the gates between the
release's phase and the next one and refuses with the list of unmet criteria.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from relman.domain.evidence import find_latest_evidence, judge_evidence
from relman.domain.lifecycle import Action, decide_transition
from relman.domain.policy import CriterionSpec, GatePolicy, ReleasePolicy
from relman.domain.releases import ChecklistItem, Evidence, Phase, Release, SignOff, Waiver
from relman.domain.signoffs import (
    SlotStatus,
    compute_slot_statuses,
    is_waiver_valid,
    list_current_decisions,
)
from relman.errors import BlockedError


@dataclass(frozen=True)
class CriterionStatus:
    id: str
    description: str
    state: str  # met|unmet|waived
    detail: str
    proof: str | None = None
    stale_waiver: Waiver | None = None  # unmet: the waiver granted for an earlier commit


@dataclass(frozen=True)
class GateStatus:
    gate: str
    name: str
    criteria: list[CriterionStatus]
    signoffs: list[SlotStatus]
    passed: bool

    @property
    def unmet(self) -> list[str]:
        """One line per thing still missing: unmet criteria, then blocking sign-off slots."""
        lines = [
            f"{c.id}: {c.description} ({c.detail})" for c in self.criteria if c.state == "unmet"
        ]
        lines += [f"{self.gate} sign-off {s.role}: {s.detail}" for s in self.signoffs if s.blocks]
        return lines


@dataclass(frozen=True)
class _Inputs:
    release: Release
    policy: ReleasePolicy
    evidence: Sequence[Evidence]
    signoffs: Sequence[SignOff]
    items: dict[str, ChecklistItem]
    waivers: Sequence[Waiver]
    events: Collection[str]
    now: datetime


def evaluate_gate(
    gate: GatePolicy,
    *,
    release: Release,
    policy: ReleasePolicy,
    evidence: Iterable[Evidence],
    signoffs: Iterable[SignOff],
    checklist_items: Iterable[ChecklistItem],
    waivers: Iterable[Waiver],
    now: datetime,
    events: Collection[str] = (),
) -> GateStatus:
    """Status of ``gate`` for ``release``; ``events`` are recorded facts such as
    ``smoke_passed:staging`` (deployments, notifications) that event criteria look for."""
    inputs = _Inputs(
        release=release,
        policy=policy,
        evidence=list(evidence),
        signoffs=list(signoffs),
        items={i.item_id: i for i in checklist_items if i.release_id == release.id},
        waivers=list(waivers),
        events=frozenset(events),
        now=now,
    )
    return _evaluate(gate, inputs, seen=frozenset())


def _evaluate(gate: GatePolicy, inputs: _Inputs, *, seen: frozenset[str]) -> GateStatus:
    release = inputs.release
    criteria = [
        _criterion_status(gate, c, inputs, seen | {gate.id})
        for c in gate.criteria
        if c.applies_to(release.release_type)
    ]
    slots = compute_slot_statuses(
        gate, release=release, policy=inputs.policy, signoffs=inputs.signoffs, now=inputs.now
    )
    passed = all(c.state != "unmet" for c in criteria) and not any(s.blocks for s in slots)
    return GateStatus(gate.id, gate.name, criteria, slots, passed)


def _criterion_status(
    gate: GatePolicy, spec: CriterionSpec, inputs: _Inputs, seen: frozenset[str]
) -> CriterionStatus:
    met, detail, proof = _judge_criterion(gate, spec, inputs, seen)
    if met:
        return CriterionStatus(spec.id, spec.description, "met", detail, proof)
    release = inputs.release
    waivers = [
        w
        for w in inputs.waivers
        if w.release_id == release.id and w.gate == gate.id and w.criterion_id == spec.id
    ]
    waiver = next((w for w in waivers if is_waiver_valid(w, release)), None)
    if waiver is not None:
        bound = f" for commit {waiver.commit_sha[:12]}" if waiver.commit_sha else ""
        waived = f"waived by {waiver.person_id}{bound}: {waiver.reason}"
        return CriterionStatus(
            spec.id, spec.description, "waived", waived, f"waiver {waiver.at.isoformat()}"
        )
    stale = max(waivers, key=lambda w: w.at, default=None)
    if stale is not None:  # every waiver was granted for an earlier build: ask again
        detail += f"; {describe_stale_waiver(stale, release)}"
    # an unmet criterion still cites the evidence that failed it, when there is some
    return CriterionStatus(spec.id, spec.description, "unmet", detail, proof, stale)


def describe_stale_waiver(waiver: Waiver, release: Release) -> str:
    """``waiver by rana is stale: granted for commit 1a2b…, the release is now at 3c4d…; …``"""
    return (
        f"waiver by {waiver.person_id} is stale: {describe_stale_grant(waiver, release)}; "
        "waive it again"
    )


def describe_stale_grant(waiver: Waiver, release: Release) -> str:
    """``granted for commit 1a2b…, the release is now at 3c4d…``: the one wording of why a
    waiver is stale (gate status's criterion detail and its waivers table)."""
    granted = (
        f"commit {waiver.commit_sha[:12]}"
        if waiver.commit_sha
        else "an earlier commit (not recorded)"  # granted before store revision 0005
    )
    now_at = release.commit_sha[:12] if release.commit_sha else "no commit"
    return f"granted for {granted}, the release is now at {now_at}"


Verdict = tuple[bool, str, str | None]


def _judge_criterion(
    gate: GatePolicy, spec: CriterionSpec, inputs: _Inputs, seen: frozenset[str]
) -> Verdict:
    if spec.kind == "evidence":
        return _judge_evidence(str(spec.params.get("evidence", "")), inputs)
    if spec.kind == "checklist":
        return _judge_items(_param_tuple(spec, "items"), inputs)
    if spec.kind == "scope":
        return _judge_scope(inputs.release)
    if spec.kind == "signoff":
        return _judge_signoff(gate, _param_tuple(spec, "roles"), inputs)
    if spec.kind == "manual":
        return _judge_signoff(gate, (), inputs)
    if spec.kind == "event":
        return _judge_event(spec, inputs, seen)
    return False, f"unknown criterion kind '{spec.kind}'", None


def _param_tuple(spec: CriterionSpec, key: str) -> tuple[str, ...]:
    value = spec.params.get(key, ())
    return tuple(str(v) for v in value) if isinstance(value, tuple | list) else ()


def _judge_evidence(kind: str, inputs: _Inputs) -> Verdict:
    sha = inputs.release.commit_sha
    if sha is None:
        return False, "the release has no commit yet: record the build commit first", None
    latest = find_latest_evidence(inputs.evidence, kind, sha)
    if latest is None:
        return False, f"no {kind} evidence for commit {sha[:12]}", None
    verdict = judge_evidence(
        latest,
        coverage_min=inputs.policy.coverage_min,
        blocking_levels=inputs.policy.sarif_blocking_levels,
    )
    return verdict.ok, verdict.detail, compute_evidence_link(latest)


def compute_evidence_link(evidence: Evidence) -> str:
    """How a piece of evidence is cited: ``evidence #12 junit report.xml (sha256:ab12…)``."""
    number = f"#{evidence.id} " if evidence.id is not None else ""
    return f"evidence {number}{evidence.kind} {evidence.source} ({evidence.digest[:19]})"


def _judge_items(item_ids: Sequence[str], inputs: _Inputs) -> Verdict:
    missing = [i for i in item_ids if i not in inputs.items]
    if missing:
        return False, f"checklist items not on this release: {', '.join(missing)}", None
    open_items = [inputs.items[i] for i in item_ids if not inputs.items[i].is_ticked]
    if open_items:
        return False, "not ticked: " + "; ".join(f"{i.item_id} {i.text}" for i in open_items), None
    ticked = [inputs.items[i] for i in item_ids]
    proof = "; ".join(
        f"{i.item_id} ticked by {i.ticked_by}" + (f" ({i.proof})" if i.proof else "")
        for i in ticked
    )
    return True, f"{len(ticked)} checklist item(s) ticked", proof


def _judge_scope(release: Release) -> Verdict:
    commits, tickets = len(release.scope_commits), len(release.scope_tickets)
    detail = f"{commits} commits, {tickets} tickets in scope"
    return commits + tickets > 0, detail, "scope" if commits + tickets else None


def _judge_signoff(gate: GatePolicy, roles: Sequence[str], inputs: _Inputs) -> Verdict:
    """``roles``: an approval by each; none given (manual): any of the gate's sign-off roles."""
    decisions = list_current_decisions(inputs.signoffs, inputs.release, gate.id)
    approvals = [d for d in decisions if d.decision == "approve"]
    if roles:
        missing = [r for r in roles if r not in {d.role for d in approvals}]
        cited = [d for d in approvals if d.role in roles]
        awaiting = ", ".join(missing)
    else:
        cited = [d for d in approvals if d.role in gate.signoff_roles]
        missing = [] if cited else list(gate.signoff_roles)
        awaiting = " or ".join(missing)
    if missing:
        return False, f"awaiting approval by {awaiting}", None
    proof = "; ".join(f"{gate.id} approved by {d.person_id} ({d.role})" for d in cited)
    return True, "approved", proof


def _judge_event(spec: CriterionSpec, inputs: _Inputs, seen: frozenset[str]) -> Verdict:
    gate_ids = _param_tuple(spec, "gates")
    if gate_ids:
        return _judge_gates(gate_ids, inputs, seen)
    event = str(spec.params.get("event", ""))
    if event in inputs.events:
        return True, f"event {event} recorded", f"event:{event}"
    fallback = _param_tuple(spec, "items")
    if fallback:
        met, _detail, proof = _judge_items(fallback, inputs)
        if met:
            return True, f"attested on checklist ({', '.join(fallback)})", proof
        return False, f"event {event} not recorded and {', '.join(fallback)} not ticked", None
    return False, f"event {event} not recorded", None


def _judge_gates(gate_ids: Sequence[str], inputs: _Inputs, seen: frozenset[str]) -> Verdict:
    failing = []
    for gate_id in gate_ids:
        if gate_id in seen:
            failing.append(f"{gate_id} (cycle)")
            continue
        status = _evaluate(inputs.policy.get_gate(gate_id), inputs, seen=seen)
        if not status.passed:
            failing.append(gate_id)
    if failing:
        return False, f"not passed: {', '.join(failing)}", None
    return True, f"{', '.join(gate_ids)} passed", "gates " + ",".join(gate_ids)


@dataclass(frozen=True)
class AdvanceDecision:
    from_phase: Phase
    to_phase: Phase
    gates: list[GateStatus]


def decide_advance(
    *,
    release: Release,
    policy: ReleasePolicy,
    evidence: Iterable[Evidence],
    signoffs: Iterable[SignOff],
    checklist_items: Iterable[ChecklistItem],
    waivers: Iterable[Waiver],
    now: datetime,
    events: Collection[str] = (),
) -> AdvanceDecision:
    """The next phase when every gate between here and there passes.

    BlockedError lists each unmet criterion and sign-off (``details["unmet"]``);
    ConflictError from a terminal phase.
    """
    target = decide_transition(release.phase, Action.ADVANCE)
    gates = policy.list_gates_between(release.phase.value, target.value)
    recorded = (list(evidence), list(signoffs), list(checklist_items), list(waivers))
    statuses = [
        evaluate_gate(
            gate,
            release=release,
            policy=policy,
            evidence=recorded[0],
            signoffs=recorded[1],
            checklist_items=recorded[2],
            waivers=recorded[3],
            now=now,
            events=events,
        )
        for gate in gates
    ]
    unmet = [line for s in statuses for line in s.unmet]
    if unmet:
        gate_ids = ", ".join(g.id for g in gates)
        raise BlockedError(
            f"cannot advance release {release.id} from {release.phase.value} to {target.value}: "
            f"{len(unmet)} unmet ({gate_ids})",
            where=f"release {release.id}",
            hint="\n".join(unmet),
            details={"unmet": unmet, "gates": [g.id for g in gates]},
        )
    return AdvanceDecision(release.phase, target, statuses)
