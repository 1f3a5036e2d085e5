"""SemVer 2.0.0: grammar, precedence, bumps, hotfix ordering and compute_next_version."""

from __future__ import annotations

import functools
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relman import Version as PublicVersion
from relman.domain.versions import BUMP_PARTS, Bump, Version, compute_next_version
from relman.errors import InvalidInputError, InvalidVersionError

V = Version.parse

# The regular expression published on semver.org (ASCII digits, \Z so "\n" cannot sneak in).
SEMVER_ORG_RE = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z"
)

VALID = [
    "0.0.4",
    "1.2.3",
    "10.20.30",
    "1.1.2-prerelease+meta",
    "1.1.2+meta",
    "1.1.2+meta-valid",
    "1.0.0-alpha",
    "1.0.0-beta",
    "1.0.0-alpha.beta",
    "1.0.0-alpha.beta.1",
    "1.0.0-alpha.1",
    "1.0.0-alpha0.valid",
    "1.0.0-alpha.0valid",
    "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay",
    "1.0.0-rc.1+build.1",
    "2.0.0-rc.1+build.123",
    "1.2.3-beta",
    "10.2.3-DEV-SNAPSHOT",
    "1.2.3-SNAPSHOT-123",
    "2.0.0+build.1848",
    "2.0.1-alpha.1227",
    "1.0.0-alpha+beta",
    "1.2.3----RC-SNAPSHOT.12.9.1--.12+788",
    "1.2.3----R-S.12.9.1--.12+meta",
    "1.2.3----RC-SNAPSHOT.12.9.1--.12",
    "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
    "99999999999999999999999.999999999999999999.99999999999999999",
    "1.0.0-0A.is.legal",
    "1.0.0-0",
    "1.0.0+001",  # build identifiers may have leading zeros
    "1.0.0-x-y-z.--",
    "2.3.1-beta.2+202601311200",  # J-003 §4.1
    "2.0.1-hotfix.1",  # J-003 §4.2
]

INVALID = [
    "",
    "1",
    "1.2",
    "1.2.3-0123",
    "1.2.3-0123.0123",
    "1.1.2+.123",
    "+invalid",
    "-invalid",
    "-invalid+invalid",
    "-invalid.01",
    "alpha",
    "alpha.beta",
    "alpha.beta.1",
    "alpha.1",
    "alpha+beta",
    "alpha_beta",
    "alpha.",
    "alpha..",
    "beta",
    "1.0.0-alpha_beta",
    "-alpha.",
    "1.0.0-alpha..",
    "1.0.0-alpha..1",
    "1.0.0-alpha...1",
    "01.1.1",
    "1.01.1",
    "1.1.01",
    "1.2.3.DEV",
    "1.2-SNAPSHOT",
    "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788",
    "1.2-RC-SNAPSHOT",
    "-1.0.3-gamma+b7718",
    "+justmeta",
    "9.8.7+meta+meta",
    "9.8.7-whatever+meta+meta",
    "v1.2.3",
    " 1.2.3",
    "1.2.3 ",
    "1.2.3\n",
    "1.2.3-",
    "1.2.3+",
    "1.2.3-rc.",
    "1.2.3-é",
    "1.2.٣",  # a non-ASCII digit
    "1.2.3.4",
    "1..3",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_versions_parse_and_print_unchanged(text: str) -> None:
    assert str(V(text)) == text
    assert SEMVER_ORG_RE.match(text)


@pytest.mark.parametrize("text", INVALID)
def test_invalid_versions_raise_invalid_version_error(text: str) -> None:
    with pytest.raises(InvalidVersionError) as info:
        V(text)
    assert info.value.message.startswith(f"invalid version {text!r}: ")
    assert info.value.exit_code == 4
    assert not SEMVER_ORG_RE.match(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.02.3", "invalid version '1.02.3': numeric identifier has a leading zero at position 3"),
        ("1.2", "invalid version '1.2': SemVer needs MAJOR.MINOR.PATCH"),
        ("", "invalid version '': empty version"),
        ("1.2.3.4", "invalid version '1.2.3.4': SemVer needs MAJOR.MINOR.PATCH, found an extra "
         "part at position 7"),
        ("v1.2.3", "invalid version 'v1.2.3': MAJOR must be a number, found 'v' at position 1"),
        ("1..3", "invalid version '1..3': MINOR is empty at position 3"),
        ("1.2.x", "invalid version '1.2.x': PATCH must be a number, found 'x' at position 5"),
        ("1.2.3-", "invalid version '1.2.3-': empty pre-release identifier at position 7"),
        ("1.2.3-a..b", "invalid version '1.2.3-a..b': empty pre-release identifier at position 9"),
        ("1.2.3-rc.01", "invalid version '1.2.3-rc.01': numeric identifier has a leading zero "
         "at position 10"),
        ("1.2.3-r_c", "invalid version '1.2.3-r_c': invalid character '_' in pre-release "
         "identifier at position 8"),
        ("1.2.3+", "invalid version '1.2.3+': empty build identifier at position 7"),
        ("1.2.3+a+b", "invalid version '1.2.3+a+b': invalid character '+' in build metadata "
         "at position 8"),
    ],
)  # fmt: skip
def test_error_names_the_rule_and_the_1_based_position(text: str, message: str) -> None:
    with pytest.raises(InvalidVersionError) as info:
        V(text)
    assert str(info.value) == message


