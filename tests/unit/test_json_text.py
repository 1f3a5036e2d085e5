"""`iter_json_chunks` writes exactly what `json.dumps(indent=2, ensure_ascii=False)` writes."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relman.services.json_text import CHUNK_SIZE, iter_json_chunks

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
keys = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=40)
        | st.lists(children, max_size=5).map(tuple)
        | st.dictionaries(keys, children, max_size=40)
    ),
    max_leaves=200,
)


def _text(obj: Any) -> str:
    return "".join(iter_json_chunks(obj))


@settings(max_examples=400, deadline=None)
@given(documents)
def test_same_text_as_json_dumps(obj: Any) -> None:
    assert _text(obj) == json.dumps(obj, indent=2, ensure_ascii=False)


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
        [math.nan, -math.inf, 1e300],
        {"é": 'naïve — §10.1 \u2028 \x00 "q" \\'},
        {"level": Level.HIGH, "kind": Kind.MD, Kind.MD: 1},
        {1: "one", 2.5: "x", False: "f", None: "n"},
        {"rows": [{"sha": f"{i:040x}", "tickets": [f"SD-{i}"]} for i in range(100)]},
        list(range(33)),
        {str(i): i for i in range(40)},
    ],
)
def test_same_text_for_edge_cases(obj: Any) -> None:
    assert _text(obj) == json.dumps(obj, indent=2, ensure_ascii=False)


def test_big_documents_come_in_bounded_chunks() -> None:
    doc = {"entries": [{"description": "x" * 50, "n": i} for i in range(20_000)]}
    chunks = list(iter_json_chunks(doc))
    assert len(chunks) > 10
    assert max(len(c) for c in chunks[:-1]) < 2 * CHUNK_SIZE
    assert "".join(chunks) == json.dumps(doc, indent=2, ensure_ascii=False)


def test_unserializable_values_fail_like_json() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        _text({"a": object()})
    with pytest.raises(TypeError, match="keys must be"):
        _text({(1, 2): "tuple key"})
