"""The history of the demo's Smart Dairy repository, written commit by commit.

Three months of Git Flow on the sample application (``examples/smart_dairy_app``) and two Odoo
modules, with Conventional Commits across the J-003 components (core = the whole repository,
``farm`` = ``addons/smart_dairy_farm/**``, ``b2b`` = ``addons/smart_dairy_b2b/**``, the paths
of the J-003 policy): features with scopes, fixes with ``SD-`` tickets and ``Severity:``
footers, a perf change, a security fix, docs, one breaking change (the B2B CSV upload removed
before 1.0.0), ``Known-Issue:`` and ``Deprecated:`` footers. Releases 1.0.0 and 1.1.0 went
through ``release/`` branches into ``main`` with annotated tags ``vX`` plus the component tags
``farm-vX`` and ``b2b-vX``. What ``develop`` holds after ``v1.1.0`` is the scope of the minor
release the demo then ships (1.2.0).

Every date is fixed (Asia/Dhaka), so the same story always gives the same commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

DHAKA = ZoneInfo("Asia/Dhaka")
MAIN, DEVELOP = "main", "develop"
SAMPLE_FILES = (
    "__init__.py", "__main__.py", "server.py", "store.py", "metrics.py", "faults.py",
    "migrate.py",
)  # fmt: skip
PREVIOUS_RELEASE = "1.1.0"


class HistoryWriter(Protocol):
    """Writes a new repository's history (``relman.adapters.demo.git_history``)."""

    def init(self, *, branch: str, user_name: str, user_email: str) -> None: ...

    def write(self, path: str, text: str) -> None: ...

    def read(self, path: str) -> str: ...

    def commit(self, message: str, *, name: str, email: str, at: datetime) -> str: ...

    def branch(self, name: str, start: str) -> None: ...

    def checkout(self, name: str) -> None: ...

    def merge(self, branch: str, message: str, *, name: str, email: str, at: datetime) -> str: ...

    def tag(self, name: str, message: str, *, tagger: str, email: str, at: datetime) -> None: ...

    def delete_branch(self, name: str) -> None: ...


class StorySources(Protocol):
    """Where file contents come from: the sample app and the demo's packaged assets."""

    def read_sample(self, path: str) -> str:
        """A file of ``examples/smart_dairy_app`` (``smart_dairy_app/server.py``)."""
        ...

    def read_asset(self, path: str) -> str:
        """A packaged demo asset (``addons/smart_dairy_farm/__manifest__.py``)."""
        ...


@dataclass(frozen=True)
class Author:
    name: str
    email: str


@dataclass(frozen=True)
class StoryResult:
    commits: int
    tags: tuple[str, ...]
    head: str


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=DHAKA)


STORY_START = at(2, 28, 9, 0)  # the morning the team adopts relman


