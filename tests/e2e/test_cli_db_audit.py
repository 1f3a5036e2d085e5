"""`relman db …` and `relman audit …` from the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from relman.adapters.db.migrations import HEAD_REVISION as HEAD
from relman.adapters.db.store import SqlStore
from relman.cli.main import main
from relman.domain.audit import verify_chain
from relman.domain.releases import AuditEntry

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    return path


@pytest.fixture
def db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RELMAN_DATABASE_URL", database_url)
    return database_url


def _run(repo: Path, *args: str) -> int:
    return main(["-C", str(repo), *args])


def _fill(url: str, count: int = 4) -> None:
    store = SqlStore(url)
    store.ensure_upgraded()
    with store.unit_of_work() as uow:
        for i in range(count):
            uow.audit.append(
                actor="karim",
                action="release.advance",
                subject="R-1",
                before={"phase": i},
                after={"phase": i + 1},
                at=T0 + timedelta(hours=i),
            )
    store.dispose()


def _tamper(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def test_db_upgrade_and_current(repo: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(repo, "db", "current") == 0
    assert f"revision: none (empty database; head is {HEAD}" in capsys.readouterr().out

    assert _run(repo, "db", "upgrade") == 0
    assert f"database upgraded from an empty database to revision {HEAD}" in capsys.readouterr().out

    assert _run(repo, "db", "current") == 0
    assert f"revision: {HEAD} (head)" in capsys.readouterr().out

    assert _run(repo, "db", "upgrade") == 0
    assert f"database already at revision {HEAD}" in capsys.readouterr().out

    assert _run(repo, "db", "current", "--json") == 0
    current = json.loads(capsys.readouterr().out)
    assert (current["revision"], current["head"], current["up_to_date"]) == (HEAD, HEAD, True)


def test_audit_verify_upgrades_an_empty_database_on_first_use(
    repo: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(repo, "audit", "verify") == 0
    assert capsys.readouterr().out.strip() == "audit chain OK: 0 entries"
    assert _run(repo, "db", "current", "--json") == 0
    assert json.loads(capsys.readouterr().out)["revision"] == HEAD


def test_audit_verify_names_the_edited_entry(
    repo: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(db)
    assert _run(repo, "audit", "verify") == 0
    assert capsys.readouterr().out.strip() == "audit chain OK: 4 entries"

    _tamper(db, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")

    assert _run(repo, "audit", "verify") == 1
    err = capsys.readouterr().err
    assert "error: entry 3 (2026-03-02T11:00:00Z) was edited" in err

    assert _run(repo, "audit", "verify", "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["ok"], report["first_bad_seq"], report["checked"]) == (False, 3, 2)


def test_audit_verify_names_a_deleted_entry(
    repo: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(db)
    _tamper(db, "DELETE FROM audit_log WHERE seq = 2")

    assert _run(repo, "audit", "verify") == 1
    assert "entry 2 deleted" in capsys.readouterr().err


def test_audit_export_jsonl_can_be_verified_outside_relman(
    repo: Path, db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(db)
    target = tmp_path / "audit.jsonl"

    assert _run(repo, "audit", "export", "--format", "jsonl", "--output", str(target)) == 0
    assert f"exported 4 audit entries to {target}" in capsys.readouterr().err

    lines = target.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    entries = [
        AuditEntry(**{**row, "at": datetime.fromisoformat(row["at"].replace("Z", "+00:00"))})
        for row in rows
    ]
    assert verify_chain(entries).ok

    assert _run(repo, "audit", "export", "--format", "jsonl") == 0
    assert capsys.readouterr().out.splitlines() == lines


def test_audit_list(repo: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _fill(db, count=2)
    assert _run(repo, "audit", "list", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["seq"], r["actor"], r["subject"]) for r in rows] == [
        (1, "karim", "R-1"),
        (2, "karim", "R-1"),
    ]


def test_default_store_is_sqlite_inside_the_repository(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(repo, "db", "upgrade") == 0
    assert (repo / ".relman" / "relman.db").is_file()
    assert "sqlite:///" in capsys.readouterr().out


def test_db_current_does_not_create_the_database(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(repo, "db", "current") == 0
    assert not (repo / ".relman").exists()


def test_unknown_export_format_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(repo, "audit", "export", "--format", "xml") == 2
    assert not (repo / ".relman").exists()


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/relman", 12, "cannot connect to the database"),
        ("mysql://root@127.0.0.1/relman", 3, "unsupported database 'mysql'"),
    ],
)
def test_database_problems_have_their_exit_codes(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    url: str,
    code: int,
    message: str,
) -> None:
    monkeypatch.setenv("RELMAN_DATABASE_URL", url)
    assert _run(repo, "audit", "verify") == code
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert "RELMAN_DATABASE_URL" in err
