"""Git Flow plans are data: built from a repository snapshot, checked before anything runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import pytest

from relman.domain.branches import BranchKind, BranchPolicy
from relman.domain.flow import (
    FlowPolicy,
    RepoState,
    compute_branch_name,
    decide_finish_branch,
    decide_release_version,
    plan_feature_finish,
    plan_feature_start,
    plan_hotfix_finish,
    plan_hotfix_start,
    plan_init,
    plan_release_finish,
    plan_release_start,
)
from relman.domain.flow_check import check_merge
from relman.domain.flow_steps import (
    Checkout,
    Commit,
    CreateBranch,
    DeleteBranch,
    FileEdit,
    InitialCommit,
    Merge,
    Plan,
    Push,
    Tag,
    WriteConfig,
    WriteReleaseNotes,
    WriteVersionFiles,
    format_command,
    git_commands,
    list_push_refs,
)
from relman.domain.tags import TagFormat
from relman.domain.versions import Version
from relman.errors import ConflictError, InvalidInputError, NotFoundError

POLICY = FlowPolicy()
SHA = {name: f"{i:040x}" for i, name in enumerate(["main", "develop", "feat", "rel", "hot"], 1)}


def state(
    branches: Mapping[str, str] | None = None,
    *,
    head: str | None = "develop",
    tags: Mapping[str, str] | None = None,
    **kw: object,
) -> RepoState:
    branches = {"main": SHA["main"], "develop": SHA["develop"]} if branches is None else branches
    return RepoState(
        head_branch=head,
        head_sha=branches.get(head or "", SHA["main"]),
        branches=branches,
        tags=dict(tags or {}),
        **kw,  # type: ignore[arg-type]
    )


def with_branches(*names: str, **kw: object) -> RepoState:
    branches = {"main": SHA["main"], "develop": SHA["develop"]}
    branches.update(dict.fromkeys(names, SHA["feat"]))
    return state(branches, **kw)


def without_hints(plan: Plan) -> tuple[object, ...]:
    """The steps with Merge's conflict advice blanked (tested on its own below)."""
    return tuple(replace(s, hint="") if isinstance(s, Merge) else s for s in plan.steps)


def commands(plan: Plan) -> list[str]:
    return [line.strip() for line in plan.render()]


# ---------------------------------------------------------------- refusals shared by every plan

EVERY_PLAN = {
    "feature start": lambda s: plan_feature_start(
        s, POLICY, kind=BranchKind.FEATURE, name="farm-x"
    ),
    "feature finish": lambda s: plan_feature_finish(
        s, POLICY, kind=BranchKind.FEATURE, name="farm-x"
    ),
    "release start": lambda s: plan_release_start(s, POLICY, version=Version.parse("1.3.0")),
    "release finish": lambda s: plan_release_finish(s, POLICY, branch="release/1.3.0"),
    "hotfix start": lambda s: plan_hotfix_start(
        s, POLICY, base_tag="v1.2.0", version=Version.parse("1.2.1-hotfix.1")
    ),
    "hotfix finish": lambda s: plan_hotfix_finish(
        s, POLICY, branch="hotfix/x", version=Version.parse("1.2.1-hotfix.1")
    ),
    "init": lambda s: plan_init(s, POLICY),
}
OPEN = ("feature/farm-x", "release/1.3.0", "hotfix/x")


@pytest.mark.parametrize("action", list(EVERY_PLAN))
def test_every_plan_refuses_a_dirty_tree(action: str) -> None:
    dirty = with_branches(*OPEN, dirty=(" M pyproject.toml", "?? notes.txt"))
    with pytest.raises(ConflictError, match=r"dirty: pyproject\.toml, notes\.txt"):
        EVERY_PLAN[action](dirty)


@pytest.mark.parametrize("action", list(EVERY_PLAN))
def test_every_plan_refuses_a_merge_in_progress(action: str) -> None:
    with pytest.raises(ConflictError, match="a merge is in progress"):
        EVERY_PLAN[action](with_branches(*OPEN, operation="merge"))


