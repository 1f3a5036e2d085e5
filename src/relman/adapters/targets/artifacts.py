"""Builds kept by digest: ``<artifacts_dir>/<sha256>.tar.gz`` (`relman.ports.ArtifactStore`).

The first deployment of a release copies its artifact here; every later environment deploys the
kept copy, so "the same build" is the same bytes, checked by digest before each install.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from relman.adapters.targets.releases import compute_file_digest, normalize_digest
from relman.errors import InvalidInputError, NotFoundError


class LocalArtifactStore:
    """Implements `relman.ports.ArtifactStore` in a directory."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def digest(self, path: str) -> str:
        file = Path(path)
        if not file.is_file():
            raise NotFoundError(f"artifact not found: {file}", where=str(file))
        return compute_file_digest(file)

    def keep(self, path: str) -> tuple[str, str]:
        digest = self.digest(path)
        suffix = "".join(Path(path).suffixes[-2:]) or ".bin"
        final = self.directory / f"{digest}{suffix}"
        if final.is_file() and compute_file_digest(final) == digest:
            return str(final), digest
        self.directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.directory, prefix=".keep-", delete=False) as tmp:
            partial = Path(tmp.name)
        try:
            shutil.copyfile(path, partial)
            if compute_file_digest(partial) != digest:
                raise InvalidInputError(f"artifact {path} changed while it was copied", where=path)
            partial.replace(final)
        finally:
            partial.unlink(missing_ok=True)
        return str(final), digest

    def check(self, stored: str, digest: str) -> None:
        file = Path(stored)
        if not file.is_file():
            raise NotFoundError(
                f"the kept build {file} is gone: deploy it again with --artifact", where=str(file)
            )
        actual = compute_file_digest(file)
        if actual != normalize_digest(digest):
            raise InvalidInputError(
                f"the kept build {file} changed: sha256 {actual[:12]}, recorded {digest[:12]}",
                where=str(file),
            )
