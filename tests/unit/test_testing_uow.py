"""The shipped InMemoryUnitOfWork keeps the store's contract: one transaction, revisions, chain."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from relman.domain.releases import Phase, Release, SignOff
from relman.errors import ConflictError, NotFoundError
from relman.testing import InMemoryUnitOfWork

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RELEASE = Release(
    "R-1", "2.4", "minor", "2.4.0", ("erp",), Phase.PLAN, "rahim", date(2026, 3, 9), T0,
    None, (), (), 1,
)  # fmt: skip


def test_a_raising_block_leaves_nothing_behind() -> None:
    uow = InMemoryUnitOfWork()
    with pytest.raises(RuntimeError), uow:
        uow.releases.add(RELEASE)
        uow.audit.append(actor="rahim", action="plan", subject="R-1", before=None, after={}, at=T0)
        raise RuntimeError("boom")
    with uow:
        assert uow.releases.list() == []
        assert uow.audit.list() == []
    assert (uow.commits, uow.rollbacks) == (1, 1)


def test_stale_revisions_conflict_and_fresh_ones_bump() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.releases.add(RELEASE)
        updated = uow.releases.update(dataclasses.replace(RELEASE, phase=Phase.BUILD), 1)
        assert updated.revision == 2
        with pytest.raises(ConflictError, match=r"\(revision 2, expected 1\)"):
            uow.releases.update(RELEASE, 1)
        assert uow.releases.next_id() == "R-2"


def test_records_for_unknown_releases_are_refused() -> None:
    uow = InMemoryUnitOfWork()
    signoff = SignOff("R-9", "G4", "karim", "tech_lead", "approve", "", None, T0)
    with uow, pytest.raises(NotFoundError, match="no release R-9"):
        uow.signoffs.add(signoff)


def test_the_audit_log_is_chained() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        for i in range(3):
            uow.audit.append(
                actor="a", action="x", subject="R-1", before=None, after={"i": i}, at=T0
            )
    with uow:
        verdict = uow.audit.verify()
        entries = uow.audit.list()
    assert (verdict.ok, verdict.checked) == (True, 3)
    assert entries[1].prev_hash == entries[0].hash
