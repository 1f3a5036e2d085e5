"""`DemoBuilder`: builds a release artifact of the sample app from an exact commit.

``git archive <ref>`` exports the commit's tree into a scratch folder, and the application's own
build script (``python -m smart_dairy_app.build VERSION [--fault F] --out DIR``, a reproducible
tarball) runs on that export: the artifact holds exactly what the commit holds, whatever the
work tree looks like. A ``fault`` bakes a deliberately bad build (``errors=0.1``: one business
request in ten answers 500), which is how the demo gets its bad canary.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from relman.errors import IntegrationError


class DemoBuilder:
    def __init__(self, *, python: str = sys.executable, git: str = "git") -> None:
        self.python = python
        self.git = git

    def build(
        self, repo: Path, ref: str, version: str, out: Path, *, fault: str | None = None
    ) -> tuple[Path, str]:
        """(artifact path, sha256 hex) of ``version`` built from ``ref``."""
        archive = subprocess.run(
            [self.git, "archive", "--format=tar", ref],
            cwd=repo, capture_output=True, check=False, timeout=60,
        )  # fmt: skip
        if archive.returncode != 0:
            raise IntegrationError(
                f"git archive {ref} failed: {archive.stderr.decode(errors='replace').strip()}",
                where=str(repo),
            )
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="relman-demo-build-") as scratch:
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
                tar.extractall(scratch, filter="data")
            argv = [self.python, "-m", "smart_dairy_app.build", version, "--out", str(out)]
            if fault:
                argv += ["--fault", fault]
            env = {**os.environ, "PYTHONPATH": scratch, "PYTHONDONTWRITEBYTECODE": "1"}
            proc = subprocess.run(
                argv, cwd=scratch, env=env, capture_output=True, text=True, check=False,
                timeout=120,
            )  # fmt: skip
        if proc.returncode != 0:
            raise IntegrationError(
                f"the build of {version} failed: {proc.stderr.strip() or proc.stdout.strip()}",
                where=" ".join(argv),
            )
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        return Path(result["artifact"]), str(result["sha256"])
