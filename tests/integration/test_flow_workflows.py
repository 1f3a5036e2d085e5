"""Every Git Flow workflow on real repositories: what each one leaves behind."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from flow_support import git, run, snapshot

from relman.errors import ConflictError, InvalidInputError, NotFoundError, NothingToReleaseError

RepoBuilder = Any  # tests/conftest.py's RepoBuilder (the `repo_builder` fixture)
MANIFEST = (
    "{{\n    'name': 'Smart Farm',\n    'version': '19.0.{version}',\n"
    "    'depends': ['base'],\n}}\n"
)
PYPROJECT = (
    '[project]\nname = "smart-dairy"\nversion = "{version}"\ndescription = "ERP"\n'
    'dependencies = [\n    "odoo==19.0",\n]\n'
)


def version_files(version: str) -> dict[str, str]:
    return {
        "pyproject.toml": PYPROJECT.format(version=version),
        "package.json": json.dumps({"name": "portal", "version": version}, indent=2) + "\n",
        "addons/smart_farm/__manifest__.py": MANIFEST.format(version=version),
        "VERSION": f"{version}\n",
    }


def build_flow_repo(repo: RepoBuilder) -> RepoBuilder:
    """main at v1.2.0 (all four version files), develop one feature ahead."""
    repo.commit("feat: first production release", version_files("1.2.0"))
    repo.tag("v1.2.0")
    repo.branch("develop")
    repo.checkout("develop")
    repo.commit("feat(farm): add milk quality tracking", {"farm/quality.py": "FAT = 3.5\n"})
    return repo


@pytest.fixture
def flow_repo(repo_builder: RepoBuilder) -> RepoBuilder:
    return build_flow_repo(repo_builder)


def parents(path: Path, ref: str) -> list[str]:
    return git(path, "rev-list", "--parents", "-n1", ref).split()[1:]


def show(path: Path, ref: str, file: str) -> str:
    return git(path, "show", f"{ref}:{file}")


def branches(path: Path) -> list[str]:
    return git(path, "branch", "--format=%(refname:short)").splitlines()


def head(path: Path) -> str:
    return git(path, "symbolic-ref", "--short", "HEAD")


# ---------------------------------------------------------------- init


def test_init_on_an_empty_repository(repo_builder: RepoBuilder) -> None:
    path = repo_builder.path
    outcome = run(path, "init")
    assert outcome.executed
    assert sorted(branches(path)) == ["develop", "main"]
    assert head(path) == "develop"
    recorded = tomllib.loads(show(path, "develop", "relman.toml"))["flow"]
    assert (recorded["main"], recorded["develop"], recorded["feature_prefix"]) == (
        "main",
        "develop",
        "feature/",
    )
    assert git(path, "status", "--porcelain") == ""
    again = run(path, "init")
    assert not again.executed
    assert again.plan.steps == ()


def test_init_creates_develop_from_main_and_keeps_the_policy_file(
    repo_builder: RepoBuilder,
) -> None:
    path = repo_builder.path
    repo_builder.commit("chore: policy", {"relman.toml": '[project]\nname = "Farm"\n'})
    run(path, "init")
    assert git(path, "rev-parse", "develop~1") == git(path, "rev-parse", "main")
    text = show(path, "develop", "relman.toml")
    assert text.startswith('[project]\nname = "Farm"\n\n[flow]\n')
    assert show(path, "main", "relman.toml") == '[project]\nname = "Farm"'


def test_init_records_in_pyproject_when_the_policy_lives_there(
    repo_builder: RepoBuilder,
) -> None:
    path = repo_builder.path
    pyproject = PYPROJECT.format(version="1.2.0") + '\n[tool.relman.project]\nname = "Farm"\n'
    repo_builder.commit("chore: policy in pyproject", {"pyproject.toml": pyproject})
    outcome = run(path, "init")
    assert [e.path for s in outcome.plan.steps for e in getattr(s, "edits", ())] == [
        "pyproject.toml"
    ]
    assert not (path / "relman.toml").exists()
    data = tomllib.loads(show(path, "develop", "pyproject.toml"))
    assert data["tool"]["relman"]["flow"]["develop"] == "develop"
    assert data["tool"]["relman"]["project"]["name"] == "Farm"
    assert data["project"]["version"] == "1.2.0"


def test_init_without_recording_only_creates_branches(repo_builder: RepoBuilder) -> None:
    path = repo_builder.path
    repo_builder.commit("chore: start")
    outcome = run(path, "init", record=False)
    assert [type(s).__name__ for s in outcome.plan.steps] == ["CreateBranch"]
    assert git(path, "rev-parse", "develop") == git(path, "rev-parse", "main")


# ---------------------------------------------------------------- feature and bugfix


@pytest.mark.parametrize(
    ("kind", "name", "branch"),
    [
        ("feature", "farm-milk-quality", "feature/farm-milk-quality"),
        ("bugfix", "SD-123-fix-credit-limit", "bugfix/SD-123-fix-credit-limit"),
    ],
)
def test_feature_and_bugfix_lifecycle(
    flow_repo: RepoBuilder, kind: str, name: str, branch: str
) -> None:
    path = flow_repo.path
    develop_before = git(path, "rev-parse", "develop")
    run(path, f"{kind} start", name)
    assert head(path) == branch
    assert git(path, "rev-parse", branch) == develop_before
    work = flow_repo.commit(f"{'feat' if kind == 'feature' else 'fix'}(farm): the work")
    run(path, f"{kind} finish")
    assert head(path) == "develop"
    assert branch not in branches(path)
    merge = git(path, "rev-parse", "develop")
    assert parents(path, merge) == [develop_before, work]  # --no-ff: a merge commit
    assert git(path, "log", "-1", "--format=%s", "develop") == (
        f"Merge branch '{branch}' into develop"
    )


def test_feature_start_refuses_a_bad_name_and_changes_nothing(flow_repo: RepoBuilder) -> None:
    before = snapshot(flow_repo.path)
    with pytest.raises(InvalidInputError, match=r"\[branch-module\]"):
        run(flow_repo.path, "feature start", "milkquality")
    assert snapshot(flow_repo.path) == before


def test_feature_finish_conflict_restores_everything(flow_repo: RepoBuilder) -> None:
    path = flow_repo.path
    run(path, "feature start", "farm-fat")
    flow_repo.commit("feat(farm): fat 4", {"farm/quality.py": "FAT = 4.0\n"})
    flow_repo.checkout("develop")
    flow_repo.commit("feat(farm): fat 3", {"farm/quality.py": "FAT = 3.0\n"})
    flow_repo.checkout("feature/farm-fat")
    before = snapshot(path)
    with pytest.raises(ConflictError) as info:
        run(path, "feature finish")
    assert "conflicts in farm/quality.py" in info.value.message
    assert "nothing was changed" in info.value.message
    assert info.value.hint is not None
    assert "merge develop into feature/farm-fat" in info.value.hint
    assert snapshot(path) == before


# ---------------------------------------------------------------- release


def test_release_start_auto_bumps_every_version_file(flow_repo: RepoBuilder) -> None:
    path = flow_repo.path
    outcome = run(path, "release start")
    assert (outcome.plan.branch, outcome.plan.version) == ("release/1.3.0", "1.3.0")
    assert head(path) == "release/1.3.0"
    assert git(path, "log", "-1", "--format=%s") == "chore(release): bump version to 1.3.0"
    assert show(path, "HEAD", "pyproject.toml") == PYPROJECT.format(version="1.3.0").strip()
    assert json.loads(show(path, "HEAD", "package.json"))["version"] == "1.3.0"
    assert "'version': '19.0.1.3.0'," in show(path, "HEAD", "addons/smart_farm/__manifest__.py")
    assert show(path, "HEAD", "VERSION") == "1.3.0"
    # only the version lines changed
    numstat = git(path, "diff", "--numstat", "develop", "release/1.3.0").splitlines()
    assert sorted(numstat) == sorted(
        f"1\t1\t{p}"
        for p in ("VERSION", "addons/smart_farm/__manifest__.py", "package.json", "pyproject.toml")
    )


def test_release_start_explicit_version(flow_repo: RepoBuilder) -> None:
    outcome = run(flow_repo.path, "release start", "v2.0.0")
    assert outcome.plan.branch == "release/2.0.0"
    assert show(flow_repo.path, "release/2.0.0", "VERSION") == "2.0.0"


@pytest.mark.parametrize(
    ("version", "error", "match"),
    [
        ("1.2.0", ConflictError, r"tag 'v1\.2\.0' already exists"),
        ("1.1.9", InvalidInputError, r"not newer than the latest release 1\.2\.0"),
        ("1.3", InvalidInputError, r"invalid version"),
    ],
)
def test_release_start_refuses_an_old_or_bad_version(
    flow_repo: RepoBuilder, version: str, error: type[Exception], match: str
) -> None:
    before = snapshot(flow_repo.path)
    with pytest.raises(error, match=match):
        run(flow_repo.path, "release start", version)
    assert snapshot(flow_repo.path) == before


def test_release_start_auto_with_nothing_to_release(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("feat: first", version_files("1.2.0"))
    repo_builder.tag("v1.2.0")
    repo_builder.branch("develop")
    repo_builder.checkout("develop")
    repo_builder.commit("docs: readme")
    with pytest.raises(NothingToReleaseError):
        run(repo_builder.path, "release start")


def test_release_finish(flow_repo: RepoBuilder) -> None:
    path = flow_repo.path
    run(path, "release start")
    flow_repo.commit("fix(farm): round fat to one decimal", {"farm/quality.py": "FAT = 3.6\n"})
    outcome = run(path, "release finish")
    assert outcome.executed
    assert head(path) == "develop"
    assert "release/1.3.0" not in branches(path)
    # annotated tag with the policy message, on the --no-ff merge into main
    assert git(path, "cat-file", "-t", "v1.3.0") == "tag"
    assert git(path, "tag", "-l", "--format=%(contents:subject)", "v1.3.0") == "Release 1.3.0"
    assert git(path, "rev-parse", "v1.3.0^{commit}") == git(path, "rev-parse", "main")
    assert len(parents(path, "main")) == 2
    # notes and index committed on the release branch, so main has them
    notes = show(path, "main", "docs/releases/release-notes-v1.3.0.md")
    assert "1.3.0" in notes
    assert "release-notes-v1.3.0.md" in show(path, "main", "docs/releases/README.md")
    assert "docs(release): release notes for 1.3.0" in git(path, "log", "--format=%s", "main")
    # main merged back into develop
    git(path, "merge-base", "--is-ancestor", "main", "develop")
    assert show(path, "develop", "VERSION") == "1.3.0"
    assert git(path, "status", "--porcelain") == ""


def test_release_finish_keeps_develops_version_on_conflict(flow_repo: RepoBuilder) -> None:
    path = flow_repo.path
    run(path, "release start")
    flow_repo.commit(
        "fix(deps): pin odoo 19.0.2",
        {"pyproject.toml": PYPROJECT.format(version="1.3.0").replace("19.0", "19.0.2")},
    )
    flow_repo.checkout("develop")
    flow_repo.commit(
        "chore: open 1.4.0 development", {"pyproject.toml": PYPROJECT.format(version="1.4.0-dev.1")}
    )
    outcome = run(path, "release finish", "1.3.0")
    assert outcome.resolutions == (
        "pyproject.toml: version conflict merging main into develop resolved by keeping "
        "develop's 1.4.0-dev.1 (main had 1.3.0)",
    )
    merged = tomllib.loads(show(path, "develop", "pyproject.toml"))["project"]
    assert merged["version"] == "1.4.0-dev.1"
    assert merged["dependencies"] == ["odoo==19.0.2"]  # the rest of the file still merges
    assert tomllib.loads(show(path, "main", "pyproject.toml"))["project"]["version"] == "1.3.0"
    assert len(parents(path, "develop")) == 2


def test_version_conflict_resolution_keeps_crlf_line_endings(repo_builder: RepoBuilder) -> None:
    crlf = PYPROJECT.replace("\n", "\r\n")
    repo_builder.commit("feat: first", {"pyproject.toml": crlf.format(version="1.2.0")})
    repo_builder.tag("v1.2.0")
    repo_builder.branch("develop")
    repo_builder.checkout("develop")
    repo_builder.commit("feat(farm): x")
    path = repo_builder.path
    run(path, "release start")
    assert (path / "pyproject.toml").read_bytes() == crlf.format(version="1.3.0").encode()
    repo_builder.checkout("develop")
    repo_builder.commit(
        "chore: 1.4.0-dev.1", {"pyproject.toml": crlf.format(version="1.4.0-dev.1")}
    )
    outcome = run(path, "release finish", "1.3.0")
    assert len(outcome.resolutions) == 1
    assert (path / "pyproject.toml").read_bytes() == crlf.format(version="1.4.0-dev.1").encode()


def test_release_finish_keeps_the_release_version_on_main(flow_repo: RepoBuilder) -> None:
    """Someone changed main's version by hand: the merge into main keeps the release's."""
    path = flow_repo.path
    run(path, "release start")
    flow_repo.checkout("main")
    flow_repo.commit("chore: mark", {"pyproject.toml": PYPROJECT.format(version="1.2.0-post.1")})
    flow_repo.checkout("release/1.3.0")
    outcome = run(path, "release finish")
    assert outcome.resolutions[0] == (
        "pyproject.toml: version conflict merging release/1.3.0 into main resolved by keeping "
        "release/1.3.0's 1.3.0 (main had 1.2.0-post.1)"
    )
    assert tomllib.loads(show(path, "v1.3.0", "pyproject.toml"))["project"]["version"] == "1.3.0"


def test_release_finish_unresolvable_conflict_restores_main_tag_and_develop(
    flow_repo: RepoBuilder,
) -> None:
    path = flow_repo.path
    run(path, "release start")
    flow_repo.commit(
        "fix: rename", {"pyproject.toml": PYPROJECT.format(version="1.3.0").replace("dairy", "x")}
    )
    flow_repo.checkout("develop")
    flow_repo.commit(
        "chore: rename", {"pyproject.toml": PYPROJECT.format(version="1.4.0").replace("dairy", "y")}
    )
    flow_repo.checkout("release/1.3.0")
    before = snapshot(path)
    with pytest.raises(
        ConflictError, match=r"merging main into develop conflicts in pyproject\.toml"
    ):
        run(path, "release finish")
    assert snapshot(path) == before
    assert git(path, "tag", "-l", "v1.3.0") == ""


# ---------------------------------------------------------------- hotfix


def test_hotfix_during_an_open_release(flow_repo: RepoBuilder) -> None:
    path = flow_repo.path
    run(path, "release start")
    flow_repo.checkout("develop")
    start = run(path, "hotfix start", "payment-timeout")
    assert start.plan.version == "1.2.1-hotfix.1"
    assert head(path) == "hotfix/payment-timeout"
    assert git(path, "rev-parse", "hotfix/payment-timeout~1") == git(
        path, "rev-parse", "v1.2.0^{commit}"
    )
    assert show(path, "HEAD", "VERSION") == "1.2.1-hotfix.1"
    # Odoo manifests take dotted numbers only: the hotfix line's patch version
    assert "'19.0.1.2.1'" in show(path, "HEAD", "addons/smart_farm/__manifest__.py")
    fix = flow_repo.commit("fix(b2b): payment gateway timeout", {"b2b/pay.py": "TIMEOUT = 30\n"})

    outcome = run(path, "hotfix finish")
    assert head(path) == "develop"
    assert "hotfix/payment-timeout" not in branches(path)
    assert git(path, "tag", "-l", "--format=%(contents:subject)", "v1.2.1-hotfix.1") == (
        "Hotfix 1.2.1-hotfix.1"
    )
    assert git(path, "rev-parse", "v1.2.1-hotfix.1^{commit}") == git(path, "rev-parse", "main")
    for target in ("main", "develop", "release/1.3.0"):  # the fix reached every line
        git(path, "merge-base", "--is-ancestor", fix, target)
    assert show(path, "release/1.3.0", "VERSION") == "1.3.0"  # the release keeps its version
    assert show(path, "main", "VERSION") == "1.2.1-hotfix.1"
    assert any("into release/1.3.0 resolved by keeping release/1.3.0's" in r
               for r in outcome.resolutions)  # fmt: skip
    assert "1.2.1-hotfix.1" in show(path, "main", "docs/releases/release-notes-v1.2.1-hotfix.1.md")

    # the next hotfix continues the series; the release still finishes cleanly afterwards
    flow_repo.checkout("develop")
    assert run(path, "hotfix start", "stock-sync").plan.version == "1.2.1-hotfix.2"
    run(path, "release finish", "release/1.3.0")
    assert show(path, "main", "VERSION") == "1.3.0"
    index = show(path, "main", "docs/releases/README.md")
    assert "release-notes-v1.3.0.md" in index
    assert "release-notes-v1.2.1-hotfix.1.md" in index


def test_hotfix_start_default_name_and_hotfix_of_a_hotfix(flow_repo: RepoBuilder) -> None:
    path = flow_repo.path
    flow_repo.checkout("main")
    flow_repo.tag("v1.2.1-hotfix.1")
    outcome = run(path, "hotfix start")
    assert outcome.plan.branch == "hotfix/1-2-1-hotfix-2"
    assert show(path, "HEAD", "VERSION") == "1.2.1-hotfix.2"


def test_hotfix_start_needs_a_production_tag(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("feat: start", version_files("0.1.0"))
    repo_builder.tag("v0.2.0-rc.1")
    repo_builder.branch("develop")
    with pytest.raises(NotFoundError, match="no production release tag"):
        run(repo_builder.path, "hotfix start", "x")


def test_hotfix_finish_refuses_when_its_tag_was_taken(flow_repo: RepoBuilder) -> None:
    path = flow_repo.path
    run(path, "hotfix start", "first")
    flow_repo.commit("fix: first")
    flow_repo.checkout("develop")
    run(path, "hotfix start", "second")
    flow_repo.commit("fix: second")
    run(path, "hotfix finish", "first")
    before = snapshot(path)
    with pytest.raises(ConflictError, match="another hotfix was finished") as info:
        run(path, "hotfix finish", "second")
    assert info.value.hint is not None
    assert "merge main into hotfix/second" in info.value.hint
    assert snapshot(path) == before


# ---------------------------------------------------------------- refusals and dry runs


@pytest.mark.parametrize(
    ("action", "arg"),
    [
        ("feature start", "farm-x"),
        ("release start", None),
        ("hotfix start", None),
        ("init", None),
    ],
)
@pytest.mark.parametrize("dirt", [{"farm/quality.py": "FAT = 9\n"}, {"scratch.txt": "untracked\n"}])
def test_dirty_tree_is_refused(
    flow_repo: RepoBuilder, action: str, arg: str | None, dirt: dict[str, str]
) -> None:
    flow_repo.write(dirt)
    before = snapshot(flow_repo.path)
    with pytest.raises(ConflictError, match="the working tree is dirty"):
        run(flow_repo.path, action, arg)
    assert snapshot(flow_repo.path) == before


def test_missing_develop_is_not_found(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("feat: first", version_files("1.2.0"))
    for action in ("feature start", "release start"):
        with pytest.raises(NotFoundError, match="base branch 'develop' does not exist"):
            run(repo_builder.path, action, "farm-x" if action.startswith("feature") else "1.3.0")


def test_existing_tag_is_refused(flow_repo: RepoBuilder) -> None:
    flow_repo.tag("v1.3.0", ref="main")
    with pytest.raises(ConflictError, match=r"tag 'v1\.3\.0' already exists"):
        run(flow_repo.path, "release start", "1.3.0")


@pytest.mark.parametrize(
    ("setup", "action", "arg"),
    [
        ((), "feature start", "farm-x"),
        (("release start",), "release finish", None),
        (("hotfix start",), "hotfix finish", None),
        ((), "release start", None),
    ],
)
def test_dry_run_touches_nothing_and_shows_the_same_plan(
    flow_repo: RepoBuilder, setup: tuple[str, ...], action: str, arg: str | None
) -> None:
    path = flow_repo.path
    for step in setup:
        run(path, step)
    before = snapshot(path)
    dry = run(path, action, arg, dry_run=True)
    assert not dry.executed
    assert snapshot(path) == before
    real = run(path, action, arg)
    assert real.executed
    assert real.plan.render() == dry.plan.render()
