"""relman.toml models: the J-003 defaults, env overrides, value languages and error locations."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relman.domain.policy import ReleasePolicy
from relman.errors import ConfigError
from relman.policy_resolve import resolve_release_policy
from relman.policy_settings.locate import locate_key
from relman.policy_settings.template import render_policy_file
from relman.policy_settings.values import (
    format_duration,
    matches_version_pattern,
    parse_duration,
    parse_window,
)
from relman.settings import Settings, load_settings, validate_settings

# --------------------------------------------------------------------------------------
# Defaults are J-003


RELEASE_TYPE_ROWS = {
    "major": ("4w", "6w", "refuse", ["cto", "project_manager"], None, "2w", "2w",
              "scheduled_maintenance"),
    "minor": ("1w", "2w", "refuse", ["project_manager", "tech_lead"], None, "3d", "5d",
              "standard"),
    "patch": ("3d", "5d", "refuse", ["devops_lead"], None, "1d", "2d", "standard"),
    "hotfix": ("2h", "24h", "warn", ["devops_lead", "project_manager"], 48, "0h", "0h",
               "anytime"),
}  # fmt: skip


@pytest.mark.parametrize(("name", "row"), RELEASE_TYPE_ROWS.items())
def test_release_types_default_to_j003_section_2(name: str, row: tuple[object, ...]) -> None:
    rt = Settings().release_types[name]
    assert (
        rt.lead_time_min,
        rt.lead_time_max,
        rt.lead_time_enforcement,
        rt.approver_roles,
        rt.post_hoc_approval_hours,
        rt.testing_period_min,
        rt.testing_period_max,
        rt.window_class,
    ) == row


def test_gates_checklists_environments_default_to_j003() -> None:
    s = Settings()
    assert list(s.gates) == ["G1", "G2", "G3", "G4", "G5", "G6", "G7"]
    assert [(g.from_phase, g.to_phase) for g in s.gates.values()][:2] == [
        ("PLAN", "BUILD"),
        ("BUILD", "TEST"),
    ]
    assert s.gates["G6"].require_release_type_approvers is True
    assert s.gates["G7"].signoff_roles == ["sre_lead"]
    assert set(s.checklists) == {
        "7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.2.1", "7.2.2", "7.2.3", "7.3",
        "9.4", "13.1", "14.3-24h", "14.3-1w", "A-pre", "A-day", "A-post",
    }  # fmt: skip
    assert len(s.checklists["13.1"].items) == 12
    assert s.promotion.order == ["dev", "qa", "staging", "prod"]
    prod = s.environments["prod"]
    assert (prod.stability, prod.sla_percent) == ("maximum", 99.9)
    assert prod.migration.rollback == "Pre-migration backup + rollback script"
    assert s.environments["qa"].promotion.criteria == ["PR merged to develop", "CI passes"]


def test_windows_severities_thresholds_objectives_default_to_j003() -> None:
    s = Settings()
    assert s.windows.timezone == "Asia/Dhaka"
    envs = s.windows.environments
    assert (envs["prod"].primary, envs["prod"].secondary) == (
        ["Sat 02:00-06:00"],
        ["Wed 02:00-04:00"],
    )
    assert envs["staging"].primary == ["Daily 18:00-20:00"]
    assert envs["qa"].primary == ["Daily 12:00-13:00"]
    assert list(s.severities) == ["P1", "P2", "P3", "P4"]
    assert s.severities["P1"].criteria == "System down, no workaround"
    assert set(s.emergency.cab) == {
        "incident_commander", "tech_lead", "devops_lead", "qa_lead", "product_owner",
    }  # fmt: skip
    th = s.thresholds
    assert (th["error_rate"].operator, th["error_rate"].value, th["error_rate"].unit) == (
        ">",
        1.0,
        "%",
    )
    assert (th["response_time_p99"].value, th["response_time_p99"].severity) == (5.0, "critical")
    assert (th["failed_logins"].value, th["failed_logins"].unit) == (10.0, "/min")
    objectives = {k: (o.operator, o.target, o.unit) for k, o in s.objectives.items()}
    assert objectives == {
        "defect_escape_rate": ("<", 0.5, "%"),
        "on_time_release_rate": (">=", 95.0, "%"),
        "change_tracking": (">=", 100.0, "%"),
        "downtime_per_release": ("<", 30.0, "min"),
        "rollback_time": ("<", 15.0, "min"),
        "notification_compliance": (">=", 100.0, "%"),
    }
    assert s.communication.stakeholders["cto"].emergency == "Immediate call"
    assert [r.versions["farm"] for r in s.compatibility] == [
        "1.0.x",
        "1.1.x",
        "1.2.x",
        "2.0.x",
        "2.1.x",
    ]
    assert s.people == {}


def test_defaults_resolve_to_the_domain_j003_policy() -> None:
    assert resolve_release_policy(Settings()) == ReleasePolicy.default()


def test_the_init_template_loads_back_to_exactly_the_defaults() -> None:
    text = render_policy_file(Settings().model_dump(mode="json"))
    assert validate_settings(tomllib.loads(text)) == Settings()


def test_people_resolve_to_persons_with_roles() -> None:
    s = validate_settings(
        {"people": {"farhana": {"name": "Farhana", "email": "f@x.bd", "roles": ["cto"]}}}
    )
    person = resolve_release_policy(s).get_person("farhana")
    assert (person.name, person.roles) == ("Farhana", ("cto",))


# --------------------------------------------------------------------------------------
# Environment overrides


def test_env_override_of_one_nested_value_keeps_the_other_defaults(tmp_path: Path) -> None:
    env = {
        "RELMAN_RELEASE_TYPES__MAJOR__LEAD_TIME_MIN": "5w",
        "RELMAN_GATES__G1__NAME": "Plan signed",  # keys match case-insensitively
        "RELMAN_EVIDENCE__COVERAGE_MIN": "85",  # JSON number
    }
    s = load_settings(tmp_path, environ=env)
    assert s.release_types["major"].lead_time_min == "5w"
    assert list(s.release_types) == ["major", "minor", "patch", "hotfix"]
    assert s.gates["G1"].name == "Plan signed"
    assert list(s.gates) == ["G1", "G2", "G3", "G4", "G5", "G6", "G7"]
    assert s.evidence.coverage_min == 85.0


def test_env_override_applies_on_top_of_the_file(tmp_path: Path) -> None:
    (tmp_path / "relman.toml").write_text('[windows]\ntimezone = "UTC"\n', encoding="utf-8")
    s = load_settings(
        tmp_path, environ={"RELMAN_WINDOWS__ENVIRONMENTS__PROD__PRIMARY": '["Sun 01:00-03:00"]'}
    )
    assert s.windows.timezone == "UTC"
    assert s.windows.environments["prod"].primary == ["Sun 01:00-03:00"]
    assert s.windows.environments["prod"].secondary == ["Wed 02:00-04:00"]


def test_a_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={"RELMAN_RELEASE_TYPES__PATCH__LEAD_TIME_MAX": "soon"})
    assert str(info.value).startswith(
        "RELMAN_RELEASE_TYPES__PATCH__LEAD_TIME_MAX release_types.patch.lead_time_max: "
        "invalid duration 'soon'"
    )


# --------------------------------------------------------------------------------------
# Errors name the file, the line and the key path

BASE = """\
[project]
name = "Smart Dairy"

