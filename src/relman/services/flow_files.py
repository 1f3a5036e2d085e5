"""What a Git Flow plan writes: version files and release notes, computed from git.

Both are read from the branch the plan will write them on (not the working tree), and become
plan data (:class:`~relman.domain.flow_steps.FileEdit`): the executor writes and commits them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from relman.domain.components import VersioningPolicy
from relman.domain.flow import FlowPolicy
from relman.domain.flow_steps import FileEdit
from relman.domain.notes import NotesPolicy
from relman.domain.version_files import match_version_files, read_version, replace_version
from relman.domain.versions import Version
from relman.ports import GitRepo
from relman.services.release_notes import (
    NotesRenderer,
    NotesRequest,
    archive_notes,
    build_notes_context,
)


@dataclass(frozen=True)
class NotesTools:
    """What ``release finish`` and ``hotfix finish`` need to write the release notes."""

    versioning: VersioningPolicy
    notes: NotesPolicy
    renderer: NotesRenderer


def compute_version_edits(
    *, git: GitRepo, ref: str, policy: FlowPolicy, version: Version
) -> tuple[tuple[FileEdit, ...], tuple[str, ...]]:
    """The configured version files at ``ref``, rewritten to declare ``version``."""
    edits: list[FileEdit] = []
    notes: list[str] = []
    for path in match_version_files(git.list_files(ref), policy.version_files):
        text = git.read_file(ref, path)
        if text is None:  # pragma: no cover - listed a moment ago
            continue
        old = read_version(text, path=path)
        if old is None:
            notes.append(f"{path} declares no version: left as it is")
            continue
        new = replace_version(text, str(version), path=path)
        if new == text:
            notes.append(f"{path} already declares {old}")
            continue
        edits.append(FileEdit(path, new, f"version {old} -> {read_version(new, path=path)}"))
    if not edits and not notes:
        notes.append(
            "no version file found (flow.version_files): the version lives in the tag only"
        )
    return tuple(edits), tuple(notes)


class _TreeFiles:
    """``TextFiles`` over the tree of one git ref, capturing writes instead of making them.

    The notes archive reads the archive folder as the branch being released has it, and its
    output becomes plan data (written and committed by the executor).
    """

    def __init__(self, git: GitRepo, ref: str, root: Path) -> None:
        self._git = git
        self._ref = ref
        self._root = root
        self._tree = git.list_files(ref)
        self.written: dict[str, str] = {}

    def _relative(self, path: Path) -> str:
        return path.relative_to(self._root).as_posix()

    def read_text(self, path: Path) -> str | None:
        return self._git.read_file(self._ref, self._relative(path))

    def list_names(self, directory: Path) -> list[str]:
        folder = self._relative(directory).rstrip("/") + "/"
        return sorted(
            p[len(folder) :]
            for p in self._tree
            if p.startswith(folder) and "/" not in p[len(folder) :]
        )

    def write_texts(self, files: Mapping[Path, str]) -> None:
        for path, text in files.items():
            self.written[self._relative(path)] = text


def compute_notes_edits(
    *, git: GitRepo, root: Path, tools: NotesTools, ref: str, version: Version
) -> tuple[tuple[FileEdit, ...], tuple[str, ...]]:
    """The release notes of ``ref`` as ``version`` and the archive index, as file edits."""
    result = build_notes_context(
        git=git,
        versioning=tools.versioning,
        notes=tools.notes,
        request=NotesRequest(to_ref=ref, version=str(version)),
    )
    files = _TreeFiles(git, ref, root)
    archive_notes(
        root=root, notes=tools.notes, renderer=tools.renderer, files=files, context=result.context
    )
    edits = tuple(
        FileEdit(path, text, f"release notes {version}" if i == 0 else "archive index")
        for i, (path, text) in enumerate(files.written.items())
    )
    return edits, result.warnings
