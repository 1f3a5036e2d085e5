"""A realistic release history for the release notes tests (golden, integration, e2e).

``build_notes_repo(builder)`` makes, with deterministic dates:

- ``v1.0.0``: the farm module, requirements, configuration and the first migration;
- ``v1.0.1-hotfix.1``: an emergency fix (J-003 §2.3);
- then, untagged: feat/fix/perf/security/refactor commits with the footers the notes read
  (User-Visible, BREAKING CHANGE, Deprecated, Severity, Known-Issue/Workaround/Planned-Fix,
  SD- tickets), a new migration, a changed and a new configuration file, a changed
  requirements.txt and a new Odoo module version. The next version is 2.0.0 (a breaking change).
"""

from __future__ import annotations

from typing import Protocol

MANIFEST = """# -*- coding: utf-8 -*-
{{
    "name": "Smart Dairy Farm",
    "version": "{version}",
    "depends": ["base", "stock"],
    "external_dependencies": {{"python": ["requests"]}},
}}
"""

REQUIREMENTS_1 = """# Smart Dairy ERP runtime
requests==2.31.0
psycopg2-binary==2.9.9
xlrd==1.2.0
"""

REQUIREMENTS_2 = """# Smart Dairy ERP runtime
requests==2.32.3
psycopg2-binary==2.9.9
lxml>=5.2,<6
"""


class Builder(Protocol):
    def commit(self, message: str, files: dict[str, str] | None = None) -> str: ...

    def tag(self, name: str, *, annotated: bool = True, ref: str = "HEAD") -> None: ...


def build_notes_repo(repo: Builder) -> dict[str, str]:
    """Build the history; return the shas of interesting commits by name."""
    shas: dict[str, str] = {}
    shas["initial"] = repo.commit(
        "feat(farm): herd and milk collection registers\n\nRefs: SD-100",
        {
            "README.md": "# Smart Dairy ERP\n",
            "requirements.txt": REQUIREMENTS_1,
            "addons/smart_farm/__manifest__.py": MANIFEST.format(version="17.0.1.0.0"),
            "config/odoo.conf": "[options]\nworkers = 4\n",
            "migrations/0001_initial.sql": "CREATE TABLE herd (id serial);\n",
        },
    )
    repo.tag("v1.0.0")
    shas["hotfix"] = repo.commit(
        "fix(farm): crash when a cow has no tag number\n\nSeverity: Critical\nRefs: SD-110",
        {"addons/smart_farm/models.py": "# tag number may be empty\n"},
    )
    repo.tag("v1.0.1-hotfix.1")
    shas["feat_quality"] = repo.commit(
        "feat(farm): milk quality parameters per collection\n\n"
        "Record fat, SNF and protein for every collection, with limits per\n"
        "grade.\n\n"
        "The lab import follows in a later release.\n\n"
        "Refs: SD-101",
        {"migrations/0002_milk_quality.sql": "ALTER TABLE collection ADD fat numeric;\n"},
    )
    shas["fix_fat"] = repo.commit(
        "fix(farm): fat percentage rounded to two decimals\n\nSeverity: high\nRefs: SD-102",
        {"addons/smart_farm/quality.py": "ROUND = 2\n"},
    )
    shas["perf"] = repo.commit(
        "perf(reports): daily collection report reads one query\n\nRefs: SD-103",
        {"addons/smart_farm/reports.py": "# one query\n"},
    )
    shas["refactor_visible"] = repo.commit(
        "refactor(portal): checkout on a single page\n\nUser-Visible: yes\nRefs: SD-104",
        {"portal/checkout.py": "# one page\n"},
    )
    shas["refactor_internal"] = repo.commit(
        "refactor(core): split the pricing service", {"core/pricing.py": "# split\n"}
    )
    shas["security"] = repo.commit(
        "security(auth): rate-limit login attempts\n\nSeverity: Critical\nRefs: SD-105",
        {"portal/auth.py": "# rate limit\n"},
    )
    shas["breaking"] = repo.commit(
        "feat(api)!: orders API v2 with B2B price lists\n\n"
        "BREAKING CHANGE: /api/v1/orders is removed; use /api/v2/orders.\n"
        "Deprecated: /api/v1/customers (removal in 3.0.0)\n"
        "Refs: SD-106",
        {"api/orders.py": "# v2\n"},
    )
    shas["fix_cart"] = repo.commit(
        "fix(portal): cart total | discount applied twice\n\n"
        "Known-Issue: Discount codes are case-sensitive\n"
        "Workaround: Enter discount codes in upper case\n"
        "Planned-Fix: 2.0.1",
        {"portal/cart.py": "# discount once\n"},
    )
    shas["deps"] = repo.commit(
        "build(deps): requests 2.32.3, lxml for the e-invoice export\n\nRefs: SD-108",
        {
            "requirements.txt": REQUIREMENTS_2,
            "addons/smart_farm/__manifest__.py": MANIFEST.format(version="17.0.2.0.0"),
            "config/odoo.conf": "[options]\nworkers = 8\n",
            "config/payments.ini": "[bkash]\nsandbox = true\n",
        },
    )
    shas["docs"] = repo.commit("docs: how to record milk quality", {"docs/quality.md": "# Q\n"})
    return shas
