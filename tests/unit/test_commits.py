"""Conventional Commits parsing, merge modes, tickets and the bump decision."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relman.bootstrap import Services
from relman.domain.commits import (
    BumpDecision,
    Commit,
    CommitPolicy,
    CommitType,
    Footer,
    decide_bump,
    find_tickets,
    list_merge_messages,
    parse_commit,
    read_commits,
)
from relman.domain.versions import Bump, Version
from relman.errors import ConfigError, InvalidCommitError
from relman.settings import Settings

SHA_A = "a" * 40
SHA_B = "b" * 40
SHA_C = "c" * 40
SHA_D = "d" * 40


# --------------------------------------------------------------------------------------
# parse_commit: one row per rule


PARSE_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "type only",
        "feat: add breeding record management",
        {"type": "feat", "scope": None, "description": "add breeding record management"},
    ),
    (
        "scope",
        "fix(b2b): resolve credit limit calculation",
        {"type": "fix", "scope": "b2b", "description": "resolve credit limit calculation"},
    ),
    (
        "type is lowercased",
        "FEAT(Farm): x",
        {"type": "feat", "scope": "Farm", "header": "FEAT(Farm): x"},
    ),
    ("mixed-case type", "Fix: y", {"type": "fix", "description": "y"}),
    ("scope with comma", "feat(farm,b2b): x", {"scope": "farm,b2b"}),
    (
        "bang marks breaking, description is the note",
        "feat!: drop the CSV import",
        {"breaking": True, "breaking_notes": ("drop the CSV import",), "scope": None},
    ),
    (
        "scope and bang",
        "refactor(api)!: rename /v1",
        {"type": "refactor", "scope": "api", "breaking": True},
    ),
    ("not breaking", "feat: x", {"breaking": False, "breaking_notes": (), "footers": ()}),
    (
        "CRLF is normalized",
        "feat: x\r\n\r\nfirst line\r\nsecond line\r\n\r\nRefs: SD-1\r\n",
        {"body": "first line\nsecond line", "footers": (Footer("Refs", "SD-1"),)},
    ),
    ("bare CR is normalized", "fix: y\r\rbody\r", {"body": "body", "description": "y"}),
    (
        "multi-paragraph body",
        "feat: x\n\npara one\nstill one\n\npara two\n\n\npara three",
        {"body": "para one\nstill one\n\npara two\n\npara three", "footers": ()},
    ),
    (
        "trailing spaces and blank lines",
        "\n\nfeat: x   \n\nbody  \n\n\n",
        {"header": "feat: x", "description": "x", "body": "body"},
    ),
    (
        "footers after the body",
        "fix: y\n\nbody\n\nReviewed-by: Nasrin\nRefs: SD-12",
        {"body": "body", "footers": (Footer("Reviewed-by", "Nasrin"), Footer("Refs", "SD-12"))},
    ),
    (
        "footer with '#' separator keeps the '#'",
        "fix: y\n\nCloses #12\nRefs #7, #8",
        {"body": "", "footers": (Footer("Closes", "#12"), Footer("Refs", "#7, #8"))},
    ),
    (
        "multi-line footer value until the next token",
        "feat: x\n\nBREAKING CHANGE: the import moved\nto /api/v2 and\n  needs a token\nRefs: SD-3",
        {
            "footers": (
                Footer("BREAKING CHANGE", "the import moved\nto /api/v2 and\nneeds a token"),
                Footer("Refs", "SD-3"),
            ),
            "breaking": True,
            "breaking_notes": ("the import moved\nto /api/v2 and\nneeds a token",),
        },
    ),
    (
        "BREAKING-CHANGE synonym",
        "fix: y\n\nBREAKING-CHANGE: env var renamed",
        {"breaking": True, "breaking_notes": ("env var renamed",)},
    ),
    (
        "BREAKING CHANGE followed by prose paragraphs",
        "feat: x\n\nintro\n\nBREAKING CHANGE: config moved.\n\nRun relman migrate first.",
        {
            "body": "intro",
            "breaking_notes": ("config moved.\n\nRun relman migrate first.",),
        },
    ),
    (
        "BREAKING CHANGE value on the next line",
        "feat: x\n\nBREAKING CHANGE:\n  the whole API",
        {"breaking": True, "breaking_notes": ("the whole API",)},
    ),
    (
        "bang and footer: the footer is the note",
        "feat!: x\n\nBREAKING CHANGE: details",
        {"breaking_notes": ("details",)},
    ),
    (
        "token-looking paragraph followed by prose stays body",
        "feat: x\n\nNote: read this\n\nmore prose",
        {"body": "Note: read this\n\nmore prose", "footers": ()},
    ),
    (
        "footer-looking last line without a blank line stays body",
        "feat: x\n\nprose\nRefs: SD-5",
        {"body": "prose\nRefs: SD-5", "footers": (), "tickets": ("SD-5",)},
    ),
    (
        "URL is not a footer",
        "docs: x\n\nhttps://example.com/a",
        {"body": "https://example.com/a", "footers": ()},
    ),
    ("body without the blank line", "feat: x\nbody", {"body": "body"}),
    (
        "several footer paragraphs",
        "feat: x\n\nbody\n\nRefs: SD-1\n\nSigned-off-by: R <r@x>",
        {"body": "body", "footers": (Footer("Refs", "SD-1"), Footer("Signed-off-by", "R <r@x>"))},
    ),
    ("squashed PR title", "feat(farm): milk quality (#12)", {"description": "milk quality (#12)"}),
    (
        "git revert",
        f'Revert "feat(farm): add x"\n\nThis reverts commit {SHA_A}.',
        {
            "type": "revert",
            "scope": None,
            "description": "feat(farm): add x",
            "is_revert": True,
            "reverts": SHA_A,
            "breaking": False,
        },
    ),
    (
        "git reapply (the revert of a revert, git >= 2.43)",
        f'Reapply "feat: x"\n\nThis reverts commit {SHA_C}.',
        {"type": "revert", "description": "feat: x", "is_revert": True, "reverts": SHA_C},
    ),
    (
        "conventional revert with Refs",
        "revert: add x\n\nRefs: 1a2b3c4d",
        {"type": "revert", "is_revert": True, "reverts": "1a2b3c4d"},
    ),
    (
        "conventional revert with a ticket and a sha in Refs",
        "revert(farm): add x\n\nRefs: SD-9, ABCDEF12",
        {"is_revert": True, "reverts": "abcdef12", "tickets": ("SD-9",)},
    ),
    (
        "conventional revert with git's sentence",
        f"revert: add x\n\nThis reverts commit {SHA_B}.",
        {"reverts": SHA_B},
    ),
    ("revert without a target", "revert: add x", {"is_revert": True, "reverts": None}),
    ("feat is not a revert", "feat: x\n\nRefs: 1a2b3c4d", {"is_revert": False, "reverts": None}),
    (
        "tickets in header, body and footers, deduplicated in order",
        "fix(b2b): SD-7 credit limit\n\nAlso SD-3 and SD-7.\n\nRefs: SD-12, SD-3",
        {"tickets": ("SD-7", "SD-3", "SD-12")},
    ),
    ("no ticket", "fix: y", {"tickets": ()}),
]


@pytest.mark.parametrize(
    ("message", "expected"), [c[1:] for c in PARSE_CASES], ids=[c[0] for c in PARSE_CASES]
)
def test_parse_commit(message: str, expected: dict[str, Any]) -> None:
    commit = parse_commit(message)
    actual = {key: getattr(commit, key) for key in expected}
    assert actual == expected


def test_parse_commit_keeps_sha() -> None:
    assert parse_commit("feat: x", sha=SHA_A).sha == SHA_A


def test_parse_commit_ticket_patterns() -> None:
    commit = parse_commit(
        "fix: JIRA-4 and SD-2\n\nRefs: GH-10, JIRA-4",
        ticket_patterns=(r"JIRA-\d+", r"GH-\d+"),
    )
    assert commit.tickets == ("JIRA-4", "GH-10")


def test_footer_lookup_is_case_insensitive() -> None:
    commit = parse_commit(
        "feat: x\n\nbody\n\nrefs: SD-1\nREFS: SD-2\nBREAKING-CHANGE: gone\nUser-Visible: yes"
    )
    assert commit.footer("Refs") == "SD-1"
    assert commit.footers_named("refs") == ["SD-1", "SD-2"]
    assert commit.footer("breaking change") == "gone"
    assert commit.footer("user-visible") == "yes"
    assert commit.footer("Missing") is None


ERROR_CASES = [
    ("added stuff", "header-format", "header 'added stuff' is not 'type(scope): description'"),
    ("feat:x", "header-format", "header 'feat:x'"),
    ("feat(): x", "header-format", "header 'feat(): x'"),
    ("feat x: y", "header-format", "header 'feat x: y'"),
    ("Merge branch 'feature/x'", "header-format", "Merge branch"),
    ("fixup! feat: x", "header-format", "fixup!"),
    ("feat:", "subject-empty", "empty description"),
    ("feat(farm):   ", "subject-empty", "empty description"),
    ("", "message-empty", "message is empty"),
    ("  \r\n\n\t\n", "message-empty", "message is empty"),
]


@pytest.mark.parametrize(("message", "rule", "text"), ERROR_CASES)
def test_parse_commit_errors_name_the_rule(message: str, rule: str, text: str) -> None:
    with pytest.raises(InvalidCommitError) as info:
        parse_commit(message)
    assert info.value.details["rule"] == rule
    assert f"[{rule}]" in str(info.value)
    assert text in str(info.value)
    assert info.value.where is None


def test_parse_commit_error_names_the_commit() -> None:
    with pytest.raises(InvalidCommitError) as info:
        parse_commit("added stuff", sha="abc1234" + "0" * 33)
    assert info.value.message.startswith(
        "commit abc1234: header 'added stuff' is not 'type(scope): description'"
    )
    assert info.value.where == "abc1234" + "0" * 33
    assert info.value.exit_code == 4


def test_invalid_ticket_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="ticket pattern"):
        find_tickets("SD-1", ["SD-("])


# --------------------------------------------------------------------------------------
# Property: a rendered valid message parses back into its parts

_TOKEN = st.one_of(
    st.sampled_from(["BREAKING CHANGE", "BREAKING-CHANGE", "Refs", "Reviewed-by"]),
    st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}", fullmatch=True),
)
_LINE = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=":#"
        ),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
_FREE_LINE = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def _footer(draw: st.DrawFn) -> tuple[Footer, str]:
    token = draw(_TOKEN)
    if token.isalpha() and draw(st.booleans()):
        value = "#" + str(draw(st.integers(min_value=0, max_value=99999)))
        return Footer(token, value), f"{token} {value}"
    lines = [draw(_FREE_LINE), *draw(st.lists(_LINE, max_size=2))]
    value = "\n".join(lines)
    return Footer(token, value), f"{token}: {value}"


@given(
    ctype=st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True),
    scope=st.none() | st.from_regex(r"[a-z0-9](?:[a-z0-9_/.-]{0,10}[a-z0-9])?", fullmatch=True),
    bang=st.booleans(),
    description=_FREE_LINE,
    body=st.lists(st.lists(_LINE, min_size=1, max_size=3), max_size=3),
    footers=st.lists(_footer(), max_size=4),
)
def test_parse_round_trip(
    *,
    ctype: str,
    scope: str | None,
    bang: bool,
    description: str,
    body: list[list[str]],
    footers: list[tuple[Footer, str]],
) -> None:
    header = (
        f"{ctype}{f'({scope})' if scope is not None else ''}{'!' if bang else ''}: {description}"
    )
    body_text = "\n\n".join("\n".join(p) for p in body)
    parts = [header, body_text, "\n".join(text for _, text in footers)]
    message = "\n\n".join(p for p in parts if p)

    commit = parse_commit(message)

    expected_footers = tuple(f for f, _ in footers)
    notes = tuple(f.value for f in expected_footers if f.is_breaking)
    assert (commit.type, commit.scope, commit.description) == (ctype, scope, description)
    assert commit.body == body_text
    assert commit.footers == expected_footers
    assert commit.breaking == (bang or bool(notes))
    assert commit.breaking_notes == (notes or ((description,) if bang else ()))
    assert parse_commit(message.replace("\n", "\r\n")) == commit


# --------------------------------------------------------------------------------------
# read_commits and merge modes


@dataclass(frozen=True)
class Raw:
    sha: str
    message: str
    is_merge: bool = False


GITHUB_MERGE = (
    "Merge pull request #12 from smartdairy/feature/farm-milk\n\nfeat(farm): milk quality SD-4"
)
LOCAL_MERGE = "Merge branch 'feature/farm-milk' into develop"
LOG_MERGE = (
    "Merge branch 'feature/x'\n\n* feature/x:\n  feat: add a\n  fix(b2b)!: change b\n  wip stuff"
)
CONVENTIONAL_MERGE = "feat(b2b): credit limits (#14)\n\nlong description"


@pytest.mark.parametrize(
    ("mode", "message", "expected"),
    [
        ("skip", GITHUB_MERGE, []),
        ("title", GITHUB_MERGE, ["feat(farm): milk quality SD-4"]),
        ("title", CONVENTIONAL_MERGE, [CONVENTIONAL_MERGE]),
        ("title", LOCAL_MERGE, []),
        ("title", "Merge branch 'x'\n\nnot conventional", ["not conventional"]),
        ("body", LOG_MERGE, ["feat: add a", "fix(b2b)!: change b"]),
        (
            "body",
            "Merge x\n\n* feat: a\n- fix: b\n+ docs: c\nfeat:nospace",
            ["feat: a", "fix: b", "docs: c"],
        ),
        ("body", CONVENTIONAL_MERGE, ["feat(b2b): credit limits (#14)"]),
        ("body", LOCAL_MERGE, []),
    ],
)
def test_list_merge_messages(mode: str, message: str, expected: list[str]) -> None:
    assert list_merge_messages(message, mode) == expected


def _policy(**kw: Any) -> CommitPolicy:
    return CommitPolicy(**kw)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("skip", [("feat", SHA_A, False), ("fix", SHA_C, False)]),
        (
            "title",
            [("feat", SHA_A, False), ("feat", SHA_B, True), ("fix", SHA_C, False)],
        ),
        (
            "body",
            [("feat", SHA_A, False), ("feat", SHA_B, True), ("fix", SHA_C, False)],
        ),
    ],
)
def test_read_commits_merge_modes(mode: str, expected: list[tuple[str, str, bool]]) -> None:
    raws = [
        Raw(SHA_A, "feat: a"),
        Raw(SHA_B, GITHUB_MERGE, is_merge=True),
        Raw(SHA_D, "updated readme"),  # not conventional: dropped, never bumps
        Raw(SHA_C, "fix: c"),
    ]
    commits = list(read_commits(raws, _policy(merge_commits=mode)))
    assert [(c.type, c.sha, c.is_merge) for c in commits] == expected


def test_read_commits_body_mode_makes_one_commit_per_line() -> None:
    commits = list(
        read_commits([Raw(SHA_B, LOG_MERGE, is_merge=True)], _policy(merge_commits="body"))
    )
    assert [(c.header, c.breaking, c.sha, c.is_merge) for c in commits] == [
        ("feat: add a", False, SHA_B, True),
        ("fix(b2b)!: change b", True, SHA_B, True),
    ]


def test_read_commits_uses_policy_ticket_patterns() -> None:
    raws = [Raw(SHA_A, "fix: JIRA-1 and SD-2")]
    (commit,) = read_commits(raws, _policy(ticket_patterns=(r"JIRA-\d+",)))
    assert commit.tickets == ("JIRA-1",)


def test_policy_rejects_unknown_merge_mode() -> None:
    with pytest.raises(ConfigError, match="merge_commits"):
        CommitPolicy(merge_commits="squash")


def test_default_policy_is_the_settings_default() -> None:
    wired = Services(core=Settings(), repo_path=Path()).commit_policy
    assert wired == CommitPolicy.default()
    assert wired.types["feat"] == CommitType(Bump.MINOR, "New Features")


# --------------------------------------------------------------------------------------
# decide_bump


def _commits(*messages: str) -> list[Commit]:
    return [parse_commit(m, sha=f"{i:07x}" + "0" * 33) for i, m in enumerate(messages, 1)]


BUMP_CASES: list[tuple[str, list[str], Bump, list[str]]] = [
    ("nothing", [], Bump.NONE, []),
    ("docs and chores never bump", ["docs: a", "chore: b", "style: c", "test: d"], Bump.NONE, []),
    ("unknown type never bumps", ["wip: a"], Bump.NONE, []),
    ("fix is a patch", ["fix: a", "docs: b"], Bump.PATCH, ["fix: a"]),
    ("perf is a patch", ["perf: a"], Bump.PATCH, ["perf: a"]),
    ("security is a patch", ["security(auth): a"], Bump.PATCH, ["security(auth): a"]),
    ("refactor does not bump", ["refactor: a"], Bump.NONE, []),
    (
        "feat beats fix",
        ["fix: a", "feat: b", "feat(farm): c"],
        Bump.MINOR,
        ["feat: b", "feat(farm): c"],
    ),
    ("bang is major", ["feat: a", "fix!: b"], Bump.MAJOR, ["fix!: b"]),
    (
        "breaking footer is major",
        ["chore: a\n\nBREAKING CHANGE: node 20", "feat: b"],
        Bump.MAJOR,
        ["chore: a"],
    ),
    (
        "revert of an outside commit bumps nothing by default (J-003 list)",
        ["revert: a\n\nRefs: 9999999"],
        Bump.NONE,
        [],
    ),
]


@pytest.mark.parametrize(
    ("messages", "bump", "reasons"), [c[1:] for c in BUMP_CASES], ids=[c[0] for c in BUMP_CASES]
)
def test_decide_bump(messages: list[str], bump: Bump, reasons: list[str]) -> None:
    decision = decide_bump(_commits(*messages), CommitPolicy.default(), current=Version(1, 2, 3))
    assert decision.bump == bump
    assert [c.header for c in decision.reasons] == reasons


@pytest.mark.parametrize(
    ("zero_rule", "current", "bump", "reasons"),
    [
        (False, Version(0, 4, 1), Bump.MAJOR, ["feat!: b"]),
        (True, Version(0, 4, 1), Bump.MINOR, ["feat: a", "feat!: b"]),
        (True, Version(1, 4, 1), Bump.MAJOR, ["feat!: b"]),
        (True, None, Bump.MAJOR, ["feat!: b"]),
    ],
)
def test_zero_major_rule(
    zero_rule: bool, current: Version | None, bump: Bump, reasons: list[str]
) -> None:
    policy = _policy(zero_major_breaking_bumps_minor=zero_rule)
    decision = decide_bump(_commits("feat: a", "feat!: b", "fix: c"), policy, current=current)
    assert decision.bump == bump
    assert [c.header for c in decision.reasons] == reasons


def test_breaking_bump_and_types_come_from_the_policy() -> None:
    policy = _policy(
        breaking_bump=Bump.MINOR,
        types={"feat": CommitType(Bump.PATCH, None), "docs": CommitType(Bump.PATCH, None)},
    )
    commits = _commits("docs: a", "feat: b")
    assert decide_bump(commits, policy, current=None) == BumpDecision(Bump.PATCH, tuple(commits))
    assert decide_bump(_commits("docs!: a"), policy, current=None).bump == Bump.MINOR


def _c(message: str, sha: str) -> Commit:
    return parse_commit(message, sha=sha)


def test_revert_inside_the_set_cancels_both() -> None:
    feat = _c("feat: a", SHA_A)
    revert = _c(f'Revert "feat: a"\n\nThis reverts commit {SHA_A}.', SHA_B)
    fix = _c("fix: c", SHA_C)
    assert decide_bump([revert, feat], CommitPolicy.default(), current=None) == BumpDecision(
        Bump.NONE, ()
    )
    assert decide_bump([revert, fix, feat], CommitPolicy.default(), current=None) == BumpDecision(
        Bump.PATCH, (fix,)
    )


def test_revert_with_short_sha_in_refs_cancels() -> None:
    feat = _c("feat!: a", SHA_A)
    revert = _c(f"revert: a\n\nRefs: {SHA_A[:8]}", SHA_B)
    assert decide_bump([feat, revert], CommitPolicy.default(), current=None).bump == Bump.NONE


def test_reverting_a_revert_brings_the_original_back() -> None:
    feat = _c("feat: a", SHA_A)
    revert = _c(f'Revert "feat: a"\n\nThis reverts commit {SHA_A}.', SHA_B)
    again = _c(f'Revert "Revert "feat: a""\n\nThis reverts commit {SHA_B}.', SHA_C)
    reapply = _c(f'Reapply "feat: a"\n\nThis reverts commit {SHA_B}.', SHA_D)
    for order in ([again, revert, feat], [feat, revert, again], [reapply, revert, feat]):
        assert decide_bump(order, CommitPolicy.default(), current=None) == BumpDecision(
            Bump.MINOR, (feat,)
        )
