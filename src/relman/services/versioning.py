"""Use cases: the current release of a component, and the next version from its commits.

The current version is the highest version (SemVer precedence) among the tags reachable from a
ref that match the component's tag format. The next version comes from the Conventional Commits
since the last *final* release (so that promoting ``1.2.0-rc.2`` to ``1.2.0`` still sees the
``feat`` that made it a minor release), read in one streamed ``git log`` over the component's
path filters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from relman.domain.commits import Commit, decide_bump, read_commits
from relman.domain.components import Component, VersioningPolicy
from relman.domain.tags import find_release_tags
from relman.domain.versions import Bump, Version, compute_next_version
from relman.errors import GitError, InvalidInputError, NothingToReleaseError
from relman.ports import GitRepo, RawCommit

SHALLOW_MESSAGE = (
    "shallow clone: no release tag reachable from HEAD; "
    "fetch more history (git fetch --unshallow or --depth)"
)


@dataclass(frozen=True)
class CurrentVersion:
    """The latest release of a component reachable from a ref (all None: never released)."""

    tag: str | None
    version: Version | None
    sha: str | None
    component: str | None = None
    last_final_tag: str | None = None
    last_final: Version | None = None
    last_final_sha: str | None = None


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
    latest, final = find_release_tags(git.list_tags(merged_into=head), comp.tag_format)
    if latest is None:
        if git.is_shallow():
            raise GitError(
                SHALLOW_MESSAGE,
                where=f"{git.root} ({comp.tag_format.pattern} tags reachable from {ref})",
                hint="in CI, clone with fetch-depth: 0 or fetch the tags' history",
            )
        return CurrentVersion(tag=None, version=None, sha=None, component=comp.name)
    return CurrentVersion(
        tag=latest[1].name,
        version=latest[0],
        sha=latest[1].sha,
        component=comp.name,
        last_final_tag=final[1].name if final else None,
        last_final=final[0] if final else None,
        last_final_sha=final[1].sha if final else None,
    )


class _Counter:
    """Counts the raw commits flowing through to the parser."""

    def __init__(self, raws: Iterable[RawCommit]) -> None:
        self._raws = raws
        self.count = 0

    def __iter__(self) -> Iterator[RawCommit]:
        for raw in self._raws:
            self.count += 1
            yield raw


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
    counter = _Counter(git.iter_commits(revs, paths=comp.paths))
    decision = decide_bump(
        read_commits(counter, commit_policy), commit_policy, current=current.version
    )
    bump = decision.bump

    count = counter.count
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
        commits=counter.count,
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
    counter = _Counter(git.iter_commits([f"^{current.sha}", head], paths=comp.paths))
    cp = policy.commit_policy
    decision = decide_bump(read_commits(counter, cp), cp, current=current.version)
    return decision.bump, counter.count


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
