"""Role consistency: what must hold in a port spec beyond its JSON Schema.

A docs page can be well-formed and still wrong: a port listed twice, two components on
one port, kubelet on another port on workers than on the control plane, etcd in the
worker table, a NodePort range that differs between roles. ``validate`` finds these;
``portspec validate`` runs it over bundled releases, spec files and docs pages.

Every invariant has a stable id (used in output, in ``--format json``, and in policy
exceptions) and a default severity. Only errors make ``portspec validate`` exit 1.

========================== ======== ====================================================
id                         severity what must hold
========================== ======== ====================================================
``port-out-of-range``      error    every port and end port is within 1..65535
``reversed-range``         error    a range starts at or below its end (port <= end_port)
                                    and has both ends or neither
``unknown-protocol``       error    port rules use tcp, udp or sctp; port-less rules use
                                    those or icmp, icmpv6, ipip, esp, ah, gre, vrrp,
                                    igmp, any
``schema``                 error    a spec JSON file follows spec/schema.json (only for
                                    files read as JSON: a Spec value cannot break it)
``port-conflict``          error    within a role, no two rules of different components
                                    claim the same protocol and port (overlapping ranges
                                    count)
``duplicate-rule``         warning  within a role, no rule is listed twice (same
                                    protocol, ports, component and extra columns; notes
                                    may differ)
``component-ports-differ`` error    a component listed in several roles opens the same
                                    ports (protocol, port, end port) in each, unless a
                                    policy exception allows it for that component
``role-policy``            error    components the policy forbids on a role (etcd,
                                    kube-apiserver, kube-scheduler,
                                    kube-controller-manager on workers) are not there
``cluster-range-differs``  error    cluster-wide ranges (NodePorts: a component matching
                                    the policy's pattern or list) are the same on every
                                    role the policy names
========================== ======== ====================================================

What the role policy forbids and which ranges are cluster-wide is data, not code:
:mod:`konvoy_portspec.analysis.policy` reads it (``spec/policy.json``, or ``--policy
FILE``), with severity overrides and documented exceptions. This module holds the
invariants and the checks.

jsonschema is imported only for spec JSON data that fails the fast schema check (and by
the policy module for a policy file given with ``--policy``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from konvoy_portspec.analysis.policy import Policy, component_key, default_policy
from konvoy_portspec.io.schema_check import conforms, schema_problems
from konvoy_portspec.io.spec_json import from_dict
from konvoy_portspec.model import MAX_PORT, MIN_PORT, Role, Rule, Spec
from konvoy_portspec.protocols import BY_NAME, PORT_PROTOCOLS, PORTLESS_PROTOCOLS

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True, slots=True)
class Invariant:
    id: str
    severity: str
    summary: str


#: Every invariant, in the order the checks run; ids are stable (they appear in output,
#: JSON reports and policy files).
INVARIANTS: dict[str, Invariant] = {
    inv.id: inv
    for inv in (
        Invariant("port-out-of-range", ERROR, "ports are within 1..65535"),
        Invariant("reversed-range", ERROR, "a range starts at or below its end"),
        Invariant("unknown-protocol", ERROR, "port rules use tcp/udp/sctp"),
        Invariant("schema", ERROR, "the spec file follows spec/schema.json"),
        Invariant("port-conflict", ERROR, "no two components claim one port in a role"),
        Invariant("duplicate-rule", WARNING, "no rule is listed twice in a role"),
        Invariant("component-ports-differ", ERROR, "a component opens the same ports on each role"),
        Invariant("role-policy", ERROR, "components stay off the roles the policy forbids"),
        Invariant("cluster-range-differs", ERROR, "cluster-wide ranges are the same on each role"),
    )
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant: where (role, rule) and why, in words."""

    invariant: str
    severity: str
    role: str | None
    rule: Rule | None
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        parts = [p for p in (self.role, str(self.rule) if self.rule else None) if p]
        where = "".join(f"{p}: " for p in parts)
        return f"{where}{self.severity} [{self.invariant}] {self.message}"


