"""Wiring of the deployment use cases: settings -> `relman.services.deploy_runtime.Deployments`.

Part of the composition root (`relman.bootstrap` calls `build_deployments` lazily): every
environment gets its target (``local`` under ``deployments.state_dir`` or ``command``), its
traffic switch (a relman-owned nginx on the environment's public port when nginx is installed,
else the direct switch, which says that it is not zero-downtime) and the verification adapters
of ``[verification]`` bound to the environment's database.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from relman.adapters import processes as procs
from relman.adapters.targets.artifacts import LocalArtifactStore
from relman.domain.compatibility import CompatibilityMatrix
from relman.domain.promotion import PromotionPath
from relman.errors import ConfigError, IntegrationError
from relman.policy_settings.deployments import TargetSettings
from relman.services.deploy_runtime import (
    Deployments,
    EnvironmentRules,
    EnvironmentRuntime,
    Host,
    Monitoring,
)

if TYPE_CHECKING:
    from relman.domain.deployment_records import EnvLock
    from relman.domain.policy import ReleasePolicy
    from relman.domain.windows import WindowDecision
    from relman.ports import Clock, Instance, UnitOfWorkFactory
    from relman.services.notifications import Notifications
    from relman.settings import Settings

BASE_PUBLIC_PORT = 18080


def build_deployments(
    settings: Settings,
    *,
    root: Path,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    clock: Clock,
    open_notifications: Callable[[], Notifications | None],
    check_window: Callable[[str, str, bool], WindowDecision] | None,
) -> Deployments:
    cfg = settings.deployments
    order = tuple(settings.promotion.order)
    production = cfg.production if cfg.production in order else order[-1]
    return Deployments(
        uow_factory=uow_factory,
        policy=policy,
        clock=clock,
        path=PromotionPath(order, production, tuple(cfg.testing_environments)),
        matrix=CompatibilityMatrix.of(
            [(row.status, row.versions) for row in settings.compatibility]
        ),
        rules={
            name: EnvironmentRules(
                strategy=r.strategy,
                gates=tuple(r.gates) if r.gates is not None else None,
                instances=r.instances,
                max_unavailable=r.max_unavailable,
                canary_weights=tuple(r.canary_weights),
                analysis_seconds=r.analysis_seconds,
                observation_seconds=r.observation_seconds,
                interval_seconds=r.interval_seconds,
            )
            for name, r in cfg.environments.items()
        },
        strategies=dict(cfg.strategies),
        default_component=cfg.default_component,
        artifacts=LocalArtifactStore(_under(root, cfg.artifacts_dir)),
        host=_this_host(),
        open_runtime=lambda env: build_runtime(settings, root=root, environment=env),
        lock_lease=timedelta(seconds=cfg.lock_lease_seconds),
        sleep=time.sleep,
        monotonic=time.monotonic,
        check_window=check_window,
        open_notifications=open_notifications,
    )


def _under(root: Path, folder: str) -> Path:
    path = Path(folder)
    return path if path.is_absolute() else root / path


def _this_host() -> Host:
    pid = os.getpid()
    name = socket.gethostname()

    def is_alive(lock: EnvLock) -> bool | None:
        if lock.host != name:
            return None
        ticks = int(lock.process_start) if lock.process_start.isdigit() else None
        return procs.is_running(lock.pid, ticks)

    return Host(name, pid, str(procs.read_start_ticks(pid) or ""), is_alive)


def _monitoring(settings: Settings, environment: str) -> Monitoring:
    from relman.adapters.verification import resolve_quick_fix_limit, resolve_threshold_severities
    from relman.policy_settings.verification import resolve_thresholds

    ver = settings.verification
    rules = settings.deployments.for_environment(environment)
    return Monitoring(
        thresholds=resolve_thresholds(settings.thresholds),
        interval_seconds=rules.interval_seconds or ver.monitoring.interval_seconds,
        observation_seconds=(
            rules.observation_seconds
            if rules.observation_seconds is not None
            else ver.monitoring.observation_seconds
        ),
        severity_map=resolve_threshold_severities(ver.rollback),
        quick_fix_limit=resolve_quick_fix_limit(ver.rollback),
        automatic_rollback=ver.rollback.automatic,
        smoke_severities={c.name: c.severity for c in ver.smoke.checks},
        backup_environments=tuple(ver.backup.environments),
    )


def _database_url(target: TargetSettings, environment: str) -> str | None:
    if target.database_url_env:
        value = os.environ.get(target.database_url_env)
        if not value:
            raise ConfigError(
                f"the database of {environment} is read from ${target.database_url_env}, "
                "which is not set",
                where=f"deployments.environments.{environment}.target.database_url_env",
            )
        return value
    return target.database_url


def build_runtime(settings: Settings, *, root: Path, environment: str) -> EnvironmentRuntime:
    """The ports of one environment (ConfigError for an unusable configuration)."""
    from relman.adapters.verification import (
        build_backup,
        build_health_probe,
        build_metrics_source,
        build_smoke_tests,
    )

    target = settings.deployments.for_environment(environment).target
    ver = settings.verification
    dsn = _database_url(target, environment)
    runtime = EnvironmentRuntime(
        environment=environment,
        switch_kind="command",
        monitoring=_monitoring(settings, environment),
        has_database=dsn is not None,
        migrations_configured=dsn is not None and ver.migrations.runner != "none",
        open_smoke=lambda url, suite: build_smoke_tests(
            ver.smoke, base_url=url, root=root, suite=suite
        ),
        open_health=lambda url, log, offset: build_health_probe(
            ver.health,
            base_url=url,
            dsn=dsn,
            log_path=Path(log) if log else None,
            log_start_offset=offset,
        ),
        open_metrics=lambda url: build_metrics_source(ver.monitoring, base_url=url, dsn=dsn),
    )
    if dsn is not None:
        runtime.open_backup = lambda: build_backup(ver.backup, dsn=dsn, root=root)
    if target.kind == "command":
        return _command_runtime(runtime, target, root=root, dsn=dsn)
    return _local_runtime(settings, runtime, target, root=root, dsn=dsn)


def _command_runtime(
    runtime: EnvironmentRuntime, target: TargetSettings, *, root: Path, dsn: str | None
) -> EnvironmentRuntime:
    from relman.adapters.targets.command import CommandStep, CommandTarget

    env = runtime.environment
    commands = CommandTarget(
        env,
        {name: CommandStep(tuple(s.argv), s.timeout) for name, s in target.steps.items()},
        cwd=_under(root, target.cwd) if target.cwd else root,
    )
    runtime.commands = commands
    runtime.public_url = target.url
    runtime.migrations_configured = "migrate" in target.steps or runtime.migrations_configured
    runtime.has_database = dsn is not None or "migrate" in target.steps
    if target.url is None:
        runtime.open_smoke = None
        runtime.open_health = None
    return runtime


def _local_runtime(
    settings: Settings,
    runtime: EnvironmentRuntime,
    target: TargetSettings,
    *,
    root: Path,
    dsn: str | None,
) -> EnvironmentRuntime:
    from relman.adapters.switches.direct import DirectSwitch
    from relman.adapters.switches.nginx import NginxSwitch, find_nginx
    from relman.adapters.targets.local import SAMPLE_APP_COMMAND, LocalTarget
    from relman.adapters.verification import build_migrations

    env = runtime.environment
    state = _under(root, settings.deployments.state_dir)
    local = LocalTarget(
        state,
        env,
        command=tuple(target.command) if target.command else SAMPLE_APP_COMMAND,
        health_path=target.health_path,
        host=target.host,
        keep=target.keep,
        start_timeout=target.start_timeout,
        stop_timeout=target.stop_timeout,
        port_range=target.port_range,
    )
    order = list(settings.promotion.order)
    port = target.public_port or BASE_PUBLIC_PORT + (order.index(env) if env in order else 0)
    use_nginx = target.switch == "nginx" or (
        target.switch == "auto" and (target.nginx_bin or find_nginx()) is not None
    )
    if use_nginx:
        runtime.switch = NginxSwitch(
            state / env / "nginx",
            listen_port=port,
            environment=env,
            listen_host=target.listen_host,
            nginx_bin=target.nginx_bin,
            server_snippet=target.server_snippet,
            client_keepalive=target.client_keepalive,
        )
        runtime.switch_kind = "nginx"
    else:
        direct = DirectSwitch(
            state / env / "direct", public_port=port, listen_host=target.listen_host
        )
        runtime.switch, runtime.switch_kind, runtime.notice = direct, "direct", direct.notice
    runtime.target = local
    runtime.public_url = runtime.switch.public_url
    runtime.public_port = port
    runtime.instance_env = {
        **target.env,
        **({target.database_env_var: dsn} if dsn else target.no_database_env),
    }
    runtime.wait_healthy = _health_waiter(target)
    runtime.release_dir = lambda version: next(
        (r.path for r in local.list_installed() if r.version == version), None
    )
    ver = settings.verification
    runtime.open_migrations = lambda version, previous, release_dir: (
        build_migrations(
            ver.migrations, dsn=dsn, version=version, previous=previous, cwd=release_dir,
            env={"PYTHONPATH": release_dir} if release_dir else None,
        )
        if dsn is not None
        else None
    )  # fmt: skip
    return runtime


def _health_waiter(target: TargetSettings) -> Callable[[Instance], None]:
    def wait(instance: Instance) -> None:
        url = f"http://{instance.addr}{target.health_path}"
        deadline = time.monotonic() + target.start_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            status, body = procs.http_get(url)
            if status == 200:
                return
            last = f"{status} {body}".strip() if status is not None else body
            time.sleep(0.1)
        raise IntegrationError(
            f"{instance.version} in slot {instance.slot} is not healthy after "
            f"{target.start_timeout:g}s (last answer from {url}: {last})",
            where=instance.log_path,
        )

    return wait
