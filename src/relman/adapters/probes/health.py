"""The J-003 §8.5 deployment checks against a running version.

    HTTP health      GET <url> answers 200                                   (kind "http")
    database         connect, run a query; the query answers in < 1 s        (kind "database")
    cache            Redis answers PING with PONG, when configured           (kind "redis")
    integrations     every status URL answers 2xx                            (kind "integration")
    log analysis     no ERROR or CRITICAL line in the version's log          (kind "log")
                     since it started (read from a byte offset / start time)

Each check returns a `CheckResult` and never raises: an outside failure is a failed check whose
``detail`` says what happened. `HealthChecks` runs them all and implements
`relman.ports.HealthProbe`.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from relman.domain.health import (
    DEFAULT_LOG_LEVELS,
    CheckResult,
    HealthReport,
    describe_log_findings,
    scan_log,
)

MAX_LOG_BYTES = 16 * 1024 * 1024  # scan at most the last 16 MiB written since the start


class HealthCheck(Protocol):
    name: str

    def run(self) -> CheckResult: ...


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


class HttpCheck:
    """An HTTP GET that must answer ``expected`` (a status, or ``"2xx"``)."""

    def __init__(
        self,
        url: str,
        *,
        name: str = "http health",
        expected: int | str = 200,
        timeout: float = 5.0,
        kind: str = "http",
    ) -> None:
        self.name, self.url, self.expected, self.timeout, self.kind = (
            name, url, expected, timeout, kind
        )  # fmt: skip

    def run(self) -> CheckResult:
        import httpx

        started = time.perf_counter()
        try:
            with httpx.Client(timeout=self.timeout, trust_env=False) as client:
                response = client.get(self.url)
        except httpx.HTTPError as exc:
            detail = f"GET {self.url}: {type(exc).__name__}: {exc}".rstrip(": ")
            return CheckResult(self.name, False, detail, _elapsed_ms(started), self.kind)
        elapsed = _elapsed_ms(started)
        status = response.status_code
        ok = 200 <= status < 300 if self.expected == "2xx" else status == self.expected
        detail = f"GET {self.url} -> {status} in {elapsed:.0f} ms" + (
            "" if ok else f", expected {self.expected}"
        )
        return CheckResult(self.name, ok, detail, elapsed, self.kind)


def integration_check(name: str, url: str, *, timeout: float = 5.0) -> HttpCheck:
    """An integration's status URL (§8.5 "All integrations responding"): any 2xx."""
    return HttpCheck(
        url, name=f"integration {name}", expected="2xx", timeout=timeout, kind="integration"
    )


class PostgresCheck:
    """Connect to the database and run ``query``; it must answer within ``max_query_ms``."""

    def __init__(
        self,
        dsn: str,
        *,
        name: str = "database",
        query: str = "SELECT 1",
        max_query_ms: float = 1000.0,
        connect_timeout: float = 5.0,
    ) -> None:
        from relman.adapters.backups.postgres import libpq_params, mask_dsn

        self.name, self.query, self.max_query_ms = name, query, max_query_ms
        self._params = libpq_params(dsn)
        self._params["connect_timeout"] = str(max(1, round(connect_timeout)))
        self._where = mask_dsn(dsn)

    def run(self) -> CheckResult:
        import psycopg

        started = time.perf_counter()
        try:
            with psycopg.connect(**self._params, autocommit=True) as conn:  # type: ignore[arg-type]
                connected = _elapsed_ms(started)
                query_started = time.perf_counter()
                conn.execute(self.query).fetchall()
                query_ms = _elapsed_ms(query_started)
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            return CheckResult(
                self.name, False, f"{self._where}: {first}", _elapsed_ms(started), "database"
            )
        ok = query_ms < self.max_query_ms
        detail = f"connected in {connected:.0f} ms, query in {query_ms:.1f} ms" + (
            "" if ok else f" (limit {self.max_query_ms:.0f} ms)"
        )
        return CheckResult(self.name, ok, detail, _elapsed_ms(started), "database")


