"""One database: its engine, its migrations and the units of work opened on it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from relman.adapters.db import migrations
from relman.adapters.db.engine import (
    DATABASE_URL_ENV,
    create_store_engine,
    describe_url,
    parse_database_url,
)
from relman.errors import ConfigError, IntegrationError
from relman.ports import MigrationResult

if TYPE_CHECKING:
    from alembic.config import Config

    from relman.adapters.db.uow import SqlUnitOfWork

# Key of the PostgreSQL advisory lock that serializes concurrent `upgrade` runs ("relm").
_MIGRATION_LOCK = 0x72656C6D
_VERSION_TABLE = "alembic_version"


class SqlStore:
    """The state store on one database URL (SQLite or PostgreSQL)."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self._url = url
        self._engine = engine
        self._upgraded = False

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        if self._engine is None:
            return describe_url(parse_database_url(self._url))
        return describe_url(self._engine.url)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_store_engine(self._url)
        return self._engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def head_revision(self) -> str:
        """The newest migration this relman ships."""
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(self.alembic_config()).get_current_head()
        if head is None:  # pragma: no cover - the package always ships migrations
            raise ConfigError("relman ships no migrations", where=str(_script_location()))
        return head

    def current_revision(self) -> str | None:
        """The revision the database is at (None: never upgraded)."""
        if self._engine is None and _is_missing_sqlite_file(self._url):
            return None  # asking must not create the database
        with self._connect() as conn:
            conn.execution_options(sqlite_begin="DEFERRED")  # a read: do not wait for writers
            return _read_revision(conn)

    def upgrade(self, revision: str = "head") -> MigrationResult:
        """Apply migrations up to ``revision`` in one transaction (serialized across processes)."""
        from alembic import command
        from alembic.util import CommandError

        with self._connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            before = _read_revision(conn)
            cfg = self.alembic_config(conn)
            try:
                command.upgrade(cfg, revision)
            except CommandError as exc:
                raise ConfigError(
                    f"cannot upgrade the database from revision {before} to {revision}: {exc}",
                    where=self.url,
                    hint="a newer relman may have migrated this database: upgrade relman",
                ) from exc
            after = _read_revision(conn)
        self._upgraded = after == migrations.HEAD_REVISION
        return MigrationResult(url=self.url, before=before, after=after)

    def ensure_upgraded(self) -> None:
        """Upgrade to head unless the database is already there (cheap: no Alembic import)."""
        if self._upgraded:
            return
        if self.current_revision() != migrations.HEAD_REVISION:
            self.upgrade()
        self._upgraded = True

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new unit of work (use it as ``with uow: ...``); the schema must be current."""
        from relman.adapters.db.uow import SqlUnitOfWork

        return SqlUnitOfWork(self.engine)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def _connect(self) -> sa.Connection:
        try:
            return self.engine.connect()
        except OperationalError as exc:
            raise IntegrationError(
                f"cannot connect to the database {describe_url(self.engine.url)}: "
                f"{_first_line(exc.orig)}",
                where=DATABASE_URL_ENV,
                hint="check that the server runs and the URL is right",
            ) from exc
        except SQLAlchemyError as exc:  # pragma: no cover - unusual driver failures
            raise IntegrationError(f"database error: {_first_line(exc)}", where=self.url) from exc

    def alembic_config(self, connection: sa.Connection | None = None) -> Config:
        """Alembic's config for relman's migrations, running on ``connection``."""
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(_script_location()))
        if connection is not None:
            cfg.attributes["connection"] = connection
        return cfg


def _script_location() -> Path:
    return Path(migrations.__file__).parent


def _is_missing_sqlite_file(url: str) -> bool:
    parsed = parse_database_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in {"", ":memory:"}:
        return False
    return not database.startswith("file:") and not Path(database).exists()


def _read_revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table(_VERSION_TABLE):
        return None
    row = conn.execute(sa.text(f"SELECT version_num FROM {_VERSION_TABLE}")).first()
    return None if row is None else str(row[0])


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