def _rule_checks(role: Role) -> Iterator[tuple[str, Rule, str]]:
    for rule in role.rules:
        for value in dict.fromkeys((rule.port, rule.end_port)):
            if value is not None and not MIN_PORT <= value <= MAX_PORT:
                yield "port-out-of-range", rule, f"port {value} is outside {MIN_PORT}-{MAX_PORT}"
        if (rule.port is None) != (rule.end_port is None):
            yield (
                "reversed-range",
                rule,
                f"range has one end only (port {rule.port}, end port {rule.end_port})",
            )
        elif rule.port is not None and rule.end_port is not None and rule.port > rule.end_port:
            yield "reversed-range", rule, f"range {rule.port}-{rule.end_port} ends before it starts"
        if rule.port is not None or rule.end_port is not None:
            if rule.protocol not in PORT_PROTOCOLS:
                known = (
                    " (it carries no port numbers)" if rule.protocol in PORTLESS_PROTOCOLS else ""
                )
                yield (
                    "unknown-protocol",
                    rule,
                    f"protocol {rule.protocol!r}{known} on a port rule; "
                    f"port rules use {', '.join(PORT_PROTOCOLS)}",
                )
        elif rule.protocol not in BY_NAME:
            yield (
                "unknown-protocol",
                rule,
                f"unknown protocol {rule.protocol!r}; port-less rules use {', '.join(BY_NAME)}",
            )


def _well_formed(rule: Rule) -> bool:
    return (
        rule.port is not None
        and rule.end_port is not None
        and MIN_PORT <= rule.port <= rule.end_port <= MAX_PORT
    )


def _duplicates(role: Role) -> Iterator[tuple[str, Rule, str]]:
    seen: dict[tuple[object, ...], int] = {}
    for n, rule in enumerate(role.rules):
        identity = (
            rule.protocol,
            rule.port,
            rule.end_port,
            component_key(rule.component),
            rule.extra,
        )
        if identity in seen:
            yield (
                "duplicate-rule",
                rule,
                f"{rule.where} {rule.component or '(no component)'} is listed again "
                f"(rules #{seen[identity] + 1} and #{n + 1} of {role.id})",
            )
        else:
            seen[identity] = n


def _conflicts(role: Role) -> Iterator[tuple[str, Rule, str]]:
    """Overlapping port rules of different components: a sweep per protocol, so a role
    of many disjoint rules costs O(n log n), not O(n^2)."""
    by_protocol: dict[str, list[tuple[int, Rule]]] = {}
    for n, rule in enumerate(role.rules):
        if _well_formed(rule):
            by_protocol.setdefault(rule.protocol, []).append((n, rule))
    found: list[tuple[int, str, Rule, str]] = []
    for entries in by_protocol.values():
        entries.sort(key=lambda e: (e[1].port or 0, e[1].end_port or 0, e[0]))
        active: list[tuple[int, Rule]] = []
        for n, rule in entries:
            start = rule.port or 0
            active = [(m, a) for m, a in active if (a.end_port or 0) >= start]
            for m, other in active:
                if component_key(other.component) != component_key(rule.component):
                    first, later = sorted(((m, other), (n, rule)), key=lambda e: e[0])
                    found.append(
                        (
                            later[0],
                            "port-conflict",
                            later[1],
                            f"{later[1].port_text}/{later[1].protocol} is also claimed by "
                            f"{first[1].component or '(no component)'} "
                            f"({first[1].port_text}/{first[1].protocol})",
                        )
                    )
            active.append((n, rule))
    found.sort(key=lambda f: f[0])
    for _, inv, rule, message in found:
        yield inv, rule, message


def _role_policy(role: Role, policy: Policy) -> Iterator[tuple[str, Rule, str]]:
    applicable = [f for f in policy.forbidden if f.applies_to(role.id)]
    if not applicable:
        return
    for rule in role.rules:
        if not rule.component:
            continue
        hit = next(((n, f.reason) for f in applicable if (n := f.forbidden(rule.component))), None)
        if hit is not None:
            name, reason = hit
            why = f" ({reason})" if reason else ""
            yield (
                "role-policy",
                rule,
                f"{name} must not appear on {role.id} per {os.path.basename(policy.source)}{why}",
            )


