"""Use cases: release notes (J-003 §10.1) and their archive (§10.3); CHANGELOG.md is
:mod:`relman.services.changelog`.

The range of a release is ``PREVIOUS..TO``: ``TO`` defaults to HEAD and ``PREVIOUS`` to the last
production release tag reachable from it (a final version or a hotfix; alpha/beta/rc tags are
stepping stones, not releases). When ``TO`` itself carries a production tag, the notes describe
that release (so ``relman notes`` right after tagging still shows what was tagged).

The version is ``--version``, else the tag at ``TO``, else the next version computed by
:func:`relman.services.versioning.compute_next`; with nothing releasable (a docs-only range) the
current version is used and a warning says so.

Everything here reads git through the ``GitRepo`` port, renders through a ``NotesRenderer`` and
writes through ``TextFiles`` (atomically); nothing is written when anything fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from relman.domain.changelog import (
    ARCHIVE_INDEX,
    archive_file_name,
    list_archive_entries,
    parse_archive_file_name,
)
from relman.domain.commits import decide_bump, read_commits
from relman.domain.components import Component, VersioningPolicy
from relman.domain.dependencies import compute_dependency_changes
from relman.domain.notes import (
    NotesFacts,
    NotesPolicy,
    compute_notes_context,
    decide_release_type,
    list_added_migrations,
    list_config_changes,
    match_path,
    parse_iso_date,
    parse_release_type,
)
from relman.domain.notes_schema import validate_notes_context
from relman.domain.tags import is_production_version
from relman.domain.versions import Bump, Version
from relman.errors import ConflictError, GitError, InvalidInputError
from relman.ports import FileChange, GitRepo, TagRef
from relman.services.bulk import paused_gc
from relman.services.git_views import RememberedTags
from relman.services.json_text import (
    JSONDecodeError,
    dump_json_bytes,
    dump_json_text,
    load_json_text,
)
from relman.services.versioning import SHALLOW_MESSAGE, compute_next

FORMATS = ("md", "html", "json")
TEMPLATES = {"md": "release-notes.md.j2", "html": "release-notes.html.j2"}
INDEX_TEMPLATE = "archive-index.md.j2"


class NotesRenderer(Protocol):
    """Turns a notes context into text (``relman.adapters.templates.JinjaNotesRenderer``)."""

    def render(self, template: str, context: Mapping[str, Any]) -> str: ...


class TextFiles(Protocol):
    """Local text files (``relman.adapters.files.LocalFiles``)."""

    def read_text(self, path: Path) -> str | None: ...

    def list_names(self, directory: Path) -> list[str]: ...

    def write_texts(self, files: Mapping[Path, str]) -> None: ...


@dataclass(frozen=True)
class NotesRequest:
    """What the person asked for (the command-line options of ``relman notes``)."""

    from_ref: str | None = None
    to_ref: str = "HEAD"
    component: str | None = None
    version: str | None = None
    release_type: str | None = None
    summary: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class NotesResult:
    """A notes context and what the person should know about how it was made."""

    context: dict[str, Any]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class WriteResult:
    """Files written by a use case."""

    paths: tuple[Path, ...]
    versions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())


# ------------------------------------------------------------------ building the context


@paused_gc()  # 100k parsed commits and entries: see relman.services.bulk
def build_notes_context(
    *,
    git: GitRepo,
    versioning: VersioningPolicy,
    notes: NotesPolicy,
    request: NotesRequest,
    technical: bool = True,
) -> NotesResult:
    """The template context of one release; ``technical=False`` skips the file diffs."""
    with RememberedTags(git) as memo:  # the tags merged into --to are listed twice
        return _build_notes_context(
            memo, versioning=versioning, notes=notes, request=request, technical=technical
        )


def _build_notes_context(
    git: RememberedTags,
    *,
    versioning: VersioningPolicy,
    notes: NotesPolicy,
    request: NotesRequest,
    technical: bool,
) -> NotesResult:
    warnings: list[str] = []
    comp = versioning.get_component(request.component)
    to_sha = git.resolve(request.to_ref)
    releases: list[tuple[Version, TagRef]] | None = None
    if request.from_ref is not None:
        from_sha: str | None = git.resolve(request.from_ref)
        from_label: str | None = request.from_ref
        # the range is known: the two tag walks run in git processes of their own meanwhile
        git.prefetch_tags(to_sha, prefix=comp.tag_format.prefix)
        git.prefetch_tags(from_sha, prefix=comp.tag_format.prefix)
    else:
        releases = list_production_releases(git, comp, notes, to_sha)
        base = _highest(r for r in releases if r[1].sha != to_sha)
        if base is None and git.is_shallow():
            raise GitError(
                SHALLOW_MESSAGE,
                where=f"{git.root} ({comp.tag_format.pattern} tags before {request.to_ref})",
                hint="in CI, clone with fetch-depth: 0, or pass --from",
            )
        from_sha = base[1].sha if base else None
        from_label = base[1].name if base else None

    revs = [to_sha] if from_sha is None else [f"^{from_sha}", to_sha]
    commits = list(read_commits(git.iter_commits(revs, paths=comp.paths), versioning.commit_policy))
    if releases is None:
        assert from_sha is not None
        releases = list_production_releases(git, comp, notes, to_sha)
        base = _highest(list_production_releases(git, comp, notes, from_sha))
    tagged = _highest(r for r in releases if r[1].sha == to_sha)
    previous = base[0] if base else None
    bump = decide_bump(commits, versioning.commit_policy, current=previous).bump
    version = _decide_version(
        git,
        versioning=versioning,
        comp=comp,
        request=request,
        tagged=tagged,
        to_sha=to_sha,
        warnings=warnings,
    )

    release_type = (
        parse_release_type(request.release_type)
        if request.release_type
        else decide_release_type(version, previous, bump, hotfix_token=notes.hotfix_token)
    )
    facts = NotesFacts(
        version=str(version),
        release_type=release_type,
        release_date=find_release_date(git, request, to_sha),
        previous_version=str(previous) if previous else None,
        component=comp.name,
        from_ref=from_label,
        to_ref=request.to_ref,
        summary=request.summary or None,
    )
    if technical:
        facts = _add_technical_facts(
            git,
            comp=comp,
            notes=notes,
            facts=facts,
            from_sha=from_sha,
            to_sha=to_sha,
            warnings=warnings,
        )
    context = compute_notes_context(commits, versioning.commit_policy, notes, facts)
    return NotesResult(context=context, warnings=tuple(warnings))


def _is_production(version: Version, notes: NotesPolicy) -> bool:
    return is_production_version(version, hotfix_token=notes.hotfix_token)


def list_production_releases(
    git: GitRepo, comp: Component, notes: NotesPolicy, ref_sha: str
) -> list[tuple[Version, TagRef]]:
    """The component's production release tags reachable from ``ref_sha`` (one git call)."""
    found = []
    for tag in git.list_tags(merged_into=ref_sha, prefix=comp.tag_format.prefix):
        version = comp.tag_format.parse(tag.name)
        if version is not None and _is_production(version, notes):
            found.append((version, tag))
    return found


