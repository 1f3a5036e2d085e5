"""`drop_reverted` (indexed, linear) removes exactly what the step-by-step rule removes."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from relman.domain.commits import Commit, drop_reverted, parse_commit

# Shas sharing 7-char prefixes, in both cases, some shorter than 7 (never matched).
SHAS = [
    "abcdef0" + "1" * 33,
    "abcdef0" + "2" * 33,
    "ABCDEF0" + "1" * 33,
    "1234567" + "a" * 33,
    "1234567",
    "7654321" + "b" * 33,
    "abc",
    "",
]
REFS = [*SHAS, "abcdef01", "abcdef0", "1234567a", "ABCDEF02"]


def _reference(commits: Sequence[Commit]) -> list[Commit]:
    """The rule as first written (quadratic): the first eligible revert goes, then restart."""

    def same(a: str, b: str) -> bool:
        a, b = a.lower(), b.lower()
        return min(len(a), len(b)) >= 7 and (a.startswith(b) or b.startswith(a))

    alive = list(commits)
    changed = True
    while changed:
        changed = False
        for revert in alive:
            if not (revert.is_revert and revert.reverts):
                continue
            target = next((c for c in alive if c.sha and same(c.sha, revert.reverts)), None)
            reverted_itself = any(
                r.is_revert and r.reverts and revert.sha and same(r.reverts, revert.sha)
                for r in alive
            )
            if target is not None and target is not revert and not reverted_itself:
                alive = [c for c in alive if c is not revert and c is not target]
                changed = True
                break
    return alive


@st.composite
def commit_lists(draw: st.DrawFn) -> list[Commit]:
    made: list[Commit] = []
    for _ in range(draw(st.integers(0, 12))):
        if made and draw(st.integers(0, 9)) == 0:
            made.append(draw(st.sampled_from(made)))  # the same object twice
            continue
        sha = draw(st.sampled_from(SHAS))
        if draw(st.booleans()):
            ref = draw(st.sampled_from(REFS))
            message = f'Revert "feat: x"\n\nThis reverts commit {ref}.'
            if len(ref) < 7:
                message = "revert: x"
        else:
            message = draw(st.sampled_from(["feat: a", "fix: b", "docs: c"]))
        made.append(parse_commit(message, sha=sha))
    return made


@settings(max_examples=600, deadline=None)
@given(commit_lists())
def test_drop_reverted_agrees_with_the_step_by_step_rule(commits: list[Commit]) -> None:
    got = drop_reverted(commits)
    want = _reference(commits)
    assert [id(c) for c in got] == [id(c) for c in want]


def _sha(i: int) -> str:
    return f"{i:07x}" + "0" * 33


def test_a_long_history_with_chained_reverts() -> None:
    commits = [parse_commit(f"feat: change {i}", sha=_sha(i)) for i in range(2000)]
    # reverts of every 10th commit, and a revert of every 3rd of those reverts (reapplied)
    reverts = [
        parse_commit(
            f'Revert "feat: change {i}"\n\nThis reverts commit {_sha(i)}.', sha=_sha(i + 10**6)
        )
        for i in range(0, 2000, 10)
    ]
    again = [
        parse_commit(f'Revert "x"\n\nThis reverts commit {r.sha}.', sha=_sha(i + 2 * 10**6))
        for i, r in enumerate(reverts[::3])
    ]
    history = [*again, *reverts, *commits]
    got = drop_reverted(history)
    assert [id(c) for c in got] == [id(c) for c in _reference(history)]
    kept = {c.description for c in got}
    assert "change 0" in kept  # its revert was reverted
    assert "change 10" not in kept  # reverted
    assert len(got) == 2000 - 200 + 67
