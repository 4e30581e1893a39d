"""Port, protocol and header cells, titles and template markup as real docs write them."""

from __future__ import annotations

import pytest

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction import cells, headers, markup, titles


@pytest.mark.parametrize(
    ("raw", "ranges", "protocols"),
    [
        ("22", ((22, 22),), ()),
        ("`22`", ((22, 22),), ()),
        ("2379-2380", ((2379, 2380),), ()),
        ("30000–32767", ((30000, 32767),), ()),
        ("30000 — 32767", ((30000, 32767),), ()),
        ("30000:32767", ((30000, 32767),), ()),
        ("30000 to 32767", ((30000, 32767),), ()),
        ("30000- 32767", ((30000, 32767),), ()),  # <br> inside a range
        ("10250/TCP", ((10250, 10250),), ("tcp",)),
        ("8472 (UDP)", ((8472, 8472),), ("udp",)),
        ("9091, 9092", ((9091, 9091), (9092, 9092)), ()),
        ("9091 and 9092", ((9091, 9091), (9092, 9092)), ()),
        ("TCP/UDP 53", ((53, 53),), ("tcp", "udp")),
        ("53 (TCP/UDP)", ((53, 53),), ("tcp", "udp")),
        ("TCP 179", ((179, 179),), ("tcp",)),
        ("6443*", ((6443, 6443),), ()),
        ("6443†", ((6443, 6443),), ()),
        ("6443[1]", ((6443, 6443),), ()),
        ("Port 22", ((22, 22),), ()),
        ("65535", ((65535, 65535),), ()),
        ("1", ((1, 1),), ()),
    ],
)
def test_port_cells(raw, ranges, protocols):
    cell = cells.parse_port_cell(raw)
    assert cell.ranges == ranges
    assert cell.protocols == protocols


def test_remark_in_parentheses_is_kept_apart():
    cell = cells.parse_port_cell("UDP 4789 (default)")
    assert (cell.ranges, cell.protocols, cell.remark) == (((4789, 4789),), ("udp",), "default")


@pytest.mark.parametrize(
    ("raw", "protocols"),
    [
        ("N/A", ()),
        ("n/a", ()),
        ("-", ()),
        ("ICMP", ("icmp",)),
        ("IP-in-IP", ("ipip",)),
        ("", ()),
        ("Any", ()),
    ],
)
def test_cells_without_a_port_number_are_port_less(raw, protocols):
    cell = cells.parse_port_cell(raw)
    assert not cell.has_ports
    assert cell.protocols == protocols


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("six", "not a port: 'six'"),
        ("70000", "port 70000 out of range"),
        ("0", "port 0 out of range"),
        ("32767-30000", "reversed port range 32767-30000"),
        ("22-99999", "port 99999 out of range"),
        # A number word alone, or the only words of an item, is a port written wrong.
        ("seven", "not a port: 'seven'"),
        ("22 or six", "not a port: 'six'"),
        ("Twenty two", "not a port: 'Twenty'"),
        # Digits glued to letters are a typo, not prose.
        ("22a", "not a port: '22a'"),
        ("6443tcp", "not a port: '6443tcp'"),
        # Prose does not hide a bad number in it.
        ("usually 70000", "port 70000 out of range"),
        ("TCP 2380-2379 but may differ", "reversed port range 2380-2379"),
        ("protocol number 99", "unknown IP protocol number 99"),
    ],
)
def test_bad_port_cells_are_errors(raw, message):
    with pytest.raises(ExtractError, match=message.replace("(", r"\(")):
        cells.parse_port_cell(raw)


@pytest.mark.parametrize(
    ("raw", "protocols", "rest"),
    [
        ("TCP", ("tcp",), ""),
        ("udp", ("udp",), ""),
        ("TCP/UDP", ("tcp", "udp"), ""),
        ("TCP & UDP", ("tcp", "udp"), ""),
        ("Both", ("tcp", "udp"), ""),
        ("SCTP", ("sctp",), ""),
        ("HTTPS", ("tcp",), "HTTPS"),
        ("IP-in-IP", ("ipip",), ""),
        ("carrier pigeon", (), "carrier pigeon"),
    ],
)
def test_protocol_cells(raw, protocols, rest):
    assert cells.parse_protocol_cell(raw) == (protocols, rest)


@pytest.mark.parametrize(
    ("raw", "protocols", "rest"),
    [
        ("IP protocol 4", ("ipip",), ""),
        ("protocol number 47", ("gre",), ""),
        ("VRRP (protocol 112)", ("vrrp",), ""),
    ],
)
def test_protocol_cells_name_protocols_by_number(raw, protocols, rest):
    # The numbers are IANA's (protocols.py): 4 IP-in-IP, 47 GRE, 112 VRRP.
    assert cells.parse_protocol_cell(raw) == (protocols, rest)


