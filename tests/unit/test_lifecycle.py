"""Every (phase, action) pair of the release lifecycle, against a hand-written table."""

from __future__ import annotations

import pytest

from relman.domain.lifecycle import (
    Action,
    decide_transition,
    list_allowed_actions,
    next_phase,
)
from relman.domain.releases import Phase
from relman.errors import ConflictError, InvalidInputError

# rows: action; columns: PLAN BUILD TEST DEPLOY VERIFY CLOSED CANCELLED ROLLED_BACK
# cell: resulting phase, "=" stays, "x" refused
_COLUMNS = ("PLAN", "BUILD", "TEST", "DEPLOY", "VERIFY", "CLOSED", "CANCELLED", "ROLLED_BACK")
_TABLE = """
plan           =      x      x      x      x      x      x      x
sign           =      =      =      =      =      x      x      x
sign_post_hoc  x      x      x      =      =      =      x      x
reject         =      =      =      =      =      x      x      x
waive          =      =      =      =      =      x      x      x
add_evidence   =      =      =      =      =      x      x      x
tick           =      =      =      =      =      =      x      =
update_commit  =      =      =      x      x      x      x      x
advance        BUILD  TEST   DEPLOY VERIFY CLOSED x      x      x
close          x      x      x      x      CLOSED x      x      x
cancel         CANCELLED CANCELLED CANCELLED CANCELLED x x     x      x
rollback       x      x      x      ROLLED_BACK ROLLED_BACK x x   x
"""


def _cases() -> list[tuple[Phase, Action, Phase | None]]:
    cases = []
    for line in _TABLE.strip().splitlines():
        action, *cells = line.split()
        assert len(cells) == len(_COLUMNS), line
        for column, cell in zip(_COLUMNS, cells, strict=True):
            phase = Phase(column)
            expected = None if cell == "x" else phase if cell == "=" else Phase(cell)
            cases.append((phase, Action(action), expected))
    return cases


CASES = _cases()


def test_the_table_covers_every_phase_action_pair() -> None:
    assert {(p, a) for p, a, _ in CASES} == {(p, a) for p in Phase for a in Action}


@pytest.mark.parametrize(("phase", "action", "expected"), CASES)
def test_decide_transition(phase: Phase, action: Action, expected: Phase | None) -> None:
    if expected is None:
        with pytest.raises(ConflictError) as info:
            decide_transition(phase, action)
        message = str(info.value)
        assert phase.value in message
        assert action.value.replace("_", " ") in message
        assert info.value.details == {"phase": phase.value, "action": action.value}
    else:
        assert decide_transition(phase, action) is expected
        assert action in list_allowed_actions(phase)


@pytest.mark.parametrize("phase", [Phase.CLOSED, Phase.CANCELLED, Phase.ROLLED_BACK])
def test_terminal_phases_cannot_advance(phase: Phase) -> None:
    with pytest.raises(ConflictError, match=f"cannot advance a {phase.value} release"):
        next_phase(phase)
    assert phase.is_terminal


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (Phase.PLAN, Phase.BUILD),
        (Phase.BUILD, Phase.TEST),
        (Phase.TEST, Phase.DEPLOY),
        (Phase.DEPLOY, Phase.VERIFY),
        (Phase.VERIFY, Phase.CLOSED),
    ],
)
def test_next_phase_walks_the_j003_cycle(phase: Phase, expected: Phase) -> None:
    assert next_phase(phase) is expected
    assert not phase.is_terminal


def test_refusal_lists_what_is_allowed() -> None:
    with pytest.raises(ConflictError) as info:
        decide_transition(Phase.VERIFY, Action.CANCEL)
    assert info.value.hint is not None
    assert "rollback" in info.value.hint


@pytest.mark.parametrize(
    ("text", "action"), [("advance", Action.ADVANCE), ("Add-Evidence", Action.ADD_EVIDENCE)]
)
def test_action_parse(text: str, action: Action) -> None:
    assert Action.parse(text) is action


def test_unknown_action_and_phase_are_invalid_input() -> None:
    with pytest.raises(InvalidInputError, match="unknown action 'deploy'"):
        Action.parse("deploy")
    with pytest.raises(InvalidInputError, match="unknown phase 'SHIP'"):
        Phase.parse("SHIP")
    assert Phase.parse("verify") is Phase.VERIFY
