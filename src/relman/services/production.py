"""The latest production release and the next hotfix on it (J-003 §2.3, §4.2).

Production releases are the final versions and the hotfixes (``x.y.Z-hotfix.N``), never an
alpha, beta or rc. :func:`find_production_version` is the one rule for ``version current``,
``release plan --type hotfix --version auto`` (and the incident hotfix path) and ``flow hotfix
start|finish`` alike; :func:`compute_next_hotfix` gives the next hotfix on top of it:
1.2.0 -> 1.2.1-hotfix.1, 1.2.1-hotfix.1 -> 1.2.1-hotfix.2.

A tag counts when it is reachable from the ref. Git Flow merges the hotfix *branch* (not the
tagged merge commit on main) into develop, so a hotfix tag is not reachable from develop; it
still counts there when the only commits it has that the ref lacks are merge commits: every
change it shipped is in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relman.domain.tags import (
    TagFormat,
    compute_hotfix_version,
    is_production_version,
    scan_release_tags,
)
from relman.domain.versions import HOTFIX_TOKEN, Version
from relman.errors import NotFoundError
from relman.ports import GitRepo, TagRef


@dataclass(frozen=True)
class ProductionVersion:
    """The latest production release at a ref: a final version or a hotfix (J-003 §4.2).

    ``merged``: a hotfix whose tag is not reachable from the ref but whose changes all are
    (develop after ``flow hotfix finish``).
    """

    tag: str
    version: Version
    sha: str
    merged: bool = False


@dataclass(frozen=True)
class NextHotfix:
    """The next hotfix version on top of the latest production release."""

    production: ProductionVersion
    next: Version
    tag: str


def find_production_version(
    *,
    git: GitRepo,
    tag_format: TagFormat,
    hotfix_token: str = HOTFIX_TOKEN,
    ref: str = "HEAD",
) -> ProductionVersion | None:
    """The latest production release at ``ref``: the one rule of relman (J-003 §2.3, §4.2).

    Final versions and hotfixes (``1.2.1-hotfix.1``) count, alpha/beta/rc do not; the highest
    SemVer precedence wins (1.2.0 < 1.2.1-hotfix.1 < 1.2.1-hotfix.2 < 1.2.1). A tag counts
    when it is reachable from ``ref``, and a hotfix of the next line also when every change it
    shipped is (see the module docstring). None when nothing was released.
    """
    head = git.resolve(ref)
    tags = git.list_tags(merged_into=head, prefix=tag_format.prefix)
    found = scan_release_tags(tags, tag_format, hotfix_token=hotfix_token)
    return decide_production(
        git,
        reachable=found.production,
        tags=tags,
        tag_format=tag_format,
        hotfix_token=hotfix_token,
        head=head,
    )


def compute_next_hotfix(
    *,
    git: GitRepo,
    tag_format: TagFormat,
    hotfix_token: str = HOTFIX_TOKEN,
    ref: str = "HEAD",
) -> NextHotfix:
    """The hotfix on top of the latest production release at ``ref``: 1.2.0 -> 1.2.1-hotfix.1,
    1.2.1-hotfix.1 -> 1.2.1-hotfix.2. NotFoundError when no production release is tagged."""
    production = find_production_version(
        git=git, tag_format=tag_format, hotfix_token=hotfix_token, ref=ref
    )
    if production is None:
        raise NotFoundError(
            f"no production release tag ({tag_format.format('X.Y.Z')}) is reachable from "
            f"{ref}: nothing to hotfix",
            where=ref,
            hint="a hotfix starts from a released version; release with `relman flow release`",
        )
    nxt = compute_hotfix_version(production.version, hotfix_token=hotfix_token)
    return NextHotfix(production=production, next=nxt, tag=tag_format.format(nxt))


def decide_production(
    git: GitRepo,
    *,
    reachable: tuple[Version, TagRef] | None,
    tags: Sequence[TagRef],
    tag_format: TagFormat,
    hotfix_token: str,
    head: str,
) -> ProductionVersion | None:
    if reachable is None:
        return None
    best = ProductionVersion(tag=reachable[1].name, version=reachable[0], sha=reachable[1].sha)
    merged = _find_merged_hotfix(
        git,
        best=best,
        reachable={t.name for t in tags},
        tag_format=tag_format,
        hotfix_token=hotfix_token,
        head=head,
    )
    return merged or best


def _find_merged_hotfix(
    git: GitRepo,
    *,
    best: ProductionVersion,
    reachable: set[str],
    tag_format: TagFormat,
    hotfix_token: str,
    head: str,
) -> ProductionVersion | None:
    """The newest hotfix of the line after ``best`` (1.2.1-hotfix.N after 1.2.0 or after
    1.2.1-hotfix.1) that is not reachable from ``head`` but whose changes all are."""
    line = compute_hotfix_version(best.version, hotfix_token=hotfix_token).finalize()
    prefix = f"{tag_format.prefix}{line}-{hotfix_token}."
    candidates = []
    for tag in git.list_tags(prefix=prefix):
        version = tag_format.parse(tag.name)
        if (
            tag.name in reachable
            or version is None
            or version <= best.version
            or version.finalize() != line
            or not is_production_version(version, hotfix_token=hotfix_token)
        ):
            continue
        candidates.append((version, tag))
    for version, tag in sorted(candidates, key=lambda c: (c[0], c[1].name), reverse=True):
        if _has_every_change(git, tag.sha, head):
            return ProductionVersion(tag=tag.name, version=version, sha=tag.sha, merged=True)
    return None


def _has_every_change(git: GitRepo, sha: str, head: str) -> bool:
    """Whether the only commits of ``sha`` missing from ``head`` are merge commits."""
    missing = git.iter_commits([sha, f"^{head}"])
    try:
        return all(len(raw.parents) > 1 for raw in missing)
    finally:
        close = getattr(missing, "close", None)
        if close is not None:
            close()  # stop the git log at the first non-merge commit