# --- prose in port cells ----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["Provider dependent", "set by your cloud", "Configurable; see the Helm chart", "IPv4 only"],
)
def test_a_port_cell_in_prose_is_a_port_less_cell_marked_as_prose(raw):
    cell = cells.parse_port_cell(raw)
    assert cell.prose
    assert not cell.has_ports and cell.protocols == ()
    assert cell.raw == raw
    assert not cells.is_port_text(raw)


@pytest.mark.parametrize("raw", ["N/A", "Any", "-", "", "ICMP", "ICMP echo", "22", "usually 22"])
def test_no_port_words_protocols_and_ports_are_not_prose(raw):
    assert not cells.parse_port_cell(raw).prose
    assert cells.is_port_text(raw)


@pytest.mark.parametrize(
    ("raw", "entries"),
    [
        ("usually UDP 8472", ((8472, 8472, ("udp",), "usually"),)),
        ("TCP 2379 but may differ", ((2379, 2379, ("tcp",), "but may differ"),)),
        (
            "Often TCP 443 or 6443*",
            ((443, 443, ("tcp",), "Often"), (6443, 6443, ("tcp",), "Often")),
        ),
        ("22 or custom", ((22, 22, (), "custom"),)),
        (
            "TCP 5473 (default), more with Typha",
            ((5473, 5473, ("tcp",), "default; more with Typha"),),
        ),
        # Versions and ordinals are words, not ports.
        ("6443 since Kubernetes 1.28", ((6443, 6443, (), "since Kubernetes 1.28"),)),
        ("10250 for the 3rd node", ((10250, 10250, (), "for the 3rd node"),)),
    ],
)
def test_prose_around_ports_is_their_remark(raw, entries):
    cell = cells.parse_port_cell(raw)
    assert cell.entries == entries
    assert not cell.prose


@pytest.mark.parametrize(
    ("raw", "protocols"),
    [
        ("GRE, protocol number 47", ("gre",)),
        ("IP-in-IP, often represented by its protocol number 4", ("ipip",)),
        ("IP-in-IP, often represented by its protocol number `4`", ("ipip",)),
        ("IP protocol 50", ("esp",)),
        ("protocol 4", ("ipip",)),
    ],
)
def test_a_protocol_by_number_is_a_port_less_cell_of_that_protocol(raw, protocols):
    cell = cells.parse_port_cell(raw)
    assert cell.entries == tuple((None, None, (p,), "") for p in protocols)
    assert not cell.prose


@pytest.mark.parametrize(
    ("raw", "entries"),
    [
        ("7000 TCP 9042 UDP", ((7000, 7000, ("tcp",), ""), (9042, 9042, ("udp",), ""))),
        ("TCP 7000 UDP 9042", ((7000, 7000, ("tcp",), ""), (9042, 9042, ("udp",), ""))),
        (
            "2379-2380/TCP 10250/TCP",
            ((2379, 2380, ("tcp",), ""), (10250, 10250, ("tcp",), "")),
        ),
        ("TCP/UDP 53", ((53, 53, ("tcp", "udp"), ""),)),
        ("TCP/UDP 30000- 32767", ((30000, 32767, ("tcp", "udp"), ""),)),
    ],
)
def test_each_protocol_takes_the_ports_next_to_it(raw, entries):
    assert cells.parse_port_cell(raw).entries == entries


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Port", "port"),
        ("**Ports**", "port"),
        ("Port Range", "port"),
        ("Port(s)", "port"),
        ("Protocol and port", "port"),
        ("From port", "port_start"),
        ("Start Port", "port_start"),
        ("To port", "port_end"),
        ("End port", "port_end"),
        ("Protocol", "protocol"),
        ("Konvoy Component", "component"),
        ("Component", "component"),
        ("Service", "component"),
        ("Used By", "component"),
        ("Notes", "notes"),
        ("Purpose", "notes"),
        ("Description", "notes"),
        ("Direction", "direction"),
        ("Source", "source"),
        ("Source port", "source_port"),
    ],
)
def test_headers(header, field):
    assert headers.classify_header(header) == field


