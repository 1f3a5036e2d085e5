"""Migrations: `upgrade head` builds exactly the tables the code declares, on both engines."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from relman.adapters.db import migrations
from relman.adapters.db.engine import create_store_engine, resolve_database_url
from relman.adapters.db.repositories import SqlReleaseRepo
from relman.adapters.db.store import SqlStore
from relman.adapters.db.tables import metadata, waivers
from relman.domain.policy import ReleasePolicy
from relman.domain.releases import Phase, Release
from relman.errors import ConfigError, IntegrationError
from relman.services.gates import get_gate_status
from relman.testing import FixedClock

EXPECTED_TABLES = {
    "alembic_version",
    "audit_head",
    "audit_log",
    "calendar_entries",
    "calendar_freezes",
    "calendar_phases",
    "checklist_items",
    "backups",
    "deployment_steps",
    "deployments",
    "env_locks",
    "env_state",
    "evidence",
    "incident_updates",
    "incidents",
    "notification_outbox",
    "release_events",
    "releases",
    "retrospectives",
    "signoffs",
    "waivers",
    "window_overrides",
}
HEAD = migrations.HEAD_REVISION


def test_upgrade_head_on_an_empty_database_leaves_no_autogenerate_diff(database_url: str) -> None:
    store = SqlStore(database_url)
    try:
        assert store.current_revision() is None
        result = store.upgrade()
        assert (result.before, result.after, result.changed) == (None, HEAD, True)
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
            tables = set(sa.inspect(conn).get_table_names())
        assert diff == []
        assert tables == EXPECTED_TABLES
    finally:
        store.dispose()


def test_constraint_names_follow_the_naming_convention(database_url: str) -> None:
    store = SqlStore(database_url)
    try:
        store.upgrade()
        with store.engine.connect() as conn:
            inspector = sa.inspect(conn)
            fks = {fk["name"] for fk in inspector.get_foreign_keys("signoffs")}
            uniques = {uq["name"] for uq in inspector.get_unique_constraints("checklist_items")}
            indexes = {ix["name"] for ix in inspector.get_indexes("audit_log")}
        assert fks == {"fk_signoffs_release_id_releases"}
        assert uniques == {"uq_checklist_items_release_id_checklist_id_item_id"}
        assert "ix_audit_log_subject" in indexes
    finally:
        store.dispose()


def test_upgrade_is_idempotent_and_current_reports_head(database_url: str) -> None:
    store = SqlStore(database_url)
    try:
        store.upgrade()
        again = store.upgrade()
        assert (again.before, again.after, again.changed) == (HEAD, HEAD, False)
        assert store.current_revision() == store.head_revision() == HEAD
    finally:
        store.dispose()


def test_downgrade_to_base_removes_every_table(database_url: str) -> None:
    store = SqlStore(database_url)
    try:
        store.upgrade()
        with store.engine.begin() as conn:
            command.downgrade(store.alembic_config(conn), "base")
        with store.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        assert store.current_revision() is None
        assert store.upgrade().after == HEAD
    finally:
        store.dispose()


def test_head_revision_constant_matches_the_shipped_migrations(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'x.db'}")
    assert store.head_revision() == migrations.HEAD_REVISION


def test_a_database_from_a_newer_relman_is_refused(database_url: str) -> None:
    store = SqlStore(database_url)
    try:
        store.upgrade()
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(ConfigError, match="from revision 9999"):
            store.upgrade()
    finally:
        store.dispose()


def test_default_store_is_sqlite_in_the_state_folder(tmp_path: Path) -> None:
    url = resolve_database_url(tmp_path, environ={})
    assert url == f"sqlite:///{(tmp_path / '.relman' / 'relman.db').as_posix()}"
    store = SqlStore(url)
    try:
        store.ensure_upgraded()
        assert (tmp_path / ".relman" / "relman.db").is_file()
        assert (tmp_path / ".relman" / ".gitignore").read_text(encoding="utf-8").endswith("*\n")
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        store.dispose()


def test_database_url_comes_from_the_environment(tmp_path: Path) -> None:
    url = "postgresql+psycopg://relman@db.example:5432/relman"
    assert resolve_database_url(tmp_path, environ={"RELMAN_DATABASE_URL": url}) == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@127.0.0.1/relman", "unsupported database 'mysql'"),
        ("not a url", "invalid database URL 'not a url'"),
    ],
)
def test_bad_database_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        create_store_engine(url)
    assert caught.value.where == "RELMAN_DATABASE_URL"


def test_plain_postgresql_url_means_psycopg_3() -> None:
    engine = create_store_engine("postgresql://postgres:secret@127.0.0.1:1/relman")
    assert engine.url.drivername == "postgresql+psycopg"
    assert "secret" not in SqlStore("x", engine=engine).url


def test_an_unreachable_server_is_an_integration_error() -> None:
    store = SqlStore("postgresql+psycopg://postgres@127.0.0.1:1/relman")
    with pytest.raises(IntegrationError, match="cannot connect to the database") as caught:
        store.current_revision()
    assert caught.value.exit_code == 12


T0 = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
BUILD_A, BUILD_B = "a" * 40, "b" * 40


def _g1_risks(store: SqlStore) -> tuple[str, str]:
    report = get_gate_status(
        uow_factory=store.unit_of_work,
        policy=ReleasePolicy.default(),
        clock=FixedClock(T0),
        release_id="R-1",
        gate_id="G1",
    )
    risks = next(c for c in report.gates[0].criteria if c.id == "G1.risks")
    return risks.state, risks.detail


def test_0005_keeps_an_existing_waiver_counting_until_the_commit_moves(database_url: str) -> None:
    store = SqlStore(database_url)
    try:
        assert store.upgrade("0004").after == "0004"
        release = Release(
            "R-1", "Milk quality", "minor", "1.4.0", (), Phase.PLAN, "meher", T0.date(), T0,
            BUILD_A, (), (), 1,
        )  # fmt: skip
        with store.engine.begin() as conn:  # the rows as relman at revision 0004 wrote them
            SqlReleaseRepo(conn).add(release)
            conn.execute(
                sa.insert(waivers).values(
                    release_id="R-1",
                    gate="G1",
                    criterion_id="G1.risks",
                    person_id="rana",
                    reason="assessed in the phase plan",
                    at=T0,
                )
            )
        result = store.upgrade()
        assert (result.before, result.after) == ("0004", HEAD)

        with store.unit_of_work() as uow:
            (kept,) = uow.waivers.list("R-1")
        assert (kept.person_id, kept.commit_sha, kept.invalidated) == ("rana", None, False)
        # nothing is blocked by the upgrade itself: the waiver still counts for the build
        assert _g1_risks(store) == ("waived", "waived by rana: assessed in the phase plan")

        with store.unit_of_work() as uow:  # what `relman release commit` does on a new build
            assert uow.waivers.invalidate("R-1", keep_commit=BUILD_B) == 1
            uow.releases.update(dataclasses.replace(release, commit_sha=BUILD_B), 1)
        state, detail = _g1_risks(store)
        assert state == "unmet"
        assert detail.endswith(
            "waiver by rana is stale: granted for an earlier commit (not recorded), the release "
            f"is now at {BUILD_B[:12]}; waive it again"
        )

        with store.engine.begin() as conn:
            command.downgrade(store.alembic_config(conn), "0004")
        with store.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("waivers")}
            rows = conn.execute(sa.text("SELECT person_id, reason FROM waivers")).all()
        assert not columns & {"commit_sha", "invalidated"}
        assert [tuple(r) for r in rows] == [("rana", "assessed in the phase plan")]
    finally:
        store.dispose()
