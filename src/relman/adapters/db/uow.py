"""``SqlUnitOfWork``: one database transaction over every repository.

``with uow:`` opens a connection and a transaction; the block commits when it ends normally and
rolls back when it raises, so a failed command writes nothing. ``uow.commit()`` commits early
(work after it runs in a new transaction). Database failures leave the block as relman errors:
a write lock or serialization failure as ConflictError, anything else as IntegrationError.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from relman.adapters.db.audit import SqlAuditLog
from relman.adapters.db.calendar_repos import (
    SqlCalendarRepo,
    SqlIncidentRepo,
    SqlRetrospectiveRepo,
)
from relman.adapters.db.deployment_repos import (
    SqlBackupRepo,
    SqlDeploymentRepo,
    SqlEnvLockRepo,
    SqlEnvStateRepo,
    SqlReleaseEventRepo,
)
from relman.adapters.db.engine import describe_url
from relman.adapters.db.outbox import SqlOutboxRepo
from relman.adapters.db.repositories import (
    SqlChecklistRepo,
    SqlEvidenceRepo,
    SqlReleaseRepo,
    SqlSignOffRepo,
    SqlWaiverRepo,
)
from relman.errors import ConflictError, IntegrationError, RelmanError

# SQLSTATEs that mean "someone else got there first": serialization failure, deadlock, lock timeout.
_CONFLICT_SQLSTATES = {"40001", "40P01", "55P03"}
_T = TypeVar("_T")


class SqlUnitOfWork:
    """A unit of work on one SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: sa.Connection | None = None
        self._releases: SqlReleaseRepo | None = None
        self._signoffs: SqlSignOffRepo | None = None
        self._evidence: SqlEvidenceRepo | None = None
        self._checklists: SqlChecklistRepo | None = None
        self._waivers: SqlWaiverRepo | None = None
        self._audit: SqlAuditLog | None = None
        self._calendar: SqlCalendarRepo | None = None
        self._incidents: SqlIncidentRepo | None = None
        self._retrospectives: SqlRetrospectiveRepo | None = None
        self._outbox: SqlOutboxRepo | None = None
        self._deployments: SqlDeploymentRepo | None = None
        self._env_locks: SqlEnvLockRepo | None = None
        self._env_state: SqlEnvStateRepo | None = None
        self._backups: SqlBackupRepo | None = None
        self._events: SqlReleaseEventRepo | None = None

    # -- repositories (only inside `with uow:`) --------------------------------------------------

    @property
    def releases(self) -> SqlReleaseRepo:
        return _inside(self._releases)

    @property
    def signoffs(self) -> SqlSignOffRepo:
        return _inside(self._signoffs)

    @property
    def evidence(self) -> SqlEvidenceRepo:
        return _inside(self._evidence)

    @property
    def checklists(self) -> SqlChecklistRepo:
        return _inside(self._checklists)

    @property
    def waivers(self) -> SqlWaiverRepo:
        return _inside(self._waivers)

    @property
    def calendar(self) -> SqlCalendarRepo:
        return _inside(self._calendar)

    @property
    def incidents(self) -> SqlIncidentRepo:
        return _inside(self._incidents)

    @property
    def retrospectives(self) -> SqlRetrospectiveRepo:
        return _inside(self._retrospectives)

    @property
    def audit(self) -> SqlAuditLog:
        return _inside(self._audit)

    @property
    def outbox(self) -> SqlOutboxRepo:
        return _inside(self._outbox)

    @property
    def deployments(self) -> SqlDeploymentRepo:
        return _inside(self._deployments)

    @property
    def env_locks(self) -> SqlEnvLockRepo:
        return _inside(self._env_locks)

    @property
    def env_state(self) -> SqlEnvStateRepo:
        return _inside(self._env_state)

    @property
    def backups(self) -> SqlBackupRepo:
        return _inside(self._backups)

    @property
    def events(self) -> SqlReleaseEventRepo:
        return _inside(self._events)

    # -- transaction -----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        if self._conn is not None:
            raise RuntimeError("this unit of work is already open")
        try:
            conn = self._engine.connect()
            conn.begin()
        except SQLAlchemyError as exc:
            raise translate_error(exc, self._engine) from exc
        self._conn = conn
        self._releases = SqlReleaseRepo(conn)
        self._signoffs = SqlSignOffRepo(conn)
        self._evidence = SqlEvidenceRepo(conn)
        self._checklists = SqlChecklistRepo(conn)
        self._waivers = SqlWaiverRepo(conn)
        self._audit = SqlAuditLog(conn)
        self._calendar = SqlCalendarRepo(conn)
        self._incidents = SqlIncidentRepo(conn)
        self._retrospectives = SqlRetrospectiveRepo(conn)
        self._outbox = SqlOutboxRepo(conn)
        self._deployments = SqlDeploymentRepo(conn)
        self._env_locks = SqlEnvLockRepo(conn)
        self._env_state = SqlEnvStateRepo(conn)
        self._backups = SqlBackupRepo(conn)
        self._events = SqlReleaseEventRepo(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self.commit()
            else:
                self.rollback()
        finally:
            conn, self._conn = self._conn, None
            self._releases = self._signoffs = self._evidence = None
            self._checklists = self._waivers = self._audit = None
            self._calendar = self._incidents = self._retrospectives = None
            self._outbox = None
            self._deployments = self._env_locks = self._env_state = None
            self._backups = self._events = None
            if conn is not None:
                conn.close()
        if isinstance(exc, SQLAlchemyError):
            raise translate_error(exc, self._engine) from exc

    def commit(self) -> None:
        conn = _inside(self._conn)
        try:
            conn.commit()
        except SQLAlchemyError as exc:
            raise translate_error(exc, self._engine) from exc

    def rollback(self) -> None:
        conn = _inside(self._conn)
        try:
            conn.rollback()
        except SQLAlchemyError:  # the connection is gone: nothing was committed anyway
            conn.invalidate()


def translate_error(exc: SQLAlchemyError, engine: Engine) -> RelmanError:
    """The relman error a database failure means to the user."""
    where = describe_url(engine.url)
    detail = _first_line(exc.orig if isinstance(exc, DBAPIError) else exc)
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if sqlstate in _CONFLICT_SQLSTATES or "database is locked" in detail:
        return ConflictError(
            f"the store is busy with a concurrent change ({detail}); re-run the command",
            where=where,
        )
    if isinstance(exc, OperationalError):
        return IntegrationError(f"database unavailable: {detail}", where=where)
    return IntegrationError(f"database error: {detail}", where=where)


def _inside(value: _T | None) -> _T:
    if value is None:
        raise RuntimeError("use the unit of work inside `with uow:`")
    return value


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
