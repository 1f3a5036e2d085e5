"""Evidence use cases (issue 3 §4): record test, coverage, security-scan and CI results.

The file is parsed (JUnit XML, Cobertura XML, SARIF 2.1.0, CI status) and digested before
anything is written: a file that is not what it claims is refused and nothing is stored.
Evidence is bound to the release's current commit (or ``commit``); gates G2 and G3 judge only
evidence for the commit the release is bound to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from relman.domain.evidence import Judgement, compute_digest, judge_evidence, parse_evidence
from relman.domain.lifecycle import Action, decide_transition
from relman.domain.policy import ReleasePolicy
from relman.domain.releases import ChecklistItem, Evidence, Release
from relman.errors import InvalidInputError
from relman.services.lifecycle import (
    UNATTENDED_ACTOR,
    Tx,
    apply_auto_ticks,
    get_actor,
    read,
    run_in_transaction,
)

if TYPE_CHECKING:
    from relman.ports import Clock, GitRepo, UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class AddedEvidence:
    evidence: Evidence
    judgement: Judgement  # does it satisfy J-003 (tests pass, coverage >= min, ...)?
    counts: bool  # bound to the release's current commit, so gates see it
    auto_ticked: list[ChecklistItem]


def judge(evidence: Evidence, policy: ReleasePolicy) -> Judgement:
    return judge_evidence(
        evidence, coverage_min=policy.coverage_min, blocking_levels=policy.sarif_blocking_levels
    )


def add_evidence(
    *,
    uow_factory: UnitOfWorkFactory,
    policy: ReleasePolicy,
    clock: Clock,
    release_id: str,
    kind: str,
    data: bytes,
    source: str,
    actor: str | None = None,
    commit: str | None = None,
    git: GitRepo | None = None,
) -> AddedEvidence:
    """Parse, digest and store one evidence file; InvalidInputError if it is not ``kind``.

    ``actor`` None records the pipeline (``ci``) as the actor; ``commit`` (resolved with
    ``git``) binds the evidence to another commit than the release's.
    """
    who = UNATTENDED_ACTOR if actor is None else get_actor(policy, actor).id
    summary = parse_evidence(kind, data, source=source)
    digest = compute_digest(data)
    sha = None
    if commit is not None:
        if git is None:
            raise InvalidInputError("--commit needs the git repository", where="--commit")
        sha = git.resolve(commit)

    def work(tx: Tx) -> AddedEvidence:
        release = tx.uow.releases.get(release_id)
        decide_transition(release.phase, Action.ADD_EVIDENCE)
        bound = sha or release.commit_sha
        _check_ci_commit(summary, bound, source)
        updated = tx.save_release(release, release)
        evidence = tx.uow.evidence.add(
            Evidence(
                release_id=release.id,
                kind=kind,
                summary=summary,
                digest=digest,
                source=source,
                commit_sha=bound,
                at=tx.at,
            )
        )
        verdict = judge(evidence, policy)
        tx.record(
            "evidence.add",
            release.id,
            after={"evidence": evidence, "ok": verdict.ok, "detail": verdict.detail},
        )
        ticked = apply_auto_ticks(tx, updated, policy)
        counts = bound is not None and bound == updated.commit_sha
        return AddedEvidence(evidence, verdict, counts, ticked)

    return run_in_transaction(uow_factory=uow_factory, clock=clock, actor=who, work=work)


def _check_ci_commit(summary: dict[str, object], bound: str | None, source: str) -> None:
    """A CI status that names its commit must name the one it is recorded for."""
    named = summary.get("commit")
    if not isinstance(named, str) or not named or bound is None:
        return
    if not (bound.startswith(named.lower()) or named.lower().startswith(bound)):
        raise InvalidInputError(
            f"CI status is for commit {named[:12]} but would be recorded for {bound[:12]}",
            where=f"{source} commit",
            hint="pass --commit to bind it to the commit it is for",
        )


def list_evidence(
    *, uow_factory: UnitOfWorkFactory, release_id: str, kind: str | None = None
) -> tuple[Release, list[Evidence]]:
    """The release and its evidence, oldest first."""

    def work(uow: UnitOfWork) -> tuple[Release, list[Evidence]]:
        return uow.releases.get(release_id), list(uow.evidence.list(release_id, kind=kind))

    return read(uow_factory, work)
