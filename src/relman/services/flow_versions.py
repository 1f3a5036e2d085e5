"""The version a Git Flow start takes is not spent (a version is one build, J-003 §4.2).

A version is spent once its release was rolled back or a build of it was deployed, even if
nobody tagged it: the targets keep that build (immutable). Git alone does not know it, so
``flow release start`` and ``flow hotfix start`` ask the release store before any branch
exists, with the rule of ``relman release plan`` (`relman.services.planning.find_unspent_version`):

- ``flow release start`` (auto) moves on to the next free version (1.3.0 -> 1.3.1) and says which
  release spent the one it passed over; a VERSION given explicitly is refused (ConflictError);
- ``flow hotfix start`` is refused: its version comes from the production tag at start, finish and
  ``flow link`` alike, so the branch cannot carry another number.

With ``--release ID`` the named open record is continued even when its version is spent (the
team said which record): the start goes on with a warning that names the spent version and
why, and says to plan a new release instead of building that version again. No store
(``flow`` never creates one) or ``--no-record`` (the store is left alone): no check.
"""

from __future__ import annotations

from dataclasses import dataclass

from relman.domain.planning import SpentVersion
from relman.domain.versions import Version
from relman.errors import ConflictError
from relman.services.flow_records import FlowRecords, RecordOptions
from relman.services.lifecycle import read


@dataclass(frozen=True)
class StartVersion:
    """The version a start takes, the note naming the spent versions passed over, and the
    warning when ``--release ID`` continues a record whose version is spent."""

    version: Version
    note: str | None = None
    warning: str | None = None


def decide_start_version(
    records: FlowRecords | None,
    options: RecordOptions,
    version: Version,
    *,
    kind: str,
    auto: bool,
    where: str,
) -> StartVersion:
    """``version``, or the next free one (``auto``); ConflictError for a spent one otherwise.

    ``kind`` is ``release`` or ``hotfix`` (a hotfix is never moved on, see the module doc: its
    caller passes ``auto=False``); ``where`` is what the refusal points at: ``VERSION`` for an
    explicit release version, the production tag a hotfix's version is computed from.
    """
    if records is None or not options.enabled:
        return StartVersion(version)
    if records.find_store_revision() is None:
        return StartVersion(version)  # no store: nothing was ever planned or deployed
    from relman.services.planning import (
        describe_skipped,
        find_spent_version,
        find_unspent_version,
    )

    lc = records.open_lifecycle()
    if options.release_id:
        spent = read(lc.uow_factory, lambda uow: find_spent_version(uow, str(version)))
        if spent is None:
            return StartVersion(version)
        return StartVersion(version, warning=_continued_warning(spent, options.release_id, kind))
    try:
        fresh, skipped = read(
            lc.uow_factory,
            lambda uow: find_unspent_version(uow, str(version), components=(), auto=auto),
        )
    except ConflictError as exc:
        raise ConflictError(exc.message, where=where, hint=_hint(kind)) from exc
    if not skipped:
        return StartVersion(version)
    started = Version.parse(fresh)
    return StartVersion(started, describe_skipped(skipped, f"the {kind} starts as {started}"))


def _continued_warning(spent: SpentVersion, release_id: str, kind: str) -> str:
    kind_option = "--type hotfix " if kind == "hotfix" else ""
    plan = f"relman release plan {kind_option}--version auto"
    return (
        f"version {spent.describe()}: a version is one build, so {release_id} is continued as "
        f"--release asks, but do not build or deploy {spent.version} again; for a new build "
        f"plan a new release ({plan})"
    )


def _hint(kind: str) -> str:
    if kind == "release":
        return "start the next version, or 'auto' to take the next free one"
    return (
        "a hotfix's version comes from the production tag, so flow cannot give it another "
        "number; give the fix the next free version with relman release plan --type hotfix "
        "--version auto and branch and tag it by hand"
    )
