"""Use cases: the current release of a component, and the next version from its commits.

The current version is the highest version (SemVer precedence) among the tags reachable from a
ref that match the component's tag format. The next version comes from the Conventional Commits
since the last *final* release (so that promoting ``1.2.0-rc.2`` to ``1.2.0`` still sees the
``feat`` that made it a minor release), read in one streamed ``git log`` over the component's
path filters.
The latest production release (a final version or a hotfix) comes from
``relman.services.production``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from relman.domain.commits import (
    GIT_REVERT_RE,
    HEADER_RE,
    BumpDecision,
    Commit,
    CommitPolicy,
    decide_bump,
    list_merge_messages,
    read_commits,
)
from relman.domain.components import Component, VersioningPolicy
from relman.domain.tags import scan_release_tags
from relman.domain.versions import Bump, Version, compute_next_version
from relman.errors import GitError, InvalidInputError, NothingToReleaseError
from relman.ports import GitRepo, RawCommit
from relman.services.production import ProductionVersion, decide_production

SHALLOW_MESSAGE = (
    "shallow clone: no release tag reachable from HEAD; "
    "fetch more history (git fetch --unshallow or --depth)"
)


@dataclass(frozen=True)
class CurrentVersion:
    """The latest release of a component reachable from a ref (all None: never released).

    ``version`` is the latest release tag (a pre-release counts: ``1.3.0-rc.1``),
    ``last_final`` the latest final one and ``production`` the latest production one (a final
    version or a hotfix, see :func:`find_production_version`).
    """

    tag: str | None
    version: Version | None
    sha: str | None
    component: str | None = None
    last_final_tag: str | None = None
    last_final: Version | None = None
    last_final_sha: str | None = None
    production: ProductionVersion | None = None


@dataclass(frozen=True)
class NextVersion:
    """The version the next release gets, and why."""

    component: str | None
    current: Version | None
    next: Version | None
    bump: Bump
    commits: int
    reasons: list[Commit] = field(default_factory=list)
    range: str = ""
    next_tag: str | None = None


def get_current_version(
    *, git: GitRepo, policy: VersioningPolicy, component: str | None = None, ref: str = "HEAD"
) -> CurrentVersion:
    """The latest release tag of ``component`` reachable from ``ref``.

    Raises NotFoundError for an unknown component or ref, and GitError in a shallow clone whose
    history ends before any release tag (the answer would be a guess).
    """
    comp = policy.get_component(component)
    head = git.resolve(ref)
    tags = git.list_tags(merged_into=head, prefix=comp.tag_format.prefix)
    found = scan_release_tags(tags, comp.tag_format, hotfix_token=policy.hotfix_token)
    latest, final = found.latest, found.final
    if latest is None:
        if git.is_shallow():
            raise GitError(
                SHALLOW_MESSAGE,
                where=f"{git.root} ({comp.tag_format.pattern} tags reachable from {ref})",
                hint="in CI, clone with fetch-depth: 0 or fetch the tags' history",
            )
        return CurrentVersion(tag=None, version=None, sha=None, component=comp.name)
    production = decide_production(
        git,
        reachable=found.production,
        tags=tags,
        tag_format=comp.tag_format,
        hotfix_token=policy.hotfix_token,
        head=head,
    )
    tag, version, sha = latest[1].name, latest[0], latest[1].sha
    if production is not None and production.merged and production.version > version:
        tag, version, sha = production.tag, production.version, production.sha
    return CurrentVersion(
        tag=tag,
        version=version,
        sha=sha,
        component=comp.name,
        last_final_tag=final[1].name if final else None,
        last_final=final[0] if final else None,
        last_final_sha=final[1].sha if final else None,
        production=production,
    )


def decide_bump_fast(
    raws: Iterable[RawCommit], policy: CommitPolicy, *, current: Version | None
) -> tuple[BumpDecision | None, int]:
    """``decide_bump(read_commits(raws))`` in one pass that parses only what can matter.

    Returns (decision, number of raw commits read). The decision is None when the shortcut
    cannot vouch for the answer (then read the range again with the full parser).

    Every commit gets a cheap *upper bound* of its bump from its header (type, ``!``) and a
    case-insensitive search for ``BREAKING CHANGE``. Only the commits whose bound equals the
    highest bound seen, every revert and every commit a revert names are kept and parsed in
    full by ``read_commits``/``decide_bump``. If their decision reaches the highest bound, it
    is the decision over the whole range: no skipped commit can bump more, none is a revert
    or a revert's target, and every commit with that bump was kept (in order). Otherwise (say,
    a reverted ``feat`` was the only one) the answer is None.
    """
    breaking = policy.breaking_bump
    if policy.zero_major_breaking_bumps_minor and current is not None and current.major == 0:
        breaking = min(breaking, Bump.MINOR)
    bumps = {name: int(kind.bump) for name, kind in policy.types.items()}
    top = 0
    kept: list[tuple[int, bool, RawCommit]] = []
    targets: set[str] = set()  # 7-char prefixes of the commits reverts name
    skipped: list[str] = []  # 7-char prefixes of the commits left out
    reverts: dict[str, set[str]] = {}  # revert sha -> the prefixes it names
    count = 0
    for raw in raws:  # the hot loop: 100k commits must cost well under a second
        count += 1
        if len(raw.parents) > 1:
            upper, revert = _upper_bump_merge(raw.message, policy, bumps, breaking)
        else:
            upper, revert = _upper_bump(raw.message, bumps, breaking)
        if revert:
            named = {c.reverts[:7] for c in read_commits([raw], policy) if c.reverts}
            reverts[raw.sha] = named
            targets |= named
        prefix = raw.sha[:7]
        must = revert or (targets and prefix in targets)
        if must or (upper >= top and upper):
            if upper > top:
                top = upper
                skipped += [k[2].sha[:7] for k in kept if not k[1] and k[0] < top]
                kept = [k for k in kept if k[1] or k[0] >= top]
            kept.append((upper, bool(must), raw))
        else:
            skipped.append(prefix)
    if not top:
        return BumpDecision(Bump.NONE, ()), count
    if targets and not targets.isdisjoint(skipped):
        return None, count
    subset = [k[2] for k in kept]
    if reverts:
        subset = _drop_idle_reverts(kept, reverts, targets, skipped, top)
    decision = decide_bump(read_commits(subset, policy), policy, current=current)
    return (decision if decision.bump == top else None), count


def _drop_idle_reverts(
    kept: list[tuple[int, bool, RawCommit]],
    reverts: dict[str, set[str]],
    targets: set[str],
    skipped: list[str],
    top: int,
) -> list[RawCommit]:
    """Leave out reverts that cannot matter: below the top bump, naming no commit of the
    range and named by no revert (typically reverts of commits released long ago)."""
    seen = set(skipped)
    seen.update(k[2].sha[:7] for k in kept)
    return [
        raw
        for upper, _, raw in kept
        if upper >= top
        or raw.sha not in reverts
        or raw.sha[:7] in targets
        or not reverts[raw.sha].isdisjoint(seen)
    ]


# A prefix of every header HEADER_RE accepts (looser: no description needed).
_LOOSE_HEADER = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)(?:\([^()\n]*\))?(!)?:")


def _upper_bump(message: str, bumps: dict[str, int], breaking: int) -> tuple[int, bool]:
    """(a bump at least as high as the parsed commit's, whether it may be a revert).

    Mirrors ``parse_commit`` loosely: whatever it parses gets a bound >= its real bump.
    """
    match = _LOOSE_HEADER.match(message)
    if match is not None:
        ctype, bang = match.group(1).lower(), match.group(2) is not None
    else:  # not conventional at first sight: find the header the way parse_commit does
        header = message.lstrip().split("\n", 1)[0].split("\r", 1)[0].rstrip()
        if GIT_REVERT_RE.match(header):
            ctype, bang = "revert", False
        else:
            full = HEADER_RE.match(header)
            if full is None:
                return 0, False  # parse_commit refuses it: it never bumps
            ctype, bang = full.group("type").lower(), full.group("bang") is not None
    bump = bumps.get(ctype, 0)
    if (bang or "breaking" in message.lower()) and breaking > bump:
        bump = breaking
    return bump, ctype == "revert"


def _upper_bump_merge(
    message: str, policy: CommitPolicy, bumps: dict[str, int], breaking: int
) -> tuple[int, bool]:
    top, revert = 0, False
    for text in list_merge_messages(message, policy.merge_commits):
        bump, is_revert = _upper_bump(text, bumps, breaking)
        top, revert = max(top, bump), revert or is_revert
    return top, revert


def _decide(
    git: GitRepo,
    revs: list[str],
    paths: Sequence[str],
    policy: CommitPolicy,
    current: Version | None,
) -> tuple[BumpDecision, int]:
    """The bump decision over a range and the number of commits read."""
    decision, count = decide_bump_fast(git.iter_commits(revs, paths=paths), policy, current=current)
    if decision is None:  # rare: re-read the range with the full parser
        commits = read_commits(git.iter_commits(revs, paths=paths), policy)
        decision = decide_bump(commits, policy, current=current)
    return decision, count


def compute_next(
    *,
    git: GitRepo,
    policy: VersioningPolicy,
    component: str | None = None,
    pre: str | None = None,
    ref: str = "HEAD",
    allow_noop: bool = False,
) -> NextVersion:
    """The next version of ``component`` at ``ref`` from the commits since its last release.

    Raises NothingToReleaseError when no commit since the last release bumps the version
    (``allow_noop=True`` returns the current version with bump NONE instead).
    """
    comp = policy.get_component(component)
    if pre is not None:
        _check_pre_token(pre, policy)
    head = git.resolve(ref)
    current = get_current_version(git=git, policy=policy, component=component, ref=head)
    commit_policy = policy.commit_policy

    base_tag, base_sha = current.last_final_tag, current.last_final_sha
    revs: list[str] = [head] if base_sha is None else [f"^{base_sha}", head]
    shown = ref if base_tag is None else f"{base_tag}..{ref}"
    decision, count = _decide(git, revs, comp.paths, commit_policy, current.version)
    bump = decision.bump

    if bump is not Bump.NONE and pre is not None:
        # Another prerelease needs a releasable commit since the latest prerelease tag.
        since = _count_new_since_prerelease(git, current, head, comp, policy)
        if since is not None and since[0] is Bump.NONE:
            bump, count = Bump.NONE, since[1]
            shown = f"{current.tag}..{ref}"

    if bump is Bump.NONE:
        if not allow_noop:
            raise _nothing_to_release(
                git=git, policy=policy, comp=comp, shown=shown, count=count, tag=current.tag
            )
        return NextVersion(
            component=comp.name,
            current=current.version,
            next=current.version,
            bump=Bump.NONE,
            commits=count,
            reasons=[],
            range=shown,
            next_tag=current.tag,
        )

    nxt = compute_next_version(
        current=current.version,
        last_final=current.last_final,
        bump=bump,
        pre=pre,
        initial=policy.initial_version,
        zero_major_breaking_bumps_minor=commit_policy.zero_major_breaking_bumps_minor,
    )
    return NextVersion(
        component=comp.name,
        current=current.version,
        next=nxt,
        bump=bump,
        commits=count,
        reasons=list(decision.reasons),
        range=shown,
        next_tag=comp.tag_format.format(nxt),
    )


def _count_new_since_prerelease(
    git: GitRepo, current: CurrentVersion, head: str, comp: Component, policy: VersioningPolicy
) -> tuple[Bump, int] | None:
    """(bump, commits) since the latest tag when it is a prerelease; None otherwise."""
    if current.version is None or not current.version.is_prerelease or current.sha is None:
        return None
    if current.sha == head:
        return Bump.NONE, 0
    revs = [f"^{current.sha}", head]
    decision, count = _decide(git, revs, comp.paths, policy.commit_policy, current.version)
    return decision.bump, count


def _check_pre_token(pre: str, policy: VersioningPolicy) -> None:
    if policy.prerelease_tokens and pre not in policy.prerelease_tokens:
        allowed = ", ".join(policy.prerelease_tokens)
        raise InvalidInputError(
            f"prerelease token {pre!r} is not allowed (allowed: {allowed})",
            where="--pre",
            hint="tokens come from versioning.prerelease_tokens in relman.toml",
        )


def _nothing_to_release(
    *,
    git: GitRepo,
    policy: VersioningPolicy,
    comp: Component,
    shown: str,
    count: int,
    tag: str | None,
) -> NothingToReleaseError:
    subject = "" if comp.name is None else f" for component {comp.name!r}"
    if count == 0:
        read = f"no commits in {shown}"
    else:
        read = f"none of the {count} commit{'s' if count != 1 else ''} in {shown} bumps the version"
    latest = f"; the latest release is {tag}" if tag else ""
    releasing = sorted(
        name for name, t in policy.commit_policy.types.items() if t.bump is not Bump.NONE
    )
    return NothingToReleaseError(
        f"nothing to release{subject}: {read}{latest}",
        where=git.root,
        hint=f"only breaking changes and {', '.join(releasing)} commits release; "
        "--allow-noop exits 0 instead",
        details={"range": shown, "commits": count},
    )
