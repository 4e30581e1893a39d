"""Spec JSON I/O: the canonical dump, loading errors, and the fast schema check that
must never accept what the JSON Schema rejects."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import konvoy_portspec as k
from konvoy_portspec.errors import OutputError, SpecFormatError
from konvoy_portspec.io import spec_json as specio
from konvoy_portspec.io.schema_check import conforms, schema_problems
from konvoy_portspec.model import Role, RoleMap, Spec
from konvoy_portspec.testing import specs
from tests.support import RELEASES

BASE = specio.to_dict(k.load("v2.1"))


def _mutations():
    """(description, mutate(data)) pairs: each breaks or stretches one schema rule."""

    def setter(path, value):
        def mutate(data):
            target = data
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
            return data

        return mutate

    def deleter(path):
        def mutate(data):
            target = data
            for step in path[:-1]:
                target = target[step]
            del target[path[-1]]
            return data

        return mutate

    rule = ["roles", 0, "ports", 0]
    return [
        ("port 0", setter([*rule, "port"], 0)),
        ("port 65536", setter([*rule, "port"], 65536)),
        ("port as string", setter([*rule, "port"], "22")),
        ("port as bool", setter([*rule, "port"], True)),
        ("port as float", setter([*rule, "port"], 22.0)),
        ("end_port null with a port", setter([*rule, "end_port"], None)),
        (
            "port-less rule",
            lambda d: setter([*rule, "end_port"], None)(setter([*rule, "port"], None)(d)),
        ),
        ("protocol upper case", setter([*rule, "protocol"], "TCP")),
        ("protocol empty", setter([*rule, "protocol"], "")),
        ("notes null", setter([*rule, "notes"], None)),
        ("component missing", deleter([*rule, "component"])),
        ("unknown rule key", setter([*rule, "colour"], "red")),
        ("extra with a string", setter([*rule, "extra"], {"direction": "Inbound"})),
        ("extra with a number", setter([*rule, "extra"], {"direction": 1})),
        ("extra not an object", setter([*rule, "extra"], ["x"])),
        ("role id with capitals", setter(["roles", 0, "id"], "Control-Plane")),
        ("role without ports", deleter(["roles", 0, "ports"])),
        ("role extra key", setter(["roles", 0, "colour"], "red")),
        ("roles not a list", setter(["roles"], {})),
        ("no roles", setter(["roles"], [])),
        ("schema_version 2", setter(["schema_version"], 2)),
        ("schema_version true", setter(["schema_version"], True)),
        ("empty release", setter(["release"], "")),
        ("source sha too short", setter(["source", "sha256"], "abc")),
        ("source without file", deleter(["source", "file"])),
        ("no source", deleter(["source"])),
        ("top-level extra key", setter(["generated"], "today")),
        ("release missing", deleter(["release"])),
    ]


@pytest.mark.parametrize(("name", "mutate"), _mutations(), ids=[m[0] for m in _mutations()])
def test_fast_check_agrees_with_jsonschema(name, mutate):
    data = mutate(copy.deepcopy(BASE))
    if name == "port as float":
        # JSON Schema counts 22.0 as an integer; the fast check is stricter and hands
        # such files to jsonschema, which is allowed (the other way round is not).
        assert not conforms(data) and not schema_problems(data)
        return
    assert conforms(data) == (not schema_problems(data)), name


@pytest.mark.parametrize("release", RELEASES)
def test_bundled_files_pass_the_fast_check(release):
    assert conforms(specio.to_dict(k.load(release)))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.sampled_from(["port", "end_port", "protocol", "component", "notes", "extra", "new"]),
    json_values,
)
def test_fast_check_never_accepts_what_the_schema_rejects(field, value):
    data = copy.deepcopy(BASE)
    data["roles"][1]["ports"][2][field] = value
    if conforms(data):
        assert schema_problems(data) == []


def test_dump_is_canonical_and_loads_back():
    text = k.dumps(k.load("v1.8"))
    assert text == specio.dumps(specio.loads(text))
    assert text.endswith("}\n") and "\t" not in text
    assert list(json.loads(text)) == ["schema_version", "product", "release", "source", "roles"]


def _whole(spec):
    """The canonical text as ``json`` writes the whole document at once."""
    return json.dumps(specio.to_dict(spec), indent=2, ensure_ascii=False) + "\n"


@given(specs(), st.integers(1, 5))
def test_the_dump_in_pieces_is_the_whole_dump(spec, piece):
    old = specio.PIECE_RULES
    specio.PIECE_RULES = piece
    try:
        pieces = list(specio.iter_dumps(spec))
    finally:
        specio.PIECE_RULES = old
    assert "".join(pieces) == _whole(spec)
    # Really in pieces: none holds more than ``piece`` rules (one "{" line each).
    assert all(p.count("\n        {") <= piece for p in pieces)


@pytest.mark.parametrize(
    "roles",
    [(), (Role("worker", "Worker nodes", ()),), (Role("a", "A", ()), Role("b", 'B "x"', ()))],
    ids=["no roles", "an empty role", "two empty roles"],
)
def test_the_dump_in_pieces_of_specs_without_rules(roles):
    spec = Spec(product="konvoy", release="v9.9", roles=RoleMap(roles))
    assert specio.dumps(spec) == _whole(spec)
    assert json.loads(specio.dumps(spec))["roles"] == [
        {"id": r.id, "title": r.title, "ports": []} for r in roles
    ]


def test_bad_json_names_file_and_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "release": "v1",\n  oops\n}\n')
    with pytest.raises(SpecFormatError) as info:
        specio.load_file(path)
    assert (info.value.path, info.value.line) == (str(path), 3)


def test_schema_violation_is_named(tmp_path):
    data = copy.deepcopy(BASE)
    data["roles"][0]["ports"][0]["port"] = 70000
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(
        SpecFormatError, match=r"roles\[0\]\.ports\[0\]\.port: port 70000 is out of range 1-65535"
    ):
        specio.load_file(path)


def test_schema_violation_names_its_line(tmp_path):
    data = copy.deepcopy(BASE)
    data["roles"][0]["ports"][0]["end_port"] = 70000
    text = json.dumps(data, indent=2)
    path = tmp_path / "bad.json"
    path.write_text(text)
    expected_line = text.split("\n").index('          "end_port": 70000,') + 1
    with pytest.raises(SpecFormatError) as info:
        specio.load_file(path)
    assert info.value.line == expected_line
    assert "end_port 70000 is out of range 1-65535" in str(info.value)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("release",), "v9.9\ntouch /tmp/x #"),
        (("product",), "konvoy\n"),
        (("product",), ""),
        (("roles", 0, "id"), "worker\n"),
        (("roles", 0, "title"), "Worker\x1b[31m nodes"),
        (("roles", 0, "ports", 0, "protocol"), "tcp\n"),
        (("roles", 0, "ports", 0, "component"), "kubelet\n; touch /tmp/x"),
        (("roles", 0, "ports", 0, "notes"), "a\x01b"),
        (("roles", 0, "ports", 0, "notes"), "lone \ud800 surrogate"),
    ],
)
def test_one_line_fields_refuse_newlines_and_control_characters(tmp_path, where, value):
    data = copy.deepcopy(BASE)
    target = data
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    assert not conforms(data)
    assert schema_problems(data), "the schema itself must refuse it too"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SpecFormatError, match="not a valid port spec"):
        specio.load_file(path)


def test_write_atomic_replaces_whole_files(tmp_path):
    target = tmp_path / "out.json"
    specio.write_atomic(target, "one\n")
    specio.write_atomic(target, "two\n")
    assert target.read_text() == "two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_write_atomic_writes_pieces_and_keeps_the_old_file_when_one_fails(tmp_path):
    target = tmp_path / "out.json"
    specio.write_atomic(target, iter(["one ", "piece ", "at a time\n"]))
    assert target.read_text() == "one piece at a time\n"

    def pieces():
        yield "a first piece that is written\n"
        yield "then a lone surrogate \ud800\n"

    with pytest.raises(OutputError, match="not encodable"):
        specio.write_atomic(target, pieces())
    assert target.read_text() == "one piece at a time\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
