"""Tags -> versions: tag formats, picking the latest release tag, components."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relman.domain.commits import CommitPolicy
from relman.domain.components import Component, VersioningPolicy
from relman.domain.tags import (
    TagFormat,
    compute_hotfix_version,
    find_production_tag,
    find_release_tags,
    is_production_version,
)
from relman.domain.versions import Version
from relman.errors import ConfigError, NotFoundError
from relman.ports import TagRef


@pytest.mark.parametrize(
    ("pattern", "tag", "expected"),
    [
        ("v{version}", "v1.2.3", Version(1, 2, 3)),
        ("v{version}", "v0.1.0", Version(0, 1, 0)),
        ("v{version}", "v1.2.0-beta.1", Version(1, 2, 0, ("beta", 1))),
        ("v{version}", "v2.0.1-hotfix.1", Version(2, 0, 1, ("hotfix", 1))),
        ("v{version}", "v1.0.0+202601311200", Version(1, 0, 0, (), ("202601311200",))),
        ("v{version}", "1.2.3", None),
        ("v{version}", "v1.2", None),
        ("v{version}", "v", None),
        ("v{version}", "vnext", None),
        ("v{version}", "v01.2.3", None),
        ("v{version}", "farm-v1.2.3", None),
        ("v{version}", "release-2026-01", None),
        ("farm-v{version}", "farm-v1.2.3", Version(1, 2, 3)),
        ("farm-v{version}", "v1.2.3", None),
        ("farm-v{version}", "b2b-v1.2.3", None),
        ("{version}", "19.0.1", Version(19, 0, 1)),
        ("{version}", "v19.0.1", None),
        ("release/{version}/final", "release/1.0.0/final", Version(1, 0, 0)),
        ("release/{version}/final", "release/1.0.0", None),
    ],
)
def test_parse_tag(pattern: str, tag: str, expected: Version | None) -> None:
    assert TagFormat(pattern).parse(tag) == expected


@pytest.mark.parametrize(
    ("pattern", "version", "tag"),
    [
        ("v{version}", "1.2.3", "v1.2.3"),
        ("farm-v{version}", "1.2.0-rc.1", "farm-v1.2.0-rc.1"),
        ("{version}", "19.0.1", "19.0.1"),
    ],
)
def test_format_tag(pattern: str, version: str, tag: str) -> None:
    assert TagFormat(pattern).format(Version.parse(version)) == tag


def test_default_format_is_v_version() -> None:
    assert TagFormat().pattern == "v{version}"


@pytest.mark.parametrize("pattern", ["v", "release", "{ver}", "v{version}-{version}", ""])
def test_format_without_exactly_one_placeholder_is_a_config_error(pattern: str) -> None:
    with pytest.raises(ConfigError, match=r"\{version\}"):
        TagFormat(pattern)


_numbers = st.integers(min_value=0, max_value=10_000)
_pre = st.lists(
    st.one_of(_numbers, st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True)), max_size=3
).map(tuple)


@given(
    prefix=st.sampled_from(["v", "farm-v", "", "b2b/", "iot-"]),
    major=_numbers,
    minor=_numbers,
    patch=_numbers,
    pre=_pre,
)
def test_format_then_parse_round_trips(
    prefix: str, major: int, minor: int, patch: int, pre: tuple[int | str, ...]
) -> None:
    fmt = TagFormat(prefix + "{version}")
    version = Version(major, minor, patch, pre)
    assert fmt.parse(fmt.format(version)) == version


@given(st.text(max_size=30))
def test_parse_never_raises_on_arbitrary_tags(tag: str) -> None:
    result = TagFormat("farm-v{version}").parse(tag)
    assert result is None or TagFormat("farm-v{version}").format(result).startswith("farm-v")


def _tags(*names: str) -> list[TagRef]:
    return [TagRef(name=name, sha=f"{i:040x}") for i, name in enumerate(names)]


@pytest.mark.parametrize(
    ("names", "latest", "final"),
    [
        ((), None, None),
        (("nightly", "v1.0", "farm-v9.0.0"), None, None),
        (("v1.0.0", "v1.1.0", "v1.0.1"), "v1.1.0", "v1.1.0"),
        (("v1.9.0", "v1.10.0", "v1.2.0"), "v1.10.0", "v1.10.0"),
        (("v1.1.0", "v1.2.0-rc.1", "v1.2.0-beta.2"), "v1.2.0-rc.1", "v1.1.0"),
        (("v1.2.0-rc.1", "v1.2.0"), "v1.2.0", "v1.2.0"),
        (("v1.0.0-alpha.1",), "v1.0.0-alpha.1", None),
        (("v1.0.0+b2", "v1.0.0+b1"), "v1.0.0+b2", "v1.0.0+b2"),
        (("v1.0.0+b1", "v1.0.0+b2"), "v1.0.0+b2", "v1.0.0+b2"),
    ],
)
def test_find_release_tags_picks_highest_precedence(
    names: tuple[str, ...], latest: str | None, final: str | None
) -> None:
    found_latest, found_final = find_release_tags(_tags(*names), TagFormat())
    assert (found_latest[1].name if found_latest else None) == latest
    assert (found_final[1].name if found_final else None) == final


def test_find_release_tags_uses_the_tag_format() -> None:
    tags = _tags("v3.0.0", "farm-v1.2.0", "farm-v1.10.0", "b2b-v9.0.0")
    latest, _ = find_release_tags(tags, TagFormat("farm-v{version}"))
    assert latest is not None
    assert (str(latest[0]), latest[1].name) == ("1.10.0", "farm-v1.10.0")


# J-003 §2.3/§4.2: production = final versions and hotfixes; alpha/beta/rc never ran there.
@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("v1.1.0", "v1.2.0", "v1.0.0"), "v1.2.0"),
        (("v1.2.0", "v1.2.1-hotfix.1"), "v1.2.1-hotfix.1"),
        (("v1.2.1-hotfix.2", "v1.2.0", "v1.2.1-hotfix.1"), "v1.2.1-hotfix.2"),
        (("v1.2.1-hotfix.2", "v1.2.1"), "v1.2.1"),
        (("v1.2.0", "v1.2.1-hotfix.1", "v1.3.0-rc.1"), "v1.2.1-hotfix.1"),
        (("v1.2.0", "v1.3.0-rc.1", "v1.3.0-beta.2"), "v1.2.0"),
        (("v1.2.0", "farm-v9.0.0", "nightly"), "v1.2.0"),
        (("v1.3.0-rc.1",), None),
        ((), None),
    ],
)
def test_find_production_tag(names: tuple[str, ...], expected: str | None) -> None:
    found = find_production_tag(_tags(*names), TagFormat())
    assert (found[1].name if found else None) == expected


def test_find_production_tag_with_another_hotfix_token() -> None:
    found = find_production_tag(_tags("v1.2.0", "v1.2.1-fix.1"), TagFormat(), hotfix_token="fix")
    assert found is not None
    assert found[1].name == "v1.2.1-fix.1"
    assert not is_production_version(Version.parse("1.2.1-hotfix.1"), hotfix_token="fix")


@pytest.mark.parametrize(
    ("production", "expected"),
    [
        ("1.2.0", "1.2.1-hotfix.1"),
        ("1.2.1-hotfix.1", "1.2.1-hotfix.2"),
        ("1.2.1-hotfix.9", "1.2.1-hotfix.10"),
        ("2.0.0", "2.0.1-hotfix.1"),
    ],
)
def test_compute_hotfix_version(production: str, expected: str) -> None:
    assert str(compute_hotfix_version(Version.parse(production))) == expected


def test_hotfix_order_is_the_plans() -> None:
    order = ["1.2.0", "1.2.1-hotfix.1", "1.2.1-hotfix.2", "1.2.1"]
    versions = [Version.parse(v) for v in order]
    assert all(a < b for a, b in itertools.pairwise(versions))


def _policy(**components: Component) -> VersioningPolicy:
    return VersioningPolicy(
        tag_format=TagFormat("v{version}"),
        initial_version=Version(0, 1, 0),
        components=components,
        commit_policy=CommitPolicy.default(),
    )


def test_get_component_none_is_the_whole_repository() -> None:
    policy = _policy(farm=Component(name="farm", paths=("addons/smart_farm/**",)))
    repo = policy.get_component(None)
    assert (repo.name, repo.paths, repo.tag_format.pattern) == (None, (), "v{version}")


def test_get_component_by_name() -> None:
    farm = Component(name="farm", paths=("addons/smart_farm/**",))
    assert _policy(farm=farm).get_component("farm") is farm


def test_unknown_component_names_it_and_lists_the_known_ones() -> None:
    policy = _policy(farm=Component(name="farm"), b2b=Component(name="b2b"))
    with pytest.raises(NotFoundError, match=r"'iot'.*b2b, farm"):
        policy.get_component("iot")
    assert policy.find_component("iot") is None
