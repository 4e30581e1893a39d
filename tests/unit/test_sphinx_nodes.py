"""The Sphinx extension's pure parts, without Sphinx: model -> docutils nodes, and the
release registry (bundled + user specs, memoised per file version)."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from docutils import nodes
from docutils.core import publish_from_doctree
from docutils.frontend import get_default_settings
from docutils.utils import new_document
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
    assert head is not None and body is not None
    header = [e.astext() for e in head.findall(nodes.entry)]
    rows = [[e.astext() for e in row.findall(nodes.entry)] for row in body.findall(nodes.row)]
    return (title.astext() if title is not None else ""), header, rows


def to_html(node_list: list[nodes.Node]) -> str:
    document = new_document("<test>", get_default_settings())
    for node in node_list:
        document += node
    out = publish_from_doctree(document, writer="html5")
    return out.decode() if isinstance(out, bytes) else out


def test_spec_tables_one_titled_table_per_role_with_every_rule():
    spec = k.load("v2.1")
    result = nb.spec_tables(spec)
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
    result = nb.spec_tables(spec, ["worker", "control-plane"], ("notes", "port"))
    titles = [table_cells(t)[0] for t in result]
    assert titles == ["Worker nodes", "Control-plane nodes"]
    _, header, rows = table_cells(result[0])
    assert header == ["Notes", "Port"]
    assert rows[0] == [spec.roles["worker"].rules[0].notes, spec.roles["worker"].rules[0].port_text]


def test_caption_titles_a_single_table_and_is_a_rubric_over_several():
    spec = k.load("v2.1")
    (single,) = nb.spec_tables(spec, ["worker"], caption="GPU ports")
    assert table_cells(single)[0] == "GPU ports"
    several = nb.spec_tables(spec, caption="All ports", classes=["compact"])
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
    result = nb.spec_tables(spec)
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
    (table,) = nb.diff_table(d)
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
    (table,) = nb.diff_table(d, ["worker"])
    _, _, rows = table_cells(table)
    assert {row[1] for row in rows} == {"Worker nodes"}
    assert ["added", "Worker nodes", "9400", "TCP", "NVIDIA GPU DCGM", "metrics"] in rows
    assert len(rows) == len([c for c in d.changes if c.role == "worker"])
    (para,) = nb.diff_table(diff(k.load("v2.1"), k.load("v2.2")))
    assert isinstance(para, nodes.paragraph)
    assert para.astext() == "No changes between v2.1 and v2.2."
    with pytest.raises(PortSpecError, match=r"no role 'nope' in v2\.0 or v2\.1"):
        nb.diff_table(d, ["nope"])


def test_component_ports_unique_across_roles_in_document_order():
    spec = k.load("v2.1")
    assert nb.component_ports(spec, "kubelet") == "10248/tcp, 10250/tcp"
    assert nb.component_ports(spec, "KUBELET", "worker") == "10248/tcp, 10250/tcp"
    assert nb.component_ports(spec, "calico-typha") == "5473/tcp, 9093/tcp"
    assert nb.component_ports(spec, "Kubernetes NodePorts") == "30000-32767/tcp"
    with pytest.raises(PortSpecError, match=r"no component 'calico-typha' in v2\.1/control-plane"):
        nb.component_ports(spec, "calico-typha", "control-plane")
    portless = Spec("v0", [Role("w", "W", (Rule(None, None, "icmp", "ping"),))])
    assert nb.component_ports(portless, "ping") == "icmp"


# --- registry ---------------------------------------------------------------------


def test_registry_has_the_bundled_releases_and_resolves_aliases(tmp_path):
    reg = build_registry(Memo(), [], str(tmp_path))
    assert reg.names() == k.releases()
    assert reg.resolve("2.1").release == "v2.1"
    assert reg.resolve("latest").release == k.releases()[-1]
    spec, deps = reg.load("v2.1")
    assert spec.roles == k.load("v2.1").roles
    assert deps == [reg.entries["v2.1"].path]
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
    assert list(reg.load("v2.1")[0].roles) == ["worker"]  # the user's file wins
    assert reg.resolve("latest").release == "v3.0"
    _, deps = reg.load("v1.8")
    assert sorted(deps[1:]) == sorted(
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
