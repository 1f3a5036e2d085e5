"""`relman init` and `relman policy check|show|lint`: files written, lines printed, exit codes."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from relman.cli.main import main
from relman.settings import Settings, load_settings

Run = tuple[int, str, str]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


@pytest.fixture
def policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A repository folder with the relman.toml that `relman init` writes."""
    code, _, err = run(capsys, "-C", str(tmp_path), "init")
    assert (code, err) == (0, "")
    return tmp_path / "relman.toml"


# --------------------------------------------------------------------------------------
# relman init


def test_init_writes_the_j003_policy_that_loads_back_to_the_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "-C", str(tmp_path), "init")
    assert code == 0
    assert out.startswith("wrote relman.toml: the J-003 policy (4 release types, 7 gates")
    text = (tmp_path / "relman.toml").read_text(encoding="utf-8")
    assert "# §2.1" in text and "# §3.3" in text and "# §12.4" in text and "# §14.2" in text
    assert load_settings(tmp_path, environ={}) == Settings()


def test_init_refuses_to_overwrite_without_force(
    policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy.write_text("# mine\n", encoding="utf-8")
    code, out, err = run(capsys, "-C", str(policy.parent), "init")
    assert (code, out) == (6, "")
    assert "error: the policy file already exists (relman.toml)" in err
    assert "--force" in err
    assert policy.read_text(encoding="utf-8") == "# mine\n"

    code, _, _ = run(capsys, "-C", str(policy.parent), "init", "--force")
    assert code == 0
    assert tomllib.loads(policy.read_text(encoding="utf-8"))["gates"]["G4"]["name"] == (
        "UAT Complete"
    )


def test_init_writes_to_another_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-C", str(tmp_path), "init", "--path", "config/policy.toml")
    assert code == 0
    assert out.startswith("wrote config/policy.toml")
    assert (tmp_path / "config" / "policy.toml").is_file()
    assert not (tmp_path / "relman.toml").exists()


# --------------------------------------------------------------------------------------
# relman policy check


def test_check_reports_ok_with_the_counts(policy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "-C", str(policy.parent), "policy", "check")
    assert (code, err) == (0, "")
    assert out == (
        "policy OK: 4 release types, 7 gates, 15 checklists, 4 environments, 7 components, "
        f"9 stakeholders, 0 people ({policy})\n"
    )


def test_check_without_a_file_validates_the_built_in_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "-C", str(tmp_path), "policy", "check")
    assert code == 0
    assert out.endswith("(built-in J-003 defaults)\n")


@pytest.mark.parametrize(
    "case",
    [
        ('testing = "2 weeks minimum"', 'testnig = "2 weeks minimum"',
         "release_types.major.testnig", "unknown key 'testnig' (did you mean 'testing'?)"),
        ('lead_time_min = "1w"', 'lead_time_min = "one week"', "release_types.minor.lead_time_min",
         "invalid duration 'one week'"),
        ('primary = ["Sat 02:00-06:00"]', 'primary = ["Sat 25:00-06:00"]',
         "windows.environments.prod.primary[0]", "invalid window 'Sat 25:00-06:00'"),
        ('{ text = "Test coverage > 80%", proof = "evidence:coverage" }',
         '{ text = "Test coverage > 80%", proof = "evidence:cover" }',
         'checklists."7.1.3".items[1].proof', "invalid proof 'evidence:cover'"),
    ],
)  # fmt: skip
def test_check_names_file_line_and_key_path_and_exits_3(
    policy: Path, capsys: pytest.CaptureFixture[str], case: tuple[str, str, str, str]
) -> None:
    old, new, key_path, message = case
    text = policy.read_text(encoding="utf-8")
    assert text.count(old) == 1
    policy.write_text(text.replace(old, new), encoding="utf-8")
    code, out, err = run(capsys, "policy", "check", str(policy))
    assert (code, out) == (3, "")
    assert f"error: {policy}:{_line_of(policy, new)} {key_path}: {message}" in err


def test_check_lists_every_error(policy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = policy.read_text(encoding="utf-8")
    text = text.replace(
        'timezone = "Asia/Dhaka"\n\n[windows', 'timezone = "Mars/Olympus"\n\n[windows'
    )
    text = text.replace("coverage_min = 80.0", "coverage_min = 180.0")
    policy.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "policy", "check", str(policy))
    assert code == 3
    assert "2 errors in the policy:" in err
    assert f"{policy}:{_line_of(policy, 'coverage_min')} evidence.coverage_min:" in err
    assert f"{policy}:{_line_of(policy, 'Mars/Olympus')} windows.timezone: unknown time zone" in err


