"""Facts read by hand from two real Konvoy pages, typed here from the page text, not from
the extractor: v1.8 (embedded HTML ``<table>``s) and v2.1 (markdown pipe tables).

The bundled spec and a fresh extraction must both hold exactly these rows, in page
order. Neither page has a protocol column; the project's documented default is TCP.
"""

from __future__ import annotations

import pytest

import konvoy_portspec as k
from konvoy_portspec.extraction import extract_file

# (port, end_port, component, notes), as the tables list them.
V18_CONTROL_PLANE = [
    (22, 22, "Ansible", "ssh"),
    (179, 179, "calico-node", "BGP"),
    (2379, 2379, "etcd", "client"),
    (2380, 2380, "etcd", "peer"),
    (6443, 6443, "kube-apiserver", ""),
    (9091, 9091, "calico-node", "felix metrics"),
    (9092, 9092, "calico-node", "bird metrics"),
    (9099, 9099, "calico-node", "felix liveliness"),
    (10248, 10248, "kubelet", "health"),
    (10249, 10249, "kube-proxy", "metrics"),
    (10250, 10250, "kubelet", ""),
    (10256, 10256, "kube-proxy", "health"),
    (10257, 10257, "kube-controller-manager", "secure port"),
    (10259, 10259, "kube-scheduler", "secure port"),
    (30000, 32767, "Kubernetes NodePorts", ""),
]
V18_WORKER = [
    (22, 22, "Ansible", "ssh"),
    (179, 179, "calico-node", "BGP"),
    (5473, 5473, "calico-typha", "syncserver"),
    (9091, 9091, "calico-node", "felix metrics"),
    (9092, 9092, "calico-node", "bird metrics"),
    (9093, 9093, "calico-typha", "metrics"),
    (9099, 9099, "calico-node", "felix liveliness"),
    (10248, 10248, "kubelet", "health"),
    (10249, 10249, "kube-proxy", "metrics"),
    (10250, 10250, "kubelet", ""),
    (10256, 10256, "kube-proxy", "health"),
    (30000, 32767, "Kubernetes NodePorts", ""),
]
V21_CONTROL_PLANE = [
    (22, 22, "Ansible", "ssh"),
    (179, 179, "calico-node", "BGP"),
    (1338, 1338, "Containerd", "metrics"),
    (2379, 2379, "etcd", "client"),
    (2380, 2380, "etcd", "peer"),
    (6443, 6443, "kube-apiserver", ""),
    (9091, 9091, "calico-node", "felix metrics"),
    (9092, 9092, "calico-node", "bird metrics"),
    (9099, 9099, "calico-node", "felix liveliness"),
    (9100, 9100, "prometheus node-exporter", "metrics"),
    (10248, 10248, "kubelet", "health"),
    (10249, 10249, "kube-proxy", "metrics"),
    (10250, 10250, "kubelet", ""),
    (10256, 10256, "kube-proxy", "health"),
    (10257, 10257, "kube-controller-manager", "secure port"),
    (10259, 10259, "kube-scheduler", "secure port"),
    (30000, 32767, "Kubernetes NodePorts", ""),
]
V21_WORKER = [
    (22, 22, "Ansible", "ssh"),
    (179, 179, "calico-node", "BGP"),
    (1338, 1338, "Containerd", "metrics"),
    (5473, 5473, "calico-typha", "syncserver"),
    (9091, 9091, "calico-node", "felix metrics"),
    (9092, 9092, "calico-node", "bird metrics"),
    (9093, 9093, "calico-typha", "metrics"),
    (9099, 9099, "calico-node", "felix liveliness"),
    (9100, 9100, "prometheus node-exporter", "metrics"),
    (9400, 9400, "NVIDIA GPU DCGM", "metrics"),
    (10248, 10248, "kubelet", "health"),
    (10249, 10249, "kube-proxy", "metrics"),
    (10250, 10250, "kubelet", ""),
    (10256, 10256, "kube-proxy", "health"),
    (30000, 32767, "Kubernetes NodePorts", ""),
]
FACTS = {
    "v1.8": {"control-plane": V18_CONTROL_PLANE, "worker": V18_WORKER},
    "v2.1": {"control-plane": V21_CONTROL_PLANE, "worker": V21_WORKER},
}
TITLES = {"control-plane": "Control-plane nodes", "worker": "Worker nodes"}


def _rows(spec: k.Spec) -> dict[str, list[tuple[int | None, int | None, str, str]]]:
    return {
        role.id: [(r.port, r.end_port, r.component, r.notes) for r in role.rules]
        for role in spec.roles.ordered
    }


@pytest.mark.parametrize("release", sorted(FACTS))
def test_bundled_spec_holds_the_hand_read_rows(release):
    spec = k.load(release)
    assert _rows(spec) == FACTS[release]
    assert {role.id: role.title for role in spec.roles.ordered} == TITLES
    assert {r.protocol for role in spec.roles.ordered for r in role.rules} == {"tcp"}


@pytest.mark.parametrize("release", sorted(FACTS))
def test_extracting_the_page_gives_the_hand_read_rows(corpus, release):
    spec = extract_file(corpus / release / "ports.md")
    assert spec.release == release
    assert _rows(spec) == FACTS[release]
