"""``[notifications]`` of relman.toml: how the §11 communication plan is delivered.

The stakeholder matrix itself is ``[communication.stakeholders]`` (§11.1); this section says
which channels are wired to real transports, which deployments are announced, when scheduled
notices go out, what counts as on time, and how failed deliveries are retried.

Channels (``[notifications.channels.<name>]``; ``<name>`` is a §11.3 channel such as ``email``,
``slack``, ``phone``, ``status_page``, ``in_app``) have a ``kind``:

- ``smtp``: email; ``tls = "starttls"`` or ``"ssl"``, login when ``username`` is set with the
  password from the environment variable ``password_env`` (default ``RELMAN_SMTP_PASSWORD``);
- ``slack``: a Slack-compatible incoming webhook whose URL is read from ``url_env``;
- ``webhook``: a generic JSON POST signed with HMAC-SHA256 (secret from ``secret_env``);
- ``feed``: a status-page feed (JSON Feed + RSS 2.0 files) written to ``directory``.

Secrets are never read from the file: only the *names* of environment variables are.
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator, model_validator

from relman.policy_settings.base import PolicyModel, j003_default
from relman.policy_settings.models import CommunicationSettings, EmergencySettings
from relman.policy_settings.values import ClockTime, Duration, parse_clock, parse_duration

if TYPE_CHECKING:
    from relman.domain.outbox import NotificationPolicy

Kind = Literal["release_notification", "deployment_window", "post_release", "emergency"]
_ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
CAB_CELL = "Emergency CAB"  # the emergency cell of a §13.1 CAB seat (it has no §11.1 row)

# J-003 §11.1 says end customers hear about releases as "Major features only" and about
# deployment windows as a "Maintenance notice": both go to the status page, not to email.
DEFAULT_ROUTES: dict[str, dict[str, list[str]]] = {
    "end_customers": {
        "release_notification": ["status_page"],
        "deployment_window": ["status_page"],
    },
}


class SmtpChannelSettings(PolicyModel):
    """Email over SMTP (smtplib)."""

    kind: Literal["smtp"]
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    tls: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password_env: str = Field(default="RELMAN_SMTP_PASSWORD", pattern=_ENV_NAME)
    sender: str = "relman@localhost"
    ca_file: str | None = None  # trust this CA bundle (a private CA or a self-signed server)
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)


class SlackChannelSettings(PolicyModel):
    """A Slack-compatible incoming webhook (the URL is a secret: environment only)."""

    kind: Literal["slack"]
    url_env: str = Field(default="RELMAN_SLACK_WEBHOOK_URL", pattern=_ENV_NAME)
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)


class WebhookChannelSettings(PolicyModel):
    """A generic JSON webhook, HMAC-SHA256 signed (``X-Relman-Signature: sha256=<hex>``)."""

    kind: Literal["webhook"]
    url: str | None = None
    url_env: str | None = Field(default=None, pattern=_ENV_NAME)
    secret_env: str = Field(default="RELMAN_WEBHOOK_SECRET", pattern=_ENV_NAME)
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _has_url(self) -> WebhookChannelSettings:
        if not self.url and not self.url_env:
            raise ValueError("a webhook needs url = '...' or url_env = 'RELMAN_...'")
        return self


class FeedChannelSettings(PolicyModel):
    """A status-page feed for end customers: ``status.json`` (JSON Feed 1.1) and
    ``status.rss`` (RSS 2.0), rewritten atomically in ``directory`` for a web server to serve."""

    kind: Literal["feed"]
    directory: str = ".relman/status"  # relative to the repository
    title: str = "Smart Dairy service status"
    link: str = "https://status.smartdairybd.com/"
    max_entries: int = Field(default=50, ge=1, le=10_000)


ChannelConfig = Annotated[
    SmtpChannelSettings | SlackChannelSettings | WebhookChannelSettings | FeedChannelSettings,
    Field(discriminator="kind"),
]


def _default_on_time() -> dict[Kind, str]:
    return {
        "release_notification": "4h",
        "deployment_window": "15m",
        "post_release": "24h",
        "emergency": "15m",
    }


class NotificationSettings(PolicyModel):
    """Delivery of the §11 communication plan (reference: docs/notifications.md)."""

    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    person_channels: list[str] = Field(default_factory=lambda: ["email", "phone"])
    environments: list[str] = Field(default_factory=lambda: ["prod"])
    routes: dict[str, dict[Kind, list[str]]] = j003_default(DEFAULT_ROUTES)
    on_time: dict[Kind, Duration] = Field(default_factory=_default_on_time)
    pre_release_notice: Duration = "48h"
    deploy_time: ClockTime = "02:00"
    deployment_duration: Duration = "1h"
    incident_update_every: Duration = "30m"
    incident_reminders: int = Field(default=8, ge=0, le=100)
    incident_update_roles: list[str] = Field(
        default_factory=lambda: ["incident_commander", "devops_lead"]
    )
    incident_update_channels: list[str] = Field(default_factory=lambda: ["email"])
    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff_base: Duration = "1m"
    backoff_max: Duration = "1h"
    jitter: float = Field(default=0.2, ge=0, le=1)
    template_dir: str | None = None
    status_url: str = ""  # "Status tracking: [LINK]"
    release_notes_url: str = ""  # "RELEASE NOTES: [LINK]"; {version} is replaced
    emergency_contact: str = ""  # "Emergency Contact: [PHONE]"
    issues_channel: str = ""  # "Please report any issues via [CHANNEL]"

    @field_validator("backoff_base", "incident_update_every")
    @classmethod
    def _not_zero(cls, value: str) -> str:
        if parse_duration(value).total_seconds() <= 0:
            raise ValueError(f"{value!r} must be longer than zero")
        return value


def resolve_notification_policy(
    notifications: NotificationSettings,
    communication: CommunicationSettings,
    *,
    timezone: str,
    compliance_target: float = 100.0,
    emergency: EmergencySettings | None = None,
) -> NotificationPolicy:
    """``[communication]`` + ``[notifications]`` as the domain's NotificationPolicy; the seats
    of ``[emergency.cab]`` that name ``channels`` join the emergency column (None: J-003's)."""
    from relman.domain.notifications import EventKind, Stakeholder, StakeholderMatrix
    from relman.domain.outbox import NotificationPolicy, RetryPolicy

    stakeholders = {
        role: Stakeholder(
            role=role,
            name=row.name,
            cells={
                EventKind.RELEASE_NOTIFICATION: row.release_notification,
                EventKind.DEPLOYMENT_WINDOW: row.deployment_window,
                EventKind.POST_RELEASE: row.post_release,
                EventKind.EMERGENCY: row.emergency,
            },
            channels=tuple(row.channels),
            routes={
                EventKind(kind): tuple(channels)
                for kind, channels in notifications.routes.get(role, {}).items()
            },
        )
        for role, row in communication.stakeholders.items()
    }
    seats = (emergency or EmergencySettings()).cab
    cab = {
        role: Stakeholder(
            role=role,
            name=seat.title,
            # a fixed cell: the responsibility is free text, never a rule ("... only")
            cells={EventKind.EMERGENCY: CAB_CELL},
            channels=tuple(seat.channels),
            routes={EventKind.EMERGENCY: tuple(seat.channels)},
            details={EventKind.EMERGENCY: f"{CAB_CELL}: {seat.responsibility}"},
        )
        for role, seat in seats.items()
        if seat.channels
    }
    matrix = StakeholderMatrix(
        stakeholders=stakeholders,
        cab=cab,
        person_channels=frozenset(notifications.person_channels),
        environments=tuple(notifications.environments),
        on_time={EventKind(k): parse_duration(v) for k, v in notifications.on_time.items()},
        update_roles=tuple(notifications.incident_update_roles),
        update_channels=tuple(notifications.incident_update_channels),
    )
    base = parse_duration(notifications.backoff_base)
    minutes = parse_clock(notifications.deploy_time)
    return NotificationPolicy(
        matrix=matrix,
        retry=RetryPolicy(
            max_attempts=notifications.max_attempts,
            base=base,
            cap=max(base, parse_duration(notifications.backoff_max)),
            jitter=notifications.jitter,
        ),
        timezone=timezone,
        pre_release_notice=parse_duration(notifications.pre_release_notice),
        deploy_time=time(minutes // 60, minutes % 60),
        deployment_duration=parse_duration(notifications.deployment_duration),
        incident_update_every=parse_duration(notifications.incident_update_every),
        incident_reminders=notifications.incident_reminders,
        compliance_target=compliance_target,
    )
