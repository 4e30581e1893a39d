"""Specs with exactly one fault, each named by what it does and mapped to the one
validator invariant it breaks (see the package docstring)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from konvoy_portspec.io.spec_json import to_dict
from konvoy_portspec.model import Role, Rule, Spec
from konvoy_portspec.protocols import PORT_PROTOCOLS, PORTLESS_PROTOCOLS
from konvoy_portspec.testing.specs import (
    CONTROL_PLANE_ONLY,
    NOTES,
    ROLE_TITLES,
    WORKER_ROLES,
    is_nodeport_range,
    specs,
)

#: Every fault :func:`inject` knows, named by what it does to a valid spec, and the id of
#: the validator invariant it breaks (and no other). Written from the invariants'
#: definitions, not read from the validator: a property test holds the two together.
FAULTS: dict[str, str] = {
    "port-zero-or-negative": "port-out-of-range",
    "port-above-65535": "port-out-of-range",
    "range-ends-before-it-starts": "reversed-range",
    "range-with-one-end": "reversed-range",
    "port-on-a-portless-protocol": "unknown-protocol",
    "made-up-protocol": "unknown-protocol",
    "json-unknown-key": "schema",
    "json-missing-field": "schema",
    "json-wrong-type": "schema",
    "json-bad-value": "schema",
    "two-components-one-port": "port-conflict",
    "rule-listed-twice": "duplicate-rule",
    "component-on-other-ports-per-role": "component-ports-differ",
    "control-plane-component-on-worker": "role-policy",
    "nodeport-range-on-one-role-only": "cluster-range-differs",
    "nodeport-range-missing-on-a-role": "cluster-range-differs",
}

#: The fault names, in :data:`FAULTS` order.
FAULT_KINDS: tuple[str, ...] = tuple(FAULTS)

_FRESH = "fault-injected"
_MADE_UP_PROTOCOLS = ("quic", "http", "ospf", "l2tp", "tcp6")
_NODEPORTS = "Kubernetes NodePorts"


def _free_port(roles: Sequence[Role], protocol: str, start: int, avoid: Sequence[int] = ()) -> int:
    """The first port from ``start`` (wrapping) that no rule of ``roles`` covers."""
    port = start
    for _ in range(65535):
        if port not in avoid and not any(role.for_port(port, protocol) for role in roles):
            return port
        port = port % 65535 + 1
    raise ValueError("no free port")  # pragma: no cover - roles are small


def _insert(draw: st.DrawFn, role: Role, rule: Rule) -> Role:
    at = draw(st.integers(0, len(role.rules)))
    return Role(role.id, role.title, (*role.rules[:at], rule, *role.rules[at:]))


def _put(spec: Spec, role: Role) -> Spec:
    return spec.with_roles(role if r.id == role.id else r for r in spec.roles.ordered)


def _add_role(spec: Spec, role_id: str) -> Spec:
    """``spec`` with a new role that lists the NodePort ranges every role lists, and
    nothing else: valid by this module's own rules."""
    shared = tuple(r for r in spec.roles.ordered[0].rules if is_nodeport_range(r.component))
    title = ROLE_TITLES.get(role_id, (role_id,))[0]
    return spec.with_roles([*spec.roles.ordered, Role(role_id, title, shared)])


def _ensure_two_roles(spec: Spec) -> Spec:
    if len(spec.roles) >= 2:
        return spec
    first = spec.roles.ordered[0].id
    return _add_role(spec, next(r for r in ("bastion-hosts", "load-balancer") if r != first))


def _pick_role(draw: st.DrawFn, spec: Spec) -> Role:
    return draw(st.sampled_from(spec.roles.ordered))


def _add_rule(draw: st.DrawFn, spec: Spec, rule: Rule) -> Spec:
    return _put(spec, _insert(draw, _pick_role(draw, spec), rule))


def _port_zero_or_negative(draw: st.DrawFn, spec: Spec) -> Spec:
    low = draw(st.sampled_from((0, -1, -65535)))
    return _add_rule(draw, spec, Rule(low, draw(st.sampled_from((low, 80))), "tcp", _FRESH))


def _port_above_max(draw: st.DrawFn, spec: Spec) -> Spec:
    high = draw(st.sampled_from((65536, 70000, 2**31)))
    start = draw(st.sampled_from((high, 30000)))
    return _add_rule(draw, spec, Rule(start, high, "udp", _FRESH))


def _reversed_range(draw: st.DrawFn, spec: Spec) -> Spec:
    end = draw(st.integers(1, 65534))
    start = draw(st.integers(end + 1, 65535))
    return _add_rule(draw, spec, Rule(start, end, "tcp", _FRESH))


def _range_with_one_end(draw: st.DrawFn, spec: Spec) -> Spec:
    port = draw(st.integers(1, 65535))
    start, end = (port, None) if draw(st.booleans()) else (None, port)
    return _add_rule(draw, spec, Rule(start, end, "tcp", _FRESH))


