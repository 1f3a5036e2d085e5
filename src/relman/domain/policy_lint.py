"""Contradictions in a release policy, each explained (``relman policy lint``).

The rules judge plain facts (`PolicyFacts`): the resolved `ReleasePolicy` plus the names the
policy file defines and uses, with their key paths. Each `Finding` has a level:

- ``error``: the policy cannot work as written (a sign-off nobody can give, a gate no release
  reaches, a name that is defined nowhere);
- ``warning``: it works but probably not as meant (overlapping windows, a gate-less transition);
- ``info``: a consequence worth knowing (the SemVer order of hotfix versions).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from relman.domain.policy import Person, ReleasePolicy
from relman.domain.versions import Version

LEVELS = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    level: str  # error|warning|info
    rule: str  # stable id, e.g. "lead-time-exceeds-frequency"
    where: str  # key path in the policy file, e.g. "release_types.major.lead_time_min"
    message: str
    explanation: str


@dataclass(frozen=True)
class Reference:
    """A name used at ``where`` that must be defined as a ``kind`` (role, gate, component...)."""

    kind: str
    name: str
    where: str


@dataclass(frozen=True)
class WindowSlot:
    """One deployment window as minutes of the week (Monday 00:00 = 0), half-open intervals."""

    environment: str
    where: str
    text: str
    intervals: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class PolicyFacts:
    policy: ReleasePolicy
    transitions: tuple[tuple[str, str], ...]  # the phase steps a release can take
    known: Mapping[str, frozenset[str]] = field(default_factory=dict)  # kind -> defined names
    references: tuple[Reference, ...] = ()
    windows: tuple[WindowSlot, ...] = ()
    people_configured: bool = False


def lint_policy(facts: PolicyFacts) -> list[Finding]:
    """Every finding, errors first, then warnings, then information."""
    findings = [
        *check_references(facts),
        *check_lead_times(facts.policy),
        *check_approvers(facts.policy),
        *check_gates_reachable(facts.policy, facts.transitions),
        *check_window_overlaps(facts.windows),
        *check_hotfix_ordering(facts.policy),
    ]
    return sorted(findings, key=lambda f: LEVELS.index(f.level))


# --------------------------------------------------------------------------------------
# Frequencies

_PERIODS = {"day": 1.0, "week": 7.0, "month": 30.0, "quarter": 91.0, "year": 365.0}
_ADVERBS = {
    "daily": 1.0,
    "bi-weekly": 14.0,
    "biweekly": 14.0,
    "fortnightly": 14.0,
    "weekly": 7.0,
    "monthly": 30.0,
    "quarterly": 91.0,
    "yearly": 365.0,
    "annually": 365.0,
}
_ADVERB = re.compile(r"\b(" + "|".join(_ADVERBS) + r")\b")
_COUNT_PER = re.compile(
    r"(\d+)\s*(?:times\s+)?(?:per|a|an|in|each|every)\s+(day|week|month|quarter|year|\d{4})\b"
)
_EVERY = re.compile(r"\bevery\s+(\d+)\s+(day|week|month|quarter|year)s?\b")
_ON_DEMAND = re.compile(r"\b(as needed|on demand|on-demand|ad hoc|ad-hoc)\b")


def compute_cycle_days(frequency: str) -> float | None:
    """The shortest interval between two releases that a frequency text allows, in days.

    ``"weekly"`` -> 7, ``"Bi-weekly to monthly"`` -> 14, ``"4 per year"`` and ``"Once per phase
    (4 in 2026)"`` -> 91.25, ``"every 3 weeks"`` -> 21; None when the text names no cycle
    (``"As needed"``, ``"once per phase"``).
    """
    text = frequency.lower()
    found = [_ADVERBS[m.group(1)] for m in _ADVERB.finditer(text)]
    for count, period in _COUNT_PER.findall(text):
        days = _PERIODS.get(period, 365.0)  # "4 in 2026": a year
        if int(count) > 0:
            found.append(days / int(count))
    found.extend(int(n) * _PERIODS[unit] for n, unit in _EVERY.findall(text) if int(n) > 0)
    return min(found) if found else None


def _days(value: timedelta) -> float:
    return value.total_seconds() / 86400


def _show(value: timedelta) -> str:
    days = _days(value)
    if days >= 7 and days % 7 == 0:
        return f"{int(days // 7)} week(s)"
    if days >= 1 and days == int(days):
        return f"{int(days)} day(s)"
    return f"{value.total_seconds() / 3600:g} hour(s)"


def check_lead_times(policy: ReleasePolicy) -> Iterator[Finding]:
    """A release type must fit its own cycle: planning cannot take longer than the gap between
    two releases of that type, and testing must fit in the lead time."""
    for name, t in policy.release_types.items():
        at = f"release_types.{name}"
        cycle = compute_cycle_days(t.frequency)
        if cycle is None and not _ON_DEMAND.search(t.frequency.lower()):
            yield Finding(
                "info", "frequency-not-understood", f"{at}.frequency",
                f"cannot read a release cycle from frequency {t.frequency!r} of {name}",
                "Lead times are compared with the cycle only when the frequency names one "
                "('weekly', 'bi-weekly', 'monthly', '4 per year', 'every 3 weeks', 'as needed').",
            )  # fmt: skip
        if cycle is not None and _days(t.lead_time_min) > cycle:
            yield Finding(
                "error", "lead-time-exceeds-frequency", f"{at}.lead_time_min",
                f"{name}: minimum lead time {_show(t.lead_time_min)} is longer than its "
                f"release cycle ({t.frequency!r} = every {cycle:g} days)",
                "A release must be planned at least lead_time_min ahead, but the next one of "
                "the same type is due sooner: every release would be late or refused. Shorten "
                "the lead time or release less often.",
            )  # fmt: skip
        elif cycle is not None and _days(t.lead_time_max) > cycle:
            yield Finding(
                "warning", "lead-time-exceeds-frequency", f"{at}.lead_time_max",
                f"{name}: maximum lead time {_show(t.lead_time_max)} is longer than its "
                f"release cycle ({t.frequency!r} = every {cycle:g} days)",
                "Planning of one release would overlap the next one of the same type.",
            )  # fmt: skip
        if t.testing_period_min > t.lead_time_max:
            yield Finding(
                "warning", "testing-exceeds-lead-time", f"{at}.testing_period_min",
                f"{name}: minimum testing period {_show(t.testing_period_min)} is longer than "
                f"the maximum lead time {_show(t.lead_time_max)}",
                "Testing happens inside the lead time; a release planned at the longest lead "
                "time still could not finish its testing.",
            )  # fmt: skip


# --------------------------------------------------------------------------------------
# People and roles


def _required_roles(policy: ReleasePolicy) -> dict[str, list[str]]:
    """role -> where a sign-off by that role is required."""
    needed: dict[str, list[str]] = {}
    for name, t in policy.release_types.items():
        for role in t.approver_roles:
            needed.setdefault(role, []).append(f"release_types.{name}.approver_roles")
    for gate in policy.gates:
        for role in gate.signoff_roles:
            needed.setdefault(role, []).append(f"gates.{gate.id}.signoff_roles")
        for c in gate.criteria:
            roles = c.params.get("roles") if c.kind == "signoff" else None
            for role in roles if isinstance(roles, tuple | list) else ():
                needed.setdefault(str(role), []).append(f"gates.{gate.id}.criteria")
    return needed


def check_approvers(policy: ReleasePolicy) -> Iterator[Finding]:
    """Every sign-off the policy requires must be possible with the people it names."""
    people = list(policy.people.values())
    if not people:
        yield Finding(
            "info", "no-people", "people",
            "no people are configured: sign-offs cannot happen until people are added",
            "Gates need sign-offs by roles (project_manager, tech_lead, ...). Add people with "
            "their roles as [people.ID] tables: name, email, roles = [...].",
        )  # fmt: skip
        return
    for role, places in _required_roles(policy).items():
        if not any(role in p.roles for p in people):
            yield Finding(
                "error", "approver-role-unheld", places[0],
                f"no person holds role {role!r}, which must sign off "
                f"({', '.join(dict.fromkeys(places))})",
                "A sign-off by a person without the role is refused, so these approvals can "
                f"never be given. Add {role!r} to someone's roles in [people].",
            )  # fmt: skip
    for gate in policy.gates:
        held = [r for r in gate.waiver_roles if any(r in p.roles for p in people)]
        if gate.waiver_roles and not held:
            yield Finding(
                "warning", "waiver-role-unheld", f"gates.{gate.id}.waiver_roles",
                f"nobody can waive criteria of {gate.id}: no person holds "
                f"{' or '.join(map(repr, gate.waiver_roles))}",
                "Waivers are the escape hatch when a criterion cannot be met; without a "
                "holder of a waiver role a stuck gate stays stuck.",
            )  # fmt: skip
    for name, t in policy.release_types.items():
        roles = list(dict.fromkeys(t.approver_roles))
        holders = [[p for p in people if r in p.roles] for r in roles]
        if len(roles) > 1 and all(holders) and not _distinct_people(holders):
            yield Finding(
                "error", "approvers-not-distinct", f"release_types.{name}.approver_roles",
                f"{name} needs {' + '.join(roles)} from {len(roles)} different people, but "
                "the people configured cannot fill them without one person signing twice",
                "Two approvals mean two different people (separation of duties). Give the "
                "roles to more people.",
            )  # fmt: skip


def _distinct_people(
    holders: Sequence[Sequence[Person]], taken: frozenset[str] = frozenset()
) -> bool:
    """Whether each role (a list of its holders) can get its own person."""
    if not holders:
        return True
    return any(
        _distinct_people(holders[1:], taken | {p.id}) for p in holders[0] if p.id not in taken
    )


# --------------------------------------------------------------------------------------
# Gates, references, windows, versions


def check_gates_reachable(
    policy: ReleasePolicy, transitions: Sequence[tuple[str, str]]
) -> Iterator[Finding]:
    steps = " → ".join([transitions[0][0], *(b for _, b in transitions)]) if transitions else ""
    for gate in policy.gates:
        if (gate.from_phase, gate.to_phase) not in transitions:
            yield Finding(
                "error", "gate-unreachable", f"gates.{gate.id}",
                f"gate {gate.id} ({gate.name}) guards {gate.from_phase} → {gate.to_phase}, a "
                "step no release takes",
                f"Releases only move {steps}; a gate on any other pair of phases is never "
                "checked, so its criteria and sign-offs are silently skipped.",
            )  # fmt: skip
    guarded = {(g.from_phase, g.to_phase) for g in policy.gates}
    for step in transitions:
        if step not in guarded:
            yield Finding(
                "warning", "transition-without-gate", "gates",
                f"no gate guards {step[0]} → {step[1]}",
                "Releases advance through this step without any criterion or sign-off.",
            )  # fmt: skip


_KIND_HINTS = {
    "role": "Roles are declared in [roles] (id = title).",
    "component": "The compatibility matrix may only name components declared in [components].",
    "checklist item": "Item ids are '<checklist id>-<row>' (e.g. '7.1.3-2') unless given an id.",
    "gate": "Gates are the [gates.<ID>] tables.",
    "release type": "Release types are the [release_types.<name>] tables.",
    "environment": "Environments are the [environments.<name>] tables.",
    "window class": "Window classes are the keys of [windows.classes].",
    "audience": "Audiences are the keys of [communication.audiences].",
    "stakeholder": "Stakeholders are the [communication.stakeholders.<role>] tables.",
    "channel": "Channels are the [communication.channels.<name>] tables.",
    "severity": "Severities are the [severities.<P>] tables.",
}


def check_references(facts: PolicyFacts) -> Iterator[Finding]:
    """A name used in one place must be defined in another (a typo here breaks a rule silently)."""
    for ref in facts.references:
        known = facts.known.get(ref.kind)
        if known is None or ref.name in known:
            continue
        listing = ", ".join(sorted(known)) or "none"
        yield Finding(
            "error", f"unknown-{ref.kind.replace(' ', '-')}", ref.where,
            f"unknown {ref.kind} {ref.name!r} (known: {listing})",
            _KIND_HINTS.get(ref.kind, "Define it or correct the spelling."),
        )  # fmt: skip


def check_window_overlaps(windows: Sequence[WindowSlot]) -> Iterator[Finding]:
    """Two windows of one environment (or one window with itself) covering the same minutes."""
    for i, a in enumerate(windows):
        own = sorted(a.intervals)
        if any(x[1] > y[0] for x, y in itertools.pairwise(own)):
            yield _overlap(a, a)
        for b in windows[i + 1 :]:
            if a.environment == b.environment and _intersects(a.intervals, b.intervals):
                yield _overlap(a, b)


def _intersects(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> bool:
    return any(x0 < y1 and y0 < x1 for x0, x1 in a for y0, y1 in b)


def _overlap(a: WindowSlot, b: WindowSlot) -> Finding:
    what = f"{a.text!r} overlaps itself" if a is b else f"{a.text!r} overlaps {b.text!r}"
    return Finding(
        "warning", "window-overlap", a.where,
        f"deployment window {what} ({a.environment})",
        "Overlapping windows double-count deployment time and make 'next window' ambiguous; "
        "merge them into one window or move one.",
    )  # fmt: skip


def check_hotfix_ordering(policy: ReleasePolicy) -> Iterator[Finding]:
    """x.y.Z-hotfix.N is a SemVer pre-release of x.y.Z, so it sorts *before* x.y.Z."""
    hotfix = [n for n, t in policy.release_types.items() if t.version_change == "hotfix"]
    if not hotfix:
        return
    base = Version.parse("1.2.0")
    first = base.bump("hotfix")
    chain = sorted({base, first, first.bump("hotfix"), first.finalize()})
    yield Finding(
        "info", "hotfix-semver-order", f"release_types.{hotfix[0]}.version_change",
        "hotfix versions sort before the release they patch: " + " < ".join(map(str, chain)),
        f"The hotfix scheme x.y.Z-hotfix.N is a SemVer 2.0.0 pre-release of x.y.Z, so "
        f"{first} ranks above {base} but below {first.finalize()}. Anything that picks the "
        f"newest version by precedence treats a later plain {first.finalize()} as newer than "
        "every hotfix of it: release the next regular patch as the following patch number.",
    )  # fmt: skip
