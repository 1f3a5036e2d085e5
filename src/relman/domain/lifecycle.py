"""The release lifecycle (J-003 §3.1): which action is allowed in which phase, and where it leads.

PLAN → BUILD → TEST → DEPLOY → VERIFY → CLOSED, only by ``advance`` (or ``close`` from VERIFY),
each step guarded by the gates between the two phases (see `relman.domain.gates`). CLOSED,
CANCELLED and ROLLED_BACK are terminal. The table below is the single source of truth; every
(phase, action) pair not in it is refused with a ConflictError naming both.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from relman.domain.releases import TERMINAL_PHASES, Phase
from relman.errors import ConflictError, InvalidInputError

FORWARD: tuple[Phase, ...] = (
    Phase.PLAN,
    Phase.BUILD,
    Phase.TEST,
    Phase.DEPLOY,
    Phase.VERIFY,
    Phase.CLOSED,
)
"""The forward path of a release; the position of a phase in it is its order."""


class Action(StrEnum):
    PLAN = "plan"  # (re)plan: edit scope, target date, title
    SIGN = "sign"
    SIGN_POST_HOC = "sign_post_hoc"  # hotfix approvals after deployment
    REJECT = "reject"
    WAIVE = "waive"
    ADD_EVIDENCE = "add_evidence"
    TICK = "tick"
    UPDATE_COMMIT = "update_commit"  # a new build: invalidates commit-bound sign-offs
    ADVANCE = "advance"
    CLOSE = "close"
    CANCEL = "cancel"
    ROLLBACK = "rollback"

    @classmethod
    def parse(cls, text: str) -> Action:
        try:
            return cls(text.strip().lower().replace("-", "_"))
        except ValueError:
            known = ", ".join(a.value for a in cls)
            raise InvalidInputError(f"unknown action '{text}' (known: {known})") from None


_ACTIVE = (Phase.PLAN, Phase.BUILD, Phase.TEST, Phase.DEPLOY, Phase.VERIFY)


def _stay(*phases: Phase) -> dict[Phase, Phase]:
    return {p: p for p in phases}


TRANSITIONS: Mapping[Action, Mapping[Phase, Phase]] = {
    Action.PLAN: _stay(Phase.PLAN),
    Action.SIGN: _stay(*_ACTIVE),
    Action.SIGN_POST_HOC: _stay(Phase.DEPLOY, Phase.VERIFY, Phase.CLOSED),
    Action.REJECT: _stay(*_ACTIVE),
    Action.WAIVE: _stay(*_ACTIVE),
    Action.ADD_EVIDENCE: _stay(*_ACTIVE),
    # post-release reviews (§14.3) and the rollback checklist (§9.4) are ticked after the end
    Action.TICK: _stay(*_ACTIVE, Phase.CLOSED, Phase.ROLLED_BACK),
    Action.UPDATE_COMMIT: _stay(Phase.PLAN, Phase.BUILD, Phase.TEST),
    Action.ADVANCE: {FORWARD[i]: FORWARD[i + 1] for i in range(len(FORWARD) - 1)},
    Action.CLOSE: {Phase.VERIFY: Phase.CLOSED},
    Action.CANCEL: dict.fromkeys(_ACTIVE[:4], Phase.CANCELLED),
    Action.ROLLBACK: {Phase.DEPLOY: Phase.ROLLED_BACK, Phase.VERIFY: Phase.ROLLED_BACK},
}
"""action -> {phase it is allowed in -> phase it leads to}."""


def decide_transition(phase: Phase, action: Action) -> Phase:
    """The phase after ``action`` in ``phase``; ConflictError when the action is out of order."""
    allowed = TRANSITIONS[action]
    if phase in allowed:
        return allowed[phase]
    verb = action.value.replace("_", " ")
    state = "terminal" if phase in TERMINAL_PHASES else "current"
    allowed_here = ", ".join(a.value for a in list_allowed_actions(phase)) or "none"
    raise ConflictError(
        f"cannot {verb} a {phase.value} release",
        where=f"phase {phase.value}",
        hint=f"actions allowed in the {state} phase {phase.value}: {allowed_here}",
        details={"phase": phase.value, "action": action.value},
    )


def list_allowed_actions(phase: Phase) -> list[Action]:
    return [action for action in Action if phase in TRANSITIONS[action]]


def next_phase(phase: Phase) -> Phase:
    """The next phase on the forward path; ConflictError for CLOSED, CANCELLED and ROLLED_BACK."""
    return decide_transition(phase, Action.ADVANCE)


def compute_phase_order(phase: Phase) -> int:
    """Position on the forward path (PLAN=0 … CLOSED=5); terminal side states sort last."""
    return FORWARD.index(phase) if phase in FORWARD else len(FORWARD)


def is_terminal(phase: Phase) -> bool:
    return phase in TERMINAL_PHASES