class _Story:
    def __init__(self, writer: HistoryWriter, sources: StorySources, authors: Mapping[str, Author]):
        self.w = writer
        self.src = sources
        self.authors = authors
        self.commits = 0
        self.tags: list[str] = []

    def asset(self, *paths: str) -> None:
        for path in paths:
            self.w.write(path, self.src.read_asset(path))

    def sample(self, *names: str) -> None:
        for name in names:
            self.w.write(f"smart_dairy_app/{name}", self.src.read_sample(f"smart_dairy_app/{name}"))

    def edit(self, path: str, old: str, new: str) -> None:
        text = self.w.read(path)
        if old not in text:  # pragma: no cover - the story is fixed; a test guards it
            raise ValueError(f"story edit of {path}: {old!r} not found")
        self.w.write(path, text.replace(old, new, 1))

    def commit(self, who: str, when: datetime, message: str) -> str:
        a = self.authors[who]
        self.commits += 1
        return self.w.commit(message, name=a.name, email=a.email, at=when)

    def merge(self, who: str, when: datetime, branch: str, into: str) -> None:
        a = self.authors[who]
        self.w.checkout(into)
        suffix = "" if into == MAIN else f" into {into}"
        self.w.merge(
            branch, f"Merge branch '{branch}'{suffix}", name=a.name, email=a.email, at=when
        )
        self.commits += 1

    def tag(self, who: str, when: datetime, name: str, message: str) -> None:
        a = self.authors[who]
        self.w.tag(name, message, tagger=a.name, email=a.email, at=when)
        self.tags.append(name)

    def set_version(self, version: str) -> None:
        """What ``relman flow release start`` writes into the version files."""
        self.edit_all("pyproject.toml", "version = ", f'version = "{version}"')
        self.w.write("VERSION", f"{version}\n")
        for module in ("smart_dairy_farm", "smart_dairy_b2b"):
            self.edit_all(
                f"addons/{module}/__manifest__.py", "'version': ", f"'version': '19.0.{version}',"
            )

    def edit_all(self, path: str, prefix: str, line: str) -> None:
        lines = self.w.read(path).splitlines()
        out = [line if raw.lstrip().startswith(prefix) else raw for raw in lines]
        self.w.write(path, "\n".join(out) + "\n")

    def release(self, version: str, who: str, start: datetime, finish: datetime) -> None:
        """release/X from develop: bump, merge into main, tags, merge back, delete."""
        branch = f"release/{version}"
        self.w.branch(branch, DEVELOP)
        self.w.checkout(branch)
        self.set_version(version)
        self.commit(who, start, f"chore(release): bump version to {version}")
        self.merge(who, finish, branch, MAIN)
        self.tag(who, finish, f"v{version}", f"Release {version}")
        for component in ("farm", "b2b"):
            self.tag(who, finish, f"{component}-v{version}", f"Release {component} {version}")
        self.merge(who, finish, MAIN, DEVELOP)
        self.w.delete_branch(branch)

    def feature(self, name: str) -> str:
        branch = f"feature/{name}"
        self.w.branch(branch, DEVELOP)
        self.w.checkout(branch)
        return branch


def write_history(
    writer: HistoryWriter, sources: StorySources, authors: Mapping[str, Author]
) -> StoryResult:
    """Write the whole story; ``authors`` needs the ids used below (developers, leads)."""
    s = _Story(writer, sources, authors)
    bot = authors["meher"]
    writer.init(branch=MAIN, user_name=bot.name, user_email=bot.email)
    _foundation(s)
    s.release("1.0.0", "meher", at(1, 19, 11), at(1, 24, 2, 30))
    _towards_1_1(s)
    s.release(PREVIOUS_RELEASE, "meher", at(2, 9, 11), at(2, 14, 2, 30))
    _towards_1_2(s)
    writer.checkout(DEVELOP)
    return StoryResult(commits=s.commits, tags=tuple(s.tags), head=DEVELOP)


