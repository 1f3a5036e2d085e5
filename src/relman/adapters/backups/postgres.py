"""`PgBackup`: PostgreSQL backups with ``pg_dump -Fc``, verified, restorable (J-003 §6.4, §9.3).

- **take**: the rows of every table are counted inside a REPEATABLE READ snapshot that
  ``pg_dump --snapshot`` then dumps, so the counts describe exactly what the archive holds. The
  archive is written to ``<name>.partial`` and renamed when complete; its size and sha256 are
  recorded. A failure leaves no archive and raises BackupFailedError with pg_dump's stderr tail.
- **verify full**: ``createdb`` a scratch database, ``pg_restore`` into it, compare the rows per
  table with the counts taken at backup time, ``dropdb`` the scratch database (always).
- **verify list**: ``pg_restore --list``: the archive is readable and has a table of contents.
- **restore**: one transaction (``psql --single-transaction``): drop the database's schemas,
  recreate ``public`` as it was, run the archive's SQL. Nothing changes if any statement fails.

Connections use libpq environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE)
built from the DSN, so no password appears in an argv.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import uuid
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from relman.adapters.tool_runs import run_tool
from relman.domain.backups import (
    VERIFY_MODES,
    BackupRecord,
    compare_row_counts,
    describe_row_counts,
)
from relman.errors import BackupFailedError, ConfigError

_LIBPQ_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "passfile": "PGPASSFILE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
}
_TABLES_SQL = """
SELECT n.nspname, c.relname FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
ORDER BY 1, 2
"""
_SCHEMAS_SQL = """
SELECT nspname FROM pg_catalog.pg_namespace
WHERE nspname NOT IN ('pg_catalog', 'information_schema')
  AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.objid = pg_namespace.oid AND d.deptype = 'e')
ORDER BY 1
"""
_PUBLIC_SQL = """
SELECT pg_catalog.pg_get_userbyid(nspowner),
       coalesce((SELECT array_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                       ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee))
                                  END || ' ' || a.privilege_type)
                 FROM aclexplode(nspacl) a), ARRAY[]::text[])
FROM pg_catalog.pg_namespace WHERE nspname = 'public'
"""
_TOC_PUBLIC_SCHEMA = re.compile(r"^\d+;\s+\d+\s+\d+\s+SCHEMA\s+-\s+public\s", re.MULTILINE)


def normalize_dsn(dsn: str) -> str:
    """SQLAlchemy-style ``postgresql+psycopg://`` -> libpq ``postgresql://``."""
    return re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", dsn.strip())


def libpq_params(dsn: str) -> dict[str, str]:
    """The DSN's connection parameters (ConfigError when it is not a PostgreSQL DSN)."""
    import psycopg.conninfo

    try:
        params = psycopg.conninfo.conninfo_to_dict(normalize_dsn(dsn))
    except Exception as exc:  # psycopg.ProgrammingError: not a connection string
        raise ConfigError(f"invalid PostgreSQL DSN: {exc}", where=mask_dsn(dsn)) from None
    return {key: str(value) for key, value in params.items() if value is not None}


def libpq_env(params: Mapping[str, str]) -> dict[str, str]:
    """libpq environment variables (PGHOST, PGPASSWORD, ...) for connection parameters."""
    return {_LIBPQ_ENV[key]: value for key, value in params.items() if key in _LIBPQ_ENV}


