"""The release notes context schema: what ``--format json`` prints and ``--from-context`` reads.

The schema mirrors :func:`relman.domain.notes.compute_notes_context` key for key and is
documented in ``docs/release-notes.md``. :func:`validate_notes_context` names the first missing
or mistyped key (``features[0].entries[1].short_sha``); keys it does not know are kept, so a
custom template can use keys a person added to the file.
"""

from __future__ import annotations

from typing import Any

from relman.errors import InvalidInputError

SCHEMA_VERSION = 1

_STR = (str,)
_OPT_STR = (str, type(None))
_REF = {"sha": _STR, "short_sha": _STR, "tickets": [_STR]}
_SCHEMA: dict[str, Any] = {
    "schema_version": (int,),
    "title": _STR,
    "product": _STR,
    "component": _OPT_STR,
    "version": _STR,
    "previous_version": _OPT_STR,
    "release_type": _STR,
    "release_date": _STR,
    "range": {"from": _OPT_STR, "to": _STR, "commits": (int,)},
    "summary": _OPT_STR,
    "features": [
        {
            "scope": _OPT_STR,
            "title": _STR,
            "entries": [{"description": _STR, **_REF, "details": _OPT_STR, "breaking": (bool,)}],
        }
    ],
    "enhancements": [{"area": _STR, "scope": _OPT_STR, "description": _STR, **_REF}],
    "bug_fixes": [
        {"ticket": _STR, "description": _STR, "severity": _STR, "scope": _OPT_STR, **_REF}
    ],
    "security_fixes": [
        {"ticket": _STR, "description": _STR, "severity": _STR, "scope": _OPT_STR, **_REF}
    ],
    "known_issues": [{"issue": _STR, "workaround": _OPT_STR, "planned_fix": _OPT_STR, **_REF}],
    "technical": {
        "migrations": [_STR],
        "breaking_changes": [{"description": _STR, "scope": _OPT_STR, **_REF}],
        "deprecations": [{"description": _STR, **_REF}],
        "config_changes": [{"path": _STR, "change": _STR, "old_path": _OPT_STR}],
    },
    "dependencies": [{"component": _STR, "previous": _OPT_STR, "current": _OPT_STR}],
    "upgrade_instructions": [_STR],
    "rollback_instructions": _STR,
    "support": {"url": _STR, "contact": _STR},
    "approvals": [{"role": _STR, "name": _STR, "date": _STR}],
}
_JSON_NAMES = {str: "a string", int: "an integer", bool: "a boolean", type(None): "null"}


def validate_notes_context(data: object) -> dict[str, Any]:
    """Check a context read back from JSON; InvalidInputError names the first bad key.

    Keys the schema does not know are kept (custom templates may use them).
    """
    _check(data, _SCHEMA, "")
    assert isinstance(data, dict)
    if data["schema_version"] != SCHEMA_VERSION:
        raise InvalidInputError(
            f"unsupported release notes context schema_version {data['schema_version']} "
            f"(this relman reads {SCHEMA_VERSION})",
            details={"key": "schema_version"},
        )
    return data


def _check(value: object, spec: Any, key: str) -> None:
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise _bad(key, "an object", value)
        for name, sub in spec.items():
            path = f"{key}.{name}" if key else name
            if name not in value:
                raise InvalidInputError(
                    f"release notes context: missing key {path!r}", details={"key": path}
                )
            _check(value[name], sub, path)
    elif isinstance(spec, list):
        if not isinstance(value, list):
            raise _bad(key, "an array", value)
        for i, item in enumerate(value):
            _check(item, spec[0], f"{key}[{i}]")
    elif (isinstance(value, bool) and bool not in spec) or not isinstance(value, spec):
        raise _bad(key, " or ".join(_JSON_NAMES[t] for t in spec), value)


def _bad(key: str, expected: str, value: object) -> InvalidInputError:
    got = "null" if value is None else type(value).__name__
    return InvalidInputError(
        f"release notes context: key {key or '(root)'!r} must be {expected}, got {got}",
        details={"key": key},
    )