def test_check_refuses_names_defined_nowhere_like_lint_does(
    policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = policy.read_text(encoding="utf-8")
    text = text.replace('farm = "1.2.x"', 'crm = "1.2.x"')
    people = '\n[people.farhana]\nname = "F"\nroles = ["chief_wizard", "project_manager"]\n'
    policy.write_text(text + people, encoding="utf-8")
    code, out, err = run(capsys, "policy", "check", str(policy))
    assert (code, out) == (3, "")
    assert "2 errors in the policy:" in err
    role_line = _line_of(policy, 'roles = ["chief_wizard"')
    assert f"{policy}:{role_line} people.farhana.roles: unknown role 'chief_wizard'" in err
    crm_line = _line_of(policy, 'crm = "1.2.x"')
    assert f"{policy}:{crm_line} compatibility[2].versions.crm: unknown component 'crm'" in err


def test_check_reads_tool_relman_from_pyproject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "farm"\n\n[tool.relman.evidence]\ncoverage_min = 90.0\n'
        '\n[tool.relman.windows.environments.prod]\nprimary = ["Sat 02:00-26:00"]\n',
        encoding="utf-8",
    )
    code, _, err = run(capsys, "-C", str(tmp_path), "policy", "check")
    assert code == 3
    assert f"{pyproject}:8 windows.environments.prod.primary[0]: invalid window" in err

    pyproject.write_text(
        '[project]\nname = "farm"\n\n[tool.relman.evidence]\ncoverage_min = 90.0\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "-C", str(tmp_path), "policy", "show", "--json")
    assert code == 0
    assert json.loads(out)["evidence"]["coverage_min"] == 90.0
    code, out, _ = run(capsys, "policy", "check", str(pyproject))
    assert (code, out.endswith(f"({pyproject})\n")) == (0, True)


# --------------------------------------------------------------------------------------
# relman policy show


def test_show_json_is_the_effective_policy(
    policy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELMAN_RELEASE_TYPES__PATCH__LEAD_TIME_ENFORCEMENT", "warn")
    code, out, _ = run(capsys, "-C", str(policy.parent), "policy", "show", "--json")
    assert code == 0
    shown = json.loads(out)
    expected = Settings().model_dump(mode="json")
    expected["release_types"]["patch"]["lead_time_enforcement"] = "warn"
    assert shown == expected


def test_show_prints_the_policy_tables(
    policy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    code, out, _ = run(capsys, "-C", str(policy.parent), "policy", "show")
    assert code == 0
    for text in (
        "Release types (§2)", "Gates (§3.3)", "PLAN → BUILD", "Sat 02:00-06:00",
        "Daily 18:00-20:00", "Compatibility matrix (§4.4)", "P1 - Critical",
        "Error Rate", "No people configured: gates cannot be signed until [people] is filled.",
    ):  # fmt: skip
        assert text in out, text


def test_show_names_the_channels_each_cab_seat_hears_the_emergency_on(
    policy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    text = policy.read_text(encoding="utf-8")
    seat = 'contact = "Tech Lead" }'
    assert seat in text
    policy.write_text(
        text.replace(seat, 'contact = "Tech Lead", channels = ["slack"] }'), encoding="utf-8"
    )
    code, out, _ = run(capsys, "-C", str(policy.parent), "policy", "show")
    assert code == 0
    cab = [" ".join(line.split()) for line in out.splitlines() if "CAB: " in line]
    for row in (
        "CAB: Incident Commander Overall coordination incident_commander (On-call Manager); "
        "emergency messages: email, phone",
        "CAB: Technical Lead Technical decisions tech_lead (Tech Lead); emergency messages: slack",
        "CAB: QA Lead Testing approval qa_lead (QA Lead); emergency messages: its §11.1 row only",
    ):
        assert row in cab, cab


# --------------------------------------------------------------------------------------
# relman policy lint

PEOPLE = """
[people.farhana]
name = "Farhana Rahman"
email = "farhana@smartdairybd.com"
roles = ["project_manager", "release_manager"]

[people.tanvir]
name = "Tanvir Hossain"
roles = ["tech_lead", "devops_lead", "sre_lead", "qa_lead", "product_owner"]
"""


def test_lint_of_the_defaults_exits_0_with_notes(
    policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "-C", str(policy.parent), "policy", "lint")
    assert (code, err) == (0, "")
    assert "no people are configured: sign-offs cannot happen until people are added" in out
    hotfix_line = _line_of(policy, 'version_change = "hotfix"')
    assert f"{policy}:{hotfix_line} release_types.hotfix.version_change:" in out
    assert "1.2.1-hotfix.1 < 1.2.1-hotfix.2 < 1.2.1" in out
    assert out.rstrip().endswith("0 errors, 0 warnings, 2 notes")


def test_lint_exits_1_when_a_required_role_has_no_person(
    policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy.write_text(policy.read_text(encoding="utf-8") + PEOPLE, encoding="utf-8")
    code, out, err = run(capsys, "-C", str(policy.parent), "policy", "lint")
    assert code == 1
    line = _line_of(policy, 'approver_roles = ["cto", "project_manager"]')
    where = f"{policy}:{line} release_types.major.approver_roles"
    assert f"error   {where}: no person holds role 'cto'" in out
    assert "why: A sign-off by a person without the role is refused" in out
    assert "error: policy lint found 1 error" in err


def test_lint_json_lists_findings_with_level_explanation_and_line(
    policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace('farm = "1.2.x"', 'crm = "1.2.x"'), encoding="utf-8")
    code, out, _ = run(capsys, "-C", str(policy.parent), "policy", "lint", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["counts"] == {"error": 1, "warning": 0, "info": 2}
    first = report["findings"][0]
    assert first["level"] == "error"
    assert first["rule"] == "unknown-component"
    assert first["where"] == "compatibility[2].versions.crm"
    assert first["line"] == _line_of(policy, 'crm = "1.2.x"')
    assert first["explanation"]


def test_lint_warns_about_overlapping_windows(
    policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = policy.read_text(encoding="utf-8")
    policy.write_text(
        text.replace('secondary = ["Wed 02:00-04:00"]', 'secondary = ["Sat 05:00-07:00"]'),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "-C", str(policy.parent), "policy", "lint")
    assert code == 0
    assert "'Sat 02:00-06:00' overlaps 'Sat 05:00-07:00' (prod)" in out
    assert "1 warning" in out


def test_lint_of_an_invalid_file_is_a_config_error(
    policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy.write_text("[gates.G1]\nnmae = 'x'\n", encoding="utf-8")
    code, out, err = run(capsys, "-C", str(policy.parent), "policy", "lint")
    assert (code, out) == (3, "")
    assert f"{policy}:2 gates.G1.nmae: unknown key 'nmae' (did you mean 'name'?)" in err
