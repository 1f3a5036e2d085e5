"""The latest production version and the next hotfix (J-003 §2.3, §4.2) on real git histories.

Git Flow by hand: release 1.2.0 (merged into main, tagged, main merged back into develop),
then hotfixes branched from main's latest production tag, merged into main (tagged there) and,
as a branch, into develop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from relman.adapters.git_cli import GitCli
from relman.domain.tags import TagFormat
from relman.errors import NotFoundError
from relman.services.production import compute_next_hotfix, find_production_version

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder

FORMAT = TagFormat("v{version}")


def release_1_2_0(repo: RepoBuilder) -> None:
    repo.commit("chore: start")
    repo.branch("develop")
    repo.checkout("develop")
    repo.commit("feat(farm): milk yield")
    repo.checkout("main")
    repo.merge("develop", "Merge branch 'release/1.2.0'")
    repo.tag("v1.2.0")
    repo.checkout("develop")
    repo.merge("main")


def ship_hotfix(repo: RepoBuilder, n: int, *, into_develop: bool = True) -> None:
    branch = f"hotfix/fix-{n}"
    repo.checkout("main")
    repo.branch(branch)
    repo.checkout(branch)
    repo.commit(f"fix(farm): fix {n}")
    repo.checkout("main")
    repo.merge(branch)
    repo.tag(f"v1.2.1-hotfix.{n}")
    repo.checkout("develop")
    if into_develop:
        repo.merge(branch)


def _production(repo: RepoBuilder, ref: str = "HEAD") -> str | None:
    found = find_production_version(git=GitCli(repo.path), tag_format=FORMAT, ref=ref)
    return None if found is None else found.tag


def _next_hotfix(repo: RepoBuilder, ref: str = "HEAD") -> str:
    return compute_next_hotfix(git=GitCli(repo.path), tag_format=FORMAT, ref=ref).tag


def test_a_final_release_is_production(repo_builder: RepoBuilder) -> None:
    release_1_2_0(repo_builder)
    assert _production(repo_builder) == "v1.2.0"
    assert _next_hotfix(repo_builder) == "v1.2.1-hotfix.1"


def test_two_hotfixes_merged_into_develop_count_there(repo_builder: RepoBuilder) -> None:
    release_1_2_0(repo_builder)
    ship_hotfix(repo_builder, 1)
    ship_hotfix(repo_builder, 2)
    # hotfix.2's tag is not reachable from develop: only main's merge commit is missing there
    assert "v1.2.1-hotfix.2" not in repo_builder.git("tag", "--merged", "develop").split()
    assert _production(repo_builder) == "v1.2.1-hotfix.2"
    assert _next_hotfix(repo_builder) == "v1.2.1-hotfix.3"
    assert _next_hotfix(repo_builder, "main") == "v1.2.1-hotfix.3"


def test_a_hotfix_not_merged_into_develop_does_not_count_there(repo_builder: RepoBuilder) -> None:
    release_1_2_0(repo_builder)
    ship_hotfix(repo_builder, 1, into_develop=False)
    assert _production(repo_builder) == "v1.2.0"  # develop lacks the fix
    assert _production(repo_builder, "main") == "v1.2.1-hotfix.1"
    assert _next_hotfix(repo_builder, "main") == "v1.2.1-hotfix.2"


def test_a_final_release_after_hotfixes_wins(repo_builder: RepoBuilder) -> None:
    release_1_2_0(repo_builder)
    ship_hotfix(repo_builder, 1)
    repo_builder.commit("fix(farm): the real fix")
    repo_builder.checkout("main")
    repo_builder.merge("develop", "Merge branch 'release/1.2.1'")
    repo_builder.tag("v1.2.1")
    assert _production(repo_builder, "main") == "v1.2.1"
    assert _next_hotfix(repo_builder, "main") == "v1.2.2-hotfix.1"


def test_prereleases_are_not_production(repo_builder: RepoBuilder) -> None:
    release_1_2_0(repo_builder)
    repo_builder.commit("feat(farm): herd view")
    repo_builder.tag("v1.3.0-rc.1")
    assert _production(repo_builder) == "v1.2.0"


def test_no_production_release_nothing_to_hotfix(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("feat: first")
    repo_builder.tag("v1.0.0-rc.1")
    assert _production(repo_builder) is None
    with pytest.raises(NotFoundError, match=r"no production release tag \(vX\.Y\.Z\)"):
        _next_hotfix(repo_builder)
