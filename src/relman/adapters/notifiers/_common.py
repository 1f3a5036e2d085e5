"""Helpers shared by the notifiers: secrets from the environment, masking, error wording."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from relman.errors import ConfigError

MASK = "***"


def read_secret(environ: Mapping[str, str], name: str, *, what: str, channel: str) -> str:
    """The secret in environment variable ``name``; ConfigError naming the variable if unset."""
    value = environ.get(name, "")
    if not value.strip():
        raise ConfigError(
            f"{what} for channel '{channel}' is not set: relman reads it only from the "
            f"environment variable {name}",
            where=name,
            hint=f"export {name}=... in the environment of relman (never in relman.toml)",
        )
    return value


def mask_secrets(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every non-empty secret (and its URL path, for webhook URLs) replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def describe_url(url: str) -> str:
    """A URL for people: scheme, host and port only (webhook paths carry tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    path = f"/{MASK}" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{path}"


def is_loopback(url: str) -> bool:
    """Whether the URL names this machine (no proxy may sit in between)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def http_error_is_permanent(status: int) -> bool:
    """4xx answers other than timeouts and rate limits will not get better by retrying."""
    return 400 <= status < 500 and status not in (408, 425, 429)
