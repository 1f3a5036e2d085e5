"""The `git` executable as a :class:`relman.ports.GitRepo`.

Every call passes an argv list (never a shell string) and runs in the repository root, so
path filters are always repository-relative. ``git log`` is streamed: one process for the whole
range, its NUL-terminated records read incrementally from a pipe and yielded one by one, so
memory stays flat on histories of any length. Every failure of git (or of starting it) becomes a
:class:`~relman.errors.GitError` or :class:`~relman.errors.NotFoundError` carrying git's stderr.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from relman.errors import GitError, NotFoundError
from relman.ports import FileChange, RawCommit, TagRef

# Fields of one commit record, separated by RS (0x1e); records end with NUL (`git log -z`).
_LOG_FORMAT = "--format=%H%x1e%P%x1e%an%x1e%ae%x1e%cI%x1e%B"
_FIELDS = 6
_CHUNK = 1 << 20
_PIPE_SIZE = 1 << 20
_SMALL_READ = 1 << 16
_NAP = 0.003  # seconds
_GLOB_CHARS = frozenset("*?[")
_WILDCARDS = frozenset("*?[\\")
_UNKNOWN_REV = re.compile(
    r"unknown revision|bad revision|ambiguous argument|not a valid object name|"
    r"invalid object name|bad object|malformed object name|not a tree object",
    re.IGNORECASE,
)
# Settings that would change git's output format behind our back.
_CONFIG = ("-c", "log.showSignature=false", "-c", "core.quotePath=false", "-c", "color.ui=false")


def to_pathspec(pattern: str) -> str:
    """A path filter as a git pathspec: globs (``addons/farm/**``) get the ``:(glob)`` magic."""
    if pattern.startswith(":"):
        return pattern  # already a pathspec with magic
    if any(ch in _GLOB_CHARS for ch in pattern):
        return f":(glob){pattern}"
    return pattern


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"LC_ALL": "C", "LANGUAGE": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"})
    # Into a pipe git flushes after every record (one write per commit: +50% time on 100k
    # commits); fully buffered it costs what `git log > /dev/null` costs.
    env["GIT_FLUSH"] = "0"
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(name, None)  # never let an outer hook's repository leak into ours
    return env


class GitCli:
    """Read access to one git repository through the ``git`` executable."""

    def __init__(self, path: str | Path, *, executable: str = "git") -> None:
        self._git = executable
        self._env = _git_env()
        directory = Path(path)
        if not directory.is_dir():
            raise GitError("not a git repository: no such directory", where=str(path))
        proc = self._run_raw(["rev-parse", "--show-toplevel"], cwd=directory)
        if proc.returncode != 0:
            raise GitError(
                f"not a git repository: {_stderr_line(proc.stderr)}",
                where=str(directory.resolve()),
                hint="run relman inside a git work tree, or pass -C/--repo",
            )
        self._root = proc.stdout.decode("utf-8", "replace").strip()

    # ------------------------------------------------------------------ plumbing

    @property
    def root(self) -> str:
        return self._root

    def _run_raw(
        self, args: Sequence[str], *, cwd: str | Path | None = None, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        argv = [self._git, *_CONFIG, *args]
        try:
            return subprocess.run(
                argv,
                cwd=cwd if cwd is not None else self._root,
                env=self._env,
                input=stdin,
                capture_output=True,
                check=False,
            )
        except OSError as exc:
            raise GitError(
                f"cannot run git: {exc.strerror or exc}",
                where=str(cwd if cwd is not None else self._root),
                hint="install git and make sure it is on PATH",
            ) from exc

    def _run(self, args: Sequence[str], *, ref: str | None = None) -> bytes:
        """Run git, return stdout; a failure becomes NotFoundError (bad ref) or GitError."""
        proc = self._run_raw(args)
        if proc.returncode != 0:
            raise self._failure(args, proc.returncode, proc.stderr, ref=ref)
        return proc.stdout

    def _failure(
        self, args: Sequence[str], code: int, stderr: bytes, *, ref: str | None
    ) -> GitError | NotFoundError:
        text = _stderr_line(stderr)
        if ref is not None and _UNKNOWN_REV.search(text):
            return NotFoundError(f"unknown revision {ref!r}", where=self._root, hint=text)
        return GitError(f"git {args[0]} failed (exit {code}): {text}", where=self._root)

    def _check_rev(self, ref: str) -> None:
        if not ref or ref.startswith("-") or "\0" in ref or "\n" in ref:
            raise NotFoundError(f"unknown revision {ref!r}", where=self._root)

    # ------------------------------------------------------------------ GitRepo

    def resolve(self, ref: str) -> str:
        """The full sha of the commit ``ref`` names; NotFoundError if there is none."""
        self._check_rev(ref)
        proc = self._run_raw(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"]
        )
        if proc.returncode != 0:
            raise NotFoundError(f"unknown revision {ref!r}", where=self._root)
        return proc.stdout.decode("ascii").strip()

    def iter_commits(
        self, rev_range: str | Sequence[str], paths: Sequence[str] = ()
    ) -> Iterator[RawCommit]:
        """Stream the commits of a range, newest first, from one ``git log`` process."""
        revs = [rev_range] if isinstance(rev_range, str) else list(rev_range)
        for rev in revs:
            self._check_rev(rev.lstrip("^") or rev)
        args = ["log", "-z", "--no-color", "--encoding=UTF-8", _LOG_FORMAT, "--end-of-options"]
        args += [*revs, "--", *(to_pathspec(p) for p in paths)]
        return self._stream_log(args, " ".join(revs))

    def _stream_log(self, args: list[str], label: str) -> Iterator[RawCommit]:
        with tempfile.TemporaryFile() as errfile:
            try:
                proc = subprocess.Popen(
                    [self._git, *_CONFIG, *args],
                    cwd=self._root,
                    env=self._env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=errfile,
                )
            except OSError as exc:
                raise GitError(f"cannot run git: {exc.strerror or exc}", where=self._root) from exc
            assert proc.stdout is not None
            _grow_pipe(proc.stdout.fileno())
            finished = False
            try:
                yield from _parse_log_stream(_read_chunks(proc.stdout.fileno()))
                finished = True
            finally:
                if not finished and proc.poll() is None:
                    proc.kill()  # the consumer stopped early: do not leave git running
                proc.stdout.close()
                code = proc.wait()
            if code != 0:
                errfile.seek(0)
                raise self._failure(args, code, errfile.read(), ref=label)

    def list_tags(self, merged_into: str | None = None, *, prefix: str = "") -> list[TagRef]:
        """Every tag (or those reachable from ``merged_into``) with its peeled commit sha.

        With ``prefix`` only tags whose name starts with it: git then checks the reachability
        of those tags only, which is what makes a component's tags cheap in a big repository.
        """
        args = ["for-each-ref", "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)"]
        if merged_into is not None:
            self._check_rev(merged_into)
            args.append(f"--merged={merged_into}")
        if prefix and not any(ch in _WILDCARDS for ch in prefix):
            # `*` stops at `/` in ref patterns: the second pattern catches `prefix.../...`
            args += [f"refs/tags/{prefix}*", f"refs/tags/{prefix}*/**"]
        else:
            args.append("refs/tags")
        out = self._run(args, ref=merged_into).decode("utf-8", "replace")
        tags = []
        for line in out.splitlines():
            name, sha, peeled = line.split("\0")
            if name.startswith(prefix):
                tags.append(TagRef(name=name, sha=peeled or sha))
        return tags

    def changed_files(self, base: str, head: str) -> list[FileChange]:
        """Paths changed from ``base`` to ``head`` (renames detected)."""
        self._check_rev(base)
        self._check_rev(head)
        args = ["diff", "--name-status", "-z", "-M", "--no-color", "--end-of-options", base, head]
        out = self._run([*args, "--"], ref=f"{base}..{head}").decode("utf-8", "replace")
        parts = out.split("\0")
        changes: list[FileChange] = []
        i = 0
        while i < len(parts) and parts[i]:
            status = parts[i]
            kind = status[0]
            if kind in "RC":
                changes.append(FileChange(status=kind, path=parts[i + 2], old_path=parts[i + 1]))
                i += 3
            else:
                changes.append(FileChange(status=kind, path=parts[i + 1]))
                i += 2
        return changes

    def read_file(self, ref: str, path: str) -> str | None:
        """A file's text at ``ref``; None if the path is not there; NotFoundError for a bad ref."""
        self._check_rev(ref)
        if "\n" in path or "\0" in path:
            return None
        spec = f"{ref}:{path.lstrip('/')}"
        proc = self._run_raw(["cat-file", "--batch"], stdin=(spec + "\n").encode("utf-8"))
        if proc.returncode != 0:
            raise self._failure(["cat-file"], proc.returncode, proc.stderr, ref=ref)
        out = proc.stdout
        header, _, body = out.partition(b"\n")
        fields = header.split(b" ")
        if len(fields) != 3 or fields[1] != b"blob":
            self.resolve(ref)  # a bad ref raises NotFoundError; a missing path is just None
            return None
        size = int(fields[2])
        return body[:size].decode("utf-8", "replace")

    def list_files(self, ref: str) -> list[str]:
        """Every file path in the tree of ``ref``."""
        self._check_rev(ref)
        out = self._run(["ls-tree", "-r", "--name-only", "-z", "--end-of-options", ref], ref=ref)
        return [p for p in out.decode("utf-8", "replace").split("\0") if p]

    def is_shallow(self) -> bool:
        return self._run(["rev-parse", "--is-shallow-repository"]).strip() == b"true"

    def current_branch(self) -> str | None:
        proc = self._run_raw(["symbolic-ref", "--quiet", "--short", "HEAD"])
        if proc.returncode != 0:
            return None  # detached HEAD
        return proc.stdout.decode("utf-8", "replace").strip() or None


def _grow_pipe(fd: int) -> None:
    """A 1 MiB pipe (Linux): git blocks less often and we wake up less often."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except (ImportError, AttributeError, OSError):
        pass  # another OS, or a lower /proc/sys/fs/pipe-max-size: the default pipe works too


def _read_chunks(fd: int) -> Iterator[bytes]:
    """The pipe's bytes in large chunks.

    git flushes after every commit, so a reader that is always ready wakes up once per commit
    (100k system calls for 100k commits). After a short read we nap a few milliseconds and let
    the pipe fill instead: ~500 reads for 100k commits, a tenth of the CPU, and git never
    blocks because the pipe (1 MiB) outlasts the nap.
    """
    while True:
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return
        yield chunk
        if len(chunk) < _SMALL_READ:
            time.sleep(_NAP)


def _parse_log_stream(chunks: Iterable[bytes]) -> Iterator[RawCommit]:
    """Split NUL-terminated ``git log -z`` records out of a stream of byte chunks.

    Only complete records are decoded (a chunk is cut after its last NUL), so a multi-byte
    character split between two reads is never broken.
    """
    pending = b""
    for chunk in chunks:
        end = chunk.rfind(b"\0")
        if end < 0:
            pending += chunk
            continue
        block = (pending + chunk[:end]) if pending else chunk[:end]
        pending = chunk[end + 1 :]
        yield from _to_commits(block.decode("utf-8", "replace").split("\0"))
    if pending.strip(b"\n"):
        yield from _to_commits([pending.decode("utf-8", "replace")])


def _to_commits(records: list[str]) -> Iterator[RawCommit]:
    make = RawCommit
    for record in records:
        try:
            sha, parents, name, email, date, message = record.split("\x1e", _FIELDS - 1)
        except ValueError:
            raise GitError(f"unexpected git log record: {record[:80]!r}") from None
        yield make(
            sha.lstrip("\n"),
            tuple(parents.split()) if parents else (),
            name,
            email,
            date,
            message.rstrip("\n"),
        )


def _stderr_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines) if lines else "no error message"
