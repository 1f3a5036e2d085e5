"""relman.toml as a whole: the core sections (`relman.settings_core`) and the J-003 policy
sections (`relman.policy_settings`), validated with pydantic.

Where the file is found and the ``RELMAN_*`` overrides: `relman.settings_source`; the core/whole
split: `relman.settings_core`.
Field order below is the order of ``relman policy show`` and ``relman init``: the core sections
come first (inherited), then the J-003 sections.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError

from relman.policy_settings import defaults as j003
from relman.policy_settings.base import j003_default
from relman.policy_settings.deployments import DeploymentsSettings
from relman.policy_settings.locate import locate_key
from relman.policy_settings.models import (
    ChecklistSettings,
    CommunicationSettings,
    CompatibilityRowSettings,
    EmergencySettings,
    EnvironmentSettings,
    EvidenceSettings,
    GateSettings,
    LifecycleSettings,
    ObjectiveSettings,
    PersonSettings,
    PromotionOrderSettings,
    ReleaseTypeSettings,
    SeveritySettings,
    ThresholdSettings,
    WindowSettings,
)
from relman.policy_settings.notifications import NotificationSettings
from relman.policy_settings.verification import VerificationSettings
from relman.settings_core import (
    CommitSettings,
    CommitTypeSettings,
    ComponentSettings,
    CoreSettings,
    FlowSettings,
    NotesSettings,
    ProjectSettings,
    VersioningSettings,
)
from relman.settings_source import CONFIG_FILE, PolicySource, config_error, find_config, read_policy

__all__ = [
    "CONFIG_FILE",
    "CommitSettings",
    "CommitTypeSettings",
    "ComponentSettings",
    "CoreSettings",
    "FlowSettings",
    "NotesSettings",
    "ProjectSettings",
    "Settings",
    "VersioningSettings",
    "find_config",
    "load_settings",
    "locate_key",
    "validate_settings",
    "validate_source",
]


class Settings(CoreSettings):
    """The whole policy file: the core sections and the J-003 policy sections."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The J-003 policy sections (models in relman.policy_settings; reference: docs/policy.md).
    objectives: dict[str, ObjectiveSettings] = j003_default(j003.OBJECTIVES)
    release_types: dict[str, ReleaseTypeSettings] = j003_default(j003.RELEASE_TYPES)
    lifecycle: LifecycleSettings = Field(default_factory=LifecycleSettings)
    gates: dict[str, GateSettings] = j003_default(j003.GATES)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    compatibility: list[CompatibilityRowSettings] = j003_default(j003.COMPATIBILITY)
    environments: dict[str, EnvironmentSettings] = j003_default(j003.ENVIRONMENTS)
    promotion: PromotionOrderSettings = Field(default_factory=PromotionOrderSettings)
    checklists: dict[str, ChecklistSettings] = j003_default(j003.CHECKLISTS)
    communication: CommunicationSettings = Field(default_factory=CommunicationSettings)
    # Delivery of §11: channels, outbox retries, scheduled notices (docs/notifications.md).
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    windows: WindowSettings = Field(default_factory=WindowSettings)
    severities: dict[str, SeveritySettings] = j003_default(j003.SEVERITIES)
    emergency: EmergencySettings = Field(default_factory=EmergencySettings)
    thresholds: dict[str, ThresholdSettings] = j003_default(j003.THRESHOLDS)
    roles: dict[str, str] = j003_default(j003.ROLES)
    people: dict[str, PersonSettings] = Field(default_factory=dict)
    # Smoke tests, health checks, monitoring, backups, migrations, rollback (J-003 §6.4, §8.5,
    # §9, §14; models in relman.policy_settings.verification; reference: docs/verification.md).
    verification: VerificationSettings = Field(default_factory=VerificationSettings)
    # Strategies, required gates, canary weights, locks, artifacts (J-003 §6, §8;
    # relman.policy_settings.deployments; reference: docs/deployments.md).
    deployments: DeploymentsSettings = Field(default_factory=DeploymentsSettings)


# --------------------------------------------------------------------------------------
# Loading


def load_settings(
    root: Path | None = None,
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Find, read, override from the environment and validate the whole policy."""
    return validate_source(read_policy(root, config_file=config_file, environ=environ))


def validate_source(source: PolicySource) -> Settings:
    """Validate the whole policy as read; errors name ``file:line key.path`` (or the RELMAN_
    variable)."""
    data = source.data(lambda: Settings().model_dump(mode="json"))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, source, Settings) from None


def validate_settings(
    data: Mapping[str, Any], *, path: Path | None = None, text: str = ""
) -> Settings:
    """Validate raw policy data (``text``: the file it came from, for the line numbers)."""
    return validate_source(PolicySource(raw=data, path=path, text=text))
