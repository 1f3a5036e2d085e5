"""Shared fixtures. `repo_builder` makes real git repositories in tmp_path."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Rahim Dev",
    "GIT_AUTHOR_EMAIL": "rahim@smartdairy.test",
    "GIT_COMMITTER_NAME": "Rahim Dev",
    "GIT_COMMITTER_EMAIL": "rahim@smartdairy.test",
    "GIT_CONFIG_NOSYSTEM": "1",
}


class RepoBuilder:
    """A real git repository with deterministic dates, for tests."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tick = 0
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", GIT_ENV["GIT_AUTHOR_NAME"])
        self.git("config", "user.email", GIT_ENV["GIT_AUTHOR_EMAIL"])
        self.git("config", "commit.gpgsign", "false")
        self.git("config", "tag.gpgsign", "false")

    def _env(self) -> dict[str, str]:
        # one minute per commit from 2026-01-01 00:00 Asia/Dhaka
        stamp = 1767204000 + 60 * self._tick
        date = f"{stamp} +0600"
        return {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}

    def git(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout.strip()

    def write(self, files: dict[str, str]) -> None:
        for rel, content in files.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")

    def commit(self, message: str, files: dict[str, str] | None = None) -> str:
        """Commit `files` (path -> content; a default file when None) and return the sha."""
        self._tick += 1
        self.write(files if files is not None else {f"file{self._tick}.txt": f"{self._tick}\n"})
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, *, annotated: bool = True, ref: str = "HEAD") -> None:
        if annotated:
            self.git("tag", "-a", name, "-m", f"Release {name}", ref)
        else:
            self.git("tag", name, ref)

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("branch", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def merge(self, branch: str, message: str | None = None) -> str:
        self._tick += 1
        self.git("merge", "-q", "--no-ff", branch, "-m", message or f"Merge branch '{branch}'")
        return self.git("rev-parse", "HEAD")

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def import_history(self, messages: list[str], *, tags: dict[int, str] | None = None) -> None:
        """Commit ``messages`` on main in one ``git fast-import`` (thousands in a second);
        ``tags`` maps a 1-based commit number to a lightweight tag on it."""
        tags = tags or {}
        lines = []
        for i, message in enumerate(messages, start=1):
            data = message.encode()
            lines.append(b"commit refs/heads/main\nmark :%d\n" % i)
            lines.append(f"committer Bot <bot@x> {1767204000 + i} +0600\n".encode())
            lines.append(b"data %d\n%s\n" % (len(data), data))
            if i in tags:
                lines.append(b"reset refs/tags/%s\nfrom :%d\n\n" % (tags[i].encode(), i))
        subprocess.run(
            ["git", "fast-import", "--quiet"], cwd=self.path, input=b"".join(lines), check=True
        )
        self.git("reset", "-q", "--hard", "main")


@pytest.fixture
def repo_builder(tmp_path: Path) -> Iterator[RepoBuilder]:
    yield RepoBuilder(tmp_path / "repo")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's RELMAN_* settings or global git config."""
    for name in list(os.environ):
        if name.startswith("RELMAN_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


# --- state store: every store test runs on SQLite and on PostgreSQL ---------------------------
# PostgreSQL: a server at RELMAN_TEST_POSTGRES_URL (default: trust auth on 127.0.0.1:5432); each
# test gets its own database relman_test_<uuid>, dropped afterwards. Read at import time because
# `_isolated_env` removes every RELMAN_* variable before a test runs.
POSTGRES_ADMIN_URL = os.environ.get(
    "RELMAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
_postgres_problem: list[str] = []


def _postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used (None when it can); asked once per session."""
    if not _postgres_problem:
        import sqlalchemy as sa

        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            _postgres_problem.append("")
        except Exception as exc:  # any failure to connect means "skip, and say why"
            _postgres_problem.append(str(exc).strip().splitlines()[0])
        finally:
            engine.dispose()
    return _postgres_problem[0] or None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'state' / 'relman.db').as_posix()}"
        return
    problem = _postgres_unreachable()
    if problem:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {problem}")
    import uuid

    import sqlalchemy as sa

    name = f"relman_test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.make_url(POSTGRES_ADMIN_URL).set(database=name)
        yield url.render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
