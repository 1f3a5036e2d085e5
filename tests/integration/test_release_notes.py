"""Release notes against real git repositories: ranges, versions, files, templates, writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from golden.notes_fixture import build_notes_repo
from relman.adapters.files import LocalFiles, write_text_atomic
from relman.adapters.templates import JinjaNotesRenderer, cell, md_row
from relman.bootstrap import Services, build_services
from relman.errors import ConfigError, ConflictError, GitError, InvalidInputError, NotFoundError
from relman.services import changelog as cl
from relman.services import release_notes as rn
from relman.settings import validate_settings


def services(path: Path, **settings: Any) -> Services:
    return build_services(repo=path, settings=validate_settings(settings))


def build(svc: Services, **request: Any) -> rn.NotesResult:
    return rn.build_notes_context(
        git=svc.git,
        versioning=svc.versioning_policy,
        notes=svc.notes_policy,
        request=rn.NotesRequest(**request),
    )


@pytest.fixture
def notes_repo(repo_builder: Any) -> tuple[Any, dict[str, str]]:
    return repo_builder, build_notes_repo(repo_builder)


# ------------------------------------------------------------------ ranges and versions


def test_default_range_is_last_production_tag_to_head(notes_repo: Any) -> None:
    repo, shas = notes_repo
    result = build(services(repo.path))
    ctx = result.context
    assert result.warnings == ()
    assert ctx["version"] == "2.0.0"  # a breaking change since the last release
    assert ctx["previous_version"] == "1.0.1-hotfix.1"
    assert ctx["release_type"] == "Major"
    assert ctx["range"] == {"from": "v1.0.1-hotfix.1", "to": "HEAD", "commits": 10}
    assert ctx["release_date"] == "2026-01-01"
    assert ctx["technical"]["migrations"] == ["migrations/0002_milk_quality.sql"]
    assert ctx["technical"]["config_changes"] == [
        {"path": "config/odoo.conf", "change": "modified", "old_path": None},
        {"path": "config/payments.ini", "change": "added", "old_path": None},
    ]
    assert ctx["dependencies"] == [
        {"component": "lxml", "previous": None, "current": ">=5.2,<6"},
        {"component": "requests", "previous": "2.31.0", "current": "2.32.3"},
        {"component": "smart_farm", "previous": "17.0.1.0.0", "current": "17.0.2.0.0"},
        {"component": "xlrd", "previous": "1.2.0", "current": None},
    ]
    fixed = {row["sha"] for row in ctx["bug_fixes"]}
    assert fixed == {shas["fix_fat"], shas["fix_cart"]}  # the hotfix shipped already


def test_a_tagged_head_describes_that_release(notes_repo: Any) -> None:
    repo, _ = notes_repo
    repo.tag("v2.0.0")
    ctx = build(services(repo.path)).context
    assert ctx["version"] == "2.0.0"
    assert ctx["range"]["from"] == "v1.0.1-hotfix.1"
    assert ctx["range"]["commits"] == 10


def test_explicit_range_of_the_hotfix(notes_repo: Any) -> None:
    repo, _ = notes_repo
    ctx = build(services(repo.path), from_ref="v1.0.0", to_ref="v1.0.1-hotfix.1").context
    assert ctx["version"] == "1.0.1-hotfix.1"
    assert ctx["release_type"] == "Hotfix"
    assert ctx["previous_version"] == "1.0.0"
    assert [(f["ticket"], f["severity"]) for f in ctx["bug_fixes"]] == [("SD-110", "Critical")]
    assert ctx["technical"]["migrations"] == []
    assert ctx["dependencies"] == []


def test_prerelease_tags_are_not_the_previous_release(repo_builder: Any) -> None:
    repo_builder.commit("feat: one")
    repo_builder.tag("v1.0.0")
    repo_builder.commit("feat: two")
    repo_builder.tag("v1.1.0-rc.1")
    repo_builder.commit("fix: three")
    ctx = build(services(repo_builder.path)).context
    assert ctx["previous_version"] == "1.0.0"
    assert ctx["version"] == "1.1.0"
    assert [e["description"] for g in ctx["features"] for e in g["entries"]] == ["two"]


def test_docs_only_range_uses_the_current_version_with_a_warning(repo_builder: Any) -> None:
    repo_builder.commit("feat: first")
    repo_builder.tag("v1.0.0")
    repo_builder.commit("docs: typo")
    result = build(services(repo_builder.path))
    assert result.context["version"] == "1.0.0"
    assert len(result.warnings) == 1
    assert "nothing to release" in result.warnings[0]
    assert "--version" in result.warnings[0]

    named = build(services(repo_builder.path), version="1.0.1", summary="Docs only.")
    assert named.warnings == ()
    assert named.context["version"] == "1.0.1"
    assert named.context["release_type"] == "Patch"
    assert named.context["summary"] == "Docs only."


def test_first_release_lists_everything_as_added(repo_builder: Any) -> None:
    repo_builder.commit(
        "feat: first",
        {"requirements.txt": "requests==2.31.0\n", "migrations/0001.sql": "CREATE;\n"},
    )
    ctx = build(services(repo_builder.path)).context
    assert ctx["version"] == "0.1.0"
    assert ctx["previous_version"] is None
    assert ctx["range"]["from"] is None
    assert ctx["technical"]["migrations"] == ["migrations/0001.sql"]
    assert ctx["dependencies"] == [{"component": "requests", "previous": None, "current": "2.31.0"}]


def test_version_type_and_date_from_the_request(notes_repo: Any) -> None:
    repo, _ = notes_repo
    ctx = build(
        services(repo.path), version="v1.1.0", release_type="minor", date="2026-02-15"
    ).context
    assert (ctx["version"], ctx["release_type"], ctx["release_date"]) == (
        "1.1.0",
        "Minor",
        "2026-02-15",
    )


@pytest.mark.parametrize(
    ("request_", "where"),
    [
        ({"date": "2026-13-01"}, "--date"),
        ({"version": "1.2"}, "--version"),
        ({"release_type": "urgent"}, "--type"),
    ],
)
def test_bad_request_values_name_the_option(
    notes_repo: Any, request_: dict[str, str], where: str
) -> None:
    repo, _ = notes_repo
    with pytest.raises(InvalidInputError) as err:
        build(services(repo.path), **request_)
    assert err.value.where == where


def test_unknown_ref_is_not_found(notes_repo: Any) -> None:
    repo, _ = notes_repo
    with pytest.raises(NotFoundError, match=r"v9\.9\.9"):
        build(services(repo.path), from_ref="v9.9.9")


def test_a_shallow_clone_without_the_previous_tag_is_refused(
    notes_repo: Any, tmp_path: Path
) -> None:
    repo, _ = notes_repo
    clone = tmp_path / "shallow"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone))
    with pytest.raises(GitError, match="shallow clone"):
        build(services(clone))
    # an explicit start needs no tag
    ctx = build(services(clone), from_ref="HEAD", version="2.0.0").context
    assert ctx["range"] == {"from": "HEAD", "to": "HEAD", "commits": 0}


def test_component_notes_use_its_paths_and_tags(notes_repo: Any) -> None:
    repo, _ = notes_repo
    repo.tag("farm-v1.0.0", ref="v1.0.0")
    svc = services(
        repo.path,
        components={"farm": {"paths": ["addons/smart_farm/"], "tag_format": "farm-v{version}"}},
    )
    ctx = build(svc, component="farm").context
    # only fixes and a perf change touched the farm module: a patch
    assert ctx["title"] == "Release Notes - Smart Dairy ERP (farm) v1.0.1"
    assert ctx["range"]["from"] == "farm-v1.0.0"
    assert [f["ticket"] for f in ctx["bug_fixes"]] == ["SD-102", "SD-110"]
    assert ctx["technical"]["migrations"] == []
    assert [e["area"] for e in ctx["enhancements"]] == ["Reports"]
    assert [d["component"] for d in ctx["dependencies"]] == ["smart_farm"]


# ------------------------------------------------------------------ templates


def minimal_context() -> dict[str, Any]:
    from relman.domain.commits import CommitPolicy, parse_commit
    from relman.domain.notes import NotesFacts, NotesPolicy, compute_notes_context

    commits = [parse_commit("fix(ui): <script>alert(1)</script> | pipes", sha="a" * 40)]
    facts = NotesFacts(version="1.0.1", release_type="Patch", release_date="2026-01-02")
    return compute_notes_context(commits, CommitPolicy.default(), NotesPolicy(), facts)


def test_html_is_escaped_and_markdown_is_not() -> None:
    renderer = JinjaNotesRenderer()
    ctx = minimal_context()
    html = renderer.render("release-notes.html.j2", ctx)
    md = renderer.render("release-notes.md.j2", ctx)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    ctx["upgrade_instructions"] = ["Run `make <target>` & wait"]
    html = renderer.render("release-notes.html.j2", ctx)
    assert "<li>Run <code>make &lt;target&gt;</code> &amp; wait</li>" in html
    assert "| <script>alert(1)</script> \\| pipes |" in md


def test_user_folder_overrides_and_can_include_packaged_templates(tmp_path: Path) -> None:
    (tmp_path / "release-notes.md.j2").write_text(
        "Custom notes for {{ version }}\n\n{% include 'changelog-entry.md.j2' %}\n",
        encoding="utf-8",
    )
    renderer = JinjaNotesRenderer(tmp_path)
    out = renderer.render("release-notes.md.j2", minimal_context())
    assert out.startswith("Custom notes for 1.0.1\n\n## [1.0.1] - 2026-01-02\n")
    # templates the folder does not hold still come from the package
    assert renderer.render("release-notes.html.j2", minimal_context()).startswith("<!DOCTYPE")


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_an_override_can_extend_the_packaged_template(tmp_path: Path, fmt: str) -> None:
    name = f"release-notes.{fmt}.j2"
    (tmp_path / name).write_text(
        f'{{% extends "builtin/{name}" %}}\n'
        "{% block summary %}\nOUR SUMMARY {{ version }}\n{% endblock %}\n"
        "{% block approvals %}{% endblock %}\n",
        encoding="utf-8",
    )
    packaged = JinjaNotesRenderer().render(name, minimal_context())
    out = JinjaNotesRenderer(tmp_path).render(name, minimal_context())
    assert "OUR SUMMARY 1.0.1" in out
    assert "TODO: executive summary" in packaged
    assert "TODO: executive summary" not in out
    assert "Approvals" in packaged
    assert "Approvals" not in out
    assert "Bug Fixes" in out  # every other block comes from the package


def test_an_undefined_name_in_a_template_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "release-notes.md.j2").write_text("{{ version }} {{ no_such_key }}\n")
    with pytest.raises(ConfigError) as err:
        JinjaNotesRenderer(tmp_path).render("release-notes.md.j2", minimal_context())
    assert "no_such_key" in err.value.message
    assert err.value.where == str(tmp_path / "release-notes.md.j2")


def test_a_template_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "release-notes.md.j2").write_text("ok\n{% if %}\n")
    with pytest.raises(ConfigError) as err:
        JinjaNotesRenderer(tmp_path).render("release-notes.md.j2", minimal_context())
    assert err.value.where is not None
    assert err.value.where.endswith("release-notes.md.j2:2")


def test_template_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        JinjaNotesRenderer(tmp_path / "missing")
    assert err.value.where == "notes.template_dir"


def test_template_dir_setting_is_relative_to_the_repository(notes_repo: Any) -> None:
    repo, _ = notes_repo
    (repo.path / "notes-templates").mkdir()
    (repo.path / "notes-templates" / "release-notes.md.j2").write_text("v{{ version }}\n")
    svc = services(repo.path, notes={"template_dir": "notes-templates"})
    ctx = build(svc).context
    assert rn.render_notes(renderer=svc.notes_renderer, context=ctx, fmt="md") == "v2.0.0\n"


def test_unknown_template_is_not_found() -> None:
    with pytest.raises(NotFoundError, match=r"nope\.md\.j2"):
        JinjaNotesRenderer().render("nope.md.j2", {})


@pytest.mark.parametrize(
    ("values", "row"),
    [
        (["Release Manager", "", ""], "| Release Manager | | |"),
        (["a|b", None, "multi\nline"], "| a\\|b | | multi line |"),
    ],
)
def test_md_row(values: list[object], row: str) -> None:
    assert md_row(values) == row


def test_cell() -> None:
    assert (cell(None), cell(""), cell("x|y")) == ("—", "—", "x\\|y")


# ------------------------------------------------------------------ files


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "out" / "notes.md"
    write_text_atomic(target, "one\n")
    write_text_atomic(target, "two\n")
    assert target.read_text() == "two\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["notes.md"]


def test_a_failed_multi_file_write_writes_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("old\n")
    (tmp_path / "blocker").write_text("a file where a folder should be\n")
    with pytest.raises(InvalidInputError, match="cannot write file"):
        LocalFiles().write_texts({good: "new\n", tmp_path / "blocker" / "index.md": "x"})
    assert good.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "good.md"]


def test_reading_missing_files_and_folders(tmp_path: Path) -> None:
    files = LocalFiles()
    assert files.read_text(tmp_path / "missing.json") is None
    assert files.list_names(tmp_path / "missing") == []
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InvalidInputError, match="not UTF-8"):
        files.read_text(tmp_path / "bad.json")


# ------------------------------------------------------------------ archive and changelog


def test_archive_conflict_writes_nothing(notes_repo: Any) -> None:
    repo, _ = notes_repo
    svc = services(repo.path)
    ctx = build(svc).context
    kwargs: dict[str, Any] = {
        "root": svc.repo_root,
        "notes": svc.notes_policy,
        "renderer": svc.notes_renderer,
        "files": svc.files,
    }
    first = rn.archive_notes(context=ctx, **kwargs)
    notes_path, index_path = first.paths
    assert notes_path == repo.path / "docs/releases/release-notes-v2.0.0.md"
    before = (notes_path.read_text(), index_path.read_text())
    changed = dict(ctx, summary="Changed.")
    with pytest.raises(ConflictError):
        rn.archive_notes(context=changed, **kwargs)
    assert (notes_path.read_text(), index_path.read_text()) == before
    rn.archive_notes(context=changed, force=True, **kwargs)
    assert "Changed." in notes_path.read_text()


def test_rebuilt_changelog_puts_a_merged_branch_in_the_release_that_merged_it(
    repo_builder: Any,
) -> None:
    repo_builder.commit("feat: base")
    repo_builder.branch("feature/quality")
    repo_builder.commit("fix: on main")
    repo_builder.tag("v1.0.0")
    repo_builder.checkout("feature/quality")
    repo_builder.commit("feat(farm): quality from the branch")
    repo_builder.checkout("main")
    repo_builder.merge("feature/quality", "Merge branch 'feature/quality'")
    repo_builder.tag("v1.1.0")
    svc = services(repo_builder.path)
    path = repo_builder.path / "CHANGELOG.md"
    result = cl.rebuild_changelog(
        git=svc.git,
        versioning=svc.versioning_policy,
        notes=svc.notes_policy,
        renderer=svc.notes_renderer,
        files=svc.files,
        path=path,
        request=rn.NotesRequest(),
    )
    assert result.versions == ("1.1.0", "1.0.0")
    text = path.read_text()
    newest, oldest = text.split("## [1.1.0]")[1].split("## [1.0.0]")
    assert "quality from the branch" in newest
    assert "on main" in oldest and "base" in oldest


def test_rebuild_refuses_a_version_that_is_already_a_tag(notes_repo: Any) -> None:
    repo, _ = notes_repo
    svc = services(repo.path)
    path = repo.path / "CHANGELOG.md"
    with pytest.raises(ConflictError, match=r"already released as tag v1\.0\.0"):
        cl.rebuild_changelog(
            git=svc.git,
            versioning=svc.versioning_policy,
            notes=svc.notes_policy,
            renderer=svc.notes_renderer,
            files=svc.files,
            path=path,
            request=rn.NotesRequest(version="1.0.0"),
        )
    assert not path.exists()
