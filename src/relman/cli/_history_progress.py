"""Progress on long histories: a spinner on stderr with the commits read so far.

Only when stderr is a terminal (``isatty``, whatever ``FORCE_COLOR`` says), and only once a log
passes 2,000 commits: a short range, a pipe, a CI log file and ``--json`` consumers see nothing,
and relman's stdout stays exactly the same. The repository is wrapped when it is first opened,
so a command that never reads git (``notes --from-context``) never opens it.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from relman.cli import _common
from relman.services.git_views import CountingCommits

if TYPE_CHECKING:
    import typer
    from rich.console import Console
    from rich.status import Status

    from relman.bootstrap import Services
    from relman.ports import GitRepo

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


def _stderr_is_terminal() -> bool:
    try:
        return os.isatty(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):  # replaced by a test's capture, or closed
        return False


def show_history_progress(ctx: typer.Context, svc: Services) -> None:
    """Count the commits ``svc.git`` streams, on a spinner, when stderr is a terminal.

    The spinner also stops when the command ends (``ctx.call_on_close``), before an error that
    interrupted a log is printed.
    """
    if not _stderr_is_terminal():
        return
    spinner = _Spinner(_common.console(stderr=True))
    ctx.call_on_close(spinner.stop)

    def count(git: GitRepo) -> GitRepo:
        return CountingCommits(git, on_count=spinner.update, on_done=spinner.stop)

    svc.git_view = count