@pytest.mark.parametrize(
    ("action", "missing"),
    [
        ("feature start", "develop"),
        ("feature finish", "develop"),
        ("release start", "develop"),
        ("release finish", "main"),
        ("release finish", "develop"),
        ("hotfix start", "main"),
        ("hotfix finish", "main"),
        ("hotfix finish", "develop"),
    ],
)
def test_plans_refuse_a_missing_base_branch(action: str, missing: str) -> None:
    repo = with_branches(*OPEN)
    branches = {k: v for k, v in repo.branches.items() if k != missing}
    with pytest.raises(NotFoundError, match=f"branch '{missing}' does not exist"):
        EVERY_PLAN[action](replace(repo, branches=branches))


@pytest.mark.parametrize(
    ("action", "tag"),
    [
        ("release start", "v1.3.0"),
        ("release finish", "v1.3.0"),
        ("hotfix start", "v1.2.1-hotfix.1"),
        ("hotfix finish", "v1.2.1-hotfix.1"),
    ],
)
def test_plans_refuse_an_existing_tag(action: str, tag: str) -> None:
    open_ = [b for b in OPEN if not action.endswith("start") or b != "release/1.3.0"]
    repo = with_branches(*open_, tags={tag: SHA["main"]})
    with pytest.raises(ConflictError, match=f"tag '{tag}' already exists") as info:
        EVERY_PLAN[action](repo)
    assert info.value.where == f"refs/tags/{tag}"


PUSHING = {
    "feature start": lambda s: plan_feature_start(
        s, POLICY, kind=BranchKind.FEATURE, name="farm-x", push=True
    ),
    "release start": lambda s: plan_release_start(
        s, POLICY, version=Version.parse("1.3.0"), push=True
    ),
    "release finish": lambda s: plan_release_finish(s, POLICY, branch="release/1.3.0", push=True),
}


@pytest.mark.parametrize("action", list(PUSHING))
def test_push_needs_the_remote(action: str) -> None:
    repo = with_branches("release/1.3.0") if action.endswith("finish") else state()
    with pytest.raises(NotFoundError, match=r"remote 'origin' does not exist \(remotes: up\)"):
        PUSHING[action](replace(repo, remotes=("up",)))


# ---------------------------------------------------------------- feature and bugfix


def test_feature_start_branches_from_develop() -> None:
    plan = plan_feature_start(state(), POLICY, kind=BranchKind.FEATURE, name="farm-milk-quality")
    assert plan.steps == (CreateBranch("feature/farm-milk-quality", "develop"),)
    assert commands(plan) == ["1. git checkout -q -b feature/farm-milk-quality develop"]


def test_feature_start_with_push_sets_the_upstream() -> None:
    repo = state(remotes=("origin",))
    plan = plan_feature_start(repo, POLICY, kind=BranchKind.FEATURE, name="farm-x", push=True)
    assert plan.steps[-1] == Push("origin", ("refs/heads/feature/farm-x",), set_upstream=True)
    assert git_commands(plan.steps[-1]) == [
        ["push", "-q", "--atomic", "-u", "origin", "refs/heads/feature/farm-x"]
    ]


@pytest.mark.parametrize(
    ("kind", "name", "branch"),
    [
        (BranchKind.FEATURE, "farm-milk-quality", "feature/farm-milk-quality"),
        (BranchKind.FEATURE, "feature/b2b-credit-limit", "feature/b2b-credit-limit"),
        (BranchKind.BUGFIX, "SD-123-fix-credit-limit", "bugfix/SD-123-fix-credit-limit"),
        (BranchKind.HOTFIX, "critical-payment-fix", "hotfix/critical-payment-fix"),
    ],
)
def test_branch_names(kind: BranchKind, name: str, branch: str) -> None:
    assert compute_branch_name(kind, name, POLICY) == branch


