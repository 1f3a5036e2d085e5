"""The HTTP service: health, the J-003 §14.1 critical paths and Prometheus metrics.

Routes: ``GET /health``, ``GET /metrics``, ``POST /login``, ``GET /dashboard``,
``POST /sales-orders``, ``GET /inventory?product=milk``. Every response carries
``X-App-Version``. On SIGTERM the server stops accepting, finishes the requests in flight,
closes idle keep-alive connections and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from smart_dairy_app import read_release_file, read_version
from smart_dairy_app.faults import ErrorInjector, Faults
from smart_dairy_app.metrics import CONTENT_TYPE, Metrics
from smart_dairy_app.store import MemoryStore, PgStore, Store, StoreError, UnknownProductError

DEMO_USER, DEMO_PASSWORD = "demo", "demo"
_SECRET = b"smart-dairy-demo-secret"
log = logging.getLogger("smart_dairy_app")


class App:
    """Everything a request handler needs; one per process."""

    def __init__(self, *, version: str, faults: Faults, store: Store) -> None:
        self.version = version
        self.faults = faults
        self.store = store
        self.metrics = Metrics(version=version, fault=faults.describe())
        self.metrics.db_gauges = store.gauges
        self.injector = ErrorInjector(faults.error_fraction)
        self.draining = threading.Event()
        self._conns: dict[int, tuple[socket.socket, list[bool]]] = {}
        self._conns_lock = threading.Lock()

    def track(self, handler: Handler, busy: list[bool]) -> None:
        with self._conns_lock:
            self._conns[id(handler)] = (handler.connection, busy)

    def untrack(self, handler: Handler) -> None:
        with self._conns_lock:
            self._conns.pop(id(handler), None)

    def drain(self, timeout: float) -> int:
        """Close idle connections, wait for busy ones; return how many were still busy."""
        self.draining.set()
        deadline = time.monotonic() + timeout
        while True:
            with self._conns_lock:
                conns = list(self._conns.values())
            busy = 0
            for sock, flag in conns:
                if flag[0]:
                    busy += 1
                    continue
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            if busy == 0 or time.monotonic() >= deadline:
                return busy
            time.sleep(0.05)


def make_token(user: str) -> str:
    return user + "." + hmac.new(_SECRET, user.encode(), hashlib.sha256).hexdigest()[:32]


def check_token(token: str) -> str | None:
    user, _, _sig = token.partition(".")
    return user if user and hmac.compare_digest(make_token(user), token) else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SmartDairy"
    timeout = 30  # idle keep-alive connections close after this (nginx keepalive_timeout is less)
    disable_nagle_algorithm = True  # small answers: no 40 ms Nagle/delayed-ACK stall
    server: Server

    def setup(self) -> None:
        super().setup()
        self._busy = [False]
        self.server.app.track(self, self._busy)

    def finish(self) -> None:
        self.server.app.untrack(self)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return None  # no access log: 5xx answers are logged as ERROR lines instead

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        self._busy[0] = True
        start = time.perf_counter()
        app = self.server.app
        url = urlsplit(self.path)
        code = 500
        try:
            code, body, ctype, headers = self._route(app, method, url.path, parse_qs(url.query))
        except Exception as exc:  # the service must answer, whatever happens
            log.exception("unhandled error on %s %s", method, url.path)
            code, body, ctype, headers = 500, _json({"error": str(exc)}), "application/json", {}
        if app.draining.is_set():
            self.close_connection = True
        self._send(code, body, ctype, headers)
        if code >= 500:
            log.error("%s %s answered %d", method, url.path, code)
        if url.path != "/metrics":
            app.metrics.observe(code, time.perf_counter() - start)
        self._busy[0] = False

    def _send(self, code: int, body: bytes, ctype: str, headers: dict[str, str]) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-App-Version", self.server.app.version)
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _read_json(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _route(
        self, app: App, method: str, path: str, query: dict[str, list[str]]
    ) -> tuple[int, bytes, str, dict[str, str]]:
        if path == "/health" and method == "GET":
            return (*_health(app), "application/json", {})
        if path == "/metrics" and method == "GET":
            return 200, app.metrics.render().encode(), CONTENT_TYPE, {}
        routes: dict[tuple[str, str], Callable[[], tuple[int, dict[str, Any]]]] = {
            ("POST", "/login"): self._login,
            ("GET", "/dashboard"): self._dashboard,
            ("POST", "/sales-orders"): self._sales_order,
            ("GET", "/inventory"): lambda: _inventory(app, query),
        }
        handler = routes.get((method, path))
        if handler is None:
            known = any(p == path for _, p in routes)
            return (405 if known else 404), _json({"error": "not found"}), "application/json", {}
        if app.faults.slow_seconds:
            time.sleep(app.faults.slow_seconds)
        if app.injector.should_fail():
            log.error(
                "injected fault: 500 on %s %s (fault %s)", method, path, app.faults.describe()
            )
            return 500, _json({"error": "injected fault"}), "application/json", {}
        try:
            code, payload = handler()
        except UnknownProductError as exc:
            code, payload = 404, {"error": f"unknown product {exc}"}
        except StoreError as exc:
            log.error("database error on %s %s: %s", method, path, exc)
            code, payload = 503, {"error": f"database: {exc}"}
        return code, _json(payload), "application/json", {}

    def _login(self) -> tuple[int, dict[str, Any]]:
        data = self._read_json() or {}
        user, password = str(data.get("username", "")), str(data.get("password", ""))
        if user == DEMO_USER and hmac.compare_digest(password, DEMO_PASSWORD):
            return 200, {"user": user, "token": make_token(user), "authenticated": True}
        self.server.app.metrics.count_failed_login()
        log.warning("failed login for %r", user)
        return 401, {"error": "invalid username or password", "authenticated": False}

    def _dashboard(self) -> tuple[int, dict[str, Any]]:
        auth = self.headers.get("Authorization", "")
        user = check_token(auth[7:]) if auth.startswith("Bearer ") else None
        summary = self.server.app.store.summarize()
        return 200, {"user": user, "version": self.server.app.version, **summary}

    def _sales_order(self) -> tuple[int, dict[str, Any]]:
        data = self._read_json()
        if data is None:
            return 400, {"error": "body must be a JSON object"}
        try:
            quantity = Decimal(str(data.get("quantity", "1")))
        except InvalidOperation:
            return 400, {"error": "quantity must be a number"}
        if not quantity.is_finite() or quantity <= 0:
            return 400, {"error": "quantity must be > 0"}
        customer = str(data.get("customer") or "Walk-in Customer")
        order = self.server.app.store.create_sales_order(
            customer, str(data.get("product", "milk")), quantity
        )
        self.server.app.metrics.count_order()
        return 201, order


def _health(app: App) -> tuple[int, bytes]:
    body: dict[str, Any] = {"status": "ok", "version": app.version, "db": app.store.kind}
    code = 200
    if app.store.kind == "memory":
        body["db"] = "disabled"
    else:
        try:
            body["db_latency_ms"] = round(app.store.ping() * 1000, 2)
            body["db"] = "ok"
        except StoreError as exc:
            body["status"], body["db"], code = "error", f"error: {exc}", 503
    if app.faults.never_healthy:
        body["status"], body["reason"], code = "unhealthy", "fault: never-healthy", 503
    body["pid"] = os.getpid()
    return code, _json(body)


def _inventory(app: App, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
    values = query.get("product")
    product = values[0] if values else None
    stock = app.store.list_stock(product)
    return 200, ({**stock[0], "version": app.version} if product else {"stock": stock})


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, default=str).encode()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        super().__init__(address, Handler)


class _UtcFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def configure_logging(log_file: str | None) -> None:
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(_UtcFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="smart_dairy_app", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("SMART_DAIRY_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--dsn", default=os.environ.get("SMART_DAIRY_DSN"))
    parser.add_argument(
        "--no-db", action="store_true", default=os.environ.get("SMART_DAIRY_NO_DB") == "1"
    )
    parser.add_argument("--log-file", default=os.environ.get("SMART_DAIRY_LOG_FILE"))
    parser.add_argument("--drain-timeout", type=float, default=10.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_file)
    version = read_version()
    try:
        faults = Faults.parse(read_release_file("FAULT"))
    except ValueError as exc:
        log.error("bad FAULT file: %s", exc)
        return 2
    if faults.crash_on_start:
        log.error("fault crash-on-start: version %s refuses to start", version)
        return 1
    if not args.no_db and not args.dsn:
        log.error("no database configured: pass --dsn DSN (or SMART_DAIRY_DSN) or --no-db")
        return 2
    store: Store = MemoryStore() if args.no_db else PgStore(args.dsn)
    app = App(version=version, faults=faults, store=store)
    try:
        server = Server((args.host, args.port), app)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", args.host, args.port, exc)
        return 1
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    log.info(
        "smart-dairy-app %s listening on %s:%d (db=%s, fault=%s, pid=%d)",
        version, args.host, args.port, store.kind, faults.describe() or "none", os.getpid(),
    )  # fmt: skip
    while not stop.wait(0.5):
        pass
    log.info("stopping: draining requests")
    server.shutdown()
    server.server_close()
    busy = app.drain(args.drain_timeout)
    store.close()
    log.info("stopped (%d requests cut at the drain timeout)", busy)
    thread.join(timeout=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
