"""`relman lint commit|range|branch|rules`: printed lines and exit codes."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from relman.cli.main import main

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder

Run = tuple[int, list[str], str]

# What git writes to .git/COMMIT_EDITMSG for `git commit -v` once the user typed a message.
EDITMSG = """{message}

# Please enter the commit message for your changes. Lines starting
# with '#' will be ignored, and an empty message aborts the commit.
#
# On branch feature/farm-breeding
# Changes to be committed:
#	modified:   farm/models.py
#
# ------------------------ >8 ------------------------
# Do not modify or remove the line above.
# Everything below it will be ignored.
diff --git a/farm/models.py b/farm/models.py
index 1111111..2222222 100644
--- a/farm/models.py
+++ b/farm/models.py
@@ -1 +1,2 @@
+Breaking: not a footer
+added stuff
"""


def _run(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> Run:
    code = main(["-C", str(repo), "lint", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def _editmsg(tmp_path: Path, message: str) -> Path:
    path = tmp_path / "COMMIT_EDITMSG"
    path.write_text(EDITMSG.format(message=message), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------
# lint commit


def test_commit_message_ok_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, tmp_path, "commit", "-m", "feat(farm): add breeding records") == (0, [], "")


def test_commit_message_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, tmp_path, "commit", "--message", "feature: add x")
    assert code == 1
    assert out == [
        "commit message: type 'feature' is not allowed (allowed: feat, fix, perf, security, "
        "refactor, docs, style, test, chore, build, ci, revert) [type-enum]"
    ]
    assert err.startswith("error: 1 violation in the commit message")
    assert "hint: expected 'type(scope): description'" in err


def test_every_violation_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = "feature: " + "x" * 100 + "\nbody\n\nBREAKING CHANGE:"
    code, out, err = _run(capsys, tmp_path, "commit", "-m", message)
    assert code == 1
    assert [line.rsplit(" ", 1)[-1] for line in out] == [
        "[type-enum]",
        "[header-max-length]",
        "[body-leading-blank]",
        "[breaking-change-description]",
    ]
    assert "error: 4 violations in the commit message" in err


def test_commit_editmsg_with_comments_and_scissors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _editmsg(tmp_path, "feat(farm): add breeding records\n\nTracks inseminations.")
    assert _run(capsys, tmp_path, "commit", str(path)) == (0, [], "")


def test_commit_editmsg_violation_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _editmsg(tmp_path, "added stuff")
    code, out, err = _run(capsys, tmp_path, "commit", str(path))
    assert code == 1
    assert out == [
        f"{path}: header 'added stuff' is not 'type(scope): description': "
        "the type and ':' are missing [header-format]"
    ]
    assert f"({path})" in err


def test_commit_editmsg_only_comments_is_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _editmsg(tmp_path, "")
    code, out, _ = _run(capsys, tmp_path, "commit", str(path))
    assert (code, out) == (1, [f"{path}: commit message is empty [message-empty]"])


def test_commit_custom_comment_char(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "MSG"
    path.write_text("fix: x\n; a comment\n#1 stays in the body?\n", encoding="utf-8")
    code, out, _ = _run(capsys, tmp_path, "commit", "--comment-char", ";", str(path))
    assert (code, out) == (
        1,
        [
            f"{path}: the body must be separated from the header by a "
            "blank line [body-leading-blank]"
        ],
    )
    assert _run(capsys, tmp_path, "commit", str(path))[0] == 1  # '#' default: ';' line stays


@pytest.mark.parametrize(("flags", "code"), [((), 1), (("--allow-fixup",), 0)])
def test_fixup_needs_allow_fixup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: tuple[str, ...], code: int
) -> None:
    result = _run(capsys, tmp_path, "commit", *flags, "-m", "fixup! feat: x")
    assert result[0] == code
    assert result[1] == (
        ["commit message: 'fixup!' commit must be squashed first [no-fixup]"] if code else []
    )


def test_merge_message_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _editmsg(tmp_path, "Merge branch 'feature/farm-x' into develop")
    assert _run(capsys, tmp_path, "commit", str(path))[0] == 0


def test_commit_from_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("feat:x\n"))
    code, out, _ = _run(capsys, tmp_path, "commit", "-")
    assert code == 1
    assert out[0].startswith("commit message: header 'feat:x'")


def test_policy_from_relman_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "relman.toml").write_text(
        '[commits]\nallowed_scopes = ["farm", "b2b"]\nheader_max_length = 30\n', encoding="utf-8"
    )
    code, out, _ = _run(capsys, tmp_path, "commit", "-m", "feat(iot): add the sensor gateway")
    assert code == 1
    assert out == [
        "commit message: scope 'iot' is not allowed (allowed: farm, b2b) [scope-enum]",
        "commit message: header is 33 characters, longer than 30 [header-max-length]",
    ]


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_unreadable_file_is_invalid_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: str
) -> None:
    path = tmp_path / "nope"
    if make == "directory":
        path.mkdir()
    code, out, err = _run(capsys, tmp_path, "commit", str(path))
    assert (code, out) == (4, [])
    assert err.startswith("error: cannot read commit message file")
    assert str(path) in err


@pytest.mark.parametrize("args", [(), ("FILE", "-m", "feat: x")])
def test_file_or_message_exactly_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    code, _, err = _run(capsys, tmp_path, "commit", *args)
    assert code == 2
    assert "give a message FILE or --message TEXT" in err


# --------------------------------------------------------------------------------------
# lint range


@pytest.fixture
def history(repo_builder: RepoBuilder) -> dict[str, str]:
    shas = {"base": repo_builder.commit("chore: initial import")}
    repo_builder.tag("v1.0.0")
    shas["feat"] = repo_builder.commit("feat(farm): add breeding records\n\nRefs: SD-1")
    shas["bad"] = repo_builder.commit("added stuff")
    shas["typo"] = repo_builder.commit("feature: milk")
    return shas


def test_range_prints_violations_and_summary(
    repo_builder: RepoBuilder, history: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, repo_builder.path, "range", "v1.0.0..HEAD")
    assert code == 1
    bad, typo = history["bad"][:7], history["typo"][:7]
    assert out[0].startswith(f"{typo}: type 'feature' is not allowed")
    assert out[1] == (
        f"{bad}: header 'added stuff' is not 'type(scope): description': "
        "the type and ':' are missing [header-format]"
    )
    assert out[2:] == ["3 commits checked, 2 violations"]
    assert err.startswith("error: 3 commits checked, 2 violations (v1.0.0..HEAD)")


def test_range_clean(
    repo_builder: RepoBuilder, history: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, repo_builder.path, "range", f"v1.0.0..{history['feat']}")
    assert (code, out, err) == (0, ["1 commit checked, 0 violations"], "")


def test_range_json(
    repo_builder: RepoBuilder, history: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, repo_builder.path, "range", "v1.0.0..HEAD", "--json")
    assert code == 1
    report = json.loads("\n".join(out))
    assert report["range"] == "v1.0.0..HEAD"
    assert (report["commits_checked"], report["ok"]) == (3, False)
    assert [(v["where"], v["rule"]) for v in report["violations"]] == [
        (history["typo"][:7], "type-enum"),
        (history["bad"][:7], "header-format"),
    ]
    assert json.loads(err)["error"]["code"] == "check_failed"


def test_range_unknown_ref_exits_5(
    repo_builder: RepoBuilder, history: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, repo_builder.path, "range", "v9.9.9..HEAD")
    assert (code, out) == (5, [])
    assert "v9.9.9" in err


def test_range_merge_title_from_relman_toml(
    repo_builder: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    repo_builder.commit(
        "chore: initial import", {"relman.toml": '[commits]\nmerge_commits = "title"\n'}
    )
    repo_builder.tag("v1.0.0")
    repo_builder.branch("feature/farm-x")
    repo_builder.checkout("feature/farm-x")
    repo_builder.commit("feat(farm): x")
    repo_builder.checkout("main")
    merge = repo_builder.merge("feature/farm-x", "Merge pull request #7 from o/farm-x\n\nFarm X")
    code, out, _ = _run(capsys, repo_builder.path, "range", "v1.0.0..HEAD")
    assert code == 1
    assert out[0].startswith(f"{merge[:7]}: header 'Farm X' is not")
    assert out[-1] == "2 commits checked, 1 violation"


# --------------------------------------------------------------------------------------
# lint branch, lint rules


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("feature/farm-milk-quality", "feature/farm-milk-quality: feature branch"),
        ("bugfix/SD-123-fix-credit-limit", "bugfix/SD-123-fix-credit-limit: bugfix branch"),
        ("release/1.2.0", "release/1.2.0: release branch"),
        ("hotfix/critical-payment-fix", "hotfix/critical-payment-fix: hotfix branch"),
        ("master", "master: main branch"),
        ("develop", "develop: develop branch"),
    ],
)
def test_branch_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, line: str
) -> None:
    assert _run(capsys, tmp_path, "branch", name) == (0, [line], "")


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("feature/Farm_Milk", "branch-description"),
        ("bugfix/fix-credit-limit", "branch-ticket"),
        ("release/v1.2", "branch-version"),
        ("hotfix/", "branch-description"),
        ("wip/stuff", "branch-type"),
    ],
)
def test_branch_violation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, rule: str
) -> None:
    code, out, err = _run(capsys, tmp_path, "branch", name)
    assert code == 1
    assert len(out) == 1
    assert out[0].startswith(f"{name}: ")
    assert out[0].endswith(f"[{rule}]")
    assert f"error: branch '{name}' breaks 1 naming rule" in err


def test_branch_defaults_to_checked_out_branch(
    repo_builder: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    repo_builder.commit("chore: initial import")
    repo_builder.git("checkout", "-q", "-b", "feature/Bad")
    code, out, _ = _run(capsys, repo_builder.path, "branch")
    assert code == 1
    assert out[0].endswith("[branch-description]")


def test_rules_lists_every_rule_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, tmp_path, "rules")
    assert code == 0
    ids = [line.split()[0] for line in out]
    assert ids[:3] == ["message-empty", "no-fixup", "header-format"]
    assert "breaking-change-description" in ids
    assert "branch-version" in ids


# --------------------------------------------------------------------------------------
# A real git commit-msg hook (subprocess): what a developer meets


def _install_hook(repo: RepoBuilder) -> None:
    hook = repo.path / ".git" / "hooks" / "commit-msg"
    hook.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m relman lint commit "$1"\n')
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)


def _git_commit(
    repo: RepoBuilder, *args: str, editor: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_EDITOR": str(editor) if editor else "false"}
    return subprocess.run(
        ["git", "commit", "-q", *args],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_git_commit_msg_hook_rejects_with_the_rule(repo_builder: RepoBuilder) -> None:
    repo_builder.commit("chore: initial import")
    _install_hook(repo_builder)

    proc = _git_commit(repo_builder, "--allow-empty", "-m", "feature: x")

    assert proc.returncode != 0
    assert "[type-enum]" in proc.stdout + proc.stderr  # git sends hook output to stderr
    assert "error: 1 violation in the commit message" in proc.stderr
    assert repo_builder.git("log", "-1", "--format=%s") == "chore: initial import"


def test_git_commit_msg_hook_with_verbose_editor(repo_builder: RepoBuilder) -> None:
    """`git commit -v`: comment lines and the scissors diff reach the hook and are ignored."""
    repo_builder.commit("chore: initial import")
    _install_hook(repo_builder)
    repo_builder.write({"farm.py": "Breaking: not a footer\nadded stuff\n"})
    repo_builder.git("add", "farm.py")
    editor = repo_builder.path.parent / "editor.sh"
    editor.write_text(
        '#!/bin/sh\nprintf "feat(farm): add x\\n\\nbody\\n" | cat - "$1" > "$1.new"'
        ' && mv "$1.new" "$1"\n'
    )
    editor.chmod(0o755)

    proc = _git_commit(repo_builder, "-v", editor=editor)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert repo_builder.git("log", "-1", "--format=%B") == "feat(farm): add x\n\nbody"
