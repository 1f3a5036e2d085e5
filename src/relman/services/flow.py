"""Use cases: the Git Flow workflows of J-003 §5.3, each one command, all or nothing.

Each use case reads a snapshot of the repository, gathers what the plan needs (the next
version, the version files' new text, the release notes), builds the plan with the pure
``plan_*`` functions, and either returns it (``dry_run``) or hands it to the executor, which
restores everything when a step fails. Nothing is written before the plan is complete, so bad
input (an invalid name, an existing tag, an unreadable version file) changes nothing.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Protocol

from relman.domain.branches import BranchKind
from relman.domain.components import VersioningPolicy
from relman.domain.flow import (
    FlowPolicy,
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
from relman.domain.flow_steps import FileEdit, FlowReport, Plan, RepoState
from relman.domain.linting import Violation
from relman.domain.versions import Version
from relman.errors import CheckFailedError, ConflictError, InvalidInputError, NotFoundError
from relman.ports import GitRepo
from relman.services.flow_events import FlowEvent, compute_event
from relman.services.flow_files import NotesTools, compute_notes_edits, compute_version_edits
from relman.services.flow_records import (
    FlowRecords,
    RecordOptions,
    RecordOutcome,
    apply_record,
    prepare_record,
)
from relman.services.flow_versions import StartVersion, decide_start_version
from relman.services.production import NextHotfix, compute_next_hotfix
from relman.services.versioning import compute_next, get_current_version
from relman.settings import CONFIG_FILE, FlowSettings, find_config


class FlowGit(Protocol):
    """Reads the repository state and executes plans (``relman.adapters.git_flow.GitFlow``)."""

    @property
    def root(self) -> str: ...

    def read_state(self, *, remote: str | None = None) -> RepoState: ...

    def execute(self, plan: Plan) -> FlowReport: ...


@dataclass(frozen=True)
class FlowOutcome:
    """A plan, and whether it ran (``dry_run`` only prints it)."""

    plan: Plan
    executed: bool
    resolutions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    record: RecordOutcome | None = None  # the release record's link (release and hotfix)

    def to_dict(self) -> dict[str, object]:
        return {
            **self.plan.to_dict(),
            "executed": self.executed,
            "resolutions": list(self.resolutions),
            "warnings": list(self.warnings),
            "record": self.record.to_dict() if self.record else None,
        }


def _run(
    flow: FlowGit, plan: Plan, *, dry_run: bool, warnings: tuple[str, ...] = ()
) -> FlowOutcome:
    if dry_run or not plan.steps:
        return FlowOutcome(plan, executed=False, warnings=warnings)
    report = flow.execute(plan)
    return FlowOutcome(plan, executed=True, resolutions=report.resolutions, warnings=warnings)


@dataclass(frozen=True)
class RecordLink:
    """The release store and the ``--record`` options of a release or hotfix command."""

    records: FlowRecords
    options: RecordOptions = field(default_factory=RecordOptions)


def _run_linked(
    flow: FlowGit,
    git: GitRepo,
    plan: Plan,
    *,
    link: RecordLink | None,
    event: Callable[[], FlowEvent],
    dry_run: bool,
    warnings: tuple[str, ...] = (),
) -> FlowOutcome:
    """Run ``plan``, then link the release record: decided before git (bad input changes
    nothing), done only after git succeeded (see `relman.services.flow_records`)."""
    if link is None:
        return _run(flow, plan, dry_run=dry_run, warnings=warnings)
    happened = event()
    record = prepare_record(records=link.records, event=happened, options=link.options)
    outcome = _run(flow, plan, dry_run=dry_run, warnings=warnings)
    if outcome.executed:
        done = apply_record(records=link.records, git=git, event=happened, plan=record)
        return replace(outcome, record=done)
    return replace(outcome, record=RecordOutcome(record))


def _unspent(
    link: RecordLink | None, version: Version, *, kind: str, auto: bool, where: str
) -> StartVersion:
    """The version a start takes: not spent by a release in the store (`services.flow_versions`)."""
    if link is None:
        return StartVersion(version)
    return decide_start_version(
        link.records, link.options, version, kind=kind, auto=auto, where=where
    )


def _state(flow: FlowGit, policy: FlowPolicy, push: bool) -> RepoState:
    return flow.read_state(remote=policy.remote if push else None)


# ------------------------------------------------------------------ init


def render_flow_table(flow: FlowSettings) -> str:
    """The ``[flow]`` table of the policy file, with the current values."""
    lines = ["[flow]", "# Git Flow (J-003 §5): branch names, tag messages and version files."]
    for key, value in flow.model_dump().items():
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def init_flow(
    *,
    flow: FlowGit,
    policy: FlowPolicy,
    config_path: Path | None,
    flow_table: str,
    record: bool = True,
    dry_run: bool = False,
) -> FlowOutcome:
    """Create main and develop when missing; record ``[flow]`` in the policy file."""
    state = flow.read_state()
    edit = _config_edit(Path(flow.root), config_path, flow_table) if record else None
    return _run(flow, plan_init(state, policy, config=edit), dry_run=dry_run)


def _config_edit(root: Path, config_path: Path | None, flow_table: str) -> FileEdit | None:
    """The policy file with a ``[flow]`` table appended, or None when one is recorded.

    The file is the one relman reads (``--config``, ``RELMAN_CONFIG``, ``relman.toml``, else
    ``[tool.relman]`` in pyproject.toml); a file outside the repository is left alone.
    """
    if config_path is None:
        found, _, _ = find_config(root)  # relman.toml, else [tool.relman] in pyproject.toml
        config_path = found or root / CONFIG_FILE
    path = config_path
    try:
        relative = PurePosixPath(path.resolve().relative_to(root.resolve()).as_posix())
    except ValueError:
        return None  # a policy file outside the repository is not ours to change
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    data = tomllib.loads(text) if text else {}
    in_pyproject = relative.name == "pyproject.toml"
    table: object = data.get("tool", {}).get("relman", {}) if in_pyproject else data
    if isinstance(table, Mapping) and "flow" in table:
        return None
    header = "[tool.relman.flow]" if in_pyproject else "[flow]"
    body = flow_table.replace("[flow]", header, 1)
    separator = "" if not text else ("\n" if text.endswith("\n") else "\n\n")
    return FileEdit(str(relative), text + separator + body, "record the Git Flow settings")


# ------------------------------------------------------------------ feature / bugfix


def start_branch(
    *,
    flow: FlowGit,
    policy: FlowPolicy,
    kind: BranchKind,
    name: str,
    push: bool = False,
    dry_run: bool = False,
) -> FlowOutcome:
    """``flow feature start NAME`` / ``flow bugfix start NAME``."""
    plan = plan_feature_start(_state(flow, policy, push), policy, kind=kind, name=name, push=push)
    return _run(flow, plan, dry_run=dry_run)


def finish_branch(
    *,
    flow: FlowGit,
    policy: FlowPolicy,
    kind: BranchKind,
    name: str | None = None,
    push: bool = False,
    dry_run: bool = False,
) -> FlowOutcome:
    """``flow feature finish [NAME]`` / ``flow bugfix finish [NAME]``."""
    state = _state(flow, policy, push)
    plan = plan_feature_finish(state, policy, kind=kind, name=name, push=push)
    return _run(flow, plan, dry_run=dry_run)


# ------------------------------------------------------------------ release


def start_release(
    *,
    flow: FlowGit,
    git: GitRepo,
    policy: FlowPolicy,
    versioning: VersioningPolicy,
    version: str = "auto",
    push: bool = False,
    dry_run: bool = False,
    link: RecordLink | None = None,
) -> FlowOutcome:
    """``flow release start [VERSION|auto]``: release/X from develop with the version bumped."""
    state = _state(flow, policy, push)
    state.require_clean()
    base = policy.develop
    state.require_branch(base, "base")
    auto = version == "auto"
    if auto:
        chosen = compute_next(git=git, policy=versioning, ref=base).next
        if chosen is None:  # pragma: no cover - compute_next raises NothingToReleaseError
            raise NotFoundError("no next version", where=base)
    else:
        chosen = _parse_version(version)
        state.require_no_tag(policy.tag_format.format(chosen))
        current = get_current_version(git=git, policy=versioning, ref=base).version
        if current is not None and chosen <= current:
            raise InvalidInputError(
                f"version {chosen} is not newer than the latest release {current}",
                where="VERSION",
                hint="pass a higher version, or 'auto' to compute it from the commits",
            )
    # before any branch exists: auto moves on past a spent version, an explicit one is refused
    start = _unspent(link, chosen, kind="release", auto=auto, where="VERSION")
    chosen = start.version
    edits, notes = compute_version_edits(git=git, ref=base, policy=policy, version=chosen)
    notes = (*notes, *([start.note] if start.note else []))
    plan = plan_release_start(state, policy, version=chosen, edits=edits, push=push, notes=notes)

    def event() -> FlowEvent:
        return compute_event(
            git=git,
            versioning=versioning,
            kind="release",
            stage="start",
            version=chosen,
            ref=plan.branch,
            base=base,
            branch=plan.branch,
        )

    warnings = (start.warning,) if start.warning else ()
    return _run_linked(flow, git, plan, link=link, event=event, dry_run=dry_run, warnings=warnings)


def finish_release(
    *,
    flow: FlowGit,
    git: GitRepo,
    policy: FlowPolicy,
    tools: NotesTools,
    name: str | None = None,
    push: bool = False,
    dry_run: bool = False,
    link: RecordLink | None = None,
) -> FlowOutcome:
    """``flow release finish [VERSION]``: notes, merge into main, tag, merge back, delete."""
    state = _state(flow, policy, push)
    state.require_clean()
    branch = decide_finish_branch(BranchKind.RELEASE, name, state, policy)
    version = decide_release_version(branch, policy)
    state.require_no_tag(policy.tag_format.format(version))
    notes, warnings = compute_notes_edits(
        git=git, root=Path(flow.root), tools=tools, ref=branch, version=version
    )
    plan = plan_release_finish(state, policy, branch=branch, notes=notes, push=push)
    tag = policy.tag_format.format(version)

    def event() -> FlowEvent:
        return compute_event(
            git=git,
            versioning=tools.versioning,
            kind="release",
            stage="finish",
            version=version,
            ref=tag,
            base=branch,
            branch=branch,
            tag=tag,
        )

    return _run_linked(flow, git, plan, link=link, event=event, dry_run=dry_run, warnings=warnings)


# ------------------------------------------------------------------ hotfix


def start_hotfix(
    *,
    flow: FlowGit,
    git: GitRepo,
    policy: FlowPolicy,
    description: str | None = None,
    push: bool = False,
    dry_run: bool = False,
    link: RecordLink | None = None,
) -> FlowOutcome:
    """``flow hotfix start [DESCRIPTION]``: from main at the latest production tag."""
    state = _state(flow, policy, push)
    state.require_clean()
    main = policy.main
    state.require_branch(main, "base")
    hotfix = _next_hotfix(git, policy, main)
    base_tag, version = hotfix.production.tag, hotfix.next
    # a spent hotfix version is refused before any branch exists, never moved on: the version
    # comes from base_tag at start and finish alike
    start = _unspent(link, version, kind="hotfix", auto=False, where=base_tag)
    edits, notes = compute_version_edits(git=git, ref=base_tag, policy=policy, version=version)
    if state.tags.get(base_tag) != state.branches[main]:
        notes = (*notes, f"{main} has commits after {base_tag}: the hotfix starts at {base_tag}")
    plan = plan_hotfix_start(
        state,
        policy,
        base_tag=base_tag,
        version=version,
        description=description,
        edits=edits,
        push=push,
        notes=notes,
    )
    event = FlowEvent("hotfix", "start", str(version), "hotfix", plan.branch, plan.branch)
    warnings = (start.warning,) if start.warning else ()
    return _run_linked(
        flow, git, plan, link=link, event=lambda: event, dry_run=dry_run, warnings=warnings
    )


def finish_hotfix(
    *,
    flow: FlowGit,
    git: GitRepo,
    policy: FlowPolicy,
    tools: NotesTools,
    name: str | None = None,
    push: bool = False,
    dry_run: bool = False,
    link: RecordLink | None = None,
) -> FlowOutcome:
    """``flow hotfix finish [NAME]``: main + tag, then develop and every open release branch."""
    state = _state(flow, policy, push)
    state.require_clean()
    branch = decide_finish_branch(BranchKind.HOTFIX, name, state, policy)
    hotfix = _next_hotfix(git, policy, branch)
    version, tag = hotfix.next, hotfix.tag
    if tag in state.tags:
        raise ConflictError(
            f"tag {tag!r} already exists: another hotfix was finished after {branch} started",
            where=f"refs/tags/{tag}",
            hint=f"merge {policy.main} into {branch} (its version becomes the next hotfix), "
            "then finish again",
        )
    notes, warnings = compute_notes_edits(
        git=git, root=Path(flow.root), tools=tools, ref=branch, version=version
    )
    plan = plan_hotfix_finish(state, policy, branch=branch, version=version, notes=notes, push=push)
    event = FlowEvent("hotfix", "finish", str(version), "hotfix", tag, branch, tag)
    return _run_linked(
        flow, git, plan, link=link, event=lambda: event, dry_run=dry_run, warnings=warnings
    )


def _next_hotfix(git: GitRepo, policy: FlowPolicy, ref: str) -> NextHotfix:
    """The next hotfix on the latest production tag at ``ref`` (the rule of
    ``relman.services.versioning``, shared with ``version current`` and ``release plan``)."""
    return compute_next_hotfix(
        git=git, tag_format=policy.tag_format, hotfix_token=policy.hotfix_token, ref=ref
    )


# ------------------------------------------------------------------ CI check


def check_branches(*, policy: FlowPolicy, source: str, target: str) -> list[Violation]:
    """``flow check``: raises CheckFailedError naming every J-003 §5.1-5.2 rule broken."""
    violations = check_merge(source, target, policy)
    if violations:
        pair = f"{source} -> {target}"
        shown = [f"{v.message} [{v.rule}]" if v.where == pair else str(v) for v in violations]
        count = "1 rule" if len(violations) == 1 else f"{len(violations)} rules"
        raise CheckFailedError(
            f"merging {source} into {target} breaks {count}: " + "; ".join(shown),
            where=f"{source} -> {target}",
            violations=[str(v) for v in violations],
        )
    return violations


def _parse_version(text: str) -> Version:
    try:
        return Version.parse(text.removeprefix("v"))
    except InvalidInputError as exc:
        raise type(exc)(exc.message, where="VERSION", hint=exc.hint) from exc
