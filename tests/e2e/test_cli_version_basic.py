"""`relman version compare|validate|bump` as a user runs them (exit code + printed text)."""

from __future__ import annotations

import json

import pytest

from relman.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["version", *args])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["1.0.0", "1.0.0-rc.1"], ">"),
        (["1.0.0-rc.1", "1.0.0"], "<"),
        (["1.0.0+build.1", "1.0.0+build.2"], "="),
        (["1.0.0-beta.2", "1.0.0-beta.11"], "<"),
        (["1.2.1-hotfix.2", "1.2.1"], "<"),
        (["19.0.1.2.3", "18.0.9.9.9", "--scheme", "odoo"], ">"),
        (["1.2.3+456", "1.2.3 (build 456)", "--scheme", "mobile"], "="),
        (["2026.01.31.002", "2026.01.31.010", "-s", "schema"], "<"),
    ],
)
def test_compare_prints_the_relation(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    rc, out, _ = run(capsys, "compare", *args)
    assert (rc, out) == (0, f"{expected}\n")


def test_compare_of_an_invalid_version_exits_4(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "compare", "1.0.0", "1.02.3")
    assert rc == 4
    assert out == ""
    assert "invalid version '1.02.3': numeric identifier has a leading zero at position 3" in err


def test_validate_prints_the_canonical_form(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "validate", "2.3.1-beta.2+202601311200")
    assert (rc, out) == (0, "2.3.1-beta.2+202601311200\n")
    rc, out, _ = run(capsys, "validate", "1.2.3+456", "--scheme", "mobile")
    assert (rc, out) == (0, "1.2.3 (build 456)\n")


def test_validate_json_prints_the_parts(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "validate", "--json", "19.0.1.2.3-rc.1", "--scheme", "odoo")
    assert rc == 0
    assert json.loads(out) == {
        "input": "19.0.1.2.3-rc.1",
        "scheme": "odoo",
        "canonical": "19.0.1.2.3-rc.1",
        "parts": {
            "series": "19.0",
            "module": "1.2.3-rc.1",
            "major": 1,
            "minor": 2,
            "patch": 3,
            "prerelease": ["rc", 1],
            "build": [],
        },
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1.2"], "error: invalid version '1.2': SemVer needs MAJOR.MINOR.PATCH"),
        (["2026.02.30.001", "--scheme", "schema"],
         "error: invalid schema version '2026.02.30.001': 2026-02-30 is not a calendar date "
         "at position 9"),
    ],
)  # fmt: skip
def test_validate_invalid_exits_4_naming_rule_and_position(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    rc, out, err = run(capsys, "validate", *args)
    assert rc == 4
    assert out == ""
    assert err.strip() == message


def test_validate_invalid_json_error_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "validate", "--json", "1.02.3")
    assert (rc, out) == (4, "")
    error = json.loads(err)["error"]
    assert error["code"] == "invalid_version"
    assert error["details"]["position"] == 3


def test_unknown_scheme_exits_5(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "validate", "1.0.0", "--scheme", "calver")
    assert rc == 5
    assert "unknown version scheme 'calver'" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["1.2.3", "--part", "major"], "2.0.0"),
        (["1.2.3", "--part", "minor"], "1.3.0"),
        (["1.2.3", "--part", "patch", "--build", "202601311200"], "1.2.4+202601311200"),
        (["1.2.0-beta.1", "--part", "prerelease"], "1.2.0-beta.2"),
        (["1.2.0-beta.1", "--part", "prerelease", "--pre", "rc"], "1.2.0-rc.1"),
        (["1.2.0", "--part", "prerelease", "--pre", "beta"], "1.2.1-beta.1"),
        (["1.2.0-rc.3", "--part", "release"], "1.2.0"),
        (["1.2.0", "--part", "hotfix"], "1.2.1-hotfix.1"),
        (["1.2.1-hotfix.1", "-p", "hotfix"], "1.2.1-hotfix.2"),
        (["1.2.1-hotfix.2", "-p", "patch"], "1.2.1"),
        (["1.2.3", "-p", "minor", "--pre", "rc"], "1.3.0-rc.1"),
        (["19.0.1.2.3", "-p", "minor", "--scheme", "odoo"], "19.0.1.3.0"),
        (["1.2.3 (build 456)", "-p", "patch", "--scheme", "mobile"], "1.2.4 (build 457)"),
        (["1.2.3+456", "-p", "build", "--scheme", "mobile", "--build", "500"],
         "1.2.3 (build 500)"),
        (["2026.01.31.001", "--scheme", "schema", "--today", "2026-01-31"], "2026.01.31.002"),
        (["2026.01.31.004", "--scheme", "schema", "--today", "2026-02-01"], "2026.02.01.001"),
    ],
)  # fmt: skip
def test_bump_prints_the_result(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    rc, out, err = run(capsys, "bump", *args)
    assert (rc, out, err) == (0, f"{expected}\n", "")


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["1.2.0-rc.1", "--part", "prerelease", "--pre", "beta"], 4, "'beta' sorts below 'rc'"),
        (["1.2.0", "--part", "release"], 4, "cannot release '1.2.0': it is not a pre-release"),
        (["1.2.0", "--part", "sideways"], 4, "unknown bump part 'sideways'"),
        (["1.2.0"], 4, "semver versions need a bump part"),
        (["1.2.0", "-p", "patch", "--build", "a..b"], 4,
         "invalid build metadata 'a..b': empty build identifier at position 3"),
        (["1.2.3+456", "-p", "patch", "-s", "mobile", "--build", "456"], 4,
         "build 456 must be greater than the current build 456"),
        (["2026.01.31.999", "-s", "schema", "--today", "2026-01-31"], 4,
         "999 is the last sequence number of 2026-01-31"),
        (["2026.01.31.001", "-s", "schema", "--today", "31/01/2026"], 4,
         "invalid date '31/01/2026': expected YYYY-MM-DD (--today)"),
    ],
)  # fmt: skip
def test_bump_errors_exit_with_the_documented_code(
    capsys: pytest.CaptureFixture[str], args: list[str], code: int, fragment: str
) -> None:
    rc, out, err = run(capsys, "bump", *args)
    assert rc == code
    assert out == ""
    assert fragment in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["bump"], "Missing argument 'VERSION'"),
        (["compare", "1.0.0"], "Missing argument 'B'"),
        (["bump", "1.2.3", "--bogus"], "No such option: --bogus"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    rc, out, err = run(capsys, *args)
    assert (rc, out) == (2, "")
    assert fragment in err