@pytest.mark.parametrize(
    ("corner", "matrix"),
    [
        ("From \\ To", True),
        ("From", True),
        ("**From** ↓ / To →", True),
        ("From port", True),  # a corner word; a port column is read first anyway
        ("Source", False),
        ("Port", False),
        ("", False),
    ],
)
def test_matrix_corners(corner, matrix):
    assert headers.is_matrix_corner(corner) is matrix


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("Control-plane nodes", "control-plane"),
        ("Control Plane Nodes", "control-plane"),
        ("Master nodes", "control-plane"),
        ("Control plane", "control-plane"),
        ("Inbound Rules for K3s Server Nodes", "control-plane"),
        ("Worker nodes", "worker"),
        ("Worker Nodes (Linux)", "worker"),
        ("Worker node(s)", "worker"),
        ("Node(s)", "worker"),
        ("Nodes", "worker"),
        ("nodes", "worker"),
        ("Controller nodes", "control-plane"),
        ("All nodes", "all-nodes"),
        ("Worker Nodes (Windows)", "worker-windows"),
        ("Agent nodes", "worker"),
        ("Load balancer", "load-balancer"),
        ("Before you begin", "before-you-begin"),
        ("Ports ¶", "ports"),
        ("", "ports"),
    ],
)
def test_role_ids(title, role):
    assert cells.role_id_for(cells.clean_title(title)) == role


def test_titles_lose_permalinks_and_attributes():
    assert cells.clean_title("Worker node(s) {#node}") == "Worker node(s)"
    assert cells.clean_title("Control plane¶") == "Control plane"
    assert cells.clean_title("Ports #") == "Ports"


@pytest.mark.parametrize(
    ("line", "sentence"),
    [
        ("If Calico is used, it requires:", True),
        ("When using Cilium:", True),
        ("Calico requires the following:", True),
        ("The following ports must be open:", True),
        ("In addition, open:", True),
        ("Inbound rules:", False),
        ("Metrics ports:", False),
        ("Ports for the Typha agent:", False),
        ("Worker nodes", False),
    ],
)
def test_lead_in_sentences(line, sentence):
    assert titles.is_lead_in_sentence(line) is sentence


@pytest.mark.parametrize(
    ("text", "jsx", "plain"),
    [
        ("{% link_to ../networking/best %} for help", False, "for help"),
        ("{{ site.prodname }} networking (BGP)", False, "networking (BGP)"),
        ("{{site.data.versions[0].title | upcase}} agent", False, "agent"),
        ("{% comment %}draft{% endcomment %} TCP 2379", False, "TCP 2379"),
        ("6443 {{< note-ref 1 >}}", False, "6443"),
        ('{{% tab name="Canal" %}}Canal{{% /tab %}}', False, "Canal"),
        ("{{ .Site.Params.version }} API", False, "API"),
        # A Liquid variable without a dotted name may be literal text: kept.
        ("{{ jinja }}", False, "{{ jinja }}"),
        ("{prodname} networking", False, "{prodname} networking"),
        ("{prodname} networking", True, "networking"),
        ("Canal{' '}VXLAN", True, "Canal VXLAN"),
        ('{"6443"}', True, "6443"),
        ("Cilium VXLAN {/* the default tunnel */}", True, "Cilium VXLAN"),
        ("<Link to={useBaseUrl('/kubelet')}>kubelet</Link>", True, "kubelet"),
        ("<Version /> and <b>bold</b>", True, "and <b>bold</b>"),
        ("a < b and {x: 1}", True, "a < b and {x: 1}"),
    ],
)
def test_template_markup_is_not_text(text, jsx, plain):
    assert markup.strip_markup(text, jsx) == plain


@pytest.mark.parametrize(
    ("text", "path", "mdx"),
    [
        ("# Ports\n", "ports.mdx", True),
        ("import Tabs from '@theme/Tabs';\n\n# Ports\n", "ports.md", True),
        ('# Ports\n\n<Tabs>\n<TabItem value="a">\n', None, True),
        ("export const Note = () => <b>x</b>;\n", None, True),
        ("# Ports\n\n<table></table>\n", "ports.md", False),
        ("# Ports\n\nImport the module from the registry.\n", None, False),
    ],
)
def test_mdx_pages(text, path, mdx):
    assert markup.is_mdx(text, path) is mdx


def test_tab_markers_with_labels_values_and_shortcodes():
    text = (
        '<Tabs>\n<TabItem value="canal" label="Canal">\n</TabItem>\n'
        "<TabItem value='cilium'>\n</TabItem>\n<TabItem label={'Calico (BGP)'} />\n"
        '{{< tab name="Flannel" >}}\n{{< /tab >}}\n{{% tab "Weave" %}}\n{{% /tab %}}\n'
        "{{< tabs >}}\n"
    )
    assert [(m.line, m.label) for m in markup.find_tab_markers(text)] == [
        (2, "Canal"),
        (3, None),
        (4, "cilium"),
        (5, None),
        (7, "Flannel"),
        (8, None),
        (9, "Weave"),
        (10, None),
    ]
    # Markers on lines that are code or comments are examples.
    assert [m.line for m in markup.find_tab_markers(text, [(1, 3)])] == [4, 5, 7, 8, 9, 10]
