"""Migrations as a deployment step on the real PostgreSQL: forward, reverse, failures."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from verify_support import query_one, scratch_database

from relman.adapters.migrations import CommandMigrations, split_password
from relman.errors import ConfigError, MigrationFailedError, NotFoundError

SETUP = "CREATE TABLE milk_production (id serial PRIMARY KEY, litres numeric);"
COLUMN_SQL = (
    "SELECT count(*) FROM information_schema.columns "
    "WHERE table_name = 'milk_production' AND column_name = 'quality_score'"
)


@pytest.fixture
def database() -> Iterator[str]:
    with scratch_database(SETUP) as dsn:
        yield dsn


def python_migration(dsn: str, sql: str, *, then: str = "") -> list[str]:
    code = textwrap.dedent(
        f"""
        import psycopg, sys
        with psycopg.connect({dsn!r}, autocommit=True) as conn:
            conn.execute({sql!r})
        print("applied 2026.01.31.002")
        {then}
        """
    )
    return [sys.executable, "-c", code]


def test_forward_migration_then_the_reverse_script(database: str, tmp_path: Path) -> None:
    reverse = tmp_path / "2026.01.31.002_rollback.sql"
    reverse.write_text(
        "-- J-003 §9.3 example\n"
        "ALTER TABLE milk_production DROP COLUMN IF EXISTS quality_score;\n"
        "DROP INDEX IF EXISTS idx_milk_production_date;\n",
        encoding="utf-8",
    )
    runner = CommandMigrations(
        python_migration(database, "ALTER TABLE milk_production ADD COLUMN quality_score int"),
        reverse_script=reverse,
        dsn=database,
    )
    assert runner.has_reverse
    run = runner.migrate()
    assert (run.direction, run.returncode) == ("forward", 0)
    assert "applied 2026.01.31.002" in run.output_tail
    assert query_one(database, COLUMN_SQL) == 1
    back = runner.reverse()
    assert back.direction == "reverse" and back.argv[0] == "psql"
    assert query_one(database, COLUMN_SQL) == 0


def test_a_failing_reverse_script_changes_nothing(database: str, tmp_path: Path) -> None:
    reverse = tmp_path / "rollback.sql"
    reverse.write_text(
        "ALTER TABLE milk_production DROP COLUMN quality_score;\nSELECT no_such_function();\n",
        encoding="utf-8",
    )
    runner = CommandMigrations(
        python_migration(database, "ALTER TABLE milk_production ADD COLUMN quality_score int"),
        reverse_script=reverse,
        dsn=database,
    )
    runner.migrate()
    with pytest.raises(MigrationFailedError) as err:
        runner.reverse()
    assert "no_such_function" in err.value.details["stderr_tail"]
    assert query_one(database, COLUMN_SQL) == 1  # one transaction: the drop was undone


def test_a_failing_migration_carries_its_output(database: str) -> None:
    runner = CommandMigrations(python_migration(database, "ALTER TABLE nope ADD COLUMN x int"))
    with pytest.raises(MigrationFailedError) as err:
        runner.migrate()
    assert "exited with 1" in err.value.message
    assert 'relation "nope" does not exist' in err.value.details["stderr_tail"]
    assert err.value.exit_code == 12 and err.value.code == "migration_failed"


def test_a_hanging_migration_is_killed_at_the_timeout() -> None:
    runner = CommandMigrations([sys.executable, "-c", "import time; time.sleep(60)"], timeout=1)
    with pytest.raises(MigrationFailedError, match="timed out after 1 s"):
        runner.migrate()


def test_a_missing_command_is_named() -> None:
    with pytest.raises(MigrationFailedError, match="relman-no-such-migrator not found"):
        CommandMigrations(["relman-no-such-migrator", "up"]).migrate()


def test_without_a_reverse_restore_the_backup() -> None:
    runner = CommandMigrations([sys.executable, "-c", "pass"])
    assert not runner.has_reverse
    with pytest.raises(NotFoundError, match="restore the pre-migration backup"):
        runner.reverse()


def test_a_reverse_command_that_has_no_script_says_restore_the_backup() -> None:
    runner = CommandMigrations(
        [sys.executable, "-c", "pass"],
        reverse_argv=[sys.executable, "-c", "import sys; print('no reverse script'); sys.exit(3)"],
        no_reverse_exit_codes=(3,),
    )
    with pytest.raises(NotFoundError, match=r"restore the pre-migration backup \(no reverse"):
        runner.reverse()


def test_a_reverse_script_needs_a_dsn(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs the database DSN"):
        CommandMigrations(["true"], reverse_script=tmp_path / "r.sql")


def test_the_sample_app_migrator_gets_no_password_on_its_argv() -> None:
    runner = CommandMigrations.for_sample_app(
        dsn="postgresql://app:s3cret@127.0.0.1:5432/smart_dairy",
        version="1.2.0",
        previous="1.1.0",
        python="/usr/bin/python3",
    )
    assert runner.argv[:3] == ("/usr/bin/python3", "-m", "smart_dairy_app.migrate")
    assert runner.argv[-2:] == ("--target", "1.2.0")
    assert runner.reverse_argv is not None
    assert runner.reverse_argv[-3:] == ("--rollback", "--target", "1.1.0")
    assert not any("s3cret" in arg for arg in runner.argv + runner.reverse_argv)
    assert runner._env["PGPASSWORD"] == "s3cret"
    assert split_password("postgresql://postgres@h/db") == ("postgresql://postgres@h/db", {})


SAMPLE_APP = Path(__file__).resolve().parents[2] / "examples" / "smart_dairy_app"


@pytest.mark.skipif(
    not (SAMPLE_APP / "smart_dairy_app" / "migrate.py").is_file(), reason="no sample app"
)
def test_the_sample_app_migrator_runs_forward_and_back() -> None:
    env = {"PYTHONPATH": os.pathsep.join([str(SAMPLE_APP), os.environ.get("PYTHONPATH", "")])}
    applied = "SELECT count(*) FROM smart_dairy_schema_migrations"
    with scratch_database() as database:
        CommandMigrations.for_sample_app(dsn=database, version="1.1.0", env=env).migrate()
        count = query_one(database, applied)
        assert count >= 1
        back = CommandMigrations.for_sample_app(dsn=database, previous="1.0.0", env=env)
        assert back.reverse().returncode == 0
        assert query_one(database, applied) < count
