"""Payload shapes of the channels: HMAC signatures, Slack blocks, JSON Feed and RSS 2.0
(httpx.MockTransport for HTTP; no network, no disk)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest

from relman.adapters.notifiers._common import describe_url, mask_secrets
from relman.adapters.notifiers.feed import (
    JSON_FEED_VERSION,
    make_feed_entry,
    merge_entries,
    render_json_feed,
    render_rss,
)
from relman.adapters.notifiers.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SlackNotifier,
    WebhookNotifier,
    build_payload,
    sign_body,
    verify_signature,
)
from relman.errors import ConfigError, IntegrationError
from relman.ports import NotificationMessage

AT = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)
NOW = 1_772_848_800  # a unix time
SECRET = "s3cr3t-hmac-key"


def message(**changes: Any) -> NotificationMessage:
    data: dict[str, Any] = {
        "id": "relman-abc",
        "event_key": "deployment_started:R-1:prod:D-1",
        "event_type": "deployment_started",
        "subject": "R-1",
        "title": "[DEPLOYMENT STARTED] Smart Dairy ERP v1.3.0",
        "body": "The deployment has started.\n",
        "to": (),
        "recipients": ("tech_lead", "qa_lead"),
        "at": AT,
        "facts": {"version": "1.3.0"},
    }
    data.update(changes)
    return NotificationMessage(**data)


def test_the_signature_is_hmac_sha256_of_the_raw_body() -> None:
    # RFC 4231 test case 2
    assert sign_body("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


@pytest.mark.parametrize(
    ("tamper", "ok"),
    [
        ({}, True),
        ({"body": b'{"timestamp": 1772848800, "x": 1}'}, False),  # body changed
        ({"secret": "wrong"}, False),
        ({"timestamp": str(NOW + 5)}, False),  # header does not match the signed timestamp
        ({"now": NOW + 301}, False),  # too old: a replay
        ({"now": NOW + 299}, True),
        ({"signature": None}, False),
        ({"timestamp": None}, False),
    ],
)
def test_receivers_verify_signature_and_timestamp(tamper: dict[str, Any], ok: bool) -> None:
    body = build_payload(message(), timestamp=NOW)
    args: dict[str, Any] = {
        "secret": SECRET,
        "body": body,
        "signature": sign_body(SECRET, body),
        "timestamp": str(NOW),
        "now": NOW,
    }
    args.update(tamper)
    assert (
        verify_signature(
            args["secret"], args["body"], args["signature"], args["timestamp"], now=args["now"]
        )
        is ok
    )


def test_the_webhook_body_is_canonical_json_with_the_event_and_timestamp() -> None:
    body = build_payload(message(), timestamp=NOW)
    data = json.loads(body)
    assert data["timestamp"] == NOW
    assert data["event"] == {
        "key": "deployment_started:R-1:prod:D-1",
        "type": "deployment_started",
        "subject": "R-1",
        "at": "2026-03-07T02:00:00+00:00",
    }
    assert body == json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def _recorder(status: int = 200) -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, text="nope" if status >= 400 else "ok")

    return seen, httpx.MockTransport(handler)


def test_the_webhook_notifier_signs_what_it_sends() -> None:
    seen, transport = _recorder()
    notifier = WebhookNotifier(
        channel="phone",
        url="https://pager.example/hook",
        secret_env="PAGER_SECRET",
        environ={"PAGER_SECRET": SECRET},
        clock=lambda: float(NOW),
        transport=transport,
    )
    notifier.send(message())
    [request] = seen
    headers = request.headers
    assert headers["X-Relman-Delivery"] == "relman-abc"
    assert headers["X-Relman-Event"] == "deployment_started"
    assert verify_signature(
        SECRET, request.content, headers[SIGNATURE_HEADER], headers[TIMESTAMP_HEADER], now=NOW
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, IntegrationError), (429, IntegrationError), (401, ConfigError), (404, ConfigError)],
)
def test_webhook_failures_are_retried_or_permanent_by_status(
    status: int, error: type[Exception]
) -> None:
    _, transport = _recorder(status)
    notifier = WebhookNotifier(
        channel="hook",
        url="https://hooks.example/x",
        environ={"RELMAN_WEBHOOK_SECRET": SECRET},
        transport=transport,
    )
    with pytest.raises(error, match=f"answered {status}"):
        notifier.send(message())


def test_a_missing_secret_names_the_environment_variable() -> None:
    notifier = WebhookNotifier(channel="hook", url="https://hooks.example/x", environ={})
    with pytest.raises(ConfigError, match="RELMAN_WEBHOOK_SECRET") as info:
        notifier.send(message())
    assert info.value.where == "RELMAN_WEBHOOK_SECRET"


def test_slack_gets_text_and_blocks_and_its_url_is_never_shown() -> None:
    seen, transport = _recorder()
    url = "https://hooks.slack.example/services/T000/B000/XXXXSECRET"
    notifier = SlackNotifier(
        channel="slack", environ={"RELMAN_SLACK_WEBHOOK_URL": url}, transport=transport
    )
    notifier.send(message())
    payload = json.loads(seen[0].content)
    assert payload["text"].startswith("*[DEPLOYMENT STARTED] Smart Dairy ERP v1.3.0*\n")
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "context"]
    assert "for tech_lead, qa_lead" in payload["blocks"][2]["elements"][0]["text"]
    assert notifier.target == "slack https://hooks.slack.example/***"

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url}")

    broken = SlackNotifier(
        channel="slack",
        environ={"RELMAN_SLACK_WEBHOOK_URL": url},
        transport=httpx.MockTransport(refuse),
    )
    with pytest.raises(IntegrationError) as info:
        broken.send(message())
    assert "XXXXSECRET" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example/services/abc?x=1", "https://hooks.example/***"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ],
)
def test_urls_are_shown_without_path_or_query(url: str, shown: str) -> None:
    assert describe_url(url) == shown


def test_secrets_are_masked() -> None:
    assert mask_secrets("login pw=hunter2 refused", ["hunter2", None, ""]) == "login pw=*** refused"


def test_a_status_entry_per_event_replaced_on_redelivery_newest_first() -> None:
    first = make_feed_entry(message())
    later = make_feed_entry(
        message(
            event_key="deployment_completed:R-1:prod:D-1",
            event_type="deployment_completed",
            title="Maintenance completed",
            at=datetime(2026, 3, 7, 3, 0, tzinfo=UTC),
        )
    )
    assert first["date_published"] == "2026-03-07T02:00:00Z"
    assert first["tags"] == ["deployment_started", "in_progress"]
    entries = merge_entries([], first, max_entries=10)
    entries = merge_entries(entries, later, max_entries=10)
    entries = merge_entries(entries, first, max_entries=10)  # a retry: no twin
    assert [e["id"] for e in entries] == [later["id"], first["id"]]
    assert [e["id"] for e in merge_entries(entries, first, max_entries=1)] == [later["id"]]


def test_the_json_feed_is_json_feed_1_1() -> None:
    text = render_json_feed(
        [make_feed_entry(message())], title="Status", link="https://status.example/"
    )
    feed = json.loads(text)
    assert feed["version"] == JSON_FEED_VERSION == "https://jsonfeed.org/version/1.1"
    assert feed["items"][0]["content_text"] == "The deployment has started.\n"


def test_the_rss_feed_is_rss_2_0_with_rfc822_dates_and_stable_guids() -> None:
    entries = [make_feed_entry(message(title="A <b> & c"))]
    root = ET.fromstring(render_rss(entries, title="Status", link="https://status.example/"))
    assert (root.tag, root.get("version")) == ("rss", "2.0")
    item = root.find("channel/item")
    assert item is not None
    assert item.findtext("title") == "A <b> & c"
    assert item.findtext("pubDate") == "Sat, 07 Mar 2026 02:00:00 GMT"
    guid = item.find("guid")
    assert guid is not None and guid.get("isPermaLink") == "false"
    assert guid.text == "deployment_started:R-1:prod:D-1"
    assert [c.text for c in item.findall("category")] == ["deployment_started", "in_progress"]
