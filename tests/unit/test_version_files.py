"""Version-file handlers: pure text transforms that keep every other byte."""

from __future__ import annotations

import json
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relman.domain.version_files import (
    DEFAULT_REGISTRY,
    PlainVersionHandler,
    VersionFileRegistry,
    VersionSpan,
    align_versions,
    match_version_files,
    read_version,
    replace_raw_version,
    replace_version,
)
from relman.errors import InvalidInputError, NotFoundError

PYPROJECT = """\
# the farm module
[build-system]
requires = ["setuptools"]  # version = "0.0.0" in a comment stays

[project]
name = "farm"
version    =   "1.2.0"   # bumped by relman
dependencies = ["odoo-version==19.0"]

[project.urls]
version = "not this one"

[tool.other]
version = "9.9.9"
"""

POETRY = """\
[tool.poetry]
name = 'farm'
version = '0.3.1'

[[tool.poetry.source]]
version = "array tables are not the package"
"""

PACKAGE_JSON = """\
{
  "name": "b2b-portal",
  "dependencies": { "version": "^1.0.0" },
  "nested": {"version": "0.0.0"},
  "version": "2.1.0",
  "scripts": {"v": "echo \\"version\\": \\"x\\""}
}
"""

MANIFEST = """\
# -*- coding: utf-8 -*-
{
    'name': "Smart Dairy Farm — Milk Quality",
    'summary': 'version: 0.0.0 in a string',
    'version': '19.0.1.2.3',
    'depends': ['base'],
}
"""


@pytest.mark.parametrize(
    ("path", "text", "version", "expected_raw"),
    [
        ("pyproject.toml", PYPROJECT, "1.3.0", "1.3.0"),
        ("sub/pyproject.toml", POETRY, "0.4.0", "0.4.0"),
        ("package.json", PACKAGE_JSON, "2.2.0-rc.1", "2.2.0-rc.1"),
        ("addons/farm/__manifest__.py", MANIFEST, "1.3.0", "19.0.1.3.0"),
        (
            "addons/farm/__manifest__.py",
            MANIFEST,
            "1.2.4-hotfix.1",
            "19.0.1.2.4",
        ),  # Odoo: dotted numbers only
        ("VERSION", "1.2.0\n", "1.2.1-hotfix.1", "1.2.1-hotfix.1"),
        ("VERSION", "  1.2.0  ", "2.0.0", "2.0.0"),
    ],
)
def test_replace_version_changes_only_the_literal(
    path: str, text: str, version: str, expected_raw: str
) -> None:
    old_raw = read_version(text, path=path)
    assert old_raw is not None
    new = replace_version(text, version, path=path)
    assert read_version(new, path=path) == expected_raw
    # every other byte is unchanged
    assert new.replace(expected_raw, "<V>", 1) == text.replace(old_raw, "<V>", 1)


def test_pyproject_keeps_other_tables_and_comments() -> None:
    new = replace_version(PYPROJECT, "1.3.0", path="pyproject.toml")
    data = tomllib.loads(new)
    assert data["project"]["version"] == "1.3.0"
    assert data["project"]["urls"]["version"] == "not this one"
    assert data["tool"]["other"]["version"] == "9.9.9"
    assert 'version    =   "1.3.0"   # bumped by relman' in new


def test_pyproject_with_both_project_and_poetry_updates_both() -> None:
    text = '[project]\nversion = "1.0.0"\n\n[tool.poetry]\nversion = "1.0.0"\n'
    new = replace_version(text, "1.1.0", path="pyproject.toml")
    data = tomllib.loads(new)
    assert data["project"]["version"] == data["tool"]["poetry"]["version"] == "1.1.0"


def test_poetry_array_tables_are_not_the_package() -> None:
    new = replace_version(POETRY, "0.4.0", path="pyproject.toml")
    assert tomllib.loads(new)["tool"]["poetry"]["source"][0]["version"].startswith("array")


def test_package_json_only_top_level_version() -> None:
    data = json.loads(replace_version(PACKAGE_JSON, "3.0.0", path="package.json"))
    assert data["version"] == "3.0.0"
    assert data["dependencies"]["version"] == "^1.0.0"
    assert data["nested"]["version"] == "0.0.0"


def test_manifest_without_series_prefix_gets_plain_version() -> None:
    text = "{'name': 'x', \"version\": \"1.0.0\"}\n"
    new = replace_version(text, "1.1.0", path="__manifest__.py")
    assert new == "{'name': 'x', \"version\": \"1.1.0\"}\n"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("pyproject.toml", '[project]\nname = "x"\ndynamic = ["version"]\n'),
        ("package.json", '{"name": "x"}'),
        ("__manifest__.py", "{'name': 'x'}"),
        ("VERSION", "\n"),
    ],
)
def test_files_without_a_version(path: str, text: str) -> None:
    assert read_version(text, path=path) is None
    with pytest.raises(InvalidInputError, match="declares no version") as info:
        replace_version(text, "1.0.0", path=path)
    assert info.value.where == path


