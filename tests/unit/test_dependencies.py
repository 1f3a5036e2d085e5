"""Dependency file parsers and the Dependencies table of the release notes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relman.domain.dependencies import (
    ANY_VERSION,
    PYTHON,
    DependencyChange,
    compute_dependency_changes,
    detect_kind,
    normalize_name,
    parse_dependency_file,
    parse_odoo_manifest,
    parse_pyproject,
    parse_requirement,
    parse_requirements_txt,
)
from relman.errors import InvalidInputError


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("requests==2.31.0", ("requests", "2.31.0")),
        ("requests == 2.31.0", ("requests", "2.31.0")),
        ("Django>=4.2,<5", ("Django", ">=4.2,<5")),
        ("Django >= 4.2, < 5", ("Django", ">=4.2,<5")),
        ("psycopg[binary]==3.1.18 ; python_version >= '3.11'", ("psycopg", "3.1.18")),
        ("attrs===23.2.0", ("attrs", "23.2.0")),
        ("pydantic~=2.6", ("pydantic", "~=2.6")),
        ("rich", ("rich", ANY_VERSION)),
        ("pkg==1.0 --hash=sha256:abcdef", ("pkg", "1.0")),
        (
            "whl @ https://example.com/whl-1.0-py3-none-any.whl",
            ("whl", "https://example.com/whl-1.0-py3-none-any.whl"),
        ),
        ("legacy (>=1.0)", ("legacy", ">=1.0")),
        ("not a requirement!!", None),
        ("odoo-addon-base_rest==17.0.1.0.1", ("odoo-addon-base_rest", "17.0.1.0.1")),
        ("-r base.txt", None),
        ("--index-url https://pypi.example.com/simple", None),
        ("-e .", None),
        ("# a comment", None),
        ("", None),
        ("git+https://github.com/odoo/odoo@17.0#egg=odoo", None),
        ("https://example.com/pkg.tar.gz", None),
    ],
)
def test_parse_requirement(line: str, expected: tuple[str, str] | None) -> None:
    assert parse_requirement(line) == expected


def test_requirements_txt_skips_options_and_joins_continuations() -> None:
    text = (
        "# runtime\n"
        "-r base.txt\n"
        "requests==2.31.0  # http\n"
        "lxml>=5.2,\\\n"
        "    <6\n"
        "\n"
        "--extra-index-url https://x\n"
        "Babel\n"
    )
    assert parse_requirements_txt(text) == {"requests": "2.31.0", "lxml": ">=5.2,<6", "Babel": "*"}


names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,10}(?:[-_.][A-Za-z0-9]{1,5}){0,2}", fullmatch=True)
versions = st.from_regex(r"[0-9]{1,3}(?:\.[0-9]{1,3}){0,3}", fullmatch=True)


@given(name=names, version=versions, spaces=st.sampled_from(["", " ", "  "]))
def test_pinned_requirement_round_trips(name: str, version: str, spaces: str) -> None:
    assert parse_requirement(f"{name}{spaces}=={spaces}{version}") == (name, version)


@given(st.text(max_size=60))
def test_parse_requirement_never_crashes(line: str) -> None:
    result = parse_requirement(line)
    assert result is None or (result[0] and result[1])


def test_pyproject_reads_project_and_poetry_tables() -> None:
    text = """
[project]
name = "smart-dairy"
requires-python = ">=3.11"
dependencies = ["requests==2.32.3", "lxml>=5.2,<6", "not a requirement!!"]

