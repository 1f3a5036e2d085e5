"""`TrafficGenerator`: steady user traffic on an environment's public URL during the demo.

Production has users. While the demo switches blue to green, and while a canary takes its share,
two threads play them: the §14.1 critical paths (inventory query, dashboard, sales order) at a
bounded pace, each on a fresh connection. The tally says what the users saw: how many requests,
and every one that failed (a 5xx, or no answer at all). A canary's analysis needs this traffic:
a version that nobody calls shows no error rate.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_PATHS = (
    ("GET", "/inventory?product=milk", None),
    ("GET", "/dashboard", None),
    ("POST", "/sales-orders", {"customer": "Demo Traffic", "product": "milk", "quantity": 1}),
)


@dataclass
class TrafficTally:
    requests: int = 0
    failed: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "failed": self.failed,
            "by_status": dict(sorted(self.by_status.items())),
            "seconds": round(self.seconds, 1),
        }


class TrafficGenerator:
    """Calls ``base_url`` from ``threads`` threads, each at most ``rate`` requests a second."""

    def __init__(self, base_url: str, *, threads: int = 2, rate: float = 40.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.threads = threads
        self.interval = 1.0 / rate
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._tally = TrafficTally()
        self._workers: list[threading.Thread] = []
        self._started = 0.0

    def start(self) -> None:
        self._stop.clear()
        self._started = time.monotonic()
        for n in range(self.threads):
            worker = threading.Thread(
                target=self._loop, args=(n,), name=f"relman-demo-traffic-{n}", daemon=True
            )
            worker.start()
            self._workers.append(worker)

    def stop(self) -> TrafficTally:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=5)
        self._workers.clear()
        with self._lock:
            self._tally.seconds = time.monotonic() - self._started
            return self._tally

    def _loop(self, offset: int) -> None:
        n = offset
        while not self._stop.is_set():
            began = time.monotonic()
            method, path, body = _PATHS[n % len(_PATHS)]
            n += 1
            status = self._call(method, path, body)
            with self._lock:
                self._tally.requests += 1
                self._tally.by_status[status] += 1
                if not status.isdigit() or int(status) >= 500:
                    self._tally.failed += 1
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - began)))

    def _call(self, method: str, path: str, body: object) -> str:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload else {}
            conn.request(method, path, body=payload, headers=headers)
            resp = conn.getresponse()
            resp.read()
            return str(resp.status)
        except (OSError, http.client.HTTPException) as exc:
            return type(exc).__name__
        finally:
            conn.close()
