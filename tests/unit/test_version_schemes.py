"""Component version schemes (J-003 §4.3): semver, odoo, mobile, schema."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relman.domain.schemes import compute_scheme_bump, list_schemes
from relman.domain.versions import get_scheme
from relman.errors import InvalidInputError, InvalidVersionError, NotFoundError

DAY = datetime.date(2026, 1, 31)
FAST = settings(max_examples=200, deadline=None)


def test_registry_lists_the_four_schemes() -> None:
    assert list_schemes() == ["semver", "odoo", "mobile", "schema"]
    for name in list_schemes():
        assert get_scheme(name).name == name
    assert get_scheme(" Odoo ").name == "odoo"


def test_unknown_scheme_is_not_found() -> None:
    with pytest.raises(NotFoundError, match=r"unknown version scheme 'calver' \(known schemes: "):
        get_scheme("calver")


# --------------------------------------------------------------------------- canonical forms


@pytest.mark.parametrize(
    ("scheme", "text", "canonical"),
    [
        ("semver", "1.2.3-rc.1+b", "1.2.3-rc.1+b"),
        ("odoo", "19.0.1.2.3", "19.0.1.2.3"),
        ("odoo", "17.0.2.0.0-beta.1", "17.0.2.0.0-beta.1"),
        ("odoo", "0.0.0.0.0", "0.0.0.0.0"),
        ("mobile", "1.2.3 (build 456)", "1.2.3 (build 456)"),
        ("mobile", "1.2.3+456", "1.2.3 (build 456)"),
        ("mobile", "1.2.3-beta.1+7", "1.2.3-beta.1 (build 7)"),
        ("mobile", "1.0.0 (build 0)", "1.0.0 (build 0)"),
        ("schema", "2026.01.31.001", "2026.01.31.001"),
        ("schema", "2024.02.29.999", "2024.02.29.999"),  # leap day
    ],
)
def test_validate_returns_the_canonical_form(scheme: str, text: str, canonical: str) -> None:
    assert get_scheme(scheme).validate(text) == canonical


@pytest.mark.parametrize(
    ("scheme", "text", "message"),
    [
        ("semver", "1.2", "invalid version '1.2': SemVer needs MAJOR.MINOR.PATCH"),
        ("odoo", "19.1.1.2.3", "invalid odoo version '19.1.1.2.3': the Odoo series must look "
         "like N.0 at position 4"),
        ("odoo", "19.0.1.02.3", "invalid odoo version '19.0.1.02.3': module version: numeric "
         "identifier has a leading zero at position 8"),
        ("odoo", "019.0.1.2.3", "invalid odoo version '019.0.1.2.3': numeric identifier has a "
         "leading zero at position 1"),
        ("odoo", "v19.0.1.2.3", "invalid odoo version 'v19.0.1.2.3': Odoo series must be a "
         "number, found 'v' at position 1"),
        ("odoo", "19.0.1.2", "invalid odoo version '19.0.1.2': module version: SemVer needs "
         "MAJOR.MINOR.PATCH"),
        ("odoo", "19.0", "invalid odoo version '19.0': Odoo versions are "
         "SERIES.0.MAJOR.MINOR.PATCH, e.g. 19.0.1.2.3"),
        ("odoo", "saas~17.1.1.0.0", "invalid odoo version 'saas~17.1.1.0.0': Odoo series must "
         "be a number, found 's' at position 1"),
        ("mobile", "1.2.3", "invalid mobile version '1.2.3': a mobile version needs a build "
         "number: '1.2.3 (build 456)' or '1.2.3+456'"),
        ("mobile", "1.2.3+x", "invalid mobile version '1.2.3+x': build number must be a number, "
         "found 'x' at position 7"),
        ("mobile", "1.2.3 (build 045)", "invalid mobile version '1.2.3 (build 045)': numeric "
         "identifier has a leading zero at position 14"),
        ("mobile", "1.2.3 (build )", "invalid mobile version '1.2.3 (build )': build number is "
         "empty at position 14"),
        ("mobile", "1.2+3 (build 4)", "invalid mobile version '1.2+3 (build 4)': SemVer needs "
         "MAJOR.MINOR.PATCH"),
        ("mobile", "1.2.3+a (build 4)", "invalid mobile version '1.2.3+a (build 4)': build "
         "metadata and a build number together at position 6"),
        ("mobile", "1.02.3+4", "invalid mobile version '1.02.3+4': numeric identifier has a "
         "leading zero at position 3"),
        ("schema", "2026.02.30.001", "invalid schema version '2026.02.30.001': 2026-02-30 is not "
         "a calendar date at position 9"),
        ("schema", "2025.02.29.001", "invalid schema version '2025.02.29.001': 2025-02-29 is not "
         "a calendar date at position 9"),
        ("schema", "2026.13.01.001", "invalid schema version '2026.13.01.001': month 13 does not "
         "exist at position 6"),
        ("schema", "2026.00.01.001", "invalid schema version '2026.00.01.001': month 00 does not "
         "exist at position 6"),
        ("schema", "2026.01.31.000", "invalid schema version '2026.01.31.000': the sequence "
         "starts at 001 at position 12"),
        ("schema", "2026.01.31.1", "invalid schema version '2026.01.31.1': sequence needs 3 "
         "digits at position 12"),
        ("schema", "2026.1.31.001", "invalid schema version '2026.1.31.001': month needs 2 digits "
         "at position 6"),
        ("schema", "2026.01.3x.001", "invalid schema version '2026.01.3x.001': day must be a "
         "number, found 'x' at position 10"),
        ("schema", "0000.01.01.001", "invalid schema version '0000.01.01.001': year 0000 does not "
         "exist at position 1"),
        ("schema", "2026.01.31", "invalid schema version '2026.01.31': schema versions are "
         "YYYY.MM.DD.NNN, e.g. 2026.01.31.001"),
        ("schema", "2026-01-31.001", "invalid schema version '2026-01-31.001': schema versions "
         "are YYYY.MM.DD.NNN, e.g. 2026.01.31.001"),
    ],
)  # fmt: skip
def test_invalid_values_name_the_rule_and_position(scheme: str, text: str, message: str) -> None:
    with pytest.raises(InvalidVersionError) as info:
        get_scheme(scheme).parse(text)
    assert str(info.value) == message


# --------------------------------------------------------------------------- ordering


@pytest.mark.parametrize(
    ("scheme", "low", "high"),
    [
        ("semver", "1.0.0-rc.1", "1.0.0"),
        ("odoo", "18.0.9.9.9", "19.0.1.0.0"),  # series first
        ("odoo", "19.0.1.2.3", "19.0.1.10.0"),  # then the module version, numerically
        ("odoo", "19.0.1.0.0-rc.1", "19.0.1.0.0"),
        ("mobile", "1.2.3 (build 456)", "1.2.4 (build 457)"),
        ("mobile", "1.2.3 (build 456)", "1.2.3 (build 457)"),  # same version: build decides
        ("mobile", "1.2.3-beta.1+9", "1.2.3 (build 10)"),
        ("schema", "2026.01.31.001", "2026.01.31.002"),
        ("schema", "2026.01.31.999", "2026.02.01.001"),
        ("schema", "2025.12.31.500", "2026.01.01.001"),
    ],
)
def test_compare(scheme: str, low: str, high: str) -> None:
    chosen = get_scheme(scheme)
    assert chosen.compare(low, high) == -1
    assert chosen.compare(high, low) == 1
    assert chosen.compare(low, low) == 0


@pytest.mark.parametrize(
    ("scheme", "a", "b"),
    [
        ("semver", "1.0.0+a", "1.0.0+b"),
        ("odoo", "19.0.1.2.3+x", "19.0.1.2.3"),
        ("mobile", "1.2.3+456", "1.2.3 (build 456)"),
    ],
)
def test_equal_values(scheme: str, a: str, b: str) -> None:
    assert get_scheme(scheme).compare(a, b) == 0


def test_compare_rejects_an_invalid_side() -> None:
    with pytest.raises(InvalidVersionError, match=r"invalid odoo version '19\.5\.1\.0\.0'"):
        get_scheme("odoo").compare("19.0.1.0.0", "19.5.1.0.0")


# --------------------------------------------------------------------------- next


@pytest.mark.parametrize(
    ("scheme", "value", "part", "kwargs", "expected"),
    [
        ("semver", "1.2.3", "minor", {}, "1.3.0"),
        ("semver", "1.2.3", "patch", {"build": 42}, "1.2.4+42"),
        ("semver", "1.2.0", "prerelease", {"token": "beta"}, "1.2.1-beta.1"),
        ("odoo", "19.0.1.2.3", "minor", {}, "19.0.1.3.0"),
        ("odoo", "19.0.1.2.3", "major", {}, "19.0.2.0.0"),
        ("odoo", "19.0.1.2.0", "hotfix", {}, "19.0.1.2.1-hotfix.1"),
        ("odoo", "19.0.1.3.0-rc.1", "release", {}, "19.0.1.3.0"),
        ("mobile", "1.2.3 (build 456)", "patch", {}, "1.2.4 (build 457)"),
        ("mobile", "1.2.3+456", "minor", {"build": 500}, "1.3.0 (build 500)"),
        ("mobile", "1.2.3 (build 456)", "build", {}, "1.2.3 (build 457)"),
        ("mobile", "1.2.3 (build 456)", "minor", {"token": "beta"}, "1.3.0-beta.1 (build 457)"),
        ("schema", "2026.01.31.001", "next", {"today": DAY}, "2026.01.31.002"),
        ("schema", "2026.01.31.041", "patch", {"today": DAY}, "2026.01.31.042"),
        ("schema", "2026.01.30.007", "next", {"today": DAY}, "2026.01.31.001"),
        ("schema", "2026.02.01.003", "next", {"today": DAY}, "2026.02.01.004"),  # never back
        ("schema", "2026.01.30.999", "next", {"today": DAY}, "2026.01.31.001"),
    ],
)
def test_next(scheme: str, value: str, part: str, kwargs: dict[str, object], expected: str) -> None:
    chosen = get_scheme(scheme)
    result = chosen.next(value, part, **kwargs)  # type: ignore[arg-type]
    assert result == expected
    assert chosen.compare(result, value) == 1


@pytest.mark.parametrize(
    ("scheme", "value", "part", "kwargs", "error", "fragment"),
    [
        ("mobile", "1.2.3 (build 456)", "patch", {"build": 456}, InvalidVersionError,
         "build 456 must be greater than the current build 456"),
        ("mobile", "1.2.3 (build 456)", "patch", {"build": 12}, InvalidVersionError,
         "mobile build numbers only ever increase"),
        ("schema", "2026.01.31.999", "next", {"today": DAY}, InvalidVersionError,
         "999 is the last sequence number of 2026-01-31"),
        ("schema", "2026.01.31.001", "next", {}, InvalidInputError, "needs today's date"),
        ("schema", "2026.01.31.001", "next", {"today": DAY, "build": 3}, InvalidInputError,
         "no build number"),
        ("semver", "1.2.3", "patch", {"build": -1}, InvalidInputError, "cannot be negative"),
        ("odoo", "19.0.1.0.0-rc.1", "prerelease", {"token": "beta"}, InvalidVersionError,
         "'beta' sorts below 'rc'"),
        ("odoo", "19.0.1.0.0", "build", {}, InvalidInputError, "unknown bump part 'build'"),
    ],
)  # fmt: skip
def test_next_errors(
    *,
    scheme: str,
    value: str,
    part: str,
    kwargs: dict[str, object],
    error: type[Exception],
    fragment: str,
) -> None:
    with pytest.raises(error, match=re.escape(fragment)):
        get_scheme(scheme).next(value, part, **kwargs)  # type: ignore[arg-type]


def test_describe_gives_the_parts() -> None:
    odoo = get_scheme("odoo")
    assert odoo.describe(odoo.parse("19.0.1.2.3")) == {
        "series": "19.0",
        "module": "1.2.3",
        "major": 1,
        "minor": 2,
        "patch": 3,
        "prerelease": [],
        "build": [],
    }
    mobile = get_scheme("mobile")
    assert mobile.describe(mobile.parse("1.2.3+456"))["build_number"] == 456
    schema = get_scheme("schema")
    assert schema.describe(schema.parse("2026.01.31.001")) == {
        "date": "2026-01-31",
        "sequence": 1,
    }


# --------------------------------------------------------------------------- compute_scheme_bump


@pytest.mark.parametrize(
    ("scheme", "value", "part", "kwargs", "expected"),
    [
        ("semver", "1.2.3", "patch", {"build": "202601311200"}, "1.2.4+202601311200"),
        ("semver", "1.2.3", "patch", {"build": "ci.42"}, "1.2.4+ci.42"),
        ("semver", "1.2.0-rc.1", "prerelease", {"token": "rc"}, "1.2.0-rc.2"),
        ("mobile", "1.2.3+456", "patch", {"build": "460"}, "1.2.4 (build 460)"),
        ("schema", "2026.01.31.001", None, {"today": DAY}, "2026.01.31.002"),
        ("odoo", "19.0.1.2.3", "patch", {}, "19.0.1.2.4"),
    ],
)
def test_compute_scheme_bump(
    scheme: str, value: str, part: str | None, kwargs: dict[str, object], expected: str
) -> None:
    assert compute_scheme_bump(scheme, value, part, **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("scheme", "part", "build", "fragment"),
    [
        ("semver", None, None, "semver versions need a bump part"),
        ("mobile", None, None, "mobile versions need a bump part"),
        ("mobile", "patch", "ci.42", "invalid build number 'ci.42': expected a whole number"),
        ("mobile", "patch", "", "invalid build number ''"),
    ],
)
def test_compute_scheme_bump_errors(
    scheme: str, part: str | None, build: str | None, fragment: str
) -> None:
    value = "1.2.3+456" if scheme == "mobile" else "1.2.3"
    with pytest.raises(InvalidInputError, match=re.escape(fragment)):
        compute_scheme_bump(scheme, value, part, build=build)


# --------------------------------------------------------------------------- properties


@FAST
@given(st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31)), st.integers(1, 999))
def test_schema_round_trip(day: datetime.date, sequence: int) -> None:
    schema = get_scheme("schema")
    text = f"{day.year:04d}.{day.month:02d}.{day.day:02d}.{sequence:03d}"
    value = schema.parse(text)
    assert (value.day, value.sequence) == (day, sequence)
    assert schema.format(value) == text


@FAST
@given(
    st.dates(datetime.date(2000, 1, 1), datetime.date(2100, 1, 1)),
    st.integers(1, 998),
    st.integers(0, 3),
)
def test_schema_next_always_moves_forward(day: datetime.date, sequence: int, later: int) -> None:
    schema = get_scheme("schema")
    value = f"{day:%Y.%m.%d}.{sequence:03d}"
    today = day + datetime.timedelta(days=later)
    result = schema.next(value, "next", today=today)
    assert schema.compare(result, value) == 1
    assert result.startswith(f"{today:%Y.%m.%d}.")


@FAST
@given(
    st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)),
    st.integers(0, 10**6),
    st.sampled_from(["major", "minor", "patch", "hotfix", "build"]),
)
def test_mobile_next_always_raises_the_build(
    core: tuple[int, int, int], build: int, part: str
) -> None:
    mobile = get_scheme("mobile")
    value = "{}.{}.{}+{}".format(*core, build)
    result = mobile.parse(mobile.next(value, part))
    assert result.build == build + 1
    assert mobile.compare(mobile.format(result), value) == 1


@FAST
@given(st.integers(0, 999), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
def test_odoo_round_trip(series: int, major: int, minor: int, patch: int) -> None:
    odoo = get_scheme("odoo")
    text = f"{series}.0.{major}.{minor}.{patch}"
    assert odoo.validate(text) == text
    value = odoo.parse(text)
    assert (value.series, str(value.module)) == (series, f"{major}.{minor}.{patch}")
