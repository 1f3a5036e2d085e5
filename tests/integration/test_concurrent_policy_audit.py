"""Real concurrent processes notice the same policy change at once: it is audited once.

relman.toml changed since the last write; three processes each make their first write (each
cancels its own release) at the same moment, on SQLite and PostgreSQL. Each one compares the
policy's digest with the latest ``policy.change`` entry before its own entry
(`relman.services.policy_audit`); exactly one of them may record the change, and the chain must
stay intact (``relman audit verify``).

- through the CLI (``python -m relman release cancel ...``, started together);
- through the service, with a hold right after a process has read the recorded digest: without
  the audit lock every process would read "not recorded yet" and record it. With the lock, the
  others wait for the first to commit and then read its entry (the hold times out alone). On
  SQLite every unit of work holds the write lock from BEGIN IMMEDIATE, with the same outcome.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from relman.adapters.db.store import SqlStore
from relman.bootstrap import build_services
from relman.services.policy_audit import POLICY_CHANGE, POLICY_SUBJECT, compute_policy_digest
from relman.settings import load_settings

TIMEOUT = 120
RELMAN = (sys.executable, "-m", "relman", "-C")
HOLD = 3.0  # how long a process waits, after its read, for the others to read too
RELEASES = ("R-1", "R-2", "R-3")
PEOPLE_TOML = """
[people.meher]
name = "Meher Release"
roles = ["release_manager"]
"""
NEW_PERSON = """
[people.rana]
name = "Rana Release"
roles = ["release_manager"]
"""


def _digest(repo: Path) -> str:
    return compute_policy_digest(load_settings(repo).model_dump(mode="json"))


@pytest.fixture
def changed(repo_builder: Any, store: SqlStore) -> tuple[Path, str, str]:
    """R-1..R-3 planned (the first write audits the policy), then relman.toml edited.

    Returns the repository and the old and new policy digests."""
    from relman.services.planning import plan_release

    repo_builder.commit("feat: first", {"relman.toml": PEOPLE_TOML})
    path = Path(repo_builder.path)
    lc = build_services(repo=path, store=store).lifecycle
    for _ in RELEASES:
        plan_release(
            uow_factory=lc.uow_factory, policy=lc.policy, git=lc.git, versioning=lc.versioning,
            clock=lc.clock, actor="meher", release_type="minor",
            target_date=lc.clock.now().date() + timedelta(days=10),
        )  # fmt: skip
    old = _digest(path)
    with (path / "relman.toml").open("a", encoding="utf-8") as policy:
        policy.write(NEW_PERSON)
    new = _digest(path)
    assert old != new
    assert _policy_changes(store) == [(None, old)]
    return path, old, new


def _policy_changes(store: SqlStore) -> list[tuple[Any, Any]]:
    with store.unit_of_work() as uow:
        entries = uow.audit.list(subject=POLICY_SUBJECT)
    return [
        ((e.before or {}).get("digest"), (e.after or {}).get("digest"))
        for e in entries
        if e.action == POLICY_CHANGE
    ]


def _assert_recorded_once(store: SqlStore, repo: Path, url: str, old: str, new: str) -> None:
    assert _policy_changes(store) == [(None, old), (old, new)]
    with store.unit_of_work() as uow:
        cancels = [e.subject for e in uow.audit.list() if e.action == "release.cancel"]
        phases = {r.id: r.phase.value for r in uow.releases.list()}
    assert sorted(cancels) == list(RELEASES)
    assert phases == dict.fromkeys(RELEASES, "CANCELLED")
    verify = subprocess.run(
        [*RELMAN, str(repo), "audit", "verify"],
        env={**os.environ, "RELMAN_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_concurrent_cli_first_writes_record_the_change_once(
    changed: tuple[Path, str, str], store: SqlStore, database_url: str
) -> None:
    repo, old, new = changed
    env = {**os.environ, "RELMAN_DATABASE_URL": database_url}
    procs = [
        subprocess.Popen(
            [*RELMAN, str(repo), "release", "cancel", release, "--reason", "x", "--as", "rana"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for release in RELEASES
    ]
    results = [(p.wait(TIMEOUT), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0, out + err
    _assert_recorded_once(store, repo, database_url, old, new)


class _HoldingStore:
    """The real store, whose units of work hold each process after it read the policy digest."""

    def __init__(self, inner: SqlStore, hold: Any) -> None:
        self._inner = inner
        self._hold = hold

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def unit_of_work(self) -> Any:
        return _HoldingUnitOfWork(self._inner.unit_of_work(), self._hold)


class _HoldingUnitOfWork:
    def __init__(self, inner: Any, hold: Any) -> None:
        self._inner = inner
        self._hold = hold

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _HoldingUnitOfWork:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)

    @property
    def audit(self) -> Any:
        return _HoldingAudit(self._inner.audit, self._hold)


class _HoldingAudit:
    def __init__(self, inner: Any, hold: Any) -> None:
        self._inner = inner
        self._hold = hold

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def list(self, *, subject: str | None = None) -> Any:
        entries = self._inner.list(subject=subject)
        if subject == POLICY_SUBJECT:
            # wait for the others to have read too; alone (they wait on the lock): go on
            with contextlib.suppress(threading.BrokenBarrierError):
                self._hold.wait(HOLD)
        return entries


def cancel_worker(job: tuple[str, str, str], start: Any, hold: Any, results: Any) -> None:
    """Cancel ``release`` of ``repo`` in the store at ``url`` (``job``) once all are ready."""
    from relman.services.releases import cancel_release

    repo, url, release = job
    store = SqlStore(url)
    try:
        lc = build_services(repo=Path(repo), store=_HoldingStore(store, hold)).lifecycle
        start.wait(TIMEOUT)  # every process is ready: their first writes start together
        cancel_release(
            uow_factory=lc.uow_factory, policy=lc.policy, clock=lc.clock,
            release_id=release, actor="rana", reason="x",
        )  # fmt: skip
        results.put((release, "cancelled", ""))
    except BaseException as exc:  # report, so the parent fails with the reason
        results.put((release, "crashed", repr(exc)))
    finally:
        store.dispose()


def test_first_writes_that_read_the_digest_together_record_the_change_once(
    changed: tuple[Path, str, str], store: SqlStore, database_url: str
) -> None:
    repo, old, new = changed
    ctx = multiprocessing.get_context("spawn")
    start, hold = ctx.Barrier(len(RELEASES)), ctx.Barrier(len(RELEASES))
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=cancel_worker,
            args=((str(repo), database_url, release), start, hold, results),
        )
        for release in RELEASES
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=TIMEOUT) for _ in procs]
    for proc in procs:
        proc.join(TIMEOUT)
        assert proc.exitcode == 0
    assert sorted(o[:2] for o in outcomes) == [(r, "cancelled") for r in RELEASES], outcomes
    _assert_recorded_once(store, repo, database_url, old, new)
