"""Notification channels: email (SMTP), Slack and generic webhooks, the status-page feed.

`build_notifiers` turns ``[notifications.channels]`` into one `relman.ports.Notifier` per
channel name; nothing connects or reads a secret until a message is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from relman.adapters.notifiers.feed import FeedNotifier
from relman.adapters.notifiers.smtp import SmtpNotifier
from relman.adapters.notifiers.webhook import SlackNotifier, WebhookNotifier
from relman.policy_settings.notifications import (
    ChannelConfig,
    FeedChannelSettings,
    SlackChannelSettings,
    SmtpChannelSettings,
    WebhookChannelSettings,
)
from relman.ports import Notifier

__all__ = [
    "FeedNotifier",
    "SlackNotifier",
    "SmtpNotifier",
    "WebhookNotifier",
    "build_notifier",
    "build_notifiers",
]


def build_notifier(
    name: str, config: ChannelConfig, *, base_dir: Path, environ: Mapping[str, str]
) -> Notifier:
    """The notifier of one configured channel (relative feed folders are under ``base_dir``)."""
    if isinstance(config, SmtpChannelSettings):
        return SmtpNotifier(
            channel=name,
            host=config.host,
            port=config.port,
            sender=config.sender,
            tls=config.tls,
            username=config.username,
            password_env=config.password_env,
            ca_file=str(base_dir / config.ca_file) if config.ca_file else None,
            timeout=config.timeout_seconds,
            environ=environ,
        )
    if isinstance(config, SlackChannelSettings):
        return SlackNotifier(
            channel=name,
            url_env=config.url_env,
            timeout=config.timeout_seconds,
            environ=environ,
        )
    if isinstance(config, WebhookChannelSettings):
        return WebhookNotifier(
            channel=name,
            url=config.url,
            url_env=config.url_env,
            secret_env=config.secret_env,
            timeout=config.timeout_seconds,
            environ=environ,
        )
    assert isinstance(config, FeedChannelSettings)
    return FeedNotifier(
        channel=name,
        directory=base_dir / config.directory,
        title=config.title,
        link=config.link,
        max_entries=config.max_entries,
    )


def build_notifiers(
    channels: Mapping[str, ChannelConfig], *, base_dir: Path, environ: Mapping[str, str]
) -> dict[str, Notifier]:
    """One notifier per configured channel name."""
    return {
        name: build_notifier(name, config, base_dir=base_dir, environ=environ)
        for name, config in channels.items()
    }
