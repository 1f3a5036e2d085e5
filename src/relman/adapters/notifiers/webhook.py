"""Generic JSON webhooks, HMAC-SHA256 signed, and the Slack-compatible incoming webhook.

Generic webhook requests carry:

- ``X-Relman-Signature: sha256=<hex>``: HMAC-SHA256 of the raw request body with the shared
  secret (from the environment variable ``secret_env``);
- ``X-Relman-Timestamp: <unix seconds>``: the same value as the body's ``timestamp`` field, so
  the signature covers it; receivers reject old timestamps (replays) with `verify_signature`;
- ``X-Relman-Delivery``: the delivery id, the same on every retry (for deduplication);
- ``X-Relman-Event``: the event type.

Slack webhooks get ``{"text": ..., "blocks": [...]}``; their URL is a secret (environment only).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from relman.adapters.notifiers._common import (
    describe_url,
    http_error_is_permanent,
    is_loopback,
    mask_secrets,
    read_secret,
)
from relman.errors import ConfigError, IntegrationError
from relman.ports import NotificationMessage

SIGNATURE_HEADER = "X-Relman-Signature"
TIMESTAMP_HEADER = "X-Relman-Timestamp"
DELIVERY_HEADER = "X-Relman-Delivery"
EVENT_HEADER = "X-Relman-Event"
DEFAULT_TOLERANCE = 300  # seconds a signed request stays acceptable


def sign_body(secret: str | bytes, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str | bytes,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    """What a receiver checks: the signature matches the raw body (constant-time), the
    timestamp header equals the signed body's ``timestamp`` and is within ``tolerance``
    seconds of ``now`` (an old request replayed later is refused)."""
    if not signature or not timestamp:
        return False
    if not hmac.compare_digest(sign_body(secret, body), signature.strip()):
        return False
    try:
        signed = json.loads(body)["timestamp"]
        stamp = int(timestamp)
    except (ValueError, KeyError, TypeError):
        return False
    return signed == stamp and abs(now - stamp) <= tolerance


def build_payload(message: NotificationMessage, *, timestamp: int) -> bytes:
    """The generic webhook body: canonical JSON (sorted keys, UTF-8)."""
    data = {
        "id": message.id,
        "timestamp": timestamp,
        "event": {
            "key": message.event_key,
            "type": message.event_type,
            "subject": message.subject,
            "at": message.at.isoformat(),
        },
        "title": message.title,
        "text": message.body,
        "to": list(message.to),
        "recipients": list(message.recipients),
        "facts": dict(message.facts),
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def build_slack_payload(message: NotificationMessage) -> dict[str, Any]:
    """Slack ``text`` (the fallback) plus ``blocks``: a header, the body, who it is for."""
    for_whom = ", ".join(message.recipients)
    return {
        "text": f"*{message.title}*\n{message.body}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": message.body[:3000]}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{message.subject} · {message.event_type}"
                        + (f" · for {for_whom}" if for_whom else ""),
                    }
                ],
            },
        ],
    }


def _post(
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    timeout: float,
    transport: httpx.BaseTransport | None,
    secrets: list[str | None],
) -> None:
    shown = describe_url(url)
    try:
        with httpx.Client(
            timeout=timeout, transport=transport, trust_env=not is_loopback(url)
        ) as client:
            response = client.post(url, content=content, headers=dict(headers))
    except httpx.HTTPError as exc:
        detail = mask_secrets(f"{type(exc).__name__}: {exc}", [url, *secrets])
        raise IntegrationError(f"cannot reach the webhook {shown}: {detail}", where=shown) from None
    if response.is_success:
        return
    text = mask_secrets(" ".join(response.text.split())[:200], [url, *secrets])
    error = ConfigError if http_error_is_permanent(response.status_code) else IntegrationError
    raise error(f"the webhook {shown} answered {response.status_code}: {text}", where=shown)


class WebhookNotifier:
    """POSTs signed JSON to a URL (``url``, or the environment variable ``url_env``)."""

    def __init__(
        self,
        *,
        channel: str,
        url: str | None = None,
        url_env: str | None = None,
        secret_env: str = "RELMAN_WEBHOOK_SECRET",
        timeout: float = 10.0,
        environ: Mapping[str, str],
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url and not url_env:
            raise ConfigError(
                f"webhook channel '{channel}' needs url or url_env",
                where=f"notifications.channels.{channel}",
            )
        self.channel = channel
        self._url = url
        self._url_env = url_env
        self.secret_env = secret_env
        self.timeout = timeout
        self._environ = environ
        self._clock = clock
        self._transport = transport

    @property
    def target(self) -> str:
        url = self._url or self._environ.get(self._url_env or "", "")
        return f"webhook {describe_url(url)}" if url else f"webhook ${self._url_env}"

    def send(self, message: NotificationMessage) -> None:
        url = self._url or read_secret(
            self._environ, self._url_env or "", what="the webhook URL", channel=self.channel
        )
        secret = read_secret(
            self._environ, self.secret_env, what="the webhook secret", channel=self.channel
        )
        timestamp = int(self._clock())
        body = build_payload(message, timestamp=timestamp)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "relman",
            SIGNATURE_HEADER: sign_body(secret, body),
            TIMESTAMP_HEADER: str(timestamp),
            DELIVERY_HEADER: message.id,
            EVENT_HEADER: message.event_type,
        }
        _post(
            url,
            content=body,
            headers=headers,
            timeout=self.timeout,
            transport=self._transport,
            secrets=[secret],
        )


class SlackNotifier:
    """POSTs ``{text, blocks}`` to a Slack-compatible incoming webhook."""

    def __init__(
        self,
        *,
        channel: str,
        url_env: str = "RELMAN_SLACK_WEBHOOK_URL",
        timeout: float = 10.0,
        environ: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.channel = channel
        self.url_env = url_env
        self.timeout = timeout
        self._environ = environ
        self._transport = transport

    @property
    def target(self) -> str:
        url = self._environ.get(self.url_env, "")
        return f"slack {describe_url(url)}" if url else f"slack ${self.url_env}"

    def send(self, message: NotificationMessage) -> None:
        url = read_secret(
            self._environ, self.url_env, what="the Slack webhook URL", channel=self.channel
        )
        body = json.dumps(build_slack_payload(message), ensure_ascii=False).encode("utf-8")
        _post(
            url,
            content=body,
            headers={"Content-Type": "application/json", "User-Agent": "relman"},
            timeout=self.timeout,
            transport=self._transport,
            secrets=[],
        )
