"""Git Flow workflows (J-003 §5.3) as data: a plan of steps, built before anything runs.

``plan_*`` functions take a snapshot of the repository (:class:`RepoState`) and the policy and
return a :class:`Plan`, or raise before anything is touched: ConflictError for a dirty working
tree or an existing tag/branch, NotFoundError for a missing base branch, InvalidInputError for
a branch name that breaks J-003 §5.2. ``--dry-run`` prints ``plan.render()``; the git adapter
executes the same steps (and restores everything when one fails).

The steps themselves live in :mod:`relman.domain.flow_steps`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from relman.domain.branches import BranchKind, BranchPolicy, split_branch
from relman.domain.commits import DEFAULT_TICKET_PATTERNS
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
    RepoState,
    Step,
    Tag,
    WriteConfig,
    WriteReleaseNotes,
    WriteVersionFiles,
    list_push_refs,
)
from relman.domain.linting import lint_branch_name
from relman.domain.tags import TagFormat
from relman.domain.versions import Version
from relman.errors import InvalidInputError, NotFoundError

DEFAULT_VERSION_FILES = ("pyproject.toml", "package.json", "VERSION", "**/__manifest__.py")


@dataclass(frozen=True)
class FlowPolicy:
    """The Git Flow settings, as domain values (built from ``[flow]`` in bootstrap)."""

    branches: BranchPolicy = field(default_factory=BranchPolicy)
    tag_format: TagFormat = field(default_factory=TagFormat)
    release_tag_message: str = "Release {version}"
    hotfix_tag_message: str = "Hotfix {version}"
    bump_message: str = "chore(release): bump version to {version}"
    notes_message: str = "docs(release): release notes for {version}"
    version_files: tuple[str, ...] = DEFAULT_VERSION_FILES
    remote: str = "origin"
    push: bool = False
    ticket_patterns: tuple[str, ...] = DEFAULT_TICKET_PATTERNS
    hotfix_token: str = "hotfix"

    @property
    def main(self) -> str:
        return self.branches.main_names[0]

    @property
    def develop(self) -> str:
        return self.branches.develop_name


# --------------------------------------------------------------------------------------
# Names


def compute_branch_name(kind: BranchKind, name: str, policy: FlowPolicy) -> str:
    """The full branch name of a feature/bugfix/hotfix, validated against J-003 §5.2.

    ``name`` may be given with or without the prefix (``farm-milk-quality`` or
    ``feature/farm-milk-quality``).
    """
    prefix = policy.branches.prefix_for(kind)
    given = split_branch(name, policy.branches)[0]
    if given is not kind and given in policy.branches.prefixes:
        raise InvalidInputError(f"{name!r} is a {given} branch, not a {kind} branch", where=name)
    full = name if name.startswith(prefix) else prefix + name
    violations = lint_branch_name(full, policy.branches, ticket_patterns=policy.ticket_patterns)
    if violations:
        first = violations[0]
        raise InvalidInputError(
            f"invalid {kind} branch name {full!r}: {first.message} [{first.rule}]",
            where=full,
            hint="J-003 §5.2: feature/[module]-[description], bugfix/[ticket]-[description], "
            "hotfix/[description]",
        )
    return full


def decide_finish_branch(
    kind: BranchKind, name: str | None, state: RepoState, policy: FlowPolicy
) -> str:
    """The branch a ``finish`` works on: the one named, or the current/only open one."""
    if name is not None:
        prefix = policy.branches.prefix_for(kind)
        full = name if name.startswith(prefix) else prefix + name
        state.require_branch(full, str(kind))
        return full
    current = state.head_branch
    if current is not None and split_branch(current, policy.branches)[0] is kind:
        return current
    open_ = state.list_branches(kind, policy.branches)
    if len(open_) == 1:
        return open_[0]
    if not open_:
        raise NotFoundError(f"no {kind} branch is open", where="refs/heads")
    raise InvalidInputError(
        f"{len(open_)} {kind} branches are open ({', '.join(open_)}): name the one to finish",
        where="NAME",
    )


def compute_merge_message(source: str, target: str, policy: FlowPolicy) -> str:
    """Git's own wording: ``Merge branch 'x'`` (``into y`` unless y is main)."""
    into = "" if target == policy.main else f" into {target}"
    return f"Merge branch '{source}'{into}"


# --------------------------------------------------------------------------------------
# Plans


def _resolve_on(base: str, branch: str) -> str:
    """Advice for a conflict merging ``branch`` into ``base`` (which must not take other work)."""
    return (
        f"merge {base} into {branch}, resolve the conflict there and commit, "
        "then run the command again"
    )


def _merge_by_hand(branch: str, target: str) -> str:
    """Advice for a conflict merging back into ``target`` (develop or a release branch)."""
    return (
        f"merge {branch} into {target} by hand (git checkout {target} && git merge --no-ff "
        f"{branch}), resolve the conflict there and commit, then run the command again"
    )


