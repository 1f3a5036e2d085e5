"""Real local servers for notification tests: an SMTP server (aiosmtpd) that records every
message, optionally with STARTTLS and AUTH on a self-signed certificate made with the openssl
CLI, and an HTTP receiver (stdlib http.server in a thread) that records webhook posts.

Both bind 127.0.0.1 on a free port, can be started late on a port chosen early (an outage,
then recovery), and are stopped by their fixtures' finalizers. The SMTP server can also be up
and refuse every message with a transient reply (``refuse("451 ...")``), then accept again.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

SMTP_USER = "relman"
SMTP_PASSWORD = "pa55-word-from-env"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Cert:
    cert: Path
    key: Path


def make_self_signed_cert(folder: Path) -> Cert:
    """A throwaway certificate for 127.0.0.1 / localhost (openssl CLI, 1 day)."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return Cert(cert=cert, key=key)


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    tls: bool
    login: str | None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return str(self.message.get_content())


class _Recorder:
    def __init__(self) -> None:
        self.mails: list[ReceivedMail] = []
        self.refusals: list[list[str]] = []  # recipients of each message refused
        self.refusal: str | None = None  # the reply to DATA while refusing
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refusal is not None:
                self.refusals.append(list(envelope.rcpt_tos))
                return self.refusal
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        login = session.auth_data.login.decode() if session.auth_data else None
        with self.lock:
            self.mails.append(
                ReceivedMail(
                    sender=envelope.mail_from,
                    recipients=list(envelope.rcpt_tos),
                    message=parsed,  # type: ignore[arg-type]
                    tls=session.ssl is not None,
                    login=login,
                )
            )
        return "250 OK"


class SmtpServer:
    """aiosmtpd on 127.0.0.1:``port``; with ``cert``: STARTTLS required and AUTH required."""

    def __init__(self, port: int, cert: Cert | None = None) -> None:
        self.port = port
        self.cert = cert
        self.recorder = _Recorder()
        self._controller: Any = None

    @property
    def mails(self) -> list[ReceivedMail]:
        with self.recorder.lock:
            return list(self.recorder.mails)

    @property
    def refusals(self) -> list[list[str]]:
        with self.recorder.lock:
            return list(self.recorder.refusals)

    def refuse(self, reply: str | None) -> None:
        """Answer every message's DATA with ``reply`` (e.g. ``"451 4.3.0 try later"``), or
        accept again (None). Refused messages are counted in `refusals`, not in `mails`."""
        with self.recorder.lock:
            self.recorder.refusal = reply

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        kwargs: dict[str, Any] = {}
        if self.cert is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.cert.cert), str(self.cert.key))

            def authenticate(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                ok = (
                    isinstance(data, LoginPassword)
                    and data.login == SMTP_USER.encode()
                    and data.password == SMTP_PASSWORD.encode()
                )
                return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

            kwargs = {
                "tls_context": context,
                "require_starttls": True,
                "auth_required": True,
                "auth_require_tls": True,
                "authenticator": authenticate,
            }
        self._controller = Controller(
            self.recorder, hostname="127.0.0.1", port=self.port, ready_timeout=10, **kwargs
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records POSTs; answers ``status`` (200 by default)."""

    port: int
    status: int = 200
    posts: list[Post] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.posts.append(Post(self.path, dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def posts_to(self, path: str) -> list[Post]:
        return [p for p in self.posts if p.path == path]


@pytest.fixture
def tls_cert(tmp_path: Path) -> Cert:
    return make_self_signed_cert(tmp_path / "tls")


@pytest.fixture
def smtp_tls(tls_cert: Cert) -> Iterator[SmtpServer]:
    """A running SMTP server that requires STARTTLS and AUTH."""
    server = SmtpServer(free_port(), tls_cert).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_later() -> Iterator[SmtpServer]:
    """A plain SMTP server that is NOT running yet (call ``start()``): an outage first."""
    server = SmtpServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver(free_port()).start()
    yield server
    server.stop()
