"""The audit hash chain: any edited, deleted or reordered entry is found and named."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relman.domain.audit import (
    GENESIS_HASH,
    compute_entry_hash,
    compute_next_entry,
    compute_snapshot,
    list_entries_for,
    verify_chain,
)
from relman.domain.releases import AuditEntry, Phase

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def make_chain(n: int) -> list[AuditEntry]:
    chain: list[AuditEntry] = []
    for i in range(n):
        chain.append(
            compute_next_entry(
                chain[-1] if chain else None,
                at=T0 + timedelta(minutes=i),
                actor="rana" if i % 2 else "parvin",
                action="release.advance",
                subject=f"release:R-{i % 3}",
                before={"phase": "PLAN", "revision": i},
                after={"phase": "BUILD", "revision": i + 1},
            )
        )
    return chain


def test_an_untouched_chain_verifies() -> None:
    chain = make_chain(5)
    assert chain[0].seq == 1
    assert chain[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    verdict = verify_chain(chain)
    assert (verdict.ok, verdict.checked, verdict.first_bad_seq) == (True, 5, None)
    edited = verify_chain([*chain[:3], replace(chain[3], actor="x"), chain[4]])
    assert (edited.checked, edited.first_bad_seq) == (3, 4)
    assert verify_chain([]).ok


@pytest.mark.parametrize(
    ("tamper", "first_bad", "reason"),
    [
        (lambda c: [*c[:2], replace(c[2], actor="mallory"), *c[3:]], 3, "entry 3 was edited"),
        (
            lambda c: [*c[:2], replace(c[2], after={"phase": "CLOSED"}), *c[3:]],
            3,
            "entry 3 was edited",
        ),
        (
            lambda c: [*c[:3], replace(c[3], at=c[3].at + timedelta(seconds=1)), *c[4:]],
            4,
            "entry 4 was edited",
        ),
        (lambda c: [*c[:2], *c[3:]], 4, r"entry 3 deleted \(entry 4 follows 2\)"),
        (lambda c: c[1:], 2, r"entry 1 deleted \(entry 2 follows the start\)"),
        (lambda c: [*c[:1], *c[3:]], 4, r"entries 2-3 deleted"),
        (lambda c: [c[0], c[2], c[1], *c[3:]], 3, "entry 3 stored before entry 2: reordered"),
        (
            lambda c: [c[0], replace(c[2], seq=2), replace(c[1], seq=3), *c[3:]],
            2,
            "entry 2 was chained after entry 3: reordered",
        ),
        (
            lambda c: [*c[:2], replace(c[2], prev_hash="f" * 64), *c[3:]],
            3,
            "does not chain to the entry before it",
        ),
        (lambda c: [*c[:3], c[2], *c[3:]], 3, "reordered or duplicated"),
    ],
)
def test_tampering_is_found_at_the_first_bad_entry(
    tamper: object, first_bad: int, reason: str
) -> None:
    assert callable(tamper)
    verdict = verify_chain(tamper(make_chain(6)))
    assert not verdict.ok
    assert verdict.first_bad_seq == first_bad
    assert re.search(reason, verdict.reason), verdict.reason


def test_recomputing_a_tampered_hash_still_breaks_the_next_link() -> None:
    chain = make_chain(4)
    edited = replace(chain[1], actor="mallory")
    edited = replace(
        edited,
        hash=compute_entry_hash(
            edited.prev_hash,
            seq=2,
            at=edited.at,
            actor="mallory",
            action=edited.action,
            subject=edited.subject,
            before=edited.before,
            after=edited.after,
        ),
    )
    verdict = verify_chain([chain[0], edited, *chain[2:]])
    assert (verdict.ok, verdict.first_bad_seq) == (False, 3)


def test_time_zone_and_naive_utc_hash_alike() -> None:
    dhaka = timezone(timedelta(hours=6))
    common = {"seq": 1, "actor": "a", "action": "x", "subject": "s", "before": None, "after": None}
    aware = compute_entry_hash(GENESIS_HASH, at=T0, **common)  # type: ignore[arg-type]
    assert compute_entry_hash(GENESIS_HASH, at=T0.astimezone(dhaka), **common) == aware  # type: ignore[arg-type]
    assert compute_entry_hash(GENESIS_HASH, at=T0.replace(tzinfo=None), **common) == aware  # type: ignore[arg-type]
    assert compute_entry_hash("1" * 64, at=T0, **common) != aware  # type: ignore[arg-type]


def test_snapshot_is_json_ready() -> None:
    snap = compute_snapshot(
        {
            "phase": Phase.TEST,
            "target": date(2026, 3, 16),
            "at": T0,
            "ids": ("a", "b"),
            "tags": {"y", "x"},
        }
    )
    assert snap == {
        "phase": "TEST",
        "target": "2026-03-16",
        "at": "2026-03-01T09:00:00.000000Z",
        "ids": ["a", "b"],
        "tags": ["x", "y"],
    }


def test_list_entries_for_a_subject() -> None:
    chain = make_chain(6)
    assert [e.seq for e in list_entries_for(list(reversed(chain)), "release:R-1")] == [2, 5]


@given(st.integers(min_value=1, max_value=12), st.data())
def test_any_single_edit_is_found_at_that_entry(n: int, data: st.DataObject) -> None:
    chain = make_chain(n)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    field = data.draw(st.sampled_from(["actor", "action", "subject"]))
    chain[i] = replace(chain[i], **{field: getattr(chain[i], field) + "!"})
    assert verify_chain(chain).first_bad_seq == i + 1


@given(st.integers(min_value=2, max_value=12), st.data())
def test_any_inner_deletion_is_found_at_the_next_entry(n: int, data: st.DataObject) -> None:
    chain = make_chain(n)
    i = data.draw(st.integers(min_value=0, max_value=n - 2))
    del chain[i]
    verdict = verify_chain(chain)
    assert verdict.first_bad_seq == i + 2
    assert "deleted" in verdict.reason