def test_error_details_carry_the_position_for_machines() -> None:
    with pytest.raises(InvalidVersionError) as info:
        V("1.02.3")
    assert info.value.details == {
        "input": "1.02.3",
        "rule": "numeric identifier has a leading zero",
        "position": 3,
    }


def test_public_import_is_the_domain_class() -> None:
    assert PublicVersion is Version


def test_parts_are_exposed_with_numeric_identifiers_as_int() -> None:
    v = V("2.3.1-beta.2+202601311200")
    assert (v.major, v.minor, v.patch) == (2, 3, 1)
    assert v.prerelease == ("beta", 2)
    assert v.build == ("202601311200",)
    assert v.is_prerelease
    assert not V("2.3.1").is_prerelease


# --------------------------------------------------------------------------- precedence

SPEC_CHAIN = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
]
CORE_CHAIN = ["1.0.0", "2.0.0", "2.1.0", "2.1.1"]
HOTFIX_CHAIN = ["1.2.0", "1.2.1-hotfix.1", "1.2.1-hotfix.2", "1.2.1-hotfix.10", "1.2.1"]


@pytest.mark.parametrize("chain", [SPEC_CHAIN, CORE_CHAIN, HOTFIX_CHAIN])
def test_chains_are_strictly_increasing(chain: list[str]) -> None:
    versions = [V(t) for t in chain]
    for low, high in itertools.pairwise(versions):
        assert low < high
        assert high > low
        assert low != high
    shuffled = versions[1::2] + versions[::2]
    assert sorted(shuffled) == versions


def test_hotfix_ordering_of_j003() -> None:
    assert V("1.2.0") < V("1.2.1-hotfix.1") < V("1.2.1-hotfix.2") < V("1.2.1") < V("1.2.2")


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("1.0.0-1", "1.0.0-a"),  # numeric below alphanumeric
        ("1.0.0-999", "1.0.0-0a"),
        ("1.0.0-rc.9", "1.0.0-rc.10"),  # numeric, not lexical
        ("1.0.0-RC.1", "1.0.0-rc.1"),  # ASCII order: upper case first
        ("1.0.0-a", "1.0.0-a.0"),  # a larger set ranks higher
        ("1.0.0-a.b", "1.0.0-a-b"),  # whole identifiers compare: 'a' < 'a-b'
        ("1.0.0-alpha.beta", "1.0.0-alpha.beta.0"),
        ("1.9.9", "1.10.0"),
        ("9.0.0", "10.0.0"),
    ],
)
def test_precedence_pairs(low: str, high: str) -> None:
    assert V(low) < V(high)
    assert V(high) > V(low)