[tool.poetry.dependencies]
python = "^3.11"
odoo-client = {version = "1.4.0", optional = true}
internal-lib = {git = "https://git.example.com/lib.git"}
anything = "*"
"""
    assert parse_pyproject(text) == {
        PYTHON: "^3.11",
        "requests": "2.32.3",
        "lxml": ">=5.2,<6",
        "odoo-client": "1.4.0",
        "internal-lib": "https://git.example.com/lib.git",
        "anything": ANY_VERSION,
    }


def test_pyproject_without_dependencies_is_empty() -> None:
    assert parse_pyproject("[tool.black]\nline-length = 100\n") == {}


def test_invalid_pyproject_names_the_file() -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_pyproject("[project\n", where="services/api/pyproject.toml")
    assert err.value.where == "services/api/pyproject.toml"
    assert "invalid TOML" in err.value.message


MANIFEST = """# -*- coding: utf-8 -*-
# Part of Smart Dairy. See LICENSE.
{
    'name': "Smart Dairy Farm",
    'version': '17.0.1.2.0',  # Odoo series + module version
    'depends': ['base', 'stock'],
    'external_dependencies': {'python': ['requests'], 'bin': ['wkhtmltopdf']},
    'data': [],
}
"""


def test_odoo_manifest_module_is_its_folder() -> None:
    manifest = parse_odoo_manifest(MANIFEST, path="addons/smart_farm/__manifest__.py")
    assert manifest.module == "smart_farm"
    assert manifest.name == "Smart Dairy Farm"
    assert manifest.version == "17.0.1.2.0"
    assert manifest.depends == ("base", "stock")
    assert manifest.external_python == ("requests",)
    assert manifest.external_bin == ("wkhtmltopdf",)


def test_odoo_manifest_without_version() -> None:
    manifest = parse_odoo_manifest("{'name': 'x'}", path="x_mod/__manifest__.py")
    assert manifest.version is None
    assert parse_dependency_file("x_mod/__manifest__.py", "{'name': 'x'}") == {}


@pytest.mark.parametrize(
    "text",
    ["{'name': __import__('os').system('id')}", "['not', 'a', 'dict']", "{'name': "],
)
def test_odoo_manifest_is_never_executed_and_must_be_a_dict(text: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_odoo_manifest(text, path="evil/__manifest__.py")
    assert err.value.where == "evil/__manifest__.py"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("requirements.txt", "requirements"),
        ("services/api/requirements-dev.txt", "requirements"),
        ("pyproject.toml", "pyproject"),
        ("addons/smart_farm/__manifest__.py", "odoo"),
        ("addons/smart_farm/__init__.py", None),
        ("requirements.in", None),
    ],
)
def test_detect_kind(path: str, kind: str | None) -> None:
    assert detect_kind(path) == kind


def test_normalize_name() -> None:
    assert normalize_name("Foo_Bar.baz") == "foo-bar-baz"


def test_dependency_changes_show_only_changed_added_and_removed() -> None:
    before = {
        "requirements.txt": "requests==2.31.0\npsycopg2-binary==2.9.9\nxlrd==1.2.0\n",
        "addons/smart_farm/__manifest__.py": "{'version': '17.0.1.0.0'}",
        "addons/old_mod/__manifest__.py": "{'version': '17.0.1.0.0'}",
    }
    after = {
        "requirements.txt": "Requests==2.32.3\npsycopg2-binary==2.9.9\nlxml>=5.2\n",
        "addons/smart_farm/__manifest__.py": "{'version': '17.0.2.0.0'}",
        "pyproject.toml": '[project]\nrequires-python = ">=3.11"\n',
    }
    rows, warnings = compute_dependency_changes(before, after)
    assert warnings == []
    assert rows == [
        DependencyChange("lxml", None, ">=5.2"),
        DependencyChange("old_mod", "17.0.1.0.0", None),
        DependencyChange(PYTHON, None, ">=3.11"),
        DependencyChange("Requests", "2.31.0", "2.32.3"),
        DependencyChange("smart_farm", "17.0.1.0.0", "17.0.2.0.0"),
        DependencyChange("xlrd", "1.2.0", None),
    ]


def test_same_change_in_two_files_is_one_row() -> None:
    before = {"a/requirements.txt": "requests==1\n", "b/requirements.txt": "requests==1\n"}
    after = {"a/requirements.txt": "requests==2\n", "b/requirements.txt": "requests==2\n"}
    rows, _ = compute_dependency_changes(before, after)
    assert rows == [DependencyChange("requests", "1", "2")]


def test_a_broken_file_is_skipped_with_a_warning() -> None:
    before = {"m/__manifest__.py": "{'version': '1'", "requirements.txt": "a==1\n"}
    after = {"m/__manifest__.py": "{'version': '2'}", "requirements.txt": "a==2\n"}
    rows, warnings = compute_dependency_changes(before, after)
    assert rows == [DependencyChange("a", "1", "2")]
    assert len(warnings) == 1
    assert "m/__manifest__.py" in warnings[0]


def test_no_change_no_rows() -> None:
    files = {"requirements.txt": "a==1\n"}
    assert compute_dependency_changes(files, dict(files)) == ([], [])
