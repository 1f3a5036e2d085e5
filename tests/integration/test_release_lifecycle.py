"""A minor release through G1–G7 on the real store (SQLite and PostgreSQL) and a real git repo.

The services are wired by `build_services` from a relman.toml declaring people; only the store
and the clock are injected. Every refusal leaves the database untouched; the audit log of the
whole walk verifies.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from relman.adapters.db.store import SqlStore
from relman.bootstrap import build_services
from relman.domain.releases import Phase
from relman.errors import BlockedError, ConflictError, InvalidInputError
from relman.services import checklists, evidence, gates, planning, releases
from relman.services.lifecycle import Lifecycle
from relman.testing import FixedClock

NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 10:00 in Dhaka
TARGET = date(2026, 3, 13)

PEOPLE_TOML = """
[people.meher]
name = "Meher Release"
roles = ["release_manager"]
[people.rana]
name = "Rana Release"
roles = ["release_manager"]
[people.parvin]
name = "Parvin PM"
roles = ["project_manager"]
[people.tanvir]
name = "Tanvir TL"
roles = ["tech_lead"]
[people.qamrul]
name = "Qamrul QA"
roles = ["qa_lead"]
[people.popy]
name = "Popy PO"
roles = ["product_owner"]
[people.dipu]
name = "Dipu DevOps"
roles = ["devops_lead"]
[people.sara]
name = "Sara SRE"
roles = ["sre_lead"]
"""

JUNIT = (
    b'<testsuite tests="3"><testcase name="a"/><testcase name="b"/><testcase name="c"/></testsuite>'
)
COVERAGE = b'<coverage line-rate="0.91" lines-valid="100" lines-covered="91"></coverage>'
SARIF = b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "ruff"}}, "results": []}]}'


@pytest.fixture
def lc(repo_builder: Any, store: SqlStore) -> Lifecycle:
    repo_builder.commit("feat: first release", {"relman.toml": PEOPLE_TOML})
    repo_builder.tag("v1.3.0")
    repo_builder.commit("feat(farm): milk quality parameters\n\nRefs: SD-101")
    repo_builder.commit("fix(farm): fat percentage rounding SD-102")
    return build_services(repo=repo_builder.path, store=store, clock=FixedClock(NOW)).lifecycle


def _deps(lc: Lifecycle) -> dict[str, Any]:
    return {"uow_factory": lc.uow_factory, "policy": lc.policy, "clock": lc.clock}


def _sign(lc: Lifecycle, gate: str, person: str) -> gates.Signed:
    return gates.sign_gate(**_deps(lc), release_id="R-1", gate_id=gate, actor=person)


def _tick(lc: Lifecycle, *items: str) -> None:
    for item in items:
        checklists.tick_item(**_deps(lc), release_id="R-1", item_id=item, actor="qamrul")


def _advance(lc: Lifecycle) -> Phase:
    return releases.advance_release(**_deps(lc), release_id="R-1", actor="meher").release.phase


def _evidence(lc: Lifecycle, kind: str, data: bytes) -> evidence.AddedEvidence:
    return evidence.add_evidence(
        **_deps(lc), release_id="R-1", kind=kind, data=data, source=f"{kind}.report"
    )


def _table_count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def _plan(lc: Lifecycle) -> planning.PlannedRelease:
    return planning.plan_release(
        **_deps(lc), git=lc.git, versioning=lc.versioning, actor="meher",
        release_type="minor", target_date=TARGET, title="Milk quality",
    )  # fmt: skip


def test_minor_release_walks_g1_to_g7_and_the_audit_log_verifies(
    lc: Lifecycle, store: SqlStore, repo_builder: Any
) -> None:
    planned = _plan(lc)
    release = planned.release
    assert (release.id, release.version, release.commit_sha) == (
        "R-1",
        "1.4.0",
        repo_builder.head(),
    )
    assert release.scope_tickets == ("SD-102", "SD-101") and len(release.scope_commits) == 2

    _tick(lc, "7.1.1-3", "7.1.1-4")
    _sign(lc, "G1", "parvin")
    assert _advance(lc) is Phase.BUILD

    _tick(lc, "7.1.2-2")
    _sign(lc, "G2", "tanvir")
    with pytest.raises(BlockedError) as blocked:
        _advance(lc)
    assert [line.split(":")[0] for line in blocked.value.details["unmet"]] == [
        "G2.features",
        "G2.unit-tests",
        "G2.build",
    ]
    assert _evidence(lc, "junit", JUNIT).judgement.ok
    _evidence(lc, "ci", b"success\nurl=https://ci.example/run/7")
    assert _advance(lc) is Phase.TEST

    _evidence(lc, "coverage", COVERAGE)
    _evidence(lc, "sarif", SARIF)
    _tick(lc, "7.1.3-3")
    _sign(lc, "G3", "qamrul")
    _sign(lc, "G4", "popy")
    assert _advance(lc) is Phase.DEPLOY

    _tick(lc, "7.2.3-1", "7.1.3-5", "7.1.4-3", "7.1.4-4")
    _sign(lc, "G5", "dipu")
    for person in ("rana", "parvin", "tanvir"):
        _sign(lc, "G6", person)
    assert _advance(lc) is Phase.VERIFY

    _tick(lc, "7.3-2", "7.3-3")
    _sign(lc, "G7", "sara")
    assert _advance(lc) is Phase.CLOSED

    with pytest.raises(ConflictError, match="cannot advance a CLOSED release"):
        _advance(lc)
    with lc.uow_factory() as uow:
        entries = list(uow.audit.list(subject="R-1"))
        policy_changes = list(uow.audit.list(subject="policy"))
        verdict = uow.audit.verify()
        closed = uow.releases.get("R-1")
        items = {i.item_id: i for i in uow.checklists.list("R-1")}
    # besides R-1's entries: the policy in force, recorded by the first write (docs/store.md)
    assert [e.action for e in policy_changes] == ["policy.change"]
    assert verdict.ok and verdict.checked == len(entries) + 1
    actions = Counter(e.action for e in entries)
    assert actions["release.advance"] == 5
    assert actions["gate.sign"] == 9
    assert actions["evidence.add"] == 4
    assert actions["release.plan"] == 1
    assert closed.revision == 1 + sum(
        n for a, n in actions.items() if a not in ("release.plan", "checklist.auto_tick")
    )
    # proven items were ticked by relman with a link to the proof
    assert items["7.1.3-2"].ticked_by == "relman"
    assert (
        items["7.1.3-2"].proof is not None and "coverage coverage.report" in items["7.1.3-2"].proof
    )
    assert items["7.1.3-7"].proof == "gate G4 passed"  # UAT sign-off obtained
    assert items["7.1.4-7"].proof == "gate G6 passed"  # Go/No-Go decision made


def test_refusals_leave_the_database_untouched(lc: Lifecycle, database_url: str) -> None:
    _plan(lc)
    tables = ("signoffs", "evidence", "waivers", "audit_log")
    counts = {t: _table_count(database_url, t) for t in tables}

    with pytest.raises(BlockedError, match="separation of duties"):
        _sign(lc, "G1", "meher")
    with pytest.raises(InvalidInputError, match="not JUnit XML"):
        _evidence(lc, "junit", COVERAGE)
    with pytest.raises(BlockedError, match="before release R-1 reaches TEST"):
        _sign(lc, "G3", "qamrul")

    assert {t: _table_count(database_url, t) for t in tables} == counts
    with lc.uow_factory() as uow:
        assert uow.releases.get("R-1").revision == 1


def test_a_new_build_commit_invalidates_stored_signoffs(
    lc: Lifecycle, store: SqlStore, repo_builder: Any
) -> None:
    _plan(lc)
    _tick(lc, "7.1.1-3", "7.1.1-4")
    _sign(lc, "G1", "parvin")
    new_sha = repo_builder.commit("fix(farm): late fix SD-103")

    done = releases.update_commit(
        **_deps(lc), git=lc.git, versioning=lc.versioning, release_id="R-1", actor="meher"
    )

    assert (done.release.commit_sha, done.invalidated) == (new_sha, 1)
    assert done.release.scope_tickets[0] == "SD-103"
    report = gates.get_gate_status(**_deps(lc), release_id="R-1", gate_id="G1")
    assert [(s.person_id, s.invalidated) for s in report.signoffs] == [("parvin", True)]
    assert not report.gates[0].passed
    with pytest.raises(BlockedError) as blocked:
        _advance(lc)
    assert blocked.value.details["unmet"] == [
        "G1 sign-off project_manager: needs a sign-off by project_manager"
    ]
    assert _sign(lc, "G1", "parvin").gate.passed  # signing again for the new commit counts
    assert _advance(lc) is Phase.BUILD


def _waive_risks(lc: Lifecycle) -> gates.Waived:
    return gates.waive_criterion(
        **_deps(lc), release_id="R-1", gate_id="G1", criterion_id="risks", actor="rana",
        reason="assessed in the phase plan",
    )  # fmt: skip


def test_a_new_build_commit_makes_waivers_stale_until_waived_again(
    lc: Lifecycle, repo_builder: Any
) -> None:
    old_sha = _plan(lc).release.commit_sha
    _tick(lc, "7.1.1-3")
    assert _waive_risks(lc).waiver.commit_sha == old_sha
    assert _sign(lc, "G1", "parvin").gate.passed
    new_sha = repo_builder.commit("fix(farm): late fix SD-103")

    done = releases.update_commit(
        **_deps(lc), git=lc.git, versioning=lc.versioning, release_id="R-1", actor="meher"
    )

    assert (done.invalidated, done.stale_waivers) == (1, 1)
    report = gates.get_gate_status(**_deps(lc), release_id="R-1", gate_id="G1")
    assert [(w.commit_sha, w.invalidated) for w in report.waivers] == [(old_sha, True)]
    risks = next(c for c in report.gates[0].criteria if c.id == "G1.risks")
    assert risks.state == "unmet" and risks.stale_waiver is not None
    assert f"granted for commit {old_sha[:12]}, the release is now at {new_sha[:12]}" in (
        risks.detail
    )
    with pytest.raises(BlockedError) as blocked:
        _advance(lc)
    assert [line.split(":")[0] for line in blocked.value.details["unmet"]] == [
        "G1.risks",
        "G1 sign-off project_manager",
    ]
    with lc.uow_factory() as uow:
        (moved,) = [e for e in uow.audit.list(subject="R-1") if e.action == "release.commit"]
    assert moved.after is not None and moved.after["invalidated_waivers"] == 1

    again = _waive_risks(lc)  # granted again, for the new build
    assert (again.waiver.commit_sha, again.waiver.invalidated) == (new_sha, False)
    with pytest.raises(ConflictError, match=r"G1\.risks is already waived by rana"):
        _waive_risks(lc)
    assert _sign(lc, "G1", "parvin").gate.passed
    assert _advance(lc) is Phase.BUILD


def test_relman_toml_people_reach_the_policy(lc: Lifecycle) -> None:
    assert lc.policy.get_person("rana").roles == ("release_manager",)
    assert sorted(lc.policy.people) == [
        "dipu", "meher", "parvin", "popy", "qamrul", "rana", "sara", "tanvir",
    ]  # fmt: skip
