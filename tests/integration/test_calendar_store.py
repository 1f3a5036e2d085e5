"""The calendar, override, incident and retrospective tables round-trip on SQLite and
PostgreSQL (and the in-memory fakes behave the same)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from relman.adapters.db.store import SqlStore
from relman.domain.calendar import ScheduleEntry
from relman.domain.incidents import Incident, IncidentUpdate
from relman.domain.releases import Phase, Release
from relman.domain.retrospectives import Retrospective
from relman.domain.windows import EmergencyOverride, Freeze, PhaseWindows
from relman.errors import ConflictError, NotFoundError
from relman.policy_settings.calendar import load_calendar_file, window_from_text
from relman.ports import UnitOfWork
from relman.testing import InMemoryUnitOfWork

T0 = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)
EXAMPLE = Path(__file__).parents[2] / "examples" / "calendar-2026.toml"


@pytest.fixture(params=["sql", "memory"])
def uow_factory(
    request: pytest.FixtureRequest, store: SqlStore
) -> Iterator[Callable[[], UnitOfWork]]:
    if request.param == "sql":
        yield store.unit_of_work
    else:
        memory = InMemoryUnitOfWork()
        yield lambda: memory


def add_release(uow: UnitOfWork, release_id: str = "R-1") -> None:
    uow.releases.add(
        Release(
            id=release_id, title="Payments hotfix", release_type="hotfix",
            version="1.4.1-hotfix.1", components=("core",), phase=Phase.PLAN,
            planned_by="dipu", target_date=date(2026, 3, 31), created_at=T0,
            commit_sha="a" * 40, scope_commits=(), scope_tickets=(), revision=1,
        )
    )  # fmt: skip


def test_imported_calendar_round_trips_and_reimport_replaces(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    cal = load_calendar_file(EXAMPLE, tz="Asia/Dhaka")
    freeze = Freeze(date(2026, 12, 24), date(2026, 12, 26), "Year-end", ("prod",), False, "x")
    with uow_factory() as uow:
        uow.calendar.replace_schedule(
            source=cal.source, entries=cal.entries, phases=cal.phases, freezes=(freeze,)
        )
    with uow_factory() as uow:
        assert uow.calendar.list_entries() == list(cal.entries)
        assert uow.calendar.list_phases() == list(cal.phases)
        assert uow.calendar.list_freezes() == [dataclasses.replace(freeze, source=cal.source)]
    # importing the same source again replaces it
    with uow_factory() as uow:
        uow.calendar.replace_schedule(
            source=cal.source, entries=cal.entries[:2], phases=(), freezes=()
        )
    with uow_factory() as uow:
        assert [e.key for e in uow.calendar.list_entries()] == ["R1", "R2"]
        assert uow.calendar.list_phases() == [] and uow.calendar.list_freezes() == []


def test_a_key_taken_by_another_calendar_conflicts_and_writes_nothing(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    entry = ScheduleEntry("R1", "1.0.0", date(2026, 2, 28), "Core", "major", source="a.toml")
    with uow_factory() as uow:
        uow.calendar.replace_schedule(source="a.toml", entries=(entry,), phases=(), freezes=())
    sat = window_from_text("Sat 02:00-04:00", tz="Asia/Dhaka")
    phase = PhaseWindows("P", date(2026, 1, 1), date(2026, 2, 1), (sat,))
    with pytest.raises(ConflictError, match=r"a\.toml"), uow_factory() as uow:
        uow.calendar.replace_schedule(
            source="b.toml", entries=(entry,), phases=(phase,), freezes=()
        )
    with uow_factory() as uow:
        assert uow.calendar.list_phases() == []
        assert [e.source for e in uow.calendar.list_entries()] == ["a.toml"]


def test_overrides_incidents_and_retrospectives_round_trip(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    incident = Incident(
        id="INC-1", severity="P1", title="Payments down", description="502s", status="open",
        opened_by="dipu", opened_at=T0, release_id="R-1",
    )  # fmt: skip
    with uow_factory() as uow:
        add_release(uow)
        assert uow.incidents.next_id() == "INC-1"
        uow.incidents.add(incident)
        uow.incidents.add_update(IncidentUpdate("INC-1", T0, "dipu", "opened", "opened as P1"))
        override = uow.calendar.add_override(
            EmergencyOverride("R-1", "prod", "P1", "dipu", T0, T0 + timedelta(hours=4), "INC-1")
        )
        assert override.id == 1
        retro = uow.retrospectives.save(
            Retrospective("R-1", "parvin", T0, T0 + timedelta(hours=48), ("parvin", "dipu"),
                          {"downtime_minutes": 12.5, "rollback": False}, "# Retro\n")
        )  # fmt: skip
    with uow_factory() as uow:
        assert uow.incidents.get("INC-1") == incident
        assert uow.incidents.next_id() == "INC-2"
        assert uow.incidents.list(release_id="R-1") == [incident]
        assert uow.incidents.list(status="closed") == []
        assert [u.kind for u in uow.incidents.list_updates("INC-1")] == ["opened"]
        assert uow.calendar.list_overrides(release_id="R-1", environment="prod") == [override]
        assert uow.retrospectives.find("R-1") == retro
        closed = dataclasses.replace(incident, status="closed", hotfix_release_id="R-1")
        assert uow.incidents.update(closed, expected_revision=1).revision == 2
    with uow_factory() as uow:
        with pytest.raises(ConflictError, match="changed by someone else"):
            uow.incidents.update(closed, expected_revision=1)
        with pytest.raises(NotFoundError, match="no incident INC-9"):
            uow.incidents.get("INC-9")
        assert uow.incidents.list(release_id="R-1")[0].hotfix_release_id == "R-1"


def test_a_retrospective_needs_its_release(uow_factory: Callable[[], UnitOfWork]) -> None:
    with pytest.raises(NotFoundError, match="no release R-7"), uow_factory() as uow:
        uow.retrospectives.save(Retrospective("R-7", "p", T0, None, (), {}, ""))
