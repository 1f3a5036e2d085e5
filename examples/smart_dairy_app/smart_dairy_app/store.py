"""Where the business data lives: PostgreSQL (psycopg 3, a small pool) or memory (``--no-db``)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

DEMO_STOCK = {
    "milk": ("Fresh Milk", "L", Decimal("1250.00")),
    "yogurt": ("Sweet Yogurt", "kg", Decimal("300.00")),
    "ghee": ("Pure Ghee", "kg", Decimal("80.00")),
    "butter": ("Butter", "kg", Decimal("120.00")),
}


class StoreError(Exception):
    """The database failed (connection, query)."""


class UnknownProductError(StoreError):
    pass


class Store(Protocol):
    kind: str

    def ping(self) -> float:
        """Run a trivial query; its latency in seconds. StoreError if it fails."""
        ...

    def create_sales_order(
        self, customer: str, product: str, quantity: Decimal
    ) -> dict[str, Any]: ...

    def list_stock(self, product: str | None) -> list[dict[str, Any]]: ...

    def summarize(self) -> dict[str, Any]: ...

    def gauges(self) -> tuple[int, int]:
        """(connections in use, pool size)."""
        ...

    def close(self) -> None: ...


class MemoryStore:
    """The ``--no-db`` store: demo stock and orders in memory."""

    kind = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: list[dict[str, Any]] = []

    def ping(self) -> float:
        return 0.0

    def create_sales_order(self, customer: str, product: str, quantity: Decimal) -> dict[str, Any]:
        if product not in DEMO_STOCK:
            raise UnknownProductError(product)
        with self._lock:
            order = {
                "id": len(self._orders) + 1,
                "customer": customer,
                "product": product,
                "quantity": str(quantity),
                "status": "confirmed",
                "created_at": datetime.now(UTC).isoformat(),
            }
            self._orders.append(order)
        return order

    def list_stock(self, product: str | None) -> list[dict[str, Any]]:
        codes = [product] if product else sorted(DEMO_STOCK)
        out = []
        for code in codes:
            if code not in DEMO_STOCK:
                raise UnknownProductError(code)
            name, uom, qty = DEMO_STOCK[code]
            out.append({"product": code, "name": name, "quantity": str(qty), "uom": uom})
        return out

    def summarize(self) -> dict[str, Any]:
        with self._lock:
            orders = len(self._orders)
        return {"orders_today": orders, "products": len(DEMO_STOCK), "database_version": None}

    def gauges(self) -> tuple[int, int]:
        return (0, 0)

    def close(self) -> None:
        return None


class PgStore:
    """PostgreSQL through a small LIFO pool of autocommit connections."""

    kind = "postgresql"

    def __init__(self, dsn: str, *, size: int = 8, timeout: float = 5.0) -> None:
        import psycopg

        self._psycopg = psycopg
        self._dsn = dsn
        self._size = size
        self._timeout = timeout
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._created = 0
        self._in_use = 0

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        conn = self._checkout()
        broken = False
        try:
            yield conn
        except self._psycopg.Error as exc:
            broken = conn.closed or isinstance(exc, self._psycopg.OperationalError)
            raise StoreError(str(exc).strip().splitlines()[0]) from exc
        finally:
            with self._lock:
                self._in_use -= 1
                if broken:
                    self._created -= 1
            if broken:
                conn.close()
            else:
                self._idle.put(conn)

    def _checkout(self) -> Any:
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                grow = self._created < self._size
                if grow:
                    self._created += 1
            if grow:
                try:
                    conn = self._psycopg.connect(self._dsn, autocommit=True, connect_timeout=3)
                except self._psycopg.Error as exc:
                    with self._lock:
                        self._created -= 1
                    raise StoreError(str(exc).strip().splitlines()[0]) from exc
            else:
                try:
                    conn = self._idle.get(timeout=self._timeout)
                except queue.Empty:
                    raise StoreError("database pool exhausted") from None
        with self._lock:
            self._in_use += 1
        return conn

    def ping(self) -> float:
        start = time.perf_counter()
        with self._connection() as conn:
            conn.execute("SELECT 1").fetchone()
        return time.perf_counter() - start

    def create_sales_order(self, customer: str, product: str, quantity: Decimal) -> dict[str, Any]:
        with self._connection() as conn:
            row = conn.execute(
                "INSERT INTO sale_order (customer, product_id, quantity, status)"
                " SELECT %s, id, %s, 'confirmed' FROM product WHERE code = %s"
                " RETURNING id, status, created_at",
                (customer, quantity, product),
            ).fetchone()
        if row is None:
            raise UnknownProductError(product)
        return {
            "id": row[0],
            "customer": customer,
            "product": product,
            "quantity": str(quantity),
            "status": row[1],
            "created_at": row[2].isoformat(),
        }

    def list_stock(self, product: str | None) -> list[dict[str, Any]]:
        sql = (
            "SELECT p.code, p.name, q.quantity, p.uom FROM product p"
            " JOIN stock_quant q ON q.product_id = p.id"
        )
        with self._connection() as conn:
            if product:
                rows = conn.execute(sql + " WHERE p.code = %s", (product,)).fetchall()
            else:
                rows = conn.execute(sql + " ORDER BY p.code").fetchall()
        if product and not rows:
            raise UnknownProductError(product)
        return [{"product": r[0], "name": r[1], "quantity": str(r[2]), "uom": r[3]} for r in rows]

    def summarize(self) -> dict[str, Any]:
        with self._connection() as conn:
            orders = conn.execute(
                "SELECT count(*) FROM sale_order WHERE created_at >= date_trunc('day', now())"
            ).fetchone()
            products = conn.execute("SELECT count(*) FROM product").fetchone()
            version = conn.execute(
                "SELECT value FROM ir_config_parameter WHERE key = 'database.version'"
            ).fetchone()
        return {
            "orders_today": orders[0] if orders else 0,
            "products": products[0] if products else 0,
            "database_version": version[0] if version else None,
        }

    def gauges(self) -> tuple[int, int]:
        with self._lock:
            return (self._in_use, self._size)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