[release_types.major]
version_change = "major"
lead_time_min = "4w"
lead_time_max = "6w"
approver_roles = ["cto"]

[gates.G1]
name = "Planning Complete"
from_phase = "PLAN"
to_phase = "BUILD"
signoff_roles = ["project_manager"]

[gates.G1.criteria]
scope = { description = "Scope defined", kind = "scope" }

[checklists."7.1.1"]
title = "Planning Phase"
items = [
  { text = "Release scope defined", proof = "scope" },
  { text = "Risk assessment completed" },
]

[windows.environments.prod]
primary = ["Sat 02:00-06:00"]

[[compatibility]]
versions = { core = "1.0.x" }

[[compatibility]]
status = "Phase 2"
versions = { core = "2.0.x" }
"""


def _error(text: str, path: str = "relman.toml") -> str:
    with pytest.raises(ConfigError) as info:
        validate_settings(tomllib.loads(text), path=Path(path), text=text)
    return str(info.value)


def _line(text: str, needle: str) -> int:
    needle = needle.splitlines()[-1]
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "key_path", "message"),
    [
        ('version_change = "major"', 'version_change = "major"\nfrequncy = "weekly"',
         "release_types.major.frequncy", "unknown key 'frequncy' (did you mean 'frequency'?)"),
        ('lead_time_max = "6w"', 'lead_time_max = "6 weeks"', "release_types.major.lead_time_max",
         "invalid duration '6 weeks': expected a number and a unit"),
        ('lead_time_max = "6w"', 'lead_time_max = "3w"', "release_types.major.lead_time_max",
         "'3w' is shorter than lead_time_min ('4w')"),
        ('primary = ["Sat 02:00-06:00"]', 'primary = ["Sat 25:00-06:00"]',
         "windows.environments.prod.primary[0]",
         "invalid window 'Sat 25:00-06:00': invalid time '25:00': hour 25 is out of range 00-23"),
        ('kind = "scope" }', 'kind = "scop" }', "gates.G1.criteria.scope.kind",
         "Input should be 'evidence', 'checklist', 'scope', 'signoff', 'manual' or 'event'"),
        ('{ text = "Risk assessment completed" }',
         '{ text = "Risk assessment completed", proof = "evidence:cov" }',
         'checklists."7.1.1".items[1].proof', "invalid proof 'evidence:cov'"),
        ('versions = { core = "2.0.x" }', 'versions = { core = "two" }',
         "compatibility[1].versions.core", "invalid version pattern 'two'"),
        ('to_phase = "BUILD"', 'to_phase = "BILD"', "gates.G1.to_phase", "Input should be 'PLAN'"),
    ],
)  # fmt: skip
def test_an_error_names_file_line_and_key_path(
    old: str, new: str, key_path: str, message: str
) -> None:
    text = BASE.replace(old, new)
    assert text != BASE
    error = _error(text)
    assert error.startswith(f"relman.toml:{_line(text, new)} {key_path}: {message}")


def test_a_missing_key_points_at_its_table() -> None:
    text = BASE.replace('title = "Planning Phase"\n', "")
    assert _error(text) == (
        f'relman.toml:{_line(text, "[checklists.")} checklists."7.1.1".title: '
        "missing required key 'title'"
    )


def test_several_errors_are_listed_one_per_line() -> None:
    text = BASE.replace('lead_time_min = "4w"', 'lead_time_min = "4"').replace(
        'name = "Smart Dairy"', 'nmae = "Smart Dairy"'
    )
    lines = _error(text).splitlines()
    assert lines[0] == "2 errors in the policy:"
    assert lines[1].startswith("  relman.toml:2 project.nmae: unknown key 'nmae'")
    assert lines[2].startswith(f"  relman.toml:{_line(text, 'lead_time_min')} release_types.")


def test_errors_in_pyproject_point_into_the_tool_relman_table() -> None:
    text = '[project]\nname = "app"\n\n[tool.relman.evidence]\ncoverage_mni = 90\n'
    with pytest.raises(ConfigError) as info:
        validate_settings(
            tomllib.loads(text)["tool"]["relman"], path=Path("pyproject.toml"), text=text
        )
    assert str(info.value).startswith("pyproject.toml:5 evidence.coverage_mni: unknown key")


def test_unknown_time_zone_is_rejected() -> None:
    assert "unknown time zone 'Asia/Dhakka'" in _error('[windows]\ntimezone = "Asia/Dhakka"\n')


@pytest.mark.parametrize(
    ("keys", "line"),
    [
        (["a", "b"], 1),
        (["a", "b", "c"], 2),
        (["a", "b", "list", 1], 5),
        (["x", 1, "y"], 10),
        (["q", "7.1", "t"], 13),
        (["missing"], None),
    ],
)
def test_locate_key_understands_tables_arrays_and_quoted_keys(
    keys: list[str | int], line: int | None
) -> None:
    text = (
        "[a.b]\nc = 1\nlist = [\n  { v = 1 },\n  { v = 2 },\n]\n"
        "[[x]]\ny = 1\n[[x]]\ny = 2\n"
        '[q."7.1"]\ns = """\nt = not a key\n"""\nt = 3\n'
    )
    assert locate_key(text, keys) == (line if keys != ["q", "7.1", "t"] else 15)


# --------------------------------------------------------------------------------------
# Durations and windows


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4w", timedelta(weeks=4)),
        ("3d", timedelta(days=3)),
        ("24h", timedelta(hours=24)),
        ("90m", timedelta(minutes=90)),
        ("90min", timedelta(minutes=90)),
        ("1w3d", timedelta(days=10)),
        ("1d 12h", timedelta(hours=36)),
        ("0h", timedelta(0)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "4", "w", "4 weeks", "1.5h", "-3d", "3d!", "3y"])
def test_parse_duration_rejects_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid duration .*e\.g\. '4w'"):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=60 * 24 * 7 * 520))
def test_format_duration_round_trips(minutes: int) -> None:
    value = timedelta(minutes=minutes)
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize(
    ("text", "days", "start", "end"),
    [
        ("Sat 02:00-06:00", (5,), 120, 360),
        ("Daily 18:00-20:00", (0, 1, 2, 3, 4, 5, 6), 1080, 1200),
        ("Mon-Fri 12:00-13:00", (0, 1, 2, 3, 4), 720, 780),
        ("Fri-Mon 01:00-02:00", (4, 5, 6, 0), 60, 120),
        ("Sat,Wed 02:00-04:00", (5, 2), 120, 240),
        ("weekends 00:00-24:00", (5, 6), 0, 1440),
        ("Fri 22:00-02:00", (4,), 1320, 120),
    ],
)
def test_parse_window(text: str, days: tuple[int, ...], start: int, end: int) -> None:
    spec = parse_window(text)
    assert (spec.days, spec.start, spec.end) == (days, start, end)


def test_a_window_crossing_midnight_and_the_week_wraps() -> None:
    assert parse_window("Fri 22:00-02:00").intervals() == ((4 * 1440 + 1320, 5 * 1440 + 120),)
    assert parse_window("Sun 23:00-01:00").intervals() == ((7 * 1440 - 60, 7 * 1440), (0, 60))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Sat 25:00-06:00", "hour 25 is out of range 00-23"),
        ("Sat 02:60-06:00", "minute 60 is out of range 00-59"),
        ("Sat 02:00-02:00", "starts and ends at the same time"),
        ("Someday 02:00-03:00", "unknown day 'someday'"),
        ("Sat 2am-3am", "expected HH:MM"),
        ("02:00-06:00", "expected 'DAYS HH:MM-HH:MM'"),
    ],
)
def test_parse_window_rejects_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_window(text)


@pytest.mark.parametrize(
    ("pattern", "version", "expected"),
    [("1.0.x", "1.0.7", True), ("1.0.x", "1.1.0", False), ("2.x", "2.9.1-hotfix.1", True)],
)
def test_version_patterns(pattern: str, version: str, expected: bool) -> None:
    assert matches_version_pattern(pattern, version) is expected


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "relman.toml"
    path.write_text('[project]\nname = "x"\nbroken =\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={})
    assert str(info.value) == f"{path}:3 invalid TOML: Invalid value (at line 3, column 9)"