def _highest(releases: Iterable[tuple[Version, TagRef]]) -> tuple[Version, TagRef] | None:
    """The highest release; equal precedence (build metadata) is decided by the tag name."""
    return max(releases, key=lambda r: (r[0], r[1].name), default=None)


def _decide_version(
    git: GitRepo,
    *,
    versioning: VersioningPolicy,
    comp: Component,
    request: NotesRequest,
    tagged: tuple[Version, TagRef] | None,
    to_sha: str,
    warnings: list[str],
) -> Version:
    if request.version is not None:
        return parse_version_option(request.version)
    if tagged is not None:
        return tagged[0]
    nxt = compute_next(git=git, policy=versioning, component=comp.name, ref=to_sha, allow_noop=True)
    if nxt.bump is not Bump.NONE and nxt.next is not None:
        return nxt.next
    current = nxt.current or versioning.initial_version
    warnings.append(
        f"nothing to release in {nxt.range or request.to_ref}: no commit bumps the version, "
        f"so the notes use the current version {current} (pass --version to name the release)"
    )
    return current


def parse_version_option(text: str) -> Version:
    try:
        return Version.parse(text.removeprefix("v"))
    except InvalidInputError as exc:
        raise type(exc)(exc.message, where="--version", hint=exc.hint) from exc


def find_release_date(git: GitRepo, request: NotesRequest, to_sha: str) -> str:
    if request.date:
        return parse_iso_date(request.date, where="--date")
    log = git.iter_commits(to_sha)  # the first record is the --to commit itself
    try:
        first = next(iter(log), None)
    finally:
        close = getattr(log, "close", None)
        if close is not None:
            close()  # stop the git process: one record is all we need
    return first.date[:10] if first is not None else ""


def _in_component(path: str, comp: Component) -> bool:
    if not comp.paths:
        return True
    return any(
        match_path(path, [p]) if any(ch in p for ch in "*?[") else _under(path, p)
        for p in comp.paths
    )


def _under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/")
    return path == folder or path.startswith(folder + "/")


