"""Use cases: CHANGELOG.md, one section per production release, newest first.

``relman changelog`` adds the section of one release (the context of
:func:`relman.services.release_notes.build_notes_context`); ``--all`` rebuilds the whole file
from every production release tag in one pass over the log. Written through ``TextFiles``
(atomically): nothing is written when anything fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from relman.domain.changelog import assign_commits_to_releases, update_changelog
from relman.domain.commits import Commit, decide_bump, read_commits
from relman.domain.components import Component, VersioningPolicy
from relman.domain.notes import NotesFacts, NotesPolicy, compute_notes_context, decide_release_type
from relman.domain.versions import Version
from relman.errors import ConflictError
from relman.ports import GitRepo, TagRef
from relman.services.bulk import paused_gc
from relman.services.release_notes import (
    NotesRenderer,
    NotesRequest,
    TextFiles,
    WriteResult,
    find_release_date,
    list_production_releases,
    parse_version_option,
)

CHANGELOG_TEMPLATE = "changelog-entry.md.j2"
CHANGELOG_HEADER = (
    "# Changelog\n\n"
    "All notable changes to {product} are documented in this file, newest release first.\n"
    "Versions follow [Semantic Versioning 2.0.0](https://semver.org/); the full release notes\n"
    "of each version are archived in `{archive_dir}/` (J-003 §10.3).\n"
)


def changelog_header(notes: NotesPolicy) -> str:
    return CHANGELOG_HEADER.format(product=notes.product, archive_dir=notes.archive_dir)


def add_changelog_entry(
    *,
    path: Path,
    notes: NotesPolicy,
    renderer: NotesRenderer,
    files: TextFiles,
    context: Mapping[str, Any],
    force: bool = False,
) -> WriteResult:
    """Insert (or with ``force`` replace) the section of one release in the changelog."""
    version = Version.parse(context["version"])
    entry = renderer.render(CHANGELOG_TEMPLATE, context)
    text = update_changelog(
        files.read_text(path),
        version=version,
        entry=entry,
        header=changelog_header(notes),
        force=force,
        where=str(path),
    )
    files.write_texts({path: text})
    return WriteResult(paths=(path,), versions=(str(version),))


@paused_gc()
def rebuild_changelog(
    *,
    git: GitRepo,
    versioning: VersioningPolicy,
    notes: NotesPolicy,
    renderer: NotesRenderer,
    files: TextFiles,
    path: Path,
    request: NotesRequest,
) -> WriteResult:
    """Rewrite the whole changelog from every production release tag, in one pass over the log.

    Commits after the last tag become a section only when ``request.version`` names it.
    """
    comp = versioning.get_component(request.component)
    to_sha = git.resolve(request.to_ref)
    releases: dict[str, tuple[Version, TagRef]] = {}
    for version, tag in list_production_releases(git, comp, notes, to_sha):
        known = releases.get(tag.sha)
        if known is None or version > known[0]:
            releases[tag.sha] = (version, tag)  # one release per commit: the highest tag
    raws = list(git.iter_commits(to_sha))
    touched = {r.sha for r in git.iter_commits(to_sha, paths=comp.paths)} if comp.paths else None
    groups = assign_commits_to_releases(raws, [(v, sha) for sha, (v, _) in releases.items()])
    dates = {r.sha: r.date[:10] for r in raws}

    plan: list[tuple[Version, str | None, str, str]] = [
        (v, sha, tag.name, dates.get(sha, "")) for sha, (v, tag) in releases.items()
    ]
    plan.sort(key=lambda item: item[0])
    if request.version is not None and groups[None]:
        version = parse_version_option(request.version)
        clash = next((p for p in plan if p[0] == version), None)
        if clash is not None:
            raise ConflictError(
                f"{version} is already released as tag {clash[2]}; the commits after it "
                "need another --version",
                where="--version",
            )
        plan.append((version, None, request.to_ref, find_release_date(git, request, to_sha)))

    sections: list[str] = []
    previous: tuple[Version, str] | None = None
    for version, sha, label, date in plan:
        raws_of = [r for r in groups[sha] if touched is None or r.sha in touched]
        commits = list(read_commits(raws_of, versioning.commit_policy))
        context = _history_context(
            versioning=versioning,
            notes=notes,
            comp=comp,
            commits=commits,
            version=version,
            previous=previous,
            label=label,
            date=date,
        )
        sections.append(renderer.render(CHANGELOG_TEMPLATE, context))
        previous = (version, label)
    body = "\n".join(s.strip("\n") + "\n" for s in reversed(sections))
    text = changelog_header(notes) + ("\n" + body if body else "")
    files.write_texts({path: text})
    return WriteResult(paths=(path,), versions=tuple(str(p[0]) for p in reversed(plan)))


def _history_context(
    *,
    versioning: VersioningPolicy,
    notes: NotesPolicy,
    comp: Component,
    commits: Iterable[Commit],
    version: Version,
    previous: tuple[Version, str] | None,
    label: str,
    date: str,
) -> dict[str, Any]:
    commits = list(commits)
    prev = previous[0] if previous else None
    bump = decide_bump(commits, versioning.commit_policy, current=prev).bump
    facts = NotesFacts(
        version=str(version),
        release_type=decide_release_type(version, prev, bump, hotfix_token=notes.hotfix_token),
        release_date=date,
        previous_version=str(prev) if prev else None,
        component=comp.name,
        from_ref=previous[1] if previous else None,
        to_ref=label,
    )
    return compute_notes_context(commits, versioning.commit_policy, notes, facts)