@pytest.mark.parametrize(
    ("a", "b"),
    [("1.0.0+build.1", "1.0.0+build.2"), ("1.0.0-rc.1+x", "1.0.0-rc.1"), ("1.0.0", "1.0.0+001")],
)
def test_build_metadata_is_ignored_by_eq_hash_and_order(a: str, b: str) -> None:
    assert V(a) == V(b)
    assert hash(V(a)) == hash(V(b))
    assert not V(a) < V(b)
    assert not V(b) < V(a)
    assert len({V(a), V(b)}) == 1
    assert str(V(a)) != str(V(b))  # ... but kept in the text


def test_version_is_not_equal_to_other_types() -> None:
    assert V("1.0.0") != "1.0.0"


# --------------------------------------------------------------------------- construction


def test_direct_construction_normalizes_identifiers() -> None:
    built = Version(1, 2, 3, ("rc", "1"), ("b",))
    assert built == V("1.2.3-rc.1")
    assert built.prerelease == ("rc", 1)
    assert repr(built) == "Version('1.2.3-rc.1+b')"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((-1, 0, 0), "MAJOR must be >= 0"),
        ((1, True, 0), "MINOR must be >= 0"),
        ((1, 0, 0, ("rc", "01")), "leading zero"),
        ((1, 0, 0, ("",)), "empty pre-release identifier"),
        ((1, 0, 0, (-1,)), "invalid pre-release identifier #1"),
        ((1, 0, 0, (), ("a.b",)), "invalid character '.'"),
        ((1, 0, 0, (), ("",)), "empty build identifier"),
    ],
)
def test_direct_construction_is_validated(args: tuple[object, ...], fragment: str) -> None:
    with pytest.raises(InvalidVersionError, match=re.escape(fragment)):
        Version(*args)  # type: ignore[arg-type]


def test_finalize_and_with_build() -> None:
    assert str(V("1.2.0-rc.3+b7").finalize()) == "1.2.0"
    assert str(V("1.2.0").with_build("202601311200")) == "1.2.0+202601311200"
    assert str(V("1.2.0+old").with_build(None)) == "1.2.0"
    with pytest.raises(InvalidVersionError, match=r"invalid build metadata 'a\.\.b'.*position 3"):
        V("1.2.0").with_build("a..b")


# --------------------------------------------------------------------------- Bump


@pytest.mark.parametrize(
    ("name", "bump"),
    [("none", Bump.NONE), ("patch", Bump.PATCH), ("MINOR", Bump.MINOR), (" major ", Bump.MAJOR)],
)
def test_bump_parse_and_str(name: str, bump: Bump) -> None:
    assert Bump.parse(name) is bump
    assert str(bump) == name.strip().lower()
    assert f"{bump}" == name.strip().lower()


def test_bump_order_and_unknown_name() -> None:
    assert Bump.NONE < Bump.PATCH < Bump.MINOR < Bump.MAJOR
    assert max(Bump.PATCH, Bump.MAJOR) is Bump.MAJOR
    with pytest.raises(InvalidInputError, match="unknown bump 'huge'"):
        Bump.parse("huge")


# --------------------------------------------------------------------------- Version.bump


