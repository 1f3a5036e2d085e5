"""Reading evidence content: XML and JSON decoded safely, errors naming the file.

Shared by the evidence parsers (:mod:`relman.domain.evidence`, :mod:`relman.domain.evidence_scan`).
Content is taken as received (bytes or str). Anything that is not what it claims raises
InvalidInputError naming the file (``where``) and what was expected. Pure: no file access.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from relman.errors import InvalidInputError

MAX_LISTED = 50  # failing cases / findings kept in a summary for display

Data = bytes | str


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_xml(data: Data, *, source: str, expected: str) -> ET.Element:
    head = data[:4096].lower() if isinstance(data, str) else data[:4096].lower().decode("latin-1")
    if "<!doctype" in head or "<!entity" in head:
        raise InvalidInputError(
            f"not {expected}: document type declarations are not accepted", where=source
        )
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise InvalidInputError(
            f"not {expected}: malformed XML ({exc})",
            where=f"{source}:{line}:{column}",
        ) from None


def int_attr(el: ET.Element, name: str, *, source: str, expected: str) -> int:
    value = el.get(name, "0")
    try:
        number = int(float(value))
    except ValueError:
        raise InvalidInputError(
            f"not {expected}: attribute {name}='{value}' of <{local_name(el.tag)}> is not a number",
            where=source,
        ) from None
    if number < 0:
        raise InvalidInputError(f"not {expected}: negative {name}", where=source)
    return number


def float_or_none(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def as_text(data: Data) -> str:
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


def parse_json(data: Data, *, source: str, expected: str) -> Any:
    try:
        text = data if isinstance(data, str) else data.decode("utf-8-sig")
        return json.loads(text)
    except UnicodeDecodeError:
        raise InvalidInputError(f"not {expected}: not UTF-8 text", where=source) from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"not {expected}: malformed JSON ({exc.msg})",
            where=f"{source}:{exc.lineno}:{exc.colno}",
        ) from None
