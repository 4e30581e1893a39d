"""A rule's direction (spec format version 2): inbound and outbound rules never merge,
version-1 files still load (every rule inbound), and the file says "outbound" only where
a rule is one."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import konvoy_portspec as k
from konvoy_portspec.analysis.diff import ADDED, REMOVED, diff
from konvoy_portspec.errors import SpecFormatError
from konvoy_portspec.io.schema_check import conforms, schema_problems
from konvoy_portspec.io.spec_json import dumps, loads, to_dict
from konvoy_portspec.model import INBOUND, OUTBOUND, SCHEMA_VERSION, Role, Rule, Spec

V1_FILE = {
    "schema_version": 1,
    "product": "konvoy",
    "release": "v9.1",
    "roles": [
        {
            "id": "control-plane",
            "title": "Server nodes",
            "ports": [
                {"port": 443, "end_port": 443, "protocol": "tcp", "component": "x", "notes": ""}
            ],
        }
    ],
}


def _spec(*rules: Rule) -> Spec:
    return Spec("v9.9", [Role("control-plane", "Server nodes", rules)])


def test_a_version_1_file_loads_as_inbound_and_is_written_as_version_2():
    spec = loads(json.dumps(V1_FILE))
    (rule,) = spec.roles["control-plane"].rules
    assert rule.direction == INBOUND and rule.inbound
    assert SCHEMA_VERSION == 2 and spec.schema_version == 2
    written = json.loads(dumps(spec))
    assert written["schema_version"] == 2
    assert "direction" not in written["roles"][0]["ports"][0]  # inbound is the default


def test_an_outbound_rule_round_trips_and_is_named_in_the_file():
    spec = _spec(Rule(443, 443, "tcp", "registry", "", (), OUTBOUND))
    data = to_dict(spec)
    assert data["roles"][0]["ports"][0]["direction"] == "outbound"
    assert conforms(data) and not schema_problems(data)
    assert loads(dumps(spec)) == spec


@pytest.mark.parametrize("value", ["in", "INBOUND", "", None, 1])
def test_an_unknown_direction_is_refused_by_both_checks(value):
    data = json.loads(json.dumps(V1_FILE))
    data["schema_version"] = 2
    data["roles"][0]["ports"][0]["direction"] = value
    assert not conforms(data)
    assert schema_problems(data)
    with pytest.raises(SpecFormatError):
        loads(json.dumps(data))


def test_inbound_and_outbound_on_one_port_are_two_rules_to_the_diff():
    inbound = Rule(443, 443, "tcp", "kube-apiserver")
    outbound = inbound.replace(direction=OUTBOUND)
    changes = diff(_spec(inbound), _spec(outbound)).changes
    assert sorted((c.kind, c.rule.direction) for c in changes) == [
        (ADDED, OUTBOUND),
        (REMOVED, INBOUND),
    ]
    assert not inbound.overlaps(outbound)


@given(
    port=st.integers(1, 65535),
    protocol=st.sampled_from(["tcp", "udp", "sctp"]),
    component=st.text(st.characters(codec="ascii", categories=("L", "N")), max_size=8),
)
def test_direction_never_merges(port, protocol, component):
    rule = Rule(port, port, protocol, component)
    both = _spec(rule, rule.replace(direction=OUTBOUND))
    assert len(both.roles["control-plane"].rules) == 2
    assert diff(both, both).changes == ()
    only_in = _spec(rule)
    assert [c.kind for c in diff(only_in, both).changes] == [ADDED]
    assert [c.kind for c in diff(both, only_in).changes] == [REMOVED]
    assert (
        k.apply(only_in, diff(only_in, both))
        .roles["control-plane"]
        .rules.count(rule.replace(direction=OUTBOUND))
        == 1
    )
