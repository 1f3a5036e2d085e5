"""`GitHistoryWriter`: writes a repository's history commit by commit with the git executable.

Used by ``relman demo`` to build the sample application's repository: every commit, merge and
annotated tag carries the author and the date it is given (``GIT_AUTHOR_DATE`` /
``GIT_COMMITTER_DATE``), so the same story always gives the same history. Argv lists only.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from relman.errors import GitError


class GitHistoryWriter:
    """A new repository in ``root`` (created by `init`), written through its work tree."""

    def __init__(self, root: Path, *, executable: str = "git") -> None:
        self.root = root
        self._git = executable

    # ------------------------------------------------------------------ plumbing

    def _run(
        self, args: Sequence[str], *, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
        }
        full_env.update({"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"})
        full_env.update(env or {})
        try:
            proc = subprocess.run(
                [self._git, "-c", "core.quotePath=false", *args],
                cwd=self.root,
                env=full_env,
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GitError(f"cannot run git: {exc}", where=str(self.root)) from exc
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise GitError(
                f"git {' '.join(args[:2])} failed: {detail[-1] if detail else 'no message'}",
                where=str(self.root),
            )
        return proc

    @staticmethod
    def _identity(name: str, email: str, at: datetime) -> dict[str, str]:
        stamp = at.isoformat()
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": stamp,
        }

    # ------------------------------------------------------------------ operations

    def init(self, *, branch: str, user_name: str, user_email: str) -> None:
        """``git init`` with ``branch`` as the first branch and a local identity."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._run(["init", "--quiet", f"--initial-branch={branch}"])
        self._run(["config", "user.name", user_name])
        self._run(["config", "user.email", user_email])
        self._run(["config", "commit.gpgsign", "false"])
        self._run(["config", "tag.gpgsign", "false"])

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def read(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")

    def commit(self, message: str, *, name: str, email: str, at: datetime) -> str:
        """Stage everything and commit it; the new commit's sha."""
        self._run(["add", "--all"])
        self._run(
            ["commit", "--quiet", "--no-verify", "-m", message],
            env=self._identity(name, email, at),
        )
        return self.head()

    def head(self) -> str:
        return self._run(["rev-parse", "HEAD"]).stdout.strip()

    def branch(self, name: str, start: str) -> None:
        self._run(["branch", name, start])

    def checkout(self, name: str) -> None:
        self._run(["checkout", "--quiet", name])

    def merge(self, branch: str, message: str, *, name: str, email: str, at: datetime) -> str:
        """``git merge --no-ff`` (Git Flow keeps the branch visible); the merge commit's sha."""
        self._run(
            ["merge", "--no-ff", "--no-edit", "--quiet", "-m", message, branch],
            env=self._identity(name, email, at),
        )
        return self.head()

    def tag(self, name: str, message: str, *, tagger: str, email: str, at: datetime) -> None:
        """An annotated tag at HEAD."""
        self._run(["tag", "--annotate", name, "-m", message], env=self._identity(tagger, email, at))

    def delete_branch(self, name: str) -> None:
        self._run(["branch", "--quiet", "-d", name])

    def count_commits(self, ref: str = "HEAD") -> int:
        return int(self._run(["rev-list", "--count", ref]).stdout.strip())
