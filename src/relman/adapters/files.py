"""Local text files, written atomically: a temp file in the same folder, then ``os.replace``.

A reader never sees a half-written file, and a failed write leaves the old file untouched.
:meth:`LocalFiles.write_texts` writes several files as one step: every temp file is written
first, and only when all succeeded are they renamed into place (so a bad path or a full disk
writes nothing).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from relman.errors import InvalidInputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_temp(path: Path, text: str) -> Path:
    """Write ``text`` to a new temp file next to ``path`` and return the temp path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        temp.chmod(mode)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return temp


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename (InvalidInputError if it cannot be written)."""
    LocalFiles().write_texts({path: text})


class LocalFiles:
    """Text files on the local disk."""

    def read_text(self, path: Path) -> str | None:
        """The file's text, or None when it does not exist."""
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise InvalidInputError(f"cannot read file: {reason}", where=str(path)) from exc

    def list_names(self, directory: Path) -> list[str]:
        """Names of the files in a folder (empty when the folder does not exist), sorted."""
        try:
            return sorted(p.name for p in directory.iterdir() if p.is_file())
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise InvalidInputError(
                f"cannot list folder: {exc.strerror}", where=str(directory)
            ) from exc

    def write_texts(self, files: Mapping[Path, str]) -> None:
        """Write every file, or none of them."""
        temps: list[tuple[Path, Path]] = []
        try:
            for path, text in files.items():
                temps.append((_write_temp(path, text), path))
        except OSError as exc:
            for temp, _ in temps:
                with contextlib.suppress(OSError):
                    temp.unlink()
            target = Path(exc.filename) if exc.filename else next(iter(files))
            raise InvalidInputError(
                f"cannot write file: {exc.strerror or exc}", where=str(target)
            ) from exc
        for temp, path in temps:
            temp.replace(path)
