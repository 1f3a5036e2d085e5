"""Deployments on the other targets: the direct switch (no nginx: restart in place, and it says
so) and a command target whose steps are shell commands."""

from __future__ import annotations

import json

import pytest
from app_support import artifacts  # noqa: F401
from deploy_support import Workspace, workspace_fixture  # noqa: F401

from relman.errors import DeploymentFailedError


def test_without_nginx_the_deployment_restarts_in_place_and_says_so(ws: Workspace) -> None:
    config = ws.config_text().replace(
        f"public_port = {ws.ports['dev']}\n",
        f'public_port = {ws.ports["dev"]}\nswitch = "direct"\n',
    )
    (ws.root / "relman.toml").write_text(config, encoding="utf-8")
    ws.add_release("R-1", "1.0.0")
    ws.add_release("R-2", "1.1.0")
    first = ws.deploy("R-1", "dev", artifact=ws.artifacts.build("1.0.0").path).deployment
    assert any("NOT zero-downtime" in note for note in first.notes)
    assert ws.served_version("dev") == "1.0.0"  # the instance itself listens on the public port
    ws.deploy("R-2", "dev", artifact=ws.artifacts.build("1.1.0").path, strategy="blue_green")
    assert ws.served_version("dev") == "1.1.0"
    done = ws.relman("rollback", "dev", "--as", "sara")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ws.served_version("dev") == "1.0.0"
    refused = ws.relman("deploy", "R-2", "--env", "dev", "--strategy", "canary", "--as", "dipu")
    assert refused.returncode == 3 and "a canary needs weighted routing" in refused.stderr


COMMAND_TARGET = """
[deployments.environments.dev.target]
kind = "command"
url = "http://127.0.0.1:{port}"

[deployments.environments.dev.target.steps]
deploy = {{ argv = ["sh", "-c", "echo deploy {{version}} >> steps.log"] }}
health = {{ argv = ["sh", "-c", "echo health {{version}} >> steps.log; [ {{version}} != 1.1.0 ]"] }}
rollback = {{ argv = ["sh", "-c", "echo rollback {{version}} to {{previous}} >> steps.log"] }}
"""


def test_a_command_target_runs_its_steps_and_its_rollback(ws: Workspace) -> None:
    """The URL answers nothing here, so verification is off: the steps are the deployment."""
    text = ws.config_text()
    start = text.index("[deployments.environments.dev.target]")
    end = text.index("[deployments.environments.qa]")
    config = text[:start] + text[end:] + COMMAND_TARGET.format(port=ws.ports["dev"])
    config = config.replace('url = "http://127.0.0.1', '# url = "http://127.0.0.1')
    (ws.root / "relman.toml").write_text(config, encoding="utf-8")
    ws.add_release("R-1", "1.0.0")
    ws.add_release("R-2", "1.1.0")
    ws.deploy("R-1", "dev", artifact=ws.artifacts.build("1.0.0").path)
    with pytest.raises(DeploymentFailedError, match=r"step health of dev failed with exit code 1"):
        ws.deploy("R-2", "dev", artifact=ws.artifacts.build("1.1.0").path)
    log = (ws.root / "steps.log").read_text(encoding="utf-8").splitlines()
    assert log == [
        "deploy 1.0.0",
        "health 1.0.0",
        "deploy 1.1.0",
        "health 1.1.0",
        "rollback 1.1.0 to 1.0.0",
    ]
    status = json.loads(ws.relman("env", "status", "dev", "--json", "--no-probe").stdout)
    assert status[0]["components"][0]["version"] == "1.0.0"
