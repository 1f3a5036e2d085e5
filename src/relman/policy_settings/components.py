"""The J-003 §4.3 components as plain data: the default of the `components` table.

A module of its own, with no imports, so that `relman.settings_core` gets the default without the
rest of the J-003 defaults (`relman.policy_settings.defaults` re-exports it).
"""

from __future__ import annotations

from typing import Any

Table = dict[str, Any]


def _component(description: str, scheme: str, tag_format: str, *paths: str) -> Table:
    return {"description": description, "scheme": scheme, "tag_format": tag_format,
            "paths": list(paths)}  # fmt: skip


# §4.3 Component Versioning (the `components` table of relman.toml)
COMPONENTS: dict[str, Table] = {
    "core": _component("Smart Dairy ERP core: the product release line (§4.2, §4.4)",
                       "semver", "v{version}"),
    "odoo": _component("Odoo Core (19.0 CE): follows Odoo versioning, e.g. 19.0.1",
                       "odoo", "odoo-v{version}", "odoo/**"),
    "farm": _component("Smart Dairy Farm Module", "semver", "farm-v{version}",
                       "addons/smart_dairy_farm/**"),
    "b2b": _component("B2B Portal Module", "semver", "b2b-v{version}",
                      "addons/smart_dairy_b2b/**"),
    "mobile": _component("Mobile Apps: platform-specific, e.g. 1.2.3 (build 456)",
                         "mobile", "mobile-v{version}", "mobile/**"),
    "iot": _component("IoT Platform", "semver", "iot-v{version}", "iot/**"),
    "schema": _component("Database Schema: migration-based, e.g. 2026.01.31.001",
                         "schema", "schema-v{version}", "migrations/**"),
}  # fmt: skip
