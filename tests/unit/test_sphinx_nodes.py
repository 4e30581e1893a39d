"""The Sphinx extension's pure parts, without a Sphinx application: model -> docutils
nodes (stable ids, targets, data marked untranslatable), the release registry (bundled +
user specs, memoised per file version, problems as located values) and the conf.py
checks."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from docutils import nodes
from docutils.core import publish_from_doctree
from docutils.frontend import get_default_settings
from docutils.utils import new_document
from docutils.writers.html5_polyglot import Writer as Html5Writer
from konvoy_portspec_sphinx import config_check, diff_nodes, inline
from konvoy_portspec_sphinx import nodes_builder as nb
from konvoy_portspec_sphinx.registry import Memo, build_registry, read_spec

import konvoy_portspec as k
from konvoy_portspec.analysis.diff import diff
from konvoy_portspec.errors import PortSpecError, SpecFormatError, UnknownReleaseError
from konvoy_portspec.io.spec_json import dumps
from konvoy_portspec.model import Role, Rule, Spec
from tests.support import ROOTS as ROOTS_DIR

ROOTS = os.fspath(ROOTS_DIR)


def table_cells(table: nodes.table) -> tuple[str, list[str], list[list[str]]]:
    """(title, header texts, body rows) of a table built by nodes_builder."""
    title = table.next_node(nodes.title)
    head = table.next_node(nodes.thead)
    body = table.next_node(nodes.tbody)
    assert body is not None
    header = [e.astext() for e in head.findall(nodes.entry)] if head is not None else []
    rows = [[e.astext() for e in row.findall(nodes.entry)] for row in body.findall(nodes.row)]
    return (title.astext() if title is not None else ""), header, rows


def to_html(node_list: list[nodes.Node]) -> str:
    document = new_document("<test>", get_default_settings())
    for node in node_list:
        document += node
    out = publish_from_doctree(document, writer=Html5Writer())
    return out.decode() if isinstance(out, bytes) else out


def test_spec_tables_one_titled_table_per_role_with_every_rule():
    spec = k.load("v2.1")
    result = nb.spec_tables(spec).nodes
    assert [type(n) for n in result] == [nodes.table, nodes.table]
    for table, role in zip(result, spec.roles.ordered, strict=True):
        title, header, rows = table_cells(table)
        assert title == role.title
        assert header == ["Port", "Protocol", "Component", "Notes"]
        assert rows == [[r.port_text, r.protocol.upper(), r.component, r.notes] for r in role]
        assert "konvoy-ports" in table["classes"]
        tgroup = table.next_node(nodes.tgroup)
        assert tgroup["cols"] == 4
        assert len(list(tgroup.findall(nodes.colspec))) == 4
    _, _, worker_rows = table_cells(result[1])
    assert ["9400", "TCP", "NVIDIA GPU DCGM", "metrics"] in worker_rows


def test_spec_tables_roles_columns_and_order_follow_the_options():
    spec = k.load("v2.0")
    result = nb.spec_tables(spec, ["worker", "control-plane"], ("notes", "port")).nodes
    titles = [table_cells(t)[0] for t in result]
    assert titles == ["Worker nodes", "Control-plane nodes"]
    _, header, rows = table_cells(result[0])
    assert header == ["Notes", "Port"]
    assert rows[0] == [spec.roles["worker"].rules[0].notes, spec.roles["worker"].rules[0].port_text]


def test_caption_titles_a_single_table_and_is_a_rubric_over_several():
    spec = k.load("v2.1")
    (single,) = nb.spec_tables(spec, ["worker"], caption="GPU ports").nodes
    assert table_cells(single)[0] == "GPU ports"
    several = nb.spec_tables(spec, caption="All ports", classes=["compact"]).nodes
    assert isinstance(several[0], nodes.rubric) and several[0].astext() == "All ports"
    assert [table_cells(t)[0] for t in several[1:]] == ["Control-plane nodes", "Worker nodes"]
    assert all("compact" in t["classes"] for t in several[1:])


def test_unknown_role_or_column_is_a_portspec_error_naming_what_exists():
    spec = k.load("v2.1")
    with pytest.raises(PortSpecError, match=r"no role 'gpu' in v2\.1; roles: control-plane"):
        nb.spec_tables(spec, ["gpu"])
    with pytest.raises(PortSpecError, match="unknown column 'direction'; columns: port,"):
        nb.parse_columns("port, direction")
    with pytest.raises(PortSpecError, match="unknown column"):
        nb.spec_tables(spec, columns=("port", "bogus"))


def test_option_lists_accept_commas_and_spaces():
    assert nb.split_list(" worker,control-plane  gpu ") == ["worker", "control-plane", "gpu"]
    assert nb.split_list(None) == []
    assert nb.parse_columns(None) == nb.COLUMNS
    assert nb.parse_columns("Notes port notes") == ("notes", "port")


def test_cell_text_is_literal_even_with_markup_and_html():
    nasty = "<script>alert(1)</script> | `tick` *emph* :ref:`x` |sub| & \\"
    spec = Spec(
        "v0.1",
        [Role("worker", "Worker <i>nodes</i>", (Rule.single(80, component=nasty, notes=nasty),))],
    )
    result = nb.spec_tables(spec).nodes
    title, _, rows = table_cells(result[0])
    assert title == "Worker <i>nodes</i>"
    assert rows[0][2:] == [nasty, nasty]
    html = to_html(result)
    assert "<script>" not in html and "<i>nodes" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | `tick` *emph* :ref:`x` |sub| &amp; \\" in html


def _spec(release: str, *rules: Rule, role: str = "control-plane") -> Spec:
    return Spec(release, [Role(role, "Control-plane nodes", tuple(rules))])


def test_diff_table_shows_kind_role_title_and_before_after_for_changes():
    old = _spec(
        "v1",
        Rule.single(22, component="sshd", notes="ssh"),
        Rule.single(10251, component="kube-scheduler"),
        Rule(30000, 32767, component="NodePorts"),
        Rule.single(9999, component="gone"),
    )
    new = _spec(
        "v2",
        Rule.single(22, component="sshd", notes="ssh (Ansible)"),
        Rule.single(10259, component="kube-scheduler"),
        Rule(30000, 32768, component="NodePorts"),
        Rule.single(443, protocol="udp", component="quic"),
    )
    d = diff(old, new)
    (table,) = diff_nodes.diff_table(d)
    title, header, rows = table_cells(table)
    assert title == "Changes from v1 to v2"
    assert header == ["Change", "Role", "Port", "Protocol", "Component", "Notes"]
    assert len(rows) == len(d.changes) == 5
    assert ["changed", "Control-plane nodes", "22", "TCP", "sshd", "ssh -> ssh (Ansible)"] in rows
    assert [
        "changed",
        "Control-plane nodes",
        "30000-32767 -> 30000-32768",
        "TCP",
        "NodePorts",
        "",
    ] in rows
    assert ["moved", "Control-plane nodes", "10251 -> 10259", "TCP", "kube-scheduler", ""] in rows
    assert ["added", "Control-plane nodes", "443", "UDP", "quic", ""] in rows
    assert ["removed", "Control-plane nodes", "9999", "TCP", "gone", ""] in rows
    assert "konvoy-ports-diff" in table["classes"]


def test_diff_table_filters_roles_and_says_when_nothing_changed():
    d = diff(k.load("v2.0"), k.load("v2.1"))
    (table,) = diff_nodes.diff_table(d, ["worker"])
    _, _, rows = table_cells(table)
    assert {row[1] for row in rows} == {"Worker nodes"}
    assert ["added", "Worker nodes", "9400", "TCP", "NVIDIA GPU DCGM", "metrics"] in rows
    assert len(rows) == len([c for c in d.changes if c.role == "worker"])
    (empty,) = diff_nodes.diff_table(diff(k.load("v2.1"), k.load("v2.2")))
    title, header, rows = table_cells(empty)
    assert (title, header, rows) == (
        "Changes from v2.1 to v2.2",
        [],
        [["No changes between v2.1 and v2.2."]],
    )
    with pytest.raises(PortSpecError, match=r"no role 'nope' in v2\.0 or v2\.1"):
        diff_nodes.diff_table(d, ["nope"])


def test_component_ports_unique_across_roles_in_document_order():
    spec = k.load("v2.1")
    assert inline.component_ports(spec, "kubelet") == "10248/tcp, 10250/tcp"
    assert inline.component_ports(spec, "KUBELET", "worker") == "10248/tcp, 10250/tcp"
    assert inline.component_ports(spec, "calico-typha") == "5473/tcp, 9093/tcp"
    assert inline.component_ports(spec, "Kubernetes NodePorts") == "30000-32767/tcp"
    with pytest.raises(PortSpecError, match=r"no component 'calico-typha' in v2\.1/control-plane"):
        inline.component_ports(spec, "calico-typha", "control-plane")
    portless = Spec("v0", [Role("w", "W", (Rule(None, None, "icmp", "ping"),))])
    assert inline.component_ports(portless, "ping") == "icmp"


# --- registry ---------------------------------------------------------------------


def test_registry_has_the_bundled_releases_and_resolves_aliases(tmp_path):
    reg = build_registry(Memo(), [], str(tmp_path))
    assert reg.names() == k.releases()
    assert reg.resolve("2.1").release == "v2.1"
    assert reg.resolve("latest").release == k.releases()[-1]
    spec = reg.load("v2.1")
    assert spec.roles == k.load("v2.1").roles
    assert reg.entries["v2.1"].bundled
    with pytest.raises(UnknownReleaseError, match=r"known releases: v1\.5"):
        reg.resolve("v9.9")


def test_user_specs_add_and_override_releases_by_their_release_field(tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    worker_only = k.load("v2.1").roles["worker"]
    (folder / "anything.json").write_text(dumps(Spec("v2.1", [worker_only])))
    (folder / "new.json").write_text(dumps(Spec("v3.0", [worker_only])))
    (folder / "notes.txt").write_text("not a spec, not read")
    single = tmp_path / "single.json"
    single.write_text(dumps(Spec("v0.5", [worker_only])))
    reg = build_registry(Memo(), ["specs", "single.json"], str(tmp_path))
    assert reg.problems == []
    assert reg.names()[0] == "v0.5" and reg.names()[-1] == "v3.0"
    assert list(reg.load("v2.1").roles) == ["worker"]  # the user's file wins
    assert reg.resolve("latest").release == "v3.0"
    assert sorted(reg.user_files) == sorted(
        [str(folder / "anything.json"), str(folder / "new.json"), str(single)]
    )


def test_bad_user_specs_are_collected_as_problems_with_file_names(tmp_path):
    (tmp_path / "broken.json").write_text('{\n  "release": \n')
    (tmp_path / "invalid.json").write_text(json.dumps({"schema_version": 1, "release": "x"}))
    reg = build_registry(Memo(), ["broken.json", "invalid.json", "missing"], str(tmp_path))
    messages = [str(p) for p in reg.problems]
    assert len(messages) == 3
    assert messages[0].startswith(f"{tmp_path / 'broken.json'}:3: not valid JSON")
    assert str(tmp_path / "invalid.json") in messages[1] and "not a valid port spec" in messages[1]
    assert "missing" in messages[2] and "no such file or directory" in messages[2]
    assert reg.names() == k.releases()


def test_memo_rereads_a_file_whose_mtime_or_size_changed(tmp_path):
    path = tmp_path / "s.json"
    shutil.copy(os.path.join(ROOTS, "test-ports-rst", "specs", "override-v2.3.json"), path)
    memo = Memo()
    first = read_spec(memo, str(path), check=True)
    assert read_spec(memo, str(path), check=True) is first  # memoised
    data = json.loads(path.read_text())
    data["roles"][0]["ports"][0]["notes"] = "edited"
    path.write_text(json.dumps(data))
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = read_spec(memo, str(path), check=True)
    assert second is not first
    assert second.roles["worker"].rules[0].notes == "edited"
    path.write_text("{")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000))
    with pytest.raises(SpecFormatError, match="not valid JSON"):
        read_spec(memo, str(path), check=True)


# --- ids, targets, columns, translation marks -------------------------------------


def test_tables_and_rows_have_stable_ids_from_release_role_and_port():
    spec = k.load("v2.1")
    control, worker = nb.spec_tables(spec).nodes
    assert control["ids"] == ["konvoy-v2-1-control-plane"]
    assert worker["ids"] == ["konvoy-v2-1-worker"]
    row_ids = [row["ids"] for row in worker.next_node(nodes.tbody).findall(nodes.row)]
    assert len(row_ids) == len(spec.roles["worker"].rules)
    assert ["konvoy-v2-1-worker-10250-tcp"] in row_ids
    assert ["konvoy-v2-1-worker-30000-32767-tcp"] in row_ids
    # the same ids whatever else the directive shows, and in whichever order
    (only,) = nb.spec_tables(spec, ["worker"], caption="x").nodes
    assert only["ids"] == ["konvoy-v2-1-worker"]
    portless = Spec("v0.9", [Role("worker", "W", (Rule(None, None, "icmp", "ping"),))])
    (table,) = nb.spec_tables(portless).nodes
    assert table.next_node(nodes.tbody).next_node(nodes.row)["ids"] == ["konvoy-v0-9-worker-icmp"]


def test_claim_decides_the_final_ids():
    taken = {"konvoy-v2-1-worker"}

    def claim(wanted: str) -> str:
        return wanted + "-2" if wanted in taken else wanted

    (table,) = nb.spec_tables(k.load("v2.1"), ["worker"], claim=claim).nodes
    assert table["ids"] == ["konvoy-v2-1-worker-2"]
    first_row = table.next_node(nodes.tbody).next_node(nodes.row)
    assert first_row["ids"] == ["konvoy-v2-1-worker-2-22-tcp"]


def test_targets_name_roles_components_and_ports_release_wide_and_per_role():
    rendered = nb.spec_tables(k.load("v2.1"))
    found = {(t.objtype, t.name): t.anchor for t in rendered.targets}
    assert found[("role", "v2.1/worker")] == "konvoy-v2-1-worker"
    # kubelet is first listed on 10248 in the control-plane table (v2.1's first role)
    assert found[("component", "v2.1/kubelet")] == "konvoy-v2-1-control-plane-10248-tcp"
    assert found[("component", "v2.1/worker/kubelet")] == "konvoy-v2-1-worker-10248-tcp"
    assert found[("component", "v2.1/NVIDIA GPU DCGM")] == "konvoy-v2-1-worker-9400-tcp"
    assert found[("port", "v2.1/10250/tcp")] == "konvoy-v2-1-control-plane-10250-tcp"
    assert found[("port", "v2.1/worker/10250/tcp")] == "konvoy-v2-1-worker-10250-tcp"
    release_wide = [t for t in rendered.targets if not t.by_role]
    assert len({(t.objtype, t.name) for t in release_wide}) == len(release_wide)


def test_spec_text_is_data_the_authors_caption_is_not():
    spec = k.load("v2.1")
    (table,) = nb.spec_tables(spec, ["worker"]).nodes
    texts = [n for n in table.findall(nodes.TextElement)]
    assert texts and all(n.get("translatable") is False for n in texts)
    (captioned,) = nb.spec_tables(spec, ["worker"], caption="Worker ports").nodes
    title = captioned.next_node(nodes.title)
    assert title.astext() == "Worker ports" and title.get("translatable", True) is True
    (changes,) = diff_nodes.diff_table(diff(k.load("v2.0"), spec))
    assert changes.next_node(nodes.title).get("translatable") is False


def test_columns_can_show_the_specs_extra_columns():
    rules = (
        Rule(443, 443, "tcp", "api", "", (("source", "10.0.0.0/8"),)),
        Rule(80, 80, "tcp", "web", "", ()),
    )
    spec = Spec("v0.1", [Role("worker", "Worker nodes", rules)])
    extras = nb.extra_columns(spec.roles.ordered)
    assert extras == ["source"]
    columns = nb.parse_columns("port, Source", extras)
    (table,) = nb.spec_tables(spec, columns=columns).nodes
    _, header, rows = table_cells(table)
    assert header == ["Port", "Source"]
    assert rows == [["443", "10.0.0.0/8"], ["80", ""]]
    with pytest.raises(PortSpecError, match=r"unknown column 'dest'.*extra columns: source"):
        nb.parse_columns("port dest", extras)


def test_empty_diff_keeps_caption_classes_and_id():
    d = diff(k.load("v2.1"), k.load("v2.2"))
    (table,) = diff_nodes.diff_table(d, caption="Nothing new", classes=["wide"])
    title, _, rows = table_cells(table)
    assert title == "Nothing new" and rows == [["No changes between v2.1 and v2.2."]]
    assert {"konvoy-ports-diff", "konvoy-ports-diff-empty", "wide"} <= set(table["classes"])
    assert table["ids"] == ["konvoy-diff-v2-1-v2-2"]
    (scoped,) = diff_nodes.diff_table(d, ["worker"])
    assert table_cells(scoped)[2] == [["No changes between v2.1 and v2.2 (worker)."]]


def test_component_title_names_release_and_roles():
    spec = k.load("v2.1")
    assert (
        inline.component_title(spec, "kubelet")
        == "v2.1, Control-plane nodes, Worker nodes: kubelet"
    )
    assert inline.component_title(spec, "nvidia gpu dcgm") == "v2.1, Worker nodes: NVIDIA GPU DCGM"
    assert inline.component_title(spec, "kubelet", "worker") == "v2.1, Worker nodes: kubelet"


# --- registry: located problems, duplicates, fingerprints --------------------------


def _spec_text(release: str, port: int = 80) -> str:
    """A user spec whose "release" is on line 4 and whose port is on line 10."""
    return (
        "{\n"
        '  "schema_version": 1,\n'
        '  "product": "konvoy",\n'
        f'  "release": "{release}",\n'
        '  "roles": [\n'
        "    {\n"
        '      "id": "worker",\n'
        '      "title": "Worker nodes",\n'
        '      "ports": [\n'
        f'        {{"port": {port}, "end_port": {port}, "protocol": "tcp",'
        ' "component": "web", "notes": ""}\n'
        "      ]\n"
        "    }\n"
        "  ]\n"
        "}\n"
    )


def test_schema_problems_are_located_at_the_file_and_line(tmp_path):
    (tmp_path / "big.json").write_text(_spec_text("v7.0", port=70000))
    reg = build_registry(Memo(), ["big.json"], str(tmp_path))
    (problem,) = reg.problems
    assert problem.path == str(tmp_path / "big.json") and problem.line == 10
    assert "port 70000 is out of range 1-65535" in problem.message
    assert problem.location == f"{tmp_path / 'big.json'}:10"


def test_one_release_in_two_user_files_is_a_problem_naming_both(tmp_path):
    folder = tmp_path / "ports"
    folder.mkdir()
    (folder / "a.json").write_text(_spec_text("v5.0", port=80))
    (folder / "b.json").write_text(_spec_text("5.0", port=81))
    reg = build_registry(Memo(), ["ports"], str(tmp_path))
    (problem,) = reg.problems
    assert (problem.path, problem.line) == (str(folder / "b.json"), 4)
    assert str(folder / "a.json") in problem.message and "v5.0" in problem.message
    assert reg.load("v5.0").roles["worker"].rules[0].port == 81  # the later file is used
    # one file named twice (itself and its folder) is no conflict
    again = build_registry(Memo(), ["ports/a.json", "ports"], str(tmp_path))
    assert [p.path for p in again.problems] == [str(folder / "b.json")]


def test_a_missing_path_names_the_setting_that_lists_it(tmp_path):
    reg = build_registry(Memo(), ["nowhere"], str(tmp_path))
    (problem,) = reg.problems
    assert problem.setting == "portspec_spec_paths" and problem.path is None
    assert str(tmp_path / "nowhere") in problem.message


def test_fingerprints_change_exactly_when_what_a_name_means_changes(tmp_path):
    folder = tmp_path / "ports"
    folder.mkdir()
    memo = Memo()
    before = build_registry(memo, ["ports"], str(tmp_path))
    names = ("v2.1", "latest", "v2.5", "2.5")
    old = {n: before.fingerprint(n) for n in names}
    assert old["v2.5"] is None and old["latest"][0] == k.releases()[-1]
    (folder / "v2.5.json").write_text(_spec_text("v2.5"))
    after = build_registry(memo, ["ports"], str(tmp_path))
    new = {n: after.fingerprint(n) for n in names}
    assert new["v2.1"] == old["v2.1"]
    assert new["v2.5"] == new["2.5"] == new["latest"] != old["latest"]
    assert new["v2.5"][:2] == ("v2.5", str(folder / "v2.5.json"))
    (folder / "v2.5.json").write_text(_spec_text("v2.5", port=8080))
    os.utime(folder / "v2.5.json", ns=(1, 2_000_000_000))
    edited = build_registry(memo, ["ports"], str(tmp_path))
    assert edited.fingerprint("v2.5") != new["v2.5"]
    assert edited.fingerprint("v2.1") == old["v2.1"]


# --- conf.py values ----------------------------------------------------------------


def test_default_release_numbers_are_read_as_names_with_a_problem():
    assert config_check.coerce_default_release("v2.1") == ("v2.1", None)
    assert config_check.coerce_default_release(" 2.1 ") == ("2.1", None)
    value, problem = config_check.coerce_default_release(2.1)
    assert value == "2.1" and problem and "float" in problem and '"2.1"' in problem
    value, problem = config_check.coerce_default_release(3)
    assert value == "3" and problem
    for bad in (None, True, ["v2.1"], float("nan")):
        value, problem = config_check.coerce_default_release(bad)
        assert value == "" and problem and "ignored" in problem


def test_spec_paths_a_single_path_becomes_a_list_and_non_paths_are_dropped(tmp_path):
    assert config_check.coerce_spec_paths(["a", tmp_path]) == (["a", str(tmp_path)], None)
    assert config_check.coerce_spec_paths(("a",)) == (["a"], None)
    value, problem = config_check.coerce_spec_paths("ports")
    assert value == ["ports"] and problem and "['ports']" in problem
    value, problem = config_check.coerce_spec_paths(["ports", 3, None])
    assert value == ["ports"] and problem and "3 (int)" in problem and "None" in problem
    value, problem = config_check.coerce_spec_paths({"ports": 1})
    assert value == [] and problem and "dict" in problem


def test_setting_location_is_the_last_assignment_in_conf_py(tmp_path):
    (tmp_path / "conf.py").write_text(
        'project = "x"\n'
        "portspec_default_release = 2.0\n"
        "if portspec_default_release == 2.0:\n"
        "    portspec_default_release: float = 2.1\n"
    )
    conf = str(tmp_path / "conf.py")
    assert config_check.setting_location(tmp_path, "portspec_default_release") == (conf, 4)
    assert config_check.setting_location(tmp_path, "portspec_spec_paths") == (conf, None)
    assert config_check.setting_location(None, "portspec_spec_paths") == (None, None)
