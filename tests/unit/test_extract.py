"""The extractor on the real corpus and on pages written in other distributions' styles."""

from __future__ import annotations

import pytest

import konvoy_portspec as k
from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction import extract_file, extract_text
from tests.support import RELEASES


def _rows(spec, role):
    return [(r.port_text, r.protocol, r.component, r.notes) for r in spec.roles[role]]


@pytest.mark.parametrize("release", RELEASES)
def test_every_corpus_page_gives_the_bundled_spec(corpus, release):
    spec = extract_file(corpus / release / "ports.md")
    assert spec.release == release  # guessed from the path
    assert spec.roles == k.load(release).roles


def test_html_tables_with_blank_lines_come_out_whole(corpus):
    spec = extract_file(corpus / "v1.8" / "ports.md")
    assert _rows(spec, "control-plane")[0] == ("22", "tcp", "Ansible", "ssh")
    assert _rows(spec, "control-plane")[-1] == ("30000-32767", "tcp", "Kubernetes NodePorts", "")
    assert spec.roles["control-plane"].title == "Control-plane nodes"
    assert spec.roles["worker"].title == "Worker nodes"


def test_html_and_pipe_releases_agree(corpus):
    # v1.8 (HTML tables) and v2.0 (pipe tables) document the same ports.
    assert (
        extract_file(corpus / "v1.8" / "ports.md").roles
        == extract_file(corpus / "v2.0" / "ports.md").roles
    )


def test_every_history_revision_extracts(corpus):
    pages = sorted((corpus / "history").glob("v*/*.md"))
    assert len(pages) == 22
    for page in pages:
        spec = extract_file(page)
        assert list(spec.roles) == ["control-plane", "worker"], page
        assert spec.release == page.parent.name


def test_firewall_rules_pages_hold_no_port_table(corpus):
    with pytest.raises(ExtractError, match="no port table"):
        extract_file(corpus / "v1.8" / "firewall-rules.md")


def test_kubernetes_ports_and_protocols_page(fixtures):
    spec = extract_file(fixtures / "pages" / "kubernetes-ports.md")
    assert list(spec.roles) == ["control-plane", "worker"]
    assert spec.roles["worker"].title == "Worker node(s)"
    assert _rows(spec, "control-plane")[1] == (
        "2379-2380",
        "tcp",
        "kube-apiserver, etcd",
        "etcd server client API",
    )
    assert _rows(spec, "worker")[2:] == [
        ("30000-32767", "tcp", "All", "NodePort Services"),
        ("30000-32767", "udp", "All", "NodePort Services"),
    ]
    # The Direction column ("Inbound") is the rule's direction, not an extra column.
    assert spec.roles["worker"].rules[0].extras == {}
    assert {r.direction for _, r in spec.rules()} == {"inbound"}


def test_k3s_page_figcaption_italic_caption_and_no_leading_pipes(fixtures):
    spec = extract_file(fixtures / "pages" / "k3s-inbound.md")
    # The OS table has no port column; the fenced table is an example: both are skipped.
    assert list(spec.roles) == ["control-plane", "worker"]
    # "Inbound rules" names the direction of the rules, not the role.
    assert spec.roles["control-plane"].title == "K3s Server Nodes"
    assert spec.roles["worker"].title == "K3s agent nodes"
    assert [r.port_text for r in spec.roles["control-plane"]] == [
        "2379-2380",
        "6443",
        "8472",
        "10250",
        "51820",
        "5001",
    ]
    assert spec.roles["control-plane"].rules[0].extras == {
        "destination": "Servers",
        "source": "Servers",
    }
    icmp = spec.roles["worker"].rules[-1]
    assert (icmp.port, icmp.end_port, icmp.protocol) == (None, None, "icmp")
    assert icmp.extras["port"] == "N/A"
    assert 9999 not in {r.port for _, r in spec.rules()}


def test_rke2_html_rowspan_colspan_br_and_toml_front_matter(fixtures):
    spec = extract_file(fixtures / "pages" / "rke2-html.md")
    assert spec.release == "v1.28"
    # The page's one heading, "Inbound Network Rules", names only a direction.
    assert [(r.id, r.title) for r in spec.roles.ordered] == [("ports", "ports")]
    role = spec.roles["ports"]
    assert [(r.port_text, r.protocol) for r in role] == [
        ("9345", "tcp"),
        ("6443", "tcp"),
        ("8472", "udp"),
        ("30000-32767", "tcp"),
        ("", "ipip"),
    ]
    assert role.rules[1].extras["source"] == "RKE2 agent nodes"  # rowspan filled the gap
    assert role.rules[2].extras["destination"] == "All RKE2 nodes"  # colspan spread
    assert role.rules[4].notes == "Calico CNI with IPIP (protocol 4)"
    assert 1111 not in {r.port for r in role}  # the table inside an HTML comment


