"""The sample app's migrator: one forward migration per version, optional reverse scripts.

    python -m smart_dairy_app.migrate --dsn DSN [--target VERSION] [--rollback] [--status] [--json]

Files in ``migrations/``: ``NNN_<version>.sql`` (forward) and ``NNN_<version>.rollback.sql``
(reverse, optional). Applied migrations are recorded in ``smart_dairy_schema_migrations``.
Each migration runs in its own transaction together with its record, under an advisory lock,
so a failing one leaves nothing behind.

- forward (default): apply every pending migration whose version <= target (default: the
  release's VERSION);
- ``--rollback --target V``: run the reverse scripts of every applied migration newer than V,
  newest first; ``--rollback`` alone reverts the newest applied version.

A release carries only the migrations up to its own version, so a database is rolled back with
the migrator of the release being rolled back *from*.

Exit codes: 0 done, 1 a migration failed, 2 usage, 3 no reverse script (restore the
pre-migration backup instead) or a needed file is missing, 4 database unreachable.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smart_dairy_app import MIGRATIONS_DIR, parse_version_key, read_version

TABLE = "smart_dairy_schema_migrations"
LOCK_KEY = 727_2026
_NAME_RE = re.compile(r"^(\d{3,})_(.+?)(\.rollback)?\.sql$")
log = logging.getLogger("smart_dairy_app.migrate")


class MigrationError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Migration:
    seq: int
    version: str
    forward: Path
    reverse: Path | None

    @property
    def name(self) -> str:
        return self.forward.name.removesuffix(".sql")

    def checksum(self) -> str:
        return hashlib.sha256(self.forward.read_bytes()).hexdigest()


def list_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations of a directory in sequence order; MigrationError on a malformed name."""
    forward: dict[int, Path] = {}
    reverse: dict[int, Path] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME_RE.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: expected NNN_<version>.sql or .rollback.sql", 2)
        seq = int(match.group(1))
        parse_version_key(match.group(2))
        bucket = reverse if match.group(3) else forward
        if seq in bucket:
            raise MigrationError(f"{path}: sequence {seq:03d} is used twice", 2)
        bucket[seq] = path
    for seq, path in reverse.items():
        if seq not in forward:
            raise MigrationError(f"{path}: reverse script without a forward migration", 2)
    return [
        Migration(seq, _NAME_RE.match(p.name).group(2), p, reverse.get(seq))  # type: ignore[union-attr]
        for seq, p in sorted(forward.items())
    ]


def _applied(conn: Any) -> list[tuple[int, str, str]]:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (seq integer PRIMARY KEY, name text NOT NULL,"
        " version text NOT NULL, checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    rows = conn.execute(f"SELECT seq, name, version FROM {TABLE} ORDER BY seq").fetchall()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def _run_script(conn: Any, path: Path, record: str, params: tuple[Any, ...]) -> None:
    import psycopg

    try:
        with conn.transaction():
            conn.execute(path.read_text(encoding="utf-8"))
            conn.execute(record, params)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MigrationError(f"{path.name} failed: {first}; nothing of it was applied") from exc


def apply_forward(conn: Any, migrations: list[Migration], target: str) -> list[str]:
    key = parse_version_key(target)
    done = {seq for seq, _, _ in _applied(conn)}
    applied = []
    for m in migrations:
        if m.seq in done or parse_version_key(m.version) > key:
            continue
        _run_script(
            conn,
            m.forward,
            f"INSERT INTO {TABLE} (seq, name, version, checksum) VALUES (%s, %s, %s, %s)",
            (m.seq, m.name, m.version, m.checksum()),
        )
        log.info("applied %s", m.name)
        applied.append(m.name)
    return applied


def apply_rollback(conn: Any, migrations: list[Migration], target: str | None) -> list[str]:
    rows = _applied(conn)
    if not rows:
        return []
    if target is None:
        newest = rows[-1][2]
        undo = [r for r in rows if r[2] == newest]
    else:
        key = parse_version_key(target)
        undo = [r for r in rows if parse_version_key(r[2]) > key]
    by_seq = {m.seq: m for m in migrations}
    for seq, name, _ in undo:  # check everything before touching anything
        m = by_seq.get(seq)
        if m is None:
            raise MigrationError(f"{name} is applied but this release does not carry it", 3)
        if m.reverse is None:
            raise MigrationError(
                f"{name} has no reverse script ({name}.rollback.sql): "
                "restore the pre-migration backup instead",
                3,
            )
    reverted = []
    for seq, name, _ in reversed(undo):
        reverse = by_seq[seq].reverse
        assert reverse is not None
        _run_script(conn, reverse, f"DELETE FROM {TABLE} WHERE seq = %s", (seq,))
        log.info("reverted %s", name)
        reverted.append(name)
    return reverted


def run(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    migrations = list_migrations(Path(args.dir))
    target = args.target or (None if args.rollback else read_version())
    if target is not None:
        parse_version_key(target)
    try:
        conn = psycopg.connect(args.dsn, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        raise MigrationError(f"cannot connect: {str(exc).strip().splitlines()[0]}", 4) from exc
    with conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        result: dict[str, Any] = {"target": target, "applied": [], "reverted": []}
        if args.rollback:
            result["reverted"] = apply_rollback(conn, migrations, target)
        elif not args.status:
            result["applied"] = apply_forward(conn, migrations, target or read_version())
        rows = _applied(conn)
        result["migrations"] = [{"seq": s, "name": n, "version": v} for s, n, v in rows]
        result["current"] = rows[-1][2] if rows else None
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smart_dairy_app.migrate", description=__doc__)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--target", help="version to migrate (or roll back) to")
    parser.add_argument("--rollback", action="store_true")
    parser.add_argument("--status", action="store_true", help="only show applied migrations")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dir", default=str(MIGRATIONS_DIR), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = run(args)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    except MigrationError as exc:
        log.error("%s", exc)
        if args.json:
            print(json.dumps({"error": str(exc), "exit_code": exc.exit_code}))
        return exc.exit_code
    if args.json:
        print(json.dumps(result))
    else:
        for name in result["applied"]:
            print(f"applied {name}")
        for name in result["reverted"]:
            print(f"reverted {name}")
        print(f"schema version: {result['current'] or 'empty'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
