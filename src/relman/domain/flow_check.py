"""The CI check of J-003 §5.1-5.2: may branch A merge into branch B?

``relman flow check --source A --target B`` exits 1 naming every rule a merge breaks: the
branch-naming rules of ``relman lint branch`` and where each kind of branch may merge.
"""

from __future__ import annotations

from collections.abc import Mapping

from relman.domain.branches import BranchKind, split_branch
from relman.domain.flow import FlowPolicy
from relman.domain.linting import Violation, lint_branch_name

MERGE_TARGETS: Mapping[BranchKind, tuple[BranchKind, ...]] = {
    BranchKind.FEATURE: (BranchKind.DEVELOP,),
    BranchKind.BUGFIX: (BranchKind.DEVELOP,),
    BranchKind.RELEASE: (BranchKind.MAIN, BranchKind.DEVELOP),
    BranchKind.HOTFIX: (BranchKind.MAIN, BranchKind.DEVELOP, BranchKind.RELEASE),
    # the back-merge that `flow release finish` makes after tagging
    BranchKind.MAIN: (BranchKind.DEVELOP,),
}


def check_merge(source: str, target: str, policy: FlowPolicy) -> list[Violation]:
    """Every J-003 §5.1-5.2 rule a merge of ``source`` into ``target`` breaks."""
    found = lint_branch_name(source, policy.branches, ticket_patterns=policy.ticket_patterns)
    found += lint_branch_name(target, policy.branches, ticket_patterns=policy.ticket_patterns)
    source_kind = split_branch(source, policy.branches)[0]
    target_kind = split_branch(target, policy.branches)[0]
    if BranchKind.OTHER in (source_kind, target_kind):
        return found
    allowed = MERGE_TARGETS.get(source_kind, ())
    if target_kind not in allowed:
        into = _kind_label(target_kind, policy)
        if allowed:
            names = " and ".join(_kind_label(k, policy) for k in allowed)
            message = f"{source_kind} branches merge into {names} only, not into {into}"
        else:
            message = f"{source_kind} reaches {into} only through a release branch"
        found.append(
            Violation(
                f"flow-{source_kind}-target", f"{message} (J-003 §5.1)", f"{source} -> {target}"
            )
        )
    return found


def _kind_label(kind: BranchKind, policy: FlowPolicy) -> str:
    if kind is BranchKind.MAIN:
        return policy.main
    if kind is BranchKind.DEVELOP:
        return policy.develop
    return f"{policy.branches.prefix_for(kind)}*"
