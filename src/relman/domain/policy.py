"""Release policy: the J-003 plan as plain data (release types, gates G1–G7, checklists, people).

Settings (`relman.toml`) are resolved into these objects in `bootstrap`; the domain reads no files.
`ReleasePolicy.default()` is the J-003 plan itself (data in `relman.domain.j003`).

Criterion kinds (`CriterionSpec.kind`) and their `params`:

- ``evidence``: ``{"evidence": "junit"|"coverage"|"sarif"|"ci"}``; judged from the latest
  evidence of that kind recorded for the release's current commit.
- ``checklist``: ``{"items": ("7.1.1-3", ...)}``; met when every listed checklist item is ticked.
- ``scope``: met when the release has scope (commits or tickets).
- ``signoff``: ``{"roles": ("product_owner",)}``; met when this gate carries a valid approval
  by each role.
- ``event``: ``{"event": "smoke_passed:staging", "items": (...)}``; met when the event was recorded,
  or (fallback, a person attests) when every listed checklist item is ticked.
  With ``{"gates": ("G1", ...)}`` instead: met when each of those gates passes ("All gates passed").
- ``manual``: met when one of the gate's sign-off roles approved the gate (the approver attests it).

A criterion may carry ``{"release_types": ("major", ...)}``: it applies only to those release types.

Checklist item proofs (`ChecklistItemSpec.proof`) name what ticks the item automatically:
``scope``, ``evidence:junit``, ``evidence:coverage``, ``evidence:sarif``, ``evidence:ci``,
``gate:G4`` (gate passed), ``event:<name>`` (recorded by later features: deployments,
notifications, backups).
Several proofs joined with ``+`` must all hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from relman.errors import NotFoundError

ROLES: tuple[str, ...] = (
    "cto",
    "project_manager",
    "tech_lead",
    "devops_lead",
    "qa_lead",
    "product_owner",
    "release_manager",
    "sre_lead",
    "incident_commander",
    "security_lead",
)
"""Role ids used by J-003 (§2, §3.3, §13.1)."""

RELEASE_TYPES: tuple[str, ...] = ("major", "minor", "patch", "hotfix")
CRITERION_KINDS: tuple[str, ...] = ("evidence", "checklist", "scope", "signoff", "manual", "event")
LEAD_TIME_ENFORCEMENTS: tuple[str, ...] = ("refuse", "warn")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str
    roles: tuple[str, ...]

    def has_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class ReleaseTypePolicy:
    name: str  # major|minor|patch|hotfix
    version_change: str
    frequency: str
    lead_time_min: timedelta
    lead_time_max: timedelta
    approver_roles: tuple[str, ...]
    testing_period_min: timedelta
    testing_period_max: timedelta
    window_class: str
    downtime: str
    rollback_preparation: str
    documentation: str
    communication_audience: str
    post_hoc_approval_hours: int | None
    lead_time_enforcement: str  # refuse|warn


@dataclass(frozen=True)
class CriterionSpec:
    id: str
    description: str
    kind: str  # evidence|checklist|scope|signoff|manual|event
    params: Mapping[str, object] = field(default_factory=dict)

    def applies_to(self, release_type: str) -> bool:
        types = self.params.get("release_types")
        if not isinstance(types, tuple | list):
            return True
        return release_type in types


@dataclass(frozen=True)
class GatePolicy:
    id: str  # G1..G7
    name: str
    from_phase: str
    to_phase: str
    criteria: tuple[CriterionSpec, ...]
    signoff_roles: tuple[str, ...]
    require_release_type_approvers: bool
    waiver_roles: tuple[str, ...]

    def get_criterion(self, criterion_id: str) -> CriterionSpec:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        known = ", ".join(c.id for c in self.criteria)
        raise NotFoundError(
            f"unknown criterion '{criterion_id}' of gate {self.id} (known: {known})",
            where=f"gate {self.id}",
        )


@dataclass(frozen=True)
class ChecklistItemSpec:
    id: str
    text: str
    proof: str | None = None


@dataclass(frozen=True)
class ChecklistSpec:
    id: str
    title: str
    section: str
    items: tuple[ChecklistItemSpec, ...]
    applies_to: tuple[str, ...]  # release types; () = instantiated on demand (e.g. rollback)


@dataclass(frozen=True)
class ReleasePolicy:
    release_types: Mapping[str, ReleaseTypePolicy]
    gates: tuple[GatePolicy, ...]
    people: Mapping[str, Person]
    checklists: Mapping[str, ChecklistSpec]
    coverage_min: float = 80.0
    sarif_blocking_levels: tuple[str, ...] = ("critical", "high", "error")
    separation_of_duties: bool = True

    @classmethod
    def default(cls) -> ReleasePolicy:
        """The J-003 Release Management Plan, with no people (people come from the policy file)."""
        from relman.domain.j003 import build_default_policy

        return build_default_policy()

    def get_person(self, person_id: str) -> Person:
        try:
            return self.people[person_id]
        except KeyError:
            known = ", ".join(sorted(self.people)) or "none configured"
            raise NotFoundError(
                f"unknown person '{person_id}' (known: {known})", where="policy people"
            ) from None

    def get_release_type(self, name: str) -> ReleaseTypePolicy:
        try:
            return self.release_types[name]
        except KeyError:
            known = ", ".join(self.release_types)
            raise NotFoundError(
                f"unknown release type '{name}' (known: {known})", where="policy release_types"
            ) from None

    def get_gate(self, gate_id: str) -> GatePolicy:
        for gate in self.gates:
            if gate.id.upper() == gate_id.upper():
                return gate
        known = ", ".join(g.id for g in self.gates)
        raise NotFoundError(f"unknown gate '{gate_id}' (known: {known})", where="policy gates")

    def get_checklist(self, checklist_id: str) -> ChecklistSpec:
        try:
            return self.checklists[checklist_id]
        except KeyError:
            known = ", ".join(self.checklists)
            raise NotFoundError(
                f"unknown checklist '{checklist_id}' (known: {known})", where="policy checklists"
            ) from None

    def list_gates_between(self, from_phase: str, to_phase: str) -> list[GatePolicy]:
        """The gates guarding the transition ``from_phase -> to_phase``, in policy order."""
        return [g for g in self.gates if g.from_phase == from_phase and g.to_phase == to_phase]

    def list_people_with_role(self, role: str) -> list[Person]:
        return [p for p in self.people.values() if role in p.roles]

    def list_checklists_for(self, release_type: str) -> list[ChecklistSpec]:
        return [c for c in self.checklists.values() if release_type in c.applies_to]
