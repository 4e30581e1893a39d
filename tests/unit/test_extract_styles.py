"""The extractor on pages written in other Kubernetes distributions' styles.

Each page in ``tests/fixtures/styles/`` is self-written in the manner of one project's
port docs (Kubernetes, kubespray, k3s, RKE2, Rancher, Talos, EKS Anywhere, k0s,
OpenShift) or of one docs toolchain (Hugo, Docusaurus/MDX, MkDocs, Sphinx,
Asciidoctor). ``PAGES`` holds what a careful human reads off each page: the roles in
order (id and title) and every rule of each role. Tests compare the extractor with it.
The shapes these pages first caught the extractor getting wrong are kept below as the
smallest pages that show them, each named by what went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction import extract_file, extract_text
from konvoy_portspec.model import INBOUND, OUTBOUND, Rule, Spec
from tests.support import FIXTURES

STYLES = FIXTURES / "styles"

#: port, end port, protocol, component, notes, extras, direction.
Row = tuple[int | None, int | None, str, str, str, dict[str, str], str]


def row(
    port: int | None,
    end: int | None,
    protocol: str,
    component: str = "",
    notes: str = "",
    /,
    **extras: str,
) -> Row:
    return (port, end, protocol, component, notes, extras, INBOUND)


def one(port: int, protocol: str, component: str = "", notes: str = "", /, **extras: str) -> Row:
    return row(port, port, protocol, component, notes, **extras)


def outbound(rule: Row) -> Row:
    """The same row, going out (a connection the node makes)."""
    return (*rule[:6], OUTBOUND)


@dataclass(frozen=True)
class Role:
    id: str
    title: str
    rules: list[Row]


@dataclass(frozen=True)
class Page:
    roles: list[Role]
    release: str = "unknown"
    #: (line, start of the message) of each warning, in page order.
    warnings: list[tuple[int, str]] = field(default_factory=list)
    #: Ports that appear only in code blocks, comments, scripts: never rules.
    decoys: frozenset[int] = field(default_factory=frozenset)


# What the regression cases below once got wrong (the cases name these).
CAPTION_NUMBER = (
    "generated caption numbers ('Table 1.', Sphinx numfig 'Table 1 ') stay in the title "
    "(and in the role id of unknown roles): html_reader._caption keeps the whole caption text"
)
ZWSP = (
    "Docusaurus heading hash-links hold a zero-width space (&#8203;): text_of keeps it and "
    "cells.collapse does not treat U+200B as space, so titles end in '\\u200b'"
)
TFOOT = (
    "a <tfoot> footnote row spanning all columns is taken for a section row "
    "(build._section_title) and leaves an empty role named after the footnote"
)
CAPTION_ROW = (
    "a caption row spanning the whole <thead> ('Worker nodes' above the column names) is "
    "folded into the column names instead of titling the table (build._columns/_title_for)"
)
SECTION_ROW_MD = (
    "a pipe-table section row ('| **Worker nodes** | | |') has empty cells, so "
    "build._section_title does not see it and the row is parsed as a port: ExtractError"
)
ICMP_TYPE = (
    "an ICMP row whose port cell holds type/code ('8/0') is parsed as ports 8 and 0 "
    "(ExtractError 'port 0 out of range') instead of a port-less icmp rule"
)
VRRP_PORT = (
    "a port-less protocol with an IP protocol number in the port column ('VRRP | 112') "
    "becomes port 112/vrrp: build._row_rules never checks model.PORT_PROTOCOLS"
)
LIST_IN_CELL = (
    "<ul><li> inside a pipe-table cell: markdown_reader.inline_text drops html_inline "
    "tokens without a separator, gluing the items ('server nodesagent nodes')"
)
TIGHT_WRAPPER = (
    "a wrapper line right below the last row ('{{< /table >}}', ':::') is a GFM table row "
    "for markdown-it: in a protocol column it becomes a port-less 'any' rule with extra "
    "protocol='{{< /table >}}', in a port column an ExtractError ('not a port: {{<')"
)
PER_ITEM_REMARK = (
    "remarks are per cell, not per list item: '2379 (client), 2380 (peer)' gives both rules "
    "port_remark 'client; peer' (cells.parse_port_cell joins all remarks)"
)
PROTO_IN_REMARK = (
    "'8472 (UDP, Flannel VXLAN)': a protocol inside a parenthesised remark is ignored "
    "(cells._parse_item only takes protocols from a parenthesis holding nothing else)"
)


ALL_NODES = {"source": "All nodes", "destination": "All nodes"}

PAGES: dict[str, Page] = {
    "kubernetes-hugo.md": Page(
        decoys=frozenset({7001}),
        roles=[
            Role(
                "control-plane",
                "Control plane nodes",
                [
                    one(6443, "tcp", "All", "Kubernetes API server"),
                    row(
                        2379,
                        2380,
                        "tcp",
                        "kube-apiserver, etcd",
                        "etcd server client API",
                    ),
                    one(10250, "tcp", "Self, Control plane", "Kubelet API"),
                    one(10259, "tcp", "Self", "kube-scheduler"),
                    one(10257, "tcp", "Self", "kube-controller-manager"),
                ],
            ),
            Role(
                "worker",
                "Worker nodes",
                [
                    one(10250, "tcp", "Self, Control plane", "Kubelet API"),
                    one(10256, "tcp", "Self, Load balancers", "kube-proxy"),
                    row(30000, 32767, "tcp", "All", "NodePort Services"),
                    row(30000, 32767, "udp", "All", "NodePort Services"),
                ],
            ),
        ],
    ),
    "kubespray.md": Page(
        decoys=frozenset({7002}),
        roles=[
            Role(
                "control-plane",
                "1.1 Control plane nodes",
                [
                    one(22, "tcp", "", "SSH, used by Ansible"),
                    one(2379, "tcp", "", "etcd client port"),
                    one(2380, "tcp", "", "etcd peer port"),
                    one(6443, "tcp", "", "Kubernetes API"),
                    one(10250, "tcp", "", "kubelet API / read-only port"),
                    one(10255, "tcp", "", "kubelet API / read-only port"),
                    one(10257, "tcp", "", "kube-controller-manager"),
                    one(10259, "tcp", "", "kube-scheduler"),
                ],
            ),
            Role(
                "worker",
                "1.2 Worker nodes",
                [
                    one(22, "tcp", "", "SSH, used by Ansible"),
                    one(10250, "tcp", "", "kubelet API"),
                    row(30000, 32767, "tcp", "", "NodePort Services"),
                    one(53, "tcp", "", "CoreDNS / NodeLocal DNS"),
                    one(53, "udp", "", "CoreDNS / NodeLocal DNS"),
                ],
            ),
            Role(
                "2-1-all-nodes",
                "2.1 All nodes",
                [
                    one(179, "tcp", "", "BGP peering"),
                    one(5473, "tcp", "", "Typha"),
                    one(4789, "udp", "", "VXLAN"),
                    row(None, None, "ipip", "", "IP encapsulation", port="-"),
                ],
            ),
        ],
    ),
    "k3s-docusaurus.mdx": Page(
        roles=[
            Role(
                "control-plane",
                "Server nodes",
                [
                    row(
                        2379,
                        2380,
                        "tcp",
                        "",
                        "Only for HA with embedded etcd",
                        source="Servers",
                        destination="Servers",
                    ),
                    one(
                        6443,
                        "tcp",
                        "",
                        "K3s supervisor and Kubernetes API server",
                        source="Agents",
                        destination="Servers",
                    ),
                    one(
                        8472,
                        "udp",
                        "",
                        "Only for Flannel VXLAN",
                        source="All nodes",
                        destination="All nodes",
                    ),
                    one(
                        10250,
                        "tcp",
                        "",
                        "Kubelet metrics",
                        source="All nodes",
                        destination="All nodes",
                    ),
                    one(
                        51820,
                        "udp",
                        "",
                        "Only for Flannel WireGuard (IPv4)",
                        source="All nodes",
                        destination="All nodes",
                    ),
                    one(
                        51821,
                        "udp",
                        "",
                        "Only for Flannel WireGuard (IPv6)",
                        source="All nodes",
                        destination="All nodes",
                    ),
                ],
            ),
            # The two tabs under "Agent nodes" are alternatives (one per Flannel
            # backend): two roles, titled by the heading and the tab.
            Role(
                "worker-flannel-vxlan",
                "Agent nodes / Flannel VXLAN",
                [
                    one(8472, "udp", "", "Flannel VXLAN", **ALL_NODES),
                    one(10250, "tcp", "", "Kubelet metrics", **ALL_NODES),
                ],
            ),
            Role(
                "worker-flannel-wireguard",
                "Agent nodes / Flannel WireGuard",
                [
                    one(51820, "udp", "", "WireGuard IPv4 (Flannel backend)", **ALL_NODES),
                    one(51821, "udp", "", "WireGuard IPv6", **ALL_NODES),
                ],
            ),
        ],
    ),
}

ALL = {"source": "All RKE2 nodes", "destination": "All RKE2 nodes"}
SERVERS = {"source": "RKE2 server nodes", "destination": "RKE2 server nodes"}
AGENTS = {"source": "RKE2 agent nodes", "destination": "RKE2 server nodes"}

PAGES["rke2-docs.md"] = Page(
    roles=[
        Role(
            # "### Inbound Network Rules" names only a direction: "## Networking"
            # titles the table, whose rules are inbound.
            "networking",
            "Networking",
            [
                one(9345, "tcp", "", "RKE2 supervisor API", **AGENTS),
                one(6443, "tcp", "", "Kubernetes API", **AGENTS),
                one(8472, "udp", "", "Required only for Flannel VXLAN", **ALL),
                one(10250, "tcp", "", "kubelet", **ALL),
                one(2379, "tcp", "", "etcd client port", **SERVERS),
                one(2380, "tcp", "", "etcd peer port", **SERVERS),
                one(2381, "tcp", "", "etcd metrics port", **SERVERS),
                row(30000, 32767, "tcp", "", "NodePort port range", **ALL),
                one(8472, "udp", "", "Cilium CNI VXLAN", **ALL),
                one(4240, "tcp", "", "Cilium CNI health checks", **ALL),
                one(179, "tcp", "", "Calico CNI with BGP", **ALL),
                one(4789, "udp", "", "Calico CNI with VXLAN", **ALL),
                one(5473, "tcp", "", "Calico CNI with Typha", **ALL),
                one(51820, "udp", "", "Canal CNI with WireGuard IPv4", **ALL),
                row(None, None, "ipip", "", "Calico CNI with IPIP", port="N/A", **ALL),
            ],
        ),
        Role(
            "windows-specific",
            "Windows Specific",
            [
                one(4789, "udp", "", "Calico CNI with VXLAN", **ALL),
                one(10250, "tcp", "", "kubelet metrics", **ALL),
            ],
        ),
    ],
)

PAGES["rke2-cilium.md"] = Page(
    roles=[
        Role(
            "control-plane",
            "Server nodes with Cilium",
            [
                one(
                    4240,
                    "tcp",
                    "",
                    "Cilium health checks",
                    source="All nodes",
                    destination="All nodes",
                ),
                row(
                    None,
                    None,
                    "icmp",
                    "",
                    "Cilium health checks (echo request)",
                    port="8/0",
                    source="All nodes",
                    destination="All nodes",
                ),
                one(8472, "udp", "", "Cilium VXLAN", source="All nodes", destination="All nodes"),
            ],
        )
    ],
)

DRIVER = "Any node created by a node driver"
PAGES["rancher-requirements.md"] = Page(
    roles=[
        # The inbound and the outbound rules of the Rancher nodes: one role.
        Role(
            "rancher-nodes",
            "Rancher Nodes",
            [
                one(
                    80,
                    "tcp",
                    "",
                    "Rancher UI/API when TLS is terminated outside",
                    source="Load balancer/proxy doing external TLS termination",
                ),
                one(
                    443,
                    "tcp",
                    "",
                    "Rancher agent, Rancher UI/API, kubectl",
                    source="server nodes agent nodes hosted/registered Kubernetes",
                ),
                one(6443, "tcp", "", "Kubernetes API", source="K3s server nodes"),
                outbound(one(22, "tcp", "", "SSH provisioning of such nodes", destination=DRIVER)),
                outbound(one(443, "tcp", "", "Rancher catalog", destination="git.rancher.io")),
                outbound(
                    one(
                        2376,
                        "tcp",
                        "",
                        "Docker daemon TLS port used by Docker Machine",
                        destination=DRIVER,
                    )
                ),
                outbound(
                    one(
                        6443,
                        "tcp",
                        "",
                        "Kubernetes API server",
                        destination="Hosted/Imported Kubernetes API",
                    )
                ),
            ],
        ),
        Role(
            "commonly-used-ports",
            "Commonly Used Ports",
            [
                one(22, "tcp", "", "Node driver SSH provisioning"),
                one(2376, "tcp", "", "Node driver Docker daemon TLS port"),
                one(2379, "tcp", "", "etcd client requests"),
                one(2380, "tcp", "", "etcd peer communication"),
                one(8472, "udp", "", "Canal/Flannel VXLAN overlay networking"),
                one(4789, "udp", "", "Flannel VXLAN overlay networking on Windows clusters"),
                one(8443, "tcp", "", "Rancher webhook"),
                one(9099, "tcp", "", "Canal/Flannel livenessProbe/readinessProbe"),
                one(
                    9100,
                    "tcp",
                    "",
                    "Default port used by Monitoring to scrape metrics from Linux node-exporters",
                ),
                one(9443, "tcp", "", "Rancher webhook"),
                one(
                    9796,
                    "tcp",
                    "",
                    "Default port used by Monitoring to scrape metrics from Windows node-exporters",
                ),
                one(6783, "tcp", "", "Weave port"),
                row(6783, 6784, "udp", "", "Weave UDP ports"),
                one(10250, "tcp", "", "Metrics server communication with all nodes API"),
                one(10254, "tcp", "", "Ingress controller livenessProbe/readinessProbe"),
                row(30000, 32767, "tcp", "", "NodePort port range"),
                row(30000, 32767, "udp", "", "NodePort port range"),
            ],
        ),
    ],
)

PAGES["talos-network.md"] = Page(
    roles=[
        Role(
            "control-plane",
            "Control plane node(s)",
            [
                row(
                    2379,
                    2380,
                    "tcp",
                    "kube-apiserver, etcd",
                    "etcd server client API",
                ),
                one(50000, "tcp", "talosctl, control plane nodes", "apid"),
                one(50001, "tcp", "Worker nodes", "trustd"),
            ],
        ),
        Role(
            "worker",
            "Worker node(s)",
            [one(50000, "tcp", "Control plane nodes", "apid")],
        ),
        Role("kubespan", "KubeSpan", [one(51820, "udp", "All nodes", "WireGuard")]),
    ],
)

MACHINES = "Machines being provisioned"
PAGES["eks-anywhere-style.md"] = Page(
    roles=[
        Role(
            "control-plane",
            "Control plane nodes",
            [
                one(22, "tcp", "Admin machine", "SSH access"),
                one(443, "tcp", "All", "Kubernetes API server"),
                one(6443, "tcp", "All", "Kubernetes API server"),
                row(
                    2379,
                    2380,
                    "tcp",
                    "kube-apiserver, etcd",
                    "etcd server client API",
                    port_remark="etcd",
                ),
                one(
                    10250,
                    "tcp",
                    "Self, Control plane",
                    "Kubelet API",
                    port_remark="kubelet API",
                ),
                one(8472, "udp", "All nodes", "VXLAN overlay (Cilium)"),
                one(179, "tcp", "", "Cilium BGP control plane", port_remark="BGP"),
            ],
        ),
        Role(
            "worker",
            "Worker nodes",
            [
                one(22, "tcp", "Admin machine", "SSH access"),
                one(10250, "tcp", "Self, Control plane", "Kubelet API"),
                one(10256, "tcp", "Self", "kube-proxy health"),
                row(30000, 32767, "tcp", "All", "NodePort Services"),
                # The Direction cell says where each row goes; it is no extra column.
                outbound(row(1, 65535, "tcp", "All", "Egress to anywhere")),
            ],
        ),
        Role(
            "bare-metal-provisioning-tinkerbell",
            "Bare metal provisioning (Tinkerbell)",
            [
                one(67, "udp", MACHINES, "DHCP (Boots)"),
                one(69, "udp", MACHINES, "TFTP (Boots)"),
                one(80, "tcp", MACHINES, "HTTP, Hegel, Rufio"),
                one(42113, "tcp", MACHINES, "HTTP, Hegel, Rufio"),
                one(50061, "tcp", MACHINES, "HTTP, Hegel, Rufio"),
                one(514, "udp", MACHINES, "syslog"),
            ],
        ),
    ],
)

PAGES["openshift-asciidoc.html"] = Page(
    decoys=frozenset({7003}),
    roles=[
        Role(
            "ports-used-for-all-machine-to-all-machine-communications",
            "Ports used for all-machine to all-machine communications",
            [
                row(None, None, "icmp", "", "Network reachability tests", port="N/A"),
                one(1936, "tcp", "", "Metrics"),
                row(
                    9000,
                    9999,
                    "tcp",
                    "",
                    "Host level services, such as the node exporter on ports 9100-9101",
                ),
                row(10250, 10259, "tcp", "", "Default ports that Kubernetes reserves"),
                one(4789, "udp", "", "VXLAN"),
                one(6081, "udp", "", "Geneve"),
                row(30000, 32767, "tcp", "", "Kubernetes node port"),
                row(30000, 32767, "udp", "", "Kubernetes node port"),
                row(None, None, "esp", "", "IPsec Encapsulating Security Payload", port="N/A"),
            ],
        ),
        Role(
            "control-plane",
            "Ports used for all-machine to control plane communications",
            [
                one(6443, "tcp", "", "Kubernetes API"),
                row(2379, 2380, "tcp", "", "etcd server and peer ports"),
            ],
        ),
    ],
)

K0S_CC = {"direction": "controller <-> controller"}
K0S_WW = {"direction": "worker <-> worker"}
PAGES["k0s-mkdocs.html"] = Page(
    decoys=frozenset({7004}),
    roles=[
        Role(
            "required-ports-and-protocols",
            "Required ports and protocols",
            [
                one(2380, "tcp", "etcd peers", "", **K0S_CC),
                one(
                    6443,
                    "tcp",
                    "kube-apiserver",
                    "Authenticated Kube API using Kube TLS client certs, ServiceAccount "
                    "tokens with RBAC",
                    direction="worker, CLI => controller",
                ),
                one(179, "tcp", "kube-router", "BGP routing sessions between peers", **K0S_WW),
                one(4789, "udp", "Calico", "Calico VXLAN overlay", **K0S_WW),
                one(
                    10250,
                    "tcp",
                    "kubelet",
                    "Authenticated kubelet API for the controller node kube-apiserver",
                    direction="controller, worker => host *",
                ),
                one(
                    9443, "tcp", "k0s-api", "k0s controller join API, TLS with token auth", **K0S_CC
                ),
                one(
                    8132,
                    "tcp",
                    "konnectivity",
                    "Konnectivity is used as \u201creverse\u201d tunnel between kube-apiserver "
                    "and worker kubelets",
                    direction="worker <-> controller",
                ),
                # 112 is VRRP's IP protocol number, not a port: kept, never made a port.
                row(
                    None,
                    None,
                    "vrrp",
                    "keepalived",
                    "Only needed with the control plane load balancer",
                    port="112",
                    **K0S_CC,
                ),
            ],
        )
    ],
)

PAGES["sphinx-rtd.html"] = Page(
    decoys=frozenset({7005}),
    roles=[
        Role(
            "control-plane",
            "Master nodes",
            [
                one(6443, "tcp", "kube-apiserver", "Reached by every node and by kubectl"),
                row(2379, 2380, "tcp", "etcd", "Client and peer traffic"),
                one(10257, "tcp", "kube-controller-manager", ""),
            ],
        ),
        Role(
            "worker",
            "Worker Nodes (Linux)",
            [
                one(10250, "tcp", "kubelet", "Reached from the control plane"),
                row(30000, 32767, "tcp", "NodePort Services", "Default range; see NodePort"),
                row(30000, 32767, "udp", "NodePort Services", "Default range; see NodePort"),
            ],
        ),
    ],
)

PAGES["docusaurus-rendered.html"] = Page(
    roles=[
        Role(
            "control-plane",
            "Server nodes",
            [
                one(9345, "tcp", "", "RKE2 supervisor API", source="Agent nodes"),
                one(6443, "tcp", "", "Kubernetes API", source="Agent nodes"),
                one(2379, "tcp", "", "etcd client and peer ports", source="Server nodes"),
                one(2380, "tcp", "", "etcd client and peer ports", source="Server nodes"),
            ],
        ),
        Role(
            "worker",
            "Agent nodes",
            [
                one(8472, "udp", "", "Canal with VXLAN", source="All nodes"),
                one(10250, "tcp", "", "kubelet metrics", source="All nodes"),
                one(179, "tcp", "", "Calico with BGP", source="All nodes"),
                row(
                    None,
                    None,
                    "ipip",
                    "",
                    "Calico with IP-in-IP",
                    port="\u2014",
                    source="All nodes",
                ),
            ],
        ),
    ],
)

PAGES["lists-and-quotes.md"] = Page(
    release="v2.7",
    roles=[
        Role(
            "control-plane",
            "Open these ports on control-plane nodes",
            [one(6443, "tcp", "kube-apiserver"), row(2379, 2380, "tcp", "etcd")],
        ),
        Role(
            "worker",
            "Then open these ports on all worker nodes",
            [one(10250, "tcp", "kubelet"), row(30000, 32767, "tcp", "NodePorts")],
        ),
        Role(
            "load-balancer-nodes",
            "Load balancer nodes",
            [one(443, "tcp", "ingress proxy"), one(80, "tcp", "ingress proxy")],
        ),
        Role(
            "metrics-ports",
            "Metrics ports",
            [
                one(9100, "tcp", "node-exporter"),
                row(9093, 9094, "tcp", "alertmanager"),
                row(9093, 9094, "udp", "alertmanager"),
            ],
        ),
    ],
)

PAGES["tricky-cells.md"] = Page(
    roles=[
        Role(
            "control-plane",
            "Control Plane Nodes",
            [
                one(6443, "tcp", "kube-apiserver", "Kubernetes API server", source="Any"),
                one(
                    2379,
                    "tcp",
                    "etcd",
                    "etcd & its peers",
                    source="Control plane",
                    port_remark="client",
                ),
                one(
                    2380,
                    "tcp",
                    "etcd",
                    "etcd & its peers",
                    source="Control plane",
                    port_remark="peer",
                ),
                one(
                    8472,
                    "udp",
                    "flannel",
                    "Overlay | VXLAN",
                    source="All nodes",
                    port_remark="Flannel VXLAN",
                ),
                row(30000, 32767, "tcp", "kube-proxy", "NodePort Services"),
                row(30000, 32767, "udp", "kube-proxy", "NodePort Services"),
                one(9091, "tcp", "calico-node", "Felix metrics, Typha metrics"),
                one(9092, "tcp", "calico-node", "Felix metrics, Typha metrics"),
                one(
                    179, "tcp", "calico-node", "BGP peering", source="All nodes", port_remark="BGP"
                ),
                row(
                    None,
                    None,
                    "icmp",
                    "",
                    "Path MTU discovery and ping",
                    source="All nodes",
                    port="ICMP",
                ),
            ],
        ),
        Role(
            "worker",
            "Worker Nodes (Linux)",
            [
                one(10250, "tcp", "kubelet", "kubelet API"),
                one(10256, "tcp", "kube-proxy", "health check"),
                row(30000, 32767, "tcp", "NodePort Services"),
                row(30000, 32767, "udp", "NodePort Services"),
                one(8472, "udp", "flannel", "VXLAN"),
            ],
        ),
    ],
)

PAGES["section-rows.md"] = Page(
    roles=[
        Role("control-plane", "Control plane nodes", [one(9443, "tcp", "admission webhooks")]),
        Role("worker", "Worker nodes", [one(4240, "tcp", "cilium health")]),
    ],
)

PAGES["two-header-rows.md"] = Page(
    roles=[
        Role(
            "control-plane",
            "Ports opened on control plane nodes",
            [
                one(6443, "tcp", "kube-apiserver"),
                row(2379, 2380, "tcp", "etcd"),
                one(4789, "udp", "VXLAN"),
            ],
        ),
        Role(
            "worker",
            "Worker nodes",
            [
                one(10250, "tcp", "kubelet", "kubelet API"),
                row(30000, 32767, "tcp", "kube-proxy", "NodePort Services"),
            ],
        ),
    ],
)

PAGES["tight-wrappers.md"] = Page(
    roles=[
        Role(
            "control-plane",
            "Control plane nodes",
            [one(6443, "tcp", "All", "Kubernetes API server")],
        ),
        Role("worker", "Worker nodes", [row(30000, 32767, "tcp", "All", "NodePort Services")]),
    ],
)

PAGES["network-access.md"] = Page(
    roles=[
        Role(
            "network-access",
            "Network Access",
            [
                one(22, "tcp", "ssh", action="allow"),
                row(2379, 2380, "tcp", "etcd", action="allow"),
                one(6443, "tcp", "apiserver", action="allow"),
                row(9099, 9100, "tcp", "calico", action="allow"),
                one(179, "tcp", "bgp", action="allow"),
                row(30000, 32767, "tcp", "nodeport", action="allow"),
                one(53, "udp", "dns", action="allow"),
                one(5000, "tcp", "local-registry", "offline environment", action="allow"),
                row(
                    None,
                    None,
                    "ipip",
                    "ipip",
                    "Calico needs the IP-in-IP protocol",
                    action="allow",
                    protocol="IPENCAP / IPIP",
                ),
            ],
        )
    ],
)


# Inbound and outbound tables of one node kind: one role, each rule with its direction
# (the direction words are no part of the title).
PAGES["rke2-inbound-outbound.md"] = Page(
    roles=[
        Role(
            "control-plane",
            "Server nodes",
            [
                one(9345, "tcp", "", "Supervisor API (node registration)", source="Agent nodes"),
                one(6443, "tcp", "", "Kubernetes API", source="Agent nodes"),
                row(2379, 2380, "tcp", "", "etcd client and peer", source="Server nodes"),
                one(8472, "udp", "", "Flannel VXLAN", source="All nodes"),
                outbound(
                    one(443, "tcp", "", "Pulling system images", destination="Container registry")
                ),
                outbound(one(8472, "udp", "", "Flannel VXLAN", destination="All nodes")),
            ],
        ),
        Role(
            "worker",
            "Agent nodes",
            [
                one(10250, "tcp", "", "kubelet metrics", source="Server nodes"),
                row(30000, 32767, "tcp", "", "NodePort Services", source="Any"),
                outbound(
                    one(
                        9345,
                        "tcp",
                        "",
                        "Supervisor API (node registration)",
                        destination="Server nodes",
                    )
                ),
                outbound(one(6443, "tcp", "", "Kubernetes API", destination="Server nodes")),
            ],
        ),
        Role(
            "load-balancer",
            "Load balancer",
            [
                one(443, "tcp", "", "HTTPS to the ingress controller", source="Clients"),
                outbound(
                    one(443, "tcp", "", "Health checks of the API", destination="Server nodes")
                ),
            ],
        ),
        # "Ingress" alone is the Kubernetes resource, no direction.
        Role("ingress-controller", "Ingress controller", [one(80, "tcp", "", "HTTP")]),
    ],
)

PAGES["direction-column.md"] = Page(
    roles=[
        Role(
            "control-plane",
            "Control plane nodes",
            [
                one(6443, "tcp", "", "Kubernetes API server", peer="All nodes"),
                row(2379, 2380, "tcp", "", "etcd", peer="Control plane"),
                outbound(one(443, "tcp", "", "Image pulls", peer="Image registry")),
                outbound(one(123, "udp", "", "Time sync", peer="NTP servers")),
                # A cell naming no single direction is kept; the row is inbound.
                one(8472, "udp", "", "VXLAN overlay", direction="Bidirectional", peer="All nodes"),
            ],
        ),
        Role(
            "worker",
            "Worker nodes",
            [
                one(10250, "tcp", "", "kubelet API"),
                outbound(one(53, "udp", "", "DNS lookups")),
                # More than a direction: the rule is inbound and the text is kept.
                row(
                    30000,
                    32767,
                    "tcp",
                    "",
                    "NodePort Services",
                    direction="Inbound from load balancers",
                ),
            ],
        ),
    ],
)

PAGES["source-destination.html"] = Page(
    roles=[
        Role(
            "control-plane",
            "Control plane nodes",
            [
                # Source and no Destination: who connects to the node.
                one(6443, "tcp", "kube-apiserver", source="Worker nodes"),
                row(2379, 2380, "tcp", "etcd", source="Control plane nodes"),
                # Destination and no Source: where the node connects to.
                outbound(one(443, "tcp", "image pulls", destination="quay.io")),
                outbound(one(10250, "tcp", "kubelet", destination="Worker nodes")),
            ],
        ),
        Role(
            "worker",
            "Worker nodes",
            [
                # Both columns: inbound, until the "Outbound" row spanning the table.
                one(
                    10250,
                    "tcp",
                    "kubelet",
                    source="Control plane nodes",
                    destination="Worker nodes",
                ),
                outbound(
                    one(
                        6443,
                        "tcp",
                        "kube-apiserver",
                        source="Worker nodes",
                        destination="Control plane nodes",
                    )
                ),
                # The caption "Outbound traffic to the internet" names the direction, not
                # a role; the Source column does not overrule it.
                outbound(one(443, "tcp", "image pulls", source="Worker nodes")),
            ],
        ),
    ],
)


def _case(page: str, what: str) -> Any:
    return pytest.param(page, what, id=f"{page}::{what}")


@cache
def _spec(page: str) -> Spec:
    return extract_file(STYLES / page)


def _got(rules: tuple[Rule, ...] | list[Rule]) -> list[Row]:
    return [
        (r.port, r.end_port, r.protocol, r.component, r.notes, r.extras, r.direction) for r in rules
    ]


def test_every_fixture_page_has_expectations() -> None:
    on_disk = {p.name for p in STYLES.iterdir() if p.is_file()}
    assert on_disk == set(PAGES)


@pytest.mark.parametrize(("page", "what"), [_case(page, "roles") for page in PAGES])
def test_roles_ids_and_titles(page: str, what: str) -> None:
    spec = _spec(page)
    assert [(role.id, role.title) for role in spec.roles.ordered] == [
        (role.id, role.title) for role in PAGES[page].roles
    ]
    assert spec.release == PAGES[page].release


@pytest.mark.parametrize(
    ("page", "what"), [_case(page, role.id) for page in PAGES for role in PAGES[page].roles]
)
def test_role_rules(page: str, what: str) -> None:
    (expected,) = [role for role in PAGES[page].roles if role.id == what]
    spec = _spec(page)
    assert what in spec.roles, f"no role {what!r}; roles: {list(spec.roles)}"
    assert _got(spec.roles[what].rules) == expected.rules


@pytest.mark.parametrize("page", [p for p, v in PAGES.items() if v.decoys])
def test_tables_in_code_comments_and_scripts_are_not_read(page: str) -> None:
    ports = {r.port for _, r in _spec(page).rules()}
    assert ports
    assert not ports & PAGES[page].decoys


# --- regressions, each as the smallest page that shows it ---------------------------


def _rules_of(page: str) -> list[Row]:
    return _got([r for _, r in extract_text(page).rules()])


def _titles_of(page: str) -> list[tuple[str, str]]:
    return [(role.id, role.title) for role in extract_text(page).roles.ordered]


MINIMAL_RULES = [
    (
        "## Worker nodes\n\n| Protocol | Port | Notes |\n|---|---|---|\n| ICMP | 8/0 | echo |\n",
        [row(None, None, "icmp", "", "echo", port="8/0")],
        ICMP_TYPE,
    ),
    (
        "## Worker nodes\n\n| Protocol | Port | Notes |\n|---|---|---|\n| VRRP | 112 | vip |\n",
        [row(None, None, "vrrp", "", "vip", port="112")],
        VRRP_PORT,
    ),
    (
        "## Worker nodes\n\n| Port | Service |\n|---|---|\n| 6443 | api |\n{{< /table >}}\n",
        [one(6443, "tcp", "api")],
        TIGHT_WRAPPER,
    ),
    (
        "## Worker nodes\n\n:::note\n| Protocol | Port |\n|---|---|\n| TCP | 6443 |\n:::\n",
        [one(6443, "tcp")],
        TIGHT_WRAPPER,
    ),
    (
        "## Worker nodes\n\n| Port | Notes |\n|---|---|\n| 30000-32767 | NodePort\u2020 |\n"
        "\u2020 default range\n",
        [row(30000, 32767, "tcp", "", "NodePort")],
        TIGHT_WRAPPER,
    ),
    (
        "## W\n\n| Port | Service |\n|---|---|\n| **Worker nodes** | |\n| 10250 | kubelet |\n",
        [one(10250, "tcp", "kubelet")],
        SECTION_ROW_MD,
    ),
    (
        "## W\n\n| Port | Source |\n|---|---|\n| 443 | <ul><li>a</li><li>b</li></ul> |\n",
        [one(443, "tcp", source="a b")],
        LIST_IN_CELL,
    ),
    (
        "## W\n\n| Port |\n|---|\n| 2379 (client), 2380 (peer) |\n",
        [one(2379, "tcp", port_remark="client"), one(2380, "tcp", port_remark="peer")],
        PER_ITEM_REMARK,
    ),
    (
        "## W\n\n| Port |\n|---|\n| 8472 (UDP, VXLAN) |\n",
        [one(8472, "udp", port_remark="VXLAN")],
        PROTO_IN_REMARK,
    ),
]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        pytest.param(page, expected, id=f"rule{i}-{reason.split(':')[0][:40]}")
        for i, (page, expected, reason) in enumerate(MINIMAL_RULES)
    ],
)
def test_minimal_rule_regressions(page: str, expected: list[Row]) -> None:
    assert _rules_of(page) == expected


TABLE = "<table><tr><th>Port</th></tr><tr><td>22</td></tr>{}</table>"
MINIMAL_TITLES = [
    (
        '<h2 id="w">Worker nodes<a href="#w" class="hash-link">&#8203;</a></h2>\n\n'
        + TABLE.format(""),
        [("worker", "Worker nodes")],
        ZWSP,
    ),
    (
        "<table><caption>Table 3. Worker nodes</caption>"
        "<tr><th>Port</th></tr><tr><td>22</td></tr></table>\n",
        [("worker", "Worker nodes")],
        CAPTION_NUMBER,
    ),
    (
        "## Worker nodes\n\n"
        + TABLE.format('<tfoot><tr><td colspan="2">* default</td></tr></tfoot>')
        .replace("<th>Port</th>", "<th>Port</th><th>Notes</th>")
        .replace("<td>22</td>", "<td>22</td><td>ssh</td>"),
        [("worker", "Worker nodes")],
        TFOOT,
    ),
    (
        '## Nodes\n\n<table><thead><tr><th colspan="2">Worker nodes</th></tr>'
        "<tr><th>Port</th><th>Service</th></tr></thead>"
        "<tr><td>22</td><td>ssh</td></tr></table>\n",
        [("worker", "Worker nodes")],
        CAPTION_ROW,
    ),
]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        pytest.param(page, expected, id=f"title{i}-{reason.split(':')[0][:40]}")
        for i, (page, expected, reason) in enumerate(MINIMAL_TITLES)
    ],
)
def test_minimal_title_regressions(page: str, expected: list[tuple[str, str]]) -> None:
    assert _titles_of(page) == expected


def test_a_bad_port_in_a_styled_page_names_file_and_line(tmp_path: Path) -> None:
    page = tmp_path / "rke2.md"
    text = (STYLES / "rke2-cilium.md").read_text("utf-8")
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if "| 8472 |" in line)
    lines[row] = lines[row].replace("8472", "84720")
    page.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(ExtractError, match="port 84720 out of range") as info:
        extract_file(page)
    assert (info.value.path, info.value.line) == (str(page), row + 1)
