"""Views of a GitRepo for one use case: remembered tag listings, counted commits.

:class:`GitRepoView` delegates every call; a view overrides what it changes.

``git for-each-ref --merged=REF`` walks the history to check every tag: on 100k commits and
5000 tags that is ~0.15 s per call. Release notes ask for the same listing twice (the range,
then the next version); inside one read-only use case nothing moves the tags in between, so
the second answer can be the first one.

:meth:`RememberedTags.prefetch_tags` starts a listing in a background thread: when the range
of the log is known before the tags are needed (``notes --from``), the tag walks run in their
own git processes while this one reads the log. Use the view as a context manager so that
those threads are joined.

:class:`CountingCommits` reports how many commits each log has streamed so far: the CLI shows
it while a long history is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from relman.ports import FileChange, GitRepo, RawCommit, TagRef

_Key = tuple[str | None, str]


class GitRepoView:
    """A GitRepo that delegates every call to ``git``."""

    def __init__(self, git: GitRepo) -> None:
        self._git = git

    @property
    def root(self) -> str:
        return self._git.root

    def resolve(self, ref: str) -> str:
        return self._git.resolve(ref)

    def iter_commits(
        self, rev_range: str | Sequence[str], paths: Sequence[str] = ()
    ) -> Iterator[RawCommit]:
        return self._git.iter_commits(rev_range, paths)

    def list_tags(self, merged_into: str | None = None, *, prefix: str = "") -> list[TagRef]:
        return self._git.list_tags(merged_into, prefix=prefix)

    def changed_files(self, base: str, head: str) -> list[FileChange]:
        return self._git.changed_files(base, head)

    def read_file(self, ref: str, path: str) -> str | None:
        return self._git.read_file(ref, path)

    def list_files(self, ref: str) -> list[str]:
        return self._git.list_files(ref)

    def is_shallow(self) -> bool:
        return self._git.is_shallow()

    def current_branch(self) -> str | None:
        return self._git.current_branch()


class RememberedTags(GitRepoView):
    """``list_tags`` answers each (ref, prefix) once."""

    def __init__(self, git: GitRepo) -> None:
        super().__init__(git)
        self._tags: dict[_Key, list[TagRef]] = {}
        self._pending: dict[_Key, Future[list[TagRef]]] = {}
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> RememberedTags:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # a listing still running ends with its git process
            self._pool = None
        self._pending.clear()

    def prefetch_tags(self, merged_into: str | None = None, *, prefix: str = "") -> None:
        """Start :meth:`list_tags` in the background; its errors surface when it is asked for."""
        key = (merged_into, prefix)
        if key in self._tags or key in self._pending:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="relman-tags")
        self._pending[key] = self._pool.submit(self._git.list_tags, merged_into, prefix=prefix)

    def list_tags(self, merged_into: str | None = None, *, prefix: str = "") -> list[TagRef]:
        key = (merged_into, prefix)
        if key not in self._tags:
            pending = self._pending.pop(key, None)
            self._tags[key] = (
                pending.result()
                if pending is not None
                else self._git.list_tags(merged_into, prefix=prefix)
            )
        return list(self._tags[key])


class CountingCommits(GitRepoView):
    """Calls ``on_count(n)`` every ``every`` commits a log streams (from ``show_after`` on), and
    ``on_done()`` when a log that was counted ends, is closed or fails."""

    def __init__(
        self,
        git: GitRepo,
        *,
        on_count: Callable[[int], None],
        on_done: Callable[[], None],
        every: int = 1000,
        show_after: int = 2000,
    ) -> None:
        super().__init__(git)
        self._on_count, self._on_done = on_count, on_done
        self._every, self._show_after = every, show_after

    def iter_commits(
        self, rev_range: str | Sequence[str], paths: Sequence[str] = ()
    ) -> Iterator[RawCommit]:
        return self._count(self._git.iter_commits(rev_range, paths))

    def _count(self, commits: Iterator[RawCommit]) -> Iterator[RawCommit]:
        count, every, show_after = 0, self._every, self._show_after
        try:
            for raw in commits:
                count += 1
                if count % every == 0 and count >= show_after:
                    self._on_count(count)
                yield raw
        finally:
            close = getattr(commits, "close", None)
            if close is not None:
                close()  # an early stop ends the git process too
            if count >= show_after:
                self._on_done()
