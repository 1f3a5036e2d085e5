"""Sign-off and waiver rules: who may sign which gate, when, and what a sign-off still counts for.

- Each gate needs one approval per *slot*: its ``signoff_roles`` (a role listed twice needs two
  people) plus, when ``require_release_type_approvers``, the release type's approver roles (§2).
- Separation of duties (``policy.separation_of_duties``): the person who planned a release signs
  none of its gates and waives none of its criteria; one person fills at most one slot per gate,
  so "2 approvals" are always two different people.
- Sign-offs and waivers are bound to the release's commit: once the commit changes they are
  invalidated (a waiver then is *stale*: the gate asks for it again). One rule for both
  (`is_signoff_valid`, `is_waiver_valid`): a record without a commit (given before the release
  had one, or a waiver from before store revision 0005) counts until the commit next moves.
- Hotfixes (``post_hoc_approval_hours``): the release type's approvers may sign after deployment;
  until then their slots are ``post_hoc_pending`` and do not block, and after the deadline they are
  reported by `list_overdue_approvals`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from relman.domain.lifecycle import Action, compute_phase_order, decide_transition
from relman.domain.policy import GatePolicy, Person, ReleasePolicy
from relman.domain.releases import Phase, Release, SignOff, Waiver
from relman.errors import BlockedError, ConflictError, InvalidInputError

DECISIONS = ("approve", "reject")


@dataclass(frozen=True)
class Slot:
    role: str
    post_hoc: bool  # a hotfix release-type approval that may come after deployment


@dataclass(frozen=True)
class SlotStatus:
    role: str
    state: str  # approved|rejected|missing|post_hoc_pending|overdue
    person_id: str | None
    at: datetime | None
    detail: str

    @property
    def blocks(self) -> bool:
        return self.state in ("rejected", "missing")


@dataclass(frozen=True)
class OverdueApproval:
    release_id: str
    gate: str
    role: str
    due_at: datetime
    signed_at: datetime | None  # None: still missing; else signed late


def _is_bound(commit_sha: str | None, invalidated: bool, release: Release) -> bool:
    if invalidated:
        return False
    return commit_sha is None or commit_sha == release.commit_sha


def is_signoff_valid(signoff: SignOff, release: Release) -> bool:
    """False once invalidated, or when it was given for another commit than the release's."""
    return _is_bound(signoff.commit_sha, signoff.invalidated, release)


def is_waiver_valid(waiver: Waiver, release: Release) -> bool:
    """The sign-off rule for waivers: False once stale (invalidated) or granted for another
    commit than the release's."""
    return _is_bound(waiver.commit_sha, waiver.invalidated, release)


def mark_invalidated(signoffs: Iterable[SignOff], release: Release) -> list[SignOff]:
    """The sign-offs as shown to people: ``invalidated`` set on those that no longer count."""
    return [replace(s, invalidated=not is_signoff_valid(s, release)) for s in signoffs]


def mark_stale_waivers(waivers: Iterable[Waiver], release: Release) -> list[Waiver]:
    """The waivers as shown to people: ``invalidated`` set on the stale ones."""
    return [replace(w, invalidated=not is_waiver_valid(w, release)) for w in waivers]


def list_slots(gate: GatePolicy, release: Release, policy: ReleasePolicy) -> list[Slot]:
    release_type = policy.get_release_type(release.release_type)
    slots = [Slot(role, post_hoc=False) for role in gate.signoff_roles]
    if gate.require_release_type_approvers:
        post_hoc = release_type.post_hoc_approval_hours is not None
        slots += [
            Slot(role, post_hoc=post_hoc)
            for role in release_type.approver_roles
            if role not in gate.signoff_roles
        ]
    return slots


def list_current_decisions(
    signoffs: Iterable[SignOff], release: Release, gate_id: str
) -> list[SignOff]:
    """Each person's latest valid decision on the gate, oldest first."""
    latest: dict[str, SignOff] = {}
    for s in sorted(signoffs, key=lambda s: s.at):
        if s.release_id == release.id and s.gate == gate_id and is_signoff_valid(s, release):
            latest[s.person_id] = s
    return sorted(latest.values(), key=lambda s: s.at)


def compute_slot_statuses(
    gate: GatePolicy,
    *,
    release: Release,
    policy: ReleasePolicy,
    signoffs: Iterable[SignOff],
    now: datetime,
) -> list[SlotStatus]:
    # rejections first: one rejection by a required role blocks the gate (a veto)
    decisions = sorted(
        list_current_decisions(signoffs, release, gate.id), key=lambda d: d.decision != "reject"
    )
    statuses: list[SlotStatus] = []
    for slot in list_slots(gate, release, policy):
        taken = {s.person_id for s in statuses if s.role == slot.role and s.person_id}
        match = next(
            (d for d in decisions if d.role == slot.role and d.person_id not in taken), None
        )
        statuses.append(_slot_status(slot, match, release, policy, now))
    return statuses


