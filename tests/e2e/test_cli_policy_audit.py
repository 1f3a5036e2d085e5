"""A changed relman.toml is audited (issue 3 §5): the next write records one `policy.change`."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from relman.cli.main import main
from relman.services.policy_audit import compute_policy_digest
from relman.settings import load_settings

PEOPLE_TOML = """\
[people.meher]
name = "Meher Hossain"
roles = ["release_manager"]

[people.parvin]
name = "Parvin Akter"
roles = ["project_manager"]

[people.tanvir]
name = "Tanvir Islam"
roles = ["tech_lead"]
"""


@pytest.fixture
def repo(repo_builder: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("RELMAN_DATABASE_URL", raising=False)
    monkeypatch.delenv("RELMAN_CONFIG", raising=False)
    repo_builder.commit(
        "chore: relman policy", {"relman.toml": PEOPLE_TOML, ".gitignore": ".relman/\n"}
    )
    repo_builder.commit("feat(farm): first herd register")
    repo_builder.tag("v1.3.0")
    repo_builder.commit("feat(farm): milk quality parameters")
    path: Path = repo_builder.path
    return path


def _run(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> tuple[int, str]:
    code = main(["-C", str(repo), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _audit(capsys: pytest.CaptureFixture[str], repo: Path) -> list[dict[str, Any]]:
    code, out = _run(capsys, repo, "audit", "list", "--json")
    assert code == 0, out
    entries: list[dict[str, Any]] = json.loads(out)
    return entries


def _policy_changes(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["action"] == "policy.change"]


def _digest(repo: Path) -> str:
    return compute_policy_digest(load_settings(repo).model_dump(mode="json"))


def test_a_changed_policy_is_audited_once_by_the_next_write(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = (date.today() + timedelta(days=10)).isoformat()
    code, out = _run(
        capsys, repo, "release", "plan", "--type", "minor", "--target-date", target, "--as", "meher"
    )
    assert code == 0, out
    entries = _audit(capsys, repo)
    [first] = _policy_changes(entries)
    assert entries[0] == first  # recorded before the plan's own entries, in its transaction
    assert (first["actor"], first["subject"]) == ("meher", "policy")
    assert first["before"] == {"digest": None}
    assert first["after"] == {"digest": _digest(repo), "source": str(repo / "relman.toml")}

    # no change: writes record no policy.change
    code, out = _run(capsys, repo, "checklist", "tick", "R-1", "7.1.1-3", "--as", "tanvir")
    assert code == 0, out
    after_tick = _audit(capsys, repo)
    assert len(after_tick) > len(entries)
    assert _policy_changes(after_tick) == [first]

    # the policy changes: a failed command records nothing, the next write records it once
    policy = repo / "relman.toml"
    policy.write_text(PEOPLE_TOML + "\n[evidence]\ncoverage_min = 85.0\n", encoding="utf-8")
    new_digest = _digest(repo)
    assert new_digest != first["after"]["digest"]
    code, out = _run(capsys, repo, "gate", "sign", "R-1", "G1", "--as", "meher")
    assert code == 7, out  # separation of duties
    assert _audit(capsys, repo) == after_tick

    code, out = _run(capsys, repo, "gate", "sign", "R-1", "G1", "--as", "parvin")
    assert code == 0, out
    after_sign = _audit(capsys, repo)
    new = after_sign[len(after_tick) :]
    assert [e for e in new if e["action"] == "policy.change"] == [new[0]]
    assert new[0]["actor"] == "parvin"
    assert new[0]["before"] == {"digest": first["after"]["digest"]}
    assert new[0]["after"] == {"digest": new_digest, "source": str(policy)}
    assert any(e["action"] != "policy.change" for e in new[1:])

    code, out = _run(capsys, repo, "audit", "verify")
    assert code == 0, out
