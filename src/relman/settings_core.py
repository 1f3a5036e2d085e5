"""The sections of relman.toml that reading git needs (where the file is found and how
``RELMAN_*`` overrides apply: `relman.settings_source`).

`CoreSettings` holds the sections that the commands which only read git use (``project``,
``versioning``, ``commits``, ``components``, ``notes``, ``flow``). `relman.settings.Settings` is
the whole file: it extends `CoreSettings` with the J-003 sections. A command validates what it
uses: ``relman version next`` validates the core sections (and refuses an unknown section), the
lifecycle commands and ``relman policy check`` the whole file. Building the pydantic models of the
whole J-003 policy cost about a quarter of the instructions of a command's start-up
(docs/benchmarks.md), which is why they are apart.

Every model forbids unknown keys so a typo fails loudly, and a validation error names the file,
the line and the dotted key path.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator

from relman.policy_settings.base import PolicyModel, j003_default
from relman.policy_settings.components import COMPONENTS
from relman.settings_source import PolicySource

__all__ = [
    "SECTIONS",
    "CommitSettings",
    "CommitTypeSettings",
    "ComponentSettings",
    "CoreSettings",
    "FlowSettings",
    "NotesSettings",
    "ProjectSettings",
    "VersioningSettings",
    "validate_core",
]

# Every top-level table of relman.toml (the fields of `relman.settings.Settings`; a test keeps the
# two in step). A name outside this set is a typo, refused even by the commands that validate
# only the core sections.
SECTIONS = frozenset(
    {
        "project", "versioning", "commits", "components", "notes", "objectives",
        "release_types", "lifecycle", "gates", "evidence", "compatibility", "environments",
        "promotion", "checklists", "communication", "notifications", "windows", "severities",
        "emergency", "thresholds", "roles", "people", "flow", "verification", "deployments",
    }
)  # fmt: skip


class ProjectSettings(PolicyModel):
    """Who we are releasing."""

    name: str = "Smart Dairy ERP"
    timezone: str = "Asia/Dhaka"
    support_url: str = "https://support.smartdairybd.com/tickets"
    support_contact: str = "release-management@smartdairybd.com"


def _check_tag_format(value: str) -> str:
    if "{version}" not in value:
        raise ValueError("tag format must contain '{version}'")
    if value.count("{version}") > 1:
        raise ValueError("tag format must contain '{version}' only once")
    return value


def _check_version(value: str) -> str:
    from relman.domain.versions import Version
    from relman.errors import InvalidVersionError

    try:
        Version.parse(value)
    except InvalidVersionError as exc:
        raise ValueError(exc.message) from None
    return value


class CommitTypeSettings(PolicyModel):
    """What one Conventional Commits type means for the version and the notes."""

    bump: Literal["major", "minor", "patch", "none"] = "none"
    section: str | None = None
    description: str = ""


def _default_commit_types() -> dict[str, CommitTypeSettings]:
    t = CommitTypeSettings
    return {
        "feat": t(bump="minor", section="New Features", description="New feature"),
        "fix": t(bump="patch", section="Bug Fixes", description="Bug fix"),
        "perf": t(bump="patch", section="Enhancements", description="Performance"),
        "security": t(bump="patch", section="Security", description="Security fix"),
        "refactor": t(bump="none", section="Enhancements", description="Code refactoring"),
        "docs": t(description="Documentation"),
        "style": t(description="Code style changes"),
        "test": t(description="Tests"),
        "chore": t(description="Maintenance"),
        "build": t(description="Build system"),
        "ci": t(description="Continuous integration"),
        "revert": t(description="Reverts a previous commit"),
    }


class CommitSettings(PolicyModel):
    """Conventional Commits rules (J-003 §5.4)."""

    types: dict[str, CommitTypeSettings] = Field(default_factory=_default_commit_types)
    breaking_bump: Literal["major", "minor", "patch"] = "major"
    # The 0.x rule: while MAJOR is 0, a breaking change bumps MINOR instead of MAJOR.
    zero_major_breaking_bumps_minor: bool = False
    # Merge commits: skip them, or read the pull-request title / the squashed body.
    merge_commits: Literal["skip", "title", "body"] = "skip"
    ticket_patterns: list[str] = Field(default_factory=lambda: [r"SD-\d+"])
    allowed_scopes: list[str] = Field(default_factory=list)
    header_max_length: int = 100
    # Refactors appear under Enhancements only when they carry this footer (users can see them).
    visible_refactor_footer: str = "User-Visible"

    @field_validator("ticket_patterns")
    @classmethod
    def _valid_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
        return value


class ComponentSettings(PolicyModel):
    """One independently versioned component (J-003 §4.3)."""

    paths: list[str] = Field(default_factory=list)
    tag_format: str = "v{version}"
    scheme: Literal["semver", "odoo", "mobile", "schema"] = "semver"
    description: str = ""

    _tag = field_validator("tag_format")(_check_tag_format)


class VersioningSettings(PolicyModel):
    """SemVer and tags (J-003 §4)."""

    tag_format: str = "v{version}"
    # The first release of a repository with no release tag.
    initial_version: str = "0.1.0"
    prerelease_tokens: list[str] = Field(default_factory=lambda: ["alpha", "beta", "rc"])
    hotfix_token: str = "hotfix"

    _tag = field_validator("tag_format")(_check_tag_format)
    _initial = field_validator("initial_version")(_check_version)


class NotesSettings(PolicyModel):
    """Release notes (J-003 §10)."""

    title: str = "Release Notes - {product} v{version}"
    default_severity: str = "Medium"
    archive_dir: str = "docs/releases"
    changelog_file: str = "CHANGELOG.md"
    template_dir: str | None = None
    migration_paths: list[str] = Field(
        default_factory=lambda: ["migrations/**", "**/migrations/**", "db/migrations/**"]
    )
    config_paths: list[str] = Field(
        default_factory=lambda: ["config/**", "**/*.conf", "**/*.cfg", "**/*.ini", ".env.example"]
    )
    dependency_files: list[str] = Field(
        default_factory=lambda: ["**/requirements*.txt", "**/pyproject.toml", "**/__manifest__.py"]
    )
    upgrade_instructions: list[str] = Field(
        default_factory=lambda: [
            "Take and verify a production database backup (pg_dump -Fc).",
            "Deploy the release with `relman deploy` in the approved deployment window.",
            "Run the database migrations (`odoo -u all -d smart_dairy --stop-after-init`).",
            "Run the smoke test suite and watch the monitoring thresholds (J-003 §14).",
        ]
    )
    rollback_instructions: str = (
        "Follow the rollback procedure of J-003 §9.3: `relman rollback prod --to {previous}`. "
        "Restore the pre-migration backup if the schema changed."
    )


class FlowSettings(PolicyModel):
    """Git Flow (J-003 §5): branch names, tag messages, version files (`relman flow`)."""

    main: str = "main"
    develop: str = "develop"
    feature_prefix: str = "feature/"
    bugfix_prefix: str = "bugfix/"
    release_prefix: str = "release/"
    hotfix_prefix: str = "hotfix/"
    release_tag_message: str = "Release {version}"
    hotfix_tag_message: str = "Hotfix {version}"
    bump_message: str = "chore(release): bump version to {version}"
    notes_message: str = "docs(release): release notes for {version}"
    # Repository-relative globs of the files that carry the version (pyproject.toml,
    # package.json, Odoo __manifest__.py, VERSION); files declaring no version are skipped.
    version_files: list[str] = Field(
        default_factory=lambda: ["pyproject.toml", "package.json", "VERSION", "**/__manifest__.py"]
    )
    remote: str = "origin"
    push: bool = False

    @field_validator("release_tag_message", "hotfix_tag_message", "bump_message", "notes_message")
    @classmethod
    def _valid_template(cls, value: str) -> str:
        try:
            value.format(version="1.2.0")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"only the {{version}} placeholder is allowed: {exc}") from exc
        return value

    @field_validator(
        "main",
        "develop",
        "feature_prefix",
        "bugfix_prefix",
        "release_prefix",
        "hotfix_prefix",
        "remote",
    )
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not value or any(ch.isspace() or ch in "~^:?*[\\" for ch in value):
            raise ValueError(f"{value!r} is not a valid git name")
        return value


class CoreSettings(PolicyModel):
    """The sections that reading git needs; the other tables are left to `Settings`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    project: ProjectSettings = Field(default_factory=ProjectSettings)
    versioning: VersioningSettings = Field(default_factory=VersioningSettings)
    commits: CommitSettings = Field(default_factory=CommitSettings)
    components: dict[str, ComponentSettings] = j003_default(COMPONENTS)
    notes: NotesSettings = Field(default_factory=NotesSettings)
    flow: FlowSettings = Field(default_factory=FlowSettings)


# --------------------------------------------------------------------------------------
# Validating


def validate_core(source: PolicySource) -> CoreSettings | None:
    """The core sections, validated; None when the file has something only the whole policy
    can judge (an unknown section, an invalid core value): the caller then validates the whole
    file (`relman.settings.validate_source`), whose error names the file, line and key."""
    data = source.data(lambda: CoreSettings().model_dump(mode="json"))
    if not set(data) <= SECTIONS:
        return None
    try:
        return CoreSettings.model_validate(data)
    except ValidationError:
        return None
