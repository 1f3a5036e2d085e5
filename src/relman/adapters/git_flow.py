"""Runs Git Flow plans with the ``git`` executable, all or nothing.

:class:`GitFlow` reads a :class:`~relman.domain.flow.RepoState` snapshot for the planner and
executes a :class:`~relman.domain.flow_steps.Plan` step by step (argv lists, never a shell).
Before the first step it records every branch tip the plan may move, create or delete (and
the branch's config), HEAD, and the tags it will create. When any step fails (a merge conflict
it cannot resolve, a failing hook, a rejected push, a ref that appeared meanwhile) it puts every
branch and HEAD back, deletes the tags it created, resets the working tree to exactly where it
was (it was clean: the planner insists), verifies that, and raises a relman error saying which
step failed, why, and what to do. If the restore itself fails it raises RollbackFailedError with
the commands that finish it by hand.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from relman.domain.flow_steps import (
    Commit,
    FileEdit,
    FlowReport,
    Merge,
    Plan,
    Push,
    RepoState,
    Step,
    WriteConfig,
    WriteReleaseNotes,
    WriteVersionFiles,
    format_command,
    git_commands,
)
from relman.domain.version_files import (
    DEFAULT_REGISTRY,
    VersionFileRegistry,
    align_versions,
    match_version_files,
)
from relman.errors import (
    ConflictError,
    GitError,
    InvalidInputError,
    RelmanError,
    RollbackFailedError,
)

_CONFIG = ("-c", "core.quotePath=false", "-c", "color.ui=false", "-c", "advice.detachedHead=false")
_OPERATIONS = {
    "MERGE_HEAD": "merge",
    "CHERRY_PICK_HEAD": "cherry-pick",
    "REVERT_HEAD": "revert",
    "rebase-merge": "rebase",
    "rebase-apply": "rebase",
}
_RESTORED = "nothing was changed: every branch, tag and the working tree are back as they were"


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"LC_ALL": "C", "LANGUAGE": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"})
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(name, None)
    return env


def _output(proc: subprocess.CompletedProcess[str]) -> str:
    text = "\n".join(part.strip() for part in (proc.stderr, proc.stdout) if part.strip())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines) if lines else "no error message"


class _StepFailedError(Exception):
    """A step failed; carries the relman error to raise once everything is restored."""

    def __init__(self, error: RelmanError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class _Before:
    head_ref: str | None  # refs/heads/x, or None when HEAD was detached
    head_sha: str | None  # None in a repository without commits
    branches: dict[str, str | None]  # touched branch -> sha (None: did not exist)
    configs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)  # tags the plan creates


class GitFlow:
    """Reads the repository state and executes Git Flow plans in one git work tree."""

    def __init__(
        self,
        path: str | Path,
        *,
        executable: str = "git",
        registry: VersionFileRegistry = DEFAULT_REGISTRY,
    ) -> None:
        self._git = executable
        self._env = _git_env()
        self._registry = registry
        directory = Path(path)
        if not directory.is_dir():
            raise GitError("not a git repository: the directory does not exist", where=str(path))
        proc = self._run(["rev-parse", "--show-toplevel"], cwd=directory)
        if proc.returncode != 0:
            raise GitError(f"not a git repository: {_output(proc)}", where=str(directory))
        self._root = Path(proc.stdout.strip())

    @property
    def root(self) -> str:
        return str(self._root)

    # ------------------------------------------------------------------ plumbing

    def _run(
        self, args: Sequence[str], *, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                [self._git, *_CONFIG, *args],
                cwd=cwd or self._root,
                env=self._env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                check=False,
            )
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror or exc}", where=str(cwd)) from exc

    def _read_text(self, args: Sequence[str]) -> str | None:
        """Stdout as exact UTF-8 text (no newline translation), or None when git fails."""
        try:
            proc = subprocess.run(
                [self._git, *_CONFIG, *args],
                cwd=self._root,
                env=self._env,
                capture_output=True,
                check=False,
            )
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror or exc}", where=self.root) from exc
        if proc.returncode != 0:
            return None
        try:
            return proc.stdout.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def _check(self, args: Sequence[str]) -> str:
        proc = self._run(args)
        if proc.returncode != 0:
            raise GitError(f"git {args[0]} failed: {_output(proc)}", where=self.root)
        return proc.stdout

    def _lines(self, args: Sequence[str]) -> list[str]:
        return [line for line in self._check(args).splitlines() if line]

    def _sha(self, ref: str) -> str | None:
        proc = self._run(["rev-parse", "-q", "--verify", "--end-of-options", f"{ref}^{{commit}}"])
        return proc.stdout.strip() if proc.returncode == 0 else None

    def _head_ref(self) -> str | None:
        proc = self._run(["symbolic-ref", "-q", "HEAD"])
        return proc.stdout.strip() if proc.returncode == 0 else None

    # ------------------------------------------------------------------ state

    def read_state(self, *, remote: str | None = None) -> RepoState:
        """A snapshot for the planner; ``remote`` also lists that remote's branches."""
        head_ref = self._head_ref()
        branches = {}
        for line in self._lines(
            ["for-each-ref", "--format=%(refname)%00%(objectname)", "refs/heads"]
        ):
            name, sha = line.split("\0")
            branches[name.removeprefix("refs/heads/")] = sha
        tags = {}
        fmt = "--format=%(refname)%00%(objectname)%00%(*objectname)"
        for line in self._lines(["for-each-ref", fmt, "refs/tags"]):
            name, sha, peeled = line.split("\0")
            tags[name.removeprefix("refs/tags/")] = peeled or sha
        dirty = self._lines(["status", "--porcelain", "--untracked-files=normal"])
        remotes = tuple(self._lines(["remote"]))
        remote_branches: dict[str, str] = {}
        if remote is not None and remote in remotes:
            for line in self._lines(["ls-remote", "--heads", remote]):
                sha, _, name = line.partition("\t")
                remote_branches[name.removeprefix("refs/heads/")] = sha
        return RepoState(
            head_branch=head_ref.removeprefix("refs/heads/") if head_ref else None,
            head_sha=self._sha("HEAD"),
            branches=branches,
            tags=tags,
            dirty=tuple(dirty),
            operation=self._operation(),
            remotes=remotes,
            remote_branches=remote_branches,
        )

    def _operation(self) -> str | None:
        for name, operation in _OPERATIONS.items():
            path = self._check(["rev-parse", "--git-path", name]).strip()
            if (self._root / path).exists():
                return operation
        return None

    # ------------------------------------------------------------------ execution

    def execute(self, plan: Plan) -> FlowReport:
        """Run every step; on any failure restore the recorded state and raise."""
        before = self._record(plan)
        resolutions: list[str] = []
        for number, step in enumerate(plan.steps, start=1):
            try:
                resolutions += self._run_step(step)
            except _StepFailedError as failed:
                self._restore(before)
                raise _explain(failed.error, plan, number) from None
            except RelmanError as exc:
                self._restore(before)
                raise _explain(exc, plan, number) from None
        return FlowReport(tuple(resolutions))

    def _record(self, plan: Plan) -> _Before:
        head_ref = self._head_ref()
        names = plan.list_touched_branches()
        if head_ref is not None and head_ref.startswith("refs/heads/"):
            names.append(head_ref.removeprefix("refs/heads/"))
        branches = {name: self._sha(f"refs/heads/{name}") for name in dict.fromkeys(names)}
        configs = {}
        for name, sha in branches.items():
            if sha is not None:
                configs[name] = self._branch_config(name)
        created = [t for t in plan.list_created_tags() if self._sha(f"refs/tags/{t}") is None]
        return _Before(head_ref, self._sha("HEAD"), branches, configs, created)

    def _branch_config(self, name: str) -> list[tuple[str, str]]:
        proc = self._run(["config", "--local", "-z", "--get-regexp", _config_key_regex(name)])
        entries = []
        for record in proc.stdout.split("\0"):
            if record:
                key, _, value = record.partition("\n")
                entries.append((key, value))
        return entries

    def _run_step(self, step: Step) -> list[str]:
        if isinstance(step, WriteVersionFiles | WriteReleaseNotes | WriteConfig):
            for edit in step.edits:
                self._write(edit)
            return []
        if isinstance(step, Merge):
            return self._merge(step)
        for argv in git_commands(step):
            proc = self._run(argv)
            if proc.returncode != 0:
                raise _StepFailedError(_failure(step, argv, proc))
        return []

    def _write(self, edit: FileEdit) -> None:
        target = (self._root / edit.path).resolve()
        if not target.is_relative_to(self._root.resolve()) or target == self._root.resolve():
            raise InvalidInputError("path escapes the repository", where=edit.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(edit.text.encode("utf-8"))
            Path(tmp).chmod(mode)
            Path(tmp).replace(target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise GitError(f"cannot write file: {exc.strerror}", where=edit.path) from exc

    def _merge(self, step: Merge) -> list[str]:
        argv = git_commands(step)[0]
        proc = self._run(argv)
        if proc.returncode == 0:
            return []
        conflicted = self._lines(["diff", "--name-only", "--diff-filter=U", "-z"])
        conflicted = [p for line in conflicted for p in line.split("\0") if p]
        if not conflicted:
            raise _StepFailedError(_failure(step, argv, proc))
        resolvable = set(match_version_files(conflicted, step.version_files, self._registry))
        others = [p for p in conflicted if p not in resolvable]
        if others:
            raise _StepFailedError(_conflict(step, others))
        resolutions = [self._resolve_version_file(step, path) for path in sorted(resolvable)]
        commit = ["commit", "-q", "-m", step.message]
        done = self._run(commit)
        if done.returncode != 0:
            raise _StepFailedError(_failure(step, commit, done))
        return resolutions

    def _resolve_version_file(self, step: Merge, path: str) -> str:
        stages = []
        for stage in (1, 2, 3):
            text = self._read_text(["show", f":{stage}:{path}"])
            if text is None:  # added or deleted on one side (or not text): not a version change
                raise _StepFailedError(_conflict(step, [path]))
            stages.append(text)
        try:
            aligned = align_versions(*stages, path=path, keep=step.keep, registry=self._registry)
        except InvalidInputError:
            raise _StepFailedError(_conflict(step, [path])) from None
        merged = self._merge_file(aligned.ours, aligned.base, aligned.theirs)
        if merged is None:
            raise _StepFailedError(_conflict(step, [path]))
        self._write(FileEdit(path, merged))
        self._check(["add", "--", path])
        winner = step.target if step.keep == "ours" else step.source
        loser = step.source if step.keep == "ours" else step.target
        return (
            f"{path}: version conflict merging {step.source} into {step.target} resolved by "
            f"keeping {winner}'s {aligned.kept} ({loser} had {aligned.dropped})"
        )

    def _merge_file(self, ours: str, base: str, theirs: str) -> str | None:
        with tempfile.TemporaryDirectory(prefix="relman-merge-") as tmp:
            paths = []
            for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
                path = Path(tmp) / name
                path.write_bytes(text.encode("utf-8"))
                paths.append(str(path))
            return self._read_text(["merge-file", "-p", *paths])

    # ------------------------------------------------------------------ restore

    def _restore(self, before: _Before) -> None:
        problems: list[str] = []

        def attempt(args: Sequence[str]) -> None:
            proc = self._run(args)
            if proc.returncode != 0:
                problems.append(f"git {' '.join(args)}: {_output(proc)}")

        for args in self._list_ref_repairs(before):
            attempt(args)
        for name, entries in before.configs.items():
            if self._branch_config(name) != entries:
                self._run(["config", "--local", "--remove-section", f"branch.{name}"])
                for key, value in entries:
                    attempt(["config", "--local", "--add", key, value])
        if before.head_ref is not None:
            attempt(["symbolic-ref", "HEAD", before.head_ref])
        elif before.head_sha is not None:
            attempt(["update-ref", "--no-deref", "HEAD", before.head_sha])
        if before.head_sha is not None:
            attempt(["reset", "-q", "--hard", "HEAD"])
        else:
            attempt(["read-tree", "--empty"])
        attempt(["clean", "-fdq"])
        problems += self._verify(before)
        if problems:
            raise RollbackFailedError(
                "the restore after a failed step did not complete: " + "; ".join(problems),
                where=self.root,
                hint="finish it by hand: " + "; ".join(_manual_restore(before)),
                details={"branches": before.branches, "head": before.head_ref or before.head_sha},
            )

    def _list_ref_repairs(self, before: _Before) -> list[list[str]]:
        """update-ref commands putting every touched branch back and deleting created tags."""
        repairs = []
        for name, sha in before.branches.items():
            ref = f"refs/heads/{name}"
            now = self._sha(ref)
            if sha is None and now is not None:
                repairs.append(["update-ref", "-d", ref])
            elif sha is not None and now != sha:
                repairs.append(["update-ref", ref, sha])
        for tag in before.tags:
            if self._sha(f"refs/tags/{tag}") is not None:
                repairs.append(["update-ref", "-d", f"refs/tags/{tag}"])
        return repairs

    def _verify(self, before: _Before) -> list[str]:
        wrong = [
            f"{name} is at {self._sha(f'refs/heads/{name}')}, expected {sha}"
            for name, sha in before.branches.items()
            if self._sha(f"refs/heads/{name}") != sha
        ]
        wrong += [f"tag {t} still exists" for t in before.tags if self._sha(f"refs/tags/{t}")]
        if self._head_ref() != before.head_ref:
            wrong.append(f"HEAD is {self._head_ref()}, expected {before.head_ref}")
        dirty = self._lines(["status", "--porcelain", "--untracked-files=normal"])
        if dirty or self._operation():
            wrong.append(f"the working tree is not clean: {', '.join(dirty) or self._operation()}")
        return wrong


def _config_key_regex(name: str) -> str:
    escaped = "".join(f"\\{c}" if c in ".^$*+?()[]{}|\\" else c for c in name)
    return f"^branch\\.{escaped}\\."


def _manual_restore(before: _Before) -> list[str]:
    out = []
    for name, sha in before.branches.items():
        ref = f"refs/heads/{name}"
        out.append(f"git update-ref -d {ref}" if sha is None else f"git update-ref {ref} {sha}")
    out += [f"git tag -d {t}" for t in before.tags]
    if before.head_ref is not None:
        out.append(f"git symbolic-ref HEAD {before.head_ref}")
    out.append("git reset --hard && git clean -fd")
    return out


def _failure(step: Step, argv: Sequence[str], proc: subprocess.CompletedProcess[str]) -> GitError:
    command = format_command(argv)
    if isinstance(step, Push):
        hint = (
            "the remote refused the push (nothing was pushed: the push is atomic); fetch and "
            "integrate the remote changes, fix what its hooks report, then run the command again"
        )
    elif isinstance(step, Commit | Merge):
        hint = "fix what the hook or git reports above, then run the command again"
    else:
        hint = "fix what git reports above, then run the command again"
    return GitError(
        f"`{command}` failed (exit {proc.returncode}): {_output(proc)}",
        hint=hint,
        details={"command": list(argv), "exit": proc.returncode},
    )


def _conflict(step: Merge, paths: Sequence[str]) -> ConflictError:
    return ConflictError(
        f"merging {step.source} into {step.target} conflicts in {', '.join(paths)}",
        hint=step.hint or "resolve the conflict by hand, then run the command again",
        details={"conflicts": list(paths), "source": step.source, "target": step.target},
    )


def _explain(error: RelmanError, plan: Plan, number: int) -> RelmanError:
    """The same kind of error, saying which step of which workflow failed and that all is back."""
    message = (
        f"{plan.action} {plan.branch}: step {number} of {len(plan.steps)} failed: "
        f"{error.message}; {_RESTORED}"
    )
    return type(error)(
        message,
        where=error.where or plan.branch,
        hint=error.hint,
        details={**error.details, "step": number, "action": plan.action},
    )
