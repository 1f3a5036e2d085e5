"""The one composition root: settings -> domain policies + concrete adapters -> services.

Entrypoints (CLI, API) call :func:`build_services` and never build adapters themselves.
Everything is created lazily so that a command pays only for what it uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from relman.settings import Settings, load_settings

if TYPE_CHECKING:
    from relman.ports import GitRepo


@dataclass
class Services:
    """Wired collaborators for one repository and one policy."""

    settings: Settings
    repo_path: Path
    overrides: dict[str, object] = field(default_factory=dict)

    @cached_property
    def git(self) -> GitRepo:
        injected = self.overrides.get("git")
        if injected is not None:
            return injected  # type: ignore[return-value]
        from relman.adapters.git_cli import GitCli

        return GitCli(self.repo_path)


def build_services(
    *, repo: Path, config: Path | None = None, settings: Settings | None = None, **overrides: object
) -> Services:
    """Load the policy for ``repo`` and wire the services (adapters may be overridden)."""
    repo = repo.resolve()
    if settings is None:
        settings = load_settings(repo, config_file=config)
    return Services(settings=settings, repo_path=repo, overrides=dict(overrides))
