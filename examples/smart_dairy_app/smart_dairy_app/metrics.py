"""Prometheus text exposition (format 0.0.4), hand-written: no client library needed.

Series (prefix ``smart_dairy_``):

- ``http_requests_total{code}``                 requests answered, by status code (not /metrics);
- ``http_request_duration_seconds``             latency histogram (buckets include 3 s and 5 s,
                                                the J-003 §14.2 P95/P99 thresholds);
- ``failed_logins_total``                       failed ``POST /login`` attempts;
- ``sales_orders_created_total``                orders confirmed;
- ``db_connections_in_use`` / ``db_connections_max``;
- ``build_info{version,fault}``                 always 1;
- ``process_cpu_seconds_total``, ``process_resident_memory_bytes``, ``process_start_time_seconds``.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """Thread-safe counters and one histogram, rendered on demand."""

    def __init__(self, *, version: str, fault: str) -> None:
        self.version = version
        self.fault = fault
        self.started = time.time()
        self._lock = threading.Lock()
        self._by_code: dict[int, int] = {}
        self._bucket_counts = [0] * len(BUCKETS)
        self._sum = 0.0
        self._count = 0
        self._failed_logins = 0
        self._orders = 0
        self.db_gauges: Callable[[], tuple[int, int]] = lambda: (0, 0)

    def observe(self, code: int, seconds: float) -> None:
        with self._lock:
            self._by_code[code] = self._by_code.get(code, 0) + 1
            self._sum += seconds
            self._count += 1
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self._bucket_counts[i] += 1

    def count_failed_login(self) -> None:
        with self._lock:
            self._failed_logins += 1

    def count_order(self) -> None:
        with self._lock:
            self._orders += 1

    def render(self) -> str:
        with self._lock:
            by_code = sorted(self._by_code.items())
            buckets = list(self._bucket_counts)
            total, count = self._sum, self._count
            failed, orders = self._failed_logins, self._orders
        in_use, max_conns = self.db_gauges()
        p = "smart_dairy_"
        lines = [
            f"# HELP {p}http_requests_total HTTP requests answered, by status code.",
            f"# TYPE {p}http_requests_total counter",
            *(f'{p}http_requests_total{{code="{code}"}} {n}' for code, n in by_code),
            f"# HELP {p}http_request_duration_seconds Request latency.",
            f"# TYPE {p}http_request_duration_seconds histogram",
            *(
                f'{p}http_request_duration_seconds_bucket{{le="{bound:g}"}} {n}'
                for bound, n in zip(BUCKETS, buckets, strict=True)
            ),
            f'{p}http_request_duration_seconds_bucket{{le="+Inf"}} {count}',
            f"{p}http_request_duration_seconds_sum {total:.6f}",
            f"{p}http_request_duration_seconds_count {count}",
            f"# HELP {p}failed_logins_total Failed login attempts.",
            f"# TYPE {p}failed_logins_total counter",
            f"{p}failed_logins_total {failed}",
            f"# HELP {p}sales_orders_created_total Sales orders confirmed.",
            f"# TYPE {p}sales_orders_created_total counter",
            f"{p}sales_orders_created_total {orders}",
            f"# HELP {p}db_connections_in_use Database connections checked out of the pool.",
            f"# TYPE {p}db_connections_in_use gauge",
            f"{p}db_connections_in_use {in_use}",
            f"# HELP {p}db_connections_max Size of the database connection pool.",
            f"# TYPE {p}db_connections_max gauge",
            f"{p}db_connections_max {max_conns}",
            f"# HELP {p}build_info The running build.",
            f"# TYPE {p}build_info gauge",
            f'{p}build_info{{version="{self.version}",fault="{self.fault}"}} 1',
            *_process_lines(self.started),
        ]
        return "\n".join(lines) + "\n"


def _process_lines(started: float) -> list[str]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = usage.ru_maxrss * 1024
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:  # noqa: PTH123
            rss = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        pass
    return [
        "# TYPE process_cpu_seconds_total counter",
        f"process_cpu_seconds_total {usage.ru_utime + usage.ru_stime:.3f}",
        "# TYPE process_resident_memory_bytes gauge",
        f"process_resident_memory_bytes {rss}",
        "# TYPE process_start_time_seconds gauge",
        f"process_start_time_seconds {started:.3f}",
    ]