def _port_on_portless_protocol(draw: st.DrawFn, spec: Spec) -> Spec:
    port = draw(st.integers(1, 65535))
    protocol = draw(st.sampled_from(PORTLESS_PROTOCOLS))
    return _add_rule(draw, spec, Rule(port, port, protocol, _FRESH))


def _made_up_protocol(draw: st.DrawFn, spec: Spec) -> Spec:
    protocol = draw(st.sampled_from(_MADE_UP_PROTOCOLS))
    if draw(st.booleans()):
        port = draw(st.integers(1, 65535))
        return _add_rule(draw, spec, Rule(port, port, protocol, _FRESH))
    return _add_rule(draw, spec, Rule(None, None, protocol, _FRESH))


def _two_components_one_port(draw: st.DrawFn, spec: Spec) -> Spec:
    candidates = [r for r in spec.roles.ordered if any(x.port is not None for x in r.rules)]
    if not candidates:
        role = _pick_role(draw, spec)
        role = _insert(draw, role, Rule(8080, 8080, "tcp", "fault-first"))
    else:
        role = draw(st.sampled_from(candidates))
    victim = draw(st.sampled_from([x for x in role.rules if x.port is not None]))
    assert victim.port is not None and victim.end_port is not None
    port = draw(st.integers(victim.port, victim.end_port))
    return _put(spec, _insert(draw, role, Rule(port, port, victim.protocol, _FRESH)))


def _rule_listed_twice(draw: st.DrawFn, spec: Spec) -> Spec:
    candidates = [r for r in spec.roles.ordered if r.rules]
    if not candidates:
        role = _pick_role(draw, spec)
        role = _insert(draw, role, Rule(8080, 8080, "tcp", _FRESH))
    else:
        role = draw(st.sampled_from(candidates))
    original = draw(st.sampled_from(role.rules))
    notes = draw(st.one_of(st.just(original.notes), NOTES))
    return _put(spec, _insert(draw, role, original.replace(notes=notes)))


def _component_on_other_ports(draw: st.DrawFn, spec: Spec) -> Spec:
    spec = _ensure_two_roles(spec)
    a, b = draw(st.permutations(spec.roles.ordered))[:2]
    protocol = draw(st.sampled_from(PORT_PROTOCOLS))
    pa = _free_port([a], protocol, draw(st.integers(1, 65535)))
    pb = _free_port([b], protocol, draw(st.integers(1, 65535)), avoid=(pa,))
    name = "fault-agent"
    spec = _put(spec, _insert(draw, a, Rule(pa, pa, protocol, name)))
    return _put(spec, _insert(draw, spec.roles[b.id], Rule(pb, pb, protocol, name)))


def _control_plane_component_on_worker(draw: st.DrawFn, spec: Spec) -> Spec:
    workers = [r for r in spec.roles.ordered if r.id in WORKER_ROLES]
    if not workers:
        spec = _add_role(spec, draw(st.sampled_from(WORKER_ROLES)))
        workers = [spec.roles.ordered[-1]]
    role = draw(st.sampled_from(workers))
    name = draw(st.sampled_from(CONTROL_PLANE_ONLY)) + " (" + _FRESH + ")"
    port = _free_port([role], "tcp", draw(st.integers(1, 65535)))
    return _put(spec, _insert(draw, role, Rule(port, port, "tcp", name)))


def _nodeport_range_on_one_role(draw: st.DrawFn, spec: Spec) -> Spec:
    spec = _ensure_two_roles(spec)
    role = _pick_role(draw, spec)
    start = _free_port([role], "tcp", draw(st.integers(1, 65535)))
    end = start
    while end < 65535 and end - start < 20 and not role.for_port(end + 1, "tcp"):
        end += 1
    return _put(spec, _insert(draw, role, Rule(start, end, "tcp", f"Extra NodePorts ({_FRESH})")))


def _nodeport_range_missing_on_a_role(draw: st.DrawFn, spec: Spec) -> Spec:
    spec = _ensure_two_roles(spec)
    having = [r for r in spec.roles.ordered if r.for_component(_NODEPORTS)]
    if len(having) >= 2:
        role = draw(st.sampled_from(having))
        kept = tuple(r for r in role.rules if r.component.casefold() != _NODEPORTS.casefold())
        return _put(spec, Role(role.id, role.title, kept))
    # No NodePort range to take away: list one on every role but one.
    skipped = _pick_role(draw, spec)
    port = _free_port(spec.roles.ordered, "tcp", draw(st.integers(1, 65535)))
    for role in spec.roles.ordered:
        if role.id != skipped.id:
            spec = _put(spec, _insert(draw, role, Rule(port, port, "tcp", _NODEPORTS)))
    return spec


