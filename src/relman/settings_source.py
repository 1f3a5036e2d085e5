"""Reading relman.toml, the release policy as code: where it is, the ``RELMAN_*`` overrides,
and the errors that name a file, line and key. Nothing is validated here (`relman.settings_core`
validates the core sections, `relman.settings` the whole file).

Settings are looked up in this order (the first found wins):

1. the file named by ``--config`` or ``RELMAN_CONFIG``;
2. ``relman.toml`` in the repository root;
3. ``[tool.relman]`` in the repository's ``pyproject.toml``;
4. the built-in default, which is the J-003 plan itself.

Environment variables ``RELMAN_<SECTION>__<KEY>`` override single values, e.g.
``RELMAN_VERSIONING__TAG_FORMAT=rel-{version}``. Values are read as JSON when they parse as
JSON, otherwise as plain strings.
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
from typing import Any

from pydantic import BaseModel, ValidationError

from relman.errors import ConfigError
from relman.policy_settings.locate import describe_error

__all__ = [
    "CONFIG_FILE",
    "PolicySource",
    "config_error",
    "find_config",
    "is_override",
    "read_policy",
]

CONFIG_FILE = "relman.toml"
ENV_PREFIX = "RELMAN_"
# Environment variables that are not settings overrides.
_RESERVED_ENV = {"RELMAN_CONFIG", "RELMAN_DEBUG", "RELMAN_DATABASE_URL", "RELMAN_HOME"}


def is_override(name: str) -> bool:
    """``RELMAN_<SECTION>__<KEY>``: an environment variable that overrides a policy value."""
    return name.startswith(ENV_PREFIX) and name not in _RESERVED_ENV and "__" in name


@dataclass(frozen=True)
class PolicySource:
    """The policy as read, before validation: the file's table, where it came from and the
    ``RELMAN_*`` overrides that apply to it."""

    raw: Mapping[str, Any]
    path: Path | None = None
    text: str = ""
    # the RELMAN_<SECTION>__<KEY> overrides only (never secrets such as RELMAN_SMTP_PASSWORD)
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def env_sources(self) -> dict[tuple[str, ...], str]:
        """Key path (lower case) -> the RELMAN_ variable that overrides it."""
        return {
            tuple(p.lower() for p in name[len(ENV_PREFIX) :].split("__")): name
            for name in self.env
            if is_override(name)
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
    overrides = {k: v for k, v in env.items() if is_override(k)}
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