def mask_dsn(dsn: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", dsn)


class PgBackup:
    """Implements `relman.ports.DatabaseBackup` for one PostgreSQL database."""

    def __init__(
        self,
        dsn: str,
        *,
        backups_dir: Path,
        verify_mode: str = "full",
        timeout: float = 1800.0,
        bin_dir: str | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if verify_mode not in VERIFY_MODES:
            raise ConfigError(
                f"unknown backup verification {verify_mode!r} (expected full or list)",
                where="verification.backup.verify",
            )
        self._params = libpq_params(dsn)
        self._params.setdefault("connect_timeout", "10")
        self.database = self._params.get("dbname") or self._params.get("user") or "postgres"
        self._params["dbname"] = self.database
        self.backups_dir = Path(backups_dir)
        self.verify_mode = verify_mode
        self.timeout = timeout
        self._bin_dir = bin_dir
        self._now = now or (lambda: datetime.now(UTC))

    # --- DatabaseBackup -------------------------------------------------------------------

    def take(self, *, label: str = "") -> BackupRecord:
        taken_at = self._now()
        self.backups_dir.mkdir(parents=True, exist_ok=True)
        suffix = f"-{_safe(label)}" if label else ""
        final = self.backups_dir / f"{self.database}-{taken_at:%Y%m%dT%H%M%S%f}{suffix}.dump"
        partial = final.with_name(final.name + ".partial")
        try:
            row_counts = self._dump_in_snapshot(partial)
            partial.replace(final)
        finally:
            partial.unlink(missing_ok=True)
        size, digest = _size_and_sha256(final)
        return BackupRecord(
            path=str(final),
            size=size,
            sha256=digest,
            database=self.database,
            taken_at=taken_at,
            verified=False,
            verification="not verified",
            row_counts=row_counts,
        )

    def verify(self, record: BackupRecord, *, mode: str | None = None) -> BackupRecord:
        mode = mode or self.verify_mode
        if mode not in VERIFY_MODES:
            raise ConfigError(f"unknown backup verification {mode!r} (expected full or list)")
        self._check_checksum(record)
        if mode == "list":
            toc = self._tool("pg_restore", "--list", record.path, what="listing the backup")
            entries = sum(1 for line in toc.stdout.splitlines() if re.match(r"^\d+;", line))
            if entries == 0:
                raise BackupFailedError(
                    f"backup {record.path} has an empty table of contents", where=record.path
                )
            return replace(
                record,
                verified=True,
                verification=f"list: archive readable, {entries} TOC entries, sha256 matches",
            )
        restored = self._restore_into_scratch(record)
        problems = compare_row_counts(record.row_counts, restored)
        if problems:
            raise BackupFailedError(
                f"backup {record.path} does not restore the same data: " + "; ".join(problems[:5]),
                where=record.path,
                details={"problems": problems},
            )
        return replace(
            record,
            verified=True,
            verification=f"full: restored into a scratch database, "
            f"{describe_row_counts(restored)} match the source",
        )

    def restore(self, record: BackupRecord) -> None:
        self._check_checksum(record)
        toc = self._tool("pg_restore", "--list", record.path, what="reading the backup")
        with tempfile.TemporaryDirectory(prefix="relman-restore-") as tmp:
            script = Path(tmp) / "restore.sql"
            self._tool("pg_restore", "-f", str(script), record.path, what="reading the backup")
            reset = Path(tmp) / "reset.sql"
            reset.write_text(
                self._reset_sql(recreate_public=not _TOC_PUBLIC_SCHEMA.search(toc.stdout)),
                encoding="utf-8",
            )
            self._tool(
                "psql",
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "-v",
                "ON_ERROR_STOP=1",
                "-f",
                str(reset),
                "-f",
                str(script),
                what=f"restoring {record.path} into {self.database}",
            )

    # --- internals ------------------------------------------------------------------------

    def _dump_in_snapshot(self, target: Path) -> dict[str, int]:
        import psycopg

        try:
            with self._connect() as conn:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                row = conn.execute("SELECT pg_catalog.pg_export_snapshot()").fetchone()
                snapshot = str(row[0]) if row else ""
                counts = _count_rows(conn)
                self._tool(
                    "pg_dump",
                    "-Fc",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(target),
                    what=f"backing up {self.database}",
                )
                conn.rollback()
        except psycopg.Error as exc:
            raise BackupFailedError(
                f"backing up {self.database}: {_pg_message(exc)}", where=self._where()
            ) from None
        return counts

    def _restore_into_scratch(self, record: BackupRecord) -> dict[str, int]:
        import psycopg

        scratch = f"relman_verify_{uuid.uuid4().hex[:12]}"
        self._tool("createdb", scratch, what="creating the scratch database")
        try:
            self._tool(
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "-d",
                scratch,
                record.path,
                what=f"restoring {record.path} into scratch database {scratch}",
            )
            try:
                with self._connect(dbname=scratch) as conn:
                    return _count_rows(conn)
            except psycopg.Error as exc:
                raise BackupFailedError(
                    f"counting rows in scratch database {scratch}: {_pg_message(exc)}",
                    where=scratch,
                ) from None
        finally:
            with suppress(BackupFailedError):
                self._tool("dropdb", "--if-exists", "--force", scratch, what="dropping scratch")

    def _reset_sql(self, *, recreate_public: bool) -> str:
        import psycopg
        from psycopg import sql

        try:
            with self._connect() as conn:
                schemas = [str(r[0]) for r in conn.execute(_SCHEMAS_SQL).fetchall()]
                public = conn.execute(_PUBLIC_SQL).fetchone()
                lines = [
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE;")
                    .format(sql.Identifier(name))
                    .as_string(conn)
                    for name in schemas
                ]
                if recreate_public:
                    owner = str(public[0]) if public else "pg_database_owner"
                    lines.append(
                        sql.SQL("CREATE SCHEMA public AUTHORIZATION {};")
                        .format(sql.Identifier(owner))
                        .as_string(conn)
                    )
                    grants: list[str] = list(public[1]) if public else ["PUBLIC USAGE"]
                    for grant in grants:
                        grantee, _, privilege = grant.rpartition(" ")
                        if grantee.strip('"') != owner:
                            lines.append(f"GRANT {privilege} ON SCHEMA public TO {grantee};")
                conn.rollback()
        except psycopg.Error as exc:
            raise BackupFailedError(
                f"preparing the restore of {self.database}: {_pg_message(exc)}",
                where=self._where(),
            ) from None
        return "\n".join(lines) + "\n"

    def _check_checksum(self, record: BackupRecord) -> None:
        path = Path(record.path)
        if not path.is_file():
            raise BackupFailedError(f"backup file {record.path} is missing", where=record.path)
        size, digest = _size_and_sha256(path)
        if digest != record.sha256 or size != record.size:
            raise BackupFailedError(
                f"backup {record.path} changed since it was taken: sha256 {digest[:12]}…, "
                f"expected {record.sha256[:12]}…",
                where=record.path,
            )

    def _connect(self, *, dbname: str | None = None) -> Any:
        import psycopg

        params = dict(self._params)
        if dbname is not None:
            params["dbname"] = dbname
        return psycopg.connect(**params)  # type: ignore[arg-type]

    def _env(self) -> dict[str, str]:
        return libpq_env(self._params)

    def _tool(self, name: str, *args: str, what: str) -> Any:
        program = str(Path(self._bin_dir) / name) if self._bin_dir else name
        return run_tool(
            [program, "--no-password", *args],
            what=what,
            timeout=self.timeout,
            env=self._env(),
            error=BackupFailedError,
        )

    def _where(self) -> str:
        host = self._params.get("host", "localhost")
        port = self._params.get("port", "5432")
        return f"postgresql://{host}:{port}/{self.database}"


def _count_rows(conn: Any) -> dict[str, int]:
    from psycopg import sql

    counts: dict[str, int] = {}
    for schema, table in conn.execute(_TABLES_SQL).fetchall():
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        row = conn.execute(query).fetchone()
        counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


def _size_and_sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-")[:60]


def _pg_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