def _finish_push(
    steps: list[Step], state: RepoState, policy: FlowPolicy, deleted: str | None
) -> Push:
    gone = (deleted,) if deleted is not None and deleted in state.remote_branches else ()
    return Push(policy.remote, tuple(list_push_refs(steps)), delete=gone)


def _require_remote(state: RepoState, policy: FlowPolicy, push: bool) -> None:
    if push and policy.remote not in state.remotes:
        known = ", ".join(state.remotes) or "none"
        raise NotFoundError(
            f"remote {policy.remote!r} does not exist (remotes: {known})",
            where="flow.remote",
            hint="add it with `git remote add` or set flow.remote in relman.toml",
        )


def plan_init(
    state: RepoState,
    policy: FlowPolicy,
    *,
    config: FileEdit | None = None,
    initial_message: str = "chore: initial commit",
    record_message: str = "chore(flow): record the Git Flow branch names",
) -> Plan:
    """Create what is missing of main and develop; record the settings in the policy file."""
    state.require_clean()
    main, develop = policy.main, policy.develop
    steps: list[Step] = []
    notes: list[str] = []
    if state.head_sha is None:
        steps.append(InitialCommit(main, initial_message))
    elif main not in state.branches:
        start = state.head_branch or state.head_sha
        steps.append(CreateBranch(main, start, checkout=False))
        notes.append(f"created {main} from {start}")
    if develop not in state.branches:
        steps.append(CreateBranch(develop, main))
    elif state.head_branch != develop and config is not None:
        steps.append(Checkout(develop))
    if config is not None:
        steps += [WriteConfig((config,)), Commit(record_message, (config.path,))]
    if not steps:
        notes.append(f"{main} and {develop} exist and the Git Flow settings are recorded")
    return Plan("init", develop, tuple(steps), notes=tuple(notes))


def plan_feature_start(
    state: RepoState, policy: FlowPolicy, *, kind: BranchKind, name: str, push: bool = False
) -> Plan:
    """``feature/[module]-[description]`` (or ``bugfix/[ticket]-[description]``) from develop."""
    branch = compute_branch_name(kind, name, policy)
    state.require_clean()
    state.require_branch(policy.develop, "base")
    state.require_no_branch(branch)
    _require_remote(state, policy, push)
    steps: list[Step] = [CreateBranch(branch, policy.develop)]
    if push:
        steps.append(Push(policy.remote, (f"refs/heads/{branch}",), set_upstream=True))
    return Plan(f"{kind} start", branch, tuple(steps))


def plan_feature_finish(
    state: RepoState,
    policy: FlowPolicy,
    *,
    kind: BranchKind,
    name: str | None = None,
    push: bool = False,
) -> Plan:
    """Merge a feature/bugfix branch into develop with ``--no-ff`` and delete it."""
    state.require_clean()
    branch = decide_finish_branch(kind, name, state, policy)
    develop = policy.develop
    state.require_branch(develop, "target")
    _require_remote(state, policy, push)
    steps: list[Step] = [
        Checkout(develop),
        Merge(
            branch,
            develop,
            compute_merge_message(branch, develop, policy),
            hint=_resolve_on(develop, branch),
        ),
        DeleteBranch(branch),
    ]
    if push:
        steps.append(_finish_push(steps, state, policy, branch))
    return Plan(f"{kind} finish", branch, tuple(steps))


def plan_release_start(
    state: RepoState,
    policy: FlowPolicy,
    *,
    version: Version,
    edits: Iterable[FileEdit] = (),
    push: bool = False,
    notes: Iterable[str] = (),
) -> Plan:
    """``release/X`` from develop, with the version written into the version files."""
    state.require_clean()
    branch = policy.branches.compute_name(BranchKind.RELEASE, str(version))
    tag = policy.tag_format.format(version)
    state.require_branch(policy.develop, "base")
    state.require_no_branch(branch)
    state.require_no_tag(tag)
    _require_remote(state, policy, push)
    steps: list[Step] = [CreateBranch(branch, policy.develop)]
    steps += _bump_steps(version, tuple(edits), policy)
    if push:
        steps.append(Push(policy.remote, (f"refs/heads/{branch}",), set_upstream=True))
    return Plan("release start", branch, tuple(steps), str(version), tag, tuple(notes))


def _bump_steps(version: Version, edits: tuple[FileEdit, ...], policy: FlowPolicy) -> list[Step]:
    if not edits:
        return []
    message = policy.bump_message.format(version=version)
    return [WriteVersionFiles(str(version), edits), Commit(message, tuple(e.path for e in edits))]