def _foundation(s: _Story) -> None:
    s.asset("pyproject.toml")
    s.w.write("VERSION", "0.1.0\n")
    s.w.write("requirements.txt", "psycopg[binary]>=3.1\n")
    s.w.write(".gitignore", s.src.read_asset("gitignore"))
    s.asset("README.md", "config/smart_dairy.conf")
    s.commit("tanvir", at(1, 5, 10), "chore: start the Smart Dairy portal repository")
    s.w.branch(DEVELOP, MAIN)
    s.w.checkout(DEVELOP)
    s.sample(*SAMPLE_FILES, "migrations/001_1.0.0.sql")
    s.commit(
        "arif", at(1, 6, 15),
        "feat(core): portal service with login, sales orders, inventory and health\n\n"
        "The §14.1 critical paths behind one service, with Prometheus metrics.\n\n"
        "Refs: SD-100",
    )  # fmt: skip
    s.asset(
        "addons/smart_dairy_farm/__init__.py", "addons/smart_dairy_farm/__manifest__.py",
        "addons/smart_dairy_farm/models/__init__.py",
        "addons/smart_dairy_farm/models/milk_production.py",
    )  # fmt: skip
    s.commit(
        "nusrat", at(1, 8, 12), "feat(farm): record daily milk production per farm\n\nRefs: SD-101"
    )
    s.asset(
        "addons/smart_dairy_b2b/__init__.py", "addons/smart_dairy_b2b/__manifest__.py",
        "addons/smart_dairy_b2b/models/__init__.py", "addons/smart_dairy_b2b/models/b2b_order.py",
        "addons/smart_dairy_b2b/models/price_list.py",
        "addons/smart_dairy_b2b/controllers/__init__.py",
        "addons/smart_dairy_b2b/controllers/portal.py",
    )  # fmt: skip
    s.commit(
        "arif", at(1, 11, 16), "feat(b2b): partner orders through the B2B portal\n\nRefs: SD-102"
    )
    s.asset("tests/conftest.py", "tests/test_critical_paths.py")
    s.commit(
        "qamrul", at(1, 13, 11), "test(core): critical path tests for login, orders and inventory"
    )
    s.edit(
        "addons/smart_dairy_b2b/controllers/portal.py",
        "def parse_csv_upload(text: str) -> list[dict[str, str]]:\n"
        '    """Legacy: partners uploaded orders as CSV (customer, product, quantity)."""\n'
        "    return list(csv.DictReader(io.StringIO(text)))\n\n\n",
        "",
    )
    s.edit("addons/smart_dairy_b2b/controllers/portal.py", "import csv\nimport io\n\n", "")
    s.commit(
        "arif", at(1, 15, 14),
        "feat(b2b)!: partners order through the portal API only\n\n"
        "BREAKING CHANGE: the CSV order upload is removed; partners post JSON orders to "
        "/sales-orders.\n"
        "Refs: SD-103",
    )  # fmt: skip
    s.sample("build.py")
    s.commit("dipu", at(1, 16, 17), "ci: reproducible release artifacts (sorted tar, fixed mtimes)")


def _towards_1_1(s: _Story) -> None:
    branch = s.feature("farm-milk-quality")
    s.sample("migrations/002_1.1.0.sql", "migrations/002_1.1.0.rollback.sql")
    s.asset("addons/smart_dairy_farm/models/milk_quality.py")
    s.edit(
        "addons/smart_dairy_farm/models/__init__.py",
        "from . import milk_production", "from . import milk_production, milk_quality",
    )  # fmt: skip
    s.commit(
        "nusrat", at(1, 27, 15),
        "feat(farm): milk quality score per collection\n\n"
        "Adds milk_production.quality_score (J-003 §9.3) with its reverse migration.\n\n"
        "Refs: SD-110",
    )  # fmt: skip
    s.merge("tanvir", at(1, 29, 10), branch, DEVELOP)
    s.w.delete_branch(branch)
    s.edit(
        "addons/smart_dairy_farm/models/milk_production.py",
        "round(self.fat_percent, 1)",
        "round(self.fat_percent, 2)",
    )
    s.commit(
        "nusrat", at(2, 2, 12),
        "fix(farm): fat percentage rounded to one decimal in the collection report\n\n"
        "Refs: SD-112\nSeverity: High",
    )  # fmt: skip
    s.edit(
        "addons/smart_dairy_farm/models/milk_production.py",
        "    day: date\n",
        "    day: date  # indexed: daily report\n",
    )
    s.commit(
        "nusrat",
        at(2, 3, 16),
        "perf(farm): index milk production by day for the daily report\n\nRefs: SD-113",
    )
    s.asset("tests/test_release_builds.py", "tests/test_migrations.py")
    s.commit("qamrul", at(2, 4, 11), "test(core): release build, fault and migration tests")
    s.edit(
        "addons/smart_dairy_b2b/models/b2b_order.py",
        "    return confirmed + new <= limit",
        "    return confirmed + pending + new <= limit",
    )
    s.edit(
        "config/smart_dairy.conf",
        "credit_limit_includes_pending = false",
        "credit_limit_includes_pending = true",
    )
    s.commit(
        "arif", at(2, 5, 15),
        "fix(b2b): credit limit check ignored pending orders\n\nRefs: SD-115\nSeverity: Critical",
    )  # fmt: skip
    s.asset("docs/runbook.md")
    s.commit("dipu", at(2, 6, 10), "docs: production deployment runbook")


