"""Current and next versions computed from real git histories."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from relman.adapters.git_cli import GitCli
from relman.bootstrap import build_services
from relman.domain.components import VersioningPolicy
from relman.domain.versions import Bump, Version
from relman.errors import GitError, InvalidInputError, NotFoundError, NothingToReleaseError
from relman.services.versioning import NextVersion, compute_next, get_current_version

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder

COMPONENTS_TOML = """\
[versioning]
tag_format = "v{version}"

[components.farm]
paths = ["addons/smart_farm/**"]
tag_format = "farm-v{version}"

[components.b2b]
paths = ["addons/b2b_portal/"]
tag_format = "b2b-v{version}"
"""


def _policy(path: Path) -> VersioningPolicy:
    return build_services(repo=path).versioning_policy


def _next(path: Path, **kw: object) -> NextVersion:
    return compute_next(git=GitCli(path), policy=_policy(path), **kw)  # type: ignore[arg-type]


def _version(path: Path, **kw: object) -> str:
    return str(_next(path, **kw).next)


@pytest.fixture
def released(repo_builder: RepoBuilder) -> RepoBuilder:
    repo_builder.commit("chore: initial import")
    repo_builder.commit("feat: milk collection")
    repo_builder.tag("v1.0.0")
    return repo_builder


@pytest.mark.parametrize(
    ("messages", "expected", "bump"),
    [
        (["fix: rounding"], "1.0.1", Bump.PATCH),
        (["docs: readme", "fix: rounding"], "1.0.1", Bump.PATCH),
        (["fix: rounding", "feat(farm): herd view"], "1.1.0", Bump.MINOR),
        (["feat(api)!: drop v1 endpoints"], "2.0.0", Bump.MAJOR),
        (["fix: x\n\nBREAKING CHANGE: the y setting is gone"], "2.0.0", Bump.MAJOR),
        (["perf: faster sync", "not conventional at all"], "1.0.1", Bump.PATCH),
    ],
)
def test_next_version_from_commits_since_the_last_tag(
    released: RepoBuilder, messages: list[str], expected: str, bump: Bump
) -> None:
    for message in messages:
        released.commit(message)
    result = _next(released.path)
    assert (str(result.current), str(result.next), result.bump) == ("1.0.0", expected, bump)
    assert result.commits == len(messages)
    assert result.range == "v1.0.0..HEAD"
    assert result.next_tag == f"v{expected}"


def test_reasons_are_the_commits_that_decided_the_bump(released: RepoBuilder) -> None:
    released.commit("fix: rounding")
    feat = released.commit("feat(farm): herd view")
    released.commit("docs: guide")
    result = _next(released.path)
    assert [(c.sha, c.type, c.header) for c in result.reasons] == [
        (feat, "feat", "feat(farm): herd view")
    ]


def test_nothing_to_release_names_the_range_and_the_count(released: RepoBuilder) -> None:
    released.commit("docs: guide")
    released.commit("chore: tidy")
    with pytest.raises(NothingToReleaseError, match=r"none of the 2 commits in v1\.0\.0\.\.HEAD"):
        _next(released.path)


def test_allow_noop_returns_the_current_version(released: RepoBuilder) -> None:
    released.commit("docs: guide")
    result = _next(released.path, allow_noop=True)
    assert (str(result.current), str(result.next), result.bump, result.commits) == (
        "1.0.0",
        "1.0.0",
        Bump.NONE,
        1,
    )


def test_lightweight_tags_are_releases_too(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("feat: a")
    repo_builder.tag("v0.3.0", annotated=False)
    repo_builder.commit("fix: b")
    assert _version(repo_builder.path) == "0.3.1"


def test_highest_version_wins_not_the_newest_tag(released: RepoBuilder) -> None:
    # a hotfix line tagged after a later minor release was merged in
    released.commit("feat: big thing")
    released.tag("v1.4.0")
    released.commit("fix: later")
    released.tag("v1.3.5")
    released.commit("fix: again")
    current = get_current_version(git=GitCli(released.path), policy=_policy(released.path))
    assert (current.tag, str(current.version)) == ("v1.4.0", "1.4.0")
    assert _version(released.path) == "1.4.1"


def test_tags_not_reachable_from_the_ref_are_ignored(released: RepoBuilder) -> None:
    released.branch("release/2.0.0")
    released.checkout("release/2.0.0")
    released.commit("feat!: new world")
    released.tag("v2.0.0")
    released.checkout("main")
    released.commit("fix: small")
    assert _version(released.path) == "1.0.1"
    assert _version(released.path, ref="release/2.0.0", allow_noop=True) == "2.0.0"


def test_merged_feature_branch_counts_its_commits(released: RepoBuilder) -> None:
    released.branch("feature/SD-12-herd")
    released.checkout("feature/SD-12-herd")
    released.commit("feat(farm): herd view")
    released.checkout("main")
    released.commit("docs: guide")
    released.merge("feature/SD-12-herd", "Merge branch 'feature/SD-12-herd'")
    result = _next(released.path)
    assert (str(result.next), result.commits) == ("1.1.0", 3)


def test_garbage_tags_are_ignored(released: RepoBuilder) -> None:
    released.tag("nightly", annotated=False)
    released.tag("v1.1", annotated=False)
    released.tag("vlatest", annotated=False)
    released.commit("fix: x")
    assert _version(released.path) == "1.0.1"


def test_no_tags_first_release_is_the_initial_version(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("chore: init")
    repo_builder.commit("feat: first feature")
    result = _next(repo_builder.path)
    assert (result.current, str(result.next), result.commits, result.range) == (
        None,
        "0.1.0",
        2,
        "HEAD",
    )
    current = get_current_version(git=GitCli(repo_builder.path), policy=_policy(repo_builder.path))
    assert (current.tag, current.version, current.sha) == (None, None, None)


def test_initial_version_is_configurable(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("feat: first", {"relman.toml": '[versioning]\ninitial_version = "1.0.0"\n'})
    assert _version(repo_builder.path) == "1.0.0"


def test_no_tags_and_nothing_releasable(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("chore: init")
    with pytest.raises(NothingToReleaseError, match=r"none of the 1 commit in HEAD"):
        _next(repo_builder.path)


def test_custom_tag_format(repo_builder: RepoBuilder) -> None:
    repo_builder.commit(
        "feat: a", {"relman.toml": '[versioning]\ntag_format = "release-{version}"\n'}
    )
    repo_builder.tag("release-2.1.0")
    repo_builder.tag("v9.0.0")  # not a release tag under this format
    repo_builder.commit("fix: b")
    assert _version(repo_builder.path) == "2.1.1"


@pytest.fixture
def components(repo_builder: RepoBuilder) -> RepoBuilder:
    b = repo_builder
    b.commit("chore: layout", {"relman.toml": COMPONENTS_TOML, "README.md": "x\n"})
    b.commit("feat(farm): herd", {"addons/smart_farm/herd.py": "1\n"})
    b.tag("farm-v1.2.0")
    b.commit("feat(b2b): portal", {"addons/b2b_portal/portal.py": "1\n"})
    b.tag("b2b-v2.1.0")
    b.tag("v3.0.0")
    b.commit("fix(farm): milk totals", {"addons/smart_farm/milk.py": "1\n"})
    b.commit("feat(b2b): invoices", {"addons/b2b_portal/invoice.py": "1\n"})
    b.commit("docs: guide", {"docs/guide.md": "1\n"})
    return b


def test_components_have_their_own_tags_and_paths(components: RepoBuilder) -> None:
    farm = _next(components.path, component="farm")
    assert (farm.component, str(farm.current), str(farm.next), farm.commits) == (
        "farm",
        "1.2.0",
        "1.2.1",
        1,
    )
    assert farm.range == "farm-v1.2.0..HEAD"
    assert farm.next_tag == "farm-v1.2.1"
    b2b = _next(components.path, component="b2b")
    assert (str(b2b.current), str(b2b.next), b2b.commits) == ("2.1.0", "2.2.0", 1)
    whole = _next(components.path)
    assert (whole.component, str(whole.current), str(whole.next), whole.commits) == (
        None,
        "3.0.0",
        "3.1.0",
        3,
    )


def test_component_with_nothing_to_release(components: RepoBuilder) -> None:
    components.commit("feat(b2b): more", {"addons/b2b_portal/more.py": "1\n"})
    components.tag("farm-v1.2.1")  # released: farm has nothing new since
    with pytest.raises(NothingToReleaseError, match="component 'farm': no commits"):
        _next(components.path, component="farm")


def test_unknown_component_lists_the_known_ones(components: RepoBuilder) -> None:
    with pytest.raises(NotFoundError, match=r"unknown component 'iot'.*b2b, farm"):
        _next(components.path, component="iot")


def test_unknown_ref_is_not_found(released: RepoBuilder) -> None:
    with pytest.raises(NotFoundError, match=r"unknown revision 'v9\.9\.9'") as info:
        _next(released.path, ref="v9.9.9")
    assert info.value.where == str(released.path.resolve())


def test_detached_head(released: RepoBuilder) -> None:
    released.commit("feat: a")
    released.commit("fix: b")
    released.checkout("HEAD~1")
    git = GitCli(released.path)
    assert git.current_branch() is None
    result = _next(released.path)
    assert (str(result.next), result.commits) == ("1.1.0", 1)


@pytest.fixture
def prereleases(released: RepoBuilder) -> RepoBuilder:
    released.commit("feat: sync")
    released.tag("v1.1.0-beta.1")
    released.commit("fix: sync edge case")
    released.tag("v1.1.0-rc.1")
    return released


def test_prerelease_tags_are_the_current_version(prereleases: RepoBuilder) -> None:
    current = get_current_version(git=GitCli(prereleases.path), policy=_policy(prereleases.path))
    assert (current.tag, current.last_final_tag) == ("v1.1.0-rc.1", "v1.0.0")
    assert (str(current.version), str(current.last_final)) == ("1.1.0-rc.1", "1.0.0")


def test_final_release_after_prereleases_counts_since_the_last_final(
    prereleases: RepoBuilder,
) -> None:
    result = _next(prereleases.path)  # no new commit since rc.1: promoting it is a release
    assert (str(result.current), str(result.next), result.bump) == (
        "1.1.0-rc.1",
        "1.1.0",
        Bump.MINOR,
    )
    assert (result.range, result.commits) == ("v1.0.0..HEAD", 2)


def test_next_prerelease_counts_up(prereleases: RepoBuilder) -> None:
    prereleases.commit("fix: another")
    assert _version(prereleases.path, pre="rc") == "1.1.0-rc.2"


def test_breaking_change_during_prereleases_raises_the_major(prereleases: RepoBuilder) -> None:
    prereleases.commit("feat!: rename everything")
    assert _version(prereleases.path, pre="rc") == "2.0.0-rc.1"


def test_another_prerelease_needs_a_new_releasable_commit(prereleases: RepoBuilder) -> None:
    with pytest.raises(NothingToReleaseError, match=r"no commits in v1\.1\.0-rc\.1\.\.HEAD"):
        _next(prereleases.path, pre="rc")
    prereleases.commit("docs: notes")
    with pytest.raises(NothingToReleaseError, match=r"1 commit in v1\.1\.0-rc\.1\.\.HEAD"):
        _next(prereleases.path, pre="rc")


def test_first_prerelease_of_a_final(released: RepoBuilder) -> None:
    released.commit("feat: x")
    assert _version(released.path, pre="beta") == "1.1.0-beta.1"


def test_unknown_prerelease_token_is_refused(released: RepoBuilder) -> None:
    released.commit("feat: x")
    with pytest.raises(InvalidInputError, match="'nightly'"):
        _next(released.path, pre="nightly")


def _clone(source: Path, target: Path, depth: int) -> Path:
    subprocess.run(
        ["git", "clone", "-q", "--depth", str(depth), f"file://{source}", str(target)],
        check=True,
    )
    return target


def test_shallow_clone_cut_before_any_tag_is_a_git_error(
    released: RepoBuilder, tmp_path: Path
) -> None:
    for i in range(5):
        released.commit(f"fix: {i}")
    clone = _clone(released.path, tmp_path / "clone", depth=3)
    with pytest.raises(GitError, match=r"shallow clone: no release tag reachable from HEAD"):
        _next(clone)
    with pytest.raises(GitError, match="git fetch --unshallow or --depth"):
        get_current_version(git=GitCli(clone), policy=_policy(clone))


def test_shallow_clone_holding_the_tag_works(released: RepoBuilder, tmp_path: Path) -> None:
    for i in range(3):
        released.commit(f"fix: {i}")
    clone = _clone(released.path, tmp_path / "clone", depth=5)
    assert GitCli(clone).is_shallow()
    result = _next(clone)
    assert (str(result.current), str(result.next), result.commits) == ("1.0.0", "1.0.1", 3)


def test_a_long_history_with_many_tags(repo_builder: RepoBuilder) -> None:
    repo_builder.import_history(
        [f"feat: thing {i}\n" if i % 7 == 0 else f"fix: bug {i}\n" for i in range(1, 2001)],
        tags={i: f"v1.{i // 20}.0" for i in range(20, 2001, 20)},
    )
    current = get_current_version(git=GitCli(repo_builder.path), policy=_policy(repo_builder.path))
    assert current.version == Version(1, 100, 0)
    with pytest.raises(NothingToReleaseError, match="no commits"):
        _next(repo_builder.path)
    result = _next(repo_builder.path, ref="v1.100.0~5")
    assert (str(result.current), str(result.next), result.commits) == ("1.99.0", "1.100.0", 15)


def test_a_reverted_feature_does_not_count(released: RepoBuilder) -> None:
    feat = released.commit("feat: risky", {"risky.py": "1\n"})
    fix = released.commit("fix: small", {"small.py": "1\n"})
    released.git("revert", "--no-edit", feat)
    result = _next(released.path)
    assert (str(result.next), result.bump, result.commits) == ("1.0.1", Bump.PATCH, 3)
    assert [c.sha for c in result.reasons] == [fix]
