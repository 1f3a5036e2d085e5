"""The pure parts of the Git Flow lifecycle link: release types and the by-hand command."""

from __future__ import annotations

import pytest

from relman.domain.versions import Version
from relman.services.flow_events import FlowEvent, compute_release_type
from relman.services.flow_records import RecordPlan, compute_link_command


@pytest.mark.parametrize(
    ("version", "previous", "expected"),
    [
        ("2.0.0", "1.4.2", "major"),
        ("1.5.0", "1.4.2", "minor"),
        ("1.4.3", "1.4.2", "patch"),
        ("1.0.0", None, "major"),  # the first release counts from 0.0.0
        ("0.1.0", None, "minor"),
        ("0.0.1", None, "patch"),
        ("1.5.0-rc.1", "1.4.2", "minor"),
    ],
)
def test_the_release_type_is_the_bump_over_the_last_final_release(
    version: str, previous: str | None, expected: str
) -> None:
    before = Version.parse(previous) if previous else None
    assert compute_release_type(Version.parse(version), before) == expected


@pytest.mark.parametrize(
    ("event", "release_id", "actor", "expected"),
    [
        (
            FlowEvent("release", "start", "1.3.0", "minor", "release/1.3.0", "release/1.3.0"),
            None,
            None,
            "relman flow link release/1.3.0 --as PERSON",
        ),
        (
            FlowEvent("release", "finish", "1.3.0", "minor", "v1.3.0", "release/1.3.0", "v1.3.0"),
            "R-4",
            "meher",
            "relman flow link v1.3.0 --release R-4 --as meher",
        ),
        (
            FlowEvent("hotfix", "start", "1.3.1-hotfix.1", "hotfix", "hotfix/it's", "hotfix/it's"),
            None,
            "a b",
            "relman flow link 'hotfix/it'\"'\"'s' --as 'a b'",
        ),
    ],
)
def test_the_by_hand_command_is_a_shell_line(
    event: FlowEvent, release_id: str | None, actor: str | None, expected: str
) -> None:
    assert compute_link_command(event, release_id, actor) == expected


@pytest.mark.parametrize(
    ("plan", "shown"),
    [
        (RecordPlan("skip", "skipped (--no-record)"), False),
        (RecordPlan("skip", "no release store"), False),
        (RecordPlan("skip", "no person", command="relman flow link x --as PERSON"), True),
        (RecordPlan("create", "create ..."), True),
        (RecordPlan("link", "link ..."), True),
    ],
)
def test_quiet_skips_are_not_shown(plan: RecordPlan, shown: bool) -> None:
    assert plan.shown is shown
