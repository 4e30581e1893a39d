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


_json_with_floats: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


@given(value=_json_with_floats)
def test_a_value_at_depth_0_is_what_the_json_encoder_writes(value: Any) -> None:
    # The kept C encoder must write what json.JSONEncoder(ensure_ascii=False) writes.
    assert dumps(value, 0) == json.JSONEncoder(ensure_ascii=False).encode(value)


def test_values_json_cannot_write_are_refused_as_json_refuses_them() -> None:
    import pytest

    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"a": {1, 2}}, 0)


def test_without_the_c_encoder_or_with_another_signature_the_json_encoder_is_used(
    monkeypatch,
) -> None:
    import json.encoder

    from konvoy_portspec.io.json_text import _compact_encoder

    def other_signature(*args: Any) -> Any:
        raise TypeError("c_make_encoder() takes 10 arguments")

    value = {"port": 22, "notes": "ssh, é"}
    for replacement in (None, other_signature):
        monkeypatch.setattr(json.encoder, "c_make_encoder", replacement)
        encode = _compact_encoder()
        monkeypatch.undo()  # the json module itself then writes with its own
        assert encode(value) == '{"port": 22, "notes": "ssh, é"}'
        assert encode.__qualname__ == "JSONEncoder.encode"
