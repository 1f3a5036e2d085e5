"""Database migrations as a deployment step (J-003 §6.4, §8.3 "Database migrations", §9.3).

`CommandMigrations` implements `relman.ports.MigrationRunner` with configured commands:

- forward: any argv with a timeout (``odoo -u all -d smart_dairy --stop-after-init``,
  ``alembic upgrade head``), or the sample app's migrator
  (``python -m smart_dairy_app.migrate --dsn DSN --target VERSION``, see `for_sample_app`);
- reverse: a reverse command, or a reverse SQL script run by ``psql`` in one transaction
  (the §9.3 example ``ALTER TABLE milk_production DROP COLUMN IF EXISTS quality_score``).

When a reverse command answers with one of ``no_reverse_exit_codes`` (the sample migrator's 3:
"no reverse script"), `reverse` raises NotFoundError: restore the pre-migration backup instead
(`relman.domain.backups.decide_database_rollback`).

A password in the DSN never goes on an argv: it is passed to the child as ``PGPASSWORD``.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from relman.adapters.backups.postgres import libpq_env, libpq_params
from relman.adapters.tool_runs import ToolRun, run_tool
from relman.errors import ConfigError, MigrationFailedError, NotFoundError
from relman.ports import MigrationRun

SAMPLE_APP_MODULE = "smart_dairy_app.migrate"
SAMPLE_APP_NO_REVERSE_EXIT = 3


class CommandMigrations:
    """Implements `relman.ports.MigrationRunner` with commands."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 600.0,
        reverse_argv: Sequence[str] | None = None,
        reverse_script: Path | None = None,
        dsn: str | None = None,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        no_reverse_exit_codes: Collection[int] = (),
    ) -> None:
        if not argv:
            raise ConfigError("the migration command is empty", where="migrations.command")
        if reverse_script is not None and dsn is None:
            raise ConfigError(
                "a reverse migration script needs the database DSN to run against",
                where="migrations.reverse_script",
            )
        self.argv = tuple(argv)
        self.timeout = timeout
        self.reverse_argv = tuple(reverse_argv) if reverse_argv else None
        self.reverse_script = reverse_script
        self._dsn = dsn
        self._cwd = cwd
        self._env = dict(env or {})
        self._no_reverse = frozenset(no_reverse_exit_codes)

    @classmethod
    def for_sample_app(
        cls,
        *,
        dsn: str,
        version: str | None = None,
        previous: str | None = None,
        python: str = sys.executable,
        timeout: float = 600.0,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> CommandMigrations:
        """``python -m smart_dairy_app.migrate --dsn DSN [--target VERSION]``; reverse with
        ``--rollback --target PREVIOUS`` when the previous version is known."""
        safe_dsn, secret = split_password(dsn)
        base = [python, "-m", SAMPLE_APP_MODULE, "--dsn", safe_dsn]
        forward = [*base, *(["--target", version] if version else [])]
        reverse = [*base, "--rollback", "--target", previous] if previous else None
        return cls(
            forward,
            timeout=timeout,
            reverse_argv=reverse,
            cwd=cwd,
            env={**(env or {}), **secret},
            no_reverse_exit_codes=(SAMPLE_APP_NO_REVERSE_EXIT,),
        )

    @property
    def has_reverse(self) -> bool:
        return self.reverse_argv is not None or self.reverse_script is not None

    def migrate(self) -> MigrationRun:
        run = run_tool(
            self.argv,
            what="database migration",
            timeout=self.timeout,
            env=self._env,
            cwd=self._cwd,
            error=MigrationFailedError,
        )
        return _as_migration_run("forward", run)

    def reverse(self) -> MigrationRun:
        if self.reverse_script is not None:
            return self._run_reverse_script(self.reverse_script)
        if self.reverse_argv is None:
            raise NotFoundError(
                "no reverse migration is configured: restore the pre-migration backup",
                where="migrations.reverse_command",
            )
        run = run_tool(
            self.reverse_argv,
            what="reverse database migration",
            timeout=self.timeout,
            env=self._env,
            cwd=self._cwd,
            error=MigrationFailedError,
            check=False,
        )
        if run.returncode in self._no_reverse:
            raise NotFoundError(
                "the migration has no reverse script: restore the pre-migration backup "
                f"({run.output_tail.splitlines()[-1] if run.output_tail else 'no output'})",
                where=self.reverse_argv[0],
            )
        if run.returncode != 0:
            raise MigrationFailedError(
                f"reverse database migration: {self.reverse_argv[0]} exited with {run.returncode}",
                where=self.reverse_argv[0],
                details={"argv": list(run.argv), "stderr_tail": run.output_tail},
            )
        return _as_migration_run("reverse", run)

    def _run_reverse_script(self, script: Path) -> MigrationRun:
        if not script.is_file():
            raise NotFoundError(
                f"reverse migration script {script} does not exist", where=str(script)
            )
        assert self._dsn is not None  # checked in __init__
        params = libpq_params(self._dsn)
        env = {**self._env, **libpq_env(params)}
        run = run_tool(
            ["psql", "--no-psqlrc", "--no-password", "--single-transaction", "-v",
             "ON_ERROR_STOP=1", "-f", str(script)],
            what=f"reverse migration script {script.name}",
            timeout=self.timeout,
            env=env,
            cwd=self._cwd,
            error=MigrationFailedError,
        )  # fmt: skip
        return _as_migration_run("reverse", run)


def split_password(dsn: str) -> tuple[str, dict[str, str]]:
    """The DSN without its password, and ``{"PGPASSWORD": ...}`` when it had one."""
    params = libpq_params(dsn)
    password = params.pop("password", None)
    if password is None:
        return dsn, {}
    from psycopg.conninfo import make_conninfo

    return make_conninfo(**params), {"PGPASSWORD": password}


def _as_migration_run(direction: str, run: ToolRun) -> MigrationRun:
    return MigrationRun(direction, run.argv, run.returncode, run.output_tail, run.seconds)
