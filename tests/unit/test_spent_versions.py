"""Spent versions (a version is one build): which ones, and the next free version."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from relman.domain.deployment_records import Deployment, DeploymentStatus
from relman.domain.planning import (
    SpentVersion,
    decide_unspent_version,
    list_spent_versions,
    normalize_version_text,
)
from relman.domain.releases import Phase, Release
from relman.domain.versions import Version

AT = datetime(2026, 3, 1, tzinfo=UTC)


def release(rid: str, version: str, phase: Phase, components: tuple[str, ...] = ()) -> Release:
    return Release(
        id=rid, title="", release_type="patch", version=version, components=components,
        phase=phase, planned_by="rana", target_date=date(2026, 3, 5), created_at=AT,
        commit_sha=None, scope_commits=(), scope_tickets=(), revision=1,
    )  # fmt: skip


def deployment(did: str, rid: str, status: DeploymentStatus, env: str = "dev") -> Deployment:
    return Deployment(
        id=did, release_id=rid, environment=env, version="x", digest="0" * 64, artifact="a",
        strategy="rolling", status=status, actor="dipu", created_at=AT,
    )  # fmt: skip


def test_rolled_back_and_built_versions_are_spent() -> None:
    releases = [
        release("R-1", "1.2.1", Phase.ROLLED_BACK),
        release("R-2", "1.2.2", Phase.TEST),
        release("R-3", "1.2.3", Phase.TEST),
        release("R-4", "1.2.4", Phase.CANCELLED),
        release("R-5", "v1.2.5", Phase.DEPLOY),
    ]
    deployments = [
        deployment("D-1", "R-2", DeploymentStatus.SUCCEEDED, "qa"),
        deployment("D-2", "R-3", DeploymentStatus.DRY_RUN),  # a dry run built nothing
        deployment("D-3", "R-5", DeploymentStatus.ROLLED_BACK),
    ]
    spent = list_spent_versions(releases, deployments, components=())
    assert sorted(spent) == ["1.2.1", "1.2.2", "1.2.5"]
    assert spent["1.2.1"].describe() == "1.2.1 was rolled back (R-1)"
    assert spent["1.2.2"].describe() == "1.2.2 has a build (D-1 deployed it to qa) (R-2)"


def test_other_components_have_their_own_versions() -> None:
    releases = [release("R-1", "1.2.1", Phase.ROLLED_BACK, ("farm",))]
    assert list_spent_versions(releases, [], components=()) == {}
    assert list(list_spent_versions(releases, [], components=("farm",))) == ["1.2.1"]


@pytest.mark.parametrize(
    ("chosen", "spent", "expected"),
    [
        ("1.2.1", [], "1.2.1"),
        ("1.2.1", ["1.2.1"], "1.2.2"),
        ("1.2.1", ["1.2.1", "1.2.2"], "1.2.3"),
        ("1.2.1", ["1.2.2"], "1.2.1"),
        ("1.2.1-hotfix.2", ["1.2.1-hotfix.2"], "1.2.1-hotfix.3"),
        ("1.3.0-rc.1", ["1.3.0-rc.1"], "1.3.0-rc.2"),
        ("1.3.0", ["1.3.0"], "1.3.1"),
    ],
)
def test_decide_unspent_version(chosen: str, spent: list[str], expected: str) -> None:
    table = {v: SpentVersion(v, f"R-{i}", "was rolled back") for i, v in enumerate(spent)}
    fresh, skipped = decide_unspent_version(Version.parse(chosen), table)
    assert str(fresh) == expected
    assert [s.version for s in skipped] == [v for v in spent if Version.parse(v) < fresh]


@pytest.mark.parametrize(
    ("text", "expected"), [("1.2.1", "1.2.1"), ("v1.2.1", "1.2.1"), (" 1.2.1+b7 ", "1.2.1")]
)
def test_normalize_version_text(text: str, expected: str) -> None:
    assert normalize_version_text(text) == expected
