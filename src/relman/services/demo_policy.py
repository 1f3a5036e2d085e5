"""The demo's relman.toml: the J-003 policy as ``relman init`` writes it, plus what a team adds.

`build_demo_settings` starts from relman's built-in J-003 defaults and adds only what J-003
leaves to the team: the people holding its roles, the channels notifications really go out on
(here: the demo's local SMTP and webhook sinks and two feed folders), where each environment
runs (local targets, nginx on free high ports, the PostgreSQL database of each environment) and
short monitoring periods so the demo's observations take seconds, not the plan's minutes.
`render_demo_policy` writes it with ``relman init``'s renderer and checks that reading the file
back gives exactly these settings.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from relman.errors import ConfigError
from relman.policy_settings.template import dump_toml, render_policy_file
from relman.services.demo_workspace import DEMO_PEOPLE, ENVIRONMENTS, Workspace
from relman.settings import Settings

WEBHOOK_SECRET_ENV = "RELMAN_DEMO_WEBHOOK_SECRET"
OBSERVATION_SECONDS = 3.0
INTERVAL_SECONDS = 1.0
ANALYSIS_SECONDS = 2.0


@dataclass(frozen=True)
class Endpoints:
    """Where the demo's sinks listen and which public port each environment gets."""

    smtp_host: str
    smtp_port: int
    webhook_base: str  # http://127.0.0.1:<port>
    public_ports: Mapping[str, int]


def build_demo_settings(workspace: Workspace, endpoints: Endpoints) -> Settings:
    """J-003 defaults + demo people, channels, targets and short observation periods."""
    base: dict[str, Any] = Settings().model_dump(mode="json")
    base["people"] = {
        p.id: {"name": p.name, "email": p.email, "roles": list(p.roles)} for p in DEMO_PEOPLE
    }
    ws = workspace.root
    base["notifications"]["channels"] = {
        "email": {
            "kind": "smtp",
            "host": endpoints.smtp_host,
            "port": endpoints.smtp_port,
            "sender": "release-management@smartdairy.test",
            "timeout_seconds": 5.0,
        },
        "slack": {
            "kind": "webhook",
            "url": f"{endpoints.webhook_base}/slack",
            "secret_env": WEBHOOK_SECRET_ENV,
            "timeout_seconds": 5.0,
        },
        "phone": {
            "kind": "webhook",
            "url": f"{endpoints.webhook_base}/phone",
            "secret_env": WEBHOOK_SECRET_ENV,
            "timeout_seconds": 5.0,
        },
        "status_page": {"kind": "feed", "directory": str(ws / "status")},
        "in_app": {"kind": "feed", "directory": str(ws / "in-app")},
    }
    deployments = base.setdefault("deployments", {})
    deployments["state_dir"] = str(workspace.targets)
    deployments["artifacts_dir"] = str(workspace.artifacts)
    deployments["environments"] = {
        env: _environment(workspace, env, endpoints) for env in ENVIRONMENTS
    }
    verification = base["verification"]
    verification["monitoring"]["interval_seconds"] = INTERVAL_SECONDS
    verification["monitoring"]["observation_seconds"] = OBSERVATION_SECONDS
    # The demo's own work (tests, builds, other environments) shares this host with the
    # application: host CPU, memory and disk would judge the demo, not the app. The app's
    # metrics (error rate, latency, logins, DB connections) are judged as J-003 says.
    verification["monitoring"]["host_metrics"] = False
    verification["backup"]["dir"] = str(ws / "backups")
    verification["migrations"]["runner"] = "sample_app" if workspace.databases else "none"
    verification["health"]["database"] = bool(workspace.databases)
    return Settings.model_validate(base)


_INTRO = """\
# ---------------------------------------------------------------------------------------------
# relman demo: what a team adds to the J-003 policy (everything above is `relman init`'s file).
# People hold the J-003 roles (§2, §3.3, §11.1, §13.1); their addresses are at {domain}, which
# no real mail server accepts: the demo's own SMTP sink receives every message.
"""


def _environment(workspace: Workspace, env: str, endpoints: Endpoints) -> dict[str, Any]:
    """``[deployments.environments.<env>]``: a local target, nginx on a free high port, the
    environment's database, and observation periods of seconds."""
    target: dict[str, Any] = {
        "kind": "local",
        "public_port": endpoints.public_ports[env],
        "switch": "auto" if workspace.nginx else "direct",
    }
    if workspace.nginx:
        target["nginx_bin"] = workspace.nginx
    if env in workspace.databases:
        target["database_url"] = workspace.databases[env]
    return {
        "target": target,
        "analysis_seconds": ANALYSIS_SECONDS,
        "observation_seconds": OBSERVATION_SECONDS if env == "prod" else 1.0,
        "interval_seconds": INTERVAL_SECONDS,
    }


def render_demo_policy(settings: Settings) -> str:
    """The commented J-003 file of ``relman init`` with the demo's additions; ConfigError when
    the file would not read back as ``settings``."""
    from relman import __version__

    data = settings.model_dump(mode="json")
    text = render_policy_file(data, version=__version__)
    people = dump_toml({"people": data["people"]})
    text += "\n" + _INTRO.format(domain="smartdairy.test") + "\n" + people
    reread = Settings.model_validate(tomllib.loads(text))
    if reread.model_dump(mode="json") != data:
        raise ConfigError(
            "the demo policy file does not read back as the demo's settings",
            where="relman.toml",
            hint="a section relman init writes by hand lost a value: report this bug",
        )
    return text