def _slot_status(
    slot: Slot, match: SignOff | None, release: Release, policy: ReleasePolicy, now: datetime
) -> SlotStatus:
    if match is not None:
        state = "approved" if match.decision == "approve" else "rejected"
        detail = f"{state} by {match.person_id}" + (f": {match.comment}" if match.comment else "")
        return SlotStatus(slot.role, state, match.person_id, match.at, detail)
    if slot.post_hoc:
        due = compute_post_hoc_deadline(release, policy)
        if due is None:
            return SlotStatus(
                slot.role, "post_hoc_pending", None, None, "may sign after deployment"
            )
        state = "overdue" if now > due else "post_hoc_pending"
        return SlotStatus(slot.role, state, None, None, f"post-hoc approval due {due.isoformat()}")
    return SlotStatus(slot.role, "missing", None, None, f"needs a sign-off by {slot.role}")


def compute_post_hoc_deadline(release: Release, policy: ReleasePolicy) -> datetime | None:
    hours = policy.get_release_type(release.release_type).post_hoc_approval_hours
    if hours is None or release.deployed_at is None:
        return None
    return release.deployed_at + timedelta(hours=hours)


def decide_signoff(
    *,
    release: Release,
    gate: GatePolicy,
    person: Person,
    decision: str,
    policy: ReleasePolicy,
    existing: Sequence[SignOff],
    now: datetime,
    role: str | None = None,
    comment: str = "",
) -> SignOff:
    """The sign-off ``person`` may record now, or the error saying why not.

    BlockedError: wrong role, planner (separation of duties), gate not reached yet.
    ConflictError: same decision twice, every slot of the role already filled, wrong phase.
    """
    if decision not in DECISIONS:
        raise InvalidInputError(f"unknown decision '{decision}' (expected approve|reject)")
    if decision == "reject" and not comment.strip():
        raise InvalidInputError(f"rejecting {gate.id} needs a comment saying why")
    _check_separation(release, gate, person, policy, "sign")
    slots = list_slots(gate, release, policy)
    chosen = _choose_role(gate, person, slots, role=role, release=release, existing=existing)
    post_hoc = _is_post_hoc(release, slots, chosen)
    _check_timing(release, gate, decision, post_hoc)
    _check_twice(gate, person, decision, release, existing)
    return SignOff(
        release_id=release.id,
        gate=gate.id,
        person_id=person.id,
        role=chosen,
        decision=decision,
        comment=comment.strip(),
        commit_sha=release.commit_sha,
        at=now,
        post_hoc=post_hoc,
    )


def _choose_role(
    gate: GatePolicy,
    person: Person,
    slots: Sequence[Slot],
    *,
    role: str | None,
    release: Release,
    existing: Sequence[SignOff],
) -> str:
    needed = [s.role for s in slots]
    where = f"release {release.id} gate {gate.id}"
    if role is not None and role not in needed:
        raise BlockedError(
            f"{gate.id} needs sign-offs by {', '.join(needed)}; {role} is not one of them",
            where=where,
        )
    if role is not None and not person.has_role(role):
        held = ", ".join(person.roles) or "no roles"
        raise BlockedError(f"{person.id} does not hold role {role} (holds: {held})", where=where)
    candidates = (
        [role] if role is not None else [r for r in dict.fromkeys(needed) if person.has_role(r)]
    )
    if not candidates:
        held = ", ".join(person.roles) or "no roles"
        raise BlockedError(
            f"{person.id} ({held}) holds none of the roles {gate.id} needs: {', '.join(needed)}",
            where=where,
        )
    decisions = list_current_decisions(existing, release, gate.id)
    own = next((d for d in decisions if d.person_id == person.id), None)
    if own is not None:
        return own.role  # a change of mind keeps the slot
    approvals = [d.role for d in decisions if d.decision == "approve"]
    for candidate in candidates:
        if approvals.count(candidate) < needed.count(candidate):
            return candidate
    raise ConflictError(
        f"{gate.id} already has every {'/'.join(candidates)} sign-off it needs", where=where
    )


def _is_post_hoc(release: Release, slots: Sequence[Slot], role: str) -> bool:
    return release.deployed_at is not None and any(s.post_hoc and s.role == role for s in slots)


