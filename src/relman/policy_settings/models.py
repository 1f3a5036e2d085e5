"""Pydantic models of the J-003 policy sections of relman.toml.

One model per table; every model forbids unknown keys (a typo fails with the file, line and key
path) and is frozen. Defaults are the J-003 plan (`relman.policy_settings.defaults`), so
``Settings()`` *is* J-003. A table you write replaces the default table of that name as a whole
(``[release_types.major]`` alone means "only a major release type"); keys you leave out of a
model take the model's default. ``relman init`` writes every default out, ready to edit.

Cross-references (a role, a gate, a checklist item, a component named somewhere else) are not
checked here but by ``relman policy lint``, which explains each problem.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator

from relman.policy_settings import defaults as d
from relman.policy_settings.base import PolicyModel, j003_default
from relman.policy_settings.values import (
    Duration,
    PhaseName,
    Proof,
    VersionPattern,
    WindowText,
    parse_duration,
)

Operator = Literal["<", "<=", ">", ">=", "=="]


def _not_shorter(value: str, info: ValidationInfo, other: str) -> str:
    lower = info.data.get(other)
    if isinstance(lower, str) and parse_duration(value) < parse_duration(lower):
        raise ValueError(f"{value!r} is shorter than {other} ({lower!r})")
    return value


class ObjectiveSettings(PolicyModel):
    """One release-management objective and its success metric (§1.2)."""

    objective: str
    description: str = ""
    metric: str
    operator: Operator
    target: float
    unit: str = ""


class ReleaseTypeSettings(PolicyModel):
    """One release type (§2.1–2.5)."""

    description: str = ""
    version_change: Literal["major", "minor", "patch", "hotfix"]
    frequency: str = "As needed"
    lead_time_min: Duration
    lead_time_max: Duration
    lead_time_enforcement: Literal["refuse", "warn"] = "refuse"
    approver_roles: list[str]
    post_hoc_approval_hours: int | None = Field(default=None, ge=1)
    testing_period_min: Duration = "0h"
    testing_period_max: Duration = "0h"
    testing: str = ""
    window_class: str = "standard"
    downtime: Literal["planned", "minimal", "none"] = "minimal"
    rollback_preparation: Literal["prepared", "on_demand", "immediate_if_failed"] = "prepared"
    documentation: Literal["full_release_notes", "feature_list", "changelog", "incident_report"] = (
        "changelog"
    )
    communication_audience: str = "technical_teams"

    @field_validator("lead_time_max")
    @classmethod
    def _lead_max(cls, value: str, info: ValidationInfo) -> str:
        return _not_shorter(value, info, "lead_time_min")

    @field_validator("testing_period_max")
    @classmethod
    def _testing_max(cls, value: str, info: ValidationInfo) -> str:
        return _not_shorter(value, info, "testing_period_min")


class ActivitySettings(PolicyModel):
    activity: str
    description: str = ""
    owner: str = ""
    deliverable: str = ""


class PhaseSettings(PolicyModel):
    """One lifecycle phase and its activities (§3.1–3.2)."""

    name: str
    duration: str = ""
    activities: list[ActivitySettings] = Field(default_factory=list)


class LifecycleSettings(PolicyModel):
    """The release lifecycle (§3.1–3.2). Phases always run PLAN → BUILD → TEST → DEPLOY →
    VERIFY → CLOSED; this table describes them."""

    separation_of_duties: bool = True
    phases: dict[PhaseName, PhaseSettings] = j003_default(d.PHASES)


class CriterionSettings(PolicyModel):
    """One criterion of a gate; its id is ``<gate>.<key>`` (``G2.unit-tests``)."""

    description: str
    kind: Literal["evidence", "checklist", "scope", "signoff", "manual", "event"]
    evidence: Literal["junit", "coverage", "sarif", "ci"] | None = None
    items: list[str] | None = None
    roles: list[str] | None = None
    event: str | None = None
    gates: list[str] | None = None
    release_types: list[str] | None = None

    def params(self) -> dict[str, object]:
        """The domain ``CriterionSpec.params``: the keys that are set, lists as tuples."""
        out: dict[str, object] = {}
        for key in ("evidence", "items", "roles", "event", "gates", "release_types"):
            value = getattr(self, key)
            if value is not None:
                out[key] = tuple(value) if isinstance(value, list) else value
        return out


class GateSettings(PolicyModel):
    """A release gate (§3.3) on the phase transition it guards."""

    name: str
    from_phase: PhaseName
    to_phase: PhaseName
    deliverable: str = ""
    signoff_roles: list[str]
    require_release_type_approvers: bool = False
    waiver_roles: list[str] = Field(default_factory=list)
    criteria: dict[str, CriterionSettings] = Field(default_factory=dict)


class EvidenceSettings(PolicyModel):
    """Quality bars judged from evidence (§7.1.2–7.1.3)."""

    coverage_min: float = Field(default=80.0, ge=0, le=100)
    sarif_blocking_levels: list[str] = Field(default_factory=lambda: ["critical", "high", "error"])


class ChecklistItemSettings(PolicyModel):
    text: str
    proof: Proof | None = None
    id: str | None = None  # default: "<checklist id>-<row number>"


class ChecklistSettings(PolicyModel):
    """A checklist (§7, §9.4, §13.1, §14.3, Appendix A)."""

    title: str
    section: str = ""
    applies_to: list[str] = Field(default_factory=list)
    items: list[ChecklistItemSettings]


class PromotionSettings(PolicyModel):
    """What it takes to promote *into* an environment from the one before it (§6.3)."""

    source: str
    criteria: list[str]
    automated: bool = False
    trigger: str = ""


class MigrationSettings(PolicyModel):
    """Database migrations in an environment (§6.4)."""

    approach: str
    rollback: str


class EnvironmentSettings(PolicyModel):
    """One environment (§6.2)."""

    name: str
    purpose: str = ""
    data: str = ""
    access_roles: list[str] = Field(default_factory=list)
    updates: str = ""
    stability: Literal["low", "medium", "high", "maximum"] = "medium"
    stability_note: str = ""
    sla_percent: float | None = Field(default=None, gt=0, le=100)
    monitoring: str = ""
    promotion: PromotionSettings
    migration: MigrationSettings


class PromotionOrderSettings(PolicyModel):
    """The promotion path (§6.1, §6.3)."""

    order: list[str] = Field(default_factory=lambda: list(d.PROMOTION_ORDER))


class EnvironmentWindowSettings(PolicyModel):
    """Deployment windows of one environment (§12.4)."""

    primary: list[WindowText] = Field(default_factory=list)
    secondary: list[WindowText] = Field(default_factory=list)
    outside_windows: Literal["none", "on_demand", "automated"] = "none"
    emergency: Literal["anytime", "with_approval", "none"] = "none"


class FreezeSettings(PolicyModel):
    """A freeze: no deployments from ``starts`` to ``ends`` (local dates, both inclusive)."""

    starts: date
    ends: date
    reason: str = Field(min_length=1)
    environments: list[str] = Field(default_factory=list)  # empty: every environment
    allow_emergency: bool = True  # an emergency override may still deploy a hotfix

    @field_validator("ends")
    @classmethod
    def _not_before_start(cls, value: date, info: ValidationInfo) -> date:
        starts = info.data.get("starts")
        if isinstance(starts, date) and value < starts:
            raise ValueError(f"{value.isoformat()} is before starts ({starts.isoformat()})")
        return value


class WindowSettings(PolicyModel):
    """Deployment windows (§12.4), in the plan's time zone, and freezes."""

    timezone: str = "Asia/Dhaka"
    classes: dict[str, list[Literal["primary", "secondary", "emergency"]]] = j003_default(
        d.WINDOW_CLASSES
    )
    environments: dict[str, EnvironmentWindowSettings] = j003_default(d.WINDOWS)
    # How long a deployment is expected to take when nobody says (Appendix B: 15+10+10+15 min).
    expected_duration: Duration = "50m"
    freezes: list[FreezeSettings] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as 'Asia/Dhaka'"
            ) from None
        return value


