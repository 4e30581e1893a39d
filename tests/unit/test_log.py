"""``portspec log`` and konvoy_portspec.analysis.history: rule history across releases."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

import konvoy_portspec as k
from konvoy_portspec.analysis.diff import diff
from konvoy_portspec.analysis.history import (
    PRESENT,
    bundled_history,
    filter_entries,
    history,
    releases_after,
)
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


# --- one release, or the releases after one ------------------------------------------

#: The only changes across the bundled releases (see the first test): all in v2.1.
V21_CHANGES = [
    "1338/tcp control-plane Containerd: added in v2.1",
    "9100/tcp control-plane prometheus node-exporter: added in v2.1",
    "1338/tcp worker Containerd: added in v2.1",
    "9100/tcp worker prometheus node-exporter: added in v2.1",
    "9400/tcp worker NVIDIA GPU DCGM: added in v2.1",
]


@pytest.mark.parametrize("spelling", ["v2.1", "2.1"])
def test_log_release_is_what_changed_in_it_for_every_port(capsys, spelling):
    code, out, err = portspec(capsys, "log", "--release", spelling)
    assert code == 0 and err == ""
    assert out.splitlines() == V21_CHANGES


def test_log_release_without_changes(capsys):
    assert portspec(capsys, "log", "--release", "v2.0") == (0, "no changes in v2.0\n", "")
    code, out, _ = portspec(capsys, "log", "--release", "v2.2", "--port", "9400")
    assert code == 0 and out == "no rules match in v2.2\n"


def test_log_release_of_the_first_release_is_its_rules(capsys):
    code, out, _ = portspec(capsys, "log", "--release", RELEASES[0])
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == sum(len(r) for r in k.load(RELEASES[0]).roles.ordered)
    assert all(line.endswith(f"present since {RELEASES[0]}") for line in lines)


def test_log_since_is_what_changed_after_it(capsys):
    assert portspec(capsys, "log", "--since", "v2.0")[1].splitlines() == V21_CHANGES
    assert portspec(capsys, "log", "--since", "v1.5")[1].splitlines() == V21_CHANGES
    assert portspec(capsys, "log", "--since", "v2.1") == (0, "no changes after v2.1\n", "")
    # Rules that did not change after v1.5 are not listed, however old they are.
    code, out, _ = portspec(capsys, "log", "--since", "v1.5", "--port", "6443")
    assert code == 0 and out == "no rules match after v1.5\n"
    _, out, _ = portspec(capsys, "log", "--since", "latest")
    assert out == f"no changes after {RELEASES[-1]}\n"


def test_log_since_json_keeps_the_series_and_filters_entries(capsys):
    code, out, _ = portspec(capsys, "log", "--since", "v2.0", "--role", "worker", "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert data["releases"] == RELEASES
    assert [(e["release"], e["kind"], e["port"]) for e in data["entries"]] == [
        ("v2.1", "added", 1338),
        ("v2.1", "added", 9100),
        ("v2.1", "added", 9400),
    ]


def test_log_release_errors(capsys):
    code, _, err = portspec(capsys, "log", "--release", "v2.11")
    assert code == 3 and "unknown release 'v2.11'" in err and "did you mean 'v2.1'?" in err
    code, _, err = portspec(capsys, "log", "--release", "v2.1", "--since", "v2.0")
    assert code == 2 and "not allowed with" in err


def test_filter_by_releases_and_releases_after():
    entries = bundled_history()
    assert releases_after(RELEASES, "v2.0") == RELEASES[RELEASES.index("v2.1") :]
    assert releases_after(RELEASES, RELEASES[-1]) == []
    in_v21 = filter_entries(entries, releases={"v2.1"})
    assert [str(e) for e in in_v21] == V21_CHANGES
    assert filter_entries(entries, releases=set()) == []
    assert filter_entries(entries, releases=None) == entries
