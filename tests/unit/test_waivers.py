"""Waivers are bound to the release's commit, exactly like sign-offs: a new build makes them
stale, the gate shows which commit they were granted for and asks for them again."""

from __future__ import annotations

from dataclasses import replace

import pytest
from release_factories import NOW, PEOPLE, SHA, SHA2, make_evidence, make_policy, make_release

from relman.domain.gates import CriterionStatus, decide_advance, evaluate_gate
from relman.domain.releases import Phase, Release, SignOff, Waiver
from relman.domain.signoffs import (
    decide_waiver,
    is_signoff_valid,
    is_waiver_valid,
    mark_stale_waivers,
)
from relman.errors import BlockedError, ConflictError
from relman.testing import InMemoryUnitOfWork

POLICY = make_policy()
LOW_COVERAGE = [make_evidence("coverage", {"percent": 60.0})]


def make_waiver(
    commit_sha: str | None = SHA, *, invalidated: bool = False, person: str = "chowdhury"
) -> Waiver:
    return Waiver("R-1", "G3", "G3.coverage", person, "legacy module", commit_sha, NOW, invalidated)


# (waiver commit, invalidated, release commit) -> counts
BINDING = [
    pytest.param(SHA, False, SHA, True, id="granted-for-this-commit"),
    pytest.param(SHA, False, SHA2, False, id="granted-for-an-earlier-commit"),
    pytest.param(SHA, True, SHA, False, id="invalidated"),
    pytest.param(None, False, SHA2, True, id="no-commit-counts-until-the-commit-moves"),
    pytest.param(None, True, SHA2, False, id="no-commit-after-the-commit-moved"),
    pytest.param(SHA, False, None, False, id="release-without-commit"),
]


@pytest.mark.parametrize(("granted_for", "invalidated", "release_at", "counts"), BINDING)
def test_a_waiver_counts_exactly_when_a_signoff_would(
    granted_for: str | None, invalidated: bool, release_at: str | None, counts: bool
) -> None:
    release = make_release(phase=Phase.TEST, commit_sha=release_at)
    waiver = make_waiver(granted_for, invalidated=invalidated)
    signoff = SignOff("R-1", "G3", "qamrul", "qa_lead", "approve", "", granted_for, NOW)
    assert is_waiver_valid(waiver, release) is counts
    assert is_signoff_valid(replace(signoff, invalidated=invalidated), release) is counts
    assert mark_stale_waivers([waiver], release)[0].invalidated is not counts


def waive(release: Release, existing: list[Waiver], person: str = "rana") -> Waiver:
    return decide_waiver(
        release=release,
        gate=POLICY.get_gate("G3"),
        criterion_id="G3.coverage",
        person=PEOPLE[person],
        reason=" coverage tool misses the C extension ",
        policy=POLICY,
        existing=existing,
        now=NOW,
    )


@pytest.mark.parametrize("release_at", [SHA, None])
def test_a_waiver_is_granted_for_the_release_commit(release_at: str | None) -> None:
    waiver = waive(make_release(phase=Phase.TEST, commit_sha=release_at), [])
    assert (waiver.commit_sha, waiver.invalidated) == (release_at, False)
    assert waiver.reason == "coverage tool misses the C extension"


# existing waiver (commit, invalidated) on a release at SHA2 -> waiving again is refused
REWAIVE = [
    pytest.param(SHA2, False, True, id="same-commit-refused"),
    pytest.param(None, False, True, id="unbound-and-still-counting-refused"),
    pytest.param(SHA, False, False, id="stale-by-commit-allowed"),
    pytest.param(SHA, True, False, id="invalidated-allowed"),
    pytest.param(None, True, False, id="unbound-invalidated-allowed"),
]


