"""Readings of the local target host and its database, as synthetic Prometheus samples.

    relman_host_cpu_jiffies_total{mode="idle"|"all"}   /proc/stat (idle includes iowait)
    relman_host_memory_bytes{state="total"|"available"} /proc/meminfo
    relman_host_disk_bytes{state="total"|"used"}        shutil.disk_usage(path)
    relman_db_connections{state="used"|"max"}           pg_stat_activity, max_connections

`relman.domain.monitoring` turns two snapshots of them into CPU, memory, disk and database
connection percentages. A reading that is not available (no /proc, no database) is left out.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from relman.domain.monitoring import DB_CONNECTIONS, HOST_CPU, HOST_DISK, HOST_MEMORY
from relman.domain.prometheus import Sample
from relman.errors import IntegrationError

PROC = Path("/proc")


def read_host_samples(disk_path: str = "/", *, proc: Path = PROC) -> list[Sample]:
    samples = _cpu(proc) + _memory(proc)
    try:
        usage = shutil.disk_usage(disk_path)
    except OSError:
        return samples
    return [
        *samples,
        Sample(HOST_DISK, (("state", "total"),), float(usage.total)),
        Sample(HOST_DISK, (("state", "used"),), float(usage.used)),
    ]


def _cpu(proc: Path) -> list[Sample]:
    try:
        first = (proc / "stat").read_text(encoding="ascii").splitlines()[0].split()
    except (OSError, IndexError):
        return []
    if not first or first[0] != "cpu":
        return []
    # user nice system idle iowait irq softirq steal (guest time is already in user)
    values = [float(v) for v in first[1:9]]
    idle = values[3] + (values[4] if len(values) > 4 else 0.0)
    return [
        Sample(HOST_CPU, (("mode", "all"),), sum(values)),
        Sample(HOST_CPU, (("mode", "idle"),), idle),
    ]


def _memory(proc: Path) -> list[Sample]:
    try:
        lines = (proc / "meminfo").read_text(encoding="ascii").splitlines()
    except OSError:
        return []
    fields = {}
    for line in lines:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts:
            fields[name] = float(parts[0]) * (1024.0 if parts[1:] == ["kB"] else 1.0)
    if "MemTotal" not in fields or "MemAvailable" not in fields:
        return []
    return [
        Sample(HOST_MEMORY, (("state", "total"),), fields["MemTotal"]),
        Sample(HOST_MEMORY, (("state", "available"),), fields["MemAvailable"]),
    ]


def read_db_connection_samples(dsn: str, *, timeout: float = 5.0) -> list[Sample]:
    """Client connections in use and ``max_connections``; IntegrationError when unreachable."""
    import psycopg

    from relman.adapters.backups.postgres import libpq_params, mask_dsn

    params = libpq_params(dsn)
    params["connect_timeout"] = str(max(1, round(timeout)))
    try:
        with psycopg.connect(**params, autocommit=True) as conn:  # type: ignore[arg-type]
            used_row = conn.execute(
                "SELECT count(*) FROM pg_catalog.pg_stat_activity "
                "WHERE backend_type = 'client backend'"
            ).fetchone()
            max_row = conn.execute("SHOW max_connections").fetchone()
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise IntegrationError(
            f"cannot read database connections: {first}", where=mask_dsn(dsn)
        ) from None
    used = float(used_row[0]) if used_row else 0.0
    limit = float(max_row[0]) if max_row else 0.0
    return [
        Sample(DB_CONNECTIONS, (("state", "used"),), used),
        Sample(DB_CONNECTIONS, (("state", "max"),), limit),
    ]
