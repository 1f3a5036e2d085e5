"""The steps of a Git Flow plan (data), and the exact git commands each one runs.

A :class:`Plan` is built by the ``plan_*`` functions of :mod:`relman.domain.flow`; a dry run
prints ``plan.render()`` and the git adapter runs :func:`git_commands` of each step, so what a
dry run shows is what is executed.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from relman.domain.branches import BranchKind, BranchPolicy, split_branch
from relman.errors import ConflictError, NotFoundError

# --------------------------------------------------------------------------------------
# The repository as the planner sees it


@dataclass(frozen=True)
class RepoState:
    """What the planner needs to know about the repository, read once before planning."""

    head_branch: str | None  # None on a detached HEAD
    head_sha: str | None  # None in a repository without commits
    branches: Mapping[str, str]  # local branch -> sha
    tags: Mapping[str, str]  # tag -> sha of the commit it points to
    dirty: tuple[str, ...] = ()  # `git status --porcelain` lines
    operation: str | None = None  # a merge/rebase/cherry-pick in progress
    remotes: tuple[str, ...] = ()
    remote_branches: Mapping[str, str] = field(default_factory=dict)  # on policy.remote

    def require_clean(self) -> None:
        if self.operation:
            raise ConflictError(
                f"a {self.operation} is in progress",
                where="working tree",
                hint=f"finish or abort the {self.operation} first",
            )
        if self.dirty:
            shown = ", ".join(line[3:] for line in self.dirty[:5])
            more = f" and {len(self.dirty) - 5} more" if len(self.dirty) > 5 else ""
            raise ConflictError(
                f"the working tree is dirty: {shown}{more}",
                where="working tree",
                hint="commit, stash or remove the changes (untracked files too): relman "
                "must be able to restore the tree exactly if a step fails",
            )

    def require_branch(self, name: str, role: str) -> str:
        sha = self.branches.get(name)
        if sha is None:
            raise NotFoundError(
                f"{role} branch {name!r} does not exist",
                where=f"refs/heads/{name}",
                hint="run `relman flow init` to create main and develop",
            )
        return sha

    def require_no_branch(self, name: str) -> None:
        if name in self.branches:
            raise ConflictError(f"branch {name!r} already exists", where=f"refs/heads/{name}")

    def require_no_tag(self, name: str) -> None:
        if name in self.tags:
            raise ConflictError(
                f"tag {name!r} already exists",
                where=f"refs/tags/{name}",
                hint="a version is released once; choose the next version",
            )

    def list_branches(self, kind: BranchKind, policy: BranchPolicy) -> list[str]:
        return sorted(b for b in self.branches if split_branch(b, policy)[0] is kind)


# --------------------------------------------------------------------------------------
# Steps


@dataclass(frozen=True)
class FileEdit:
    """A file the plan writes: repository-relative path, full new text, and why."""

    path: str
    text: str
    summary: str = ""


@dataclass(frozen=True)
class Checkout:
    branch: str


@dataclass(frozen=True)
class CreateBranch:
    name: str
    start: str
    checkout: bool = True


@dataclass(frozen=True)
class InitialCommit:
    """The first commit of an empty repository, on ``branch``."""

    branch: str
    message: str


@dataclass(frozen=True)
class WriteVersionFiles:
    version: str
    edits: tuple[FileEdit, ...]


@dataclass(frozen=True)
class WriteReleaseNotes:
    version: str
    edits: tuple[FileEdit, ...]


@dataclass(frozen=True)
class WriteConfig:
    edits: tuple[FileEdit, ...]


@dataclass(frozen=True)
class Commit:
    message: str
    paths: tuple[str, ...]


Keep = Literal["ours", "theirs"]


@dataclass(frozen=True)
class Merge:
    """Merge ``source`` into ``target`` (checked out by the step before).

    Conflicts only in files matching ``version_files`` are resolved by keeping the version of
    ``keep`` (``ours`` = the target's, ``theirs`` = the source's) and merging the rest of the
    file; any other conflict fails the step.
    """

    source: str
    target: str
    message: str
    no_ff: bool = True
    version_files: tuple[str, ...] = ()
    keep: Keep = "ours"
    hint: str = ""  # what to do when it conflicts (the planner knows the branches' roles)


@dataclass(frozen=True)
class Tag:
    name: str
    target: str
    message: str
    annotated: bool = True


@dataclass(frozen=True)
class DeleteBranch:
    name: str


@dataclass(frozen=True)
class Push:
    remote: str
    refs: tuple[str, ...]
    delete: tuple[str, ...] = ()
    set_upstream: bool = False


Step = (
    Checkout
    | CreateBranch
    | InitialCommit
    | WriteVersionFiles
    | WriteReleaseNotes
    | WriteConfig
    | Commit
    | Merge
    | Tag
    | DeleteBranch
    | Push
)
WriteStep = WriteVersionFiles | WriteReleaseNotes | WriteConfig


def git_commands(step: Step) -> list[list[str]]:
    """The git argv lists (without ``git``) a step runs; empty for pure file writes."""
    match step:
        case Checkout(branch=branch):
            return [["checkout", "-q", branch]]
        case CreateBranch(name=name, start=start, checkout=True):
            return [["checkout", "-q", "-b", name, start]]
        case CreateBranch(name=name, start=start):
            return [["branch", name, start]]
        case InitialCommit(branch=branch, message=message):
            return [
                ["symbolic-ref", "HEAD", f"refs/heads/{branch}"],
                ["commit", "-q", "--allow-empty", "-m", message],
            ]
        case WriteVersionFiles() | WriteReleaseNotes() | WriteConfig():
            return []
        case Commit(message=message, paths=paths):
            return [["add", "--", *paths], ["commit", "-q", "-m", message]]
        case Merge(source=source, message=message, no_ff=no_ff):
            return [["merge", "-q", *(["--no-ff"] if no_ff else []), "-m", message, source]]
        case Tag(name=name, target=target, message=message, annotated=annotated):
            if annotated:
                return [["tag", "-a", name, "-m", message, target]]
            return [["tag", name, target]]
        case DeleteBranch(name=name):
            # -D: the step before merged it; -d would balk at an upstream not yet updated
            return [["branch", "-q", "-D", name]]
        case Push(remote=remote, refs=refs, delete=delete, set_upstream=upstream):
            refspecs = [*refs, *(f":refs/heads/{b}" for b in delete)]
            return [["push", "-q", "--atomic", *(["-u"] if upstream else []), remote, *refspecs]]
    raise AssertionError(f"unknown step {step!r}")  # pragma: no cover


def format_command(argv: Sequence[str]) -> str:
    """``git ARGS`` as a person would type it in a POSIX shell."""
    return " ".join(["git", *(_quote(arg) for arg in argv)])


def _quote(arg: str) -> str:
    quoted = shlex.quote(arg)
    if quoted != arg and "'" in arg and not any(ch in arg for ch in '"$`\\!'):
        return f'"{arg}"'
    return quoted


def render_step(step: Step) -> list[str]:
    """What a step does, one line per file written or git command run."""
    lines: list[str] = []
    if isinstance(step, WriteVersionFiles | WriteReleaseNotes | WriteConfig):
        lines += [f"write {e.path}" + (f" ({e.summary})" if e.summary else "") for e in step.edits]
    lines += [format_command(argv) for argv in git_commands(step)]
    if isinstance(step, Merge) and step.version_files:
        whose = f"{step.target}'s" if step.keep == "ours" else f"{step.source}'s"
        lines.append(f"  (conflicts in version files only: keep {whose} version)")
    return lines


@dataclass(frozen=True)
class Plan:
    """One workflow, as the ordered steps that carry it out."""

    action: str  # "feature start", "release finish", ...
    branch: str  # the branch the workflow is about
    steps: tuple[Step, ...]
    version: str | None = None
    tag: str | None = None
    notes: tuple[str, ...] = ()  # things people should know (skipped files, ...)

    def list_touched_branches(self) -> list[str]:
        """Every local branch a step may create, move or delete."""
        names: list[str] = []
        for step in self.steps:
            match step:
                case Checkout(branch=name) | InitialCommit(branch=name) | DeleteBranch(name=name):
                    names.append(name)
                case CreateBranch(name=name) | Merge(target=name):
                    names.append(name)
        return list(dict.fromkeys(names))

    def list_created_tags(self) -> list[str]:
        return [s.name for s in self.steps if isinstance(s, Tag)]

    def render(self) -> list[str]:
        out: list[str] = []
        for number, step in enumerate(self.steps, start=1):
            lines = render_step(step)
            out.append(f"{number:>2}. {lines[0]}")
            out += [f"    {line}" for line in lines[1:]]
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "action": self.action,
            "branch": self.branch,
            "version": self.version,
            "tag": self.tag,
            "steps": [{"step": type(s).__name__, "commands": render_step(s)} for s in self.steps],
            "notes": list(self.notes),
        }


def list_push_refs(steps: Iterable[Step]) -> list[str]:
    """Branches and tags a plan creates or moves, to push (deleted branches excluded)."""
    steps = list(steps)
    refs: list[str] = []
    deleted = {s.name for s in steps if isinstance(s, DeleteBranch)}
    current: str | None = None
    for step in steps:
        match step:
            case Checkout(branch=name):
                current = name
            case CreateBranch(name=name, checkout=True) | InitialCommit(branch=name):
                current = name
                refs.append(f"refs/heads/{name}")
            case CreateBranch(name=name):
                refs.append(f"refs/heads/{name}")
            case Commit() | Merge():
                if current is not None:
                    refs.append(f"refs/heads/{current}")
            case Tag(name=name):
                refs.append(f"refs/tags/{name}")
    return [r for r in dict.fromkeys(refs) if r.removeprefix("refs/heads/") not in deleted]


@dataclass(frozen=True)
class FlowReport:
    """What executing a plan did beyond its steps (resolved version-file conflicts)."""

    resolutions: tuple[str, ...] = ()
