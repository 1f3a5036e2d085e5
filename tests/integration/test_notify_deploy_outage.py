# ruff: noqa: F811  (pytest fixtures are imported from notify_support and requested by name)
"""A real `relman deploy` to production while email is out (issue 6: "none lost across an
outage"). The deployment engine queues the §11.2 "deployment started" and "deployment
completed" messages in the outbox in the same transactions as the deployment's records and
delivers them after each commit without ever failing the deployment; here the SMTP server is
first down (nothing listens on its port) or up but answering 451 to every message. The
deployment succeeds, the mail waits in `relman notify pending`, and once the server is back
`relman notify retry` delivers every message to every stakeholder, once, with the outcome
recorded per recipient.

The four environments are command targets (every step a real shell command, the cheapest real
target); notifications announce production deployments only (the default), and deployment
windows are off so the test runs at any hour.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from notify_support import (  # noqa: F401  (fixtures)
    HttpReceiver,
    SmtpServer,
    receiver,
    smtp_later,
)
from test_notify_delivery import EMAIL_OF, PEOPLE, _channels, _env, _write_policy

from cli_support import Cli

ENVIRONMENTS = ("dev", "qa", "staging", "prod")
VERSION = "1.4.0"
SUBJECTS = {
    "deployment_started": f"[DEPLOYMENT STARTED] Smart Dairy ERP v{VERSION}",
    "deployment_completed": f"[DEPLOYMENT COMPLETE] Smart Dairy ERP v{VERSION}",
}


def _targets(hosts: Path) -> str:
    """Command targets: deploy and health are shell commands writing to ``hosts/<env>.log``."""
    text = "[windows]\nenvironments = {}\n\n"
    for env in ENVIRONMENTS:
        log = hosts / f"{env}.log"
        text += (
            f"[deployments.environments.{env}]\ngates = []\n\n"
            f'[deployments.environments.{env}.target]\nkind = "command"\n\n'
            f"[deployments.environments.{env}.target.steps]\n"
            f'deploy = {{ argv = ["sh", "-c", "echo deploy {{version}} >> {log}"] }}\n'
            f'health = {{ argv = ["sh", "-c", "echo health {{version}} >> {log}"] }}\n\n'
        )
    return text


@pytest.fixture
def relman(
    *,
    repo_builder: Any,
    tmp_path: Path,
    database_url: str,
    smtp_later: SmtpServer,
    receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """A repository whose policy has the §11.1 people, email to ``smtp_later`` (not running
    yet), the status-page feed on disk, and four command-target environments; release R-1
    (minor, 1.4.0) planned and deployed to dev, QA and staging."""
    _env(monkeypatch, receiver)
    monkeypatch.setenv("RELMAN_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "240")
    # the §2 testing period (3 days for a minor release) is not what this test is about
    monkeypatch.setenv("RELMAN_RELEASE_TYPES__MINOR__TESTING_PERIOD_MIN", "0h")
    repo = repo_builder.path
    _write_policy(repo, _channels(tmp_path, smtp_later, receiver, tls=False))
    (tmp_path / "hosts").mkdir()
    with (repo / "relman.toml").open("a", encoding="utf-8") as policy:
        policy.write("\n" + _targets(tmp_path / "hosts"))
    repo_builder.commit("chore: relman policy", {".gitignore": ".relman/\n"})
    repo_builder.tag("v1.3.0")
    repo_builder.commit("feat(farm): milk quality parameters")
    cli = Cli(repo, capsys)
    target = (date.today() + timedelta(days=10)).isoformat()
    cli.ok("release", "plan", "--type", "minor", "--target-date", target,
           "--title", "Milk quality", "--as", "parvin")  # fmt: skip
    artifact = tmp_path / f"smart-dairy-{VERSION}.tar.gz"
    artifact.write_bytes(b"the build of 1.4.0\n")
    cli.ok("deploy", "R-1", "--env", "dev", "--artifact", str(artifact), "--as", "dipu")
    for env in ("qa", "staging"):
        cli.ok("promote", "R-1", "--to", env, "--as", "dipu")
    return cli


@pytest.mark.parametrize("outage", ["down", "refusing"])
def test_a_production_deployment_during_an_email_outage_succeeds_and_loses_no_mail(
    relman: Cli, smtp_later: SmtpServer, tmp_path: Path, outage: str
) -> None:
    if outage == "refusing":  # up, but every message gets a transient 451
        smtp_later.start()
        smtp_later.refuse("451 4.3.0 mail queue full, try again later")
    error = f"cannot send email through 127.0.0.1:{smtp_later.port}: " + (
        "ConnectionRefusedError" if outage == "down" else "SMTPDataError: 451 4.3.0 mail queue full"
    )

    # the deployment succeeds whatever email does
    assert relman.json("release", "show", "R-1")["release"]["deployed_at"] is None
    out = relman.ok("deploy", "R-1", "--env", "prod", "--as", "dipu")
    assert f"D-4: {VERSION} is live on prod" in out
    assert (tmp_path / "hosts" / "prod.log").read_text(encoding="utf-8").splitlines() == [
        f"deploy {VERSION}",
        f"health {VERSION}",
    ]
    deployments = relman.json("deploy", "list")
    assert [(d["id"], d["environment"], d["status"]) for d in deployments] == [
        (f"D-{n}", env, "succeeded") for n, env in enumerate(ENVIRONMENTS, start=1)
    ]
    audit = relman.json("audit", "list", "--subject", "R-1")
    started = [e["after"] for e in audit if e["action"] == "deployment.start"]
    done = [e["after"]["deployment"] for e in audit if e["action"] == "deployment.succeed"]
    assert [(a["deployment"], a["environment"]) for a in started][-1] == ("D-4", "prod")
    assert [(d["id"], d["environment"], d["status"]) for d in done][-1] == (
        "D-4", "prod", "succeeded",
    )  # fmt: skip
    assert relman.json("release", "show", "R-1")["release"]["deployed_at"] is not None

    # both messages are queued for every person, tried once each, and kept
    pending = relman.json("notify", "pending")
    assert Counter((p["event"], p["recipient"], p["status"]) for p in pending) == Counter(
        (event, person, "failed") for event in SUBJECTS for person in PEOPLE
    )
    assert all(p["channel"] == "email" and p["attempts"] == 1 for p in pending)
    assert all(error in p["last_error"] for p in pending)
    if outage == "refusing":  # one try per delivery run (after each of the two commits)
        assert (len(smtp_later.mails), len(smtp_later.refusals)) == (0, 2)
    status = json.loads((tmp_path / "public/status/status.json").read_text(encoding="utf-8"))
    assert sorted(i["_relman"]["event_type"] for i in status["items"]) == sorted(SUBJECTS)

    # still out: exit 12, nothing lost
    code, out, _err = relman("notify", "retry")
    assert code == 12
    assert "16 failed (queued for retry)" in out

    # the server is back: every stakeholder gets both messages, once
    if outage == "down":
        smtp_later.start()
    smtp_later.refuse(None)
    assert "16 sent" in relman.ok("notify", "retry")
    got = Counter((m.recipients[0], m.subject) for m in smtp_later.mails)
    assert got == Counter((EMAIL_OF[p], s) for p in PEOPLE for s in SUBJECTS.values())
    events = Counter(m.message["X-Relman-Event"] for m in smtp_later.mails)
    assert events == Counter({f"{event}:R-1:prod:D-4": len(PEOPLE) for event in SUBJECTS})
    assert len({m.message["Message-ID"] for m in smtp_later.mails}) == 16
    completed = [m.text for m in smtp_later.mails if "COMPLETE" in m.subject]
    assert all(f"v{VERSION} to prod has completed successfully" in t for t in completed)

    relman.ok("notify", "retry")  # nothing left: nothing twice
    assert len(smtp_later.mails) == 16
    assert "no notifications pending" in relman.ok("notify", "pending")
    log = relman.json("notify", "log", "--subject", "R-1")
    assert Counter((e["event"], e["recipient"], e["channel"], e["status"], e["attempts"])
                   for e in log) == Counter(
        [(event, person, "email", "sent", 3) for event in SUBJECTS for person in PEOPLE]
        + [(event, "end_customers", "status_page", "sent", 1) for event in SUBJECTS]
    )  # fmt: skip