@pytest.mark.parametrize(
    ("kind", "name", "rule"),
    [
        (BranchKind.FEATURE, "farm", "branch-module"),
        (BranchKind.FEATURE, "Farm-Milk", "branch-description"),
        (BranchKind.FEATURE, "farm_milk quality", "branch-description"),
        (BranchKind.BUGFIX, "fix-credit-limit", "branch-ticket"),
        (BranchKind.HOTFIX, "Payment Fix", "branch-description"),
    ],
)
def test_invalid_branch_names_name_the_rule(kind: BranchKind, name: str, rule: str) -> None:
    with pytest.raises(InvalidInputError, match=rf"\[{rule}\]"):
        plan_feature_start(state(), POLICY, kind=kind, name=name)


def test_a_name_of_another_kind_is_refused() -> None:
    with pytest.raises(
        InvalidInputError, match="'bugfix/SD-1-x' is a bugfix branch, not a feature branch"
    ):
        compute_branch_name(BranchKind.FEATURE, "bugfix/SD-1-x", replace(POLICY))


def test_feature_start_refuses_an_existing_branch() -> None:
    with pytest.raises(ConflictError, match="branch 'feature/farm-x' already exists"):
        plan_feature_start(
            with_branches("feature/farm-x"), POLICY, kind=BranchKind.FEATURE, name="farm-x"
        )


def test_feature_finish_merges_no_ff_into_develop_and_deletes() -> None:
    repo = with_branches("feature/farm-x", head="feature/farm-x")
    plan = plan_feature_finish(repo, POLICY, kind=BranchKind.FEATURE)
    assert without_hints(plan) == (
        Checkout("develop"),
        Merge("feature/farm-x", "develop", "Merge branch 'feature/farm-x' into develop"),
        DeleteBranch("feature/farm-x"),
    )
    assert commands(plan)[1] == (
        "2. git merge -q --no-ff -m \"Merge branch 'feature/farm-x' into develop\" feature/farm-x"
    )


def test_finish_with_push_deletes_the_remote_branch_only_when_it_exists() -> None:
    pushed = with_branches(
        "bugfix/SD-1-x", remotes=("origin",), remote_branches={"bugfix/SD-1-x": SHA["feat"]}
    )
    plan = plan_feature_finish(pushed, POLICY, kind=BranchKind.BUGFIX, name="SD-1-x", push=True)
    assert plan.steps[-1] == Push("origin", ("refs/heads/develop",), delete=("bugfix/SD-1-x",))
    assert git_commands(plan.steps[-1])[0][-1] == ":refs/heads/bugfix/SD-1-x"
    local = replace(pushed, remote_branches={})
    plan = plan_feature_finish(local, POLICY, kind=BranchKind.BUGFIX, name="SD-1-x", push=True)
    assert plan.steps[-1] == Push("origin", ("refs/heads/develop",))


@pytest.mark.parametrize(
    ("open_", "head", "name", "expected"),
    [
        (("feature/farm-a", "feature/farm-b"), "feature/farm-b", None, "feature/farm-b"),
        (("feature/farm-a",), "develop", None, "feature/farm-a"),
        (("feature/farm-a", "feature/farm-b"), "develop", "farm-a", "feature/farm-a"),
        (("feature/farm-a",), "develop", "feature/farm-a", "feature/farm-a"),
    ],
)
def test_decide_finish_branch(
    open_: tuple[str, ...], head: str, name: str | None, expected: str
) -> None:
    repo = with_branches(*open_, head=head)
    assert decide_finish_branch(BranchKind.FEATURE, name, repo, POLICY) == expected