class SeveritySettings(PolicyModel):
    """An incident severity (§13.1)."""

    name: str
    criteria: str
    examples: list[str] = Field(default_factory=list)


class CabMemberSettings(PolicyModel):
    """A seat on the emergency Change Advisory Board (§13.1); the key is the role.

    ``channels``: the §11.3 channels over which the people holding the seat's role hear the
    emergency messages (§11.2), besides what the §11.1 matrix says for that role (one message
    per person and channel). Empty: only the matrix tells them.
    """

    title: str
    responsibility: str
    contact: str = ""
    channels: list[str] = Field(default_factory=list)


class EmergencySettings(PolicyModel):
    """Emergency releases (§2.3, §13)."""

    hotfix_severities: list[str] = Field(default_factory=lambda: ["P1", "P2"])
    retrospective_within: Duration = "48h"
    # §2.3/§12.4: who approves a deployment outside the windows ("DevOps Lead + Project
    # Manager"), and how long such an override may last at most.
    override_roles: list[str] = Field(default_factory=lambda: ["devops_lead", "project_manager"])
    override_max: Duration = "24h"
    cab: dict[str, CabMemberSettings] = j003_default(d.CAB)


class ThresholdSettings(PolicyModel):
    """A post-release monitoring threshold (§14.2)."""

    metric: str
    operator: Operator = ">"
    value: float
    unit: str = ""
    severity: Literal["critical", "high", "warning"]


class StakeholderSettings(PolicyModel):
    """One row of the stakeholder communication matrix (§11.1); the key is the role."""

    name: str
    release_notification: str
    deployment_window: str
    post_release: str
    emergency: str
    channels: list[str] = Field(default_factory=list)


class ChannelSettings(PolicyModel):
    """A communication channel (§11.3)."""

    name: str
    purpose: str = ""
    response_time: str = ""


class CommunicationSettings(PolicyModel):
    """Who hears what, how (§11)."""

    stakeholders: dict[str, StakeholderSettings] = j003_default(d.STAKEHOLDERS)
    channels: dict[str, ChannelSettings] = j003_default(d.CHANNELS)
    audiences: dict[str, list[str]] = j003_default(d.AUDIENCES)


class PersonSettings(PolicyModel):
    """Someone who can plan, sign, waive or be told (the key is the person's id)."""

    name: str
    email: str = ""
    roles: list[str] = Field(default_factory=list)


class CompatibilityRowSettings(PolicyModel):
    """One row of the version compatibility matrix (§4.4): component -> version pattern."""

    status: str = ""
    versions: dict[str, VersionPattern]
