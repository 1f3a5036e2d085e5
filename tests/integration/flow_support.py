"""Helpers of the Git Flow integration tests: real repositories, real hooks, full snapshots."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from relman.bootstrap import build_services
from relman.domain.branches import BranchKind
from relman.domain.flow_steps import git_commands
from relman.services import flow as flow_service
from relman.services.flow import FlowOutcome
from relman.services.flow_files import NotesTools

PYPROJECT = '[project]\nname = "smart-dairy"\nversion = "{version}"\n'


def git(path: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


def snapshot(path: Path) -> dict[str, Any]:
    """Everything a failed workflow must leave exactly as it was."""
    files = {}
    for file in sorted(path.rglob("*")):
        if ".git" in file.relative_to(path).parts or not file.is_file():
            continue
        files[file.relative_to(path).as_posix()] = hashlib.sha256(file.read_bytes()).hexdigest()
    return {
        "refs": git(path, "for-each-ref", "--format=%(refname) %(objectname)"),
        "head": git(path, "symbolic-ref", "-q", "HEAD", check=False)
        or git(path, "rev-parse", "HEAD"),
        "status": git(path, "status", "--porcelain", "--ignored", "--untracked-files=all"),
        "index": git(path, "ls-files", "-s"),
        "files": files,
        "branch_config": git(path, "config", "--local", "--get-regexp", r"^branch\.", check=False),
        "merge_head": (path / ".git" / "MERGE_HEAD").exists(),
    }


def services(path: Path) -> Any:
    return build_services(repo=path)


def tools(svc: Any) -> NotesTools:
    return NotesTools(
        versioning=svc.versioning_policy, notes=svc.notes_policy, renderer=svc.notes_renderer
    )


def run(path: Path, action: str, arg: str | None = None, **kw: Any) -> FlowOutcome:
    """Run one workflow through the services layer, wired like the CLI wires it."""
    svc = services(path)
    common = {"flow": svc.git_flow, "policy": svc.flow_policy, **kw}
    kind, _, verb = action.partition(" ")
    if kind in ("feature", "bugfix"):
        fn = flow_service.start_branch if verb == "start" else flow_service.finish_branch
        if verb == "start":
            return fn(kind=BranchKind(kind), name=arg or "", **common)
        return fn(kind=BranchKind(kind), name=arg, **common)
    if action == "release start":
        return flow_service.start_release(
            git=svc.git, versioning=svc.versioning_policy, version=arg or "auto", **common
        )
    if action == "release finish":
        return flow_service.finish_release(git=svc.git, tools=tools(svc), name=arg, **common)
    if action == "hotfix start":
        return flow_service.start_hotfix(git=svc.git, description=arg, **common)
    if action == "hotfix finish":
        return flow_service.finish_hotfix(git=svc.git, tools=tools(svc), name=arg, **common)
    if action == "init":
        return flow_service.init_flow(
            config_path=None,
            flow_table=flow_service.render_flow_table(svc.settings.flow),
            **common,
        )
    raise AssertionError(f"unknown action {action}")


# ---------------------------------------------------------------- failure injection with hooks


def install_hook(path: Path, name: str, body: str) -> Path:
    hook = path / ".git" / "hooks" / name
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    hook.chmod(0o755)
    return hook


def install_failing_hook(path: Path, name: str, message: str = "hook says no") -> Path:
    return install_hook(path, name, f"cat >/dev/null 2>&1\necho '{message}' >&2\nexit 1\n")


def install_nth_failure(path: Path, kind: str, n: int, counter: Path) -> None:
    """Make the ``n``-th ref transaction (``kind="ref"``) or checkout (``"checkout"``) fail once.

    ``reference-transaction`` aborts every ref update of the workflow's commits, merges, tags,
    branch creations and deletions; ``post-checkout`` turns a checkout's exit status to 1.
    """
    counter.write_text("0", encoding="utf-8")
    count = f'n=$(($(cat "{counter}") + 1)); echo "$n" > "{counter}"\n'
    fail = f'if [ "$n" -eq {n} ]; then echo "injected failure #{n}" >&2; exit 1; fi\nexit 0\n'
    if kind == "ref":
        body = 'cat >/dev/null\n[ "$1" = prepared ] || exit 0\n' + count + fail
        install_hook(path, "reference-transaction", body)
    else:
        install_hook(path, "post-checkout", count + fail)


def remove_hooks(path: Path) -> None:
    for name in ("reference-transaction", "post-checkout", "pre-commit", "commit-msg"):
        (path / ".git" / "hooks" / name).unlink(missing_ok=True)


def collect_failure_points(
    template: Path, workflow: Callable[[Path], FlowOutcome]
) -> tuple[set[int], FlowOutcome]:
    """Fail the workflow at every ref update and at every checkout, one at a time.

    Each attempt runs on a fresh copy of ``template``; after each failure the copy must be
    exactly as before (refs, HEAD, index, files, branch config). Returns the step numbers that
    failed, and the outcome of the run that got past the last injection point.
    """
    from relman.errors import RelmanError

    failed: set[int] = set()
    outcome: FlowOutcome | None = None
    counter = template.parent / "hook-counter"
    for kind in ("ref", "checkout"):
        for n in range(1, 100):
            work = template.parent / f"attempt-{kind}-{n}"
            shutil.copytree(template, work, symlinks=True)
            before = snapshot(work)
            install_nth_failure(work, kind, n, counter)
            try:
                outcome = workflow(work)
            except RelmanError as exc:
                assert "nothing was changed" in exc.message, exc.message
                assert f"injected failure #{n}" in exc.message, exc.message
                failed.add(int(exc.details["step"]))
                remove_hooks(work)
                assert snapshot(work) == before, f"{kind} failure #{n} left changes"
                shutil.rmtree(work)
                continue
            shutil.rmtree(work)
            break  # past the last ref update / checkout: the workflow succeeded
        else:  # pragma: no cover
            raise AssertionError("the workflow never succeeded")
    assert outcome is not None
    return failed, outcome


def list_git_steps(outcome: FlowOutcome) -> set[int]:
    """The numbers of the steps that run git (every step but plain file writes)."""
    return {i for i, step in enumerate(outcome.plan.steps, 1) if git_commands(step)}