def _check_timing(release: Release, gate: GatePolicy, decision: str, post_hoc: bool) -> None:
    if post_hoc:
        decide_transition(release.phase, Action.SIGN_POST_HOC)
        return
    decide_transition(release.phase, Action.SIGN if decision == "approve" else Action.REJECT)
    _check_gate_reached(release, gate, "signed")


def _check_gate_reached(release: Release, gate: GatePolicy, verb: str) -> None:
    if compute_phase_order(Phase(gate.from_phase)) > compute_phase_order(release.phase):
        raise BlockedError(
            f"{gate.id} cannot be {verb} before release {release.id} reaches {gate.from_phase} "
            f"(it is in {release.phase.value})",
            where=f"release {release.id} gate {gate.id}",
        )


def _check_separation(
    release: Release, gate: GatePolicy, person: Person, policy: ReleasePolicy, verb: str
) -> None:
    if policy.separation_of_duties and person.id == release.planned_by:
        raise BlockedError(
            f"{person.id} planned release {release.id} and cannot {verb} its gate {gate.id} "
            "(separation of duties)",
            where=f"release {release.id} gate {gate.id}",
        )


def _check_twice(
    gate: GatePolicy, person: Person, decision: str, release: Release, existing: Sequence[SignOff]
) -> None:
    for current in list_current_decisions(existing, release, gate.id):
        if current.person_id == person.id and current.decision == decision:
            past = "approved" if decision == "approve" else "rejected"
            raise ConflictError(
                f"{person.id} already {past} {gate.id} of release {release.id} "
                f"at {current.at.isoformat()}",
                where=f"release {release.id} gate {gate.id}",
            )


def decide_waiver(
    *,
    release: Release,
    gate: GatePolicy,
    criterion_id: str,
    person: Person,
    reason: str,
    policy: ReleasePolicy,
    existing: Sequence[Waiver],
    now: datetime,
) -> Waiver:
    """A waiver of one criterion for the release's commit: only by the gate's ``waiver_roles``,
    always with a reason. A stale waiver (another commit) does not stop a new one."""
    where = f"release {release.id} gate {gate.id}"
    criterion = gate.get_criterion(criterion_id)
    if not criterion.applies_to(release.release_type):
        raise InvalidInputError(
            f"{criterion_id} does not apply to {release.release_type} releases", where=where
        )
    if not reason.strip():
        raise InvalidInputError(f"waiving {criterion_id} needs a reason", where=where)
    if not any(person.has_role(r) for r in gate.waiver_roles):
        raise BlockedError(
            f"{person.id} may not waive {gate.id} criteria: needs one of the roles "
            f"{', '.join(gate.waiver_roles) or '(none configured)'}",
            where=where,
        )
    decide_transition(release.phase, Action.WAIVE)
    _check_gate_reached(release, gate, "waived")
    _check_separation(release, gate, person, policy, "waive criteria of")
    current = next(
        (
            w
            for w in existing
            if w.release_id == release.id
            and w.gate == gate.id
            and w.criterion_id == criterion_id
            and is_waiver_valid(w, release)
        ),
        None,
    )
    if current is not None:
        raise ConflictError(
            f"{criterion_id} is already waived by {current.person_id} at {current.at.isoformat()}",
            where=where,
        )
    return Waiver(
        release_id=release.id,
        gate=gate.id,
        criterion_id=criterion_id,
        person_id=person.id,
        reason=reason.strip(),
        commit_sha=release.commit_sha,
        at=now,
    )


def list_overdue_approvals(
    releases: Iterable[Release],
    signoffs: Iterable[SignOff],
    *,
    policy: ReleasePolicy,
    now: datetime,
) -> list[OverdueApproval]:
    """Hotfix post-hoc approvals missing after their deadline, or given after it."""
    all_signoffs = list(signoffs)
    overdue: list[OverdueApproval] = []
    for release in releases:
        due = compute_post_hoc_deadline(release, policy)
        if due is None or release.phase is Phase.CANCELLED:
            continue
        for gate in policy.gates:
            if not gate.require_release_type_approvers:
                continue
            for status in compute_slot_statuses(
                gate, release=release, policy=policy, signoffs=all_signoffs, now=now
            ):
                late = status.at is not None and status.at > due
                if status.state == "overdue" or (
                    late and _slot_is_post_hoc(gate, release, policy, status.role)
                ):
                    overdue.append(
                        OverdueApproval(release.id, gate.id, status.role, due, status.at)
                    )
    return overdue


def _slot_is_post_hoc(gate: GatePolicy, release: Release, policy: ReleasePolicy, role: str) -> bool:
    return any(s.post_hoc and s.role == role for s in list_slots(gate, release, policy))