class RedisCheck:
    """``PING`` -> ``+PONG`` over a plain socket (RESP); AUTH first when the URL has a password."""

    def __init__(
        self, url: str = "redis://127.0.0.1:6379", *, name: str = "redis", timeout: float = 2.0
    ) -> None:
        parts = urlsplit(url if "://" in url else f"redis://{url}")
        self.name, self.timeout = name, timeout
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 6379
        self._password = unquote(parts.password) if parts.password else None
        self._user = unquote(parts.username) if parts.username else None

    def run(self) -> CheckResult:
        started = time.perf_counter()
        where = f"redis://{self.host}:{self.port}"
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                if self._password is not None:
                    args = ["AUTH", *([self._user] if self._user else []), self._password]
                    reply = _redis_call(sock, args)
                    if not reply.startswith("+OK"):
                        return self._result(False, f"{where}: AUTH refused: {reply}", started)
                reply = _redis_call(sock, ["PING"])
        except OSError as exc:
            return self._result(False, f"{where}: {exc.strerror or exc}", started)
        ok = reply.startswith("+PONG")
        detail = (
            f"{where}: PING -> {reply}"
            if not ok
            else f"{where}: PONG in {_elapsed_ms(started):.1f} ms"
        )
        return self._result(ok, detail, started)

    def _result(self, ok: bool, detail: str, started: float) -> CheckResult:
        return CheckResult(self.name, ok, detail, _elapsed_ms(started), "redis")


def _redis_call(sock: socket.socket, args: Sequence[str]) -> str:
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    sock.sendall(payload.encode())
    data = b""
    while not data.endswith(b"\r\n") and len(data) < 4096:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace").strip() or "(connection closed)"


class LogScanCheck:
    """No ERROR/CRITICAL lines in ``path`` from ``start_offset`` on (and at/after ``since``)."""

    def __init__(
        self,
        path: Path,
        *,
        name: str = "error log",
        start_offset: int = 0,
        since: datetime | None = None,
        levels: Sequence[str] = DEFAULT_LOG_LEVELS,
    ) -> None:
        self.name, self.path, self.start_offset, self.since, self.levels = (
            name, Path(path), start_offset, since, tuple(levels)
        )  # fmt: skip

    def run(self) -> CheckResult:
        started = time.perf_counter()
        try:
            text = read_log_since(self.path, self.start_offset)
        except OSError as exc:
            detail = f"cannot read {self.path}: {exc.strerror or exc}"
            return CheckResult(self.name, False, detail, _elapsed_ms(started), "log")
        findings = scan_log(text, since=self.since, levels=self.levels)
        detail = describe_log_findings(findings, source=str(self.path))
        return CheckResult(self.name, not findings, detail, _elapsed_ms(started), "log")


def read_log_since(path: Path, offset: int) -> str:
    """The text written to ``path`` after byte ``offset`` (all of it if the file was rotated
    or truncated below the offset), at most the last `MAX_LOG_BYTES`."""
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        start = offset if 0 <= offset <= size else 0
        capped = start < size - MAX_LOG_BYTES
        if capped:
            start = size - MAX_LOG_BYTES
        fh.seek(start)
        data = fh.read()
    if capped:  # cut inside a line: drop the partial first line
        data = data.split(b"\n", 1)[-1]
    return data.decode("utf-8", "replace")


def log_offset(path: Path) -> int:
    """Where a version's log starts now (its size; 0 when it does not exist yet)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


class HealthChecks:
    """Implements `relman.ports.HealthProbe`: run every check, in order, into one report."""

    def __init__(self, checks: Sequence[HealthCheck]) -> None:
        self.checks = tuple(checks)

    def check(self) -> HealthReport:
        return HealthReport(tuple(_run_safely(check) for check in self.checks))


def _run_safely(check: HealthCheck) -> CheckResult:
    started = time.perf_counter()
    try:
        return check.run()
    except Exception as exc:  # a check never takes the deployment down with it
        return CheckResult(check.name, False, f"{type(exc).__name__}: {exc}", _elapsed_ms(started))


def build_health_checks(
    *,
    base_url: str | None,
    health_path: str = "/health",
    expected_status: int = 200,
    timeout: float = 5.0,
    dsn: str | None = None,
    database_query: str = "SELECT 1",
    database_max_ms: float = 1000.0,
    redis_url: str | None = None,
    integrations: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    log_start_offset: int = 0,
    log_since: datetime | None = None,
    log_levels: Sequence[str] = DEFAULT_LOG_LEVELS,
    extra: Sequence[HealthCheck] = (),
) -> HealthChecks:
    """The §8.5 checks that apply: each one only when its target is known."""
    checks: list[HealthCheck] = []
    if base_url:
        url = base_url.rstrip("/") + "/" + health_path.lstrip("/")
        checks.append(HttpCheck(url, expected=expected_status, timeout=timeout))
    if dsn:
        checks.append(PostgresCheck(dsn, query=database_query, max_query_ms=database_max_ms))
    if redis_url:
        checks.append(RedisCheck(redis_url, timeout=timeout))
    checks.extend(integration_check(n, u, timeout=timeout) for n, u in (integrations or {}).items())
    if log_path is not None:
        checks.append(
            LogScanCheck(
                log_path, start_offset=log_start_offset, since=log_since, levels=log_levels
            )
        )
    checks.extend(extra)
    return HealthChecks(checks)