@pytest.mark.parametrize(
    ("open_", "name", "error", "match"),
    [
        ((), None, NotFoundError, "no feature branch is open"),
        (("feature/farm-a", "feature/farm-b"), None, InvalidInputError, "2 feature branches"),
        (("feature/farm-a",), "farm-z", NotFoundError, "'feature/farm-z' does not exist"),
    ],
)
def test_decide_finish_branch_refusals(
    open_: tuple[str, ...], name: str | None, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        decide_finish_branch(BranchKind.FEATURE, name, with_branches(*open_), POLICY)


# ---------------------------------------------------------------- release

BUMP = FileEdit("pyproject.toml", '[project]\nversion = "1.3.0"\n', "version 1.2.0 -> 1.3.0")
NOTES = (
    FileEdit("docs/releases/release-notes-v1.3.0.md", "# notes\n"),
    FileEdit("docs/releases/README.md", "# index\n"),
)


def test_release_start_bumps_the_version_files_on_the_new_branch() -> None:
    plan = plan_release_start(state(), POLICY, version=Version.parse("1.3.0"), edits=[BUMP])
    assert plan.steps == (
        CreateBranch("release/1.3.0", "develop"),
        WriteVersionFiles("1.3.0", (BUMP,)),
        Commit("chore(release): bump version to 1.3.0", ("pyproject.toml",)),
    )
    assert (plan.version, plan.tag) == ("1.3.0", "v1.3.0")
    assert commands(plan)[1] == "2. write pyproject.toml (version 1.2.0 -> 1.3.0)"


def test_release_start_without_version_files_only_branches() -> None:
    plan = plan_release_start(state(), POLICY, version=Version.parse("1.3.0"))
    assert plan.steps == (CreateBranch("release/1.3.0", "develop"),)


def test_release_finish_order_and_messages() -> None:
    repo = with_branches("release/1.3.0")
    plan = plan_release_finish(repo, POLICY, branch="release/1.3.0", notes=NOTES)
    files = POLICY.version_files
    assert without_hints(plan) == (
        Checkout("release/1.3.0"),
        WriteReleaseNotes("1.3.0", NOTES),
        Commit("docs(release): release notes for 1.3.0", tuple(n.path for n in NOTES)),
        Checkout("main"),
        Merge("release/1.3.0", "main", "Merge branch 'release/1.3.0'", True, files, "theirs"),
        Tag("v1.3.0", "main", "Release 1.3.0"),
        Checkout("develop"),
        Merge("main", "develop", "Merge branch 'main' into develop", True, files, "ours"),
        DeleteBranch("release/1.3.0"),
    )
    assert "6. git tag -a v1.3.0 -m 'Release 1.3.0' main" in commands(plan)
    assert plan.list_created_tags() == ["v1.3.0"]
    assert plan.list_touched_branches() == ["release/1.3.0", "main", "develop"]


def test_release_finish_push_is_one_atomic_push_of_everything() -> None:
    repo = with_branches(
        "release/1.3.0", remotes=("origin",), remote_branches={"release/1.3.0": SHA["feat"]}
    )
    plan = plan_release_finish(repo, POLICY, branch="release/1.3.0", push=True)
    assert plan.steps[-1] == Push(
        "origin",
        ("refs/heads/main", "refs/tags/v1.3.0", "refs/heads/develop"),
        delete=("release/1.3.0",),
    )


@pytest.mark.parametrize(
    ("build", "advice"),
    [
        (
            lambda: plan_feature_finish(
                with_branches("feature/farm-x"), POLICY, kind=BranchKind.FEATURE, name="farm-x"
            ),
            ["merge develop into feature/farm-x, resolve the conflict there"],
        ),
        (
            lambda: plan_release_finish(
                with_branches("release/1.3.0"), POLICY, branch="release/1.3.0"
            ),
            [
                "merge main into release/1.3.0, resolve the conflict there",
                "merge release/1.3.0 into develop by hand",
            ],
        ),
        (
            lambda: plan_hotfix_finish(
                with_branches("hotfix/x", "release/1.3.0"),
                POLICY,
                branch="hotfix/x",
                version=Version.parse("1.2.1-hotfix.1"),
            ),
            [
                "merge main into hotfix/x, resolve the conflict there",
                "merge hotfix/x into release/1.3.0 by hand",
                "merge hotfix/x into develop by hand",
            ],
        ),
    ],
)
def test_conflict_advice_never_pulls_develop_into_main(
    build: Callable[[], Plan], advice: list[str]
) -> None:
    hints = [s.hint for s in build().steps if isinstance(s, Merge)]
    assert len(hints) == len(advice)
    for hint, expected in zip(hints, advice, strict=True):
        assert hint.startswith(expected)


def test_tag_format_and_messages_come_from_policy() -> None:
    policy = replace(
        POLICY, tag_format=TagFormat("farm-v{version}"), release_tag_message="Farm {version}"
    )
    repo = with_branches("release/1.3.0")
    plan = plan_release_finish(repo, policy, branch="release/1.3.0")
    assert Tag("farm-v1.3.0", "main", "Farm 1.3.0") in plan.steps


@pytest.mark.parametrize(
    ("branch", "match"),
    [("release/1.3", "does not name a version"), ("feature/farm-x", "not a release branch")],
)
def test_decide_release_version_refusals(branch: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        decide_release_version(branch, POLICY)


# ---------------------------------------------------------------- hotfix


# compute_hotfix_version and find_production_tag: tests/unit/test_tags.py


def test_hotfix_start_branches_from_the_tag() -> None:
    version = Version.parse("1.2.1-hotfix.1")
    plan = plan_hotfix_start(state(), POLICY, base_tag="v1.2.0", version=version, edits=[BUMP])
    assert plan.steps[0] == CreateBranch("hotfix/1-2-1-hotfix-1", "v1.2.0")
    assert plan.steps[2] == Commit(
        "chore(release): bump version to 1.2.1-hotfix.1", ("pyproject.toml",)
    )
    named = plan_hotfix_start(
        state(), POLICY, base_tag="v1.2.0", version=version, description="payment-timeout"
    )
    assert named.branch == "hotfix/payment-timeout"


def test_hotfix_finish_merges_into_every_open_release_branch_then_develop() -> None:
    repo = with_branches("hotfix/x", "release/1.3.0", "release/1.4.0", "feature/farm-y")
    version = Version.parse("1.2.1-hotfix.1")
    plan = plan_hotfix_finish(repo, POLICY, branch="hotfix/x", version=version)
    files = POLICY.version_files
    assert without_hints(plan) == (
        Checkout("main"),
        Merge("hotfix/x", "main", "Merge branch 'hotfix/x'", True, files, "theirs"),
        Tag("v1.2.1-hotfix.1", "main", "Hotfix 1.2.1-hotfix.1"),
        Checkout("release/1.3.0"),
        Merge("hotfix/x", "release/1.3.0", "Merge branch 'hotfix/x' into release/1.3.0",
              True, files, "ours"),
        Checkout("release/1.4.0"),
        Merge("hotfix/x", "release/1.4.0", "Merge branch 'hotfix/x' into release/1.4.0",
              True, files, "ours"),
        Checkout("develop"),
        Merge("hotfix/x", "develop", "Merge branch 'hotfix/x' into develop", True, files, "ours"),
        DeleteBranch("hotfix/x"),
    )  # fmt: skip
    assert plan.notes == (
        "also merged into the open release branch release/1.3.0",
        "also merged into the open release branch release/1.4.0",
    )


# ---------------------------------------------------------------- init


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        (
            RepoState(head_branch="master", head_sha=None, branches={}, tags={}),
            [InitialCommit("main", "chore: initial commit"), CreateBranch("develop", "main")],
        ),
        (
            RepoState(head_branch="trunk", head_sha=SHA["main"], branches={"trunk": "1"}, tags={}),
            [CreateBranch("main", "trunk", checkout=False), CreateBranch("develop", "main")],
        ),
        (state({"main": SHA["main"]}, head="main"), [CreateBranch("develop", "main")]),
        (state(), []),
    ],
)
def test_plan_init_creates_what_is_missing(repo: RepoState, expected: list[object]) -> None:
    assert list(plan_init(repo, POLICY).steps) == expected


