"""Hypothesis strategies for port specs: valid ones, and ones with exactly one fault.

For users who test code built on konvoy-portspec (and for this project's property
tests). It imports hypothesis at module level, so it is only importable with the
``test`` extra installed; nothing else in the package imports it.

* :func:`specs` draws VALID, role-consistent specs: every invariant of
  :mod:`konvoy_portspec.analysis.validation` holds under the bundled policy, every role keeps one
  rule per (protocol, port, end port), and all text is normalized the way the extractor
  normalizes cells (no leading/trailing whitespace, single spaces), so specs survive a
  render -> extract round trip. Component names and notes mix realistic names with
  arbitrary printable text and markup that renderers must escape (``<script>``, ``|``,
  backticks, ``*``, ``_``, reST roles).
* :func:`rules` and :func:`roles` draw single valid rules and roles.
* :func:`faults` / :func:`invalid_specs` take a valid spec and inject one fault of a
  given invariant id; they return ``(spec_or_data, invariant_id)`` where the first item
  is a :class:`~konvoy_portspec.model.Spec`, or, for ``schema``, spec JSON data (a dict).
  The injected spec breaks that invariant and no other.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase
from typing import Any

from hypothesis import strategies as st

from konvoy_portspec.analysis.validation import (
    INVARIANTS,
    PORTLESS_PROTOCOLS,
    Policy,
    default_policy,
)
from konvoy_portspec.extraction.cells import collapse
from konvoy_portspec.model import PORT_PROTOCOLS, Role, RoleMap, Rule, Source, Spec

__all__ = [
    "FAULT_KINDS",
    "REALISTIC_COMPONENTS",
    "ROLE_TITLES",
    "TRICKY_TEXT",
    "faults",
    "inject",
    "invalid_specs",
    "normalize",
    "roles",
    "rules",
    "specs",
    "texts",
]

#: Role id -> titles the extractor files under that id.
ROLE_TITLES: dict[str, tuple[str, ...]] = {
    "control-plane": ("Control-plane nodes", "Control plane", "Master nodes"),
    "worker": ("Worker nodes", "Workers", "Agent nodes"),
    "worker-windows": ("Worker nodes (Windows)",),
    "bastion-hosts": ("Bastion hosts",),
    "load-balancer": ("Load balancer",),
    "gpu-nodes": ("GPU nodes",),
}

REALISTIC_COMPONENTS = (
    "Ansible",
    "calico-node",
    "calico-typha",
    "kubelet",
    "kube-proxy",
    "Containerd",
    "prometheus node-exporter",
    "NVIDIA GPU DCGM",
    "etcd",
    "kube-apiserver",
    "kube-scheduler",
    "kube-controller-manager",
    "coredns",
    "Kubernetes NodePorts",
)

REALISTIC_NOTES = (
    "ssh",
    "BGP",
    "metrics",
    "health",
    "client",
    "peer",
    "secure port",
    "felix metrics",
    "bird metrics",
    "felix liveliness",
    "syncserver",
)

#: Text that means something to markdown, HTML or reST and must come out as text.
TRICKY_TEXT = (
    "<script>alert(1)</script>",
    "a | b",
    "|",
    "`code`",
    "``literal``",
    "*bold*",
    "**strong**",
    "_em_",
    "__init__",
    ":ref:`ports`",
    ":doc:`/install`",
    ".. note::",
    "|substitution|",
    "[link](http://example.com)",
    "<http://example.com>",
    "&amp; &lt;",
    "\\",
    "# not a heading",
    "~~struck~~",
    "![img](x.png)",
    "$x$",
    "{{ jinja }}",
)

_PORTLESS_WORDS = ("N/A", "n/a", "none", "-", "not applicable")


def normalize(text: str) -> str:
    """Text as the extractor leaves a cell: whitespace runs collapsed, ends stripped,
    invisible characters (zero-width spaces, soft hyphens) dropped."""
    return collapse(text)


_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
_arbitrary = st.text(_ALPHABET, max_size=24).map(normalize)


@functools.cache
def texts(realistic: tuple[str, ...] = REALISTIC_COMPONENTS) -> st.SearchStrategy[str]:
    """Normalized cell text: realistic names, markup, arbitrary printable text, mixes.

    Cached: building strategies is a visible share of drawing a spec."""
    pieces = st.one_of(st.sampled_from(realistic), st.sampled_from(TRICKY_TEXT), _arbitrary)
    mixed = st.lists(pieces, min_size=2, max_size=3).map(lambda p: normalize(" ".join(p)))
    return st.one_of(
        st.sampled_from(realistic),
        st.sampled_from(TRICKY_TEXT),
        _arbitrary,
        mixed,
    )


_notes = st.one_of(st.just(""), texts(REALISTIC_NOTES))


_CORE_COMPONENTS = ("Kubernetes NodePorts", "kubelet", "etcd", "kube-apiserver", "calico-node")
_realistic_names = st.sampled_from(REALISTIC_COMPONENTS)
# Mostly realistic names (so shared components, policy and NodePort cases are common),
# the rest empty or arbitrary text.
_names = st.one_of(_realistic_names, _realistic_names, st.just(""), texts())


@st.composite
def _port_span(draw: st.DrawFn) -> tuple[int, int]:
    start = draw(st.one_of(st.integers(1, 65535), st.sampled_from((22, 179, 6443, 10250))))
    if draw(st.booleans()):
        return start, start
    return start, min(65535, start + draw(st.integers(1, 3000)))


@st.composite
def rules(
    draw: st.DrawFn,
    component: st.SearchStrategy[str] | None = None,
    portless: bool = True,
) -> Rule:
    """One valid rule: a port or range over tcp/udp/sctp, or (if ``portless``) an ICMP-
    like rule without ports, which usually keeps its port cell (``N/A``) as the ``port``
    extra the way the extractor records it."""
    name = draw(component if component is not None else st.one_of(st.just(""), texts()))
    notes = draw(_notes)
    if portless and draw(st.integers(0, 9)) == 0:
        protocol = draw(st.sampled_from(PORTLESS_PROTOCOLS))
        word = draw(st.sampled_from(("", *_PORTLESS_WORDS)))
        return Rule(None, None, protocol, name, notes, (("port", word),) if word else ())
    start, end = draw(_port_span())
    return Rule(start, end, draw(st.sampled_from(PORT_PROTOCOLS)), name, notes)


def _norm(name: str) -> str:
    return normalize(name).casefold()


class _Claims:
    """Ports already taken in a spec, so drawn rules never overlap another rule."""

    def __init__(self) -> None:
        self.spans: dict[str, list[tuple[int, int]]] = {}
        self.portless: set[str] = set()

    def take(self, rule: Rule) -> bool:
        if rule.port is None or rule.end_port is None:
            if rule.protocol in self.portless:
                return False
            self.portless.add(rule.protocol)
            return True
        spans = self.spans.setdefault(rule.protocol, [])
        if any(rule.port <= e and s <= rule.end_port for s, e in spans):
            return False
        spans.append((rule.port, rule.end_port))
        return True


@st.composite
def specs(
    draw: st.DrawFn,
    role_ids: Sequence[str] | None = None,
    max_roles: int = 4,
    max_components: int = 8,
    policy: Policy | None = None,
) -> Spec:
    """A valid, role-consistent spec (see the module docstring)."""
    policy = policy or default_policy()
    if role_ids is None and max_roles >= 2 and draw(st.booleans()):
        # The usual page: control plane and workers, sometimes more roles after them.
        others = [r for r in ROLE_TITLES if r not in ("control-plane", "worker")]
        more = st.lists(st.sampled_from(others), max_size=max_roles - 2, unique=True)
        ids = ["control-plane", "worker", *draw(more)]
    elif role_ids is None:
        ids = draw(
            st.lists(
                st.sampled_from(sorted(ROLE_TITLES)), min_size=1, max_size=max_roles, unique=True
            )
        )
    else:
        ids = list(role_ids)
    titles = {rid: draw(st.sampled_from(ROLE_TITLES.get(rid, (rid,)))) for rid in ids}
    claims = _Claims()
    seen_names: set[str] = set()
    per_role: dict[str, list[Rule]] = {rid: [] for rid in ids}
    names = draw(st.lists(_names, max_size=max_components))
    if draw(st.integers(0, 2)) == 0:
        # A page shaped like Konvoy's own: the NodePort range, kubelet, control-plane parts.
        core = st.sampled_from(_CORE_COMPONENTS)
        names = [*draw(st.lists(core, min_size=1, max_size=4, unique=True)), *names]
    for name in names[: max(max_components, 1)]:
        if _norm(name) in seen_names:
            continue
        seen_names.add(_norm(name))
        probe = Rule(1, 1, "tcp", name)
        cluster = policy.cluster_range_of(probe)
        if cluster is not None:
            where = [r for r in ids if any(fnmatchcase(r, p) for p in cluster.roles)]
        else:
            where = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True))
        allowed = [r for r in where if policy.forbidden_on(r, name) is None] if name else where
        if not allowed or (cluster is not None and allowed != where):
            continue  # a cluster-wide range must be on every role it names, or on none
        where = allowed
        if cluster is not None and draw(st.booleans()):
            base = [Rule(30000, 32767, "tcp", name)]
        else:
            base = draw(st.lists(rules(component=st.just(name)), min_size=1, max_size=3))
        base = [r for r in base if claims.take(r)]
        vary_notes = draw(st.booleans())
        for rid in where:
            for rule in base:
                notes = draw(_notes) if vary_notes else rule.notes
                per_role[rid].append(rule.replace(notes=notes))
    built = []
    for rid in ids:
        order = draw(st.permutations(per_role[rid])) if per_role[rid] else []
        built.append(Role(rid, titles[rid], tuple(order)))
    source = draw(
        st.one_of(
            st.none(),
            st.builds(
                Source,
                st.sampled_from(("ports.md", "index.md", "page.html")),
                st.text("0123456789abcdef", min_size=64, max_size=64),
            ),
        )
    )
    release = f"v{draw(st.integers(1, 9))}.{draw(st.integers(0, 12))}"
    product = draw(st.sampled_from(("konvoy", "dkp")))
    return Spec(release=release, roles=RoleMap(built), product=product, source=source)


@st.composite
def roles(draw: st.DrawFn, role_id: str | None = None) -> Role:
    """One valid role (id drawn from :data:`ROLE_TITLES` unless given)."""
    rid = role_id or draw(st.sampled_from(sorted(ROLE_TITLES)))
    spec = draw(specs(role_ids=[rid]))
    return spec.roles[rid]


# --- faults ---------------------------------------------------------------------------

#: Invariant ids :func:`inject` knows how to break (all of them).
FAULT_KINDS: tuple[str, ...] = tuple(INVARIANTS)

_FRESH = "fault-injected"


def _free_port(role: Role, protocol: str, start: int, avoid: Sequence[int] = ()) -> int:
    """The first port from ``start`` (wrapping) that no rule of ``role`` covers."""
    port = start
    for _ in range(65535):
        if not role.for_port(port, protocol) and port not in avoid:
            return port
        port = port % 65535 + 1
    raise ValueError("no free port")  # pragma: no cover - roles are small


def _insert(draw: st.DrawFn, role: Role, rule: Rule) -> Role:
    at = draw(st.integers(0, len(role.rules)))
    return Role(role.id, role.title, (*role.rules[:at], rule, *role.rules[at:]))


def _put(spec: Spec, role: Role) -> Spec:
    return spec.with_roles(role if r.id == role.id else r for r in spec.roles.ordered)


def _ensure_two_roles(spec: Spec) -> Spec:
    """A spec with a second role when it has one only: a copy of the first under a role
    id no policy singles out, so the copy itself breaks nothing."""
    if len(spec.roles) >= 2:
        return spec
    first = spec.roles.ordered[0]
    new_id = next(r for r in ("bastion-hosts", "load-balancer", "gpu-nodes") if r != first.id)
    copy = Role(new_id, ROLE_TITLES[new_id][0], first.rules)
    return spec.with_roles([*spec.roles.ordered, copy])


def _pick_role(draw: st.DrawFn, spec: Spec) -> Role:
    return draw(st.sampled_from(spec.roles.ordered))


def _fault_range(draw: st.DrawFn, spec: Spec) -> Spec:
    role = _pick_role(draw, spec)
    low = draw(st.sampled_from((0, -1, 65536, 70000, 2**31)))
    if low <= 0:
        rule = Rule(low, draw(st.sampled_from((low, 80))), "tcp", _FRESH)
    else:
        rule = Rule(draw(st.sampled_from((low, 30000))), low, "udp", _FRESH)
    return _put(spec, _insert(draw, role, rule))


def _fault_reversed(draw: st.DrawFn, spec: Spec) -> Spec:
    role = _pick_role(draw, spec)
    kind = draw(st.sampled_from(("reversed", "no-end", "no-start")))
    a = draw(st.integers(2, 65535))
    if kind == "reversed":
        rule = Rule(a, draw(st.integers(1, a - 1)), "tcp", _FRESH)
    elif kind == "no-end":
        rule = Rule(a, None, "tcp", _FRESH)
    else:
        rule = Rule(None, a, "tcp", _FRESH)
    return _put(spec, _insert(draw, role, rule))


def _fault_protocol(draw: st.DrawFn, spec: Spec) -> Spec:
    role = _pick_role(draw, spec)
    bogus = ("quic", "http", "ospf", "l2tp", "tcp6")
    if draw(st.booleans()):
        protocol = draw(st.sampled_from(PORTLESS_PROTOCOLS + bogus))
        port = draw(st.integers(1, 65535))
        rule = Rule(port, port, protocol, _FRESH)
    else:
        rule = Rule(None, None, draw(st.sampled_from(bogus)), _FRESH)
    return _put(spec, _insert(draw, role, rule))


def _fault_conflict(draw: st.DrawFn, spec: Spec) -> Spec:
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


def _fault_duplicate(draw: st.DrawFn, spec: Spec) -> Spec:
    candidates = [r for r in spec.roles.ordered if r.rules]
    if not candidates:
        role = _pick_role(draw, spec)
        role = _insert(draw, role, Rule(8080, 8080, "tcp", _FRESH))
    else:
        role = draw(st.sampled_from(candidates))
    original = draw(st.sampled_from(role.rules))
    notes = draw(st.one_of(st.just(original.notes), _notes))
    return _put(spec, _insert(draw, role, original.replace(notes=notes)))


def _fault_component_ports(draw: st.DrawFn, spec: Spec) -> Spec:
    spec = _ensure_two_roles(spec)
    a, b = draw(st.permutations(spec.roles.ordered))[:2]
    protocol = draw(st.sampled_from(PORT_PROTOCOLS))
    pa = _free_port(a, protocol, draw(st.integers(1, 65535)))
    pb = _free_port(b, protocol, draw(st.integers(1, 65535)), avoid=(pa,))
    name = "fault-agent"
    spec = _put(spec, _insert(draw, a, Rule(pa, pa, protocol, name)))
    return _put(spec, _insert(draw, spec.roles[b.id], Rule(pb, pb, protocol, name)))


def _fault_role_policy(draw: st.DrawFn, spec: Spec) -> Spec:
    policy = default_policy()
    targets = [
        (role, rule)
        for role in spec.roles.ordered
        for rule in policy.forbidden
        if rule.applies_to(role.id)
    ]
    if not targets:
        worker = Role("worker", "Worker nodes", ())
        spec = spec.with_roles([*spec.roles.ordered, worker])
        spec_roles = spec.roles.ordered
        # The new role must carry the cluster-wide ranges the others have.
        ranged = tuple(r for r in spec_roles[0].rules if policy.cluster_range_of(r) is not None)
        spec = _put(spec, Role(worker.id, worker.title, ranged))
        targets = [
            (spec.roles["worker"], rule) for rule in policy.forbidden if rule.applies_to("worker")
        ]
    role, forbidden = draw(st.sampled_from(targets))
    role = spec.roles[role.id]
    name = draw(st.sampled_from(forbidden.components)) + " (" + _FRESH + ")"
    port = _free_port(role, "tcp", draw(st.integers(1, 65535)))
    return _put(spec, _insert(draw, role, Rule(port, port, "tcp", name)))


def _fault_cluster_range(draw: st.DrawFn, spec: Spec) -> Spec:
    spec = _ensure_two_roles(spec)
    role = _pick_role(draw, spec)
    start = _free_port(role, "tcp", draw(st.integers(1, 65535)))
    end = start
    while end < 65535 and end - start < 20 and not role.for_port(end + 1, "tcp"):
        end += 1
    rule = Rule(start, end, "tcp", "Extra NodePorts (" + _FRESH + ")")
    return _put(spec, _insert(draw, role, rule))


def _fault_schema(draw: st.DrawFn, spec: Spec) -> dict[str, Any]:
    from konvoy_portspec.io.spec_json import to_dict

    data = to_dict(spec)
    ports = [(i, j) for i, role in enumerate(data["roles"]) for j in range(len(role["ports"]))]
    choices = ["top-key", "no-release", "version", "role-id", "role-key"]
    if ports:
        choices += ["port-string", "port-range", "rule-key", "notes-type", "no-end"]
    kind = draw(st.sampled_from(choices))
    if kind == "top-key":
        data["generated_at"] = "2024-01-01"
    elif kind == "no-release":
        del data["release"]
    elif kind == "version":
        data["schema_version"] = 2
    elif kind == "role-id":
        data["roles"][0]["id"] = "Worker Nodes"
    elif kind == "role-key":
        data["roles"][0]["colour"] = "red"
    else:
        i, j = draw(st.sampled_from(ports))
        rule = data["roles"][i]["ports"][j]
        if kind == "port-string":
            rule["port"] = str(rule["port"])
        elif kind == "port-range":
            rule["port"] = rule["end_port"] = 70000
        elif kind == "rule-key":
            rule["direction"] = "inbound"
        elif kind == "notes-type":
            rule["notes"] = None
        else:
            del rule["end_port"]
    return data


_INJECTORS: dict[str, Callable[[st.DrawFn, Spec], Any]] = {
    "port-out-of-range": _fault_range,
    "reversed-range": _fault_reversed,
    "unknown-protocol": _fault_protocol,
    "schema": _fault_schema,
    "port-conflict": _fault_conflict,
    "duplicate-rule": _fault_duplicate,
    "component-ports-differ": _fault_component_ports,
    "role-policy": _fault_role_policy,
    "cluster-range-differs": _fault_cluster_range,
}


@st.composite
def inject(draw: st.DrawFn, spec: Spec, invariant: str) -> tuple[Spec | dict[str, Any], str]:
    """``spec`` with one fault of ``invariant`` (a Spec, or spec JSON data for ``schema``)."""
    if invariant not in _INJECTORS:
        raise ValueError(f"unknown invariant {invariant!r}; known: {', '.join(_INJECTORS)}")
    return _INJECTORS[invariant](draw, spec), invariant


@st.composite
def faults(
    draw: st.DrawFn,
    invariants: Sequence[str] = FAULT_KINDS,
    base: st.SearchStrategy[Spec] | None = None,
) -> tuple[Spec | dict[str, Any], str]:
    """A valid spec (from ``base``, default :func:`specs`) with one injected fault of an
    invariant drawn from ``invariants``: ``(spec_or_data, invariant_id)``."""
    spec = draw(base if base is not None else specs())
    invariant = draw(st.sampled_from(tuple(invariants)))
    return draw(inject(spec, invariant))


def invalid_specs(
    invariant: str | None = None,
) -> st.SearchStrategy[tuple[Spec | dict[str, Any], str]]:
    """Faulty specs of one invariant (or of any when ``invariant`` is None)."""
    return faults((invariant,) if invariant else FAULT_KINDS)
