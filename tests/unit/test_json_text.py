"""The depth-limited JSON layout: the same data as ``json.dumps``, laid out by depth."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from konvoy_portspec.io.json_text import dumps

_json: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


@given(value=_json, depth=st.integers(0, 6))
def test_round_trips_at_every_depth(value: Any, depth: int) -> None:
    assert json.loads(dumps(value, depth)) == value


@given(value=_json)
def test_full_depth_is_json_dumps_indent_2(value: Any) -> None:
    assert dumps(value, 99) == json.dumps(value, indent=2, ensure_ascii=False)


def test_containers_below_the_depth_sit_on_one_line() -> None:
    doc = {"pages": [{"path": "a.md", "ports": [{"port": 22, "notes": "ssh, é"}]}]}
    assert dumps(doc, 4) == (
        "{\n"
        '  "pages": [\n'
        "    {\n"
        '      "path": "a.md",\n'
        '      "ports": [\n'
        '        {"port": 22, "notes": "ssh, é"}\n'
        "      ]\n"
        "    }\n"
        "  ]\n"
        "}"
    )
    assert dumps(doc, 0) == json.dumps(doc, ensure_ascii=False)
