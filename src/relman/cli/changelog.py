"""`relman changelog`: write or update CHANGELOG.md."""

from __future__ import annotations


def changelog() -> None:
    """Write or update CHANGELOG.md."""
    raise NotImplementedError
