"""Whole real-world port pages: prose in port cells, template markup, MDX, tabs, section
context and connectivity matrices.

Each page in ``tests/fixtures/styles/real-world/`` is self-written in the manner of one
project's docs (a Hugo docs site on a public cloud, Calico's Jekyll and Docusaurus/MDX
pages, Rancher's port requirements, a firewall matrix, a Cassandra-style HTML matrix,
k0s on MkDocs Material). ``PAGES`` holds what a careful human reads off each page: every
role (id and title, the heading path where two sections share a title) and every rule,
and the warnings the page deserves. Nothing of a page may be lost: the scan of the
fixture tree reports every row of every role.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from konvoy_portspec.cli import run
from konvoy_portspec.extraction import ExtractWarning, extract_file
from konvoy_portspec.model import Spec
from tests.support import FIXTURES
from tests.unit.test_extract_styles import Page, Role, _case, _got, one, outbound, row

PAGES_DIR = FIXTURES / "styles" / "real-world"


PROSE = "no port number in port cell"
IPIP_BY_NUMBER = "IP-in-IP, often represented by its protocol number 4"

PAGES: dict[str, Page] = {}

PAGES["hugo-cloud-prose.md"] = Page(
    decoys=frozenset({7101}),
    warnings=[(26, f"{PROSE} 'Provider dependent'"), (56, f"{PROSE} 'Set by your cloud'")],
    roles=[
        Role(
            "control-plane",
            "Control plane",
            [
                # The shortcode is markup: the notes end where the text does.
                one(6443, "tcp", "", "Kubernetes API server", source="Any"),
                one(
                    443,
                    "tcp",
                    "",
                    "API server through the cloud load balancer",
                    port_remark="Often",
                    source="Internet",
                ),
                one(
                    6443,
                    "tcp",
                    "",
                    "API server through the cloud load balancer",
                    port_remark="Often",
                    source="Internet",
                ),
                one(
                    2379,
                    "tcp",
                    "",
                    "etcd client API",
                    port_remark="but may differ",
                    source="Control plane",
                ),
                one(2380, "tcp", "", "etcd peer API", source="Control plane"),
                one(
                    8472,
                    "udp",
                    "",
                    "Flannel VXLAN overlay",
                    port_remark="usually",
                    source="All nodes",
                ),
                # Prose: one port-less rule of the row's protocol, the text kept.
                row(
                    None,
                    None,
                    "tcp",
                    "",
                    "Cloud controller health checks",
                    port="Provider dependent",
                    source="Cloud",
                ),
                # Protocol 47 is GRE, 4 IP-in-IP: each one port-less rule.
                row(
                    None,
                    None,
                    "gre",
                    "",
                    "PPTP-style tunnels of some cloud routers",
                    port="GRE, protocol number 47",
                    source="Cloud",
                ),
                row(
                    None,
                    None,
                    "ipip",
                    "",
                    "Calico IP-in-IP encapsulation",
                    port=IPIP_BY_NUMBER,
                    source="All nodes",
                ),
            ],
        ),
        # Two Hugo tabs under "Worker nodes": alternatives, two roles.
        Role(
            "worker-canal",
            "Worker nodes / Canal",
            [one(10250, "tcp", "", "Kubelet API"), one(8472, "udp", "", "Canal VXLAN")],
        ),
        Role(
            "worker-calico",
            "Worker nodes / Calico",
            [one(10250, "tcp", "", "Kubelet API"), one(179, "tcp", "", "Calico BGP")],
        ),
        # "### Node ports" is a part of the worker section, not an alternative.
        Role(
            "worker",
            "Worker nodes",
            [
                row(30000, 32767, "tcp", "", "NodePort Services"),
                row(
                    None,
                    None,
                    "tcp",
                    "",
                    "Load balancer health check port",
                    port="Set by your cloud",
                ),
                row(None, None, "any", "", "Traffic between pods of the same node", port="Any"),
            ],
        ),
    ],
)

BIDI = {"connection_type": "Bidirectional", "host": "All"}
PAGES["jekyll-liquid.md"] = Page(
    roles=[
        # "If Calico is used, it requires:" leads into the table; the heading titles it.
        Role(
            "worker",
            "Node(s)",
            [
                one(179, "tcp", configuration="networking (BGP)", **BIDI),
                row(
                    None,
                    None,
                    "ipip",
                    configuration="networking with IP-in-IP enabled (default)",
                    port=IPIP_BY_NUMBER,
                    **BIDI,
                ),
                one(4789, "udp", configuration="networking with VXLAN enabled", **BIDI),
                one(
                    5473,
                    "tcp",
                    configuration="networking with Typha enabled",
                    connection_type="Incoming",
                    host="Typha agent hosts",
                    port_remark="default",
                ),
                one(
                    51820,
                    "udp",
                    configuration="networking with IPv4 Wireguard enabled",
                    port_remark="default",
                    **BIDI,
                ),
                one(4789, "udp", configuration="flannel networking (VXLAN)", **BIDI),
                one(
                    443,
                    "tcp",
                    configuration="All",
                    connection_type="Incoming",
                    host="kube-apiserver host",
                    port_remark="Often",
                ),
                one(
                    6443,
                    "tcp",
                    configuration="All",
                    connection_type="Incoming",
                    host="kube-apiserver host",
                    port_remark="Often",
                ),
                # The Liquid comment is no text of the cell.
                one(
                    2379,
                    "tcp",
                    configuration="etcd datastore",
                    connection_type="Incoming",
                    host="etcd hosts",
                    port_remark="but may differ",
                ),
            ],
        ),
        Role(
            "control-plane",
            "Control plane",
            [
                one(
                    6443,
                    "tcp",
                    configuration="Application layer policy",
                    connection_type="Incoming",
                    host="kube-apiserver host",
                ),
                one(
                    15001,
                    "tcp",
                    configuration="Envoy sidecars",
                    connection_type="Incoming",
                    host="All",
                ),
            ],
        ),
    ],
)

PAGES["calico-requirements.mdx"] = Page(
    decoys=frozenset({7102}),
    roles=[
        # The tables are indented inside <TabItem>: MDX has no indented code blocks.
        Role(
            "calico-networking",
            "Calico networking",
            [
                one(179, "tcp", configuration="networking (BGP)", host="All"),
                row(
                    None,
                    None,
                    "ipip",
                    configuration="networking with IP-in-IP enabled (default)",
                    host="All",
                    port=IPIP_BY_NUMBER,
                ),
                one(4789, "udp", configuration="networking with VXLAN enabled", host="All"),
            ],
        ),
        Role(
            "flannel-networking",
            "Flannel networking",
            [one(8472, "udp", configuration="flannel networking (VXLAN)", host="All")],
        ),
        # The same heading in two tabs: two roles, titled by tab and heading.
        Role(
            "worker-canal",
            "Canal / Worker nodes",
            [one(10250, "tcp", "kubelet"), one(8472, "udp", "Canal VXLAN")],
        ),
        Role(
            "worker-cilium",
            "Cilium / Worker nodes",
            [
                one(10250, "tcp", "kubelet"),
                one(4240, "tcp", "Cilium health checks"),
                one(8472, "udp", "Cilium VXLAN"),
            ],
        ),
    ],
)

K3S = "Ports for Rancher Server Nodes on K3s"
RKE2 = "Ports for Rancher Server Nodes on RKE2"
NODE_DRIVER = "Any node IP from a node created using Node Driver"
PAGES["rancher-port-sections.md"] = Page(
    roles=[
        # Under each heading, the captions "Inbound Rules for Rancher Server Nodes" and
        # "Outbound Rules for Rancher Nodes" give the direction of their table; the role
        # is the heading's (the outbound caption names no role of its own). The same
        # captions under two headings: two roles, named by their headings.
        Role(
            "control-plane-rancher-k3s",
            K3S,
            [
                one(
                    80,
                    "tcp",
                    "",
                    "Rancher UI/API when external SSL termination is used",
                    source="Load balancer/proxy that does external SSL termination",
                ),
                one(
                    443,
                    "tcp",
                    "",
                    "Rancher agent, Rancher UI/API, kubectl",
                    source="server nodes agent nodes",
                ),
                one(6443, "tcp", "", "Kubernetes API", source="K3s server nodes"),
                one(
                    8472,
                    "udp",
                    "",
                    "Required only for Flannel VXLAN",
                    source="K3s server and agent nodes",
                ),
                outbound(
                    one(
                        22,
                        "tcp",
                        "",
                        "SSH provisioning of nodes using Node Driver",
                        destination=NODE_DRIVER,
                    )
                ),
                outbound(one(443, "tcp", "", "Rancher catalog", destination="git.rancher.io")),
            ],
        ),
        Role(
            "control-plane-rancher-rke2",
            RKE2,
            [
                one(9345, "tcp", "", "Node registration", source="RKE2 agent nodes"),
                one(6443, "tcp", "", "Kubernetes API", source="RKE2 agent nodes"),
                outbound(one(443, "tcp", "", "Rancher catalog", destination="git.rancher.io")),
            ],
        ),
        # "#### Inbound rules", "#### Outbound rules" and "#### Metrics" under one role
        # heading: one role, the outbound row going out.
        Role(
            "control-plane-etcd",
            "Etcd and control plane nodes",
            [
                one(2379, "tcp", "", "etcd client requests", source="etcd nodes"),
                one(2380, "tcp", "", "etcd peer communication", source="etcd nodes"),
                outbound(one(443, "tcp", "", "Rancher agent", destination="Rancher nodes")),
                one(10250, "tcp", "", "kubelet metrics", source="Metrics server"),
            ],
        ),
        Role(
            "worker",
            "Worker nodes",
            [
                one(10250, "tcp", "", "kubelet", source="Control plane"),
                row(30000, 32767, "tcp", "", "NodePort port range", source="Any"),
            ],
        ),
    ],
)

PAGES["connectivity-matrix.md"] = Page(
    roles=[
        # Each cell: rules of the column's role (where the port listens), "from" the row.
        Role(
            "control-plane",
            "Control plane",
            [
                row(2379, 2380, "tcp", **{"from": "Control plane"}),
                one(6443, "tcp", **{"from": "Control plane"}),
                one(6443, "tcp", **{"from": "Worker"}),
                one(9345, "tcp", **{"from": "Worker"}),
                one(6443, "tcp", **{"from": "Load balancer"}),
                one(22, "tcp", **{"from": "Administrator"}),
            ],
        ),
        Role(
            "worker",
            "Worker",
            [
                one(10250, "tcp", **{"from": "Control plane"}),
                one(8472, "udp", **{"from": "Worker"}),
                row(30000, 32767, "tcp", **{"from": "Load balancer"}),
                one(22, "tcp", **{"from": "Administrator"}),
            ],
        ),
        Role("load-balancer", "Load balancer", [one(443, "tcp", **{"from": "Administrator"})]),
    ],
)

CLUSTER_STORAGE = {"from": "Cluster / Storage nodes"}
CLUSTER_API = {"from": "Cluster / API nodes"}
PAGES["connectivity-matrix.html"] = Page(
    decoys=frozenset(),
    roles=[
        # "From" spans two columns (a rowspan "Cluster" group, then the node kind) and
        # two header rows; "To" spans the destinations.
        Role(
            "storage-nodes",
            "Storage nodes",
            [
                one(7000, "tcp", **CLUSTER_STORAGE),
                one(7001, "tcp", **CLUSTER_STORAGE),
                one(9042, "tcp", **CLUSTER_API),
                one(9042, "tcp", **{"from": "Clients"}),
            ],
        ),
        Role(
            "api-nodes",
            "API nodes",
            [one(8080, "tcp", **CLUSTER_API), one(443, "tcp", **{"from": "Clients"})],
        ),
    ],
)

PAGES["mkdocs-tabs.md"] = Page(
    decoys=frozenset({7103}),
    roles=[
        # An admonition's indented table is read; the page's heading titles it.
        Role("networking", "Networking", [one(22, "tcp", "sshd", "Only for k0sctl")]),
        Role(
            "control-plane-kube-router",
            "Controller nodes / kube-router",
            [one(6443, "tcp", "kube-apiserver"), one(179, "tcp", "kube-router", "BGP")],
        ),
        Role(
            "control-plane-calico",
            "Controller nodes / Calico",
            [one(6443, "tcp", "kube-apiserver"), one(4789, "udp", "calico", "VXLAN")],
        ),
        Role("worker", "Worker nodes", [one(10250, "tcp", "kubelet")]),
    ],
)


@cache
def _read(page: str) -> tuple[Spec, tuple[ExtractWarning, ...]]:
    found: list[ExtractWarning] = []
    spec = extract_file(PAGES_DIR / page, warnings=found)
    return spec, tuple(found)


def test_every_page_has_expectations() -> None:
    assert {p.name for p in PAGES_DIR.iterdir()} == set(PAGES)


@pytest.mark.parametrize(("page", "what"), [_case(page, "roles") for page in PAGES])
def test_roles_ids_and_titles(page: str, what: str) -> None:
    spec, _ = _read(page)
    assert [(role.id, role.title) for role in spec.roles.ordered] == [
        (role.id, role.title) for role in PAGES[page].roles
    ]
    assert spec.release == PAGES[page].release


@pytest.mark.parametrize(
    ("page", "what"), [_case(page, role.id) for page in PAGES for role in PAGES[page].roles]
)
def test_role_rules(page: str, what: str) -> None:
    (expected,) = [role for role in PAGES[page].roles if role.id == what]
    spec, _ = _read(page)
    assert what in spec.roles, f"no role {what!r}; roles: {list(spec.roles)}"
    assert _got(spec.roles[what].rules) == expected.rules


@pytest.mark.parametrize("page", list(PAGES))
def test_warnings_name_the_page_and_line(page: str) -> None:
    _, found = _read(page)
    assert [(w.line, w.severity) for w in found] == [
        (line, "warning") for line, _ in PAGES[page].warnings
    ]
    for warning, (_, start) in zip(found, PAGES[page].warnings, strict=True):
        assert warning.message.startswith(start)
        assert warning.path == str(PAGES_DIR / page)


@pytest.mark.parametrize("page", [p for p, v in PAGES.items() if v.decoys])
def test_tables_in_code_are_not_read(page: str) -> None:
    spec, _ = _read(page)
    ports = {r.port for _, r in spec.rules()}
    assert ports
    assert not ports & PAGES[page].decoys


def test_the_scan_of_the_fixture_tree_reports_every_role_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scan.json"
    assert run(["scan", str(FIXTURES / "styles"), "--jobs", "1", "-f", "json", "-o", str(out)]) == 0
    report = json.loads(out.read_text("utf-8"))
    assert report["errors"] == []
    pages = {page["path"]: page for page in report["pages"]}
    for name, expected in PAGES.items():
        page = pages[f"real-world/{name}"]
        got = [(role["id"], role["title"], len(role["ports"])) for role in page["roles"]]
        assert got == [(role.id, role.title, len(role.rules)) for role in expected.roles], name
        assert page["rules"] == sum(len(role.rules) for role in expected.roles)
