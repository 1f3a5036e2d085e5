"""Planning checks for a new release (J-003 §2): enough lead time before the target date? Is
the version still free, or was it rolled back or built already (a version is one build)?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from relman.domain.deployment_records import Deployment, DeploymentStatus
from relman.domain.policy import ReleaseTypePolicy
from relman.domain.releases import Phase, Release
from relman.domain.versions import Version
from relman.errors import BlockedError, InvalidInputError


@dataclass(frozen=True)
class LeadTimeCheck:
    state: str  # ok|long|warn|overridden
    lead_time: timedelta
    minimum: timedelta
    maximum: timedelta
    message: str


def compute_lead_time(*, now: datetime, target_date: date) -> timedelta:
    """Time from ``now`` to the end of the target day, in ``now``'s time zone."""
    end_of_day = datetime.combine(target_date + timedelta(days=1), time(0), tzinfo=now.tzinfo)
    return end_of_day - now


def decide_lead_time(
    release_type: ReleaseTypePolicy, *, now: datetime, target_date: date, override: bool = False
) -> LeadTimeCheck:
    """Refuse (BlockedError) or warn per ``lead_time_enforcement`` when the lead time is too short.

    ``override`` turns a refusal into state ``overridden`` (the caller records it in the audit log).
    """
    lead = compute_lead_time(now=now, target_date=target_date)
    if lead <= timedelta(0):
        raise InvalidInputError(
            f"target date {target_date.isoformat()} is in the past", where="--target-date"
        )
    lo, hi = release_type.lead_time_min, release_type.lead_time_max
    usual = f"J-003 lead time for {release_type.name} releases: {_human(lo)}-{_human(hi)}"
    if lead >= lo:
        state = "ok" if lead <= hi else "long"
        return LeadTimeCheck(state, lead, lo, hi, f"lead time {_human(lead)} ({usual})")
    short = f"lead time {_human(lead)} to {target_date.isoformat()} is shorter than {_human(lo)}"
    if release_type.lead_time_enforcement == "warn":
        return LeadTimeCheck("warn", lead, lo, hi, f"{short} ({usual})")
    if override:
        return LeadTimeCheck("overridden", lead, lo, hi, f"{short}: overridden ({usual})")
    raise BlockedError(
        f"{short} ({usual})",
        where="--target-date",
        hint=f"choose a target date on or after {(now + lo).date().isoformat()}",
        details={
            "lead_time_seconds": int(lead.total_seconds()),
            "minimum_seconds": int(lo.total_seconds()),
        },
    )


def _human(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 48:
        return "1 hour" if hours == 1 else f"{hours} hours"
    days, rest = divmod(hours, 24)
    if rest:
        return f"{days} days {rest} hours"
    if days % 7 == 0:
        weeks = days // 7
        return "1 week" if weeks == 1 else f"{weeks} weeks"
    return f"{days} days"


# --------------------------------------------------------------------------------------
# Spent versions: a version is one build (J-003 §4.2, §6.1)


@dataclass(frozen=True)
class SpentVersion:
    """A version that must not be planned again: its release was rolled back, or a build of it
    was already deployed somewhere (the targets keep each version's build, immutable)."""

    version: str
    release_id: str
    reason: str  # "was rolled back" | "has a build (D-2 deployed it to dev)"

    def describe(self) -> str:
        return f"{self.version} {self.reason} ({self.release_id})"


def list_spent_versions(
    releases: Iterable[Release],
    deployments: Iterable[Deployment],
    *,
    components: tuple[str, ...],
) -> dict[str, SpentVersion]:
    """The spent versions of ``components`` (a release of the same components), by version text.

    A release record in ROLLED_BACK spends its version; so does any deployment that ran (not
    a dry run), whatever became of it: its build is installed on the target.
    """
    built: dict[str, Deployment] = {}
    for dep in deployments:
        if dep.status is not DeploymentStatus.DRY_RUN:
            built.setdefault(dep.release_id, dep)
    spent: dict[str, SpentVersion] = {}
    for release in releases:
        if tuple(release.components) != tuple(components):
            continue
        key = normalize_version_text(release.version)
        if release.phase is Phase.ROLLED_BACK:
            spent[key] = SpentVersion(release.version, release.id, "was rolled back")
        elif release.id in built and key not in spent:
            dep = built[release.id]
            reason = f"has a build ({dep.id} deployed it to {dep.environment})"
            spent[key] = SpentVersion(release.version, release.id, reason)
    return spent


def normalize_version_text(text: str) -> str:
    """``v1.2.1`` and ``1.2.1`` are one version; build metadata does not make another one."""
    value = text.strip()
    if value[:1] in "vV" and value[1:2].isdigit():
        value = value[1:]
    return value.split("+", 1)[0]


def decide_unspent_version(
    chosen: Version, spent: Mapping[str, SpentVersion]
) -> tuple[Version, tuple[SpentVersion, ...]]:
    """``chosen``, or the first version after it that is not spent, and the ones skipped.

    A final version moves to the next patch (1.2.1 -> 1.2.2), a pre-release to its next
    number (1.2.1-hotfix.2 -> 1.2.1-hotfix.3, 1.3.0-rc.1 -> 1.3.0-rc.2).
    """
    skipped: list[SpentVersion] = []
    version = chosen
    for _ in range(len(spent) + 1):
        found = spent.get(normalize_version_text(str(version)))
        if found is None:
            break
        skipped.append(found)
        version = version.bump("prerelease" if version.is_prerelease else "patch")
    return version, tuple(skipped)
