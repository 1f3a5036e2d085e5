"""What the deployment use cases need, wired by `relman.bootstrap` (``services.deployments``).

`Deployments` is the context of every deployment use case (deploy, promote, resume, rollback,
env status): the store, the policies, the promotion path and one `EnvironmentRuntime` per
environment, opened lazily. A runtime holds the environment's ports (target, switch or command
steps) and factories for what depends on the deployment (backups, migrations, smoke tests,
health checks, metrics), so services never build adapters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from relman.domain.layouts import Layout, SlotState

if TYPE_CHECKING:
    from relman.domain.compatibility import CompatibilityMatrix
    from relman.domain.deployment_records import EnvLock
    from relman.domain.monitoring import Threshold
    from relman.domain.policy import ReleasePolicy
    from relman.domain.promotion import PromotionPath
    from relman.domain.rollback import Severity
    from relman.domain.windows import WindowDecision
    from relman.ports import (
        ArtifactStore,
        Clock,
        CommandSteps,
        DatabaseBackup,
        DeployTarget,
        HealthProbe,
        Instance,
        MetricsSource,
        MigrationRunner,
        SmokeSuite,
        TrafficSwitch,
        UnitOfWork,
        UnitOfWorkFactory,
    )
    from relman.services.notifications import Notifications


@dataclass(frozen=True)
class Monitoring:
    """How verification judges a deployment (``[verification]`` + ``[thresholds]``)."""

    thresholds: tuple[Threshold, ...]
    interval_seconds: float
    observation_seconds: float
    severity_map: Mapping[str, Severity]
    quick_fix_limit: timedelta
    automatic_rollback: bool = True
    smoke_severities: Mapping[str, str] = field(default_factory=dict)  # smoke check -> severity
    backup_environments: tuple[str, ...] = ("staging", "prod")


@dataclass
class EnvironmentRuntime:
    """The ports of one environment and the factories of what depends on a deployment."""

    environment: str
    switch_kind: str  # nginx | direct | command
    monitoring: Monitoring
    target: DeployTarget | None = None
    switch: TrafficSwitch | None = None
    commands: CommandSteps | None = None
    public_url: str | None = None
    public_port: int | None = None
    notice: str | None = None  # e.g. "NOT zero-downtime"
    instance_env: Mapping[str, str] = field(default_factory=dict)
    has_database: bool = False
    migrations_configured: bool = False
    open_backup: Callable[[], DatabaseBackup] | None = None
    # (version, previous version, release dir) -> runner; None: no migrations
    open_migrations: Callable[[str, str | None, str | None], MigrationRunner | None] = (
        lambda _v, _p, _d: None
    )
    open_smoke: Callable[[str | None, str], SmokeSuite] | None = None  # (base URL, suite)
    # (base URL, log path, log offset) -> probe
    open_health: Callable[[str | None, str | None, int], HealthProbe] | None = None
    open_metrics: Callable[[str], MetricsSource] | None = None  # (instance base URL)
    wait_healthy: Callable[[Instance], None] = lambda _i: None
    release_dir: Callable[[str], str | None] = lambda _v: None

    def instance_url(self, instance: Instance) -> str:
        return f"http://{instance.addr}"

    def read_layout(self, *, known_version: str | None = None) -> Layout:
        """Which version runs in which slot and who gets traffic, read from the target and the
        switch (a command target: one pseudo slot with the version recorded as running)."""
        if self.switch_kind == "command" or self.target is None:
            if known_version is None:
                return Layout()
            return Layout((SlotState("app", known_version, True, self.public_url or "", 100),))
        routes = {r.addr: r.weight for r in self.switch.current()} if self.switch else {}
        slots = []
        for inst in self.target.list_instances():
            weight = routes.get(inst.addr, 0) if inst.alive else 0
            slots.append(SlotState(inst.slot, inst.version, inst.alive, inst.addr, weight))
        maintenance = self.switch.in_maintenance() if self.switch is not None else False
        return Layout(tuple(slots), maintenance)


@dataclass(frozen=True)
class EnvironmentRules:
    """``[deployments.environments.<env>]`` resolved."""

    strategy: str | None
    gates: tuple[str, ...] | None  # None: the J-003 rule (`list_required_gates`)
    instances: int = 2
    max_unavailable: int = 1
    canary_weights: tuple[int, ...] = (5, 25, 50, 100)
    analysis_seconds: float = 60.0
    observation_seconds: float | None = None
    interval_seconds: float | None = None


@dataclass(frozen=True)
class Host:
    """Who holds a lock: this process on this host (for crash detection)."""

    name: str
    pid: int
    process_start: str
    is_alive: Callable[[EnvLock], bool | None]  # None: cannot tell (another host)


@dataclass
class Deployments:
    """The context of the deployment use cases (see the module docstring)."""

    uow_factory: UnitOfWorkFactory
    policy: ReleasePolicy
    clock: Clock
    path: PromotionPath
    matrix: CompatibilityMatrix
    rules: Mapping[str, EnvironmentRules]
    strategies: Mapping[str, str]  # release type -> strategy
    default_component: str
    artifacts: ArtifactStore
    host: Host
    open_runtime: Callable[[str], EnvironmentRuntime]
    lock_lease: timedelta = timedelta(minutes=10)
    sleep: Callable[[float], None] = lambda _s: None
    monotonic: Callable[[], float] = lambda: 0.0
    # (release id, environment, rollback) -> the window decision (None: windows not wired)
    check_window: Callable[[str, str, bool], WindowDecision] | None = None
    open_notifications: Callable[[], Notifications | None] = lambda: None
    _runtimes: dict[str, EnvironmentRuntime] = field(default_factory=dict)

    def runtime(self, environment: str) -> EnvironmentRuntime:
        if environment not in self._runtimes:
            self._runtimes[environment] = self.open_runtime(environment)
        return self._runtimes[environment]

    def rules_for(self, environment: str) -> EnvironmentRules:
        return self.rules.get(environment) or EnvironmentRules(None, None)


def list_component_versions(uow: UnitOfWork, environment: str) -> dict[str, str]:
    """Component -> version now running in ``environment`` (as recorded)."""
    return {s.component: s.version for s in uow.env_state.list(environment=environment)}


def release_components(components: Sequence[str], default: str) -> tuple[str, ...]:
    """The components a release deploys (a release of the whole repository: ``default``)."""
    return tuple(components) or (default,)
