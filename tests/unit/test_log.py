"""``portspec log`` and konvoy_portspec.analysis.history: rule history across releases."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

import konvoy_portspec as k
from konvoy_portspec.analysis.diff import diff
from konvoy_portspec.analysis.history import PRESENT, bundled_history, filter_entries, history
from konvoy_portspec.cli import run
from konvoy_portspec.model import Role, Rule, Spec
from tests.support import RELEASES

R = Rule.single


def portspec(capsys, *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_history_is_present_rules_then_consecutive_diffs():
    entries = bundled_history()
    first = k.load(RELEASES[0])
    present = [e for e in entries if e.kind == PRESENT]
    assert len(present) == sum(len(r) for r in first.roles.ordered)
    assert all(e.release == RELEASES[0] for e in present)
    expected = sum(len(diff(k.load(a), k.load(b))) for a, b in pairwise(RELEASES))
    assert len(entries) - len(present) == expected
    changes = [e for e in entries if e.kind != PRESENT]
    assert {(e.kind, e.release, e.role, e.rule.port) for e in changes} == {
        ("added", "v2.1", "control-plane", 1338),
        ("added", "v2.1", "control-plane", 9100),
        ("added", "v2.1", "worker", 1338),
        ("added", "v2.1", "worker", 9100),
        ("added", "v2.1", "worker", 9400),
    }
    # Oldest first: entries never go back to an earlier release.
    order = [RELEASES.index(e.release) for e in entries]
    assert order == sorted(order)


def test_log_port_9400(capsys):
    code, out, err = portspec(capsys, "log", "--port", "9400")
    assert code == 0 and err == ""
    assert out == "9400/tcp worker NVIDIA GPU DCGM: added in v2.1\n"


def test_log_present_since_first_release(capsys):
    code, out, _ = portspec(capsys, "log", "--port", "6443")
    assert code == 0
    assert out == "6443/tcp control-plane kube-apiserver: present since v1.5\n"


def test_log_port_inside_a_range(capsys):
    _, out, _ = portspec(capsys, "log", "--port", "31000", "--role", "worker")
    assert out == "30000-32767/tcp worker Kubernetes NodePorts: present since v1.5\n"


def test_log_component_is_case_insensitive_substring(capsys):
    _, out, _ = portspec(capsys, "log", "--component", "CONTAINERD")
    assert out.splitlines() == [
        "1338/tcp control-plane Containerd: added in v2.1",
        "1338/tcp worker Containerd: added in v2.1",
    ]
    _, out, _ = portspec(capsys, "log", "--component", "node-exporter", "--role", "control-plane")
    assert out.splitlines() == ["9100/tcp control-plane prometheus node-exporter: added in v2.1"]


def test_log_whole_history_is_ordered_and_complete(capsys):
    _, out, _ = portspec(capsys, "log")
    lines = out.splitlines()
    assert len(lines) == len(bundled_history())
    assert lines[0].endswith("present since v1.5")
    assert lines[-1] == "9400/tcp worker NVIDIA GPU DCGM: added in v2.1"


def test_log_json(capsys):
    code, out, _ = portspec(capsys, "log", "--port", "1338", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["releases"] == RELEASES
    assert [
        (e["release"], e["kind"], e["role"], e["port"], e["component"]) for e in data["entries"]
    ] == [
        ("v2.1", "added", "control-plane", 1338, "Containerd"),
        ("v2.1", "added", "worker", 1338, "Containerd"),
    ]


def test_log_no_match_and_errors(capsys):
    code, out, _ = portspec(capsys, "log", "--port", "1")
    assert code == 0 and out == "no rules match (v1.5..v2.3)\n"
    code, _, err = portspec(capsys, "log", "--role", "gpu")
    assert code == 3 and "no role 'gpu' in any release; roles: control-plane, worker" in err
    assert portspec(capsys, "log", "--port", "http")[0] == 2
    assert portspec(capsys, "log", "--port", "70000")[0] == 2


def test_history_of_moves_changes_and_removals():
    def spec(release, *rules):
        return Spec(release, [Role("control-plane", "CP", rules)])

    specs = [
        spec(
            "v1",
            R(10251, component="kube-scheduler"),
            Rule(30000, 32767, "tcp", "NodePorts"),
            R(2379, component="etcd"),
        ),
        spec(
            "v2",
            R(10259, component="kube-scheduler"),
            Rule(30000, 32767, "tcp", "NodePorts"),
            R(2379, component="etcd"),
        ),
        spec(
            "v3",
            R(10259, component="kube-scheduler"),
            Rule(30000, 32768, "tcp", "NodePorts"),
            R(2379, component="etcd"),
        ),
        spec(
            "v4",
            R(10259, component="kube-scheduler", notes="secure"),
            Rule(30000, 32768, "tcp", "NodePorts"),
        ),
    ]
    entries = history(specs)
    changes = [str(e) for e in entries if e.kind != PRESENT]
    assert changes == [
        "10251->10259/tcp control-plane kube-scheduler: moved in v2 (port 10251 -> 10259)",
        "30000-32768/tcp control-plane NodePorts: changed in v3"
        " (range grew 30000-32767 -> 30000-32768)",
        "2379/tcp control-plane etcd: removed in v4",
        "10259/tcp control-plane kube-scheduler: changed in v4 (notes: '' -> 'secure')",
    ]
    # Filters see both sides of a move: the old port finds it, and so does the new one.
    assert [e.kind for e in filter_entries(entries, port=10251)] == [PRESENT, "moved"]
    assert [e.kind for e in filter_entries(entries, port=10259)] == ["moved", "changed"]
    moved = filter_entries(entries, port=10251)[1].to_dict()
    assert moved["before"]["port"] == 10251 and moved["after"]["port"] == 10259
    assert history([]) == []


@pytest.mark.parametrize("role", ["worker", "control-plane"])
def test_history_role_filter(role):
    entries = filter_entries(bundled_history(), role=role)
    assert entries and all(e.role == role for e in entries)