def test_plan_init_records_the_settings_on_develop() -> None:
    edit = FileEdit("relman.toml", "[flow]\n")
    plan = plan_init(state(head="main"), POLICY, config=edit)
    assert plan.steps == (
        Checkout("develop"),
        WriteConfig((edit,)),
        Commit("chore(flow): record the Git Flow branch names", ("relman.toml",)),
    )


# ---------------------------------------------------------------- steps


def test_format_command_quotes_like_a_shell() -> None:
    assert format_command(["commit", "-m", "fix: it's done"]) == 'git commit -m "fix: it\'s done"'
    assert format_command(["commit", "-m", "a $HOME"]) == "git commit -m 'a $HOME'"
    assert format_command(["checkout", "develop"]) == "git checkout develop"


def test_list_push_refs_follows_the_checked_out_branch() -> None:
    steps = [
        CreateBranch("release/1.3.0", "develop"),
        Commit("bump", ("VERSION",)),
        Checkout("main"),
        Merge("release/1.3.0", "main", "m"),
        Tag("v1.3.0", "main", "Release 1.3.0"),
        DeleteBranch("release/1.3.0"),
    ]
    assert list_push_refs(steps) == ["refs/heads/main", "refs/tags/v1.3.0"]


def test_plan_to_dict_lists_the_commands() -> None:
    plan = plan_feature_start(state(), POLICY, kind=BranchKind.FEATURE, name="farm-x")
    assert plan.to_dict()["steps"] == [
        {"step": "CreateBranch", "commands": ["git checkout -q -b feature/farm-x develop"]}
    ]


