"""Real concurrent processes sign the same release at once: no sign-off is ever lost.

G6 of a minor release needs three different people (release manager, PM, tech lead). Each
signs from its own interpreter with its own database connections, on SQLite and PostgreSQL:

- through the CLI (`python -m relman gate sign ...`, started together);
- through the service with a barrier that makes every process read the release before any of
  them writes. On PostgreSQL all three then write on the same stale revision, so two lose the
  race, get a ConflictError from the store and re-run on fresh state. (SQLite takes its write
  lock at BEGIN IMMEDIATE, so there the barrier stands before the transaction instead.)
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from relman.adapters.db.store import SqlStore
from relman.bootstrap import build_services
from relman.domain.releases import Phase

TIMEOUT = 120
SIGNERS = ("rana", "parvin", "tanvir")  # release_manager, project_manager, tech_lead
SIGN_G6 = ("gate", "sign", "R-1", "G6", "--as")

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
"""


@pytest.fixture
def deployable(repo_builder: Any, store: SqlStore) -> Path:
    """R-1, a minor release planned by meher, moved straight to DEPLOY where G6 is signed."""
    from relman.services.planning import plan_release

    repo_builder.commit("feat: first", {"relman.toml": PEOPLE_TOML})
    lc = build_services(repo=repo_builder.path, store=store).lifecycle
    plan_release(
        uow_factory=lc.uow_factory, policy=lc.policy, git=lc.git, versioning=lc.versioning,
        clock=lc.clock, actor="meher", release_type="minor",
        target_date=lc.clock.now().date() + timedelta(days=10),
    )  # fmt: skip
    with store.unit_of_work() as uow:
        release = uow.releases.get("R-1")
        uow.releases.update(
            dataclasses.replace(release, phase=Phase.DEPLOY), expected_revision=release.revision
        )
    return Path(repo_builder.path)


def _assert_all_signed(store: SqlStore, revision_before: int) -> None:
    with store.unit_of_work() as uow:
        signed = sorted(s.person_id for s in uow.signoffs.list("R-1", gate="G6"))
        release = uow.releases.get("R-1")
        entries = [e for e in uow.audit.list(subject="R-1") if e.action == "gate.sign"]
        verdict = uow.audit.verify()
    assert signed == sorted(SIGNERS)
    assert release.revision == revision_before + len(SIGNERS)
    assert sorted(e.actor for e in entries) == sorted(SIGNERS)
    assert verdict.ok, verdict


def _revision(store: SqlStore) -> int:
    with store.unit_of_work() as uow:
        return uow.releases.get("R-1").revision


def test_concurrent_cli_signoffs_are_all_kept(
    deployable: Path, store: SqlStore, database_url: str
) -> None:
    before = _revision(store)
    env = {**os.environ, "RELMAN_DATABASE_URL": database_url}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "relman", "-C", str(deployable), *SIGN_G6, person],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for person in SIGNERS
    ]
    results = [(p.wait(TIMEOUT), *p.communicate()) for p in procs]

    for (code, out, err), person in zip(results, SIGNERS, strict=True):
        assert code == 0, err
        assert "approved G6 of R-1" in out and out.startswith(person)
    _assert_all_signed(store, before)


class _HoldAfterRead:
    """A unit of work whose first ``releases.get`` waits until every process has read."""

    def __init__(self, inner: Any, barrier: Any, counter: list[int]) -> None:
        self._inner = inner
        self._barrier = barrier
        self._counter = counter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _HoldAfterRead:
        self._counter[0] += 1
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)

    @property
    def releases(self) -> Any:
        repo, barrier = self._inner.releases, self._barrier

        class Hold:
            def __getattr__(self, name: str) -> Any:
                return getattr(repo, name)

            def get(self, release_id: str) -> Any:
                found = repo.get(release_id)
                if barrier is not None and not _passed:
                    _passed.append(True)
                    barrier.wait(TIMEOUT)
                return found

        return Hold()


_passed: list[bool] = []  # per process: the barrier is passed once


def sign_worker(repo: str, url: str, person: str, barrier: Any, results: Any) -> None:
    from relman.services.gates import sign_gate

    store = SqlStore(url)
    attempts = [0]
    try:
        lc = build_services(repo=Path(repo), store=store).lifecycle
        inside = url.startswith("postgresql")
        if not inside:
            barrier.wait(TIMEOUT)

        def factory() -> Any:
            return _HoldAfterRead(store.unit_of_work(), barrier if inside else None, attempts)

        sign_gate(
            uow_factory=factory, policy=lc.policy, clock=lc.clock,
            release_id="R-1", gate_id="G6", actor=person,
        )  # fmt: skip
        results.put((person, "signed", attempts[0]))
    except BaseException as exc:  # report, so the parent fails with the reason
        results.put((person, "crashed", repr(exc)))
    finally:
        store.dispose()


def test_concurrent_signoffs_on_a_stale_read_are_retried_not_lost(
    deployable: Path, store: SqlStore, database_url: str
) -> None:
    before = _revision(store)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(SIGNERS))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=sign_worker, args=(str(deployable), database_url, p, barrier, results))
        for p in SIGNERS
    ]
    for proc in procs:
        proc.start()
    outcomes = {}
    for _ in procs:
        person, status, detail = results.get(timeout=TIMEOUT)
        outcomes[person] = (status, detail)
    for proc in procs:
        proc.join(TIMEOUT)
        assert proc.exitcode == 0

    assert {p: s for p, (s, _) in outcomes.items()} == dict.fromkeys(SIGNERS, "signed"), outcomes
    attempts = sorted(int(d) for _, d in outcomes.values())
    if database_url.startswith("postgresql"):
        # all read revision N; one wins, the others re-run (once or twice) on fresh state
        assert attempts[0] == 1 and sum(attempts) >= len(SIGNERS) + 2, attempts
    _assert_all_signed(store, before)
