"""`DemoClock`: simulated time for ``relman demo``, injected as relman's `Clock` port.

The demo plays two weeks of a release in two minutes. Its clock starts at a chosen moment and
the demo moves it (`set`, `advance`) into the deployment windows of the story; between moves
time runs at the real pace, so what a stage measures (a deployment, a rollback) keeps its real
length. The system clock is never touched.

Git records the simulated time too: every move exports ``GIT_AUTHOR_DATE`` and
``GIT_COMMITTER_DATE`` into this process's environment, so the commits and tags relman makes
during the demo (version bump, release notes, merges) are dated inside the story.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

_GIT_DATES = ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")


class DemoClock:
    """Implements `relman.ports.Clock`; ``now()`` = the simulated anchor + real time since."""

    def __init__(self, start: datetime, *, export_git_dates: bool = True) -> None:
        if start.tzinfo is None:
            raise ValueError("the demo clock needs an aware datetime")
        self._export = export_git_dates
        self._saved = {k: os.environ.get(k) for k in _GIT_DATES}
        self._anchor = start
        self._mark = time.monotonic()
        self._export_git_dates()

    def now(self) -> datetime:
        return self._anchor + timedelta(seconds=time.monotonic() - self._mark)

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (never backwards: the story's time only moves on)."""
        if moment.tzinfo is None:
            raise ValueError("the demo clock needs an aware datetime")
        self._anchor = max(moment, self.now())
        self._mark = time.monotonic()
        self._export_git_dates()

    def advance(self, delta: timedelta) -> None:
        self.set(self.now() + delta)

    def _export_git_dates(self) -> None:
        if not self._export:
            return
        stamp = self.now().replace(microsecond=0).isoformat()
        for name in _GIT_DATES:
            os.environ[name] = stamp

    def close(self) -> None:
        """Give git its own dates back (the values from before the demo)."""
        if not self._export:
            return
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
