"""Emergency overrides of the deployment windows (J-003 §2.3, §12.4, §13).

§12.4 lets production take emergency deployments "Anytime (with approval)", staging "Anytime"
and QA never. An override is granted only to a hotfix (its window class includes
``emergency``) or to a release that fixes an incident; it carries a reason and an expiry
(at most ``WindowPolicy.override_max`` ahead). Its approvals are the release's sign-offs by
the roles the policy names (``emergency.override_roles``: DevOps Lead + Project Manager).
When they are missing, a release type with ``post_hoc_approval_hours`` (hotfix: 48) may still
deploy: the approvals are then owed within that many hours of the deployment.

The hotfix-or-incident rule holds in every environment. The one exception is an environment
whose policy explicitly says it deploys outside its windows ``on_demand`` (§12.4 staging:
"On-demand"): there an override with just a reason is an on-demand deployment, for any release
type. ``automated`` (§12.4 QA) means the pipeline deploys inside the window; it opens no
on-demand path, and QA's emergency column ("N/A") allows no emergency override either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from relman.domain.policy import ReleaseTypePolicy
from relman.domain.window_policy import EnvironmentWindows, Freeze, WindowPolicy
from relman.errors import BlockedError, InvalidInputError


@dataclass(frozen=True)
class OverrideApproval:
    person_id: str
    role: str
    at: datetime


@dataclass(frozen=True)
class EmergencyOverride:
    """Permission to deploy one release to one environment outside the windows until
    ``expires_at``."""

    release_id: str
    environment: str
    reason: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    incident_id: str | None = None
    approvals: tuple[OverrideApproval, ...] = ()
    id: int | None = None

    def is_active(self, at: datetime) -> bool:
        return self.requested_at <= at < self.expires_at


@dataclass(frozen=True)
class OverrideVerdict:
    """What an override is worth for one deployment."""

    problem: str | None  # why it does not apply (None: it does)
    code: str  # emergency_override|on_demand
    missing_approvals: tuple[str, ...]
    post_hoc_due: datetime | None


def is_on_demand(env: EnvironmentWindows | None) -> bool:
    """Whether the policy explicitly lets ``env`` deploy outside its windows on demand."""
    return env is not None and env.outside_windows == "on_demand"


def check_override(override: EmergencyOverride, *, at: datetime, environment: str) -> str | None:
    """Why an override does not cover a deployment to ``environment`` at ``at`` (None: it does)."""
    if override.environment != environment:
        return f"it is for {override.environment}, not {environment}"
    if not override.reason.strip():
        return "it has no reason"
    if at < override.requested_at:
        return f"it starts at {override.requested_at:%Y-%m-%d %H:%M}"
    if at >= override.expires_at:
        return f"it expired at {override.expires_at:%Y-%m-%d %H:%M}"
    return None


def judge_override(
    override: EmergencyOverride,
    *,
    at: datetime,
    environment: str,
    windows: WindowPolicy,
    release_type: ReleaseTypePolicy,
    freeze: Freeze | None,
) -> OverrideVerdict:
    """Whether ``override`` lets a deployment start at ``at`` (see the module docstring)."""
    env = windows.find_environment(environment)
    roles = {a.role for a in override.approvals}
    missing = tuple(r for r in windows.override_roles if r not in roles)
    emergency = "emergency" in windows.get_class(release_type.window_class)
    mode = env.emergency if env is not None else "anytime"
    problem = check_override(override, at=at, environment=environment)
    code, post_hoc_due = "emergency_override", None
    if problem is None and freeze is not None and not freeze.allow_emergency:
        problem = f"the freeze {freeze.describe()} allows no emergency deployments"
    elif problem is None and is_on_demand(env):
        code, missing = "on_demand", ()
    elif problem is None and not (emergency or override.incident_id):
        problem = (
            "an emergency override is only for hotfixes and incidents; this is a "
            f"{release_type.name} release with no incident"
        )
    elif problem is None and mode == "none":
        problem = f"{environment} allows no emergency deployments (J-003 §12.4)"
    elif problem is None and mode == "with_approval" and missing:
        hours = release_type.post_hoc_approval_hours
        if hours is None:
            problem = f"it needs approval by {', '.join(missing)}"
        else:
            post_hoc_due = at + timedelta(hours=hours)
    if mode != "with_approval" or code == "on_demand":
        missing = ()
    return OverrideVerdict(problem, code, missing, post_hoc_due)


def plan_override(
    *,
    release_id: str,
    release_type: ReleaseTypePolicy,
    environment: str,
    reason: str,
    requested_by: str,
    now: datetime,
    expires_at: datetime,
    windows: WindowPolicy,
    incident_id: str | None = None,
) -> EmergencyOverride:
    """A new override, or InvalidInputError/BlockedError saying why it cannot be granted."""
    where = f"release {release_id}"
    if not reason.strip():
        raise InvalidInputError("an emergency override needs a reason", where="--reason")
    if expires_at <= now:
        raise InvalidInputError(
            f"the override would expire at {expires_at:%Y-%m-%d %H:%M}, before now",
            where="--expires",
        )
    if expires_at - now > windows.override_max:
        hours = int(windows.override_max.total_seconds() // 3600)
        raise InvalidInputError(
            f"an emergency override lasts at most {hours} hours (emergency.override_max)",
            where="--expires",
        )
    env = windows.find_environment(environment)
    emergency = "emergency" in windows.get_class(release_type.window_class)
    if not is_on_demand(env) and not (emergency or incident_id):
        raise BlockedError(
            f"an emergency override is only for hotfixes and incidents (J-003 §12.4, §13): "
            f"{release_id} is a {release_type.name} release with no open incident linked",
            where=where,
            hint="pass --incident INCIDENT, or use the next window (relman calendar next-slot)",
        )
    if not is_on_demand(env) and env is not None and env.emergency == "none":
        raise BlockedError(
            f"{environment} allows no emergency deployments (J-003 §12.4)", where=where
        )
    return EmergencyOverride(
        release_id=release_id,
        environment=environment,
        reason=reason.strip(),
        requested_by=requested_by,
        requested_at=now,
        expires_at=expires_at,
        incident_id=incident_id,
    )