# ---------------------------------------------------------------- flow check (J-003 §5.1-5.2)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("feature/farm-milk-quality", "develop"),
        ("bugfix/SD-12-credit-limit", "develop"),
        ("release/1.3.0", "main"),
        ("release/1.3.0", "develop"),
        ("hotfix/payment-timeout", "main"),
        ("hotfix/payment-timeout", "develop"),
        ("hotfix/payment-timeout", "release/1.3.0"),
        ("main", "develop"),
        ("master", "develop"),
    ],
)
def test_check_merge_allows_the_git_flow(source: str, target: str) -> None:
    assert check_merge(source, target, POLICY) == []


@pytest.mark.parametrize(
    ("source", "target", "rules"),
    [
        ("feature/farm-milk-quality", "main", ["flow-feature-target"]),
        ("bugfix/SD-12-credit-limit", "release/1.3.0", ["flow-bugfix-target"]),
        ("release/1.3.0", "hotfix/x", ["flow-release-target"]),
        ("develop", "main", ["flow-develop-target"]),
        ("develop", "release/1.3.0", ["flow-develop-target"]),
        ("feature/farm", "develop", ["branch-module"]),
        ("my-branch", "develop", ["branch-type"]),
        ("feature/farm-x", "trunk", ["branch-type"]),
        ("release/next", "main", ["branch-version"]),
    ],
)
def test_check_merge_names_the_broken_rule(source: str, target: str, rules: list[str]) -> None:
    assert [v.rule for v in check_merge(source, target, POLICY)] == rules


def test_check_merge_message_names_the_allowed_targets() -> None:
    (violation,) = check_merge("feature/farm-x", "main", POLICY)
    assert str(violation) == (
        "feature/farm-x -> main: feature branches merge into develop only, not into main "
        "(J-003 §5.1) [flow-feature-target]"
    )


def test_custom_branch_names() -> None:
    branches = BranchPolicy(main_names=("master",), develop_name="dev", feature_prefix="feat/")
    policy = replace(POLICY, branches=branches)
    plan = plan_feature_start(
        state({"master": SHA["main"], "dev": SHA["develop"]}, head="dev"),
        policy,
        kind=BranchKind.FEATURE,
        name="farm-x",
    )
    assert plan.steps == (CreateBranch("feat/farm-x", "dev"),)
    assert check_merge("feat/farm-x", "master", policy)[0].rule == "flow-feature-target"
