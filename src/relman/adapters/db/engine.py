"""Engines for the state store: SQLite (WAL) by default, PostgreSQL for teams.

``RELMAN_DATABASE_URL`` names the database (``postgresql+psycopg://user@host/db``, or a
``sqlite:///path``); without it the store is ``<repo>/.relman/relman.db``.

SQLite connections run with WAL, foreign keys and a busy timeout, and every transaction starts
with ``BEGIN IMMEDIATE``: a unit of work takes the single write lock up front, so two processes
never interleave a read-then-write (and audit appends are serialized). A reader that must not
wait for writers can pass ``execution_options(sqlite_begin="DEFERRED")``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError

from relman.errors import ConfigError

DATABASE_URL_ENV = "RELMAN_DATABASE_URL"
STATE_DIR = ".relman"
SQLITE_FILE = "relman.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000

_GITIGNORE = "# relman's local state (the SQLite store); not for version control\n*\n"


def resolve_database_url(repo: Path, environ: Mapping[str, str] | None = None) -> str:
    """The database URL: ``RELMAN_DATABASE_URL`` if set, else SQLite in ``<repo>/.relman/``."""
    env = os.environ if environ is None else environ
    url = env.get(DATABASE_URL_ENV, "").strip()
    if url:
        return url
    return f"sqlite:///{(repo / STATE_DIR / SQLITE_FILE).as_posix()}"


def parse_database_url(url: str) -> URL:
    """Parse and normalise a URL; plain ``postgresql://`` means psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"invalid database URL {url!r}: {exc}",
            where=DATABASE_URL_ENV,
            hint="use postgresql+psycopg://USER@HOST:PORT/DB or sqlite:///PATH",
        ) from exc
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in {"sqlite", "sqlite+pysqlite", "postgresql+psycopg"}:
        raise ConfigError(
            f"unsupported database {parsed.drivername!r}: relman stores its state in SQLite "
            "or PostgreSQL",
            where=DATABASE_URL_ENV,
            hint="use postgresql+psycopg://USER@HOST:PORT/DB or sqlite:///PATH",
        )
    return parsed


def describe_url(url: str | URL) -> str:
    """The URL with any password masked, for messages and output."""
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


def create_store_engine(url: str, **kwargs: Any) -> Engine:
    """An Engine for ``url`` with relman's connection settings (creates SQLite's folder)."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(parsed, **kwargs)


def _create_sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        if path.parent.name == STATE_DIR and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            (path.parent / ".gitignore").write_text(_GITIGNORE, encoding="utf-8")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode not in {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}:  # pragma: no cover - our own option
            raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