@pytest.mark.parametrize(
    ("start", "part", "token", "expected"),
    [
        ("1.2.3", "major", None, "2.0.0"),
        ("1.2.3", "minor", None, "1.3.0"),
        ("1.2.3", "patch", None, "1.2.4"),
        ("0.0.0", "patch", None, "0.0.1"),
        ("1.2.3+b9", "patch", None, "1.2.4"),  # old metadata is dropped
        # npm/semver convention: a pre-release of X.Y.Z bumps to X.Y.Z when it is on that line
        ("1.2.3-rc.1", "patch", None, "1.2.3"),
        ("1.2.0-rc.1", "patch", None, "1.2.0"),
        ("1.2.0-rc.1", "minor", None, "1.2.0"),
        ("1.2.3-rc.1", "minor", None, "1.3.0"),
        ("2.0.0-rc.1", "major", None, "2.0.0"),
        ("2.1.0-rc.1", "major", None, "3.0.0"),
        ("1.2.1-hotfix.2", "patch", None, "1.2.1"),  # the next regular patch of that line
        # pre-release channels
        ("1.2.0-beta.1", "prerelease", None, "1.2.0-beta.2"),
        ("1.2.0-beta.1", "prerelease", "beta", "1.2.0-beta.2"),
        ("1.2.0-beta.9", "prerelease", "rc", "1.2.0-rc.1"),
        ("1.2.0-alpha", "prerelease", None, "1.2.0-alpha.1"),
        ("1.2.0-1", "prerelease", None, "1.2.0-2"),
        ("1.2.0-rc.1.x", "prerelease", None, "1.2.0-rc.2.x"),
        ("1.2.0-1", "prerelease", "rc", "1.2.0-rc.1"),
        ("1.2.0", "prerelease", "beta", "1.2.1-beta.1"),
        # a pre-release of a bump (premajor/preminor/prepatch)
        ("1.2.3", "minor", "rc", "1.3.0-rc.1"),
        ("1.2.3", "major", "beta", "2.0.0-beta.1"),
        ("1.2.3", "patch", "rc", "1.2.4-rc.1"),
        ("1.3.0-rc.1", "minor", "rc", "1.3.0-rc.2"),
        ("1.3.0-beta.4", "minor", "rc", "1.3.0-rc.1"),
        ("1.3.1-rc.1", "minor", "rc", "1.4.0-rc.1"),
        # release
        ("1.2.0-rc.3", "release", None, "1.2.0"),
        ("1.2.1-hotfix.2", "release", None, "1.2.1"),
        # hotfix (J-003 §2.3)
        ("1.2.0", "hotfix", None, "1.2.1-hotfix.1"),
        ("1.2.1-hotfix.1", "hotfix", None, "1.2.1-hotfix.2"),
        ("2.0.0", "hotfix", None, "2.0.1-hotfix.1"),
        ("1.2.0", "hotfix", "emergency", "1.2.1-emergency.1"),
    ],
)
def test_bump(start: str, part: str, token: str | None, expected: str) -> None:
    result = V(start).bump(part, token=token)
    assert str(result) == expected
    assert result > V(start)


@pytest.mark.parametrize(
    ("part", "build", "expected"),
    [
        ("patch", "202601311200", "1.2.4+202601311200"),
        ("minor", "ci.4711", "1.3.0+ci.4711"),
        ("hotfix", "001", "1.2.4-hotfix.1+001"),
    ],
)
def test_bump_attaches_build_metadata(part: str, build: str, expected: str) -> None:
    assert str(V("1.2.3+old").bump(part, build=build)) == expected


@pytest.mark.parametrize(
    ("start", "part", "token", "error", "fragment"),
    [
        ("1.2.0-rc.1", "prerelease", "beta", InvalidVersionError, "'beta' sorts below 'rc'"),
        ("1.2.0-rc.1", "minor", "alpha", InvalidVersionError, "'alpha' sorts below 'rc'"),
        ("1.2.0", "prerelease", None, InvalidVersionError, "without a token"),
        ("1.2.0", "release", None, InvalidVersionError, "it is not a pre-release"),
        ("1.2.0-rc.1", "release", "rc", InvalidInputError, "makes no sense"),
        ("1.2.0-rc.1", "hotfix", None, InvalidVersionError, "cannot hotfix '1.2.0-rc.1'"),
        ("1.2.0", "prerelease", "1", InvalidVersionError, "must not be a number"),
        ("1.2.0", "prerelease", "r.c", InvalidVersionError, "invalid character '.'"),
        ("1.2.0", "prerelease", "", InvalidVersionError, "must not be empty"),
        ("1.2.0", "build", None, InvalidInputError, "unknown bump part 'build'"),
    ],
)
def test_bump_errors(
    start: str, part: str, token: str | None, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=re.escape(fragment)):
        V(start).bump(part, token=token)


def test_bump_rejects_invalid_build_metadata() -> None:
    with pytest.raises(InvalidVersionError, match="invalid build metadata 'x_y'"):
        V("1.2.3").bump("patch", build="x_y")


# --------------------------------------------------------------------------- compute_next_version

INITIAL = V("0.1.0")


