"""Database safety (J-003 §6.4, §9.3): backup records, their verification, the rollback method.

"No verified backup, no migration": `require_verified_backup` says whether a migration may run in
an environment. `decide_database_rollback` picks how a migrated database goes back: the reverse
migration script when there is one (§9.3 "Schema issue: reverse migration script"), otherwise the
pre-migration backup (§9.3 "Failed migration: restore from pre-migration backup").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from relman.errors import BlockedError, RollbackFailedError

VERIFY_MODES: tuple[str, ...] = ("full", "list")
BACKUP_ENVIRONMENTS: tuple[str, ...] = ("staging", "prod")
"""Environments where a migration needs a verified backup first (issue 5 §4)."""


@dataclass(frozen=True)
class BackupRecord:
    """One ``pg_dump -Fc`` archive: where it is, its size and checksum, and whether it restores.

    ``row_counts`` are the rows per table (``schema.table``) of the source, counted in the same
    snapshot the dump was taken from; full verification compares a scratch restore against them.
    ``verification`` says how it was verified, or why verification failed.
    """

    path: str
    size: int
    sha256: str
    database: str
    taken_at: datetime
    verified: bool = False
    verification: str = "not verified"
    row_counts: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "database": self.database,
            "taken_at": self.taken_at.isoformat(),
            "verified": self.verified,
            "verification": self.verification,
            "tables": len(self.row_counts),
            "rows": sum(self.row_counts.values()),
        }


def compare_row_counts(expected: Mapping[str, int], actual: Mapping[str, int]) -> list[str]:
    """Differences between the source's and the restored database's rows per table."""
    problems = [
        f"table {table} missing from the restore ({count} rows expected)"
        for table, count in sorted(expected.items())
        if table not in actual
    ]
    problems += [
        f"table {table}: {actual[table]} rows restored, {count} expected"
        for table, count in sorted(expected.items())
        if table in actual and actual[table] != count
    ]
    problems += [
        f"table {table} in the restore but not in the source"
        for table in sorted(set(actual) - set(expected))
    ]
    return problems


def describe_row_counts(row_counts: Mapping[str, int]) -> str:
    return f"{len(row_counts)} tables, {sum(row_counts.values())} rows"


def require_verified_backup(
    backup: BackupRecord | None,
    *,
    environment: str,
    environments: Collection[str] = BACKUP_ENVIRONMENTS,
) -> BackupRecord | None:
    """The backup a migration in ``environment`` relies on; BlockedError when it needs one and
    there is no verified backup. Environments outside ``environments`` need none (None back)."""
    if environment not in environments:
        return backup
    if backup is None:
        raise BlockedError(
            f"no verified backup, no migration: take one before migrating {environment}",
            where=f"environment {environment}",
            hint="relman takes and verifies a pg_dump -Fc backup before each migration",
        )
    if not backup.verified:
        raise BlockedError(
            f"no verified backup, no migration: backup {backup.path} is not verified "
            f"({backup.verification})",
            where=f"environment {environment}",
        )
    return backup


class DatabaseRollbackMethod(StrEnum):
    REVERSE_SCRIPT = "reverse_script"
    RESTORE_BACKUP = "restore_backup"


@dataclass(frozen=True)
class DatabaseRollbackPlan:
    method: DatabaseRollbackMethod
    reason: str
    backup: BackupRecord | None = None


def decide_database_rollback(
    has_reverse_script: bool, backup: BackupRecord | None
) -> DatabaseRollbackPlan:
    """Reverse script when provided, else restore the verified pre-migration backup.

    RollbackFailedError (a human is needed) when there is neither a reverse script nor a
    verified backup.
    """
    if has_reverse_script:
        return DatabaseRollbackPlan(
            DatabaseRollbackMethod.REVERSE_SCRIPT,
            "a reverse migration script is provided (J-003 §9.3 schema issue, RTO 15 minutes)",
            backup,
        )
    if backup is not None and backup.verified:
        return DatabaseRollbackPlan(
            DatabaseRollbackMethod.RESTORE_BACKUP,
            f"no reverse migration script: restore the pre-migration backup {backup.path} "
            f"taken {backup.taken_at.isoformat()} (J-003 §9.3 failed migration, RTO 30 minutes)",
            backup,
        )
    why = "no backup" if backup is None else f"backup {backup.path} is not verified"
    raise RollbackFailedError(
        f"cannot roll the database back: no reverse migration script and {why}",
        where=backup.database if backup is not None else "database",
        hint="restore the database by hand (point-in-time recovery), then run relman rollback",
    )
