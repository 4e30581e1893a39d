"""Valid specs: what a Konvoy ports page looks like, written down on its own (see the
package docstring), as hypothesis strategies."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from hypothesis import strategies as st

from konvoy_portspec.extraction.cells import collapse
from konvoy_portspec.model import Role, RoleMap, Rule, Source, Spec
from konvoy_portspec.protocols import PORT_PROTOCOLS, PORTLESS_PROTOCOLS

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

#: Components that run only on control-plane nodes: a Konvoy page lists them in the
#: control-plane table and nowhere else.
CONTROL_PLANE_ONLY = ("etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager")

#: Role ids whose nodes run workloads and never the control plane.
WORKER_ROLES = ("worker", "worker-windows")

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


def as_cell_text(text: str) -> str:
    """Text as the extractor leaves a cell: whitespace runs collapsed, ends stripped,
    invisible characters (zero-width spaces, soft hyphens) dropped."""
    return collapse(text)


_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
_arbitrary = st.text(_ALPHABET, max_size=24).map(as_cell_text)


@functools.cache
def texts(realistic: tuple[str, ...] = REALISTIC_COMPONENTS) -> st.SearchStrategy[str]:
    """Normalized cell text: realistic names, markup, arbitrary printable text, mixes.

    Cached: building strategies is a visible share of drawing a spec."""
    pieces = st.one_of(st.sampled_from(realistic), st.sampled_from(TRICKY_TEXT), _arbitrary)
    mixed = st.lists(pieces, min_size=2, max_size=3).map(lambda p: as_cell_text(" ".join(p)))
    return st.one_of(
        st.sampled_from(realistic),
        st.sampled_from(TRICKY_TEXT),
        _arbitrary,
        mixed,
    )


NOTES = st.one_of(st.just(""), texts(REALISTIC_NOTES))


_CORE_COMPONENTS = ("Kubernetes NodePorts", "kubelet", "etcd", "kube-apiserver", "calico-node")
_realistic_names = st.sampled_from(REALISTIC_COMPONENTS)
# Mostly realistic names (so shared components, control-plane parts and NodePort ranges
# are common), the rest empty or arbitrary text.
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
    notes = draw(NOTES)
    if portless and draw(st.integers(0, 9)) == 0:
        protocol = draw(st.sampled_from(PORTLESS_PROTOCOLS))
        word = draw(st.sampled_from(("", *_PORTLESS_WORDS)))
        return Rule(None, None, protocol, name, notes, (("port", word),) if word else ())
    start, end = draw(_port_span())
    return Rule(start, end, draw(st.sampled_from(PORT_PROTOCOLS)), name, notes)


def component_key(name: str) -> str:
    return as_cell_text(name).casefold()


def is_control_plane_only(name: str) -> bool:
    """Whether ``name`` mentions a control-plane component (anywhere in it: "etcd
    (client)", "etcd-operator"; wider than need be, so placing such names on the
    control plane only is always safe)."""
    folded = name.casefold()
    return any(word in folded for word in CONTROL_PLANE_ONLY)


def is_nodeport_range(name: str) -> bool:
    """Whether ``name`` reads as the NodePort range ("Kubernetes NodePorts", "NodePort
    services", "node ports"), which kube-proxy opens on every node, so every role lists
    it alike. Spaces are ignored, so this errs on the side of "yes"."""
    return "nodeport" in "".join(name.casefold().split())


class Claims:
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
) -> Spec:
    """A valid, role-consistent spec (see the module docstring)."""
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
    claims = Claims()
    seen_names: set[str] = set()
    per_role: dict[str, list[Rule]] = {rid: [] for rid in ids}
    names = draw(st.lists(_names, max_size=max_components))
    if draw(st.integers(0, 2)) == 0:
        # A page shaped like Konvoy's own: the NodePort range, kubelet, control-plane parts.
        core = st.sampled_from(_CORE_COMPONENTS)
        names = [*draw(st.lists(core, min_size=1, max_size=4, unique=True)), *names]
    for name in names[: max(max_components, 1)]:
        if component_key(name) in seen_names:
            continue
        seen_names.add(component_key(name))
        nodeports = is_nodeport_range(name)
        if nodeports and is_control_plane_only(name):
            continue  # it would have to be on every role and on the control plane only
        if nodeports:
            where = ids
        elif is_control_plane_only(name):
            where = [r for r in ids if r == "control-plane"]
        else:
            where = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True))
        if not where:
            continue
        if nodeports and draw(st.booleans()):
            base = [Rule(30000, 32767, "tcp", name)]
        else:
            base = draw(st.lists(rules(component=st.just(name)), min_size=1, max_size=3))
        base = [r for r in base if claims.take(r)]
        vary_notes = draw(st.booleans())
        for rid in where:
            for rule in base:
                notes = draw(NOTES) if vary_notes else rule.notes
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
