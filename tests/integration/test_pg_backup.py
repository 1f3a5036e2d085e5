"""PgBackup on the machine's real PostgreSQL: take, verify (full and list), fail, restore."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from verify_support import list_databases, query_one, scratch_database

from relman.adapters.backups.postgres import PgBackup, libpq_params, mask_dsn, normalize_dsn
from relman.domain.backups import decide_database_rollback, require_verified_backup
from relman.errors import BackupFailedError, BlockedError, ConfigError

SETUP = """
CREATE TABLE milk_production (id serial PRIMARY KEY, farm text, litres numeric);
INSERT INTO milk_production (farm, litres)
  SELECT 'farm-' || (g % 7), g FROM generate_series(1, 500) g;
CREATE SCHEMA sales;
CREATE TABLE sales."Order Lines" (id int, qty int);
INSERT INTO sales."Order Lines" VALUES (1, 2), (2, 5), (3, 1);
CREATE TABLE empty_table (x int);
"""
EXPECTED_ROWS = {"public.milk_production": 500, "sales.Order Lines": 3, "public.empty_table": 0}


@pytest.fixture
def database() -> Iterator[str]:
    with scratch_database(SETUP) as dsn:
        yield dsn


@pytest.fixture
def backups(tmp_path: Path) -> Path:
    return tmp_path / "backups"


def dumps_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*")) if directory.exists() else []


def test_take_records_size_checksum_and_rows_per_table(database: str, backups: Path) -> None:
    record = PgBackup(database, backups_dir=backups).take(label="pre 1.2.0")
    path = Path(record.path)
    assert path.parent == backups and path.name.endswith("-pre-1.2.0.dump")
    assert record.size == path.stat().st_size > 0
    assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert path.read_bytes()[:5] == b"PGDMP"  # the custom format (-Fc)
    assert dict(record.row_counts) == EXPECTED_ROWS
    assert record.database == database.rsplit("/", 1)[1]
    assert not record.verified
    assert dumps_in(backups) == [path.name]  # no .partial left behind


def test_full_verification_restores_into_a_scratch_database_and_drops_it(
    database: str, backups: Path
) -> None:
    pg = PgBackup(database, backups_dir=backups)
    record = pg.take()
    before = list_databases("relman_verify_")
    verified = pg.verify(record)
    assert verified.verified
    assert verified.verification == (
        "full: restored into a scratch database, 3 tables, 503 rows match the source"
    )
    assert list_databases("relman_verify_") == before
    assert require_verified_backup(verified, environment="prod") == verified


def test_light_verification_lists_the_archive(database: str, backups: Path) -> None:
    pg = PgBackup(database, backups_dir=backups, verify_mode="list")
    verified = pg.verify(pg.take())
    assert verified.verified
    assert verified.verification.startswith("list: archive readable, ")


def test_a_backup_of_a_missing_database_fails_clearly_and_records_nothing(
    database: str, backups: Path
) -> None:
    missing = database.rsplit("/", 1)[0] + "/relman_t_doesnotexist"
    with pytest.raises(BackupFailedError) as err:
        PgBackup(missing, backups_dir=backups).take()
    assert 'database "relman_t_doesnotexist" does not exist' in err.value.message
    assert dumps_in(backups) == []


def fake_tool(directory: Path, name: str, script: str) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(0o755)
    return directory


def test_a_killed_pg_dump_fails_with_its_signal_and_leaves_no_archive(
    database: str, backups: Path, tmp_path: Path
) -> None:
    bin_dir = fake_tool(
        tmp_path / "bin", "pg_dump", 'echo "pg_dump: dumping contents of table" >&2; kill -9 $$'
    )
    with pytest.raises(BackupFailedError) as err:
        PgBackup(database, backups_dir=backups, bin_dir=str(bin_dir)).take()
    assert "was killed by SIGKILL" in err.value.message
    assert "dumping contents" in err.value.details["stderr_tail"]
    assert dumps_in(backups) == []


def test_a_pg_dump_that_hangs_is_killed_at_the_timeout(
    database: str, backups: Path, tmp_path: Path
) -> None:
    bin_dir = fake_tool(tmp_path / "bin", "pg_dump", "sleep 30")
    started = time.monotonic()
    with pytest.raises(BackupFailedError, match="timed out after 1 s"):
        PgBackup(database, backups_dir=backups, bin_dir=str(bin_dir), timeout=1).take()
    assert time.monotonic() - started < 20
    assert dumps_in(backups) == []


def test_verification_refuses_an_archive_that_changed(database: str, backups: Path) -> None:
    pg = PgBackup(database, backups_dir=backups)
    record = pg.take()
    with Path(record.path).open("r+b") as fh:
        fh.seek(record.size // 2)
        fh.write(b"\x00\x01\x02")
    with pytest.raises(BackupFailedError, match="changed since it was taken"):
        pg.verify(record)


def test_verification_fails_when_the_archive_does_not_restore(database: str, backups: Path) -> None:
    pg = PgBackup(database, backups_dir=backups)
    record = pg.take()
    path = Path(record.path)
    path.write_bytes(path.read_bytes()[: record.size // 3])  # truncated, checksum re-recorded
    data = path.read_bytes()
    truncated = replace(record, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    before = list_databases("relman_verify_")
    with pytest.raises(BackupFailedError) as err:
        pg.verify(truncated)
    assert "pg_restore" in err.value.message
    assert list_databases("relman_verify_") == before  # the scratch database is dropped


def test_verification_compares_row_counts(database: str, backups: Path) -> None:
    pg = PgBackup(database, backups_dir=backups)
    record = pg.take()
    wrong = replace(record, row_counts={**record.row_counts, "public.milk_production": 501})
    with pytest.raises(BackupFailedError) as err:
        pg.verify(wrong)
    assert "public.milk_production: 500 rows restored, 501 expected" in err.value.message


def test_restore_after_a_destructive_change_brings_the_rows_back(
    database: str, backups: Path
) -> None:
    pg = PgBackup(database, backups_dir=backups)
    record = pg.verify(pg.take(label="pre-migration"))
    import psycopg

    with psycopg.connect(database, autocommit=True) as conn:  # a bad migration
        conn.execute("DELETE FROM milk_production WHERE id > 10")
        conn.execute("ALTER TABLE milk_production ADD COLUMN quality_score int")
        conn.execute('DROP TABLE sales."Order Lines"')
        conn.execute("CREATE TABLE added_by_migration (x int)")
        conn.execute("CREATE SCHEMA reports")
    plan = decide_database_rollback(False, record)
    assert plan.backup == record
    pg.restore(record)
    assert query_one(database, "SELECT count(*) FROM milk_production") == 500
    assert query_one(database, "SELECT sum(litres) FROM milk_production") == 125250
    assert query_one(database, 'SELECT count(*) FROM sales."Order Lines"') == 3
    assert (
        query_one(
            database,
            "SELECT count(*) FROM information_schema.columns WHERE column_name = 'quality_score'",
        )
        == 0
    )
    assert query_one(database, "SELECT to_regclass('public.added_by_migration')") is None
    assert query_one(database, "SELECT count(*) FROM pg_namespace WHERE nspname = 'reports'") == 0
    assert (
        query_one(
            database, "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'"
        )
        == "pg_database_owner"
    )
    assert query_one(database, "SELECT has_schema_privilege('public', 'public', 'USAGE')")
    # sequences go on from where they were
    assert query_one(database, "SELECT nextval('milk_production_id_seq')") == 501


def test_a_failed_restore_changes_nothing(database: str, backups: Path) -> None:
    pg = PgBackup(database, backups_dir=backups)
    record = pg.take()
    import psycopg

    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("DELETE FROM milk_production WHERE id > 100")
    path = Path(record.path)
    data = path.read_bytes()[: record.size // 2]
    path.write_bytes(data)
    broken = replace(record, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(BackupFailedError):
        pg.restore(broken)
    assert query_one(database, "SELECT count(*) FROM milk_production") == 100


def test_no_verified_backup_no_migration(database: str, backups: Path) -> None:
    record = PgBackup(database, backups_dir=backups).take()
    with pytest.raises(BlockedError, match="is not verified"):
        require_verified_backup(record, environment="staging")


def test_passwords_never_reach_an_argv_or_a_message() -> None:
    dsn = "postgresql+psycopg://app:s3cret@db.internal:6543/smart_dairy"
    assert normalize_dsn(dsn) == "postgresql://app:s3cret@db.internal:6543/smart_dairy"
    assert libpq_params(dsn)["password"] == "s3cret"
    assert mask_dsn(dsn) == "postgresql+psycopg://app:***@db.internal:6543/smart_dairy"
    with pytest.raises(ConfigError, match="invalid PostgreSQL DSN"):
        libpq_params("not a dsn ===")


def test_an_unknown_verify_mode_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown backup verification 'quick'"):
        PgBackup("postgresql://postgres@127.0.0.1/x", backups_dir=tmp_path, verify_mode="quick")


def test_libpq_environment_carries_the_password(tmp_path: Path) -> None:
    pg = PgBackup("postgresql://app:pw@127.0.0.1:5432/db", backups_dir=tmp_path)
    env = pg._env()
    assert env["PGPASSWORD"] == "pw" and env["PGDATABASE"] == "db" and env["PGPORT"] == "5432"
