"""CHANGELOG.md updates, release grouping of a log, and the release notes archive index."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from relman.domain.changelog import (
    UNKNOWN,
    archive_file_name,
    assign_commits_to_releases,
    list_archive_entries,
    list_changelog_sections,
    parse_archive_file_name,
    read_archive_entry,
    update_changelog,
)
from relman.domain.versions import Version
from relman.errors import ConflictError

HEADER = "# Changelog\n\nAll notable changes.\n"
V = Version.parse


def entry(version: str, line: str = "- a change") -> str:
    return f"## [{version}] - 2026-01-01\n\n### Bug Fixes\n\n{line}\n"


EXISTING = (
    HEADER
    + "\n"
    + entry("1.1.0", "- one-one")
    + "\n"
    + entry("1.0.0", "- one-zero")
    + "\n<!-- links -->\n[1.0.0]: https://example/1.0.0\n"
)


def test_new_file_gets_the_header_and_the_section() -> None:
    assert update_changelog(None, version=V("1.0.0"), entry=entry("1.0.0"), header=HEADER) == (
        HEADER + "\n" + entry("1.0.0")
    )
    assert update_changelog("  \n", version=V("1.0.0"), entry=entry("1.0.0"), header=HEADER) == (
        HEADER + "\n" + entry("1.0.0")
    )


def test_new_section_goes_above_the_newest_and_the_rest_is_untouched() -> None:
    out = update_changelog(EXISTING, version=V("1.2.0"), entry=entry("1.2.0"), header=HEADER)
    assert out == HEADER + "\n" + entry("1.2.0") + "\n" + EXISTING[len(HEADER) + 1 :]
    assert [str(s.version) for s in list_changelog_sections(out)] == ["1.2.0", "1.1.0", "1.0.0"]


def test_unreleased_heading_stays_on_top() -> None:
    text = HEADER + "\n## [Unreleased]\n\n- wip\n\n" + entry("1.0.0")
    out = update_changelog(text, version=V("1.1.0"), entry=entry("1.1.0"), header=HEADER)
    headings = [s.heading for s in list_changelog_sections(out)]
    assert headings == ["## [Unreleased]", "## [1.1.0] - 2026-01-01", "## [1.0.0] - 2026-01-01"]


def test_an_older_version_is_inserted_in_precedence_order() -> None:
    out = update_changelog(EXISTING, version=V("1.0.1"), entry=entry("1.0.1"), header=HEADER)
    assert [str(s.version) for s in list_changelog_sections(out)] == ["1.1.0", "1.0.1", "1.0.0"]
    hotfix = update_changelog(
        out, version=V("1.0.1-hotfix.1"), entry=entry("1.0.1-hotfix.1"), header=HEADER
    )
    assert [str(s.version) for s in list_changelog_sections(hotfix)] == [
        "1.1.0",
        "1.0.1",
        "1.0.1-hotfix.1",
        "1.0.0",
    ]


def test_older_than_everything_is_appended() -> None:
    out = update_changelog(
        HEADER + "\n" + entry("1.0.0"), version=V("0.9.0"), entry=entry("0.9.0"), header=HEADER
    )
    assert out.endswith("\n\n" + entry("0.9.0"))


def test_a_version_already_present_is_a_conflict_naming_the_line() -> None:
    with pytest.raises(ConflictError) as err:
        update_changelog(
            EXISTING, version=V("1.0.0"), entry=entry("1.0.0"), header=HEADER, where="CHANGELOG.md"
        )
    assert err.value.where == "CHANGELOG.md:11"
    assert "--force" in (err.value.hint or "")


def test_force_replaces_only_that_section() -> None:
    out = update_changelog(
        EXISTING, version=V("1.1.0"), entry=entry("1.1.0", "- new"), header=HEADER, force=True
    )
    assert out == EXISTING.replace("- one-one", "- new")
    last = update_changelog(
        EXISTING, version=V("1.0.0"), entry=entry("1.0.0", "- new"), header=HEADER, force=True
    )
    # the last section runs to the end of the file: its trailing text is its own
    assert last == EXISTING[: EXISTING.index("## [1.0.0]")] + entry("1.0.0", "- new")


def test_build_metadata_is_the_same_version() -> None:
    with pytest.raises(ConflictError):
        update_changelog(EXISTING, version=V("1.1.0+b7"), entry=entry("1.1.0"), header=HEADER)


def test_sections_without_versions_are_listed_without_one() -> None:
    sections = list_changelog_sections("# C\n\n## Notes\n\n## v1.0.0 (2026-01-01)\n")
    assert [(s.heading, s.version, s.line) for s in sections] == [
        ("## Notes", None, 3),
        ("## v1.0.0 (2026-01-01)", V("1.0.0"), 5),
    ]


# ------------------------------------------------------------------ history


@dataclass(frozen=True)
class Node:
    sha: str
    parents: tuple[str, ...]


def test_linear_history_is_cut_at_each_tag() -> None:
    # newest first, like git log: e - d(v1.1.0) - c - b(v1.0.0) - a
    log = [
        Node("e", ("d",)),
        Node("d", ("c",)),
        Node("c", ("b",)),
        Node("b", ("a",)),
        Node("a", ()),
    ]
    groups = assign_commits_to_releases(log, [(V("1.1.0"), "d"), (V("1.0.0"), "b")])
    assert {k: [n.sha for n in v] for k, v in groups.items()} == {
        "b": ["b", "a"],
        "d": ["d", "c"],
        None: ["e"],
    }


def test_a_branch_merged_later_belongs_to_the_release_that_merged_it() -> None:
    # f was committed on a branch before v1.0.0 (dated earlier) but merged after it
    log = [
        Node("m", ("b", "f")),  # merge, tagged v1.1.0
        Node("b", ("a",)),  # tagged v1.0.0
        Node("f", ("a",)),
        Node("a", ()),
    ]
    groups = assign_commits_to_releases(log, [(V("1.0.0"), "b"), (V("1.1.0"), "m")])
    assert [n.sha for n in groups["m"]] == ["m", "f"]
    assert [n.sha for n in groups["b"]] == ["b", "a"]
    assert groups[None] == []


def test_a_hotfix_ships_before_the_next_patch() -> None:
    log = [Node("c", ("b",)), Node("b", ("a",)), Node("a", ())]
    releases = [(V("1.0.1"), "c"), (V("1.0.1-hotfix.1"), "b"), (V("1.0.0"), "a")]
    groups = assign_commits_to_releases(log, releases)
    assert [[n.sha for n in groups[s]] for s in ("a", "b", "c")] == [["a"], ["b"], ["c"]]


def test_a_tag_outside_the_log_is_empty() -> None:
    groups = assign_commits_to_releases([Node("a", ())], [(V("9.0.0"), "zzz")])
    assert groups["zzz"] == []
    assert [n.sha for n in groups[None]] == ["a"]


# ------------------------------------------------------------------ archive


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("release-notes-v1.2.0.md", "1.2.0"),
        ("release-notes-v2.0.1-hotfix.1.md", "2.0.1-hotfix.1"),
        ("release-notes-v1.2.md", None),
        ("README.md", None),
        ("release-notes-v1.2.0.html", None),
    ],
)
def test_archive_file_names(name: str, version: str | None) -> None:
    parsed = parse_archive_file_name(name)
    assert (str(parsed) if parsed else None) == version
    if version:
        assert archive_file_name(version) == name


NOTES = "# Release Notes - X v{v}\n\n**Release Date:** {d}\n**Release Type:** {t}\n"


def test_index_is_newest_first_by_semver_precedence() -> None:
    files = {
        "release-notes-v1.10.0.md": NOTES.format(v="1.10.0", d="2026-03-01", t="Minor"),
        "release-notes-v1.9.0.md": NOTES.format(v="1.9.0", d="2026-02-01", t="Minor"),
        "release-notes-v1.9.1-hotfix.1.md": NOTES.format(
            v="1.9.1-hotfix.1", d="2026-02-03", t="Hotfix"
        ),
        "release-notes-v1.9.1.md": NOTES.format(v="1.9.1", d="2026-02-10", t="Patch"),
        "release-notes-v2.0.0-rc.1.md": NOTES.format(v="2.0.0-rc.1", d="2026-04-01", t="Major"),
        "README.md": "# index\n",
        "release-notes-vX.md": "junk",
    }
    entries = list_archive_entries(files)
    assert [(str(e.version), e.release_date, e.release_type) for e in entries] == [
        ("2.0.0-rc.1", "2026-04-01", "Major"),
        ("1.10.0", "2026-03-01", "Minor"),
        ("1.9.1", "2026-02-10", "Patch"),
        ("1.9.1-hotfix.1", "2026-02-03", "Hotfix"),
        ("1.9.0", "2026-02-01", "Minor"),
    ]


def test_an_archived_file_without_the_header_fields_is_listed_as_unknown() -> None:
    found = read_archive_entry("release-notes-v1.0.0.md", "# Hand-written notes\n")
    assert found is not None
    assert (found.release_date, found.release_type) == (UNKNOWN, UNKNOWN)
