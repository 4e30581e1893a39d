"""The diff semantics (konvoy_portspec.analysis.diff) on the real corpus, the bundled spec and
hand-made specs: added/removed/changed/moved, ranges, roles, apply, speed."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

import konvoy_portspec as k
from konvoy_portspec.analysis.diff import KINDS, Change, DiffApplyError, SpecDiff, apply, diff
from konvoy_portspec.extraction import extract_file
from konvoy_portspec.model import Role, Rule, Spec

R = Rule.single

# The facts of the issue: what v2.0 -> v2.1 added, as (role, port, component).
V21_ADDED = {
    ("control-plane", 1338, "Containerd"),
    ("control-plane", 9100, "prometheus node-exporter"),
    ("worker", 1338, "Containerd"),
    ("worker", 9100, "prometheus node-exporter"),
    ("worker", 9400, "NVIDIA GPU DCGM"),
}
# The v2.1 page revisions, oldest first, and the ports each step brought.
V21_REVISIONS = [
    "2021-09-08_3eebd50c.md",
    "2021-09-08_c5a94faa.md",
    "2021-09-15_8c5fe3d2.md",
    "2021-09-21_283343db.md",
    "2021-09-24_5b819a6d.md",
]
V21_STEPS = [
    set(),
    {("control-plane", 1338, "Containerd"), ("worker", 1338, "Containerd")},
    {("worker", 9400, "NVIDIA GPU DCGM")},
    {
        ("control-plane", 9100, "prometheus node-exporter"),
        ("worker", 9100, "prometheus node-exporter"),
    },
]


def spec(release: str, **roles: tuple[Rule, ...]) -> Spec:
    return Spec(
        release, [Role(rid.replace("_", "-"), rid.title(), rules) for rid, rules in roles.items()]
    )


def triples(changes: list[Change] | SpecDiff) -> set[tuple[str, int | None, str]]:
    return {(c.role, c.port, c.component) for c in changes}


# --- the real data -------------------------------------------------------------------


def test_v18_to_v20_has_no_port_changes():
    d = diff(k.load("v1.8"), k.load("v2.0"))
    assert not d
    assert d.changes == ()
    assert d.counts() == dict.fromkeys(KINDS, 0)


def test_v20_to_v21_adds_containerd_node_exporter_and_dcgm():
    d = diff(k.load("v2.0"), k.load("v2.1"))
    assert d.counts() == {"added": 5, "removed": 0, "changed": 0, "moved": 0}
    assert triples(d) == V21_ADDED
    assert all(c.protocol == "tcp" and c.before is None and c.after is not None for c in d)


def test_reversed_the_same_ports_are_removals():
    d = diff(k.load("v2.1"), k.load("v2.0"))
    assert d.counts() == {"added": 0, "removed": 5, "changed": 0, "moved": 0}
    assert triples(d) == V21_ADDED
    assert all(c.after is None and c.before is not None for c in d)


def test_the_corpus_pages_give_the_same_diff_as_the_bundled_spec(corpus):
    old = extract_file(corpus / "v2.0" / "ports.md")
    new = extract_file(corpus / "v2.1" / "ports.md")
    assert triples(diff(old, new)) == V21_ADDED
    assert triples(diff(new, old)) == V21_ADDED
    assert diff(old, new).counts()["added"] == 5
    assert not diff(extract_file(corpus / "v1.8" / "ports.md"), old)


@pytest.mark.parametrize("step", range(len(V21_STEPS)))
def test_v21_page_revisions_show_the_steps_the_ports_arrived_in(corpus, step):
    folder = corpus / "history" / "v2.1"
    old = extract_file(folder / V21_REVISIONS[step], release="v2.1")
    new = extract_file(folder / V21_REVISIONS[step + 1], release="v2.1")
    d = diff(old, new)
    assert d.of_kind("removed", "changed", "moved") == []
    assert triples(d) == V21_STEPS[step]


def test_v21_steps_add_up_to_the_release_diff(corpus):
    steps = set().union(*V21_STEPS)
    assert steps == V21_ADDED
    first = extract_file(corpus / "history" / "v2.1" / V21_REVISIONS[0], release="v2.1")
    assert not diff(k.load("v2.0"), first)
    last = extract_file(corpus / "history" / "v2.1" / V21_REVISIONS[-1], release="v2.1")
    assert not diff(last, k.load("v2.1"))


@pytest.mark.parametrize("pair", [("v1.5", "v1.6"), ("v2.1", "v2.2"), ("v2.2", "v2.3")])
def test_identical_releases_have_no_changes(pair):
    assert not diff(k.load(pair[0]), k.load(pair[1]))


# --- semantics on hand-made specs ---------------------------------------------------


def test_moved_ports_are_one_change_each():
    old = spec(
        "a",
        control_plane=(
            R(10251, component="kube-scheduler"),
            R(10252, component="kube-controller-manager"),
        ),
    )
    new = spec(
        "b",
        control_plane=(
            R(10259, component="kube-scheduler"),
            R(10257, component="kube-controller-manager"),
        ),
    )
    d = diff(old, new)
    assert d.counts() == {"added": 0, "removed": 0, "changed": 0, "moved": 2}
    moves = {(c.component, c.before.port, c.after.port) for c in d}  # type: ignore[union-attr]
    assert moves == {("kube-scheduler", 10251, 10259), ("kube-controller-manager", 10252, 10257)}
    scheduler = next(c for c in d if c.component == "kube-scheduler")
    assert scheduler.port == 10259 and scheduler.detail == "port 10251 -> 10259"


def test_moved_detail_also_names_a_notes_change():
    old = spec("a", w=(R(10251, component="kube-scheduler", notes="insecure"),))
    new = spec("b", w=(R(10259, component="kube-scheduler", notes="secure"),))
    (change,) = diff(old, new).changes
    assert change.kind == "moved"
    assert change.detail == "port 10251 -> 10259; notes: 'insecure' -> 'secure'"


def test_a_move_needs_the_same_protocol_and_component():
    old = spec("a", w=(R(10251, component="kube-scheduler"), R(53, "udp", "dns")))
    new = spec("b", w=(R(10259, component="other"), R(54, "tcp", "dns")))
    assert diff(old, new).counts() == {"added": 2, "removed": 2, "changed": 0, "moved": 0}


def test_uneven_moves_stay_added_and_removed():
    old = spec("a", w=(R(9091, component="calico-node"), R(9092, component="calico-node")))
    new = spec("b", w=(R(9095, component="calico-node"),))
    assert diff(old, new).counts() == {"added": 1, "removed": 2, "changed": 0, "moved": 0}


def test_unnamed_rules_never_move():
    old = spec("a", w=(R(1000),))
    new = spec("b", w=(R(2000),))
    assert [(c.kind, c.port) for c in diff(old, new)] == [("removed", 1000), ("added", 2000)]


@pytest.mark.parametrize(
    ("before", "after", "word"),
    [
        ((30000, 32767), (30000, 32768), "grew"),
        ((30000, 32767), (29000, 32767), "grew"),
        ((30000, 32767), (30000, 32000), "shrank"),
        ((30000, 32767), (31000, 33000), "shifted"),
        ((10250, 10250), (10250, 10260), "grew"),
    ],
)
def test_a_range_that_grows_or_shrinks_is_one_change(before, after, word):
    old = spec("a", worker=(Rule(*before, "tcp", "NodePorts"), R(22, component="ssh")))
    new = spec("b", worker=(Rule(*after, "tcp", "NodePorts"), R(22, component="ssh")))
    (change,) = diff(old, new).changes
    assert change.kind == "changed"
    assert (change.before.port, change.before.end_port) == before  # type: ignore[union-attr]
    assert (change.port, change.end_port) == after
    old_text = Rule(*before).port_text
    new_text = Rule(*after).port_text
    assert change.detail == f"range {word} {old_text} -> {new_text}"


def test_ranges_of_other_components_or_protocols_do_not_pair():
    old = spec("a", w=(Rule(30000, 32767, "tcp", "NodePorts"), Rule(4000, 4010, "udp", "x")))
    new = spec("b", w=(Rule(30000, 32768, "tcp", "other"), Rule(4000, 4020, "tcp", "x")))
    assert diff(old, new).counts() == {"added": 2, "removed": 2, "changed": 0, "moved": 0}


def test_same_port_other_notes_or_component_is_changed():
    old = spec(
        "a", w=(R(6443, component="kube-apiserver", notes="API"), R(22, component="Ansible"))
    )
    new = spec(
        "b", w=(R(6443, component="kube-apiserver", notes="API server"), R(22, component="sshd"))
    )
    d = diff(old, new)
    assert [c.kind for c in d] == ["changed", "changed"]
    assert [c.port for c in d] == [22, 6443]  # sorted by port
    assert d.changes[0].detail == "component: 'Ansible' -> 'sshd'"
    assert d.changes[1].detail == "notes: 'API' -> 'API server'"
    assert d.changes[1].notes == "API server"


def test_extra_columns_count_as_a_change():
    old = spec("a", w=(Rule(22, 22, "tcp", "ssh", "", (("source", "any"),)),))
    new = spec("b", w=(Rule(22, 22, "tcp", "ssh", "", (("source", "bastion"),)),))
    (change,) = diff(old, new).changes
    assert change.kind == "changed" and "extra" in change.detail


def test_rule_order_alone_is_no_change():
    rules = (R(22, component="a"), R(80, component="b"), R(443, component="c"))
    assert not diff(spec("a", w=rules), spec("b", w=rules[::-1]))


def test_port_less_rules_match_by_protocol():
    icmp = Rule(None, None, "icmp", "ICMP", "echo")
    old = spec("a", w=(icmp, R(22)))
    new = spec("b", w=(icmp.replace(notes="echo request"), R(22)))
    (change,) = diff(old, new).changes
    assert change.kind == "changed" and change.port is None and change.protocol == "icmp"
    assert [c.kind for c in diff(old, spec("c", w=(R(22),)))] == ["removed"]


def test_duplicate_rows_are_counted_not_collapsed():
    old = spec("a", w=(R(22, component="ssh"),))
    new = spec("b", w=(R(22, component="ssh"), R(22, component="ssh")))
    d = diff(old, new)
    assert [c.kind for c in d] == ["added"]
    assert apply(old, d).roles["w"].rules == new.roles["w"].rules


def test_added_and_removed_roles():
    old = spec("a", worker=(R(22),), bastion=(R(22, component="sshd"), R(2222)))
    new = spec("b", gpu_worker=(R(9400, component="dcgm"),), worker=(R(22),))
    d = diff(old, new)
    assert [(c.kind, c.role) for c in d] == [
        ("added", "gpu-worker"),
        ("removed", "bastion"),
        ("removed", "bastion"),
    ]
    assert d.role_ids() == ["gpu-worker", "worker", "bastion"]
    assert d.role_title("bastion") == "Bastion"
    assert list(d.by_role()) == ["gpu-worker", "bastion"]


def test_changes_are_grouped_by_new_role_order_and_sorted_within():
    old = spec("a", b=(R(80),), a=(R(443),))
    new = spec("b", a=(R(22), R(8080, "udp"), Rule(1, 5)), b=(R(8), R(80)))
    d = diff(old, new)
    assert [(c.role, c.protocol, c.port) for c in d] == [
        ("a", "tcp", 1),
        ("a", "tcp", 22),
        ("a", "tcp", 443),
        ("a", "udp", 8080),
        ("b", "tcp", 8),
    ]
    assert [c.kind for c in d if c.role == "a"] == ["added", "added", "removed", "added"]


def test_specdiff_helpers():
    d = diff(k.load("v2.0"), k.load("v2.1"))
    assert bool(d) and len(d) == 5
    assert [c.role for c in d.by_role()["worker"]] == ["worker"] * 3
    assert d.of_kind("added") == list(d.changes)
    assert d.of_kind("removed", "moved") == []
    with pytest.raises(ValueError, match="unknown change kind"):
        d.of_kind("renamed")
    worker = d.only_role("worker")
    assert triples(worker) == {t for t in V21_ADDED if t[0] == "worker"}
    assert list(worker.old.roles) == ["worker"] == list(worker.new.roles)


def test_change_is_frozen_and_has_rule_properties():
    c = Change("added", "worker", None, Rule(30000, 32767, "tcp", "NodePorts", "n"))
    assert (c.port, c.end_port, c.protocol, c.component, c.notes) == (
        30000,
        32767,
        "tcp",
        "NodePorts",
        "n",
    )
    with pytest.raises(AttributeError):
        c.kind = "removed"  # type: ignore[misc]
    assert str(c) == "added worker 30000-32767/tcp NodePorts"


# --- apply ---------------------------------------------------------------------------


def test_apply_turns_old_into_new_for_every_release_pair():
    names = k.releases()
    for a in names:
        for b in names:
            result = apply(k.load(a), diff(k.load(a), k.load(b)))
            assert result.roles == k.load(b).roles
            assert result.release == b


def test_apply_refuses_a_diff_of_another_spec():
    d = diff(k.load("v2.1"), k.load("v2.0"))  # removes 1338 (first) and more
    with pytest.raises(DiffApplyError, match="control-plane has no rule 1338/tcp Containerd"):
        apply(k.load("v2.0"), d)
    assert isinstance(DiffApplyError("x"), k.PortSpecError)


def _sorted_roles(s: Spec) -> dict[str, list[Rule]]:
    return {
        rid: sorted(r.rules, key=lambda x: (x.key, x.component, x.notes))
        for rid, r in s.roles.items()
    }


rule_strategy = st.builds(
    Rule,
    port=st.integers(1, 40),
    end_port=st.just(None),
    protocol=st.sampled_from(["tcp", "udp"]),
    component=st.sampled_from(["", "a", "b", "c"]),
    notes=st.sampled_from(["", "x", "y"]),
).map(lambda r: r.replace(end_port=r.port + (r.port % 3 == 0) * (r.port % 7)))
roles_strategy = st.dictionaries(
    st.sampled_from(["control-plane", "worker", "gpu", "edge"]),
    st.lists(rule_strategy, max_size=12),
    max_size=4,
)


@given(roles_strategy, roles_strategy)
def test_apply_of_diff_gives_the_new_rules_and_diff_is_consistent(old_roles, new_roles):
    old = Spec("a", [Role(rid, rid, tuple(rules)) for rid, rules in old_roles.items()])
    new = Spec("b", [Role(rid, rid, tuple(rules)) for rid, rules in new_roles.items()])
    d = diff(old, new)
    result = apply(old, d)
    assert _sorted_roles(result) == {
        rid: rules for rid, rules in _sorted_roles(new).items() if rid in result.roles
    }
    assert {rid for rid in new.roles if new.roles[rid].rules} <= set(result.roles) <= set(new.roles)
    assert list(result.roles) == [rid for rid in new.roles if rid in result.roles]
    # Every change is internally consistent with its kind.
    for c in d:
        assert (c.before is None) == (c.kind == "added")
        assert (c.after is None) == (c.kind == "removed")
        if c.kind == "moved":
            assert c.before.component == c.after.component and c.before.key != c.after.key  # type: ignore[union-attr]
        if c.kind == "changed" and c.before.key != c.after.key:  # type: ignore[union-attr]
            assert c.before.overlaps(c.after)  # type: ignore[union-attr, arg-type]
    # No change without a difference, and a spec compared with itself has none.
    assert not diff(old, old) and not diff(new, new)
    before, after = _sorted_roles(old), _sorted_roles(new)
    assert bool(d) == any(before.get(r, []) != after.get(r, []) for r in {*before, *after})


@pytest.mark.slow
def test_diff_of_two_100k_rule_specs_is_fast():
    rules = [
        Rule(p % 60000 + 1, p % 60000 + 1, ("tcp", "udp")[p // 60000], f"c{p % 501}")
        for p in range(100_000)
    ]
    new = list(rules)
    for i in range(0, 100_000, 50):
        new[i] = new[i].replace(notes="changed")
    for i in range(25, 100_000, 100):
        new[i] = new[i].replace(port=new[i].port + 61000, end_port=new[i].port + 61000)
    old_spec = Spec("a", [Role("w", "W", tuple(rules))])
    new_spec = Spec("b", [Role("w", "W", tuple(new))])
    start = time.perf_counter()
    d = diff(old_spec, new_spec)
    elapsed = time.perf_counter() - start
    assert d.counts() == {"added": 0, "removed": 0, "changed": 2000, "moved": 1000}
    assert apply(old_spec, d).roles["w"].rules == new_spec.roles["w"].rules
    assert elapsed < 5, f"diff of 2 x 100,000 rules took {elapsed:.1f}s"
