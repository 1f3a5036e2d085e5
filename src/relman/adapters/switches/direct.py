"""The fallback switch when nginx is not installed: users reach the instance port directly.

There is no proxy, so traffic moves only by restarting the instance in place on the public port
(``DeployTarget.restart_in_place``): requests are refused while it restarts. This switch says
so (``is_zero_downtime`` is False, ``notice`` explains) and refuses what it cannot do: weighted
canaries. The routing it is told about is recorded so ``current()`` survives relman restarts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from relman.adapters import processes as procs
from relman.adapters.switches.nginx_config import validate_routes
from relman.errors import ConfigError
from relman.ports import Route


class DirectSwitch:
    """Implements ``relman.ports.TrafficSwitch`` without a proxy (restart in place)."""

    is_zero_downtime = False

    def __init__(
        self, state_dir: Path | str, *, public_port: int, listen_host: str = "127.0.0.1"
    ) -> None:
        self.state_path = Path(state_dir) / "relman-switch.json"
        self.public_port = public_port
        self.listen_host = listen_host

    @property
    def notice(self) -> str:
        return (
            f"nginx is not installed: traffic to port {self.public_port} moves by restarting the "
            "instance in place, which is NOT zero-downtime (requests fail during the restart)"
        )

    @property
    def public_url(self) -> str:
        return f"http://{self.listen_host}:{self.public_port}"

    def ensure_running(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def apply(self, routes: Sequence[Route]) -> None:
        validate_routes(routes)
        live = [r for r in routes if r.weight > 0]
        if len(live) > 1:
            raise ConfigError(
                "weighted routing (canary) needs nginx; the direct switch sends all traffic "
                "to one instance",
                where="traffic.switch",
            )
        expected = f"{self.listen_host}:{self.public_port}"
        if live and live[0].addr != expected:
            raise ConfigError(
                f"the direct switch can only route to the public address {expected}, "
                f"not {live[0].addr}: restart the instance in place on port {self.public_port}",
                where="traffic.switch",
            )
        self._save(routes=[asdict(r) for r in routes])

    def current(self) -> list[Route]:
        return [Route(**r) for r in self._load().get("routes", [])]

    def enable_maintenance(self, *, retry_after: int = 300) -> None:
        """Recorded only: without a proxy no maintenance page can be served."""
        self._save(maintenance=True, retry_after=retry_after)

    def disable_maintenance(self) -> None:
        self._save(maintenance=False)

    def in_maintenance(self) -> bool:
        return bool(self._load().get("maintenance", False))

    def _load(self) -> dict[str, Any]:
        return procs.read_json(self.state_path) or {}

    def _save(self, **updates: Any) -> None:
        procs.write_json_atomic(self.state_path, {**self._load(), **updates})
