# ruff: noqa: F811  (pytest fixtures are imported from notify_support and requested by name)
"""`relman incident open` tells the emergency CAB (§13.1) and warns when a message reaches
nobody: a real SMTP server (aiosmtpd), a real HTTP receiver for Slack and the paging gateway, a
real git repository, on SQLite and PostgreSQL.

- the Incident Commander, who has no §11.1 row, gets the emergency mail through their CAB
  seat, and those messages count as required in the compliance report;
- a person holding two roles gets one message per channel;
- when the update roles cannot be reached (no address), ``incident open`` still opens the
  incident (exit 0) and warns, in the Rich output, in ``--json`` and in the incident's story.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from notify_support import HttpReceiver, SmtpServer, free_port, receiver  # noqa: F401

from relman.cli.main import main

IC_AND_DEVOPS = ("Ikram Chowdhury", "ikram@smartdairy.test", ["incident_commander", "devops_lead"])
PEOPLE: dict[str, tuple[str, str, list[str]]] = {
    "chowdhury": ("Chowdhury CTO", "cto@smartdairy.test", ["cto"]),
    "parvin": ("Parvin Akter", "parvin@smartdairy.test", ["project_manager", "release_manager"]),
    "ikram": IC_AND_DEVOPS,
    "tanvir": ("Tanvir Islam", "tanvir@smartdairy.test", ["tech_lead"]),
    "qamrul": ("Qamrul Hasan", "qamrul@smartdairy.test", ["qa_lead"]),
    "popy": ("Popy Rahman", "popy@smartdairy.test", ["product_owner"]),
    "users": ("Business Users", "users@smartdairy.test", ["business_users"]),
}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


def _policy(
    repo: Path,
    smtp: SmtpServer,
    receiver: HttpReceiver,
    people: dict[str, tuple[str, str, list[str]]],
) -> None:
    lines: list[str] = []
    for pid, (name, mail, roles) in people.items():
        lines += [f"[people.{pid}]", f'name = "{name}"', f'email = "{mail}"']
        lines.append(f"roles = {json.dumps(roles)}")
    lines += [
        "[notifications.channels.email]",
        'kind = "smtp"',
        'host = "127.0.0.1"',
        f"port = {smtp.port}",
        'sender = "relman@smartdairy.test"',
        "[notifications.channels.slack]",
        'kind = "slack"',
        "[notifications.channels.phone]",
        'kind = "webhook"',
        f'url = "{receiver.url}/phone"',
        "[notifications.channels.status_page]",
        'kind = "feed"',
        'directory = "public/status"',
    ]
    (repo / "relman.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def repo(
    repo_builder: Any,
    database_url: str,
    receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    repo_builder.commit("feat(payments): checkout", {".gitignore": ".relman/\npublic/\n"})
    repo_builder.tag("v1.4.0")
    monkeypatch.setenv("RELMAN_DATABASE_URL", database_url)
    monkeypatch.setenv("RELMAN_SLACK_WEBHOOK_URL", f"{receiver.url}/slack")
    monkeypatch.setenv("RELMAN_WEBHOOK_SECRET", "pager-secret")
    path: Path = repo_builder.path
    return path


def _run(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(repo), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _json(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> Any:
    code, out, err = _run(capsys, repo, *args, "--json")
    assert code == 0, f"relman {' '.join(args)} -> {code}\n{out}\n{err}"
    return json.loads(out)


def test_the_incident_commander_gets_the_emergency_mail_once_and_it_counts_as_required(
    repo: Path,
    smtp: SmtpServer,
    receiver: HttpReceiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _policy(repo, smtp, receiver, PEOPLE)
    opened = _json(
        capsys, repo, "incident", "open", "--severity", "P1", "--title", "Payments down",
        "--description", "checkout answers 502", "--as", "ikram",
    )  # fmt: skip
    assert opened["incident"]["id"] == "INC-1"
    assert opened["hotfix_release"]["release_type"] == "hotfix"
    # every CAB seat and update role is reachable: no warning but, in the last two hours of the
    # Dhaka day, planning's own "lead time 1 hour to <today> is shorter than 2 hours"
    assert [w for w in opened["warnings"] if not w.startswith("lead time ")] == []

    # the Incident Commander (a CAB seat, no §11.1 row) gets the emergency mail, once
    mails = {m.recipients[0]: m for m in smtp.mails}
    ikram = mails["ikram@smartdairy.test"]
    assert ikram.subject.startswith("[URGENT]")
    assert "Payments down" in ikram.text
    # Ikram is Incident Commander and DevOps Lead: one mail and one call for both roles
    assert sorted(mails) == [
        "ikram@smartdairy.test",
        "popy@smartdairy.test",
        "users@smartdairy.test",
    ]
    assert len(smtp.mails) == 3
    calls = [p.json()["recipients"] for p in receiver.posts_to("/phone")]
    assert sorted(r[0] for r in calls) == [
        "chowdhury",
        "ikram",
        "parvin",
        "popy",
        "qamrul",
        "tanvir",
    ]
    [slack] = receiver.posts_to("/slack")
    assert "for tech_lead, qa_lead, support_team" in json.dumps(slack.json())

    log = _json(capsys, repo, "notify", "log", "--subject", "INC-1")
    seat = [
        r for r in log if r["event"] == "emergency" and "incident_commander" in r["role"].split(",")
    ]
    reminders = {
        (r["recipient"], r["channel"], r["required"]) for r in log if r["event"] != "emergency"
    }
    assert reminders == {("ikram", "email", False)}  # one person for both update roles
    assert {(r["recipient"], r["channel"], r["required"], r["status"]) for r in seat} == {
        ("ikram", "email", True, "sent"),
        ("ikram", "phone", True, "sent"),
    }
    report = _json(capsys, repo, "report", "notifications", "--subject", "INC-1")
    # 13 required: 6 calls, 3 mails, Slack for 3 roles, the status page
    assert (report["required"], report["on_time"], report["percent"]) == (13, 13, 100.0)

    story = _json(capsys, repo, "incident", "show", "INC-1")["updates"]
    cab = next(u["text"] for u in story if u["kind"] == "cab_notified")
    assert "(CAB seats: incident_commander, tech_lead, devops_lead, qa_lead, product_owner)" in cab
    assert "unreachable" not in {u["kind"] for u in story}


def test_update_roles_nobody_can_reach_are_a_warning_and_the_incident_still_opens(
    repo: Path,
    smtp: SmtpServer,
    receiver: HttpReceiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    people = {
        "ikram": ("Ikram Chowdhury", "", ["incident_commander"]),  # no email
        "dipu": ("Dipu Sarker", "", ["devops_lead", "release_manager"]),  # no email
    }
    _policy(repo, smtp, receiver, people)
    code, out, err = _run(
        capsys, repo, "incident", "open", "--severity", "P2", "--title", "Reports broken",
        "--as", "ikram",
    )  # fmt: skip
    assert code == 0
    assert "opened INC-1 P2: Reports broken" in out
    reminders = next(line for line in err.splitlines() if "reminders of INC-1" in line)
    assert reminders.startswith(
        'warning: the "next update in 30 minutes" reminders of INC-1 '
        "(notifications.incident_update_roles) reach nobody: incident_commander: nobody with "
        "role 'incident_commander' can be reached by email: ikram has no email"
    )
    assert "; devops_lead: nobody with role 'devops_lead' can be reached by email: dipu " in (
        reminders
    )
    # the CAB seats are called (phone needs no address), except the one nobody holds
    cab = next(line for line in err.splitlines() if "emergency CAB" in line)
    assert cab.startswith(
        "warning: the emergency messages of INC-1 to the emergency CAB (emergency.cab) do not "
        "reach product_owner: nobody with role 'product_owner' can be reached by email: add a "
        "[people.<id>] with roles = ['product_owner'] and an email / nobody with role "
        "'product_owner' can be reached by phone"
    )
    assert "(they reach ikram by phone, tech_lead by slack, dipu by phone, qa_lead by slack)" in cab
    assert smtp.mails == []  # the mail went nowhere: nobody has an address

    opened = _json(
        capsys, repo, "incident", "open", "--severity", "P1", "--title", "Login broken",
        "--no-hotfix", "--as", "ikram",
    )  # fmt: skip
    assert opened["incident"]["id"] == "INC-2"
    warned = [w for w in opened["warnings"] if "reminders of INC-2" in w]
    assert len(warned) == 1 and "reach nobody" in warned[0]

    story = _json(capsys, repo, "incident", "show", "INC-1")["updates"]
    noted = [u["text"] for u in story if u["kind"] == "unreachable"]
    assert any("reminders of INC-1" in text for text in noted)
    audit = _json(capsys, repo, "audit", "list", "--subject", "INC-1")
    [entry] = [e for e in audit if e["action"] == "incident.open"]
    assert any("reminders of INC-1" in w for w in entry["after"]["warnings"])

    # each update promises the next one: it warns again, and still succeeds
    code, out, err = _run(
        capsys, repo, "incident", "update", "INC-1", "-m", "looking", "--as", "dipu"
    )
    assert code == 0
    assert "INC-1 update: looking" in out
    assert "reminders of INC-1 (notifications.incident_update_roles) reach nobody" in err


# J-003's CAB table, the Incident Commander's seat told nothing of its own (channels = [])
SILENT_COMMANDER = """
[emergency.cab]
incident_commander = { title = "Incident Commander", responsibility = "Overall coordination", contact = "On-call Manager", channels = [] }
tech_lead = { title = "Technical Lead", responsibility = "Technical decisions", contact = "Tech Lead" }
devops_lead = { title = "DevOps Lead", responsibility = "Deployment execution", contact = "DevOps Lead" }
qa_lead = { title = "QA Lead", responsibility = "Testing approval", contact = "QA Lead" }
product_owner = { title = "Product Owner", responsibility = "Business approval", contact = "Product Owner" }
"""  # noqa: E501


@pytest.mark.parametrize("cab", ["default", "silent commander"])
def test_a_team_without_an_incident_commander_misses_notifications_until_it_names_one(
    repo: Path,
    smtp: SmtpServer,
    receiver: HttpReceiver,
    capsys: pytest.CaptureFixture[str],
    cab: str,
) -> None:
    """The upgrade note of docs/notifications.md: by default the Incident Commander's seat is
    required on email and phone, so with nobody holding the role `report notifications --check`
    fails; ``channels = []`` on the seat (in a whole [emergency.cab] table) makes it pass."""
    people = {pid: p for pid, p in PEOPLE.items() if pid != "ikram"}
    people["dipu"] = ("Dipu Sarker", "dipu@smartdairy.test", ["devops_lead"])
    _policy(repo, smtp, receiver, people)
    if cab == "silent commander":
        with (repo / "relman.toml").open("a", encoding="utf-8") as policy:
            policy.write(SILENT_COMMANDER)
    code, _, err = _run(
        capsys, repo, "incident", "open", "--severity", "P1", "--title", "Payments down",
        "--no-hotfix", "--as", "dipu",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = _run(
        capsys, repo, "report", "notifications", "--subject", "INC-1", "--check", "--json"
    )
    report = json.loads(out)
    misses = {(m["recipient"], m["channel"], m["status"]) for m in report["misses"]}
    if cab == "default":
        assert (code, report["met"]) == (1, False)
        assert misses == {
            ("incident_commander", "email", "dead"),
            ("incident_commander", "phone", "dead"),
        }
        assert all("roles = ['incident_commander']" in m["last_error"] for m in report["misses"])
    else:
        assert (code, report["met"], report["percent"], misses) == (0, True, 100.0, set())
