"""What a release or hotfix workflow did, in the terms of the release record.

A `FlowEvent` names the version, the release type (from the bump for a release, ``hotfix``
otherwise) and the ref a record binds to: the release or hotfix branch after a start, the tag
after a finish. `PinnedGit` lets the lifecycle use cases, which work "at HEAD", plan or re-bind
a record at that ref whatever is checked out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from relman.domain.branches import BranchKind, split_branch
from relman.domain.flow import FlowPolicy, decide_release_version
from relman.domain.versions import Version
from relman.errors import InvalidInputError
from relman.services.git_views import GitRepoView
from relman.services.production import compute_next_hotfix
from relman.services.versioning import get_current_version

if TYPE_CHECKING:
    from relman.domain.components import VersioningPolicy
    from relman.ports import GitRepo, TagRef


@dataclass(frozen=True)
class FlowEvent:
    """A release or hotfix workflow step the record should know about."""

    kind: str  # release | hotfix
    stage: str  # start | finish
    version: str
    release_type: str  # major | minor | patch | hotfix
    ref: str  # what the record binds to: the branch (start) or the tag (finish)
    branch: str | None = None
    tag: str | None = None

    @property
    def audit_action(self) -> str:
        return "flow.link" if self.stage == "start" else "flow.finish"


def compute_release_type(version: Version, previous: Version | None) -> str:
    """The release type of a version bump: 1.2.0 -> 2.0.0 major, -> 1.3.0 minor, else patch."""
    before = previous or Version(0, 0, 0)
    if version.major != before.major:
        return "major"
    if version.minor != before.minor:
        return "minor"
    return "patch"


def compute_event(
    *,
    git: GitRepo,
    versioning: VersioningPolicy,
    kind: str,
    stage: str,
    version: Version,
    ref: str,
    base: str,
    branch: str | None,
    tag: str | None = None,
) -> FlowEvent:
    """A workflow's event. A release's type is its bump over the last final release reachable
    from ``base`` (its own ``tag`` hidden): 1.2.0 -> 1.3.0 is a minor release."""
    release_type = "hotfix"
    if kind == "release":
        pinned = PinnedGit(git, head=git.resolve(base), hidden_tags=frozenset({tag}))
        previous = get_current_version(git=pinned, policy=versioning, ref="HEAD").last_final
        release_type = compute_release_type(version, previous)
    return FlowEvent(kind, stage, str(version), release_type, ref, branch, tag)


def compute_ref_event(
    *, git: GitRepo, policy: FlowPolicy, versioning: VersioningPolicy, ref: str
) -> FlowEvent:
    """The event ``relman flow link REF`` stands for: a release tag is a finish, a release or
    hotfix branch a start."""
    name = ref.removeprefix("refs/tags/")
    if name in {t.name for t in git.list_tags()}:
        version = policy.tag_format.parse(name)
        if version is None:
            raise InvalidInputError(
                f"tag {name!r} is not a release tag ({policy.tag_format.pattern})", where=ref
            )
        hotfix = version.prerelease[:1] == (policy.hotfix_token,)
        kind = "hotfix" if hotfix else "release"
        branch = None if hotfix else policy.branches.compute_name(BranchKind.RELEASE, str(version))
        return compute_event(
            git=git,
            versioning=versioning,
            kind=kind,
            stage="finish",
            version=version,
            ref=name,
            base=name,
            branch=branch,
            tag=name,
        )
    branch = ref.removeprefix("refs/heads/")
    kind_of, _ = split_branch(branch, policy.branches)
    if kind_of not in (BranchKind.RELEASE, BranchKind.HOTFIX):
        raise InvalidInputError(
            f"{ref!r} is neither a release or hotfix branch nor a release tag",
            where=ref,
            hint="name the branch a start made (release/1.3.0, hotfix/...) or the tag a "
            "finish made (v1.3.0)",
        )
    git.resolve(branch)  # NotFoundError for a branch that does not exist
    if kind_of is BranchKind.RELEASE:
        version = decide_release_version(branch, policy)
    else:
        version = compute_next_hotfix(
            git=git, tag_format=policy.tag_format, hotfix_token=policy.hotfix_token, ref=branch
        ).next
    return compute_event(
        git=git,
        versioning=versioning,
        kind=kind_of.value,
        stage="start",
        version=version,
        ref=branch,
        base=branch,
        branch=branch,
    )


class PinnedGit(GitRepoView):
    """A `GitRepo` whose HEAD is ``head`` and which does not see ``hidden_tags``.

    The lifecycle use cases work "at HEAD"; the flow binds records to a named commit (the
    release branch's bump, the tagged merge on main) whatever is checked out afterwards.
    """

    def __init__(self, git: GitRepo, *, head: str, hidden_tags: frozenset[str | None]) -> None:
        super().__init__(git)
        self._head = head
        self._hidden = hidden_tags

    def resolve(self, ref: str) -> str:
        return self._head if ref == "HEAD" else self._git.resolve(ref)

    def list_tags(self, merged_into: str | None = None, *, prefix: str = "") -> list[TagRef]:
        tags = self._git.list_tags(merged_into=merged_into, prefix=prefix)
        return [t for t in tags if t.name not in self._hidden]
