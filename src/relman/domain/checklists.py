"""Release checklists (J-003 §7, §9.4, §13.1, §14.3, Appendix A): instantiate, tick, auto-tick.

An item whose spec names a ``proof`` is ticked automatically once that proof holds; the item then
carries the proof's link text (the evidence, gate or event behind it). Proof keys are computed by
`compute_proofs` from what is recorded against the release.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from relman.domain.evidence import EVIDENCE_KINDS, find_latest_evidence, judge_evidence
from relman.domain.gates import compute_evidence_link
from relman.domain.lifecycle import Action, decide_transition
from relman.domain.policy import ChecklistSpec, Person, ReleasePolicy
from relman.domain.releases import ChecklistItem, Evidence, Release
from relman.errors import ConflictError, NotFoundError

AUTO_TICKER = "relman"
"""`ticked_by` of items ticked automatically from a proof."""


def plan_checklist(release: Release, spec: ChecklistSpec) -> list[ChecklistItem]:
    """The unticked items of one checklist for ``release`` (e.g. §9.4 when a rollback starts)."""
    return [
        ChecklistItem(release.id, spec.id, item.id, item.text, None, None, None)
        for item in spec.items
    ]


def plan_open_checklist(
    release: Release, spec: ChecklistSpec, existing: Iterable[ChecklistItem]
) -> list[ChecklistItem]:
    """Open a checklist on demand (Appendix A, §9.4, or one of another release type): its
    unticked items. ConflictError when the release already has it or takes no ticks."""
    decide_transition(release.phase, Action.TICK)
    if any(item.checklist_id == spec.id for item in existing):
        raise ConflictError(
            f"checklist {spec.id} ({spec.title}) is already open on release {release.id}",
            where=f"release {release.id} checklist {spec.id}",
            hint=f"relman checklist show {release.id} --checklist {spec.id}",
        )
    return plan_checklist(release, spec)


def plan_checklists(release: Release, policy: ReleasePolicy) -> list[ChecklistItem]:
    """Every checklist that applies to the release's type, unticked, in policy order."""
    return [
        item
        for spec in policy.list_checklists_for(release.release_type)
        for item in plan_checklist(release, spec)
    ]


def get_item(items: Iterable[ChecklistItem], item_id: str, *, release_id: str) -> ChecklistItem:
    items = list(items)
    for item in items:
        if item.item_id == item_id and item.release_id == release_id:
            return item
    checklists = sorted({i.checklist_id for i in items if i.release_id == release_id})
    raise NotFoundError(
        f"release {release_id} has no checklist item '{item_id}' "
        f"(its checklists: {', '.join(checklists) or 'none'}; items look like 7.1.2-4)",
        where=f"release {release_id}",
    )


def decide_tick(
    item: ChecklistItem, *, release: Release, person: Person, now: datetime, note: str = ""
) -> ChecklistItem:
    """``person`` ticks ``item`` by hand; ConflictError when already ticked or out of phase."""
    decide_transition(release.phase, Action.TICK)
    if item.is_ticked:
        raise ConflictError(
            f"{item.item_id} is already ticked by {item.ticked_by}"
            + (f" at {item.ticked_at.isoformat()}" if item.ticked_at else ""),
            where=f"release {release.id} checklist {item.checklist_id}",
        )
    return replace(item, ticked_by=person.id, ticked_at=now, proof=note.strip() or None)


def compute_proofs(
    *,
    release: Release,
    policy: ReleasePolicy,
    evidence: Iterable[Evidence],
    passed_gates: Collection[str] = (),
    events: Collection[str] = (),
) -> dict[str, str]:
    """Proof key -> link text, for every proof that currently holds for ``release``."""
    proofs: dict[str, str] = {}
    if release.scope_commits or release.scope_tickets:
        proofs["scope"] = (
            f"scope: {len(release.scope_commits)} commits, {len(release.scope_tickets)} tickets"
        )
    recorded = list(evidence)
    if release.commit_sha is not None:
        for kind in EVIDENCE_KINDS:
            latest = find_latest_evidence(recorded, kind, release.commit_sha)
            if (
                latest is not None
                and judge_evidence(
                    latest,
                    coverage_min=policy.coverage_min,
                    blocking_levels=policy.sarif_blocking_levels,
                ).ok
            ):
                proofs[f"evidence:{kind}"] = compute_evidence_link(latest)
    for gate_id in passed_gates:
        proofs[f"gate:{gate_id}"] = f"gate {gate_id} passed"
    for event in events:
        proofs[f"event:{event}"] = f"event {event}"
    return proofs


def auto_tick(
    items: Iterable[ChecklistItem],
    proofs: Mapping[str, str],
    *,
    policy: ReleasePolicy,
    now: datetime,
) -> list[ChecklistItem]:
    """The items newly ticked because their proof holds, each carrying the proof's link text."""
    proof_of = _proof_keys(policy)
    ticked = []
    for item in items:
        key = proof_of.get((item.checklist_id, item.item_id))
        if item.is_ticked or not key:
            continue
        link = find_proof_link(key, proofs)
        if link is not None:
            ticked.append(replace(item, ticked_by=AUTO_TICKER, ticked_at=now, proof=link))
    return ticked


def find_proof_link(proof: str, proofs: Mapping[str, str]) -> str | None:
    """Link text when every part of ``proof`` (``a+b``) holds, else None."""
    parts = [p.strip() for p in proof.split("+") if p.strip()]
    if not parts or any(p not in proofs for p in parts):
        return None
    return "; ".join(proofs[p] for p in parts)


def _proof_keys(policy: ReleasePolicy) -> dict[tuple[str, str], str]:
    return {
        (spec.id, item.id): item.proof
        for spec in policy.checklists.values()
        for item in spec.items
        if item.proof
    }


def list_open_items(items: Sequence[ChecklistItem]) -> list[ChecklistItem]:
    return [i for i in items if not i.is_ticked]
