"""Real local servers and databases for the verification tests (backups, probes, smoke, metrics).

- `FakeApp`: a stdlib HTTP server on a free loopback port, in a thread, serving what the sample
  app serves (/health, /metrics, /login, /dashboard, /sales-orders, /inventory) plus integration
  status URLs and a Prometheus-like ``/api/v1/query``. Its behaviour is set by attributes.
- `scratch_database`: a fresh PostgreSQL database ``relman_t_<uuid8>``, dropped afterwards.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


class FakeApp:
    """Controllable behaviour; counters are rendered in the sample app's metric names."""

    def __init__(self) -> None:
        self.health_status = 200
        self.delay = 0.0  # seconds added to business endpoints
        self.order_status = "confirmed"
        self.counts: dict[str, int] = {"200": 0, "500": 0}
        self.buckets: dict[str, int] = {"0.5": 0, "1": 0, "3": 0, "5": 0, "10": 0, "+Inf": 0}
        self.failed_logins = 0
        self.integrations: dict[str, int] = {"payment": 200, "sms": 204}
        self.prometheus: Callable[[dict[str, list[str]]], tuple[int, Any]] | None = None
        self.queries: list[dict[str, list[str]]] = []
        self.requests = 0

    def record(self, *, ok: int = 0, errors: int = 0, seconds: float = 0.1) -> None:
        """Pretend ``ok`` + ``errors`` requests were answered, each taking ``seconds``."""
        self.counts["200"] += ok
        self.counts["500"] += errors
        for le in self.buckets:
            if le == "+Inf" or seconds <= float(le):
                self.buckets[le] += ok + errors

    def metrics_text(self) -> str:
        p = "smart_dairy_"
        lines = [f"# TYPE {p}http_requests_total counter"]
        lines += [f'{p}http_requests_total{{code="{c}"}} {n}' for c, n in self.counts.items()]
        lines += [f"# TYPE {p}http_request_duration_seconds histogram"]
        lines += [
            f'{p}http_request_duration_seconds_bucket{{le="{le}"}} {n}'
            for le, n in self.buckets.items()
        ]
        lines += [f"{p}failed_logins_total {self.failed_logins}"]
        return "\n".join(lines) + "\n"


def _handler(app: FakeApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, code: int, body: Any, ctype: str = "application/json") -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return json.loads(raw) if raw else None

        def do_GET(self) -> None:
            app.requests += 1
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if url.path == "/health":
                self._send(app.health_status, {"status": "ok"})
            elif url.path == "/metrics":
                self._send(200, app.metrics_text(), "text/plain; version=0.0.4")
            elif url.path == "/dashboard":
                time.sleep(app.delay)
                self._send(200, {"orders_today": 3, "version": "1.2.0"})
            elif url.path == "/inventory":
                time.sleep(app.delay)
                product = (query.get("product") or ["milk"])[0]
                self._send(200, {"product": product, "quantity": "1250.00"})
            elif url.path.startswith("/status/"):
                code = app.integrations.get(url.path.removeprefix("/status/"), 404)
                self._send(code, {})
            elif url.path == "/api/v1/query" and app.prometheus is not None:
                app.queries.append(query)
                self._send(*app.prometheus(query))
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            app.requests += 1
            body = self._body() or {}
            if self.path == "/login":
                if body.get("username") == "demo" and body.get("password") == "demo":
                    self._send(200, {"authenticated": True, "token": "demo.abc"})
                else:
                    app.failed_logins += 1
                    self._send(401, {"authenticated": False})
            elif self.path == "/sales-orders":
                time.sleep(app.delay)
                self._send(201, {"id": 1, "status": app.order_status, **body})
            else:
                self._send(404, {"error": "not found"})

    return Handler


@contextmanager
def serve_fake_app() -> Iterator[tuple[FakeApp, str]]:
    """Run a `FakeApp` on 127.0.0.1:<free port>; yields it and its base URL; always stopped."""
    app = FakeApp()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(app))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a port bound and released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- PostgreSQL -------------------------------------------------------------------------------

_pg_problem: list[str] = []


def postgres_problem() -> str | None:
    if not _pg_problem:
        import psycopg

        try:
            with psycopg.connect(ADMIN_DSN, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            _pg_problem.append("")
        except psycopg.Error as exc:
            _pg_problem.append(str(exc).strip().splitlines()[0])
    return _pg_problem[0] or None


@contextmanager
def scratch_database(setup_sql: str = "") -> Iterator[str]:
    """A new database with ``setup_sql`` run in it; yields its DSN; dropped afterwards."""
    import psycopg

    problem = postgres_problem()
    if problem:
        pytest.skip(f"PostgreSQL unreachable at {ADMIN_DSN}: {problem}")
    name = f"relman_t_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        if setup_sql:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(setup_sql)  # type: ignore[arg-type]
        yield dsn
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def list_databases(prefix: str) -> set[str]:
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)
        ).fetchall()
    return {str(r[0]) for r in rows}


def query_one(dsn: str, sql: str) -> Any:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
    return row[0] if row else None