@pytest.mark.parametrize(
    ("path", "text", "match"),
    [
        ("pyproject.toml", "[project\nversion=1", "invalid TOML"),
        ("pyproject.toml", '[project]\nversion = """1.0.0"""\n', "not a plain"),
        ("package.json", "{", "invalid JSON"),
        ("__manifest__.py", "{'version': ", "invalid Python"),
        ("__manifest__.py", "{'version': VERSION}", "not a string literal"),
        ("__manifest__.py", "x = 1\n", "no manifest dictionary"),
        ("VERSION", "1.0.0\n2.0.0\n", "one line"),
    ],
)
def test_unreadable_files_name_the_file(path: str, text: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match) as info:
        read_version(text, path=path)
    assert info.value.where is not None
    assert info.value.where.startswith(path)


def test_replace_raw_version_writes_the_literal_as_is() -> None:
    new = replace_raw_version(MANIFEST, "19.0.1.4.0", path="__manifest__.py")
    assert read_version(new, path="__manifest__.py") == "19.0.1.4.0"


def test_unknown_file_type_is_not_found() -> None:
    with pytest.raises(NotFoundError, match=r"no version-file handler for 'setup\.cfg'"):
        read_version("[metadata]\nversion = 1\n", path="setup.cfg")


class _CargoHandler:
    name = "cargo"

    def locate(self, text: str, *, path: str) -> list[VersionSpan]:
        start = text.index('version = "') + len('version = "')
        end = text.index('"', start)
        return [VersionSpan(start, end, text[start:end])]

    def render(self, raw: str, version: str) -> str:
        return version


def test_new_file_types_plug_in() -> None:
    registry = VersionFileRegistry.default()
    registry.register("Cargo.toml", _CargoHandler())
    registry.register("*.version", PlainVersionHandler())
    text = '[package]\nversion = "0.1.0"\n'
    assert replace_version(text, "0.2.0", path="Cargo.toml", registry=registry) == (
        '[package]\nversion = "0.2.0"\n'
    )
    assert read_version("4.0.0\n", path="app/mobile.version", registry=registry) == "4.0.0"
    assert DEFAULT_REGISTRY.find("Cargo.toml") is None


def test_match_version_files() -> None:
    tracked = [
        "pyproject.toml",
        "docs/pyproject.toml",
        "addons/farm/__manifest__.py",
        "addons/b2b/__manifest__.py",
        "addons/b2b/models.py",
        "VERSION",
        "README.md",
    ]
    assert match_version_files(tracked, ["pyproject.toml", "**/__manifest__.py"]) == [
        "addons/b2b/__manifest__.py",
        "addons/farm/__manifest__.py",
        "pyproject.toml",
    ]
    assert match_version_files(tracked, ["addons/f*/__manifest__.py", "VERSION"]) == [
        "VERSION",
        "addons/farm/__manifest__.py",
    ]
    # files without a handler never match, whatever the pattern
    assert match_version_files(tracked, ["**"]) == [
        "VERSION",
        "addons/b2b/__manifest__.py",
        "addons/farm/__manifest__.py",
        "docs/pyproject.toml",
        "pyproject.toml",
    ]


_VERSIONS = st.from_regex(r"\A(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})\Z")


@given(old=_VERSIONS, new=_VERSIONS)
def test_round_trip_every_handler(old: str, new: str) -> None:
    files = {
        "pyproject.toml": f'[project]\nname = "x"\nversion = "{old}"\n',
        "package.json": f'{{\n  "name": "x",\n  "version": "{old}"\n}}\n',
        "__manifest__.py": f"{{'name': 'x', 'version': '19.0.{old}'}}\n",
        "VERSION": f"{old}\n",
    }
    for path, text in files.items():
        changed = replace_version(text, new, path=path)
        raw = read_version(changed, path=path)
        assert raw is not None
        assert raw.endswith(new)
        assert replace_version(changed, old, path=path) == text


@pytest.mark.parametrize(
    ("keep", "kept", "dropped"), [("ours", "1.3.0", "1.2.1"), ("theirs", "1.2.1", "1.3.0")]
)
def test_align_versions_rewrites_every_side_to_the_kept_version(
    keep: str, kept: str, dropped: str
) -> None:
    base = '[project]\nversion = "1.2.0"\ndependencies = []\n'
    ours = '[project]\nversion = "1.3.0"\ndependencies = []\n'
    theirs = '[project]\nversion = "1.2.1"\ndependencies = ["x"]\n'
    aligned = align_versions(base, ours, theirs, path="pyproject.toml", keep=keep)
    assert (aligned.kept, aligned.dropped) == (kept, dropped)
    for text in (aligned.base, aligned.ours, aligned.theirs):
        assert read_version(text, path="pyproject.toml") == kept
    assert aligned.theirs.endswith('dependencies = ["x"]\n')


def test_align_versions_needs_a_version_on_both_sides() -> None:
    with pytest.raises(InvalidInputError, match="theirs side declares no version"):
        align_versions("1.0.0\n", "1.1.0\n", "\n", path="VERSION", keep="ours")
