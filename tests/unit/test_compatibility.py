"""The §4.4 compatibility matrix: which component versions may run together."""

from __future__ import annotations

import pytest

from relman.domain.compatibility import CompatibilityMatrix, decide_compatibility, matches_pattern
from relman.errors import BlockedError

J003 = CompatibilityMatrix.of(
    [
        ("Phase 1", {"core": "1.0.x", "farm": "1.0.x", "b2b": "1.0.x", "mobile": "1.0.x"}),
        (
            "Phase 1 Enhancement",
            {"core": "1.1.x", "farm": "1.1.x", "b2b": "1.1.x", "mobile": "1.1.x"},
        ),
        ("Phase 2", {"core": "2.0.x", "farm": "1.2.x", "b2b": "2.0.x", "mobile": "2.0.x"}),
        ("Phase 3", {"core": "3.0.x", "farm": "2.0.x", "b2b": "2.1.x", "mobile": "2.1.x"}),
        ("Phase 4", {"core": "4.0.x", "farm": "2.1.x", "b2b": "3.0.x", "mobile": "3.0.x"}),
    ]
)


@pytest.mark.parametrize(
    ("pattern", "version", "expected"),
    [
        ("1.0.x", "1.0.7", True),
        ("1.0.x", "1.0.7-hotfix.1", True),
        ("1.0.x", "1.1.0", False),
        ("2.x", "2.9.1", True),
        ("1.2.3", "1.2.3", True),
        ("1.2.3", "1.2.4", False),
        ("*", "9.9.9", True),
        ("1.2.3", "1.2", False),
    ],
)
def test_version_patterns(pattern: str, version: str, expected: bool) -> None:
    assert matches_pattern(pattern, version) is expected


@pytest.mark.parametrize(
    ("running", "compatible"),
    [
        ({"core": "2.0.3", "farm": "1.2.0", "b2b": "2.0.1"}, True),
        ({"core": "2.0.3", "farm": "1.1.9"}, False),
        ({"core": "1.0.0", "farm": "1.0.4", "b2b": "1.0.0", "mobile": "1.0.2"}, True),
        ({"core": "5.0.0"}, True),  # one known component: nothing to combine
        ({"core": "2.0.0", "erp-addon": "7.0.0"}, True),  # unknown components are not judged
        ({"core": "3.0.1", "farm": "2.0.0", "b2b": "2.0.0"}, False),
    ],
)
def test_sets_of_versions(running: dict[str, str], compatible: bool) -> None:
    assert decide_compatibility(running, J003).compatible is compatible


def test_a_refusal_shows_the_row_the_changed_component_belongs_to() -> None:
    verdict = decide_compatibility({"core": "2.0.1", "farm": "1.1.0"}, J003, changed=["core"])
    assert not verdict.compatible
    assert verdict.row is not None and verdict.row.status == "Phase 2"
    assert verdict.conflicts == ("farm",)
    assert 'row 3 "Phase 2"' in verdict.reason and "farm 1.2.x" in verdict.reason
    with pytest.raises(BlockedError) as err:
        verdict.require(environment="qa")
    assert err.value.exit_code == 7
    assert err.value.details["row"]["farm"] == "1.2.x"


def test_changing_the_other_component_shows_its_row() -> None:
    verdict = decide_compatibility({"core": "2.0.1", "farm": "1.1.0"}, J003, changed=["farm"])
    assert verdict.row is not None and verdict.row.status == "Phase 1 Enhancement"
    assert verdict.conflicts == ("core",)
