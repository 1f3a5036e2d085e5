"""The release calendar (J-003 §12): conflicts, next legal slot, calendar files."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from release_factories import make_release

from relman.domain.calendar import (
    ScheduleEntry,
    compute_conflicts,
    infer_release_type,
    merge_entries,
    plan_calendar,
)
from relman.domain.policy import ReleasePolicy
from relman.domain.releases import Phase
from relman.domain.windows import Freeze, PhaseWindows, WindowPolicy, compute_next_slot
from relman.errors import ConflictError, InvalidInputError
from relman.policy_settings.calendar import (
    load_calendar_file,
    resolve_window_policy,
    window_from_text,
)
from relman.settings import Settings

DHAKA = ZoneInfo("Asia/Dhaka")
TYPES = ReleasePolicy.default().release_types
EXAMPLE = Path(__file__).parents[2] / "examples" / "calendar-2026.toml"


def j003() -> WindowPolicy:
    s = Settings()
    return resolve_window_policy(s.windows, s.emergency, s.environments)


def bdt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=DHAKA)


def entry(key: str, day: str, version: str = "1.1.0", **kw: object) -> ScheduleEntry:
    fields: dict[str, object] = {
        "key": key,
        "version": version,
        "planned_date": date.fromisoformat(day),
        "title": key,
        "release_type": infer_release_type(version),
        "planned_on": date(2026, 1, 31),
    }
    fields.update(kw)
    return ScheduleEntry(**fields)  # type: ignore[arg-type]


def conflicts(*entries: ScheduleEntry, freezes: tuple[Freeze, ...] = (), windows=None):  # type: ignore[no-untyped-def]
    return compute_conflicts(
        entries, windows=windows or j003(), freezes=freezes, release_types=TYPES
    )


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.0.0", "major"), ("1.2.0", "minor"), ("1.2.3", "patch"), ("1.2.3-hotfix.1", "hotfix")],
)
def test_infer_release_type(version: str, expected: str) -> None:
    assert infer_release_type(version) == expected


# 2026-03-28 Sat, 2026-04-01 Wed, 2026-03-31 Tue
@pytest.mark.parametrize(
    ("entries", "kinds"),
    [
        ([entry("A", "2026-03-28")], []),
        ([entry("A", "2026-03-28"), entry("B", "2026-04-01", "1.2.0")], []),
        # two releases in one window of one environment
        ([entry("A", "2026-03-28"), entry("B", "2026-03-28", "1.2.0")], ["double_booked"]),
        # the same day but different environments: no conflict
        ([entry("A", "2026-03-28"), entry("B", "2026-03-28", "1.2.0", environment="staging")], []),
        # outside any window
        ([entry("A", "2026-03-31")], ["outside_window"]),
        # an exact time inside / outside / overrunning the window
        ([entry("A", "2026-03-28", deploy_at=bdt("2026-03-28 03:00"))], []),
        ([entry("A", "2026-03-28", deploy_at=bdt("2026-03-28 07:00"))], ["outside_window"]),
        ([entry("A", "2026-03-28", deploy_at=bdt("2026-03-28 05:30"))], ["outside_window"]),
        # a major release: only the Saturday maintenance window, 4 weeks of lead time
        ([entry("M", "2026-04-01", "2.0.0")], ["outside_window"]),
        ([entry("M", "2026-03-28", "2.0.0", planned_on=date(2026, 3, 1))], ["lead_time"]),
        ([entry("M", "2026-03-28", "2.0.0", planned_on=date(2026, 2, 28))], []),
        # a minor release needs 1 week
        ([entry("A", "2026-03-28", planned_on=date(2026, 3, 25))], ["lead_time"]),
        # a hotfix only warns about its lead time: no conflict
        ([entry("H", "2026-03-28", "1.1.1-hotfix.1", planned_on=date(2026, 3, 28))], []),
    ],
)
def test_conflicts(entries: list[ScheduleEntry], kinds: list[str]) -> None:
    assert [c.kind for c in conflicts(*entries)] == kinds


def test_conflict_messages_name_the_releases_and_the_fix() -> None:
    found = conflicts(entry("A", "2026-03-28"), entry("B", "2026-03-28", "1.2.0"))
    assert found[0].refs == ("A", "B")
    assert found[0].message == (
        "A 1.1.0, B 1.2.0 are booked into the same prod window Sat 2026-03-28 02:00-06:00 +06"
    )
    [outside] = conflicts(entry("A", "2026-03-31"))
    assert outside.message == (
        "A 1.1.0 is outside any window: it is planned for Tue 2026-03-31, when its window "
        "(Sat 02:00-06:00, Wed 02:00-04:00) does not open; nearest openings: Sat 2026-03-28 "
        "02:00-06:00 +06 or Wed 2026-04-01 02:00-04:00 +06"
    )
    [lead] = conflicts(entry("M", "2026-03-28", "2.0.0", planned_on=date(2026, 3, 1)))
    assert lead.message == (
        "M 2.0.0 is a major release planned on 2026-03-01 for 2026-03-28: 27 days is inside its "
        "minimum lead time of 4 weeks (J-003 §2)"
    )


def test_a_release_in_a_freeze_conflicts() -> None:
    freeze = Freeze(date(2026, 3, 27), date(2026, 3, 29), "Eid", ("prod",))
    found = conflicts(entry("A", "2026-03-28"), freezes=(freeze,))
    assert [c.kind for c in found] == ["frozen"]
    assert "falls in the freeze 2026-03-27 to 2026-03-29 (prod): Eid" in found[0].message


def test_phase_windows_replace_the_j003_windows_and_must_lie_inside_them() -> None:
    wed = window_from_text("Wed 02:00-03:00", tz="Asia/Dhaka", label="Phase 3")
    phase = PhaseWindows("Phase 3", date(2026, 9, 1), date(2026, 11, 30), (wed,))
    windows = j003().with_phases([phase])
    # a minor on a Wednesday of phase 3 fits; on the Saturday it does not (the phase window rules)
    assert conflicts(entry("W2", "2026-09-09"), windows=windows) == []
    assert [c.kind for c in conflicts(entry("X", "2026-09-12"), windows=windows)] == [
        "outside_window"
    ]
    # a major in the Wednesday phase window: not the Saturday maintenance window of §2.5
    [major] = conflicts(entry("W1", "2026-09-02", "3.0.0"), windows=windows)
    assert "is not a prod window for major releases (J-003 §12.4: Sat 02:00-06:00)" in (
        major.message
    )


def test_the_j003_calendar_file_loads_and_reports_the_plans_own_conflicts() -> None:
    cal = load_calendar_file(EXAMPLE, tz="Asia/Dhaka")
    assert len(cal.entries) == 25 and len(cal.phases) == 4
    r1 = cal.entries[0]
    assert (r1.key, r1.version, r1.planned_date, r1.release_type) == (
        "R1", "1.0.0", date(2026, 2, 28), "major",
    )  # fmt: skip
    assert cal.phases[2].windows[0].describe() == "Wed 02:00-03:00"
    found = conflicts(*cal.entries, windows=j003().with_phases(cal.phases))
    # R1, S... on a Saturday fit; O1 and O2 (Saturdays) too. Every other date misses its window.
    clean = {"R1", "O1", "O2"}
    assert {c.refs[0] for c in found} == {e.key for e in cal.entries} - clean
    assert {c.kind for c in found} == {"outside_window"}


HEAD = '[[releases]]\nkey = "A"\nversion = "1.0.0"\ndate = 2026-02-28\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEAD + 'window = "Sat 25:00-06:00"\n',
         ":5 releases[0].window: invalid window 'Sat 25:00-06:00'"),
        (HEAD + 'phase = "P9"\n',
         ":5 releases[0].phase: unknown phase 'P9' (known: none)"),
        (HEAD + "when = 1\n",
         ":5 releases[0].when: unknown key 'when'"),
        ('[[freezes]]\nstarts = 2026-02-28\nends = 2026-02-01\nreason = "x"\n',
         ":3 freezes[0].ends: 2026-02-01 is before starts (2026-02-28)"),
        ("[calendar\n", "invalid TOML"),
    ],
)  # fmt: skip
def test_calendar_file_errors_name_file_line_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "cal.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        load_calendar_file(path, tz="Asia/Dhaka")
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_merge_links_a_release_record_to_its_calendar_entry() -> None:
    release = make_release(version="1.1.0", target_date=date(2026, 3, 28))
    other = make_release(id="R-2", version="1.2.0", target_date=date(2026, 4, 1))
    cancelled = make_release(id="R-3", version="1.3.0", phase=Phase.CANCELLED)
    merged = merge_entries([entry("A", "2026-03-28")], [release, other, cancelled])
    assert [(e.key, e.release_id) for e in merged] == [("A", "R-1"), ("R-2", "R-2")]


def test_plan_calendar_lists_releases_windows_and_freezes_in_order() -> None:
    freeze = Freeze(date(2026, 3, 29), date(2026, 3, 29), "audit", ("prod",))
    items = plan_calendar(
        start=bdt("2026-03-27 00:00"),
        end=bdt("2026-04-02 00:00"),
        windows=j003(),
        freezes=(freeze,),
        entries=[entry("A", "2026-03-28")],
        release_types=TYPES,
        environments=["prod"],
    )
    assert [(i.kind, i.starts_at) for i in items] == [
        ("release", bdt("2026-03-28 02:00")),
        ("window", bdt("2026-03-28 02:00")),
        ("freeze", bdt("2026-03-29 00:00")),
        ("window", bdt("2026-04-01 02:00")),
    ]
    assert items[0].details["window"] == "Sat 2026-03-28 02:00-06:00 +06"


SAT_FREEZE = Freeze(date(2026, 3, 7), date(2026, 3, 7), "audit")
TESTING_FROM = bdt("2026-03-01 12:00")

# --- next slot -----------------------------------------------------------------------------


def slot(**kw: object):  # type: ignore[no-untyped-def]
    release = kw.pop("release", make_release())
    args: dict[str, object] = {
        "now": bdt("2026-03-02 16:00"),
        "windows": j003(),
        "freezes": (),
        "lead_time": TYPES["minor"].lead_time_min,
        "testing_period": TYPES["minor"].testing_period_min,
        "pending_gates": (),
        "window_class": "standard",
    }
    args.update(kw)
    return compute_next_slot(release, "prod", **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "starts", "binding"),
    [
        # created 2026-02-16 16:00: lead time already over; 3 days of testing from now (BUILD)
        ({}, "2026-03-07 02:00", "testing_period"),
        # in DEPLOY: nothing left but the window: Wed 2026-03-04 02:00
        ({"release": make_release(phase=Phase.DEPLOY)}, "2026-03-04 02:00", "now"),
        # planned yesterday: a week of lead time from its plan date
        (
            {"release": make_release(phase=Phase.DEPLOY, created_at=bdt("2026-03-01 09:00"))},
            "2026-03-11 02:00",
            "lead_time",
        ),
        # testing started 2026-03-01 12:00 in TEST: 3 days -> 2026-03-04 12:00 -> Sat 03-07
        (
            {"release": make_release(phase=Phase.TEST), "testing_started_at": TESTING_FROM},
            "2026-03-07 02:00",
            "testing_period",
        ),
        # a freeze over the first Saturday pushes it to Wednesday
        ({"freezes": (SAT_FREEZE,)}, "2026-03-11 02:00", "testing_period"),
        # a major: Saturday only, 2 weeks of testing
        (
            {"window_class": "scheduled_maintenance", "testing_period": timedelta(weeks=2)},
            "2026-03-21 02:00",
            "testing_period",
        ),
    ],
)  # fmt: skip
def test_next_slot(kw: dict[str, object], starts: str, binding: str) -> None:
    found = slot(**kw)
    assert found.slot is not None
    assert (found.slot.starts_at, found.binding) == (bdt(starts), binding)
    assert found.slot.ends_at == bdt(starts) + timedelta(minutes=50)


def test_next_slot_with_pending_gates_is_tentative_and_late_after_target() -> None:
    found = slot(pending_gates=("G3", "G4"), release=make_release(target_date=date(2026, 3, 5)))
    assert found.tentative and found.pending_gates == ("G3", "G4")
    assert found.late


def test_next_slot_of_a_closed_release_is_a_conflict() -> None:
    with pytest.raises(ConflictError, match="is CLOSED"):
        slot(release=replace(make_release(), phase=Phase.CLOSED))
