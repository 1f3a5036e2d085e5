"""Planning checks for a new release (J-003 §2): enough lead time before the target date?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from relman.domain.policy import ReleaseTypePolicy
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
