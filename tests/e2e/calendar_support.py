"""Support for the calendar and incident CLI tests: a repository with the J-003 people, the
CLI run in-process (`Cli`, from tests/cli_support.py), a fixed clock injected through
`relman.bootstrap.build_services`, and the store on SQLite or PostgreSQL (the `database_url`
fixture)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cli_support import Cli
from relman.testing import FixedClock

DHAKA = ZoneInfo("Asia/Dhaka")

PEOPLE_TOML = """\
[people.parvin]
name = "Parvin Akter"
email = "parvin@smartdairy.test"
roles = ["project_manager"]

[people.dipu]
name = "Dipu Sarker"
email = "dipu@smartdairy.test"
roles = ["devops_lead"]

[people.tanvir]
name = "Tanvir Islam"
email = "tanvir@smartdairy.test"
roles = ["tech_lead"]

[people.qamrul]
name = "Qamrul Hasan"
email = "qamrul@smartdairy.test"
roles = ["qa_lead"]

[people.popy]
name = "Popy Rahman"
email = "popy@smartdairy.test"
roles = ["product_owner"]

[people.rana]
name = "Rana Ahmed"
email = "rana@smartdairy.test"
roles = ["release_manager"]

[people.ikram]
name = "Ikram Chowdhury"
email = "ikram@smartdairy.test"
roles = ["incident_commander"]

[people.sara]
name = "Sara Karim"
email = "sara@smartdairy.test"
roles = ["sre_lead"]

[people.rahim]
name = "Rahim Dev"
email = "rahim@smartdairy.test"
roles = ["developer"]
"""


def bdt(text: str) -> datetime:
    """``"2026-03-31 10:00"`` in Asia/Dhaka."""
    return datetime.fromisoformat(text).replace(tzinfo=DHAKA)


def use_clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> FixedClock:
    """Every command of the test sees ``at`` as now (advance it to move time on)."""
    from relman import bootstrap

    clock = FixedClock(at)
    real = bootstrap.build_services

    def build(**kw: Any) -> Any:
        kw.setdefault("clock", clock)
        return real(**kw)

    monkeypatch.setattr(bootstrap, "build_services", build)
    return clock


def use_store(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("RELMAN_DATABASE_URL", database_url)


def plan_patch_release(
    repo_builder: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    *,
    planner: str,
) -> Cli:
    """A repository with PEOPLE_TOML, v1.2.0 and one fix after it, the store at
    ``database_url`` and Monday 2026-03-02 10:00 BDT; R-1, a patch release, planned by
    ``planner`` for Friday. Returns the CLI of that repository."""
    repo_builder.commit("chore: policy", {"relman.toml": PEOPLE_TOML, ".gitignore": ".relman/\n"})
    repo_builder.tag("v1.2.0")
    repo_builder.commit("fix(farm): milk yield rounding\n\nRefs: SD-140")
    use_store(monkeypatch, database_url)
    use_clock(monkeypatch, bdt("2026-03-02 10:00"))
    cli = Cli(repo_builder.path, capsys)
    cli.ok("release", "plan", "--type", "patch", "--target-date", "2026-03-06", "--as", planner)
    return cli
