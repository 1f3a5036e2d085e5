"""Builders for domain tests: J-003 policy with demo people, releases, evidence, sign-offs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from relman.domain.policy import Person, ReleasePolicy
from relman.domain.releases import ChecklistItem, Evidence, Phase, Release, SignOff

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SHA = "c0ffee" + "0" * 34
SHA2 = "beef" + "1" * 36

PEOPLE = {
    p.id: p
    for p in (
        Person("rahim", "Rahim Dev", "rahim@smartdairy.test", ("developer",)),
        Person("parvin", "Parvin PM", "parvin@smartdairy.test", ("project_manager",)),
        Person("parvez", "Parvez PM", "parvez@smartdairy.test", ("project_manager",)),
        Person("tanvir", "Tanvir TL", "tanvir@smartdairy.test", ("tech_lead",)),
        Person("tania", "Tania TL", "tania@smartdairy.test", ("tech_lead",)),
        Person("tomal", "Tomal TL", "tomal@smartdairy.test", ("tech_lead",)),
        Person("qamrul", "Qamrul QA", "qamrul@smartdairy.test", ("qa_lead",)),
        Person("popy", "Popy PO", "popy@smartdairy.test", ("product_owner",)),
        Person("dipu", "Dipu DevOps", "dipu@smartdairy.test", ("devops_lead",)),
        Person("rana", "Rana RM", "rana@smartdairy.test", ("release_manager",)),
        Person("sara", "Sara SRE", "sara@smartdairy.test", ("sre_lead",)),
        Person("chowdhury", "Chowdhury CTO", "cto@smartdairy.test", ("cto",)),
        Person("dora", "Dora PM+TL", "dora@smartdairy.test", ("project_manager", "tech_lead")),
    )
}

SIGNER = {
    "G1": "parvin",
    "G2": "tanvir",
    "G3": "qamrul",
    "G4": "popy",
    "G5": "dipu",
    "G6": "rana",
    "G7": "sara",
}


def make_policy(**overrides: Any) -> ReleasePolicy:
    return replace(ReleasePolicy.default(), people=PEOPLE, **overrides)


def make_release(**overrides: Any) -> Release:
    fields: dict[str, Any] = {
        "id": "R-1",
        "title": "Milk quality parameters",
        "release_type": "minor",
        "version": "1.4.0",
        "components": ("erp",),
        "phase": Phase.PLAN,
        "planned_by": "rahim",
        "target_date": date(2026, 3, 16),
        "created_at": NOW - timedelta(days=14),
        "commit_sha": SHA,
        "scope_commits": ("a1", "a2"),
        "scope_tickets": ("SD-12",),
        "revision": 1,
    }
    fields.update(overrides)
    return Release(**fields)


def make_evidence(
    kind: str, summary: dict[str, object], *, sha: str = SHA, minute: int = 0
) -> Evidence:
    return Evidence(
        "R-1",
        kind,
        summary,
        "sha256:" + "ab" * 32,
        f"{kind}.out",
        sha,
        NOW + timedelta(minutes=minute),
        id=minute + 1,
    )


GOOD_EVIDENCE = [
    make_evidence("junit", {"tests": 12, "failures": 0, "errors": 0}),
    make_evidence("ci", {"status": "success"}),
    make_evidence("coverage", {"percent": 86.5}),
    make_evidence("sarif", {"total": 1, "by_level_severity": {"note/low": 1}}),
]


def make_signoff(
    gate: str,
    person: str,
    *,
    role: str | None = None,
    decision: str = "approve",
    sha: str | None = SHA,
    minute: int = 0,
) -> SignOff:
    role = role or PEOPLE[person].roles[0]
    return SignOff("R-1", gate, person, role, decision, "", sha, NOW + timedelta(minutes=minute))


def tick_all(items: list[ChecklistItem], *item_ids: str) -> list[ChecklistItem]:
    """Tick the given items (all when none given) as 'rahim'."""
    return [
        replace(i, ticked_by="rahim", ticked_at=NOW) if not item_ids or i.item_id in item_ids else i
        for i in items
    ]