@pytest.mark.parametrize(("granted_for", "invalidated", "refused"), REWAIVE)
def test_only_a_waiver_that_still_counts_stops_a_new_one(
    granted_for: str | None, invalidated: bool, refused: bool
) -> None:
    release = make_release(phase=Phase.TEST, commit_sha=SHA2)
    existing = [make_waiver(granted_for, invalidated=invalidated)]
    if refused:
        with pytest.raises(ConflictError, match=r"G3\.coverage is already waived by chowdhury"):
            waive(release, existing)
        return
    assert waive(release, existing).commit_sha == SHA2


def coverage(release: Release, waivers: list[Waiver]) -> CriterionStatus:
    status = evaluate_gate(
        POLICY.get_gate("G3"),
        release=release,
        policy=POLICY,
        evidence=[replace(e, commit_sha=release.commit_sha) for e in LOW_COVERAGE],
        signoffs=[],
        checklist_items=[],
        waivers=waivers,
        now=NOW,
    )
    return next(c for c in status.criteria if c.id == "G3.coverage")


STALE = (
    "line coverage 60.00% (min 80%); waiver by chowdhury is stale: granted for commit "
    f"{SHA[:12]}, the release is now at {SHA2[:12]}; waive it again"
)
UNRECORDED = (
    "line coverage 60.00% (min 80%); waiver by chowdhury is stale: granted for an earlier "
    f"commit (not recorded), the release is now at {SHA2[:12]}; waive it again"
)

# waivers on a release at SHA2 -> (state, detail, commit of the stale waiver shown)
GATE_CASES = [
    pytest.param(
        [make_waiver(SHA2)],
        ("waived", f"waived by chowdhury for commit {SHA2[:12]}: legacy module", None),
        id="current",
    ),
    pytest.param([make_waiver(SHA)], ("unmet", STALE, SHA), id="stale"),
    pytest.param(
        [make_waiver(None)], ("waived", "waived by chowdhury: legacy module", None), id="unbound"
    ),
    pytest.param(
        [make_waiver(None, invalidated=True)], ("unmet", UNRECORDED, None), id="unbound-stale"
    ),
    pytest.param(
        [make_waiver(SHA), make_waiver(SHA2, person="rana")],
        ("waived", f"waived by rana for commit {SHA2[:12]}: legacy module", None),
        id="stale-then-waived-again",
    ),
]


@pytest.mark.parametrize(("waivers", "expected"), GATE_CASES)
def test_the_gate_counts_only_waivers_for_the_release_commit(
    waivers: list[Waiver], expected: tuple[str, str, str | None]
) -> None:
    criterion = coverage(make_release(phase=Phase.TEST, commit_sha=SHA2), waivers)
    state, detail, stale_commit = expected
    assert (criterion.state, criterion.detail) == (state, detail)
    if state == "unmet":
        assert criterion.stale_waiver is not None
        assert criterion.stale_waiver.commit_sha == stale_commit
    else:
        assert criterion.stale_waiver is None


def test_advancing_on_a_stale_waiver_is_refused_naming_it() -> None:
    release = make_release(phase=Phase.TEST, commit_sha=SHA2)
    with pytest.raises(BlockedError) as blocked:
        decide_advance(
            release=release,
            policy=POLICY,
            evidence=[replace(e, commit_sha=SHA2) for e in LOW_COVERAGE],
            signoffs=[],
            checklist_items=[],
            waivers=[make_waiver(SHA)],
            now=NOW,
        )
    unmet = blocked.value.details["unmet"]
    coverage_line = next(line for line in unmet if line.startswith("G3.coverage"))
    assert f"waiver by chowdhury is stale: granted for commit {SHA[:12]}" in coverage_line


def test_the_in_memory_store_invalidates_waivers_like_the_sql_store() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.releases.add(make_release(commit_sha=SHA2))
        for waiver in (make_waiver(SHA), make_waiver(None), make_waiver(SHA2)):
            uow.waivers.add(waiver)
        assert uow.waivers.invalidate("R-1", keep_commit=SHA2) == 2
        assert [w.invalidated for w in uow.waivers.list("R-1")] == [True, True, False]
        assert uow.waivers.invalidate("R-1", keep_commit=SHA2) == 0
