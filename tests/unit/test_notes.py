"""The release notes context (J-003 §10.1): sections, footers, release type, schema."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relman.domain.commits import Commit, CommitPolicy, parse_commit
from relman.domain.dependencies import DependencyChange
from relman.domain.notes import (
    ConfigChange,
    NotesFacts,
    NotesPolicy,
    compile_glob,
    compute_notes_context,
    decide_release_type,
    format_title,
    list_added_migrations,
    list_config_changes,
    match_path,
    parse_iso_date,
    parse_release_type,
    scope_title,
)
from relman.domain.notes_schema import validate_notes_context
from relman.domain.versions import Bump, Version
from relman.errors import InvalidInputError
from relman.ports import FileChange

POLICY = CommitPolicy.default()
NOTES = NotesPolicy(
    upgrade_instructions=("Back up the database.", "Deploy."),
    rollback_instructions="relman rollback prod --to {previous}",
    support_url="https://support.example/tickets",
    support_contact="rm@example.com",
)
FACTS = NotesFacts(
    version="1.3.0", release_type="Minor", release_date="2026-02-01", previous_version="1.2.0"
)


def sha_of(n: int) -> str:
    return f"{n:07x}" + "a" * 33


def commit(message: str, n: int) -> Commit:
    return parse_commit(message, sha=sha_of(n))


def context_of(*messages: str, facts: NotesFacts = FACTS, notes: NotesPolicy = NOTES) -> Any:
    commits = [commit(m, i + 1) for i, m in enumerate(messages)]
    return compute_notes_context(commits, POLICY, notes, facts)


# ------------------------------------------------------------------ release type


@pytest.mark.parametrize(
    ("version", "previous", "bump", "expected"),
    [
        ("2.0.0", "1.4.2", Bump.MAJOR, "Major"),
        ("1.5.0", "1.4.2", Bump.MINOR, "Minor"),
        ("1.4.3", "1.4.2", Bump.PATCH, "Patch"),
        ("1.4.3-hotfix.1", "1.4.2", Bump.PATCH, "Hotfix"),
        ("2.0.1-hotfix.2", "2.0.1-hotfix.1", Bump.PATCH, "Hotfix"),
        # the version wins over the bump when they disagree (a --version given by a person)
        ("1.5.0", "1.4.2", Bump.PATCH, "Minor"),
        ("1.5.0-rc.1", "1.4.2", Bump.MINOR, "Minor"),
        # the first release compares with 0.0.0
        ("0.1.0", None, Bump.MINOR, "Minor"),
        ("1.0.0", None, Bump.MINOR, "Major"),
        ("0.0.1", None, Bump.NONE, "Patch"),
        # the same core version: the bump decides
        ("1.4.3", "1.4.3-hotfix.1", Bump.PATCH, "Patch"),
        ("1.4.3", "1.4.3", Bump.MINOR, "Minor"),
        ("1.4.3", "1.4.3", Bump.NONE, "Patch"),
    ],
)
def test_decide_release_type(version: str, previous: str | None, bump: Bump, expected: str) -> None:
    prev = Version.parse(previous) if previous else None
    assert decide_release_type(Version.parse(version), prev, bump) == expected


def test_hotfix_token_is_configurable() -> None:
    version, previous = Version.parse("1.0.1-urgent.1"), Version.parse("1.0.0")
    assert decide_release_type(version, previous, Bump.PATCH, hotfix_token="urgent") == "Hotfix"
    assert decide_release_type(version, previous, Bump.PATCH) == "Patch"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("major", "Major"), ("Minor", "Minor"), (" PATCH ", "Patch"), ("hotfix", "Hotfix")],
)
def test_parse_release_type(text: str, expected: str) -> None:
    assert parse_release_type(text) == expected


def test_parse_release_type_rejects_unknown() -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_release_type("emergency")
    assert err.value.where == "--type"
    assert "major, minor, patch, hotfix" in err.value.message


def test_format_title_with_component() -> None:
    pattern = "Release Notes - {product} v{version}"
    assert format_title(pattern, product="ERP", version="1.0.0") == "Release Notes - ERP v1.0.0"
    assert (
        format_title(pattern, product="ERP", version="1.0.0", component="farm")
        == "Release Notes - ERP (farm) v1.0.0"
    )


@pytest.mark.parametrize(
    ("scope", "title"),
    [
        (None, "General"),
        ("api", "API"),
        ("b2b", "B2B"),
        ("farm", "Farm"),
        ("milk-quality", "Milk quality"),
    ],
)
def test_scope_title(scope: str | None, title: str) -> None:
    assert scope_title(scope) == title


# ------------------------------------------------------------------ paths


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("migrations/**", "migrations/0002_quality.sql", True),
        ("migrations/**", "migrations/17.0/post.py", True),
        ("migrations/**", "addons/x/migrations/1.sql", False),
        ("**/migrations/**", "addons/farm/migrations/17.0.1.1/pre.py", True),
        ("**/migrations/**", "migrations/1.sql", True),
        ("**/*.conf", "odoo.conf", True),
        ("**/*.conf", "deploy/prod/odoo.conf", True),
        ("**/*.conf", "odoo.conf.bak", False),
        ("config/*.ini", "config/a.ini", True),
        ("config/*.ini", "config/sub/a.ini", False),
        (".env.example", ".env.example", True),
        (".env.example", "x/.env.example", False),
        ("**/requirements*.txt", "requirements-dev.txt", True),
        ("**/requirements*.txt", "services/api/requirements.txt", True),
        ("db/v?.sql", "db/v1.sql", True),
        ("db/v[0-9].sql", "db/v7.sql", True),
        ("db/v[!0-9].sql", "db/v7.sql", False),
        ("a+b/(x).sql", "a+b/(x).sql", True),
    ],
)
def test_match_path(pattern: str, path: str, matches: bool) -> None:
    assert match_path(path, [pattern]) is matches


@given(st.from_regex(r"[a-z0-9_.+()-]{1,8}(?:/[a-z0-9_.+()-]{1,8}){0,3}", fullmatch=True))
def test_a_literal_pattern_matches_only_itself(path: str) -> None:
    assert compile_glob(path).match(path)
    assert not compile_glob(path).match(path + "x")
    assert match_path(path, ["**"])


def test_added_migrations_only() -> None:
    changes = [
        FileChange("A", "migrations/0003_b.sql"),
        FileChange("A", "migrations/0002_a.sql"),
        FileChange("M", "migrations/0001_initial.sql"),
        FileChange("D", "migrations/0000_old.sql"),
        FileChange("A", "src/app.py"),
        FileChange("R", "migrations/0004_moved.sql", old_path="drafts/0004.sql"),
        FileChange("R", "migrations/0005_renamed.sql", old_path="migrations/0005.sql"),
    ]
    assert list_added_migrations(changes, ["migrations/**"]) == [
        "migrations/0002_a.sql",
        "migrations/0003_b.sql",
        "migrations/0004_moved.sql",
    ]


def test_config_changes_classified() -> None:
    changes = [
        FileChange("M", "config/odoo.conf"),
        FileChange("A", "config/payments.ini"),
        FileChange("D", "deploy/old.cfg"),
        FileChange("R", "config/new.ini", old_path="config/old.ini"),
        FileChange("M", "src/app.py"),
    ]
    assert list_config_changes(changes, ["config/**", "**/*.cfg"]) == [
        ConfigChange("config/new.ini", "renamed", "config/old.ini"),
        ConfigChange("config/odoo.conf", "modified"),
        ConfigChange("config/payments.ini", "added"),
        ConfigChange("deploy/old.cfg", "deleted"),
    ]


# ------------------------------------------------------------------ sections


def test_features_grouped_by_scope_with_details() -> None:
    ctx = context_of(
        "feat(farm): milk quality\n\nRecord fat and SNF\nper collection.\n\n"
        "More later.\n\nRefs: SD-1",
        "feat: dark mode",
        "feat(api)!: orders v2\n\nRefs: SD-2, SD-3",
        "feat(farm): herd register",
    )
    groups = [
        (g["scope"], g["title"], [e["description"] for e in g["entries"]]) for g in ctx["features"]
    ]
    assert groups == [
        ("api", "API", ["orders v2"]),
        ("farm", "Farm", ["milk quality", "herd register"]),
        (None, "General", ["dark mode"]),
    ]
    quality = ctx["features"][1]["entries"][0]
    assert quality["details"] == "Record fat and SNF per collection."
    assert quality["tickets"] == ["SD-1"]
    assert quality["short_sha"] == "0000001"
    assert ctx["features"][1]["entries"][1]["details"] is None
    assert ctx["features"][0]["entries"][0]["breaking"] is True
    assert ctx["features"][0]["entries"][0]["tickets"] == ["SD-2", "SD-3"]


def test_enhancements_are_perf_and_user_visible_refactors() -> None:
    ctx = context_of(
        "perf(reports): one query",
        "refactor(portal): single page checkout\n\nUser-Visible: yes",
        "refactor(core): internal split",
        "refactor(db): also internal\n\nUser-Visible: no",
        "refactor: no scope\n\nuser-visible: true",
    )
    assert [(e["area"], e["description"]) for e in ctx["enhancements"]] == [
        ("Reports", "one query"),
        ("Portal", "single page checkout"),
        ("General", "no scope"),
    ]


def test_visible_refactor_footer_comes_from_the_policy() -> None:
    policy = CommitPolicy(visible_refactor_footer="Customer-Facing")
    commits = [
        commit("refactor(a): shown\n\nCustomer-Facing: yes", 1),
        commit("refactor(b): hidden\n\nUser-Visible: yes", 2),
    ]
    ctx = compute_notes_context(commits, policy, NOTES, FACTS)
    assert [e["description"] for e in ctx["enhancements"]] == ["shown"]


def test_bug_fixes_ticket_severity_and_sha_fallback() -> None:
    ctx = context_of(
        "fix(farm): rounding\n\nSeverity: HIGH\nRefs: SD-102",
        "fix: crash on empty tag",
        "fix(portal): SD-7 and SD-8 together",
    )
    rows = [(r["ticket"], r["description"], r["severity"]) for r in ctx["bug_fixes"]]
    assert rows == [
        ("SD-102", "rounding", "High"),
        ("0000002", "crash on empty tag", "Medium"),
        ("SD-7, SD-8", "SD-7 and SD-8 together", "Medium"),
    ]


def test_default_severity_from_the_policy() -> None:
    notes = NotesPolicy(default_severity="Low")
    ctx = context_of("fix: a", notes=notes)
    assert ctx["bug_fixes"][0]["severity"] == "Low"


def test_security_fixes_have_their_own_section() -> None:
    ctx = context_of("security(auth): rate-limit logins\n\nSeverity: Critical\nRefs: SD-105")
    assert ctx["security_fixes"] == [
        {
            "ticket": "SD-105",
            "description": "rate-limit logins",
            "severity": "Critical",
            "scope": "auth",
            "sha": sha_of(1),
            "short_sha": "0000001",
            "tickets": ["SD-105"],
        }
    ]
    assert ctx["bug_fixes"] == []


def test_known_issues_with_workaround_and_planned_fix() -> None:
    ctx = context_of(
        "fix(portal): cart\n\nKnown-Issue: codes are case-sensitive\nWorkaround: use capitals\n"
        "Planned-Fix: 1.3.1",
        "feat: export\n\nKnown-Issue: slow on 10k rows",
    )
    rows = [(k["issue"], k["workaround"], k["planned_fix"]) for k in ctx["known_issues"]]
    assert rows == [
        ("codes are case-sensitive", "use capitals", "1.3.1"),
        ("slow on 10k rows", None, None),
    ]


def test_breaking_changes_and_deprecations() -> None:
    ctx = context_of(
        "feat(api)!: orders v2\n\nBREAKING CHANGE: /api/v1/orders is gone\n"
        "Deprecated: /api/v1/customers",
        "fix(auth)!: tokens expire after 1h",
        "chore: drop py3.10\n\nBREAKING-CHANGE: Python 3.11 is required",
    )
    breaking = [(b["scope"], b["description"]) for b in ctx["technical"]["breaking_changes"]]
    assert breaking == [
        ("api", "/api/v1/orders is gone"),
        ("auth", "tokens expire after 1h"),
        (None, "Python 3.11 is required"),
    ]
    assert [d["description"] for d in ctx["technical"]["deprecations"]] == ["/api/v1/customers"]


def test_a_commit_reverted_in_the_range_is_left_out() -> None:
    first = commit("feat: risky", 1)
    revert = parse_commit(
        f'Revert "feat: risky"\n\nThis reverts commit {first.sha}.', sha=sha_of(2)
    )
    ctx = compute_notes_context([revert, first], POLICY, NOTES, FACTS)
    assert ctx["features"] == []
    assert ctx["range"]["commits"] == 0


def test_types_without_a_section_are_not_listed() -> None:
    ctx = context_of("docs: readme", "chore: deps", "test: more", "ci: cache")
    for key in ("features", "enhancements", "bug_fixes", "security_fixes", "known_issues"):
        assert ctx[key] == []
    assert ctx["range"]["commits"] == 4


def test_facts_policy_and_approvals() -> None:
    facts = NotesFacts(
        version="2.0.0",
        release_type="Major",
        release_date="2026-03-01",
        previous_version="1.9.0",
        component="farm",
        from_ref="farm-v1.9.0",
        to_ref="HEAD",
        summary="Phase 2.",
        migrations=("migrations/2.sql",),
        config_changes=(ConfigChange("config/a.ini", "added"),),
        dependencies=(DependencyChange("requests", "2.31.0", "2.32.3"),),
    )
    ctx = context_of("feat: x", facts=facts)
    assert ctx["title"] == "Release Notes - Smart Dairy ERP (farm) v2.0.0"
    assert ctx["component"] == "farm"
    assert ctx["range"] == {"from": "farm-v1.9.0", "to": "HEAD", "commits": 1}
    assert ctx["summary"] == "Phase 2."
    assert ctx["technical"]["migrations"] == ["migrations/2.sql"]
    assert ctx["technical"]["config_changes"] == [
        {"path": "config/a.ini", "change": "added", "old_path": None}
    ]
    assert ctx["dependencies"] == [
        {"component": "requests", "previous": "2.31.0", "current": "2.32.3"}
    ]
    assert ctx["upgrade_instructions"] == ["Back up the database.", "Deploy."]
    assert ctx["rollback_instructions"] == "relman rollback prod --to 1.9.0"
    assert ctx["support"] == {"url": "https://support.example/tickets", "contact": "rm@example.com"}
    assert ctx["approvals"] == [
        {"role": "Release Manager", "name": "", "date": ""},
        {"role": "QA Lead", "name": "", "date": ""},
        {"role": "Product Owner", "name": "", "date": ""},
    ]


def test_rollback_without_previous_release() -> None:
    facts = NotesFacts(version="0.1.0", release_type="Minor", release_date="2026-01-01")
    ctx = context_of("feat: first", facts=facts)
    assert ctx["previous_version"] is None
    assert ctx["rollback_instructions"] == "relman rollback prod --to the previous version"


# ------------------------------------------------------------------ schema

TOP_KEYS = [
    "schema_version",
    "title",
    "product",
    "component",
    "version",
    "previous_version",
    "release_type",
    "release_date",
    "range",
    "summary",
    "features",
    "enhancements",
    "bug_fixes",
    "security_fixes",
    "known_issues",
    "technical",
    "dependencies",
    "upgrade_instructions",
    "rollback_instructions",
    "support",
    "approvals",
]

FULL = (
    "feat(farm): quality\n\nBody.\n\nRefs: SD-1",
    "perf(reports): faster",
    "fix(farm): bug\n\nSeverity: Low\nKnown-Issue: k\nWorkaround: w",
    "security: patch",
    "feat(api)!: v2\n\nBREAKING CHANGE: gone\nDeprecated: old",
)


def test_context_key_order_is_stable_and_json_serializable() -> None:
    ctx = context_of(*FULL)
    assert list(ctx) == TOP_KEYS
    assert list(ctx["technical"]) == [
        "migrations",
        "breaking_changes",
        "deprecations",
        "config_changes",
    ]
    assert json.loads(json.dumps(ctx)) == ctx


def test_validate_accepts_its_own_output_and_keeps_extra_keys() -> None:
    ctx = json.loads(json.dumps(context_of(*FULL)))
    ctx["custom"] = {"anything": [1, 2]}
    assert validate_notes_context(ctx) == ctx


def _delete(data: dict[str, Any], path: list[str | int]) -> None:
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        (["version"], "version"),
        (["technical", "migrations"], "technical.migrations"),
        (["features", 0, "entries", 0, "short_sha"], "features[0].entries[0].short_sha"),
        (["known_issues", 0, "planned_fix"], "known_issues[0].planned_fix"),
        (["approvals", 2, "date"], "approvals[2].date"),
    ],
)
def test_validate_names_the_missing_key(path: list[str | int], key: str) -> None:
    ctx = copy.deepcopy(context_of(*FULL))
    _delete(ctx, path)
    with pytest.raises(InvalidInputError) as err:
        validate_notes_context(ctx)
    assert f"missing key '{key}'" in err.value.message
    assert err.value.details["key"] == key


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("version", 1, "must be a string, got int"),
        ("summary", 3.5, "must be a string or null, got float"),
        ("features", {}, "must be an array"),
        ("support", [], "must be an object"),
        ("schema_version", True, "must be an integer, got bool"),
    ],
)
def test_validate_names_the_mistyped_key(key: str, value: object, expected: str) -> None:
    ctx = context_of(*FULL)
    ctx[key] = value
    with pytest.raises(InvalidInputError) as err:
        validate_notes_context(ctx)
    assert f"'{key}' {expected}" in err.value.message


def test_validate_rejects_a_non_object_and_other_schema_versions() -> None:
    with pytest.raises(InvalidInputError, match="must be an object"):
        validate_notes_context([1, 2])
    ctx = context_of("feat: x")
    ctx["schema_version"] = 99
    with pytest.raises(InvalidInputError, match="schema_version 99"):
        validate_notes_context(ctx)


@pytest.mark.parametrize("text", ["2026-01-31", " 2024-02-29 "])
def test_parse_iso_date(text: str) -> None:
    assert parse_iso_date(text, where="--date") == text.strip()


@pytest.mark.parametrize("text", ["2026-02-30", "31/01/2026", "2026-1-31", "yesterday", ""])
def test_parse_iso_date_rejects(text: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_iso_date(text, where="--date")
    assert err.value.where == "--date"
