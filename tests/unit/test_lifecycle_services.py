"""Lifecycle services on the in-memory unit of work: one transaction per use case, audit in the
same transaction, optimistic-lock retries, auto-ticks, and nothing written on a refusal."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import pytest
from release_factories import PEOPLE, make_policy

from relman.domain.commits import CommitPolicy
from relman.domain.components import VersioningPolicy
from relman.domain.releases import Phase, Release
from relman.domain.tags import TagFormat
from relman.domain.versions import Version
from relman.errors import (
    BlockedError,
    ConflictError,
    InvalidInputError,
    InvalidVersionError,
    NotFoundError,
)
from relman.ports import RawCommit, TagRef
from relman.services import checklists, evidence, gates, lifecycle, planning, releases
from relman.testing import FixedClock, InMemoryUnitOfWork

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TARGET = date(2026, 3, 12)  # 10 days: inside the minor window (1-2 weeks)
POLICY = make_policy()
PLANNER = "rahim"  # a developer: plans, but signs nothing of his own release

JUNIT_OK = (
    b'<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="2">'
    b'<testcase classname="t" name="a"/><testcase classname="t" name="b"/>'
    b"</testsuite></testsuites>"
)
JUNIT_FAIL = (
    b'<testsuite name="pytest" tests="1"><testcase classname="t" name="a">'
    b'<failure message="boom"/></testcase></testsuite>'
)
COVERAGE_OK = b'<coverage line-rate="0.9" lines-valid="10" lines-covered="9"></coverage>'
SARIF_CLEAN = (
    b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "ruff"}}, "results": []}]}'
)


class FakeGit:
    """A linear history (oldest first) with tags; enough of GitRepo for planning."""

    root = "/repo"

    def __init__(self, messages: Sequence[str], tags: dict[str, int]) -> None:
        self.commits: list[RawCommit] = []
        for message in messages:
            self.add(message)
        self.tags = {name: self.commits[index].sha for name, index in tags.items()}

    def add(self, message: str) -> str:
        sha = f"{len(self.commits) + 1:02d}" + "ab" * 19
        parents = (self.commits[-1].sha,) if self.commits else ()
        self.commits.append(RawCommit(sha, parents, "Dev", "dev@x", "2026-01-01T00:00:00", message))
        return sha

    def _index(self, ref: str) -> int:
        if ref == "HEAD":
            return len(self.commits) - 1
        ref = self.tags.get(ref, ref)
        for index, commit in enumerate(self.commits):
            if commit.sha.startswith(ref):
                return index
        raise NotFoundError(f"unknown ref {ref}")

    def resolve(self, ref: str) -> str:
        return self.commits[self._index(ref)].sha

    def iter_commits(
        self, rev_range: str | Sequence[str], paths: Sequence[str] = ()
    ) -> Iterator[RawCommit]:
        revs = [rev_range] if isinstance(rev_range, str) else list(rev_range)
        stop = max((self._index(r[1:]) for r in revs if r.startswith("^")), default=-1)
        (head,) = [r for r in revs if not r.startswith("^")]
        for index in range(self._index(head), stop, -1):
            yield self.commits[index]

    def list_tags(self, merged_into: str | None = None, *, prefix: str = "") -> list[TagRef]:
        limit = len(self.commits) if merged_into is None else self._index(merged_into)
        return [
            TagRef(n, s)
            for n, s in self.tags.items()
            if self._index(s) <= limit and n.startswith(prefix)
        ]

    def changed_files(self, base: str, head: str) -> list[Any]:
        return []

    def read_file(self, ref: str, path: str) -> str | None:
        return None

    def list_files(self, ref: str) -> list[str]:
        return []

    def is_shallow(self) -> bool:
        return False

    def current_branch(self) -> str | None:
        return "main"


VERSIONING = VersioningPolicy(
    tag_format=TagFormat("v{version}"),
    initial_version=Version(0, 1, 0),
    components={},
    commit_policy=CommitPolicy.default(),
)


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def git() -> FakeGit:
    return FakeGit(
        ["feat: first", "feat(farm): milk quality SD-12", "fix: rounding\n\nRefs: SD-14"],
        tags={"v1.0.0": 0},
    )


def _deps(uow: InMemoryUnitOfWork, clock: FixedClock) -> dict[str, Any]:
    return {"uow_factory": lambda: uow, "policy": POLICY, "clock": clock}


def _plan(uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit, **kw: Any) -> Release:
    args: dict[str, Any] = {
        "actor": PLANNER,
        "release_type": "minor",
        "target_date": TARGET,
        **kw,
    }
    planned = planning.plan_release(**_deps(uow, clock), git=git, versioning=VERSIONING, **args)
    return planned.release


def _actions(uow: InMemoryUnitOfWork) -> list[str]:
    return [e.action for e in uow.audit.list()]


def _sign(uow: InMemoryUnitOfWork, clock: FixedClock, gate: str, person: str) -> gates.Signed:
    return gates.sign_gate(**_deps(uow, clock), release_id="R-1", gate_id=gate, actor=person)


def _tick(uow: InMemoryUnitOfWork, clock: FixedClock, *items: str) -> None:
    for item in items:
        checklists.tick_item(**_deps(uow, clock), release_id="R-1", item_id=item, actor="qamrul")


def _advance(uow: InMemoryUnitOfWork, clock: FixedClock) -> releases.Advanced:
    return releases.advance_release(**_deps(uow, clock), release_id="R-1", actor="rana")


def _add(uow: InMemoryUnitOfWork, clock: FixedClock, kind: str, data: bytes, **kw: Any) -> Any:
    return evidence.add_evidence(
        **_deps(uow, clock), release_id="R-1", kind=kind, data=data, source=f"{kind}.out", **kw
    )


# --- plan -----------------------------------------------------------------------------------


def test_plan_computes_version_scope_and_checklists_in_one_audited_transaction(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    planned = planning.plan_release(
        **_deps(uow, clock), git=git, versioning=VERSIONING, actor=PLANNER,
        release_type="minor", target_date=TARGET, title="Milk quality",
    )  # fmt: skip

    release = uow.releases.get("R-1")
    assert (release.version, release.phase, release.planned_by) == ("1.1.0", Phase.PLAN, PLANNER)
    assert release.commit_sha == git.commits[-1].sha
    assert release.scope_commits == (git.commits[2].sha, git.commits[1].sha)
    assert release.scope_tickets == ("SD-14", "SD-12")
    assert planned.scope.ranges == (f"v1.0.0..{git.commits[-1].sha[:12]}",)
    assert planned.lead_time.state == "ok" and planned.warnings == []
    items = uow.checklists.list("R-1")
    assert len(items) == planned.checklist_items
    assert {i.checklist_id for i in items} >= {"7.1.1", "7.1.2", "7.1.3", "7.3", "14.3-1w"}
    assert "13.1" not in {i.checklist_id for i in items}  # the hotfix checklist is for hotfixes
    # scope proves 7.1.1-1, ticked by relman with the proof
    (scope_item,) = [i for i in items if i.is_ticked]
    assert (scope_item.item_id, scope_item.ticked_by) == ("7.1.1-1", "relman")
    assert scope_item.proof == "scope: 2 commits, 2 tickets"
    assert _actions(uow) == ["release.plan", "checklist.auto_tick"]
    plan_entry = uow.audit.list()[0]
    assert (plan_entry.actor, plan_entry.subject) == (PLANNER, "R-1")
    assert plan_entry.after is not None and plan_entry.after["release"]["version"] == "1.1.0"
    assert uow.audit.verify().ok


def test_plan_refuses_a_short_lead_time_naming_the_earliest_date_and_writes_nothing(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    with pytest.raises(BlockedError) as caught:
        _plan(uow, clock, git, target_date=date(2026, 3, 5))
    assert "shorter than 1 week" in caught.value.message
    assert caught.value.hint == "choose a target date on or after 2026-03-09"
    assert uow.releases.list() == [] and uow.audit.list() == []


def test_plan_lead_time_override_needs_a_reason_and_is_audited_as_an_override(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    with pytest.raises(InvalidInputError, match="--override-reason"):
        _plan(uow, clock, git, target_date=date(2026, 3, 5), force_lead_time=True)

    _plan(
        uow, clock, git, target_date=date(2026, 3, 5), force_lead_time=True,
        override_reason="regulator deadline",
    )  # fmt: skip

    override = [e for e in uow.audit.list() if e.action == "release.override"]
    assert len(override) == 1
    assert override[0].after is not None
    assert override[0].after["reason"] == "regulator deadline"
    assert override[0].after["rule"] == "lead_time"


@pytest.mark.parametrize(
    "case",
    [
        ({"actor": "nobody"}, NotFoundError, "unknown person 'nobody'"),
        ({"actor": ""}, InvalidInputError, "who is acting?"),
        ({"release_type": "mega"}, NotFoundError, "unknown release type 'mega'"),
        ({"components": ["nope"]}, NotFoundError, "unknown component 'nope'"),
        ({"version": "1.2"}, InvalidVersionError, "1.2"),
        ({"target_date": date(2026, 3, 1)}, InvalidInputError, "is in the past"),
    ],
)
def test_plan_bad_input_writes_nothing(
    uow: InMemoryUnitOfWork,
    clock: FixedClock,
    git: FakeGit,
    case: tuple[dict[str, Any], type[Exception], str],
) -> None:
    kw, error, text = case
    with pytest.raises(error, match=text):
        _plan(uow, clock, git, **kw)
    assert uow.releases.list() == [] and uow.audit.list() == []


def test_plan_hotfix_auto_version_and_explicit_version(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    hotfix = _plan(uow, clock, git, release_type="hotfix", target_date=date(2026, 3, 2))
    assert hotfix.version == "1.0.1-hotfix.1"
    explicit = _plan(uow, clock, git, version="v1.2.0-rc.1")
    assert (explicit.id, explicit.version) == ("R-2", "1.2.0-rc.1")
    git.tags["v1.0.1-hotfix.1"] = git.add("fix: urgent")
    again = _plan(uow, clock, git, release_type="hotfix", target_date=date(2026, 3, 2))
    assert again.version == "1.0.1-hotfix.2"


def test_plan_auto_refuses_a_type_smaller_than_the_commits(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    with pytest.raises(InvalidInputError, match="call for a minor bump: a patch release"):
        planning.plan_release(
            **_deps(uow, clock), git=git, versioning=VERSIONING, actor=PLANNER,
            release_type="patch", target_date=date(2026, 3, 6),
        )  # fmt: skip
    assert uow.releases.list() == []
    assert uow.audit.list() == []


def test_plan_auto_takes_the_version_change_of_the_release_type(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    planned = planning.plan_release(
        **_deps(uow, clock), git=git, versioning=VERSIONING, actor=PLANNER,
        release_type="major", target_date=date(2026, 4, 6),
    )  # fmt: skip
    assert planned.release.version == "2.0.0"  # J-003 §2.1: MAJOR increment (X.0.0)
    assert planned.warnings == [
        "the commits in v1.0.0..HEAD call for a minor bump, planned as a major release (2.0.0)"
    ]


# --- gates and advancing --------------------------------------------------------------------


def test_advance_lists_every_unmet_criterion_and_writes_nothing(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    _plan(uow, clock, git)
    before = (uow.releases.get("R-1").revision, len(uow.audit.list()))

    with pytest.raises(BlockedError) as caught:
        _advance(uow, clock)

    assert caught.value.details["unmet"] == [
        "G1.resources: Resources allocated (not ticked: 7.1.1-3 Resource assignments confirmed)",
        "G1.risks: Risks assessed (not ticked: 7.1.1-4 Risk assessment completed)",
        "G1 sign-off project_manager: needs a sign-off by project_manager",
    ]
    assert (uow.releases.get("R-1").revision, len(uow.audit.list())) == before


def test_sign_and_advance_through_g1_audits_every_step(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    _plan(uow, clock, git)
    _tick(uow, clock, "7.1.1-3", "7.1.1-4")
    signed = _sign(uow, clock, "G1", "parvin")
    assert signed.gate.passed and signed.signoff.role == "project_manager"
    assert signed.signoff.commit_sha == git.commits[-1].sha

    clock.advance(hours=1)
    done = _advance(uow, clock)

    assert (done.from_phase, done.release.phase) == (Phase.PLAN, Phase.BUILD)
    assert uow.releases.get("R-1").revision == 5  # plan, 2 ticks, sign, advance
    assert _actions(uow)[2:] == [
        "checklist.tick",
        "checklist.tick",
        "gate.sign",
        "release.advance",
    ]
    entry = uow.audit.list()[-1]
    assert entry.actor == "rana" and entry.at == NOW + timedelta(hours=1)
    assert entry.before is not None and entry.before["phase"] == "PLAN"
    assert entry.after is not None and entry.after["release"]["phase"] == "BUILD"
    assert entry.after["gates"] == ["G1"]
    assert uow.audit.verify().ok


@pytest.mark.parametrize(
    "case",
    [
        ("G1", PLANNER, BlockedError, "separation of duties"),
        ("G1", "tanvir", BlockedError, "holds none of the roles G1 needs: project_manager"),
        ("G4", "popy", BlockedError, "G4 cannot be signed before release R-1 reaches TEST"),
        ("G9", "parvin", NotFoundError, "unknown gate 'G9'"),
        ("G1", "ghost", NotFoundError, "unknown person 'ghost'"),
    ],
)
def test_refused_signoffs_write_nothing(
    uow: InMemoryUnitOfWork,
    clock: FixedClock,
    git: FakeGit,
    case: tuple[str, str, type[Exception], str],
) -> None:
    gate, person, error, text = case
    _plan(uow, clock, git)
    before = (uow.releases.get("R-1").revision, len(uow.audit.list()))
    with pytest.raises(error, match=text):
        _sign(uow, clock, gate, person)
    assert uow.signoffs.list("R-1") == []
    assert (uow.releases.get("R-1").revision, len(uow.audit.list())) == before


def test_signing_twice_is_a_conflict_and_is_not_retried(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    _plan(uow, clock, git)
    _sign(uow, clock, "G1", "parvin")
    commits = uow.commits
    with pytest.raises(ConflictError, match="parvin already approved G1"):
        _sign(uow, clock, "G1", "parvin")
    assert uow.commits == commits and uow.rollbacks == 1  # one attempt, rolled back
    assert len(uow.signoffs.list("R-1")) == 1


def test_reject_needs_a_comment_and_vetoes_the_gate(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    _plan(uow, clock, git)
    with pytest.raises(InvalidInputError, match="needs a comment"):
        gates.reject_gate(
            **_deps(uow, clock), release_id="R-1", gate_id="G1", actor="parvin", comment=" "
        )
    done = gates.reject_gate(
        **_deps(uow, clock), release_id="R-1", gate_id="G1", actor="parvin", comment="no budget"
    )
    assert not done.gate.passed
    assert "G1 sign-off project_manager: rejected by parvin: no budget" in done.gate.unmet
    assert _actions(uow)[-1] == "gate.reject"


def test_waiver_only_by_waiver_roles_and_shown_as_waived(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    _plan(uow, clock, git)
    with pytest.raises(BlockedError, match="may not waive G1 criteria"):
        gates.waive_criterion(
            **_deps(uow, clock), release_id="R-1", gate_id="G1", criterion_id="risks",
            actor="parvin", reason="low risk",
        )  # fmt: skip
    done = gates.waive_criterion(
        **_deps(uow, clock), release_id="R-1", gate_id="G1", criterion_id="risks",
        actor="rana", reason="assessed in the phase plan",
    )  # fmt: skip
    assert done.waiver.criterion_id == "G1.risks"
    report = gates.get_gate_status(**_deps(uow, clock), release_id="R-1", gate_id="G1")
    (g1,) = report.gates
    states = {c.id: c.state for c in g1.criteria}
    assert states == {"G1.scope": "met", "G1.resources": "unmet", "G1.risks": "waived"}
    assert _actions(uow)[-1] == "gate.waive"


# --- evidence, checklists, commits ----------------------------------------------------------


def _to_build(uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit) -> None:
    _plan(uow, clock, git)
    _tick(uow, clock, "7.1.1-3", "7.1.1-4")
    _sign(uow, clock, "G1", "parvin")
    _advance(uow, clock)


def test_evidence_is_parsed_bound_to_the_commit_and_auto_ticks_items(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    _to_build(uow, clock, git)
    done = _add(uow, clock, "junit", JUNIT_OK)
    assert done.judgement.ok and done.counts
    assert done.evidence.commit_sha == git.commits[-1].sha
    assert done.evidence.digest.startswith("sha256:")
    assert [i.item_id for i in done.auto_ticked] == ["7.1.2-1", "7.1.3-1"]
    assert done.auto_ticked[0].proof is not None
    assert done.auto_ticked[0].proof.startswith("evidence #1 junit junit.out (sha256:")
    assert _actions(uow)[-3:] == ["evidence.add", "checklist.auto_tick", "checklist.auto_tick"]
    assert uow.audit.list()[-3].actor == "ci"


def test_evidence_that_is_not_what_it_claims_writes_nothing(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    _to_build(uow, clock, git)
    count = len(uow.audit.list())
    with pytest.raises(InvalidInputError, match="not JUnit XML"):
        _add(uow, clock, "junit", COVERAGE_OK)
    with pytest.raises(InvalidInputError, match="CI status is for commit deadbeef"):
        _add(uow, clock, "ci", b'{"status": "success", "commit": "deadbeef"}')
    assert uow.evidence.list("R-1") == [] and len(uow.audit.list()) == count


def test_g2_passes_only_with_passing_evidence_for_the_release_commit(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    _to_build(uow, clock, git)
    _tick(uow, clock, "7.1.2-2")
    _sign(uow, clock, "G2", "tanvir")
    _add(uow, clock, "junit", JUNIT_FAIL)
    _add(uow, clock, "ci", b"success")
    with pytest.raises(BlockedError) as caught:
        _advance(uow, clock)
    assert caught.value.details["unmet"] == [
        "G2.features: All features coded (not ticked: 7.1.2-1 All features developed and "
        "unit tested)",
        "G2.unit-tests: Unit tests passing (1 tests, 1 failures, 0 errors)",
    ]
    other = _add(uow, clock, "junit", JUNIT_OK, commit=git.commits[0].sha[:8], git=git)
    assert not other.counts  # for another commit: gates do not see it
    with pytest.raises(BlockedError):
        _advance(uow, clock)

    clock.advance(minutes=5)
    _add(uow, clock, "junit", JUNIT_OK)
    assert _advance(uow, clock).release.phase is Phase.TEST


def test_new_commit_invalidates_earlier_signoffs_and_recomputes_scope(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    _to_build(uow, clock, git)
    _sign(uow, clock, "G2", "tanvir")
    new_sha = git.add("fix: late fix SD-20")

    done = releases.update_commit(
        **_deps(uow, clock), git=git, versioning=VERSIONING, release_id="R-1", actor="rana"
    )

    assert done.changed and done.invalidated == 2 and done.previous_sha == git.commits[2].sha
    assert done.release.commit_sha == new_sha
    assert done.release.scope_tickets == ("SD-20", "SD-14", "SD-12")
    report = gates.get_gate_status(**_deps(uow, clock), release_id="R-1")
    assert [(s.gate, s.invalidated) for s in report.signoffs] == [("G1", True), ("G2", True)]
    g2 = next(g for g in report.gates if g.gate == "G2")
    assert "G2 sign-off tech_lead: needs a sign-off by tech_lead" in g2.unmet
    assert _actions(uow)[-1] == "release.commit"
    again = releases.update_commit(
        **_deps(uow, clock), git=git, versioning=VERSIONING, release_id="R-1", actor="rana"
    )
    assert not again.changed and _actions(uow)[-1] == "release.commit"


def test_tick_twice_conflicts_and_unknown_items_are_not_found(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    _plan(uow, clock, git)
    _tick(uow, clock, "7.1.1-3")
    with pytest.raises(ConflictError, match=re.escape("7.1.1-3 is already ticked by qamrul")):
        _tick(uow, clock, "7.1.1-3")
    with pytest.raises(ConflictError, match=re.escape("7.1.1-1 is already ticked by relman")):
        _tick(uow, clock, "7.1.1-1")
    with pytest.raises(NotFoundError, match=re.escape("no checklist item '13.1-1'")):
        _tick(uow, clock, "13.1-1")
    _, views = checklists.list_checklists(
        uow_factory=lambda: uow, policy=POLICY, release_id="R-1", checklist_id="7.1.1"
    )
    (planning,) = views
    assert (planning.title, planning.ticked, len(planning.items)) == ("Planning Phase", 2, 6)


@pytest.mark.parametrize(
    ("phase", "allowed"),
    [
        (Phase.PLAN, True),
        (Phase.BUILD, True),
        (Phase.TEST, True),
        (Phase.DEPLOY, True),
        (Phase.VERIFY, False),
        (Phase.CLOSED, False),
        (Phase.CANCELLED, False),
        (Phase.ROLLED_BACK, False),
    ],
)
def test_cancel_in_each_phase(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit, phase: Phase, allowed: bool
) -> None:
    release = _plan(uow, clock, git)
    uow.state.releases["R-1"] = dataclasses.replace(release, phase=phase)
    cancel = {"release_id": "R-1", "actor": "parvin", "reason": "descoped"}
    if allowed:
        done = releases.cancel_release(**_deps(uow, clock), **cancel)
        assert done.phase is Phase.CANCELLED
        assert uow.audit.list()[-1].after == {**uow.audit.list()[-1].after, "reason": "descoped"}
        with pytest.raises(ConflictError, match="cannot advance a CANCELLED release"):
            _advance(uow, clock)
    else:
        with pytest.raises(ConflictError, match=f"cannot cancel a {phase.value} release"):
            releases.cancel_release(**_deps(uow, clock), **cancel)


def test_cancel_needs_a_reason(uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit) -> None:
    _plan(uow, clock, git)
    with pytest.raises(InvalidInputError, match="needs a reason"):
        releases.cancel_release(**_deps(uow, clock), release_id="R-1", actor="parvin", reason="")


def test_show_and_list(uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit) -> None:
    _to_build(uow, clock, git)
    _plan(uow, clock, git, release_type="hotfix", target_date=date(2026, 3, 2))

    details = releases.get_release_details(**_deps(uow, clock), release_id="R-1")
    assert details.release.phase is Phase.BUILD and details.next_gates == ["G2"]
    assert [g.gate for g in details.gates if g.passed] == ["G1"]
    assert "advance" in details.allowed_actions
    assert [r.id for r in releases.list_releases(uow_factory=lambda: uow)] == ["R-1", "R-2"]
    only = releases.list_releases(uow_factory=lambda: uow, phase="plan")
    assert [r.id for r in only] == ["R-2"]
    hotfixes = releases.list_releases(uow_factory=lambda: uow, release_type="hotfix")
    assert [r.id for r in hotfixes] == ["R-2"]
    with pytest.raises(NotFoundError):
        releases.get_release_details(**_deps(uow, clock), release_id="R-9")


def test_overdue_hotfix_post_hoc_approvals(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    hotfix = _plan(uow, clock, git, release_type="hotfix", target_date=date(2026, 3, 2))
    uow.state.releases[hotfix.id] = dataclasses.replace(hotfix, phase=Phase.VERIFY, deployed_at=NOW)
    assert releases.list_overdue(**_deps(uow, clock)) == []

    clock.advance(hours=49)
    overdue = releases.list_overdue(**_deps(uow, clock))
    assert [(o.release_id, o.gate, o.role) for o in overdue] == [
        ("R-1", "G6", "devops_lead"),
        ("R-1", "G6", "project_manager"),
    ]
    assert overdue[0].due_at == NOW + timedelta(hours=48)


# --- optimistic locking ---------------------------------------------------------------------


class RacingUnitOfWork:
    """Wraps a unit of work; the first ``races`` release updates lose to a concurrent writer."""

    def __init__(self, inner: InMemoryUnitOfWork, races: int) -> None:
        self.inner = inner
        self.races = races
        self.attempts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def releases(self) -> Any:
        outer = self

        class Releases:
            def __getattr__(self, name: str) -> Any:
                return getattr(outer.inner.releases, name)

            def update(self, release: Release, expected_revision: int) -> Release:
                if outer.races > 0:
                    outer.races -= 1
                    raise ConflictError("release R-1 was changed by someone else")
                return outer.inner.releases.update(release, expected_revision)

        return Releases()

    def __enter__(self) -> Self:
        self.attempts += 1
        self.inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.inner.__exit__(exc_type, exc, tb)


@pytest.mark.parametrize("races", [1, lifecycle.ATTEMPTS - 1])
def test_a_lost_race_reruns_the_use_case_on_fresh_state(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit, races: int
) -> None:
    _plan(uow, clock, git)
    racing = RacingUnitOfWork(uow, races=races)
    done = gates.sign_gate(
        uow_factory=lambda: racing, policy=POLICY, clock=clock,
        release_id="R-1", gate_id="G1", actor="parvin",
    )  # fmt: skip
    assert done.signoff.person_id == "parvin"
    assert racing.attempts == races + 1
    assert len(uow.signoffs.list("R-1")) == 1  # the lost attempts were rolled back
    assert [e.action for e in uow.audit.list()].count("gate.sign") == 1


def test_a_race_lost_every_time_gives_up_with_the_conflict(
    uow: InMemoryUnitOfWork, clock: FixedClock, git: FakeGit
) -> None:
    _plan(uow, clock, git)
    racing = RacingUnitOfWork(uow, races=lifecycle.ATTEMPTS)
    with pytest.raises(ConflictError, match="changed by someone else"):
        gates.sign_gate(
            uow_factory=lambda: racing, policy=POLICY, clock=clock,
            release_id="R-1", gate_id="G1", actor="parvin",
        )  # fmt: skip
    assert racing.attempts == lifecycle.ATTEMPTS
    assert uow.signoffs.list("R-1") == []


def test_people_fixture_has_the_roles_the_tests_rely_on() -> None:
    assert PEOPLE["rana"].roles == ("release_manager",)
    assert PEOPLE[PLANNER].roles == ("developer",)
