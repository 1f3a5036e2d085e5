"""The one-pass bump decision agrees with the full parser (it only skips work)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relman.domain.commits import (
    BumpDecision,
    CommitPolicy,
    compute_commit_bump,
    decide_bump,
    parse_commit,
    read_commits,
)
from relman.domain.versions import Bump, Version
from relman.errors import InvalidCommitError
from relman.ports import RawCommit
from relman.services.versioning import _upper_bump, decide_bump_fast

HEADERS = [
    "feat(farm): herd view",
    "fix: rounding",
    "docs: guide",
    "chore: tidy",
    "perf(iot): faster sync",
    "refactor!: new core",
    "feat(b2b)!: drop v1",
    "Feat: capital type",
    "not conventional",
    "  feat: indented header",
    "fix(): empty scope",
    "feat:",
    "fix: x\r\nwith CRLF",
    "\n\nfeat: after blank lines",
    "wip",
    'Revert "feat: a"',
    ' Revert "feat: a"',
    'Reapply "feat: a"',
    "feat(x)(y): two scopes",
    "feat!!: double bang",
    "feat : space before colon",
    "fix(a\nb): newline in scope",
    "\r\nfeat: CR first",
    "feat:no space",
    "Merge branch 'x'",
    "\tfix: tab",
]
FOOTERS = ["", "\n\nRefs: SD-12", "\n\nBREAKING CHANGE: gone", "\n\nbreaking-change: lower"]


def _sha(i: int) -> str:
    return f"{i:07x}" + "a" * 33


@st.composite
def histories(draw: st.DrawFn) -> list[RawCommit]:
    size = draw(st.integers(min_value=0, max_value=25))
    raws: list[RawCommit] = []
    for i in range(size):
        kind = draw(st.sampled_from(["plain", "plain", "plain", "revert", "merge"]))
        if kind == "revert":
            target = draw(st.integers(min_value=0, max_value=size + 3))  # may be outside
            style = draw(st.booleans())
            message = (
                f'Revert "fix: x"\n\nThis reverts commit {_sha(target)}.'
                if style
                else f"revert: undo\n\nRefs: {_sha(target)[:9]}"
            )
            parents: tuple[str, ...] = (_sha(i + 1),)
        elif kind == "merge":
            inner = draw(st.sampled_from(HEADERS))
            message = f"Merge pull request #{i} from x/y\n\n{inner}\n* fix: bullet"
            parents = (_sha(i + 1), _sha(i + 100))
        else:
            message = draw(st.sampled_from(HEADERS)) + draw(st.sampled_from(FOOTERS))
            parents = (_sha(i + 1),)
        raws.append(RawCommit(_sha(i), parents, "A", "a@x", "2026-01-01T00:00:00+06:00", message))
    return raws


def _policy(merge_mode: str, zero: bool) -> CommitPolicy:
    return dataclasses.replace(
        CommitPolicy.default(), merge_commits=merge_mode, zero_major_breaking_bumps_minor=zero
    )


def _full(raws: list[RawCommit], policy: CommitPolicy, current: Version | None) -> BumpDecision:
    return decide_bump(read_commits(raws, policy), policy, current=current)


@settings(max_examples=600)
@given(
    raws=histories(),
    merge_mode=st.sampled_from(["skip", "title", "body"]),
    zero=st.booleans(),
    current=st.sampled_from([None, Version(0, 3, 0), Version(2, 1, 0)]),
)
def test_fast_decision_equals_the_full_one(
    raws: list[RawCommit], merge_mode: str, zero: bool, current: Version | None
) -> None:
    policy = _policy(merge_mode, zero)
    fast, count = decide_bump_fast(raws, policy, current=current)
    assert count == len(raws)
    if fast is not None:
        full = _full(raws, policy, current)
        assert fast.bump == full.bump
        assert [(c.sha, c.header) for c in fast.reasons] == [
            (c.sha, c.header) for c in full.reasons
        ]


def _raw(i: int, message: str) -> RawCommit:
    return RawCommit(_sha(i), (_sha(i + 1),), "A", "a@x", "2026-01-01T00:00:00+06:00", message)


@pytest.mark.parametrize(
    ("messages", "bump", "reasons"),
    [
        ([], Bump.NONE, []),
        (["docs: a", "chore: b", "wip"], Bump.NONE, []),
        (["fix: a", "docs: b", "fix: c"], Bump.PATCH, [0, 2]),
        (["fix: a", "feat: b", "feat(x): c"], Bump.MINOR, [1, 2]),
        (["feat: a", "fix: b\n\nBREAKING CHANGE: all gone"], Bump.MAJOR, [1]),
        (["feat: a", f"revert: undo\n\nRefs: {_sha(2)}", "feat: b"], Bump.MINOR, [0]),
        (["feat: a", f"revert: undo\n\nRefs: {_sha(2)}", "fix: c"], Bump.MINOR, [0]),
    ],
)
def test_fast_decisions(messages: list[str], bump: Bump, reasons: list[int]) -> None:
    raws = [_raw(i, m) for i, m in enumerate(messages)]
    fast, _ = decide_bump_fast(raws, CommitPolicy.default(), current=None)
    assert fast is not None
    assert fast.bump == bump
    assert [c.sha for c in fast.reasons] == [_sha(i) for i in reasons]


def test_fast_path_gives_up_when_everything_was_reverted() -> None:
    raws = [_raw(0, f'Revert "fix: c"\n\nThis reverts commit {_sha(1)}.'), _raw(1, "fix: c")]
    assert decide_bump_fast(raws, CommitPolicy.default(), current=None) == (None, 2)
    assert _full(raws, CommitPolicy.default(), None).bump == Bump.NONE


def test_fast_path_gives_up_when_the_only_feat_was_reverted() -> None:
    raws = [_raw(0, f"revert: undo\n\nRefs: {_sha(1)}"), _raw(1, "feat: a"), _raw(2, "fix: b")]
    fast, count = decide_bump_fast(raws, CommitPolicy.default(), current=None)
    assert (fast, count) == (None, 3)
    assert _full(raws, CommitPolicy.default(), None).bump == Bump.PATCH


def test_fast_path_gives_up_when_a_revert_names_a_skipped_commit() -> None:
    # the revert comes after (older than) its target in log order: the target was skipped
    raws = [_raw(0, "feat: a"), _raw(1, "docs: b"), _raw(2, f"revert: undo\n\nRefs: {_sha(1)}")]
    fast, _ = decide_bump_fast(raws, CommitPolicy.default(), current=None)
    assert fast is None


_TEXT = st.one_of(
    st.text(max_size=60),
    st.from_regex(
        r"[ \n\r\t]{0,2}(Revert \"|Reapply \"|[A-Za-z]{1,8})(\([a-z \n]{0,5}\))?!?:? ?[a-z ]{0,10}"
        r"(\n\n(BREAKING[ -]CHANGE|breaking-change|Refs): ?[a-z0-9 ]{0,9})?",
        fullmatch=True,
    ),
)


@settings(max_examples=1000)
@given(message=_TEXT, zero=st.booleans())
def test_the_cheap_bound_is_never_below_the_parsed_bump(message: str, zero: bool) -> None:
    policy = _policy("skip", zero)
    bumps = {name: int(kind.bump) for name, kind in policy.types.items()}
    try:
        commit = parse_commit(message)
    except InvalidCommitError:
        return
    real = compute_commit_bump(commit, policy, current=Version(0, 1, 0))
    upper, revert = _upper_bump(message, bumps, int(policy.breaking_bump))
    assert upper >= real
    assert revert or not commit.is_revert