def _compare_roles(
    groups: Sequence[tuple[str, dict[tuple[str, int, int, str], Rule]]],
    what: str,
    invariant: str,
) -> Iterator[tuple[str, str, Rule, str]]:
    """Every role's key set against the first non-empty one; one finding per key that is
    only on one side, filed under the role being compared."""
    reference = next(((rid, keys) for rid, keys in groups if keys), None)
    if reference is None:
        return
    ref_id, ref_keys = reference
    for role_id, keys in groups:
        if role_id == ref_id:
            continue
        for key, rule in keys.items():
            if key not in ref_keys:
                yield (
                    role_id,
                    invariant,
                    rule,
                    f"{what} opens {rule.where} on {role_id} but not on {ref_id}",
                )
        for key, rule in ref_keys.items():
            if key not in keys:
                yield (
                    role_id,
                    invariant,
                    rule,
                    f"{what} opens {rule.where} on {ref_id} but not on {role_id}",
                )


def _component_ports(spec: Spec, policy: Policy) -> Iterator[tuple[str, str, Rule, str]]:
    per_component: dict[str, dict[str, dict[tuple[str, int, int, str], Rule]]] = {}
    names: dict[str, str] = {}
    in_cluster_range: dict[str, bool] = {}
    for role_id, rule in spec.rules():
        if not rule.component:
            continue
        ranged = in_cluster_range.get(rule.component)
        if ranged is None:
            ranged = in_cluster_range[rule.component] = policy.cluster_range_of(rule) is not None
        if ranged:
            continue  # cluster-wide ranges are compared (more strictly) on their own
        name = component_key(rule.component)
        names.setdefault(name, rule.component)
        per_component.setdefault(name, {}).setdefault(role_id, {}).setdefault(rule.key, rule)
    for name, roles in per_component.items():
        if len(roles) > 1:
            yield from _compare_roles(list(roles.items()), names[name], "component-ports-differ")


def _cluster_ranges(spec: Spec, policy: Policy) -> Iterator[tuple[str, str, Rule, str]]:
    for cluster in policy.cluster_ranges:
        groups = [
            (role.id, {r.key: r for r in role.rules if cluster.claims(r)})
            for role in spec.roles.ordered
            if cluster.applies_to(role.id)
        ]
        yield from _compare_roles(groups, cluster.name, "cluster-range-differs")


def validate(spec: Spec, policy: Policy | None = None) -> list[Violation]:
    """Every broken invariant of ``spec`` (empty when all hold), in role order: rule
    checks, duplicates, conflicts and role policy per role, then the cross-role checks.

    ``policy`` defaults to the bundled spec/policy.json. Violations its exceptions waive
    are left out; severities follow its overrides.
    """
    policy = policy or default_policy()
    found: list[tuple[str, str, Rule | None, str]] = []
    for role in spec.roles.ordered:
        for check in (_rule_checks(role), _duplicates(role), _conflicts(role)):
            found.extend((role.id, inv, rule, msg) for inv, rule, msg in check)
        found.extend((role.id, inv, rule, msg) for inv, rule, msg in _role_policy(role, policy))
    found.extend(_component_ports(spec, policy))
    found.extend(_cluster_ranges(spec, policy))
    out: list[Violation] = []
    for role_id, invariant, rule, message in found:
        if policy.exception_for(invariant, role_id, rule, spec.release) is None:
            severity = policy.severity_of(invariant, INVARIANTS[invariant].severity)
            out.append(Violation(invariant, severity, role_id, rule, message))
    return out


def schema_violations(data: Any) -> list[Violation]:
    """Spec-file schema errors as ``schema`` violations, filed under the role they are in
    when the path points into one."""
    if conforms(data):
        return []
    severity = INVARIANTS["schema"].severity
    roles = data.get("roles") if isinstance(data, Mapping) else None
    out = []
    for problem in schema_problems(data):
        role = None
        index = problem.role_index
        if isinstance(roles, list) and index is not None and index < len(roles):
            role_id = roles[index].get("id") if isinstance(roles[index], Mapping) else None
            role = role_id if isinstance(role_id, str) else None
        out.append(Violation("schema", severity, role, None, str(problem)))
    return out


def validate_data(data: Any, policy: Policy | None = None) -> tuple[Spec | None, list[Violation]]:
    """Spec JSON data (as parsed): schema violations, or, when the schema holds, the
    spec and its violations."""
    problems = schema_violations(data)
    if problems:
        return None, problems
    try:
        spec = from_dict(data)
    except ValueError as exc:  # the schema cannot say "role ids are unique"
        return None, [
            Violation("schema", INVARIANTS["schema"].severity, None, None, f"roles: {exc}")
        ]
    return spec, validate(spec, policy)
