"""Release directories of the ``local`` target: verified, atomic installs of artifacts."""

from __future__ import annotations

import hashlib
import re
import shutil
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from relman.adapters.processes import read_json, write_json_atomic
from relman.errors import ConflictError, InvalidInputError, NotFoundError
from relman.ports import InstalledRelease

META_FILE = ".relman-release.json"
_NAME_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,127}$")


def check_name(kind: str, value: str) -> str:
    """A version or slot usable as a directory/file name; InvalidInputError otherwise."""
    if not _NAME_RE.match(value):
        raise InvalidInputError(
            f"invalid {kind} {value!r}: use letters, digits and . + _ - (max 128)",
            where=kind,
        )
    return value


def compute_file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def normalize_digest(digest: str) -> str:
    value = digest.strip().lower().removeprefix("sha256:")
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise InvalidInputError(f"invalid digest {digest!r}: expected 64 hex digits (sha256)")
    return value


def read_release(path: Path) -> InstalledRelease | None:
    meta = read_json(path / META_FILE)
    if meta is None:
        return None
    return InstalledRelease(
        version=str(meta["version"]),
        path=str(path),
        digest=str(meta["digest"]),
        installed_at=datetime.fromisoformat(str(meta["installed_at"])),
    )


def list_releases(releases_dir: Path) -> list[InstalledRelease]:
    """Installed releases, oldest install first (half-finished installs are ignored)."""
    found = []
    if releases_dir.is_dir():
        for child in releases_dir.iterdir():
            if child.is_dir() and not child.name.startswith("."):
                release = read_release(child)
                if release is not None:
                    found.append(release)
    return sorted(found, key=lambda r: (r.installed_at, r.version))


def install_release(
    releases_dir: Path, version: str, artifact: Path, digest: str, *, environment: str
) -> InstalledRelease:
    """Verify the artifact, unpack it to a temp dir, write VERSION + metadata, rename into place.

    Idempotent for the same digest; a different digest for an installed version is a conflict
    (a version is immutable). Nothing is left behind on failure.
    """
    check_name("version", version)
    expected = normalize_digest(digest)
    if not artifact.is_file():
        raise NotFoundError(f"artifact not found: {artifact}", where=str(artifact))
    actual = compute_file_digest(artifact)
    if actual != expected:
        raise InvalidInputError(
            f"artifact digest mismatch for {version}: expected {expected}, got {actual}",
            where=str(artifact),
        )
    final = releases_dir / version
    existing = read_release(final) if final.exists() else None
    if existing is not None:
        if existing.digest == actual:
            return existing
        raise ConflictError(
            f"version {version} is already installed on {environment} from another artifact "
            f"(digest {existing.digest[:12]}, new {actual[:12]}); a version is immutable",
            where=str(final),
        )
    if final.exists():  # a directory without metadata: a crashed install
        shutil.rmtree(final)
    releases_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=releases_dir, prefix=f".install-{version}-"))
    try:
        _unpack(artifact, tmp)
        _check_version_file(tmp, version, artifact)
        (tmp / "VERSION").write_text(f"{version}\n", encoding="utf-8")
        (tmp / "logs").mkdir(exist_ok=True)
        installed_at = datetime.now(UTC)
        write_json_atomic(
            tmp / META_FILE,
            {
                "version": version,
                "digest": actual,
                "artifact": str(artifact),
                "installed_at": installed_at.isoformat(),
            },
        )
        tmp.replace(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return InstalledRelease(version, str(final), actual, installed_at)


def _unpack(artifact: Path, dest: Path) -> None:
    try:
        with tarfile.open(artifact) as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise InvalidInputError(f"cannot unpack artifact: {exc}", where=str(artifact)) from exc


def _check_version_file(root: Path, version: str, artifact: Path) -> None:
    path = root / "VERSION"
    if path.is_file():
        found = path.read_text(encoding="utf-8").strip()
        if found and found != version:
            raise InvalidInputError(
                f"artifact is version {found}, not {version}", where=f"{artifact}:VERSION"
            )
