"""Components and the versioning policy (J-003 §4.3: each component keeps its own version).

A component is a part of the repository selected by path filters (``addons/smart_farm/**``)
with its own tag format (``farm-v{version}``) and version scheme. The repository as a whole is
the default component: no path filter, the policy's tag format, SemVer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from relman.domain.commits import CommitPolicy
from relman.domain.tags import TagFormat
from relman.domain.versions import HOTFIX_TOKEN, Version
from relman.errors import NotFoundError


@dataclass(frozen=True)
class Component:
    """An independently versioned part of the repository.

    ``name`` is None for the repository as a whole (the default component).
    ``paths`` are repository-relative path filters: a directory (``addons/smart_farm/``) or a
    glob (``addons/smart_farm/**``); empty means the whole repository.
    """

    name: str | None
    paths: tuple[str, ...] = ()
    tag_format: TagFormat = field(default_factory=TagFormat)
    scheme: str = "semver"

    @property
    def label(self) -> str:
        """How people see the component in messages."""
        return self.name if self.name is not None else "(repository)"


@dataclass(frozen=True)
class VersioningPolicy:
    """What the versioning services need from the policy file, as domain objects."""

    tag_format: TagFormat
    initial_version: Version
    components: Mapping[str, Component]
    commit_policy: CommitPolicy
    prerelease_tokens: tuple[str, ...] = ("alpha", "beta", "rc")
    hotfix_token: str = HOTFIX_TOKEN  # x.y.Z-hotfix.N (J-003 §4.2)
    # Where production lives (Git Flow's main): hotfixes are planned on its latest production
    # tag, as ``relman flow hotfix start`` branches from it. None, or a repository without the
    # branch: HEAD.
    production_branch: str | None = None

    @property
    def default_component(self) -> Component:
        """The repository as a whole."""
        return Component(name=None, paths=(), tag_format=self.tag_format, scheme="semver")

    def find_component(self, name: str | None) -> Component | None:
        """The component called ``name`` (None: the whole repository), or None if unknown."""
        if name is None:
            return self.default_component
        return self.components.get(name)

    def get_component(self, name: str | None) -> Component:
        """The component called ``name`` (None: the whole repository); NotFoundError if unknown."""
        found = self.find_component(name)
        if found is None:
            known = ", ".join(sorted(self.components)) or "none are configured"
            raise NotFoundError(
                f"unknown component {name!r} (known components: {known})",
                where="components",
                hint="declare components as components.NAME tables in relman.toml",
            )
        return found
