"""How deployments go and where environments run: ``[deployments]`` of relman.toml (J-003 §6,
§8; reference: docs/deployments.md). A table written for one environment keeps the defaults of
every key it leaves out.

``[deployments.environments.<env>.target]`` says where the environment runs:

- ``kind = "local"`` (default): versions installed side by side under ``deployments.state_dir``,
  instances as processes on this machine, traffic through a relman-owned nginx on
  ``public_port`` (``switch = "auto"`` uses nginx when it is installed and otherwise restarts
  in place, saying that this is not zero-downtime);
- ``kind = "command"``: every step is a configured command (helm, kubectl, systemd, Odoo).

``[deployments]`` holds the rules: which strategy a release type uses (§8.1), which gates an
environment requires, canary weights, rolling batch sizes, the observation period, the lock
lease and where artifacts are kept.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

StrategyName = Literal["rolling", "blue_green", "canary", "maintenance"]
# §8.1 Deployment Methods: rolling for minor releases and patches, blue-green for majors; a
# hotfix goes blue-green too, for the instant rollback (§2.3 "immediate if failed").
DEFAULT_STRATEGIES: dict[str, StrategyName] = {
    "major": "blue_green",
    "minor": "rolling",
    "patch": "rolling",
    "hotfix": "blue_green",
}
COMMAND_STEPS = ("deploy", "switch", "health", "rollback", "migrate", "backup", "restore", "stop")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CommandStepSettings(_Model):
    """One step of a command target: an argv template and a timeout (seconds)."""

    argv: list[str] = Field(min_length=1)
    timeout: float = Field(default=300.0, gt=0)


class TargetSettings(_Model):
    """Where one environment runs (docs/targets.md)."""

    kind: Literal["local", "command"] = "local"
    # --- local: processes on this machine ---
    command: list[str] | None = None  # default: the sample app ({python} -m smart_dairy_app ...)
    health_path: str = "/health"
    host: str = "127.0.0.1"
    port_range: tuple[int, int] | None = None
    keep: int = Field(default=3, ge=1)
    start_timeout: float = Field(default=20.0, gt=0)
    stop_timeout: float = Field(default=10.0, gt=0)
    env: dict[str, str] = Field(default_factory=dict)  # extra environment of every instance
    # The environment's database: a URL, or the name of the variable holding it (a secret).
    database_url: str | None = None
    database_url_env: str | None = None
    database_env_var: str = "SMART_DAIRY_DSN"  # how instances receive the URL
    # Environment of instances when there is no database (the sample app keeps data in memory).
    no_database_env: dict[str, str] = Field(default_factory=lambda: {"SMART_DAIRY_NO_DB": "1"})
    # --- traffic ---
    switch: Literal["auto", "nginx", "direct"] = "auto"
    public_port: int | None = Field(default=None, ge=1, le=65535)  # default 18080 + position
    listen_host: str = "127.0.0.1"
    client_keepalive: bool = False
    server_snippet: str = ""
    nginx_bin: str | None = None
    # --- command: every step a command ---
    steps: dict[str, CommandStepSettings] = Field(default_factory=dict)
    url: str | None = None  # where users reach a command target (smoke tests, monitoring)
    cwd: str | None = None

    @field_validator("steps")
    @classmethod
    def _known_steps(cls, value: dict[str, CommandStepSettings]) -> dict[str, CommandStepSettings]:
        unknown = sorted(set(value) - set(COMMAND_STEPS))
        if unknown:
            raise ValueError(
                f"unknown step(s) {', '.join(unknown)} (known: {', '.join(COMMAND_STEPS)})"
            )
        return value

    @field_validator("port_range")
    @classmethod
    def _ordered(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 1 <= value[0] <= value[1] <= 65535:
            raise ValueError(f"expected [low, high] ports with low <= high, got {list(value)}")
        return value

    @model_validator(mode="after")
    def _command_needs_deploy(self) -> TargetSettings:
        if self.kind == "command" and "deploy" not in self.steps:
            raise ValueError('a command target needs at least a "deploy" step')
        return self


class EnvironmentDeploymentSettings(_Model):
    """How deployments to one environment go (``[deployments.environments.<env>]``)."""

    strategy: StrategyName | None = None  # None: by release type ([deployments.strategies])
    gates: list[str] | None = None  # None: the J-003 rule (see docs/deployments.md)
    instances: int = Field(default=2, ge=1)  # rolling
    max_unavailable: int = Field(default=1, ge=1)  # rolling
    canary_weights: list[int] = Field(default_factory=lambda: [5, 25, 50, 100])
    analysis_seconds: float = Field(default=60.0, ge=0)  # canary, at each weight
    observation_seconds: float | None = Field(default=None, ge=0)  # None: [verification]
    interval_seconds: float | None = Field(default=None, gt=0)  # None: [verification]
    target: TargetSettings = Field(default_factory=TargetSettings)  # where it runs

    @field_validator("canary_weights")
    @classmethod
    def _rising(cls, value: list[int]) -> list[int]:
        if not value or value[-1] != 100 or value != sorted(value) or value[0] <= 0:
            raise ValueError(f"canary weights must rise from above 0 to 100, got {value}")
        return value


class DeploymentsSettings(_Model):
    """``[deployments]``: the deployment rules (J-003 §6, §8)."""

    state_dir: str = ".relman/targets"  # local targets and nginx prefixes, per environment
    artifacts_dir: str = ".relman/artifacts"  # builds, kept by digest
    production: str = "prod"  # its deployments set deployed_at and record ":production" events
    testing_environments: list[str] = Field(default_factory=lambda: ["qa", "staging"])
    default_component: str = "core"  # what a release without components deploys
    lock_lease_seconds: float = Field(default=600.0, gt=0)
    # §8.1 Deployment Methods: release type -> strategy
    strategies: dict[str, StrategyName] = Field(default_factory=lambda: dict(DEFAULT_STRATEGIES))
    environments: dict[str, EnvironmentDeploymentSettings] = Field(default_factory=dict)

    def for_environment(self, name: str) -> EnvironmentDeploymentSettings:
        return self.environments.get(name) or EnvironmentDeploymentSettings()