@pytest.mark.parametrize(
    ("current", "last_final", "bump", "pre", "zero_rule", "expected"),
    [
        # nothing released yet
        (None, None, Bump.MINOR, None, False, "0.1.0"),
        (None, None, Bump.NONE, None, False, "0.1.0"),
        (None, None, Bump.MAJOR, "beta", False, "0.1.0-beta.1"),
        # NONE: the caller decides; current comes back unchanged
        ("1.2.3", "1.2.3", Bump.NONE, None, False, "1.2.3"),
        ("1.3.0-rc.1", "1.2.0", Bump.NONE, "rc", False, "1.3.0-rc.1"),
        # from a final
        ("1.2.3", "1.2.3", Bump.PATCH, None, False, "1.2.4"),
        ("1.2.3", "1.2.3", Bump.MINOR, None, False, "1.3.0"),
        ("1.2.3", "1.2.3", Bump.MAJOR, None, False, "2.0.0"),
        ("1.2.3", "1.2.3", Bump.MINOR, "beta", False, "1.3.0-beta.1"),
        ("1.2.3", None, Bump.PATCH, None, False, "1.2.4"),
        # 0.x rule
        ("0.4.2", "0.4.2", Bump.MAJOR, None, True, "0.5.0"),
        ("0.4.2", "0.4.2", Bump.MAJOR, None, False, "1.0.0"),
        ("1.4.2", "1.4.2", Bump.MAJOR, None, True, "2.0.0"),
        ("0.4.2", "0.4.2", Bump.MAJOR, "rc", True, "0.5.0-rc.1"),
        # from a pre-release that already carries the bump: finalize or continue the channel
        ("1.3.0-rc.2", "1.2.0", Bump.PATCH, None, False, "1.3.0"),
        ("1.3.0-rc.2", "1.2.0", Bump.MINOR, None, False, "1.3.0"),
        ("1.3.0-rc.2", "1.2.0", Bump.MINOR, "rc", False, "1.3.0-rc.3"),
        ("1.3.0-beta.3", "1.2.0", Bump.PATCH, "rc", False, "1.3.0-rc.1"),
        ("2.0.0-beta.1", "1.9.0", Bump.MAJOR, "beta", False, "2.0.0-beta.2"),
        ("1.0.0-rc.1", None, Bump.MAJOR, None, False, "1.0.0"),
        ("1.0.0-rc.1", None, Bump.PATCH, "rc", False, "1.0.0-rc.2"),
        ("1.2.1-hotfix.1", "1.2.0", Bump.PATCH, None, False, "1.2.1"),
        # ... that does not carry it: bump the last final
        ("1.2.1-rc.1", "1.2.0", Bump.MINOR, None, False, "1.3.0"),
        ("1.2.1-rc.1", "1.2.0", Bump.MINOR, "rc", False, "1.3.0-rc.1"),
        ("1.3.0-rc.1", "1.2.0", Bump.MAJOR, "beta", False, "2.0.0-beta.1"),
        ("0.3.0-rc.1", "0.2.0", Bump.MAJOR, None, True, "0.3.0"),
        ("0.3.0-rc.1", "0.2.0", Bump.MAJOR, None, False, "1.0.0"),
    ],
)
def test_compute_next_version(
    *,
    current: str | None,
    last_final: str | None,
    bump: Bump,
    pre: str | None,
    zero_rule: bool,
    expected: str,
) -> None:
    result = compute_next_version(
        current=None if current is None else V(current),
        last_final=None if last_final is None else V(last_final),
        bump=bump,
        pre=pre,
        initial=INITIAL,
        zero_major_breaking_bumps_minor=zero_rule,
    )
    assert str(result) == expected


def test_compute_next_version_refuses_a_lower_channel() -> None:
    with pytest.raises(InvalidVersionError, match="'beta' sorts below 'rc'"):
        compute_next_version(
            current=V("1.3.0-rc.1"), last_final=V("1.2.0"), bump=Bump.PATCH, pre="beta",
            initial=INITIAL,
        )  # fmt: skip


# --------------------------------------------------------------------------- properties

