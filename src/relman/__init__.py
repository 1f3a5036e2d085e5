"""relman: release management that runs the whole written plan from one policy file.

Library API for scripts and plugins::

    from relman import Version, parse_commit

Names are imported lazily so that ``import relman`` (and ``relman --help``) stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Version", "__version__", "parse_commit"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from relman.domain.commits import parse_commit
    from relman.domain.versions import Version


def __getattr__(name: str) -> Any:
    if name == "Version":
        from relman.domain.versions import Version

        return Version
    if name == "parse_commit":
        from relman.domain.commits import parse_commit

        return parse_commit
    raise AttributeError(f"module 'relman' has no attribute {name!r}")
