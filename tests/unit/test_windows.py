"""Deployment windows (J-003 §12.4): every default window, its edges, overruns, freezes,
emergency overrides, rollbacks and daylight-saving changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from relman.domain.policy import ReleasePolicy
from relman.domain.windows import (
    DeploymentWindow,
    EmergencyOverride,
    EnvironmentWindows,
    Freeze,
    OverrideApproval,
    WindowDecision,
    WindowPolicy,
    compute_next_open_window,
    decide_deployment_slot,
    plan_override,
    resolve_local_time,
)
from relman.errors import BlockedError, InvalidInputError, NotFoundError
from relman.policy_settings.calendar import resolve_window_policy, window_from_text
from relman.settings import Settings

DHAKA = ZoneInfo("Asia/Dhaka")
TYPES = ReleasePolicy.default().release_types
MINOR, MAJOR, HOTFIX = TYPES["minor"], TYPES["major"], TYPES["hotfix"]


def j003() -> WindowPolicy:
    s = Settings()
    return resolve_window_policy(s.windows, s.emergency, s.environments)


def bdt(text: str) -> datetime:
    """``"2026-03-28 02:00"`` in Asia/Dhaka."""
    return datetime.fromisoformat(text).replace(tzinfo=DHAKA)


def decide(env: str, at: str, minutes: int, **kw: Any) -> WindowDecision:
    kw.setdefault("release_type", MINOR)
    kw.setdefault("freezes", ())
    return decide_deployment_slot(
        env,
        at=bdt(at),
        expected_duration=timedelta(minutes=minutes),
        windows=kw.pop("windows", j003()),
        **kw,
    )


# 2026-03-28 is a Saturday, 2026-04-01 a Wednesday, 2026-03-31 a Tuesday.
@pytest.mark.parametrize(
    ("env", "at", "minutes", "allowed", "code", "next_window"),
    [
        # prod primary: Sat 02:00-06:00 BDT
        ("prod", "2026-03-28 02:00", 60, True, "in_window", None),
        ("prod", "2026-03-28 01:59", 30, False, "outside_window", "2026-03-28 02:00"),
        ("prod", "2026-03-28 05:00", 60, True, "in_window", None),  # ends exactly at 06:00
        ("prod", "2026-03-28 05:30", 60, False, "overruns", "2026-04-01 02:00"),
        ("prod", "2026-03-28 06:00", 10, False, "outside_window", "2026-04-01 02:00"),
        # prod secondary: Wed 02:00-04:00 BDT
        ("prod", "2026-04-01 02:00", 120, True, "in_window", None),
        ("prod", "2026-04-01 03:00", 90, False, "overruns", "2026-04-04 02:00"),
        ("prod", "2026-03-31 10:00", 50, False, "outside_window", "2026-04-01 02:00"),
        # staging: daily 18:00-20:00 BDT
        ("staging", "2026-03-31 18:00", 120, True, "in_window", None),
        ("staging", "2026-03-31 17:59", 5, False, "outside_window", "2026-03-31 18:00"),
        ("staging", "2026-03-31 19:30", 45, False, "overruns", "2026-04-01 18:00"),
        ("staging", "2026-03-31 20:00", 5, False, "outside_window", "2026-04-01 18:00"),
        # QA: daily 12:00-13:00 BDT
        ("qa", "2026-03-31 12:00", 60, True, "in_window", None),
        ("qa", "2026-03-31 12:59", 1, True, "in_window", None),
        ("qa", "2026-03-31 13:00", 1, False, "outside_window", "2026-04-01 12:00"),
        ("qa", "2026-03-31 11:00", 30, False, "outside_window", "2026-03-31 12:00"),
        # dev has no windows
        ("dev", "2026-03-31 03:17", 600, True, "no_windows", None),
    ],
)
def test_every_j003_window_and_its_edges(
    *, env: str, at: str, minutes: int, allowed: bool, code: str, next_window: str | None
) -> None:
    decision = decide(env, at, minutes)
    assert (decision.allowed, decision.code) == (allowed, code)
    if next_window is None:
        assert decision.next_slot is None
    else:
        assert decision.next_slot is not None
        assert decision.next_slot.starts_at == bdt(next_window)
        assert f"next open window: {bdt(next_window):%a %Y-%m-%d %H:%M}" in decision.message


def test_a_refusal_names_the_window_and_raises_blocked_with_exit_7() -> None:
    decision = decide("prod", "2026-03-31 10:00", 50)
    assert decision.message == (
        "Tue 2026-03-31 10:00 +06 is outside the prod deployment windows for minor releases "
        "(Sat 02:00-06:00, Wed 02:00-04:00; Asia/Dhaka); next open window: Wed 2026-04-01 "
        "02:00-04:00 +06"
    )
    with pytest.raises(BlockedError) as err:
        decision.require()
    assert err.value.exit_code == 7
    assert err.value.details["next_window"] == "2026-04-01T02:00:00+06:00"


def test_an_overrun_says_when_it_would_end() -> None:
    decision = decide("prod", "2026-03-28 05:30", 60)
    assert decision.message.startswith(
        "a 60-minute deployment starting Sat 2026-03-28 05:30 would end at 06:30, after the prod "
        "window Sat 2026-03-28 02:00-06:00 +06 closes"
    )


def test_a_major_release_uses_only_the_saturday_maintenance_window() -> None:
    assert decide("prod", "2026-04-01 02:00", 60, release_type=MAJOR).code == "outside_window"
    assert decide("prod", "2026-03-28 02:00", 60, release_type=MAJOR).allowed
    nxt = compute_next_open_window(
        "prod", after=bdt("2026-03-29 00:00"), windows=j003(), window_class="scheduled_maintenance"
    )
    assert nxt is not None and nxt.starts_at == bdt("2026-04-04 02:00")


def test_a_deployment_longer_than_any_window_has_no_next_window() -> None:
    assert (
        compute_next_open_window(
            "prod", after=bdt("2026-03-28 00:00"), windows=j003(), duration=timedelta(hours=5)
        )
        is None
    )
    decision = decide("prod", "2026-03-28 02:00", 300)
    assert "no window opens" in decision.message


def test_unknown_environment_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="unknown environment 'prd'"):
        decide("prd", "2026-03-28 02:00", 10)


@pytest.mark.parametrize("at", ["2026-03-31 10:00", "2026-03-28 05:59"])
def test_rollback_is_always_allowed(at: str) -> None:
    frozen = (Freeze(date(2026, 3, 1), date(2026, 4, 30), "audit"),)
    decision = decide("prod", at, 240, rollback=True, freezes=frozen)
    assert (decision.allowed, decision.code) == (True, "rollback")


# --- freezes -------------------------------------------------------------------------------

YEAR_END = Freeze(date(2026, 12, 24), date(2026, 12, 27), "Year-end closing", ("prod",))


@pytest.mark.parametrize(
    ("env", "at", "allowed", "code", "next_window"),
    [
        ("prod", "2026-12-26 02:00", False, "frozen", "2026-12-30 02:00"),  # a Saturday window
        ("prod", "2026-12-23 02:00", True, "in_window", None),  # Wednesday before the freeze
        ("prod", "2026-12-28 02:00", False, "outside_window", "2026-12-30 02:00"),
        ("staging", "2026-12-26 18:00", True, "in_window", None),  # the freeze is prod only
    ],
)
def test_freezes(env: str, at: str, allowed: bool, code: str, next_window: str | None) -> None:
    decision = decide(env, at, 60, freezes=(YEAR_END,))
    assert (decision.allowed, decision.code) == (allowed, code)
    if next_window:
        assert decision.next_slot is not None
        assert decision.next_slot.starts_at == bdt(next_window)


def test_a_frozen_refusal_names_the_reason() -> None:
    decision = decide("prod", "2026-12-26 02:00", 60, freezes=(YEAR_END,))
    assert "prod is frozen 2026-12-24 to 2026-12-27 (prod): Year-end closing" in decision.message


def test_a_freeze_covering_whole_windows_pushes_the_next_window_past_it() -> None:
    march = Freeze(date(2026, 3, 27), date(2026, 4, 4), "Eid holidays")
    nxt = compute_next_open_window(
        "prod", after=bdt("2026-03-27 00:00"), windows=j003(), freezes=(march,)
    )
    assert nxt is not None and nxt.starts_at == bdt("2026-04-08 02:00")


def test_environments_without_windows_still_respect_freezes() -> None:
    freeze = Freeze(date(2026, 3, 31), date(2026, 3, 31), "migration day", ("dev",))
    decision = decide("dev", "2026-03-31 10:00", 30, freezes=(freeze,))
    assert decision.next_slot is not None
    assert (decision.code, decision.next_slot.starts_at) == ("frozen", bdt("2026-04-01 00:00"))


def test_freeze_needs_a_reason_and_an_order() -> None:
    with pytest.raises(InvalidInputError, match="needs a reason"):
        Freeze(date(2026, 1, 1), date(2026, 1, 2), " ")
    with pytest.raises(InvalidInputError, match="ends before it starts"):
        Freeze(date(2026, 1, 2), date(2026, 1, 1), "x")


# --- emergency overrides -------------------------------------------------------------------

DEVOPS = OverrideApproval("dipu", "devops_lead", bdt("2026-03-31 09:00"))
PM = OverrideApproval("parvin", "project_manager", bdt("2026-03-31 09:05"))
BOTH = ("devops_lead", "project_manager")
EMERGENCY, REFUSED = "emergency_override", "override_refused"


def override(env: str = "prod", **kw: object) -> EmergencyOverride:
    fields: dict[str, object] = {
        "release_id": "R-9",
        "environment": env,
        "reason": "P1: payments down",
        "requested_by": "dipu",
        "requested_at": bdt("2026-03-31 09:00"),
        "expires_at": bdt("2026-03-31 21:00"),
    }
    fields.update(kw)
    return EmergencyOverride(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("release_type", "ovr", "allowed", "code", "missing", "post_hoc"),
    [
        # hotfix without approvals: allowed, the approvals are owed within 48 hours
        (HOTFIX, override(), True, EMERGENCY, BOTH, True),
        (HOTFIX, override(approvals=(DEVOPS,)), True, EMERGENCY, BOTH[1:], True),
        (HOTFIX, override(approvals=(DEVOPS, PM)), True, EMERGENCY, (), False),
        # a minor release: only when it fixes an incident, and then with approvals up front
        (MINOR, override(), False, REFUSED, BOTH, False),
        (MINOR, override(incident_id="INC-1"), False, REFUSED, BOTH, False),
        (MINOR, override(incident_id="INC-1", approvals=(DEVOPS, PM)), True, EMERGENCY, (), False),
        # expired, not yet valid, or for another environment
        (HOTFIX, override(expires_at=bdt("2026-03-31 09:30")), False, REFUSED, BOTH, False),
        (HOTFIX, override(requested_at=bdt("2026-03-31 10:01")), False, REFUSED, BOTH, False),
        (HOTFIX, override(env="staging"), False, REFUSED, BOTH, False),
    ],
)  # fmt: skip
def test_emergency_overrides_in_prod(
    *,
    release_type: object,
    ovr: EmergencyOverride,
    allowed: bool,
    code: str,
    missing: tuple[str, ...],
    post_hoc: bool,
) -> None:
    decision = decide(
        "prod", "2026-03-31 10:00", 50, release_type=release_type, emergency_override=ovr
    )
    assert (decision.allowed, decision.code) == (allowed, code)
    assert decision.missing_approvals == missing
    due = decision.post_hoc_due
    assert (due == bdt("2026-04-02 10:00")) if post_hoc else due is None


def test_a_post_hoc_override_says_who_owes_approval_by_when() -> None:
    decision = decide(
        "prod", "2026-03-31 10:00", 50, release_type=HOTFIX, emergency_override=override()
    )
    assert decision.message == (
        "emergency override (P1: payments down): Tue 2026-03-31 10:00 +06 is outside the prod "
        "deployment windows for hotfix releases (Sat 02:00-06:00, Wed 02:00-04:00; Asia/Dhaka); "
        "post-hoc approval by "
        "devops_lead, project_manager due by 2026-04-02 10:00"
    )


def test_an_override_passes_a_freeze_unless_the_freeze_forbids_emergencies() -> None:
    soft = Freeze(date(2026, 3, 30), date(2026, 4, 2), "audit", ("prod",))
    hard = replace(soft, allow_emergency=False)
    kw = {"release_type": HOTFIX, EMERGENCY: override()}
    assert decide("prod", "2026-03-31 10:00", 50, freezes=(soft,), **kw).allowed
    refused = decide("prod", "2026-03-31 10:00", 50, freezes=(hard,), **kw)
    assert "allows no emergency deployments" in refused.message


@pytest.mark.parametrize(
    ("env", "release_type", "allowed", "code"),
    [
        ("staging", HOTFIX, True, "on_demand"),  # staging: outside the window on demand
        ("staging", MINOR, True, "on_demand"),
        # QA is "automated", not on demand, and allows no emergency (§12.4 "N/A")
        ("qa", MINOR, False, "override_refused"),
        ("qa", HOTFIX, False, "override_refused"),
    ],
)
def test_on_demand_environments_take_an_override_with_a_reason(
    env: str, release_type: object, allowed: bool, code: str
) -> None:
    decision = decide(
        env, "2026-03-31 10:00", 30, release_type=release_type, emergency_override=override(env)
    )
    assert (decision.allowed, decision.code) == (allowed, code)
    assert decision.missing_approvals == ()


def test_staging_without_on_demand_in_its_policy_takes_only_hotfixes_and_incidents() -> None:
    staging = replace(j003().environments["staging"], outside_windows="none")
    strict = replace(j003(), environments={**j003().environments, "staging": staging})
    kw = {"windows": strict, "emergency_override": override("staging")}
    minor = decide("staging", "2026-03-31 10:00", 30, release_type=MINOR, **kw)
    assert (minor.allowed, minor.code) == (False, "override_refused")
    assert "only for hotfixes and incidents" in minor.message
    hotfix = decide("staging", "2026-03-31 10:00", 30, release_type=HOTFIX, **kw)
    assert (hotfix.allowed, hotfix.code) == (True, "emergency_override")


def test_no_emergency_where_the_policy_says_none() -> None:
    strict = replace(
        j003(),
        environments={
            **j003().environments,
            "qa": EnvironmentWindows("qa", j003().environments["qa"].primary, emergency="none"),
        },
    )
    decision = decide(
        "qa", "2026-03-31 10:00", 30, windows=strict, release_type=HOTFIX,
        emergency_override=override("qa"),
    )  # fmt: skip
    assert decision.code == "override_refused"
    assert "qa allows no emergency deployments" in decision.message


@pytest.mark.parametrize(
    ("release_type", "incident", "hours", "error", "env"),
    [
        (HOTFIX, None, 4, None, "prod"),
        (MINOR, "INC-3", 4, None, "prod"),
        (MINOR, None, 4, "only for hotfixes and incidents", "prod"),
        (HOTFIX, None, 25, "at most 24 hours", "prod"),
        (HOTFIX, None, 0, "before now", "prod"),
        # QA is automated, not on demand: a minor release with no incident gets nothing
        (MINOR, None, 4, "only for hotfixes and incidents", "qa"),
        (HOTFIX, None, 4, "qa allows no emergency deployments", "qa"),
        # staging's policy says on demand (§12.4): a reason is enough
        (MINOR, None, 4, None, "staging"),
    ],
)
def test_plan_override(
    release_type: object, incident: str | None, hours: int, error: str | None, env: str
) -> None:
    now = bdt("2026-03-31 09:00")

    def plan() -> EmergencyOverride:
        return plan_override(
            release_id="R-9",
            release_type=release_type,  # type: ignore[arg-type]
            environment=env,
            reason="P1",
            requested_by="dipu",
            now=now,
            expires_at=now + timedelta(hours=hours),
            windows=j003(),
            incident_id=incident,
        )

    if error is None:
        assert plan().expires_at == now + timedelta(hours=hours)
    else:
        with pytest.raises((BlockedError, InvalidInputError), match=error):
            plan()


# --- daylight saving -----------------------------------------------------------------------

LONDON, NEW_YORK = "Europe/London", "America/New_York"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "window", "day", "opens_utc", "closes_utc"),
    [
        # London, clocks forward 2026-03-29 01:00 GMT -> 02:00 BST (01:00 UTC)
        (LONDON, "Sun 00:30-02:30", "2026-03-29", "2026-03-29 00:30", "2026-03-29 01:30"),
        (LONDON, "Sun 01:30-03:00", "2026-03-29", "2026-03-29 01:00", "2026-03-29 02:00"),
        (LONDON, "Sat 02:00-06:00", "2026-03-28", "2026-03-28 02:00", "2026-03-28 06:00"),
        (LONDON, "Sat 02:00-06:00", "2026-04-04", "2026-04-04 01:00", "2026-04-04 05:00"),
        # London, clocks back 2026-10-25 02:00 BST -> 01:00 GMT (01:00 UTC): 01:xx twice
        (LONDON, "Sun 01:00-02:00", "2026-10-25", "2026-10-25 00:00", "2026-10-25 02:00"),
        (LONDON, "Sun 01:00-01:30", "2026-10-25", "2026-10-25 00:00", "2026-10-25 01:30"),
        (LONDON, "Sun 01:30-03:00", "2026-10-25", "2026-10-25 00:30", "2026-10-25 03:00"),
        # New York, forward 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC)
        (NEW_YORK, "Sun 02:00-04:00", "2026-03-08", "2026-03-08 07:00", "2026-03-08 08:00"),
        (NEW_YORK, "Sat 22:00-03:00", "2026-03-07", "2026-03-08 03:00", "2026-03-08 07:00"),
        # New York, back 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC)
        (NEW_YORK, "Sun 01:00-03:00", "2026-11-01", "2026-11-01 05:00", "2026-11-01 08:00"),
        (NEW_YORK, "Daily 18:00-20:00", "2026-11-01", "2026-11-01 23:00", "2026-11-02 01:00"),
        (NEW_YORK, "Daily 18:00-20:00", "2026-10-31", "2026-10-31 22:00", "2026-11-01 00:00"),
        # Dhaka has no DST: always +06
        ("Asia/Dhaka", "Sat 02:00-06:00", "2026-03-28", "2026-03-27 20:00", "2026-03-28 00:00"),
        ("Asia/Dhaka", "Fri 22:00-24:00", "2026-03-27", "2026-03-27 16:00", "2026-03-27 18:00"),
    ],
)
def test_openings_across_dst(
    tz: str, window: str, day: str, opens_utc: str, closes_utc: str
) -> None:
    opening = window_from_text(window, tz=tz).opening_on(date.fromisoformat(day))
    assert opening is not None
    assert (opening.opens_at, opening.closes_at) == (utc(opens_utc), utc(closes_utc))


def test_a_window_inside_the_skipped_hour_does_not_open() -> None:
    window = window_from_text("Sun 01:00-01:45", tz=LONDON)
    assert window.opening_on(date(2026, 3, 29)) is None
    assert window.opening_on(date(2026, 3, 22)) is not None


@pytest.mark.parametrize(
    ("at_utc", "inside"),
    [
        ("2026-11-01 05:30", True),  # 01:30 EDT, the first 01:30
        ("2026-11-01 06:30", True),  # 01:30 EST, the repeated 01:30
        ("2026-11-01 07:00", False),  # 02:00 EST: closed
        ("2026-11-01 04:59", False),  # 00:59 EDT
    ],
)
def test_the_repeated_hour_is_inside_the_window(at_utc: str, inside: bool) -> None:
    policy = WindowPolicy(
        timezone=NEW_YORK,
        environments={
            "prod": EnvironmentWindows("prod", (window_from_text("Sun 01:00-02:00", tz=NEW_YORK),))
        },
        classes={"standard": ("primary", "secondary")},
    )
    decision = decide_deployment_slot(
        "prod",
        at=utc(at_utc),
        expected_duration=timedelta(minutes=1),
        windows=policy,
        freezes=(),
        release_type=MINOR,
    )
    assert decision.allowed is inside


@pytest.mark.parametrize(
    ("tz", "day", "minute", "latest", "expected_utc"),
    [
        (LONDON, "2026-03-29", 90, False, "2026-03-29 01:00"),  # 01:30 does not exist
        (LONDON, "2026-10-25", 90, False, "2026-10-25 00:30"),  # first 01:30 (BST)
        (LONDON, "2026-10-25", 90, True, "2026-10-25 01:30"),  # second 01:30 (GMT)
        (NEW_YORK, "2026-03-08", 150, True, "2026-03-08 07:00"),  # 02:30 does not exist
        (NEW_YORK, "2026-07-01", 150, True, "2026-07-01 06:30"),
    ],
)
def test_resolve_local_time(
    tz: str, day: str, minute: int, latest: bool, expected_utc: str
) -> None:
    at = resolve_local_time(date.fromisoformat(day), minute, ZoneInfo(tz), latest=latest)
    assert at == utc(expected_utc)


def test_a_window_needs_days_and_distinct_times() -> None:
    with pytest.raises(InvalidInputError):
        DeploymentWindow(days=(), start=0, end=60)
    with pytest.raises(InvalidInputError, match="same time"):
        DeploymentWindow(days=(1,), start=60, end=60)
