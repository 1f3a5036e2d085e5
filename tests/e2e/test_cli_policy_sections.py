"""Commands validate the policy sections they use (relman.settings_core): the commands that only
read git validate the core sections and never build the models of the whole J-003 policy; the
lifecycle commands and `relman policy check` judge the whole file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from relman.bootstrap import Services, build_services
from relman.cli.main import main
from relman.settings import Settings
from relman.settings_core import SECTIONS, CoreSettings, validate_core
from relman.settings_source import read_policy

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.conftest import RepoBuilder

BAD_GATES = '[versioning]\ntag_format = "v{version}"\n\n[gates.G1]\nname = 5\n'


@pytest.fixture
def repo(repo_builder: RepoBuilder) -> RepoBuilder:
    repo_builder.commit("chore: init")
    repo_builder.tag("v1.4.2")
    repo_builder.commit("feat(b2b): bulk orders [SD-2]")
    return repo_builder


def _run(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(repo), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_sections_name_every_table_of_the_whole_policy() -> None:
    assert set(Settings.model_fields) == SECTIONS
    assert set(CoreSettings.model_fields) < SECTIONS
    # the core sections come first in the whole file, in the same order
    assert list(Settings.model_fields)[:6] == list(CoreSettings.model_fields)


def test_core_settings_are_the_defaults_of_the_whole_policy() -> None:
    whole, core = Settings(), CoreSettings()
    for name in CoreSettings.model_fields:
        assert getattr(whole, name) == getattr(core, name), name


def test_version_next_does_not_judge_a_section_it_does_not_use(
    repo: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write({"relman.toml": BAD_GATES})
    code, out, _ = _run(capsys, repo.path, "version", "next", "--json")
    assert (code, json.loads(out)["next"]) == (0, "1.5.0")
    # ... the whole-policy commands do, naming the file, line and key
    code, _, err = _run(capsys, repo.path, "policy", "check")
    assert code == 3
    assert "relman.toml:5 gates.G1.name" in err
    code, _, err = _run(capsys, repo.path, "release", "list")
    assert code == 3
    assert "relman.toml:5 gates.G1.name" in err


def test_an_unknown_section_stops_every_command(
    repo: RepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write({"relman.toml": '[versoning]\ntag_format = "v{version}"\n'})
    code, out, err = _run(capsys, repo.path, "version", "next")
    assert (code, out) == (3, "")
    assert "relman.toml:1 versoning: unknown key 'versoning' (did you mean 'versioning'?)" in err


def test_an_override_of_a_core_key_from_the_environment_applies(
    repo: RepoBuilder, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.tag("rel-2.0.0")
    monkeypatch.setenv("RELMAN_VERSIONING__TAG_FORMAT", "rel-{version}")
    monkeypatch.setenv("RELMAN_GATES__G1__NAME", "Planning done")  # not core: left alone
    code, out, _ = _run(capsys, repo.path, "version", "current")
    assert (code, out.split()[0]) == (0, "2.0.0")
    monkeypatch.setenv("RELMAN_VERSIONING__TAG_FORMAT", "release")
    code, _, err = _run(capsys, repo.path, "version", "current")
    assert code == 3
    assert "RELMAN_VERSIONING__TAG_FORMAT versioning.tag_format" in err


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["version", "next", "--json"], lambda out, repo: json.loads(out)["next"] == "1.5.0"),
        (["notes", "--format", "json"], lambda out, repo: json.loads(out)["version"] == "1.5.0"),
        (["lint", "range", "v1.4.2..HEAD"], lambda out, repo: "1 commit checked" in out),
        (["changelog"], lambda out, repo: "1.5.0" in (repo / "CHANGELOG.md").read_text()),
    ],
    ids=["version-next", "notes", "lint-range", "changelog"],
)
def test_git_commands_never_build_the_whole_policy(
    repo: RepoBuilder, args: list[str], check: Callable[[str, Path], bool]
) -> None:
    code = (
        "import json, sys\n"
        "from relman.cli.main import main\n"
        f"rc = main(['-C', {str(repo.path)!r}, *{args!r}])\n"
        "mods = [m for m in sys.modules if m.startswith('relman.')]\n"
        "print(json.dumps([rc, mods]), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    rc, loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    assert rc == 0
    assert check(proc.stdout, repo.path)
    assert "relman.settings_core" in loaded
    heavy = {"relman.settings", "relman.policy_settings.models", "relman.policy_resolve"}
    assert heavy.isdisjoint(loaded)


def test_the_policy_as_read_keeps_only_the_overrides_and_never_shows_them(
    tmp_path: Path,
) -> None:
    env = {
        "RELMAN_VERSIONING__TAG_FORMAT": "rel-{version}",
        "RELMAN_SMTP_PASSWORD": "s3cret",
        "RELMAN_DATABASE_URL": "postgresql://u:pw@db/relman",
        "HOME": "/root",
    }
    source = read_policy(tmp_path, environ=env)
    assert dict(source.env) == {"RELMAN_VERSIONING__TAG_FORMAT": "rel-{version}"}
    assert "rel-{version}" not in repr(source)
    assert "s3cret" not in repr(source)
    core = validate_core(source)
    assert core is not None
    assert core.versioning.tag_format == "rel-{version}"


def test_the_whole_policy_around_core_settings_given_in_code_keeps_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("RELMAN_")]:
        monkeypatch.delenv(name)  # the defaults, whatever the caller's environment says
    core = CoreSettings.model_validate({"versioning": {"tag_format": "rel-{version}"}})
    whole = build_services(repo=tmp_path, settings=None, config=None).settings
    assert whole.versioning.tag_format == "v{version}"  # the defaults, read from no file
    services = Services(core=core, repo_path=tmp_path)
    assert services.settings.versioning.tag_format == "rel-{version}"
    assert services.settings.gates == Settings().gates
