"""Settings -> domain: the policy file becomes `ReleasePolicy` and the facts `relman policy lint`
judges. Pure functions of `Settings` (no I/O), used by `relman.bootstrap` and the CLI.

Environments, windows, stakeholders and thresholds have no domain types yet; they stay in the
settings models and reach the lint rules as plain data (`PolicyFacts`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from relman.domain.lifecycle import FORWARD
from relman.domain.policy import (
    ChecklistItemSpec,
    ChecklistSpec,
    CriterionSpec,
    GatePolicy,
    Person,
    ReleasePolicy,
    ReleaseTypePolicy,
)
from relman.domain.policy_lint import PolicyFacts, Reference, WindowSlot
from relman.policy_settings.values import parse_duration, parse_window
from relman.settings import Settings


def resolve_release_policy(settings: Settings) -> ReleasePolicy:
    """The release types, gates, checklists and people of the policy file as a ReleasePolicy."""
    return ReleasePolicy(
        release_types={
            name: ReleaseTypePolicy(
                name=name,
                version_change=t.version_change,
                frequency=t.frequency,
                lead_time_min=parse_duration(t.lead_time_min),
                lead_time_max=parse_duration(t.lead_time_max),
                approver_roles=tuple(t.approver_roles),
                testing_period_min=parse_duration(t.testing_period_min),
                testing_period_max=parse_duration(t.testing_period_max),
                window_class=t.window_class,
                downtime=t.downtime,
                rollback_preparation=t.rollback_preparation,
                documentation=t.documentation,
                communication_audience=t.communication_audience,
                post_hoc_approval_hours=t.post_hoc_approval_hours,
                lead_time_enforcement=t.lead_time_enforcement,
            )
            for name, t in settings.release_types.items()
        },
        gates=tuple(
            GatePolicy(
                id=gate_id,
                name=g.name,
                from_phase=g.from_phase,
                to_phase=g.to_phase,
                criteria=tuple(
                    CriterionSpec(
                        id=f"{gate_id}.{key}",
                        description=c.description,
                        kind=c.kind,
                        params=c.params(),
                    )
                    for key, c in g.criteria.items()
                ),
                signoff_roles=tuple(g.signoff_roles),
                require_release_type_approvers=g.require_release_type_approvers,
                waiver_roles=tuple(g.waiver_roles),
            )
            for gate_id, g in settings.gates.items()
        ),
        people={
            pid: Person(id=pid, name=p.name, email=p.email, roles=tuple(p.roles))
            for pid, p in settings.people.items()
        },
        checklists={
            cid: ChecklistSpec(
                id=cid,
                title=c.title,
                section=c.section,
                items=tuple(
                    ChecklistItemSpec(id=item.id or f"{cid}-{n}", text=item.text, proof=item.proof)
                    for n, item in enumerate(c.items, start=1)
                ),
                applies_to=tuple(c.applies_to),
            )
            for cid, c in settings.checklists.items()
        },
        coverage_min=settings.evidence.coverage_min,
        sarif_blocking_levels=tuple(settings.evidence.sarif_blocking_levels),
        separation_of_duties=settings.lifecycle.separation_of_duties,
    )


def build_policy_facts(settings: Settings) -> PolicyFacts:
    """Everything `relman.domain.policy_lint` needs, as plain data with key paths."""
    policy = resolve_release_policy(settings)
    return PolicyFacts(
        policy=policy,
        transitions=tuple((a.value, b.value) for a, b in itertools.pairwise(FORWARD)),
        known={
            "role": frozenset(settings.roles),
            "release type": frozenset(settings.release_types),
            "gate": frozenset(settings.gates),
            "checklist item": frozenset(
                item.id for c in policy.checklists.values() for item in c.items
            ),
            "component": frozenset(settings.components),
            "environment": frozenset(settings.environments),
            "window class": frozenset(settings.windows.classes),
            "audience": frozenset(settings.communication.audiences),
            "stakeholder": frozenset(settings.communication.stakeholders),
            "channel": frozenset(settings.communication.channels),
            "severity": frozenset(settings.severities),
        },
        references=tuple(_references(settings)),
        windows=tuple(_window_slots(settings)),
        people_configured=bool(settings.people),
    )


def _references(s: Settings) -> Iterator[Reference]:
    """Every name the policy uses that must be defined somewhere else in it."""
    for name, t in s.release_types.items():
        at = f"release_types.{name}"
        yield from (Reference("role", r, f"{at}.approver_roles") for r in t.approver_roles)
        yield Reference("window class", t.window_class, f"{at}.window_class")
        yield Reference("audience", t.communication_audience, f"{at}.communication_audience")
    for gid, g in s.gates.items():
        at = f"gates.{gid}"
        yield from (Reference("role", r, f"{at}.signoff_roles") for r in g.signoff_roles)
        yield from (Reference("role", r, f"{at}.waiver_roles") for r in g.waiver_roles)
        for key, c in g.criteria.items():
            cat = f"{at}.criteria.{key}"
            yield from (Reference("role", r, f"{cat}.roles") for r in c.roles or ())
            yield from (Reference("checklist item", i, f"{cat}.items") for i in c.items or ())
            yield from (Reference("gate", x, f"{cat}.gates") for x in c.gates or ())
            yield from (
                Reference("release type", r, f"{cat}.release_types") for r in c.release_types or ()
            )
    for cid, checklist in s.checklists.items():
        at = f'checklists."{cid}"'
        yield from (Reference("release type", r, f"{at}.applies_to") for r in checklist.applies_to)
        for n, item in enumerate(checklist.items):
            for part in (item.proof or "").split("+"):
                if part.startswith("gate:"):
                    yield Reference("gate", part[5:], f"{at}.items[{n}].proof")
    for pid, p in s.people.items():
        yield from (Reference("role", r, f"people.{pid}.roles") for r in p.roles)
    for eid, e in s.environments.items():
        yield from (
            Reference("role", r, f"environments.{eid}.access_roles") for r in e.access_roles
        )
    for n, row in enumerate(s.compatibility):
        yield from (
            Reference("component", c, f"compatibility[{n}].versions.{c}") for c in row.versions
        )
    yield from (Reference("environment", e, "promotion.order") for e in s.promotion.order)
    yield from (
        Reference("environment", e, f"windows.environments.{e}") for e in s.windows.environments
    )
    comm = s.communication
    for role, st in comm.stakeholders.items():
        yield Reference("role", role, f"communication.stakeholders.{role}")
        yield from (
            Reference("channel", ch, f"communication.stakeholders.{role}.channels")
            for ch in st.channels
        )
    for audience, members in comm.audiences.items():
        yield from (
            Reference("stakeholder", m, f"communication.audiences.{audience}") for m in members
        )
    yield from (
        Reference("severity", sev, "emergency.hotfix_severities")
        for sev in s.emergency.hotfix_severities
    )
    yield from (Reference("role", r, f"emergency.cab.{r}") for r in s.emergency.cab)
    yield from (
        Reference("channel", ch, f"emergency.cab.{r}.channels")
        for r, seat in s.emergency.cab.items()
        for ch in seat.channels
    )
    yield from (
        Reference("role", r, "emergency.override_roles") for r in s.emergency.override_roles
    )
    yield from (
        Reference("environment", e, f"windows.freezes[{n}].environments")
        for n, freeze in enumerate(s.windows.freezes)
        for e in freeze.environments
    )
    yield from _deployment_references(s)


def _deployment_references(s: Settings) -> Iterator[Reference]:
    """``[deployments]``: environments, gates and release types it names."""
    d = s.deployments
    yield Reference("environment", d.production, "deployments.production")
    yield from (
        Reference("environment", e, "deployments.testing_environments")
        for e in d.testing_environments
    )
    yield from (Reference("release type", t, f"deployments.strategies.{t}") for t in d.strategies)
    for env, rules in d.environments.items():
        yield Reference("environment", env, f"deployments.environments.{env}")
        yield from (
            Reference("gate", g, f"deployments.environments.{env}.gates") for g in rules.gates or ()
        )


def _window_slots(s: Settings) -> Iterator[WindowSlot]:
    for env, w in s.windows.environments.items():
        for label, texts in (("primary", w.primary), ("secondary", w.secondary)):
            for n, text in enumerate(texts):
                spec = parse_window(text)
                yield WindowSlot(
                    environment=env,
                    where=f"windows.environments.{env}.{label}[{n}]",
                    text=text,
                    intervals=spec.intervals(),
                )
