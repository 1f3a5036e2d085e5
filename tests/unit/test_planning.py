"""Lead time checks for planning a release (J-003 §2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from relman.domain.planning import compute_lead_time, decide_lead_time
from relman.domain.policy import ReleasePolicy
from relman.errors import BlockedError, InvalidInputError

POLICY = ReleasePolicy.default()
DHAKA = timezone(timedelta(hours=6))
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=DHAKA)  # a Monday morning in Dhaka


@pytest.mark.parametrize(
    ("release_type", "target", "state"),
    [
        ("minor", date(2026, 3, 9), "ok"),  # 7 days 14 hours
        ("minor", date(2026, 3, 20), "long"),  # beyond 2 weeks is fine, just unusual
        ("major", date(2026, 3, 30), "ok"),
        ("patch", date(2026, 3, 5), "ok"),
        ("hotfix", date(2026, 3, 2), "ok"),  # 14 hours left today
        ("hotfix", date(2026, 3, 5), "long"),
    ],
)
def test_enough_lead_time(release_type: str, target: date, state: str) -> None:
    check = decide_lead_time(POLICY.get_release_type(release_type), now=NOW, target_date=target)
    assert check.state == state
    assert f"J-003 lead time for {release_type} releases" in check.message


@pytest.mark.parametrize(
    ("release_type", "target", "message"),
    [
        (
            "minor",
            date(2026, 3, 8),
            r"lead time 6 days 14 hours to 2026-03-08 is shorter than 1 week "
            r"\(J-003 lead time for minor releases: 1 week-2 weeks\)",
        ),
        ("major", date(2026, 3, 16), r"shorter than 4 weeks"),
        ("patch", date(2026, 3, 3), r"lead time 38 hours to 2026-03-03 is shorter than 3 days"),
    ],
)
def test_too_short_is_refused_for_refuse_types(
    release_type: str, target: date, message: str
) -> None:
    rt = POLICY.get_release_type(release_type)
    with pytest.raises(BlockedError, match=message) as info:
        decide_lead_time(rt, now=NOW, target_date=target)
    assert info.value.hint is not None
    assert (NOW + rt.lead_time_min).date().isoformat() in info.value.hint
    assert decide_lead_time(rt, now=NOW, target_date=target, override=True).state == "overridden"


def test_too_short_hotfix_only_warns() -> None:
    late = datetime(2026, 3, 2, 23, 0, tzinfo=DHAKA)
    check = decide_lead_time(
        POLICY.get_release_type("hotfix"), now=late, target_date=date(2026, 3, 2)
    )
    assert check.state == "warn"
    assert "lead time 1 hour" in check.message


def test_past_target_is_invalid() -> None:
    with pytest.raises(InvalidInputError, match="target date 2026-03-01 is in the past"):
        decide_lead_time(POLICY.get_release_type("minor"), now=NOW, target_date=date(2026, 3, 1))


def test_lead_time_counts_to_the_end_of_the_target_day_in_local_time() -> None:
    assert compute_lead_time(now=NOW, target_date=date(2026, 3, 2)) == timedelta(hours=14)
    assert compute_lead_time(now=NOW.astimezone(UTC), target_date=date(2026, 3, 2)) == timedelta(
        hours=20
    )