def test_rendered_html_page(fixtures):
    spec = extract_file(fixtures / "pages" / "talos.html")
    assert list(spec.roles) == ["control-plane", "worker"]
    assert spec.roles["control-plane"].title == "Control plane node"
    assert _rows(spec, "control-plane") == [
        ("2379-2380", "tcp", "kube-apiserver, etcd", "etcd client API"),
        ("50000", "tcp", "talosctl, control plane nodes", "apid"),
        ("6443", "tcp", "All", "Kubernetes API server"),
    ]
    assert spec.roles["worker"].title == "Worker nodes (Linux)"  # from <figcaption>
    ports = {r.port for _, r in spec.rules()}
    assert not ports & {7777, 8888}  # tables in <script> and <template> are not read


def test_edge_cases_bom_crlf_tabs_setext_escaped_pipes(fixtures):
    spec = extract_file(fixtures / "pages" / "edge-cases.md")
    assert spec.release == "v3.4"
    assert list(spec.roles) == ["control-plane", "worker-windows"]
    assert _rows(spec, "control-plane") == [
        ("22", "tcp", "sshd", "remote | admin"),
        ("10250", "tcp", "kubelet", "API & health"),
        ("9091", "tcp", "calico-node", "felix and bird"),
        ("9092", "tcp", "calico-node", "felix and bird"),
        ("53", "tcp", "coredns", "TCP/UDP"),
        ("8285", "tcp", "flannel", "overlay"),
        ("8285", "udp", "flannel", "overlay"),
        ("6443", "tcp", "kube-apiserver", ""),
    ]
    assert _rows(spec, "worker-windows") == [
        ("30000-32767", "tcp", "Kubernetes NodePorts", "services"),
        ("30000-32767", "udp", "Kubernetes NodePorts", "services"),
        ("8472", "udp", "flannel", "vxlan"),
    ]


def test_start_and_end_port_columns_and_protocol_in_port_cell(fixtures):
    spec = extract_file(fixtures / "pages" / "eks-anywhere.md")
    assert _rows(spec, "control-plane") == [
        ("6443", "tcp", "kube-apiserver", "All"),
        ("179", "tcp", "Cilium", "optional"),
        ("8472", "udp", "Cilium", "overlay"),
    ]
    assert spec.roles["control-plane"].rules[2].extras == {
        "name": "VXLAN",
        "port_remark": "default",
    }
    assert [(r.port_text, r.protocol) for r in spec.roles["worker"]] == [
        ("10250", "tcp"),
        ("30000-32767", "tcp"),
        ("30000-32767", "udp"),
        ("2379-2380", "tcp"),
    ]


def test_heading_stack_prefers_the_enclosing_role():
    page = "## Worker nodes\n\n### Inbound\n\n| Port | Service |\n|---|---|\n| 10250 | kubelet |\n"
    spec = extract_text(page)
    assert list(spec.roles) == ["worker"]
    assert spec.roles["worker"].title == "Worker nodes"


def test_html_headings_in_markdown_and_section_rows():
    page = """<h2>Ports</h2>

<table>
<tr><th>Port</th><th>Component</th></tr>
<tr><td colspan="2">Control plane nodes</td></tr>
<tr><td>6443</td><td>kube-apiserver</td></tr>

<tr><td colspan="2">Worker nodes</td></tr>
<tr><td>10250</td><td>kubelet</td></tr>
</table>
"""
    spec = extract_text(page)
    assert [(rid, [r.port for r in role]) for rid, role in spec.roles.items()] == [
        ("control-plane", [6443]),
        ("worker", [10250]),
    ]


def test_tables_under_the_same_role_are_joined():
    page = "## Worker nodes\n\n| Port |\n|---|\n| 1 |\n\ntext\n\n| Port |\n|---|\n| 2 |\n"
    assert [r.port for r in extract_text(page).roles["worker"]] == [1, 2]