def _json_fault(kind: str) -> Callable[[st.DrawFn, Spec], dict[str, Any]]:
    """A fault of the spec JSON: the data of a valid spec with one thing the schema
    (or, for two roles with one id, the reader) refuses."""

    def fault(draw: st.DrawFn, spec: Spec) -> dict[str, Any]:
        data = to_dict(spec)
        roles = data["roles"]
        all_rules = [rule for role in roles for rule in role["ports"]]
        options = list(_JSON_EDITS[kind])
        if not all_rules:
            options = [o for o in options if not o.startswith("rule.")]
        if len(roles) < 2:
            options = [o for o in options if o != "role.same-id"]
        edit = draw(st.sampled_from(options))
        role = draw(st.sampled_from(roles)) if edit.startswith("role.") else {}
        rule = draw(st.sampled_from(all_rules)) if edit.startswith("rule.") else {}
        if edit == "top.extra-key":
            data["generated_at"] = "2024-01-01"
        elif edit == "role.extra-key":
            role["colour"] = "red"
        elif edit == "rule.extra-key":
            rule["colour"] = "red"  # "direction" became a field in version 2
        elif edit == "top.no-release":
            del data["release"]
        elif edit == "top.no-roles":
            del data["roles"]
        elif edit == "role.no-title":
            del role["title"]
        elif edit == "rule.no-end-port":
            del rule["end_port"]
        elif edit == "top.release-number":
            data["release"] = 2.1
        elif edit == "role.title-number":
            role["title"] = 7
        elif edit == "rule.port-string":
            rule["port"] = str(rule["port"])
        elif edit == "rule.notes-null":
            rule["notes"] = None
        elif edit == "top.version-99":
            data["schema_version"] = 99  # no such format version
        elif edit == "role.id-with-spaces":
            role["id"] = "Worker Nodes"
        elif edit == "role.same-id":
            roles[1]["id"] = roles[0]["id"]
        elif edit == "rule.port-70000":
            rule["port"] = rule["end_port"] = 70000
        return data

    return fault


_JSON_EDITS: dict[str, tuple[str, ...]] = {
    "json-unknown-key": ("top.extra-key", "role.extra-key", "rule.extra-key"),
    "json-missing-field": ("top.no-release", "top.no-roles", "role.no-title", "rule.no-end-port"),
    "json-wrong-type": (
        "top.release-number",
        "role.title-number",
        "rule.port-string",
        "rule.notes-null",
    ),
    "json-bad-value": ("top.version-99", "role.id-with-spaces", "role.same-id", "rule.port-70000"),
}

_INJECTORS: dict[str, Callable[[st.DrawFn, Spec], Any]] = {
    "port-zero-or-negative": _port_zero_or_negative,
    "port-above-65535": _port_above_max,
    "range-ends-before-it-starts": _reversed_range,
    "range-with-one-end": _range_with_one_end,
    "port-on-a-portless-protocol": _port_on_portless_protocol,
    "made-up-protocol": _made_up_protocol,
    **{kind: _json_fault(kind) for kind in _JSON_EDITS},
    "two-components-one-port": _two_components_one_port,
    "rule-listed-twice": _rule_listed_twice,
    "component-on-other-ports-per-role": _component_on_other_ports,
    "control-plane-component-on-worker": _control_plane_component_on_worker,
    "nodeport-range-on-one-role-only": _nodeport_range_on_one_role,
    "nodeport-range-missing-on-a-role": _nodeport_range_missing_on_a_role,
}


@st.composite
def inject(draw: st.DrawFn, spec: Spec, fault: str) -> tuple[Spec | dict[str, Any], str]:
    """``spec`` with one fault of kind ``fault`` (a name in :data:`FAULTS`), and the
    invariant that fault breaks. A Spec, or spec JSON data for the ``json-*`` faults."""
    if fault not in _INJECTORS:
        raise ValueError(f"unknown fault {fault!r}; known: {', '.join(_INJECTORS)}")
    return _INJECTORS[fault](draw, spec), FAULTS[fault]


@st.composite
def faults(
    draw: st.DrawFn,
    kinds: Sequence[str] = FAULT_KINDS,
    base: st.SearchStrategy[Spec] | None = None,
) -> tuple[Spec | dict[str, Any], str]:
    """A valid spec (from ``base``, default :func:`specs`) with one injected fault of a
    kind drawn from ``kinds``: ``(spec_or_data, invariant_id)``."""
    spec = draw(base if base is not None else specs())
    kind = draw(st.sampled_from(tuple(kinds)))
    return draw(inject(spec, kind))


def invalid_specs(
    invariant: str | None = None,
) -> st.SearchStrategy[tuple[Spec | dict[str, Any], str]]:
    """Faulty specs that break ``invariant`` (an invariant id), or any invariant when
    it is None: ``(spec_or_data, invariant_id)``."""
    if invariant is None:
        return faults()
    kinds = [kind for kind, broken in FAULTS.items() if broken == invariant]
    if not kinds:
        known = ", ".join(dict.fromkeys(FAULTS.values()))
        raise ValueError(f"unknown invariant {invariant!r}; known: {known}")
    return faults(kinds)
