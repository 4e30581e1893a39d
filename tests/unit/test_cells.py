"""Port, protocol and header cells as real docs write them."""

from __future__ import annotations

import pytest

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction import cells


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
        ("22 or custom", "not a port: 'custom'"),
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
    assert cells.classify_header(header) == field


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
