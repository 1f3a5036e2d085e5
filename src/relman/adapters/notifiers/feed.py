"""The status-page feed for end customers: ``status.json`` (JSON Feed 1.1) and ``status.rss``
(RSS 2.0) in one folder, for any web server to serve.

Each event is one entry (its id is the event key), so a retried or repeated delivery replaces
the entry instead of adding a twin. Both files are rewritten atomically (temp file + rename)
under an exclusive lock, newest entry first, keeping at most ``max_entries``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from relman.adapters.files import LocalFiles
from relman.errors import IntegrationError, RelmanError
from relman.ports import NotificationMessage

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
JSON_NAME = "status.json"
RSS_NAME = "status.rss"
LOCK_NAME = ".status.lock"

# What an event means on a status page.
STATES: Mapping[str, str] = {
    "pre_release": "scheduled",
    "deployment_started": "in_progress",
    "deployment_completed": "completed",
    "rollback": "incident",
    "emergency": "investigating",
    "incident_update": "investigating",
    "incident_resolved": "resolved",
    "post_release": "info",
}


def make_feed_entry(message: NotificationMessage) -> dict[str, Any]:
    """One JSON Feed item for a message (``_relman`` carries the event for machines)."""
    return {
        "id": message.event_key,
        "title": message.title,
        "content_text": message.body,
        "date_published": _utc(message.at),
        "tags": [message.event_type, STATES.get(message.event_type, "info")],
        "_relman": {
            "subject": message.subject,
            "event_type": message.event_type,
            "state": STATES.get(message.event_type, "info"),
        },
    }


def merge_entries(
    entries: Sequence[Mapping[str, Any]], new: Mapping[str, Any], *, max_entries: int
) -> list[dict[str, Any]]:
    """``entries`` with ``new`` in (replacing an entry of the same id), newest first."""
    kept = [dict(e) for e in entries if e.get("id") != new["id"]]
    kept.append(dict(new))
    kept.sort(key=lambda e: (str(e.get("date_published", "")), str(e.get("id"))), reverse=True)
    return kept[:max_entries]


def render_json_feed(
    entries: Sequence[Mapping[str, Any]], *, title: str, link: str, feed_url: str = ""
) -> str:
    feed: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": title}
    if link:
        feed["home_page_url"] = link
    if feed_url:
        feed["feed_url"] = feed_url
    feed["items"] = [dict(e) for e in entries]
    return json.dumps(feed, indent=2, ensure_ascii=False) + "\n"


def render_rss(entries: Sequence[Mapping[str, Any]], *, title: str, link: str) -> str:
    """RSS 2.0: one ``<item>`` per entry (guid = the event key, not a permalink)."""
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = title
    ET.SubElement(channel, "link").text = link or "about:blank"
    ET.SubElement(channel, "description").text = f"{title}: maintenance and incidents"
    if entries:
        ET.SubElement(channel, "lastBuildDate").text = _rfc822(entries[0]["date_published"])
    for entry in entries:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = str(entry.get("title", ""))
        ET.SubElement(item, "description").text = str(entry.get("content_text", ""))
        ET.SubElement(item, "guid", isPermaLink="false").text = str(entry["id"])
        ET.SubElement(item, "pubDate").text = _rfc822(entry["date_published"])
        for tag in entry.get("tags", []):
            ET.SubElement(item, "category").text = str(tag)
    ET.indent(rss)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(rss, encoding="unicode") + "\n"


def read_json_feed(text: str, *, where: str) -> list[dict[str, Any]]:
    """The items of a JSON feed file relman wrote."""
    try:
        data = json.loads(text)
        items = data["items"]
        if not isinstance(items, list):
            raise TypeError("items is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrationError(
            f"the status feed is not a JSON feed relman can extend: {exc}",
            where=where,
            hint="move the file away; relman starts a new feed",
        ) from None
    return [dict(i) for i in items if isinstance(i, dict) and "id" in i]


class FeedNotifier:
    """Adds each message to the feed files in ``directory``."""

    def __init__(
        self, *, channel: str, directory: Path, title: str, link: str, max_entries: int = 50
    ) -> None:
        self.channel = channel
        self.directory = directory
        self.title = title
        self.link = link
        self.max_entries = max_entries

    @property
    def target(self) -> str:
        return f"feed {self.directory / JSON_NAME} + {RSS_NAME}"

    def send(self, message: NotificationMessage) -> None:
        json_path, rss_path = self.directory / JSON_NAME, self.directory / RSS_NAME
        try:
            with self._locked():
                files = LocalFiles()
                existing = files.read_text(json_path)
                entries = [] if existing is None else read_json_feed(existing, where=str(json_path))
                entries = merge_entries(
                    entries, make_feed_entry(message), max_entries=self.max_entries
                )
                feed_url = self.link.rstrip("/") + "/" + JSON_NAME if self.link else ""
                files.write_texts(
                    {
                        json_path: render_json_feed(
                            entries, title=self.title, link=self.link, feed_url=feed_url
                        ),
                        rss_path: render_rss(entries, title=self.title, link=self.link),
                    }
                )
        except IntegrationError:
            raise
        except (RelmanError, OSError) as exc:  # a full disk or a permission: retried later
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise IntegrationError(
                f"cannot write the status feed: {reason or exc}", where=str(self.directory)
            ) from None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / LOCK_NAME).open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _utc(at: datetime) -> str:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _rfc822(text: str) -> str:
    return format_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")), usegmt=True)
