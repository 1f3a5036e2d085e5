"""Jinja2 templates for release notes, searched in a user folder first, then in the package.

The packaged templates live in ``relman/templates/notes/`` (notification messages, rendered by
the same class, in ``relman/templates/notifications/``). A user folder
(``notes.template_dir`` in relman.toml) holding a file of the same name overrides one. The
packaged ones stay reachable as ``builtin/NAME``, so an override can
``{% extends "builtin/release-notes.md.j2" %}`` and replace single ``{% block %}``s.

- ``*.html.j2`` / ``*.htm.j2`` / ``*.xml.j2`` are autoescaped; Markdown and text are not.
- Undefined names fail loudly (``StrictUndefined``): a typo in a template is a ConfigError
  naming the template and line, never a silently empty section.
- Markdown output is tidied: runs of blank lines collapse to one, the file ends with one newline.

Filters: ``cell`` (a Markdown table cell: ``|`` escaped, one line, None -> "—"), ``md_row``
(a list of cells -> ``| a | b |``), ``code_spans`` (HTML: escaped, Markdown code spans as
``<code>``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from markupsafe import Markup

from relman.errors import ConfigError, NotFoundError

PACKAGE = "relman"
PACKAGE_FOLDER = "templates/notes"
NOTIFICATIONS_FOLDER = "templates/notifications"
EMPTY_CELL = "—"
BUILTIN = "builtin"  # prefix naming the packaged templates from an override
_AUTOESCAPE = (".html.j2", ".htm.j2", ".xml.j2", ".html", ".htm", ".xml")
_TIDY = (".md.j2", ".md", ".markdown.j2", ".txt.j2")


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith(_AUTOESCAPE)


def cell(value: object) -> str:
    """One Markdown table cell: pipes escaped, on one line; None or "" -> an em dash."""
    if value is None or value == "":
        return EMPTY_CELL
    text = " ".join(str(value).split())
    return text.replace("|", "\\|")


def md_row(values: Sequence[object]) -> str:
    """A Markdown table row; empty cells stay empty (``| Release Manager | | |``)."""
    parts = []
    for value in values:
        text = "" if value is None else " ".join(str(value).split()).replace("|", "\\|")
        parts.append(f" {text} " if text else " ")
    return "|" + "|".join(parts) + "|"


def code_spans(value: object) -> Markup:
    """HTML for text with Markdown code spans: escaped, and `x` -> <code>x</code>."""
    escaped = str(markupsafe.escape(value))
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


def tidy_markdown(text: str) -> str:
    """Collapse blank-line runs and trailing spaces; exactly one final newline."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n") + "\n"


class JinjaNotesRenderer:
    """Renders the release notes templates (the ``NotesRenderer`` of the notes service)."""

    def __init__(
        self,
        template_dir: Path | None = None,
        *,
        package_folder: str = PACKAGE_FOLDER,
        setting: str = "notes.template_dir",
        what: str = "release notes template",
        context_doc: str = "docs/release-notes.md",
    ) -> None:
        if template_dir is not None and not template_dir.is_dir():
            raise ConfigError(
                f"template folder not found: {template_dir}",
                where=setting,
                hint="the folder is relative to the repository root",
            )
        self._package_folder = package_folder
        self._what = what
        self._context_doc = context_doc
        loaders: list[jinja2.BaseLoader] = []
        if template_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(template_dir)))
        packaged = jinja2.PackageLoader(PACKAGE, package_folder)
        loaders += [jinja2.PrefixLoader({BUILTIN: packaged}), packaged]
        self.template_dir = template_dir
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=_autoescape,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._env.filters.update(cell=cell, md_row=md_row, code_spans=code_spans)

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        """Render ``template`` with the context's keys as template variables."""
        try:
            text = self._env.get_template(template).render(**context)
        except jinja2.TemplateNotFound as exc:
            raise NotFoundError(
                f"{self._what} not found: {exc.name}", where=self._searched()
            ) from exc
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(
                f"invalid template: {exc.message}",
                where=f"{exc.filename or exc.name or template}:{exc.lineno}",
            ) from exc
        except jinja2.UndefinedError as exc:
            raise ConfigError(
                f"template {template} uses an undefined value: {exc.message}",
                where=self._origin(template),
                hint=f"the context keys are documented in {self._context_doc}",
            ) from exc
        return tidy_markdown(text) if template.endswith(_TIDY) else text

    def exists(self, template: str) -> bool:
        """Whether ``template`` is in the user folder or the package."""
        try:
            self._env.get_template(template)
        except jinja2.TemplateNotFound:
            return False
        return True

    def _origin(self, template: str) -> str:
        if self.template_dir is not None and (self.template_dir / template).is_file():
            return str(self.template_dir / template)
        return f"{PACKAGE}/{self._package_folder}/{template}"

    def _searched(self) -> str:
        folders = [str(self.template_dir)] if self.template_dir is not None else []
        return ", ".join([*folders, f"{PACKAGE}/{self._package_folder}"])
