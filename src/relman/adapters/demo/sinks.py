"""Local sinks that capture what relman sends during ``relman demo``: mail and webhooks.

`SmtpSink` is a tiny SMTP server (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no
TLS, no auth) on a loopback port. relman's real `SmtpNotifier` delivers to it over a real TCP
connection with ``smtplib``; every message is kept in memory and written to
``<folder>/NNNN.eml`` with one JSON line per message in ``<folder>/index.jsonl``.

Why not aiosmtpd: it is a development dependency only, and the demo runs in the runtime
environment (``make run``). A capture-only server needs about a hundred lines of the standard
library, so the demo adds no runtime dependency for it.

`WebhookSink` is a ``http.server`` receiver for the chat and pager channels (relman's signed
JSON webhooks); each POST is answered 200 and appended to ``<folder>/webhooks.jsonl``.
"""

from __future__ import annotations

import json
import socketserver
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_HOST = "127.0.0.1"
_MAX_LINE = 65_536
_MAX_MESSAGE = 10 * 1024 * 1024


@dataclass(frozen=True)
class CapturedMail:
    """One message as the sink received it."""

    seq: int
    sender: str
    recipients: tuple[str, ...]
    subject: str
    received_at: datetime
    path: Path


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: _SmtpServer
    timeout = 30

    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def _line(self) -> bytes | None:
        raw = self.rfile.readline(_MAX_LINE)
        return raw if raw else None

    def handle(self) -> None:
        self._reply("220 relman-demo-sink ESMTP ready")
        sender, recipients = "", list[str]()
        while (raw := self._line()) is not None:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self._reply("250-relman-demo-sink\r\n250-8BITMIME\r\n250 SMTPUTF8")
            elif verb == "HELO":
                self._reply("250 relman-demo-sink")
            elif verb == "MAIL":
                sender, recipients = _address(arg), []
                self._reply("250 OK")
            elif verb == "RCPT":
                recipients.append(_address(arg))
                self._reply("250 OK")
            elif verb == "DATA":
                if not recipients:
                    self._reply("503 RCPT first")
                    continue
                self._reply("354 end data with <CR><LF>.<CR><LF>")
                data = self._read_data()
                if data is None:
                    return
                seq = self.server.sink.keep(sender, tuple(recipients), data)
                self._reply(f"250 OK queued as {seq}")
                sender, recipients = "", []
            elif verb == "RSET":
                sender, recipients = "", []
                self._reply("250 OK")
            elif verb == "NOOP":
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 command not implemented")

    def _read_data(self) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while (raw := self._line()) is not None:
            if raw in (b".\r\n", b".\n"):
                return b"".join(chunks)
            if raw.startswith(b"."):
                raw = raw[1:]  # dot-unstuffing (RFC 5321 §4.5.2)
            size += len(raw)
            if size > _MAX_MESSAGE:
                return None
            chunks.append(raw)
        return None


def _address(arg: str) -> str:
    """``FROM:<a@b> SIZE=1`` -> ``a@b``."""
    _, _, rest = arg.partition(":")
    rest = rest.strip()
    if rest.startswith("<"):
        return rest[1 : rest.find(">")] if ">" in rest else rest[1:]
    return rest.split(" ", 1)[0]


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        super().__init__((_HOST, 0), _SmtpHandler)


class SmtpSink:
    """Captures mail on ``127.0.0.1:<port>`` (a free port) until `stop`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._mail: list[CapturedMail] = []
        self._server: _SmtpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return _HOST

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the SMTP sink is not running")
        return int(self._server.server_address[1])

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._server = _SmtpServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="relman-demo-smtp-sink",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def keep(self, sender: str, recipients: tuple[str, ...], data: bytes) -> int:
        parsed = message_from_bytes(data, policy=policy.default)
        subject = str(parsed.get("Subject", ""))
        with self._lock:
            seq = len(self._mail) + 1
            path = self.folder / f"{seq:04d}.eml"
            path.write_bytes(data)
            mail = CapturedMail(seq, sender, recipients, subject, datetime.now(UTC), path)
            self._mail.append(mail)
            line = {
                "seq": seq,
                "from": sender,
                "to": list(recipients),
                "subject": subject,
                "received_at": mail.received_at.isoformat(),
                "file": path.name,
            }
            with (self.folder / "index.jsonl").open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        return seq

    def list_mail(self) -> list[CapturedMail]:
        with self._lock:
            return list(self._mail)


class _WebhookHandler(BaseHTTPRequestHandler):
    server: _WebhookServer

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            payload: Any = json.loads(body or b"{}")
        except ValueError:
            payload = {"raw": body.decode("utf-8", "replace")}
        self.server.sink.keep(self.path, dict(self.headers.items()), payload)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


class _WebhookServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sink: WebhookSink) -> None:
        self.sink = sink
        super().__init__((_HOST, 0), _WebhookHandler)


class WebhookSink:
    """Captures webhook POSTs on ``http://127.0.0.1:<port>/<channel>`` until `stop`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._posts: list[dict[str, Any]] = []
        self._server: _WebhookServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, channel: str) -> str:
        if self._server is None:
            raise RuntimeError("the webhook sink is not running")
        return f"http://{_HOST}:{self._server.server_address[1]}/{channel}"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._server = _WebhookServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="relman-demo-webhook-sink",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def keep(self, path: str, headers: dict[str, str], payload: Any) -> None:
        entry = {
            "channel": path.strip("/"),
            "event": headers.get("X-Relman-Event", ""),
            "signed": "X-Relman-Signature" in headers,
            "received_at": datetime.now(UTC).isoformat(),
            "payload": payload,
        }
        with self._lock:
            self._posts.append(entry)
            with (self.folder / "webhooks.jsonl").open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")

    def list_posts(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._posts)
