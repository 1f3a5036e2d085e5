"""Smart Dairy sample application: a stand-in for the Smart Dairy Smart Portal + ERP.

A small web service (stdlib ``http.server`` + psycopg 3) used by relman's deployment tests and
demos. A release of it is a tarball holding this package, a ``VERSION`` file and, for
deliberately bad builds, a ``FAULT`` file (see ``faults.py`` and ``build.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
RELEASE_DIR = PACKAGE_DIR.parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"

_VERSION_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$"
)


def parse_version_key(text: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """A sort key with SemVer precedence (a release sorts after its prereleases)."""
    match = _VERSION_RE.match(text.strip())
    if match is None:
        raise ValueError(f"invalid version {text!r}: expected MAJOR.MINOR.PATCH[-PRE][+BUILD]")
    major, minor, patch, pre = match.groups()
    parts: tuple[tuple[int, int | str], ...] = ()
    if pre:
        parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), 0 if pre else 1, parts)


def read_release_file(name: str, default: str = "") -> str:
    """A file of the release directory (``VERSION``, ``FAULT``), stripped; default if absent."""
    path = RELEASE_DIR / name
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return default


def read_version() -> str:
    return read_release_file("VERSION", "0.0.0-dev")
