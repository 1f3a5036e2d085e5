"""Build a release artifact of the sample app: a reproducible ``.tar.gz``.

    python -m smart_dairy_app.build 1.1.0 [--fault errors=0.5] [--out DIR]

The tarball holds ``VERSION``, ``FAULT`` (bad builds only) and the ``smart_dairy_app`` package
with the migrations up to that version (this build script excluded). Entries are sorted and
carry fixed owners, modes and mtimes, and gzip gets a zero timestamp and no file name, so the
same inputs always give the same sha256 digest. ``failing-migration`` adds one more migration
for the version that fails half-way (a transaction keeps it from leaving anything behind).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import tempfile
from pathlib import Path

from smart_dairy_app import PACKAGE_DIR, parse_version_key
from smart_dairy_app.faults import Faults
from smart_dairy_app.migrate import list_migrations

SOURCE_DATE_EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z
FAILING_MIGRATION = """\
-- Deliberately failing migration (fault: failing-migration).
ALTER TABLE milk_production ADD COLUMN fat_percent numeric(4, 2);
UPDATE smart_dairy_missing_table SET fat_percent = 0;
"""


def default_out_dir() -> Path:
    return Path(tempfile.gettempdir()) / "smart-dairy-artifacts"


def list_artifact_files(version: str, faults: Faults) -> dict[str, bytes]:
    """Archive name -> content for one build (pure apart from reading the package)."""
    key = parse_version_key(version)
    files: dict[str, bytes] = {"VERSION": f"{version}\n".encode()}
    if faults.describe():
        files["FAULT"] = f"{faults.describe()}\n".encode()
    migrations = list_migrations(PACKAGE_DIR / "migrations")
    wanted = {m.seq for m in migrations if parse_version_key(m.version) <= key}
    for path in sorted(PACKAGE_DIR.rglob("*")):
        rel = path.relative_to(PACKAGE_DIR)
        if not path.is_file() or "__pycache__" in rel.parts or path.suffix == ".pyc":
            continue
        if rel.as_posix() == "build.py":
            continue
        if rel.parts[0] == "migrations":
            match = re.match(r"^(\d+)_", path.name)
            if match is None or int(match.group(1)) not in wanted:
                continue
        files[f"smart_dairy_app/{rel.as_posix()}"] = path.read_bytes()
    if faults.failing_migration:
        seq = max((m.seq for m in migrations if m.seq in wanted), default=0) + 1
        name = f"smart_dairy_app/migrations/{seq:03d}_{version}.sql"
        files[name] = FAILING_MIGRATION.encode()
    return files


def write_tarball(files: dict[str, bytes], dest: Path) -> str:
    """Write a reproducible tar.gz atomically; return its sha256 hex digest."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = SOURCE_DATE_EPOCH
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(files[name]))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    data = packed.getvalue()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".build-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    Path(tmp).replace(dest)
    return hashlib.sha256(data).hexdigest()


def build_artifact(
    version: str, *, fault: str | None = None, out_dir: Path | None = None
) -> tuple[Path, str]:
    """Build ``smart-dairy-app-<version>[-<fault>].tar.gz``; return (path, sha256 hex digest).

    ValueError for an invalid version or fault text.
    """
    parse_version_key(version)
    faults = Faults.parse(fault or "")
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", faults.describe()).strip("-")
    name = f"smart-dairy-app-{version}{'-' + slug if slug else ''}.tar.gz"
    dest = (out_dir or default_out_dir()) / name
    digest = write_tarball(list_artifact_files(version, faults), dest)
    return dest, digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smart_dairy_app.build", description=__doc__)
    parser.add_argument("version")
    parser.add_argument("--fault", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        path, digest = build_artifact(args.version, fault=args.fault, out_dir=args.out)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"version": args.version, "artifact": str(path), "sha256": digest}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
