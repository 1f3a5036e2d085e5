"""relman.toml, the release policy as code: reading it, and the sections that reading git needs.

Settings are looked up in this order (the first found wins):

1. the file named by ``--config`` or ``RELMAN_CONFIG``;
2. ``relman.toml`` in the repository root;
3. ``[tool.relman]`` in the repository's ``pyproject.toml``;
4. the built-in default, which is the J-003 plan itself.

Environment variables ``RELMAN_<SECTION>__<KEY>`` override single values, e.g.
``RELMAN_VERSIONING__TAG_FORMAT=rel-{version}``. Values are read as JSON when they parse as
JSON, otherwise as plain strings.

`CoreSettings` holds the sections that the commands which only read git use (``project``,
``versioning``, ``commits``, ``components``, ``notes``, ``flow``). `relman.settings.Settings` is
the whole file: it extends `CoreSettings` with the J-003 sections. A command validates what it
uses: ``relman version next`` validates the core sections (and refuses an unknown section), the
lifecycle commands and ``relman policy check`` the whole file. Building the pydantic models of the
whole J-003 policy costs more than half of a command's start-up, which is why they are apart.

Every model forbids unknown keys so a typo fails loudly, and a validation error names the file,
the line and the dotted key path.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from relman.errors import ConfigError
from relman.policy_settings.base import PolicyModel, j003_default
from relman.policy_settings.components import COMPONENTS
from relman.policy_settings.locate import describe_error

__all__ = [
    "CONFIG_FILE",
    "SECTIONS",
    "CoreSettings",
    "PolicySource",
    "config_error",
    "find_config",
    "read_policy",
    "validate_core",
]

CONFIG_FILE = "relman.toml"
ENV_PREFIX = "RELMAN_"
# Environment variables that are not settings overrides.
_RESERVED_ENV = {"RELMAN_CONFIG", "RELMAN_DEBUG", "RELMAN_DATABASE_URL", "RELMAN_HOME"}

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
# Reading


@dataclass(frozen=True)
class PolicySource:
    """The policy as read, before validation: the file's table, where it came from and the
    ``RELMAN_*`` overrides that apply to it."""

    raw: Mapping[str, Any]
    path: Path | None = None
    text: str = ""
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def env_sources(self) -> dict[tuple[str, ...], str]:
        """Key path (lower case) -> the RELMAN_ variable that overrides it."""
        return {
            tuple(p.lower() for p in name[len(ENV_PREFIX) :].split("__")): name
            for name in self.env
            if name.startswith(ENV_PREFIX) and name not in _RESERVED_ENV and "__" in name
        }

    def data(self, defaults: Callable[[], Mapping[str, Any]]) -> dict[str, Any]:
        """The table with the environment overrides applied; ``defaults`` gives the default
        tables an override starts from (called only when there are overrides)."""
        sources = self.env_sources
        if not sources:
            return dict(self.raw)
        return _apply_env_overrides(copy.deepcopy(dict(self.raw)), self.env, sources, defaults())


def find_config(root: Path) -> tuple[Path | None, Mapping[str, Any], str]:
    """Return (path, raw table, source text) of the policy for a repository root."""
    explicit = os.environ.get("RELMAN_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}", where="RELMAN_CONFIG")
        return path, *_read_toml(path, None)
    candidate = root / CONFIG_FILE
    if candidate.is_file():
        return candidate, *_read_toml(candidate, None)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table, text = _read_toml(pyproject, ("tool", "relman"))
        if table:
            return pyproject, table, text
    return None, {}, ""


def read_policy(
    root: Path | None = None,
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> PolicySource:
    """Find and read the policy of a repository (``config_file`` wins); nothing validated yet."""
    root = root or Path.cwd()
    env = os.environ if environ is None else environ
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"config file not found: {config_file}", where="--config")
        # an explicit pyproject.toml means its [tool.relman] table
        table = ("tool", "relman") if config_file.name == "pyproject.toml" else None
        raw, text = _read_toml(config_file, table)
        path: Path | None = config_file
    else:
        path, raw, text = find_config(root)
    overrides = {k: v for k, v in env.items() if k.startswith(ENV_PREFIX)}
    return PolicySource(raw=raw, path=path, text=text, env=overrides)


def _read_toml(path: Path, subtable: tuple[str, ...] | None) -> tuple[Mapping[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", where=str(path)) from exc
    try:
        data: Mapping[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # "Expected '=' after a key (at line 5, column 9)" -> relman.toml:5 invalid TOML: ...
        found = re.search(r"\(at line (\d+), column \d+\)$", str(exc))
        line = f":{found.group(1)}" if found else ""
        raise ConfigError(
            f"{path}{line} invalid TOML: {str(exc)[: found.start()].strip() if found else exc}",
            where=str(exc)[found.start() + 1 : -1] if found else str(path),
        ) from exc
    for key in subtable or ():
        value = data.get(key, {})
        data = value if isinstance(value, Mapping) else {}
    return data, text


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


def config_error(exc: ValidationError, source: PolicySource, model: type[BaseModel]) -> ConfigError:
    """A ConfigError naming ``file:line key.path`` (or the RELMAN_ variable) of each error."""
    path, text = source.path, source.text
    # [tool.relman] in pyproject.toml: the keys sit below that table in the text
    prefix = ("tool", "relman") if path is not None and path.name == "pyproject.toml" else ()
    lines = [
        describe_error(
            err,
            model=model,
            source=str(path) if path is not None else "<defaults>",
            text=text,
            prefix=prefix,
            env_sources=source.env_sources,
        )
        for err in exc.errors()
    ]
    message = (
        lines[0]
        if len(lines) == 1
        else f"{len(lines)} errors in the policy:\n" + "\n".join(f"  {line}" for line in lines)
    )
    return ConfigError(message, details={"errors": lines})


def _apply_env_overrides(
    data: dict[str, Any],
    env: Mapping[str, str],
    sources: Mapping[tuple[str, ...], str],
    default: Mapping[str, Any],
) -> dict[str, Any]:
    """Set ``RELMAN_A__B__C`` at ``a.b.c``. Keys match case-insensitively (``gates.G1``); a table
    the file does not have starts from its J-003 default, so one override keeps the rest."""
    for parts, name in sources.items():
        target: dict[str, Any] = data
        node: Any = default
        for part in parts[:-1]:
            key = _match_key(target, part) or _match_key(node, part) or part
            if key not in target:  # a missing key means "the default": start from it
                seed = node.get(key) if isinstance(node, dict) else None
                target[key] = json.loads(json.dumps(seed)) if isinstance(seed, dict) else {}
            elif not isinstance(target[key], dict):
                target[key] = dict(target[key]) if isinstance(target[key], Mapping) else {}
            node = node.get(key) if isinstance(node, dict) else None
            target = target[key]
        target[_match_key(target, parts[-1]) or parts[-1]] = _env_value(env[name])
    return data


def _match_key(table: object, part: str) -> str | None:
    if not isinstance(table, Mapping):
        return None
    if part in table:
        return part
    return next((key for key in table if key.lower() == part), None)


def _env_value(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
