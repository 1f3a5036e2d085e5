"""The lifecycle link of Git Flow on real repositories and a real store (SQLite, PostgreSQL).

Release and hotfix start/finish link the open release record of their version, or create it;
the record binds to the release branch's bump commit, then to the tagged merge on main. Git
runs first: when it fails and is restored, the record is untouched. No store: nothing is
created.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flow_support import git, install_failing_hook, snapshot, tools

from relman.adapters.db.store import SqlStore
from relman.bootstrap import build_services
from relman.domain.releases import Phase, Release
from relman.errors import BlockedError, ConflictError, GitError, NotFoundError
from relman.services import flow as flow_service
from relman.services.flow import FlowOutcome, RecordLink
from relman.services.flow_records import RecordOptions
from relman.services.planning import plan_release
from relman.services.releases import cancel_release
from relman.testing import FixedClock

RepoBuilder = Any
NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 10:00 in Dhaka
PYPROJECT = '[project]\nname = "smart-dairy"\nversion = "{version}"\n'
PEOPLE = """
[people.meher]
name = "Meher Release"
roles = ["release_manager"]
[people.parvin]
name = "Parvin PM"
roles = ["project_manager"]
"""


@pytest.fixture
def repo(repo_builder: RepoBuilder) -> RepoBuilder:
    """main at v1.2.0 with people in relman.toml; develop one feature ahead."""
    repo_builder.commit(
        "feat: first production release",
        {"pyproject.toml": PYPROJECT.format(version="1.2.0"), "relman.toml": PEOPLE},
    )
    repo_builder.tag("v1.2.0")
    repo_builder.branch("develop")
    repo_builder.checkout("develop")
    repo_builder.commit("feat(farm): milk quality tracking\n\nRefs: SD-101")
    return repo_builder


def services(path: Path, store: SqlStore | None, clock: FixedClock | None = None) -> Any:
    extra: dict[str, object] = {"store": store} if store is not None else {}
    return build_services(repo=path, clock=clock or FixedClock(NOW), **extra)


def run(
    path: Path,
    store: SqlStore | None,
    action: str,
    arg: str | None = None,
    *,
    clock: FixedClock | None = None,
    dry_run: bool = False,
    **options: Any,
) -> FlowOutcome:
    """One workflow through the services layer, wired like the CLI wires it."""
    svc = services(path, store, clock)
    link = RecordLink(svc.flow_records, RecordOptions(**{"actor": "meher", **options}))
    common: dict[str, Any] = {
        "flow": svc.git_flow,
        "git": svc.git,
        "policy": svc.flow_policy,
        "dry_run": dry_run,
        "link": link,
    }
    if action == "release start":
        return flow_service.start_release(
            versioning=svc.versioning_policy, version=arg or "auto", **common
        )
    if action == "release finish":
        return flow_service.finish_release(tools=tools(svc), name=arg, **common)
    if action == "hotfix start":
        return flow_service.start_hotfix(description=arg, **common)
    if action == "hotfix finish":
        return flow_service.finish_hotfix(tools=tools(svc), name=arg, **common)
    raise AssertionError(action)


def releases(store: SqlStore) -> list[Release]:
    with store.unit_of_work() as uow:
        return list(uow.releases.list())


def audit(store: SqlStore) -> list[tuple[str, str, dict[str, Any]]]:
    with store.unit_of_work() as uow:
        return [(e.action, e.subject, dict(e.after or {})) for e in uow.audit.list()]


def sha(path: Path, ref: str) -> str:
    return git(path, "rev-parse", f"{ref}^{{commit}}")


def plan(path: Path, store: SqlStore, version: str, release_type: str = "minor") -> Release:
    svc = services(path, store)
    lc = svc.lifecycle
    return plan_release(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        git=svc.git,
        versioning=lc.versioning,
        clock=lc.clock,
        actor="meher",
        release_type=release_type,
        target_date=date(2026, 3, 13),
        version=version,
    ).release


# ---------------------------------------------------------------- no record yet: create it


def test_release_start_and_finish_create_the_record_and_bind_it_to_each_commit(
    repo: RepoBuilder, store: SqlStore
) -> None:
    feature = repo.head()
    outcome = run(repo.path, store, "release start")

    assert outcome.record is not None and outcome.record.done
    [release] = releases(store)
    assert (release.id, release.release_type, release.version) == ("R-1", "minor", "1.3.0")
    assert release.phase is Phase.PLAN
    assert release.planned_by == "meher"
    assert release.target_date == date(2026, 3, 9)  # today + the minor minimum lead time (1 week)
    assert release.commit_sha == sha(repo.path, "release/1.3.0")  # the bump commit
    assert feature in release.scope_commits
    assert release.scope_tickets == ("SD-101",)
    link = [after for action, _, after in audit(store) if action == "flow.link"]
    assert link == [
        {
            "event": "release start",
            "version": "1.3.0",
            "branch": "release/1.3.0",
            "tag": None,
            "ref": "release/1.3.0",
            "commit": release.commit_sha,
        }
    ]

    outcome = run(repo.path, store, "release finish")

    assert outcome.record is not None and outcome.record.done
    [release] = releases(store)
    tagged = sha(repo.path, "v1.3.0")
    assert tagged == sha(repo.path, "main")  # the final merge commit on main
    assert release.commit_sha == tagged
    # the scope still runs from v1.2.0 (the release's own tag is not its base)
    assert feature in release.scope_commits
    assert release.scope_tickets == ("SD-101",)
    actions = [(action, subject) for action, subject, _ in audit(store)]
    assert actions[-2:] == [("release.commit", "R-1"), ("flow.finish", "R-1")]
    finish = audit(store)[-1][2]
    assert (finish["tag"], finish["commit"], finish["branch"]) == (
        "v1.3.0",
        tagged,
        "release/1.3.0",
    )
    with store.unit_of_work() as uow:
        assert uow.audit.verify().ok


@pytest.mark.parametrize(
    ("version", "release_type"), [("2.0.0", "major"), ("1.3.0", "minor"), ("1.2.1", "patch")]
)
def test_the_created_record_has_the_release_type_of_the_bump(
    repo: RepoBuilder, store: SqlStore, version: str, release_type: str
) -> None:
    run(repo.path, store, "release start", version, target_date=date(2026, 4, 30))
    [release] = releases(store)
    assert (release.version, release.release_type) == (version, release_type)
    assert release.target_date == date(2026, 4, 30)


# ---------------------------------------------------------------- an open record: link it


def test_release_start_links_the_planned_record_of_its_version(
    repo: RepoBuilder, store: SqlStore
) -> None:
    planned = plan(repo.path, store, "1.3.0")
    assert planned.commit_sha == repo.head()  # planned on develop

    outcome = run(repo.path, store, "release start")

    assert outcome.record is not None and outcome.record.release_id == "R-1"
    [release] = releases(store)  # linked, not a second record
    assert release.commit_sha == sha(repo.path, "release/1.3.0")
    assert release.target_date == date(2026, 3, 13)  # the planner's date is kept
    assert [a for a, _, _ in audit(store)][-2:] == ["release.commit", "flow.link"]


def test_release_option_links_the_named_record_and_refuses_another_version(
    repo: RepoBuilder, store: SqlStore
) -> None:
    plan(repo.path, store, "1.3.0")
    plan(repo.path, store, "1.3.0")  # two open records: which one?
    before = snapshot(repo.path)
    with pytest.raises(ConflictError, match=r"2 open release records have version 1\.3\.0"):
        run(repo.path, store, "release start")
    plan(repo.path, store, "1.4.0")
    with pytest.raises(ConflictError, match=r"R-3 is version 1\.4\.0, the release is 1\.3\.0"):
        run(repo.path, store, "release start", release_id="R-3")
    with pytest.raises(NotFoundError, match="R-9"):
        run(repo.path, store, "release start", release_id="R-9")
    assert snapshot(repo.path) == before  # refused before git: nothing changed

    run(repo.path, store, "release start", release_id="R-2")
    by_id = {r.id: r for r in releases(store)}
    assert by_id["R-2"].commit_sha == sha(repo.path, "release/1.3.0")
    assert by_id["R-1"].commit_sha == by_id["R-3"].commit_sha != by_id["R-2"].commit_sha


def test_a_cancelled_record_is_not_linked_and_a_new_one_is_created(
    repo: RepoBuilder, store: SqlStore
) -> None:
    planned = plan(repo.path, store, "1.3.0")
    lc = services(repo.path, store).lifecycle
    cancel_release(
        uow_factory=lc.uow_factory,
        policy=lc.policy,
        clock=lc.clock,
        release_id=planned.id,
        actor="meher",
        reason="replanned",
    )
    with pytest.raises(ConflictError, match="R-1 is CANCELLED"):
        run(repo.path, store, "release start", release_id=planned.id)
    run(repo.path, store, "release start")
    assert [(r.id, r.phase) for r in releases(store)] == [
        ("R-1", Phase.CANCELLED),
        ("R-2", Phase.PLAN),
    ]


def test_a_deploying_record_keeps_its_commit_but_gets_the_link(
    repo: RepoBuilder, store: SqlStore
) -> None:
    planned = plan(repo.path, store, "1.3.0")
    with store.unit_of_work() as uow:  # as if G1-G3 had passed
        uow.releases.update(replace(planned, phase=Phase.DEPLOY), expected_revision=1)
        uow.commit()

    outcome = run(repo.path, store, "release start")

    assert outcome.record is not None and outcome.record.done
    assert "R-1 keeps its commit: its phase takes no new commit" in outcome.record.messages
    [release] = releases(store)
    assert release.commit_sha == planned.commit_sha != sha(repo.path, "release/1.3.0")
    assert audit(store)[-1][:2] == ("flow.link", "R-1")


# ---------------------------------------------------------------- no record work


def test_no_record_skips_the_record(repo: RepoBuilder, store: SqlStore) -> None:
    outcome = run(repo.path, store, "release start", enabled=False)
    assert outcome.executed
    assert outcome.record is not None and outcome.record.plan.action == "skip"
    assert releases(store) == []
    assert audit(store) == []


def test_without_a_person_no_record_is_created_and_the_command_is_named(
    repo: RepoBuilder, store: SqlStore
) -> None:
    outcome = run(repo.path, store, "release start", actor=None)
    assert outcome.executed
    assert git(repo.path, "rev-parse", "--abbrev-ref", "HEAD") == "release/1.3.0"
    record = outcome.record
    assert record is not None and record.plan.action == "skip" and not record.done
    assert "no person to plan one" in record.plan.detail
    assert record.command == "relman flow link release/1.3.0 --as PERSON"
    assert releases(store) == []


def test_no_store_no_database_is_created(repo: RepoBuilder, tmp_path: Path) -> None:
    run(repo.path, None, "release start")
    run(repo.path, None, "release finish")
    assert git(repo.path, "describe", "--tags", "main") == "v1.3.0"
    assert not (repo.path / ".relman").exists()


def test_no_store_with_a_release_id_refuses_before_git(repo: RepoBuilder) -> None:
    before = snapshot(repo.path)
    with pytest.raises(NotFoundError, match="no release store to link R-1"):
        run(repo.path, None, "release start", release_id="R-1")
    assert snapshot(repo.path) == before
    assert not (repo.path / ".relman").exists()


def test_a_database_without_the_schema_is_no_store_and_stays_empty(
    repo: RepoBuilder, database_url: str
) -> None:
    store = SqlStore(database_url)  # reachable (PostgreSQL) or absent (SQLite), never upgraded
    try:
        outcome = run(repo.path, store, "release start")
        assert outcome.executed
        assert outcome.record is not None and outcome.record.plan.action == "skip"
        if store.dialect == "sqlite":
            assert not Path(database_url.removeprefix("sqlite:///")).exists()
        else:
            assert sa.inspect(store.engine).get_table_names() == []
    finally:
        store.dispose()


# ---------------------------------------------------------------- git first, record after


def test_a_failed_start_is_restored_and_creates_no_record(
    repo: RepoBuilder, store: SqlStore
) -> None:
    install_failing_hook(repo.path, "pre-commit")
    before = snapshot(repo.path)
    with pytest.raises(GitError, match="nothing was changed"):
        run(repo.path, store, "release start")
    assert snapshot(repo.path) == before
    assert releases(store) == []
    assert audit(store) == []


def test_a_failed_finish_is_restored_and_leaves_the_record_as_it_was(
    repo: RepoBuilder, store: SqlStore
) -> None:
    run(repo.path, store, "release start")
    [started] = releases(store)
    entries = audit(store)
    install_failing_hook(repo.path, "pre-commit")  # the notes commit fails
    before = snapshot(repo.path)
    with pytest.raises(GitError):
        run(repo.path, store, "release finish")
    assert snapshot(repo.path) == before
    assert releases(store) == [started]
    assert audit(store) == entries


def test_a_refused_lead_time_refuses_before_git(repo: RepoBuilder, store: SqlStore) -> None:
    before = snapshot(repo.path)
    with pytest.raises(BlockedError, match="shorter than 1 week"):
        run(repo.path, store, "release start", target_date=date(2026, 3, 3))
    assert snapshot(repo.path) == before
    assert releases(store) == []


def test_dry_run_says_what_it_would_record_and_records_nothing(
    repo: RepoBuilder, store: SqlStore
) -> None:
    outcome = run(repo.path, store, "release start", dry_run=True)
    assert not outcome.executed
    assert outcome.record is not None
    assert outcome.record.plan.action == "create"
    assert outcome.record.plan.detail.startswith(
        "create a minor release record for 1.3.0 bound to release/1.3.0 (target 2026-03-09, "
        "planned by meher;"
    )
    assert releases(store) == []


# ---------------------------------------------------------------- hotfix


def test_hotfix_start_and_finish_create_and_bind_a_hotfix_record(
    repo: RepoBuilder, store: SqlStore
) -> None:
    run(repo.path, store, "release start", enabled=False)
    run(repo.path, store, "release finish", enabled=False)
    # 23:30 in Dhaka: a same-day target is under the 2-hour minimum, which only warns for hotfixes
    late = FixedClock(datetime(2026, 3, 2, 23, 30, tzinfo=ZoneInfo("Asia/Dhaka")))
    outcome = run(
        repo.path,
        store,
        "hotfix start",
        "payment-timeout",
        clock=late,
        target_date=date(2026, 3, 2),
    )

    assert outcome.record is not None and outcome.record.done
    assert any("shorter than 2 hours" in m for m in outcome.record.messages)
    [hotfix] = releases(store)
    assert (hotfix.release_type, hotfix.version) == ("hotfix", "1.3.1-hotfix.1")
    assert hotfix.target_date == date(2026, 3, 2)
    assert hotfix.commit_sha == sha(repo.path, "hotfix/payment-timeout")

    repo.commit("fix(b2b): payment gateway timeout")
    run(repo.path, store, "hotfix finish", clock=late)

    [hotfix] = releases(store)
    assert hotfix.commit_sha == sha(repo.path, "v1.3.1-hotfix.1") == sha(repo.path, "main")
    finish = audit(store)[-1]
    assert finish[:2] == ("flow.finish", hotfix.id)
    assert finish[2]["tag"] == "v1.3.1-hotfix.1"
    assert finish[2]["branch"] == "hotfix/payment-timeout"