def test_extract_api_accepts_path_text_and_bytes(corpus):
    path = corpus / "v2.1" / "ports.md"
    by_path = k.extract(path)
    by_str_path = k.extract(str(path))
    by_text = k.extract(path.read_text("utf-8"), release="v2.1")
    by_bytes = k.extract(path.read_bytes(), release="2.1")
    assert by_path == by_str_path
    assert by_path.source.sha256 == by_bytes.source.sha256  # of the bytes, either way
    assert by_text.roles == by_bytes.roles == by_path.roles
    assert by_bytes.release == "v2.1"


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        (
            "## Worker nodes\n\n| Port | C |\n|--|--|\n| 22 | a |\n| six | b |\n",
            "not a port: 'six'",
            6,
        ),
        ("## W\n\n| Port |\n|--|\n| 70000 |\n", "port 70000 out of range", 5),
        ("## W\n\n| Port |\n|--|\n| 0 |\n", "port 0 out of range", 5),
        ("## W\n\n| Port |\n|--|\n| 32767-30000 |\n", "reversed port range", 5),
        (
            "## W\n\n<table>\n<tr><td>Port</td></tr>\n\n<tr><td>seven</td></tr>\n</table>\n",
            "not a port: 'seven'",
            6,
        ),
    ],
)
def test_bad_ports_name_file_and_line(tmp_path, content, message, line):
    page = tmp_path / "ports.md"
    page.write_text(content)
    with pytest.raises(ExtractError) as info:
        extract_file(page)
    assert message in str(info.value)
    assert (info.value.path, info.value.line) == (str(page), line)
    assert str(info.value).startswith(f"{page}:{line}: ")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"## W\n\x00\x01", "NUL bytes"),
        (b"## W\n\xff\xfe caf\xe9", "not UTF-8 text"),
        (b"# Just prose\n\nNo tables here.\n", "no port table"),
        (b"| OS | Version |\n|---|---|\n| RHEL | 8 |\n", "no port table"),
        (b"```\n| Port |\n|---|\n| 22 |\n```\n", "no port table"),
        (b"<!--\n| Port |\n|---|\n| 22 |\n-->\n", "no port table"),
        (b"", "no port table"),
    ],
)
def test_unusable_files_get_one_clear_error(tmp_path, raw, message):
    page = tmp_path / "page.md"
    page.write_bytes(raw)
    with pytest.raises(ExtractError, match=message) as info:
        extract_file(page)
    assert info.value.path == str(page)


def test_release_comes_from_option_front_matter_then_path(tmp_path):
    folder = tmp_path / "docs" / "2.4" / "ports"
    folder.mkdir(parents=True)
    page = folder / "index.md"
    page.write_text("## Worker nodes\n\n| Port |\n|---|\n| 22 |\n")
    assert extract_file(page).release == "v2.4"
    assert extract_file(page, release="v9.9").release == "v9.9"
    page.write_text("---\nrelease: 2.5\n---\n## Worker nodes\n\n| Port |\n|---|\n| 22 |\n")
    assert extract_file(page).release == "v2.5"
    assert extract_text("## W\n\n| Port |\n|---|\n| 1 |\n").release == "unknown"


def test_extraction_is_byte_stable(corpus):
    first = k.dumps(extract_file(corpus / "v1.5" / "ports.md"))
    again = k.dumps(extract_file(corpus / "v1.5" / "ports.md"))
    assert first == again
    assert first.endswith("}\n") and "\r" not in first


def test_per_protocol_port_columns_and_per_item_protocols():
    page = """## Worker nodes

| Component | TCP ports | UDP ports |
|---|---|---|
| coredns | 53 | 53 |
| flannel |  | 8472 |
| calico | TCP 179, 5473 (typha) | |
| misc | 22/tcp, 53/udp | |
"""
    rules = extract_text(page).roles["worker"].rules
    assert [(r.port_text, r.protocol, r.component) for r in rules] == [
        ("53", "tcp", "coredns"),
        ("53", "udp", "coredns"),
        ("8472", "udp", "flannel"),
        ("179", "tcp", "calico"),
        ("5473", "tcp", "calico"),
        ("22", "tcp", "misc"),
        ("53", "udp", "misc"),
    ]
    assert rules[3].extras == {}  # a remark belongs to its own list item
    assert rules[4].extras == {"port_remark": "typha"}


def test_protocol_label_before_the_port():
    page = (
        "## Control plane\n\n| Port | Use |\n|---|---|\n"
        "| TCP: 6443 | API |\n| UDP: 4789 | VXLAN |\n"
    )
    assert [(r.port, r.protocol) for r in extract_text(page).roles["control-plane"]] == [
        (6443, "tcp"),
        (4789, "udp"),
    ]


def test_spanning_first_row_of_a_table_without_th_is_its_title():
    page = """## Ports

<table>
<tr><td colspan="3">Worker nodes</td></tr>
<tr><td><strong>Port</strong></td><td><strong>Component</strong></td><td>Notes</td></tr>
<tr><td>10250</td><td>kubelet</td><td></td></tr>
</table>
"""
    spec = extract_text(page)
    assert [(rid, role.title) for rid, role in spec.roles.items()] == [("worker", "Worker nodes")]
    assert [(r.port, r.component) for r in spec.roles["worker"]] == [(10250, "kubelet")]


@pytest.mark.parametrize(
    "page",
    [
        "## W\n\n| Port | Notes |\n|---|---|\n| 6443<sup>1</sup> | api<sup>[2]</sup> |\n",
        "<h2>W</h2><table><tr><th>Port</th><th>Notes</th></tr>"
        "<tr><td>6443<sup>1</sup></td><td>api<sup>*</sup></td></tr></table>",
    ],
)
def test_superscript_footnote_marks_do_not_join_the_port(page):
    assert [(r.port, r.notes) for _, r in extract_text(page).rules()] == [(6443, "api")]
