"""The window check and the next legal slot (J-003 §12.2, §12.4, §13).

`decide_deployment_slot` is the rule a deployment asks before it starts: it must start inside
an open window of its environment (the window class of its release type picks primary and/or
secondary windows; a §12.2 phase window replaces them during its phase), finish before that
window closes (judged from the expected duration) and touch no freeze. Otherwise it is refused
and the refusal names the next window it would fit in. An `EmergencyOverride` lets a hotfix or
an incident fix through (`relman.domain.overrides`); a rollback is always allowed.

`compute_next_slot` gives the earliest legal slot of a release, given the windows, the freezes,
its lead time, its testing period and the gates still pending.

Windows, openings, freezes and the policy live in `relman.domain.window_policy`; their names
are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from relman.domain.overrides import (
    EmergencyOverride,
    OverrideApproval,
    check_override,
    judge_override,
    plan_override,
)
from relman.domain.policy import ReleaseTypePolicy
from relman.domain.releases import Phase, Release
from relman.domain.window_policy import (
    DeploymentWindow,
    EnvironmentWindows,
    Freeze,
    PhaseWindows,
    Slot,
    WindowOpening,
    WindowPolicy,
    compute_next_open_window,
    find_freeze,
    format_offset,
    resolve_local_time,
    to_local,
)
from relman.errors import BlockedError, ConflictError

__all__ = [
    "DeploymentWindow",
    "EmergencyOverride",
    "EnvironmentWindows",
    "Freeze",
    "NextSlot",
    "OverrideApproval",
    "PhaseWindows",
    "Slot",
    "SlotConstraint",
    "WindowDecision",
    "WindowOpening",
    "WindowPolicy",
    "check_override",
    "compute_next_open_window",
    "compute_next_slot",
    "decide_deployment_slot",
    "find_freeze",
    "plan_override",
    "resolve_local_time",
]


@dataclass(frozen=True)
class WindowDecision:
    """Whether a deployment may start, and why (``message`` says it for people)."""

    allowed: bool
    # in_window | no_windows | rollback | emergency_override | on_demand   (allowed)
    # outside_window | overruns | frozen | override_refused              (refused)
    code: str
    message: str
    environment: str
    starts_at: datetime
    ends_at: datetime
    opening: WindowOpening | None = None
    next_slot: Slot | None = None
    freeze: Freeze | None = None
    override: EmergencyOverride | None = None
    missing_approvals: tuple[str, ...] = ()
    post_hoc_due: datetime | None = None  # approvals still owed after an emergency deployment

    def require(self) -> WindowDecision:
        """The decision when allowed; BlockedError (exit 7) with the message otherwise."""
        if self.allowed:
            return self
        raise BlockedError(
            self.message,
            where=f"environment {self.environment}",
            hint="`relman calendar override` lets a hotfix or an incident fix through "
            "(J-003 §12.4); a rollback is always allowed",
            details={
                "code": self.code,
                "next_window": self.next_slot.starts_at.isoformat() if self.next_slot else None,
                "missing_approvals": list(self.missing_approvals),
            },
        )


@dataclass(frozen=True)
class _Ask:
    environment: str
    at: datetime
    duration: timedelta
    windows: WindowPolicy
    freezes: Sequence[Freeze]
    release_type: ReleaseTypePolicy

    @property
    def end(self) -> datetime:
        return self.at + self.duration

    def decision(self, allowed: bool, code: str, message: str, **kw: object) -> WindowDecision:
        return WindowDecision(
            allowed,
            code,
            message,
            self.environment,
            self.at,
            self.end,
            **kw,  # type: ignore[arg-type]
        )

    def find_next(self) -> Slot | None:
        return compute_next_open_window(
            self.environment,
            after=self.at,
            windows=self.windows,
            freezes=self.freezes,
            window_class=self.release_type.window_class,
            duration=self.duration,
        )

    def find_opening(self) -> WindowOpening | None:
        openings = self.windows.list_openings(
            self.environment,
            window_class=self.release_type.window_class,
            start=self.at,
            end=self.end,
        )
        return next((op for op in openings if op.contains(self.at)), None)


def decide_deployment_slot(
    environment: str,
    *,
    at: datetime,
    expected_duration: timedelta,
    windows: WindowPolicy,
    freezes: Sequence[Freeze],
    release_type: ReleaseTypePolicy,
    emergency_override: EmergencyOverride | None = None,
    rollback: bool = False,
) -> WindowDecision:
    """May a ``release_type`` deployment to ``environment`` start ``at`` and run for
    ``expected_duration``? (See the module docstring for the rules.)"""
    ask = _Ask(
        environment, to_local(at, windows.zone), expected_duration, windows, freezes, release_type
    )
    if rollback:
        return ask.decision(True, "rollback", "a rollback is always allowed (J-003 §9)")
    env = windows.find_environment(environment)
    freeze = find_freeze(freezes, environment, ask.at, ask.end, windows.zone)
    if env is None and freeze is None:
        return ask.decision(True, "no_windows", f"{environment} has no deployment windows")
    opening = ask.find_opening()
    if freeze is None and opening is not None and ask.end <= opening.closes_at:
        message = f"inside the {environment} window {opening.describe()}"
        return ask.decision(True, "in_window", message, opening=opening)
    code, why = _refusal(ask, opening, freeze)
    if emergency_override is None:
        nxt = ask.find_next()
        message = why + _next_text(nxt)
        return ask.decision(False, code, message, opening=opening, next_slot=nxt, freeze=freeze)
    verdict = judge_override(
        emergency_override,
        at=ask.at,
        environment=environment,
        windows=windows,
        release_type=release_type,
        freeze=freeze,
    )
    extra = {"freeze": freeze, "override": emergency_override}
    if verdict.problem is not None:
        nxt = ask.find_next()
        message = f"{why}, and the override does not apply: {verdict.problem}{_next_text(nxt)}"
        missing = verdict.missing_approvals
        return ask.decision(
            False, "override_refused", message, next_slot=nxt, missing_approvals=missing, **extra
        )
    label = "on-demand deployment" if verdict.code == "on_demand" else "emergency override"
    message = f"{label} ({emergency_override.reason}): {why}"
    if verdict.post_hoc_due is not None:
        message += (
            f"; post-hoc approval by {', '.join(verdict.missing_approvals)} due by "
            f"{verdict.post_hoc_due:%Y-%m-%d %H:%M}"
        )
    return ask.decision(
        True,
        verdict.code,
        message,
        missing_approvals=verdict.missing_approvals,
        post_hoc_due=verdict.post_hoc_due,
        **extra,
    )


def _refusal(ask: _Ask, opening: WindowOpening | None, freeze: Freeze | None) -> tuple[str, str]:
    env, at = ask.environment, ask.at
    if freeze is not None:
        return "frozen", f"{env} is frozen {freeze.describe()}"
    if opening is not None:
        minutes = int(ask.duration.total_seconds() // 60)
        return "overruns", (
            f"a {minutes}-minute deployment starting {at:%a %Y-%m-%d %H:%M} would end at "
            f"{ask.end:%H:%M}, after the {env} window {opening.describe()} closes"
        )
    cls = ask.release_type.window_class
    usual = ask.windows.list_windows(env, window_class=cls, on=at.date())
    shown = ", ".join(w.describe() for w in usual) or "none"
    return "outside_window", (
        f"{at:%a %Y-%m-%d %H:%M} {format_offset(at)} is outside the {env} deployment windows "
        f"for {ask.release_type.name} releases ({shown}; {ask.windows.timezone})"
    )


def _next_text(slot: Slot | None) -> str:
    if slot is None:
        return "; no window opens in the next two years"
    return f"; next open window: {slot.describe()}"


# --- the next legal slot --------------------------------------------------------------------


@dataclass(frozen=True)
class SlotConstraint:
    """One reason the slot cannot come earlier."""

    name: str  # now|lead_time|testing_period
    earliest: datetime
    detail: str


@dataclass(frozen=True)
class NextSlot:
    release_id: str
    environment: str
    slot: Slot | None  # None: no window within the search horizon
    earliest: datetime  # the latest of the constraints
    binding: str  # the name of the constraint that sets ``earliest``
    constraints: tuple[SlotConstraint, ...]
    pending_gates: tuple[str, ...]
    late: bool  # the slot is after the release's target date

    @property
    def tentative(self) -> bool:
        """Gates are still pending: the slot holds only if they pass in time."""
        return bool(self.pending_gates)


def compute_next_slot(
    release: Release,
    env: str,
    *,
    now: datetime,
    windows: WindowPolicy,
    freezes: Sequence[Freeze],
    lead_time: timedelta,
    testing_period: timedelta,
    pending_gates: Sequence[str],
    window_class: str,
    expected_duration: timedelta | None = None,
    testing_started_at: datetime | None = None,
) -> NextSlot:
    """The earliest legal deployment slot of ``release`` in ``env``.

    Not before ``now``; not before the plan date plus the minimum ``lead_time``; not before the
    minimum ``testing_period`` is over (from ``testing_started_at`` while in TEST, from now
    before TEST, no constraint after it); inside a window of ``window_class``, outside freezes.
    ``pending_gates`` make the slot tentative.
    """
    if release.phase.is_terminal:
        raise ConflictError(
            f"release {release.id} is {release.phase.value}: it has nothing left to deploy",
            where=f"release {release.id}",
        )
    zone = windows.zone
    duration = windows.expected_duration if expected_duration is None else expected_duration
    now = to_local(now, zone)
    constraints = [SlotConstraint("now", now, "now")]
    if lead_time:
        planned = to_local(release.created_at, zone)
        constraints.append(
            SlotConstraint(
                "lead_time",
                planned + lead_time,
                f"planned {planned:%Y-%m-%d} + {_days(lead_time)} minimum lead time",
            )
        )
    started = to_local(testing_started_at, zone) if testing_started_at else None
    testing = _testing_constraint(release, now, testing_period, started)
    if testing is not None:
        constraints.append(testing)
    binding = max(constraints, key=lambda c: c.earliest)
    earliest = to_local(binding.earliest, zone)
    slot = compute_next_open_window(
        env,
        after=earliest,
        windows=windows,
        freezes=freezes,
        window_class=window_class,
        duration=duration,
    )
    target_end = resolve_local_time(release.target_date, 0, zone, latest=False) + timedelta(days=1)
    return NextSlot(
        release_id=release.id,
        environment=env,
        slot=slot,
        earliest=earliest,
        binding=binding.name,
        constraints=tuple(constraints),
        pending_gates=tuple(pending_gates),
        late=slot is not None and slot.starts_at >= target_end,
    )


def _testing_constraint(
    release: Release, now: datetime, period: timedelta, started: datetime | None
) -> SlotConstraint | None:
    if not period:
        return None
    if release.phase in (Phase.PLAN, Phase.BUILD):
        return SlotConstraint(
            "testing_period", now + period, f"{_days(period)} of testing, not started yet"
        )
    if release.phase is Phase.TEST:
        begin = started or now
        return SlotConstraint(
            "testing_period",
            begin + period,
            f"{_days(period)} of testing from {begin:%Y-%m-%d %H:%M}",
        )
    return None


def _days(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours % 24:
        return f"{hours} hours"
    days = hours // 24
    if days % 7 == 0:
        return f"{days // 7} weeks" if days != 7 else "1 week"
    return f"{days} days" if days != 1 else "1 day"
