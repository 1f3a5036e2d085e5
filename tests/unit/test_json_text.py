"""`dump_json_text` writes what `json.dumps(indent=2, ensure_ascii=False)` writes for a notes
context; `load_json_text` reads strictly."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relman.services.json_text import JSONDecodeError, dump_json_text, load_json_text

# what a notes context holds: no floats (their shortest form differs, see the module docstring)
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text()
keys = st.text() | st.integers(-(2**63), 2**63 - 1) | st.booleans() | st.none()
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=40)
        | st.lists(children, max_size=5).map(tuple)
        | st.dictionaries(keys, children, max_size=40)
    ),
    max_leaves=200,
)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_same_text_as_json_dumps(obj: Any) -> None:
    assert dump_json_text(obj) == json.dumps(obj, indent=2, ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(documents)
def test_load_reads_back_what_dump_wrote(obj: Any) -> None:
    assert load_json_text(dump_json_text(obj)) == json.loads(json.dumps(obj))


class Level(enum.IntEnum):
    HIGH = 3


class Kind(enum.StrEnum):
    MD = "md"


@pytest.mark.parametrize(
    "obj",
    [
        {},
        [],
        {"a": []},
        {"a": {}},
        {"\u00e9": 'na\u00efve \u2014 \u00a710.1 \u2028 \x00 \x1f "q" \\ / \t\n'},
        {"level": Level.HIGH, "kind": Kind.MD},
        {1: "one", False: "f", None: "n", "1": "again"},
        {"rows": [{"sha": f"{i:040x}", "tickets": [f"SD-{i}"]} for i in range(100)]},
        list(range(33)),
    ],
)
def test_same_text_for_edge_cases(obj: Any) -> None:
    assert dump_json_text(obj) == json.dumps(obj, indent=2, ensure_ascii=False)


def test_unserializable_values_fail_like_json() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        dump_json_text({"a": object()})


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"a": "\\ud800"}', 1, 8),  # a lone surrogate: json.loads would accept it
        ('{"a": 1,\n "b": }', 2, 7),
        ('{"a": NaN}', 1, 7),
    ],
)
def test_load_refuses_what_cannot_be_written_back(text: str, line: int, column: int) -> None:
    with pytest.raises(JSONDecodeError) as caught:
        load_json_text(text)
    assert isinstance(caught.value, json.JSONDecodeError)
    assert (caught.value.lineno, caught.value.colno) == (line, column)
