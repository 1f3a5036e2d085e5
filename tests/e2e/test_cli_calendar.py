"""`relman calendar` from the command line on a real repository, SQLite and PostgreSQL:
import the J-003 2026 calendar, show it, export it as iCalendar (read back with `icalendar`),
check it, find the next slot, and ask whether a deployment may start."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import icalendar
import pytest
from calendar_support import PEOPLE_TOML, Cli, bdt, use_clock, use_store

EXAMPLE = Path(__file__).parents[2] / "examples" / "calendar-2026.toml"


@pytest.fixture
def cli(
    repo_builder: object,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> Cli:
    repo = repo_builder.path  # type: ignore[attr-defined]
    (repo / "relman.toml").write_text(PEOPLE_TOML, encoding="utf-8")
    repo_builder.commit("feat: first feature", {"app.py": "print('milk')\n"})  # type: ignore[attr-defined]
    use_store(monkeypatch, database_url)
    use_clock(monkeypatch, bdt("2026-03-02 16:00"))
    return Cli(repo, capsys)


def test_import_show_and_export_the_j003_calendar(cli: Cli, tmp_path: Path) -> None:
    out = cli.ok("calendar", "import", str(EXAMPLE), "--as", "parvin")
    assert out.startswith("imported 25 releases, 4 phases and 0 freezes from calendar-2026.toml")
    # importing again replaces, it does not duplicate
    cli.ok("calendar", "import", str(EXAMPLE), "--as", "parvin")

    shown = cli.json(
        "calendar", "show", "--from", "2026-02-27", "--to", "2026-03-07", "--env", "prod"
    )
    rows = [(i["kind"], i["starts_at"], i.get("ref")) for i in shown["items"]]
    assert rows == [
        ("release", "2026-02-28T02:00:00+06:00", "R1"),
        ("window", "2026-02-28T02:00:00+06:00", "Sat 2026-02-28 02:00-06:00 +06"),
        ("window", "2026-03-07T02:00:00+06:00", "Sat 2026-03-07 02:00-06:00 +06"),
    ]  # Phase 1 replaces the Wednesday window: Sat 02:00-06:00 only
    assert shown["items"][0]["version"] == "1.0.0"
    assert shown["items"][0]["phase"] == "Phase 1: Foundation"

    text = cli.ok("calendar", "show", "--from", "2026-02-27", "--to", "2026-03-01", "--env", "prod")
    assert "R1 1.0.0" in text and "Core ERP" in text

    target = tmp_path / "out" / "calendar-2026.ics"
    cli.ok("calendar", "export", "--ics", "--output", str(target))
    parsed = icalendar.Calendar.from_ical(target.read_bytes())
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    assert len(events) == 25
    r1 = events["release-R1@relman"]
    assert r1.decoded("DTSTART") == bdt("2026-02-28 02:00")
    assert r1.decoded("DTEND") == bdt("2026-02-28 02:50")
    assert str(r1["SUMMARY"]) == "R1 1.0.0 Core ERP, Basic Inventory"
    # R2 is planned on a Tuesday its window misses: an all-day event on its date
    assert events["release-R2@relman"].decoded("DTSTART") == date(2026, 3, 31)
    assert [str(t["TZID"]) for t in parsed.walk("VTIMEZONE")] == ["Asia/Dhaka"]
    for event in events.values():
        assert event.get("DTSTAMP") is not None  # required by RFC 5545


def test_export_with_windows_and_freezes_to_stdout(cli: Cli) -> None:
    calendar_file = cli.repo / "cal.toml"
    calendar_file.write_text(
        '[[releases]]\nkey = "X1"\nversion = "1.4.0"\ndate = 2026-03-14\ntitle = "Milk quality"\n\n'
        '[[freezes]]\nstarts = 2026-03-20\nends = 2026-03-22\nreason = "Eid holidays"\n',
        encoding="utf-8",
    )
    cli.ok("calendar", "import", str(calendar_file), "--as", "parvin")
    text = cli.ok(
        "calendar", "export", "--ics", "--windows", "--env", "prod",
        "--from", "2026-03-09", "--to", "2026-03-22",
    )  # fmt: skip
    parsed = icalendar.Calendar.from_ical(text)
    kinds = sorted(str(e["CATEGORIES"].cats[0]) for e in parsed.walk("VEVENT"))
    # X1 on Sat 03-14; windows Wed 03-11, Sat 03-14, Wed 03-18, (Sat 03-21 is frozen but open)
    assert kinds == ["freeze", "release", "window", "window", "window", "window"]
    freeze = next(e for e in parsed.walk("VEVENT") if str(e["CATEGORIES"].cats[0]) == "freeze")
    assert freeze.decoded("DTSTART") == date(2026, 3, 20)
    assert freeze.decoded("DTEND") == date(2026, 3, 23)


def test_check_reports_the_conflicts_and_exits_1(cli: Cli) -> None:
    cli.ok("calendar", "check")  # an empty calendar has none
    cli.ok("calendar", "import", str(EXAMPLE), "--as", "parvin")
    out = cli.fails(1, "calendar", "check")
    assert "error: 22 calendar conflicts" in out
    assert "R2 1.1.0 is outside any window" in out
    code, stdout, _ = cli("calendar", "check", "--json")
    found = json.loads(stdout)["conflicts"]
    assert code == 1 and len(found) == 22
    assert {c["kind"] for c in found} == {"outside_window"}
    assert "R1" not in {c["refs"][0] for c in found}


def test_double_booking_lead_time_and_freeze_conflicts(cli: Cli) -> None:
    path = cli.repo / "cal.toml"
    path.write_text(
        "[calendar]\nplanned_on = 2026-03-01\n\n"
        '[[releases]]\nkey = "A"\nversion = "2.0.0"\ndate = 2026-03-14\n\n'
        '[[releases]]\nkey = "B"\nversion = "1.5.0"\ndate = 2026-03-14\n\n'
        '[[freezes]]\nstarts = 2026-03-14\nends = 2026-03-14\nreason = "audit"\n',
        encoding="utf-8",
    )
    cli.ok("calendar", "import", str(path), "--as", "parvin")
    code, stdout, _ = cli("calendar", "check", "--json")
    kinds = sorted(
        (c["kind"], ",".join(c["refs"])) for c in __import__("json").loads(stdout)["conflicts"]
    )
    assert code == 1
    assert kinds == [
        ("double_booked", "A,B"), ("frozen", "A"), ("frozen", "B"), ("lead_time", "A"),
    ]  # fmt: skip


def test_a_bad_calendar_file_names_file_and_line_and_writes_nothing(cli: Cli) -> None:
    path = cli.repo / "bad.toml"
    path.write_text(
        '[[releases]]\nkey = "A"\nversion = "1.0.0"\ndate = 2026-02-30\n', encoding="utf-8"
    )
    out = cli.fails(4, "calendar", "import", str(path), "--as", "parvin")
    assert f"{path}" in out and "invalid TOML" in out
    path.write_text(
        '[[releases]]\nkey = "A"\nversion = "1.0.0"\ndate = 2026-02-28\nwindow = "Sun 9-5"\n',
        encoding="utf-8",
    )
    out = cli.fails(4, "calendar", "import", str(path), "--as", "parvin")
    assert f"{path}:5 releases[0].window: invalid window 'Sun 9-5'" in out
    shown = cli.json("calendar", "show", "--from", "2026-02-27", "--to", "2026-03-01", "-e", "prod")
    assert shown["items"] == [
        {
            "kind": "window",
            "environment": "prod",
            "starts_at": "2026-02-28T02:00:00+06:00",
            "ends_at": "2026-02-28T06:00:00+06:00",
            "title": "primary",
            "ref": "Sat 2026-02-28 02:00-06:00 +06",
        },
    ]  # fmt: skip  (nothing was imported: the §12.4 window only)


def plan_minor(cli: Cli, target: str = "2026-03-14") -> str:
    out = cli.json(
        "release", "plan", "--type", "minor", "--version", "1.4.0", "--target-date", target,
        "--as", "rahim",
    )  # fmt: skip
    release_id: str = out["release"]["id"]
    return release_id


def test_next_slot_and_the_window_check(cli: Cli) -> None:
    release = plan_minor(cli)
    slot = cli.json("calendar", "next-slot", release, "--env", "prod")
    # planned now (Mon 2026-03-02 16:00): a week of lead time, 3 days of testing -> Mon 03-09
    # 16:00 -> the Wednesday window 2026-03-11 02:00; G1-G6 are all pending
    assert slot["starts_at"] == "2026-03-11T02:00:00+06:00"
    assert slot["binding"] == "lead_time"
    assert slot["pending_gates"] == ["G1", "G2", "G3", "G4", "G5", "G6"]
    assert slot["tentative"] is True and slot["late"] is False
    staging = cli.json("calendar", "next-slot", release, "--env", "staging", "--duration", "90m")
    assert staging["starts_at"] == "2026-03-09T18:00:00+06:00"
    assert staging["pending_gates"] == ["G1", "G2", "G3", "G4"]
    text = cli.ok("calendar", "next-slot", release, "--env", "qa")
    assert "R-1 -> qa: Tue 2026-03-10 12:00-13:00 +06" in text  # after 16:00 on the 9th
    assert "tentative: gates G1, G2 must pass first" in text

    # may it deploy now (Monday 16:00)? No: exit 7, naming the next window
    out = cli.fails(7, "calendar", "window", release, "--env", "prod")
    assert "error: Mon 2026-03-02 16:00 +06 is outside the prod deployment windows" in out
    assert "next open window: Wed 2026-03-04 02:00-04:00 +06" in out
    ok = cli.json("calendar", "window", release, "--env", "prod", "--at", "2026-03-04T02:30")
    assert (ok["allowed"], ok["code"]) == (True, "in_window")
    out = cli.fails(7, "calendar", "window", release, "--env", "prod", "--at", "2026-03-04T03:30")
    assert "would end at 04:20, after the prod window" in out
    assert (
        cli.json("calendar", "window", release, "--env", "prod", "--rollback")["code"] == "rollback"
    )
    # a minor release gets no emergency override without an incident
    out = cli.fails(
        7, "calendar", "override", release, "--env", "prod", "--reason", "impatient", "--as", "dipu"
    )
    assert "only for hotfixes and incidents" in out
    assert cli.fails(5, "calendar", "next-slot", "R-99", "--env", "prod")
    assert "unknown environment 'prd'" in cli.fails(
        5, "calendar", "window", release, "--env", "prd"
    )


def test_overrides_are_for_hotfixes_and_incidents_and_every_grant_is_announced(
    cli: Cli,
) -> None:
    minor = plan_minor(cli)
    # QA is "automated" and allows no emergency (§12.4): a minor release with no incident gets
    # no override there, nor in prod; nothing is recorded or announced
    for env in ("qa", "prod"):
        out = cli.fails(
            7, "calendar", "override", minor, "--env", env, "--reason", "impatient", "--as", "dipu"
        )
        assert "only for hotfixes and incidents" in out
    assert cli.json("notify", "pending") == []
    # staging's policy says "on demand": a reason is enough, and the grant is announced
    cli.ok("calendar", "override", minor, "--env", "staging", "--reason", "demo", "--as", "dipu")
    hotfix = cli.json(
        "release", "plan", "--type", "hotfix", "--version", "1.3.1", "--target-date",
        "2026-03-02", "--as", "rahim",
    )["release"]["id"]  # fmt: skip
    granted = cli.json(
        "calendar", "override", hotfix, "--env", "prod", "--reason", "payments fix",
        "--expires", "6h", "--as", "dipu",
    )  # fmt: skip
    assert granted["incident_id"] is None
    pending = cli.json("notify", "pending")
    told = {(n["event"], n["subject"]) for n in pending}
    assert told == {("override_granted", minor), ("override_granted", hotfix)}


def test_usage_errors(cli: Cli) -> None:
    assert "expected YYYY-MM-DD" in cli.fails(4, "calendar", "show", "--from", "31/03/2026")
    assert "before --from" in cli.fails(
        4, "calendar", "show", "--from", "2026-03-02", "--to", "2026-03-01"
    )
    assert "choose a format: --ics" in cli.fails(4, "calendar", "export")
    out = cli.fails(4, "calendar", "show", "--from", "2026-01-01", "--to", "2030-01-01")
    assert "more than 731 days of deployment windows" in out
