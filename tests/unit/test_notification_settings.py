"""`[notifications]` of relman.toml: channels by kind, secrets only by variable name, errors
that name the line and key, and the policy the domain gets."""

from __future__ import annotations

import tomllib
from datetime import time, timedelta
from pathlib import Path

import pytest

from relman.domain.notifications import EventKind
from relman.errors import ConfigError
from relman.policy_settings.models import CommunicationSettings
from relman.policy_settings.notifications import NotificationSettings, resolve_notification_policy
from relman.settings import validate_settings


def _load(text: str) -> None:
    validate_settings(tomllib.loads(text), path=Path("relman.toml"), text=text)


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        (
            'kind = "smtp"\npassword = "hunter2"',
            "relman.toml:3 notifications.channels.email.password: unknown key 'password' "
            "(did you mean 'password_env'?)",
        ),
        (
            'kind = "slack"\nurl = "https://hooks.slack.com/services/T/B/X"',
            "relman.toml:3 notifications.channels.email.url: unknown key 'url' "
            "(did you mean 'url_env'?)",
        ),
        (
            'kind = "smtp"\nport = 0',
            "relman.toml:3 notifications.channels.email.port: Input should be greater than "
            "or equal to 1",
        ),
        (
            'kind = "smtp"\npassword_env = "lower-case"',
            "relman.toml:3 notifications.channels.email.password_env: String should match pattern",
        ),
        (
            'kind = "webhook"\nurl = "ftp://pager"',
            "relman.toml:3 notifications.channels.email.url: expected an http:// or https:// URL",
        ),
        ('kind = "sms"', "notifications.channels.email: Input tag 'sms' found using 'kind'"),
        (
            'kind = "webhook"',
            "notifications.channels.email: a webhook needs url = '...' or url_env",
        ),
    ],
)
def test_channel_errors_name_the_line_and_the_key_as_written(channel: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(f"[notifications.channels.email]\n{channel}\n")
    assert message in str(info.value)


def test_durations_and_times_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"notifications\.deploy_time: invalid time '25:00'"):
        _load('[notifications]\ndeploy_time = "25:00"\n')
    with pytest.raises(ConfigError, match="incident_update_every: '0h' must be longer than zero"):
        _load('[notifications]\nincident_update_every = "0h"\n')


def test_the_settings_resolve_into_the_domain_policy() -> None:
    settings = NotificationSettings.model_validate(
        {
            "deploy_time": "03:30",
            "routes": {"support_team": {"emergency": ["slack", "email"]}},
            "on_time": {"emergency": "5m"},
            "max_attempts": 3,
            "backoff_base": "2m",
            "backoff_max": "1m",
            "environments": ["prod", "staging"],
        }
    )
    policy = resolve_notification_policy(
        settings, CommunicationSettings(), timezone="Asia/Dhaka", compliance_target=99.0
    )
    assert policy.deploy_time == time(3, 30)
    assert policy.matrix.on_time[EventKind.EMERGENCY] == timedelta(minutes=5)
    assert (policy.retry.max_attempts, policy.retry.base, policy.retry.cap) == (
        3,
        timedelta(minutes=2),
        timedelta(minutes=2),  # the cap is never below the base
    )
    support = policy.matrix.decide_route("support_team", EventKind.EMERGENCY)
    assert support is not None and support.channels == ("slack", "email")
    # a routes table replaces the J-003 default routes as a whole
    assert policy.matrix.stakeholders["end_customers"].routes == {}
    assert (policy.matrix.environments, policy.compliance_target) == (("prod", "staging"), 99.0)
