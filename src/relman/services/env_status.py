"""``relman env status``: per environment and component, what runs, since when, deployed by
whom, and its health (J-003 §6.1-6.2).

The recorded state comes from the store (the last successful deployment of each component);
with ``probe`` the environment's public URL is asked for its health as well (bounded time),
and the live instances of a local target are listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from relman.domain.deployment_records import Deployment, EnvComponentState, EnvLock
from relman.errors import RelmanError
from relman.services.deploy_runtime import Deployments
from relman.services.lifecycle import read

if TYPE_CHECKING:
    from relman.ports import UnitOfWork


@dataclass(frozen=True)
class LiveInstance:
    slot: str
    version: str
    addr: str
    alive: bool
    weight: int


@dataclass(frozen=True)
class EnvironmentStatus:
    environment: str
    components: list[EnvComponentState]
    last_deployment: Deployment | None
    interrupted: Deployment | None
    lock: EnvLock | None
    public_url: str | None = None
    health: str = "unknown"  # ok | failed | unknown (live probe)
    health_detail: str = ""
    instances: list[LiveInstance] = field(default_factory=list)
    notice: str | None = None

    def to_dict(self) -> dict[str, object]:
        def dep(d: Deployment | None) -> dict[str, object] | None:
            if d is None:
                return None
            return {
                "id": d.id, "release": d.release_id, "version": d.version,
                "status": d.status.value, "strategy": d.strategy, "actor": d.actor,
                "finished_at": d.finished_at.isoformat() if d.finished_at else None,
            }  # fmt: skip

        return {
            "environment": self.environment,
            "public_url": self.public_url,
            "health": self.health,
            "health_detail": self.health_detail,
            "components": [
                {
                    "component": c.component,
                    "version": c.version,
                    "release": c.release_id,
                    "deployment": c.deployment_id,
                    "digest": c.digest,
                    "deployed_at": c.deployed_at.isoformat(),
                    "deployed_by": c.deployed_by,
                    "health": c.health,
                }
                for c in self.components
            ],
            "last_deployment": dep(self.last_deployment),
            "interrupted": dep(self.interrupted),
            "lock": None
            if self.lock is None
            else {
                "holder": self.lock.holder,
                "deployment": self.lock.deployment_id,
                "expires_at": self.lock.expires_at.isoformat(),
            },
            "instances": [i.__dict__ for i in self.instances],
            "notice": self.notice,
        }


def get_environment_status(
    ctx: Deployments, *, environment: str | None = None, probe: bool = True
) -> list[EnvironmentStatus]:
    """Every environment in promotion order (or one), with a live health probe when asked."""
    names = list(ctx.path.order) if environment is None else [ctx.path.get(environment)]

    def work(uow: UnitOfWork) -> list[EnvironmentStatus]:
        out = []
        for name in names:
            deployments = [
                d for d in uow.deployments.list(environment=name) if d.status.value != "dry_run"
            ]
            open_ = [d for d in deployments if d.status.is_open]
            out.append(
                EnvironmentStatus(
                    environment=name,
                    components=list(uow.env_state.list(environment=name)),
                    last_deployment=deployments[-1] if deployments else None,
                    interrupted=open_[-1] if open_ else None,
                    lock=uow.env_locks.find(name),
                )
            )
        return out

    statuses = read(ctx.uow_factory, work)
    if not probe:
        return statuses
    return [_probe(ctx, s) for s in statuses]


def _probe(ctx: Deployments, status: EnvironmentStatus) -> EnvironmentStatus:
    from dataclasses import replace

    try:
        runtime = ctx.runtime(status.environment)
    except RelmanError as exc:
        return replace(status, health="unknown", health_detail=exc.message)
    instances: list[LiveInstance] = []
    try:
        layout = runtime.read_layout()
        instances = [
            LiveInstance(s.slot, s.version, s.addr, s.alive, s.weight) for s in layout.slots
        ]
    except RelmanError:
        instances = []
    health, detail = "unknown", "no public URL"
    if runtime.public_url and runtime.open_health is not None and status.components:
        try:
            report = runtime.open_health(runtime.public_url, None, 0).check()
            health, detail = ("ok" if report.ok else "failed"), report.summary()
        except RelmanError as exc:
            health, detail = "failed", exc.message
    elif not status.components:
        detail = "nothing deployed"
    return replace(
        status,
        public_url=runtime.public_url,
        health=health,
        health_detail=detail,
        instances=instances,
        notice=runtime.notice,
    )


def describe_age(at: datetime, now: datetime) -> str:
    seconds = int((now - at).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{max(seconds, 0)}s ago"