def decide_release_version(branch: str, policy: FlowPolicy) -> Version:
    """The version a release branch stands for (``release/1.2.0`` -> 1.2.0)."""
    kind, rest = split_branch(branch, policy.branches)
    if kind is not BranchKind.RELEASE:
        raise InvalidInputError(f"{branch!r} is not a release branch", where=branch)
    try:
        return Version.parse(rest)
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"release branch {branch!r} does not name a version: {exc.message}", where=branch
        ) from exc


def plan_release_finish(
    state: RepoState,
    policy: FlowPolicy,
    *,
    branch: str,
    notes: Iterable[FileEdit] = (),
    push: bool = False,
) -> Plan:
    """Notes on the release branch, merge into main, tag, merge main back into develop."""
    state.require_clean()
    version = decide_release_version(branch, policy)
    main, develop = policy.main, policy.develop
    tag = policy.tag_format.format(version)
    state.require_branch(branch, "release")
    state.require_branch(main, "main")
    state.require_branch(develop, "develop")
    state.require_no_tag(tag)
    _require_remote(state, policy, push)
    files = policy.version_files
    steps: list[Step] = [*_notes_steps(branch, version, tuple(notes), policy)]
    steps += [
        Checkout(main),
        Merge(
            branch,
            main,
            compute_merge_message(branch, main, policy),
            True,
            files,
            "theirs",
            _resolve_on(main, branch),
        ),
        Tag(tag, main, policy.release_tag_message.format(version=version)),
        Checkout(develop),
        Merge(
            main,
            develop,
            compute_merge_message(main, develop, policy),
            True,
            files,
            "ours",
            _merge_by_hand(branch, develop),
        ),
        DeleteBranch(branch),
    ]
    if push:
        steps.append(_finish_push(steps, state, policy, branch))
    return Plan("release finish", branch, tuple(steps), str(version), tag)


def _notes_steps(
    branch: str, version: Version, notes: tuple[FileEdit, ...], policy: FlowPolicy
) -> list[Step]:
    if not notes:
        return []
    message = policy.notes_message.format(version=version)
    return [
        Checkout(branch),
        WriteReleaseNotes(str(version), notes),
        Commit(message, tuple(e.path for e in notes)),
    ]


def plan_hotfix_start(
    state: RepoState,
    policy: FlowPolicy,
    *,
    base_tag: str,
    version: Version,
    description: str | None = None,
    edits: Iterable[FileEdit] = (),
    push: bool = False,
    notes: Iterable[str] = (),
) -> Plan:
    """``hotfix/[description]`` from main at the latest production tag."""
    name = description or str(version).replace(".", "-")
    branch = compute_branch_name(BranchKind.HOTFIX, name, policy)
    state.require_clean()
    state.require_branch(policy.main, "base")
    state.require_no_branch(branch)
    tag = policy.tag_format.format(version)
    state.require_no_tag(tag)
    _require_remote(state, policy, push)
    steps: list[Step] = [CreateBranch(branch, base_tag)]
    steps += _bump_steps(version, tuple(edits), policy)
    if push:
        steps.append(Push(policy.remote, (f"refs/heads/{branch}",), set_upstream=True))
    return Plan("hotfix start", branch, tuple(steps), str(version), tag, tuple(notes))


def plan_hotfix_finish(
    state: RepoState,
    policy: FlowPolicy,
    *,
    branch: str,
    version: Version,
    notes: Iterable[FileEdit] = (),
    push: bool = False,
) -> Plan:
    """Merge into main and tag; merge into develop and every open release branch."""
    state.require_clean()
    main, develop = policy.main, policy.develop
    tag = policy.tag_format.format(version)
    state.require_branch(branch, "hotfix")
    state.require_branch(main, "main")
    state.require_branch(develop, "develop")
    state.require_no_tag(tag)
    _require_remote(state, policy, push)
    files = policy.version_files
    steps: list[Step] = [*_notes_steps(branch, version, tuple(notes), policy)]
    steps += [
        Checkout(main),
        Merge(
            branch,
            main,
            compute_merge_message(branch, main, policy),
            True,
            files,
            "theirs",
            _resolve_on(main, branch),
        ),
        Tag(tag, main, policy.hotfix_tag_message.format(version=version)),
    ]
    releases = state.list_branches(BranchKind.RELEASE, policy.branches)
    for target in (*releases, develop):  # develop last: the workflow ends there
        message = compute_merge_message(branch, target, policy)
        hint = _merge_by_hand(branch, target)
        steps += [Checkout(target), Merge(branch, target, message, True, files, "ours", hint)]
    steps.append(DeleteBranch(branch))
    if push:
        steps.append(_finish_push(steps, state, policy, branch))
    plan_notes = tuple(f"also merged into the open release branch {r}" for r in releases)
    return Plan("hotfix finish", branch, tuple(steps), str(version), tag, plan_notes)