def _add_technical_facts(
    git: GitRepo,
    *,
    comp: Component,
    notes: NotesPolicy,
    facts: NotesFacts,
    from_sha: str | None,
    to_sha: str,
    warnings: list[str],
) -> NotesFacts:
    """Migrations, configuration and dependency changes from the files of the two revisions."""
    if from_sha is None:
        changes = [FileChange(status="A", path=p) for p in git.list_files(to_sha)]
    else:
        changes = git.changed_files(from_sha, to_sha)
    changes = [c for c in changes if _in_component(c.path, comp)]
    previous: dict[str, str] = {}
    current: dict[str, str] = {}
    for change in changes:
        if not match_path(change.path, notes.dependency_files):
            continue
        if from_sha is not None and change.status not in ("A", "C"):
            old = git.read_file(from_sha, change.old_path or change.path)
            if old is not None:
                previous[change.path] = old
        new = git.read_file(to_sha, change.path) if change.status != "D" else None
        if new is not None:
            current[change.path] = new
    rows, dep_warnings = compute_dependency_changes(previous, current)
    warnings.extend(dep_warnings)
    return replace(
        facts,
        migrations=tuple(list_added_migrations(changes, notes.migration_paths)),
        config_changes=tuple(list_config_changes(changes, notes.config_paths)),
        dependencies=tuple(rows),
    )


# ------------------------------------------------------------------ rendering and context files


def render_notes(*, renderer: NotesRenderer, context: Mapping[str, Any], fmt: str) -> str:
    """The notes as Markdown, HTML or the JSON context itself."""
    if fmt == "json":
        return dump_json_text(context) + "\n"
    if fmt not in TEMPLATES:
        raise InvalidInputError(
            f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}", where="--format"
        )
    return renderer.render(TEMPLATES[fmt], context)


def encode_notes(*, renderer: NotesRenderer, context: Mapping[str, Any], fmt: str) -> bytes:
    """:func:`render_notes` as UTF-8; the JSON of a long history is not copied on the way."""
    if fmt == "json":
        return dump_json_bytes(context)
    return render_notes(renderer=renderer, context=context, fmt=fmt).encode("utf-8")


def load_notes_context(*, files: TextFiles, path: Path) -> dict[str, Any]:
    """A context saved with ``--format json``; InvalidInputError names the file and the key."""
    text = files.read_text(path)
    if text is None:
        raise InvalidInputError("cannot read release notes context: no such file", where=str(path))
    try:
        data = load_json_text(text)
    except JSONDecodeError as exc:
        raise InvalidInputError(
            f"invalid JSON in release notes context: {exc.msg}",
            where=f"{path}:{exc.lineno}:{exc.colno}",
        ) from exc
    try:
        return validate_notes_context(data)
    except InvalidInputError as exc:
        raise InvalidInputError(exc.message, where=str(path), details=exc.details) from exc


def apply_overrides(context: Mapping[str, Any], request: NotesRequest) -> dict[str, Any]:
    """A loaded context with ``--summary``, ``--type`` and ``--date`` applied."""
    out = dict(context)
    if request.summary:
        out["summary"] = request.summary
    if request.release_type:
        out["release_type"] = parse_release_type(request.release_type)
    if request.date:
        out["release_date"] = parse_iso_date(request.date, where="--date")
    return out


def write_output(*, files: TextFiles, path: Path, text: str) -> Path:
    """Write rendered notes to a file (atomically)."""
    files.write_texts({path: text})
    return path


# ------------------------------------------------------------------ archive (J-003 §10.3)


def archive_notes(
    *,
    root: Path,
    notes: NotesPolicy,
    renderer: NotesRenderer,
    files: TextFiles,
    context: Mapping[str, Any],
    force: bool = False,
) -> WriteResult:
    """Write ``release-notes-v[VERSION].md`` and regenerate the archive index (README.md)."""
    directory = root / notes.archive_dir
    name = archive_file_name(context["version"])
    if parse_archive_file_name(name) is None:
        raise InvalidInputError(
            f"cannot archive release notes of {context['version']!r}: not a SemVer version",
            where="version",
        )
    path = directory / name
    if not force and files.read_text(path) is not None:
        raise ConflictError(
            f"release notes of {context['version']} are already archived",
            where=str(path),
            hint="pass --force to overwrite them",
        )
    text = renderer.render(TEMPLATES["md"], context)
    archived = {
        n: files.read_text(directory / n) or ""
        for n in files.list_names(directory)
        if parse_archive_file_name(n) is not None
    }
    archived[name] = text
    entries = [
        {
            "version": str(e.version),
            "file": e.file,
            "release_date": e.release_date,
            "release_type": e.release_type,
        }
        for e in list_archive_entries(archived)
    ]
    index = renderer.render(
        INDEX_TEMPLATE,
        {"product": context["product"], "archive_dir": notes.archive_dir, "entries": entries},
    )
    index_path = directory / ARCHIVE_INDEX
    files.write_texts({path: text, index_path: index})
    return WriteResult(paths=(path, index_path), versions=(str(context["version"]),))
