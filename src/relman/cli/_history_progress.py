"""Progress on long histories: a spinner on stderr with the commits read so far.

Only on a terminal, and only once a log passes 2,000 commits: a short range, a pipe, CI and
``--json`` consumers see nothing, and relman's stdout stays exactly the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relman.cli import _common
from relman.services.git_views import CountingCommits

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status

    from relman.bootstrap import Services

LABEL = "Reading history"


class _Spinner:
    def __init__(self, console: Console) -> None:
        self._console = console
        self._status: Status | None = None

    def update(self, count: int) -> None:
        text = f"{LABEL}: {count:,} commits"
        if self._status is None:
            self._status = self._console.status(text, spinner="dots")
            self._status.start()
        else:
            self._status.update(text)

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def show_history_progress(svc: Services) -> None:
    """Count the commits ``svc.git`` streams, on a spinner, when stderr is a terminal."""
    err = _common.console(stderr=True)
    if not err.is_terminal:
        return
    spinner = _Spinner(err)
    svc.git = CountingCommits(svc.git, on_count=spinner.update, on_done=spinner.stop)
