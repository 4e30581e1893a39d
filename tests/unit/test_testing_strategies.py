"""The strategies in ``konvoy_portspec.testing`` draw what they promise: valid,
normalized, role-consistent specs that still reach the awkward corners, and faults of
the requested kind."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from konvoy_portspec.analysis.policy import default_policy
from konvoy_portspec.analysis.validation import INVARIANTS, validate, validate_data
from konvoy_portspec.io.spec_json import to_dict
from konvoy_portspec.model import Role, Rule, Spec
from konvoy_portspec.protocols import PORT_PROTOCOLS, PORTLESS_PROTOCOLS
from konvoy_portspec.testing import (
    FAULT_KINDS,
    FAULTS,
    ROLE_TITLES,
    as_cell_text,
    faults,
    inject,
    invalid_specs,
    roles,
    rules,
    specs,
    texts,
)


def _normalized(text: str) -> bool:
    return text == " ".join(text.split())


@given(specs())
def test_specs_are_normalized_and_keyed_uniquely(spec: Spec) -> None:
    assert 1 <= len(spec.roles) <= 4
    for role in spec.roles.ordered:
        assert role.title in ROLE_TITLES[role.id]
        keys = [rule.key for rule in role.rules]
        assert len(keys) == len(set(keys)), "one rule per (protocol, port, end port)"
        for rule in role.rules:
            assert _normalized(rule.component) and _normalized(rule.notes)
            assert rule.extra == tuple(sorted(rule.extra))


@given(rules())
def test_rules_are_valid(rule: Rule) -> None:
    if rule.port is None:
        assert rule.end_port is None
        assert rule.protocol in PORT_PROTOCOLS + PORTLESS_PROTOCOLS
    else:
        assert rule.end_port is not None and 1 <= rule.port <= rule.end_port <= 65535
        assert rule.protocol in PORT_PROTOCOLS


@given(roles("worker"))
def test_roles_keep_forbidden_components_off_workers(role: Role) -> None:
    assert role.id == "worker"
    policy = default_policy()
    assert all(
        policy.forbidden_on("worker", r.component) is None for r in role.rules if r.component
    )


@given(texts())
def test_texts_are_normalized(text: str) -> None:
    assert _normalized(text)


CORNERS: dict[str, Any] = {
    "script": lambda s: any("<script>" in r.notes + r.component for _, r in s.rules()),
    "pipe": lambda s: any("|" in r.component + r.notes for _, r in s.rules()),
    "backtick": lambda s: any("`" in r.component + r.notes for _, r in s.rules()),
    "rest-role": lambda s: any(":ref:" in r.component + r.notes for _, r in s.rules()),
    "emphasis": lambda s: any("*" in r.component + r.notes for _, r in s.rules()),
    "underscore": lambda s: any("_" in r.component + r.notes for _, r in s.rules()),
    "unicode": lambda s: any(not (r.component + r.notes).isascii() for _, r in s.rules()),
    "portless": lambda s: any(r.port is None for _, r in s.rules()),
    "range": lambda s: any(r.is_range for _, r in s.rules()),
    "nodeports": lambda s: (
        len(s.roles) >= 2 and all(r.for_component("Kubernetes NodePorts") for r in s.roles.ordered)
    ),
    "three-roles": lambda s: len(s.roles) >= 3,
    # a component on two roles with different notes: diffs of such specs see "changed"
    "shared-component-other-notes": lambda s: any(
        len({rid for rid, _ in s.for_component(c)}) >= 2
        and len({r.notes for _, r in s.for_component(c)}) >= 2
        for c in s.components()
    ),
    "etcd-on-control-plane": lambda s: (
        "worker" in s.roles
        and "control-plane" in s.roles
        and bool(s.roles["control-plane"].for_component("etcd"))
    ),
}


def test_specs_reach_the_awkward_corners() -> None:
    """One pass of plain generation (no shrinking) must hit every corner at least once."""
    hits: Counter[str] = Counter()

    @settings(max_examples=200, database=None, derandomize=True, phases=[Phase.generate])
    @given(specs())
    def probe(spec: Spec) -> None:
        assert validate(spec) == []
        hits.update(name for name, wanted in CORNERS.items() if wanted(spec))

    probe()
    assert set(hits) == set(CORNERS), f"never drawn: {sorted(set(CORNERS) - set(hits))}"


@pytest.mark.parametrize("fault", FAULT_KINDS)
@given(data=st.data())
def test_inject_changes_the_spec(fault: str, data: st.DataObject) -> None:
    """Every fault alters the spec it is given; JSON faults (and only they) hand back
    data, since a Spec value cannot break the schema."""
    spec = data.draw(specs(max_components=3))
    faulty, invariant = data.draw(inject(spec, fault))
    assert isinstance(faulty, dict) == fault.startswith("json-")
    assert isinstance(faulty, dict) == (invariant == "schema")
    assert faulty != (to_dict(spec) if isinstance(faulty, dict) else spec)


@given(invalid_specs("port-conflict"))
def test_invalid_specs_of_one_kind(fault: tuple[object, str]) -> None:
    faulty, invariant = fault
    assert invariant == "port-conflict"
    assert isinstance(faulty, Spec)
    assert "port-conflict" in {v.invariant for v in validate(faulty)}


def test_faults_cover_every_invariant_and_mix_them() -> None:
    """Between them the faults break every invariant the validator knows (the two lists
    are written independently), and one run of ``faults()`` mixes many invariants rather
    than sticking to one."""
    assert set(FAULTS.values()) == set(INVARIANTS)
    seen: Counter[str] = Counter()

    @settings(max_examples=100, database=None, derandomize=True, phases=[Phase.generate])
    @given(faults())
    def collect(fault: tuple[object, str]) -> None:
        faulty, invariant = fault
        found = validate_data(faulty)[1] if isinstance(faulty, dict) else validate(faulty)  # type: ignore[arg-type]
        assert invariant in {v.invariant for v in found}
        seen[invariant] += 1

    collect()
    assert len(seen) >= len(INVARIANTS) // 2, seen


def test_inject_rejects_unknown_faults() -> None:
    with pytest.raises(ValueError, match="unknown fault 'nope'"):
        find(st.data(), lambda d: bool(d.draw(inject(Spec("v1.0"), "nope"))))
    with pytest.raises(ValueError, match="unknown invariant 'nope'"):
        invalid_specs("nope")


def test_as_cell_text() -> None:
    assert as_cell_text("  a\u00a0 b\n\tc ") == "a b c"
