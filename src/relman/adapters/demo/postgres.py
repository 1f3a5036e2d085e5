"""`PgDemoDatabases`: the demo's PostgreSQL databases (``relman_demo_<env>``), via psycopg 3.

The server is ``RELMAN_DEMO_POSTGRES`` (a libpq URL to a maintenance database) or the local
default ``postgresql://postgres@127.0.0.1:5432/postgres``. When it cannot be reached, `probe`
says why and the demo runs its application on in-memory data instead.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from relman.errors import IntegrationError, InvalidInputError

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
_NAME = re.compile(r"^relman_demo_[a-z0-9_]{1,40}$")


class PgDemoDatabases:
    """Creates and drops ``relman_demo_*`` databases, nothing else."""

    def __init__(self, admin_url: str = DEFAULT_ADMIN_URL, *, timeout: int = 3) -> None:
        self.admin_url = admin_url
        self.timeout = timeout

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=self.timeout)

    def probe(self) -> str | None:
        """None when the server answers; otherwise why not (for the demo's "skipped" line)."""
        try:
            import psycopg
        except ImportError:  # pragma: no cover - psycopg is a runtime dependency
            return "psycopg is not installed"
        try:
            with self._connect() as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return f"PostgreSQL is not reachable at {self.masked_url()}: {first}"
        return None

    def masked_url(self) -> str:
        parts = urlsplit(self.admin_url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, "", ""))

    def url_of(self, name: str) -> str:
        """The URL of database ``name`` on the same server."""
        parts = urlsplit(self.admin_url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))

    def recreate(self, name: str) -> str:
        """Drop ``name`` if it exists (closing its sessions), create it empty; its URL."""
        self._check(name)
        import psycopg

        try:
            with self._connect() as conn:
                self._drop(conn, name)
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            raise IntegrationError(
                f"cannot create database {name}: {str(exc).strip()}", where=self.masked_url()
            ) from exc
        return self.url_of(name)

    def drop(self, name: str) -> None:
        self._check(name)
        import psycopg

        try:
            with self._connect() as conn:
                self._drop(conn, name)
        except psycopg.Error as exc:
            raise IntegrationError(
                f"cannot drop database {name}: {str(exc).strip()}", where=self.masked_url()
            ) from exc

    @staticmethod
    def _drop(conn: Any, name: str) -> None:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    @staticmethod
    def _check(name: str) -> None:
        if not _NAME.match(name):
            raise InvalidInputError(
                f"refusing to touch database {name!r}: the demo only manages relman_demo_*",
                where=name,
            )