_IDENT = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-"
numbers = st.integers(min_value=0, max_value=10**12)
alnum_ids = st.text(_IDENT, min_size=1, max_size=6).filter(lambda s: not s.isdigit())
pre_ids = st.one_of(st.integers(min_value=0, max_value=50), alnum_ids)
build_ids = st.text(_IDENT, min_size=1, max_size=6)
versions = st.builds(
    Version,
    numbers,
    numbers,
    numbers,
    st.lists(pre_ids, max_size=4).map(tuple),
    st.lists(build_ids, max_size=3).map(tuple),
)
small_versions = st.builds(
    Version,
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(0, 2),
    st.lists(st.one_of(st.integers(0, 2), st.sampled_from(["a", "b", "rc", "A"])), max_size=3).map(
        tuple
    ),
)
FAST = settings(max_examples=200, deadline=None)


@FAST
@given(versions)
def test_round_trip(version: Version) -> None:
    text = str(version)
    parsed = V(text)
    assert parsed == version
    assert parsed.build == version.build
    assert str(parsed) == text
    assert SEMVER_ORG_RE.match(text)


@FAST
@given(st.text(alphabet="0123456789.-+aZ_ \n", max_size=14))
def test_parser_agrees_with_the_semver_org_regex(text: str) -> None:
    try:
        V(text)
    except InvalidVersionError:
        assert not SEMVER_ORG_RE.match(text)
    else:
        assert SEMVER_ORG_RE.match(text)


def _spec_compare(a: Version, b: Version) -> int:
    """semver.org §11 written out step by step, as an independent oracle."""
    for x, y in ((a.major, b.major), (a.minor, b.minor), (a.patch, b.patch)):
        if x != y:
            return -1 if x < y else 1
    if not a.prerelease or not b.prerelease:
        return (not a.prerelease) - (not b.prerelease)
    for x, y in zip(a.prerelease, b.prerelease, strict=False):
        if x == y:
            continue
        if isinstance(x, int) and isinstance(y, int):
            return -1 if x < y else 1
        if isinstance(x, int) or isinstance(y, int):
            return -1 if isinstance(x, int) else 1
        return -1 if str(x) < str(y) else 1
    return (len(a.prerelease) > len(b.prerelease)) - (len(a.prerelease) < len(b.prerelease))


@FAST
@given(small_versions, small_versions, small_versions)
def test_precedence_is_a_total_order(a: Version, b: Version, c: Version) -> None:
    assert sum([a < b, a == b, a > b]) == 1
    assert (a < b) == (b > a)
    assert (a <= b) == (a < b or a == b)
    if a == b:
        assert hash(a) == hash(b)
    if a <= b <= c:
        assert a <= c
    assert (a > b) - (a < b) == _spec_compare(a, b)


@FAST
@given(st.lists(small_versions, max_size=8))
def test_sorting_matches_the_spec(items: list[Version]) -> None:
    expected = sorted(items, key=functools.cmp_to_key(_spec_compare))
    assert [str(v) for v in sorted(items)] == [str(v) for v in expected]


@FAST
@given(versions, st.sampled_from(BUMP_PARTS), st.sampled_from([None, "alpha", "beta", "rc"]))
def test_bumps_only_move_forward(version: Version, part: str, token: str | None) -> None:
    try:
        bumped = version.bump(part, token=token)
    except InvalidInputError:
        return  # undefined combination (e.g. release of a final), refused loudly
    assert bumped > version


@FAST
@given(
    versions,
    st.sampled_from([Bump.PATCH, Bump.MINOR, Bump.MAJOR]),
    st.sampled_from([None, "beta", "rc"]),
    st.booleans(),
)
def test_next_version_moves_forward(
    current: Version, bump: Bump, pre: str | None, zero_rule: bool
) -> None:
    last_final = None if current.is_prerelease else current
    try:
        result = compute_next_version(
            current=current, last_final=last_final, bump=bump, pre=pre, initial=INITIAL,
            zero_major_breaking_bumps_minor=zero_rule,
        )  # fmt: skip
    except InvalidVersionError:
        return  # a lower pre-release channel than the current one
    assert result > current
    assert result.is_prerelease == (pre is not None)