def _towards_1_2(s: _Story) -> None:
    branch = s.feature("b2b-sales-channel")
    s.sample("migrations/003_1.2.0.sql", "migrations/003_1.2.0.rollback.sql")
    s.asset("addons/smart_dairy_b2b/models/sale_channel.py")
    s.edit(
        "addons/smart_dairy_b2b/models/__init__.py",
        "b2b_order, price_list",
        "b2b_order, price_list, sale_channel",
    )
    s.commit(
        "arif", at(2, 16, 14),
        "feat(b2b): sales channel on partner orders\n\n"
        "Orders record whether they came from the portal, the mobile app or a field agent "
        "(sale_order.channel, with a reverse migration).\n\nRefs: SD-120",
    )  # fmt: skip
    s.merge("tanvir", at(2, 17, 11), branch, DEVELOP)
    s.w.delete_branch(branch)
    branch = s.feature("farm-daily-summary")
    s.asset("addons/smart_dairy_farm/models/collection_summary.py")
    s.edit(
        "addons/smart_dairy_farm/models/__init__.py",
        "milk_quality",
        "milk_quality, collection_summary",
    )
    s.commit(
        "nusrat",
        at(2, 18, 15),
        "feat(farm): daily collection summary on the farm dashboard\n\nRefs: SD-121",
    )
    s.merge("tanvir", at(2, 19, 10), branch, DEVELOP)
    s.w.delete_branch(branch)
    s.edit(
        "config/smart_dairy.conf",
        "inventory_hide_archived = false",
        "inventory_hide_archived = true",
    )
    s.commit(
        "arif", at(2, 20, 12),
        "fix(core): inventory query listed archived products\n\nRefs: SD-123\nSeverity: Medium",
    )  # fmt: skip
    s.edit("config/smart_dairy.conf", "session_signing = plain", "session_signing = hmac-sha256")
    s.commit(
        "sohel", at(2, 22, 16),
        "security(core): sign portal session tokens with HMAC-SHA256\n\n"
        "Plain session ids could be guessed from the partner id.\n\nRefs: SD-125",
    )  # fmt: skip
    s.edit(
        "config/smart_dairy.conf",
        "partner_price_list_cache_seconds = 0", "partner_price_list_cache_seconds = 300",
    )  # fmt: skip
    s.commit(
        "arif",
        at(2, 23, 11),
        "perf(b2b): cache partner price lists for five minutes\n\nRefs: SD-126",
    )
    s.edit(
        "addons/smart_dairy_b2b/models/b2b_order.py",
        'f"VAT: {vat}", f"VAT: {vat}"', 'f"VAT: {vat}"',
    )  # fmt: skip
    s.commit(
        "arif", at(2, 24, 15),
        "fix(b2b): order confirmation listed VAT twice\n\n"
        "Refs: SD-127\nSeverity: Low\n"
        "Known-Issue: SD-130 PDF invoices keep the old VAT layout until 1.3.0",
    )  # fmt: skip
    s.edit(
        "addons/smart_dairy_farm/models/milk_quality.py",
        "    hygiene = ",
        "    # manual lab entry is deprecated: scores come from the analyser\n    hygiene = ",
    )  # fmt: skip
    s.commit(
        "nusrat", at(2, 25, 12),
        "feat(farm): quality scores from the collection centre's analyser\n\n"
        "Refs: SD-128\n"
        "Deprecated: the manual quality entry form; it is removed in 2.0.0",
    )  # fmt: skip
    s.w.write("requirements.txt", "psycopg[binary]>=3.2\n")
    s.edit_all("pyproject.toml", "dependencies = ", 'dependencies = ["psycopg[binary]>=3.2"]')
    s.commit("dipu", at(2, 26, 10), "build(deps): psycopg 3.2 for pipeline mode")
    s.asset("docs/quality-score.md")
    s.commit("nusrat", at(2, 26, 15), "docs(farm): how the milk quality score is computed")
    s.asset("tests/test_service_lifecycle.py", "tests/test_database.py")
    s.commit("qamrul", at(2, 27, 11), "test(core): service lifecycle and PostgreSQL store tests")
