"""preflight on real sockets on loopback: a port we hold is reported busy with its
component and our own pid; once closed it is free again. TCP and UDP, single ports and
ranges, IPv4 and IPv6."""

from __future__ import annotations

import json
import os
import socket
from contextlib import closing

import pytest

from konvoy_portspec.analysis.preflight import (
    _hex_address,
    clashes,
    preflight,
    read_sockets,
)
from konvoy_portspec.cli import run
from konvoy_portspec.io import spec_json as specio
from konvoy_portspec.model import Role, Rule, Spec


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with closing(socket.socket(socket.AF_INET, kind)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_range(width: int = 50) -> int:
    """A start port with ``width`` free TCP ports after it (per /proc, right now)."""
    used = {e.port for e in read_sockets()}
    start = free_port()
    while any(p in used for p in range(start, start + width)) or start + width > 65535:
        start = free_port()
    return start


def spec_for(*rules: Rule, role: str = "worker") -> Spec:
    return Spec(release="v0.1", roles=[Role(role, "Test nodes", rules)])


@pytest.fixture
def listener():
    opened: list[socket.socket] = []

    def open_(protocol: str = "tcp", host: str = "127.0.0.1", port: int = 0) -> socket.socket:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(family, kind)
        sock.bind((host, port))
        if protocol == "tcp":
            sock.listen()
        opened.append(sock)
        return sock

    yield open_
    for sock in opened:
        sock.close()


def my_name() -> str:
    with open(f"/proc/{os.getpid()}/comm", encoding="utf-8") as fh:
        return fh.read().strip()


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_busy_single_port_then_free(listener, protocol):
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    port = free_port(kind)
    spec = spec_for(Rule.single(port, protocol, "kube-apiserver", "secure port"))
    sock = listener(protocol, port=port)
    result = preflight(spec)
    assert result, "a port we hold must be reported"
    (busy,) = result.busy
    assert (busy.port, busy.protocol, busy.components, busy.roles) == (
        port,
        protocol,
        ["kube-apiserver"],
        ["worker"],
    )
    (owner,) = busy.owners
    assert owner.pid == os.getpid()
    assert owner.process == my_name()
    assert owner.address == "127.0.0.1"
    sock.close()
    again = preflight(spec)
    assert not again and again.busy == ()
    assert again.checked == 1


def test_a_port_in_a_range_is_found_from_proc(listener):
    start = free_range()
    spec = spec_for(Rule(start, start + 49, "tcp", "Kubernetes NodePorts"))
    sock = listener("tcp", port=start + 17)
    result = preflight(spec, probe=False)
    assert [(b.port, b.components) for b in result.busy] == [(start + 17, ["Kubernetes NodePorts"])]
    assert result.busy[0].owners[0].pid == os.getpid()
    assert result.checked == 50
    sock.close()
    assert not preflight(spec, probe=False)


def test_ipv6_wildcard_listener_blocks_ipv4_any(listener):
    if not socket.has_ipv6 or not os.path.exists("/proc/net/tcp6"):
        pytest.skip("no IPv6 on this host")
    port = free_port()
    try:
        listener("tcp", host="::", port=port)
    except OSError as exc:
        pytest.skip(f"cannot listen on [::]: {exc}")
    result = preflight(spec_for(Rule.single(port, "tcp", "etcd")), probe=False)
    assert [(b.port, b.owners[0].address) for b in result.busy] == [(port, "::")]


def test_time_wait_is_not_in_use():
    """A connection closed by the server side leaves the server port in TIME_WAIT; a new
    server can still bind it (SO_REUSEADDR), so preflight reports it free."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    server.close()
    conn.close()  # the server side closes first: its end goes to TIME_WAIT
    client.close()
    states = {e.state for e in read_sockets() if e.port == port and e.protocol == "tcp"}
    assert "TIME_WAIT" in states and "LISTEN" not in states
    assert not preflight(spec_for(Rule.single(port, "tcp", "x")), host="127.0.0.1")


def test_host_address_decides_what_clashes(listener):
    port = free_port()
    listener("tcp", host="127.0.0.1", port=port)
    spec = spec_for(Rule.single(port, "tcp", "x"))
    assert preflight(spec, host="0.0.0.0")
    assert preflight(spec, host="127.0.0.1")
    assert clashes("127.0.0.1", "0.0.0.0") and clashes("0.0.0.0", "10.0.0.5")
    assert not clashes("127.0.0.1", "10.0.0.5")
    assert clashes("::ffff:127.0.0.1", "127.0.0.1")


def test_proc_address_decoding():
    assert _hex_address("0100007F", socket.AF_INET) == "127.0.0.1"
    assert _hex_address("00000000000000000000000001000000", socket.AF_INET6) == "::1"
    assert _hex_address("0000000000000000FFFF00000100007F", socket.AF_INET6) == "::ffff:127.0.0.1"


def test_ssh_rows_are_expected_in_use(listener):
    port = free_port()
    listener("tcp", port=port)
    result = preflight(spec_for(Rule.single(port, "tcp", "Ansible", "ssh")))
    assert not result
    assert [s.port for s in result.expected] == [port]


def test_cli_text_and_json(listener, tmp_path, capsys):
    port, uport = free_port(), free_port(socket.SOCK_DGRAM)
    spec = spec_for(
        Rule.single(port, "tcp", "kubelet"),
        Rule.single(uport, "udp", "vxlan"),
        Rule(None, None, "icmp", "ICMP"),
    )
    path = tmp_path / "spec.json"
    path.write_text(specio.dumps(spec), "utf-8")
    listener("tcp", port=port)
    assert run(["preflight", str(path)]) == 1
    out = capsys.readouterr().out
    assert (
        f"BUSY  {port}/tcp  kubelet [worker]: {my_name()} (pid {os.getpid()}) on 127.0.0.1" in out
    )
    assert "not checked, no TCP/UDP port: icmp" in out
    listener("udp", port=uport)
    assert run(["preflight", str(path), "--format", "json", "--role", "worker"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["checked"] == 2
    got = sorted((b["port"], b["protocol"], b["owners"][0]["pid"]) for b in data["busy"])
    assert got == sorted([(port, "tcp", os.getpid()), (uport, "udp", os.getpid())])
    assert {b["components"][0] for b in data["busy"]} == {"kubelet", "vxlan"}


def test_cli_free_ports_exit_0(tmp_path, capsys):
    path = tmp_path / "spec.json"
    path.write_text(specio.dumps(spec_for(Rule.single(free_port(), "tcp", "x"))), "utf-8")
    assert run(["preflight", str(path), "--host", "127.0.0.1"]) == 0
    assert "All ports are free." in capsys.readouterr().out


def test_cli_usage_errors(capsys):
    assert run(["preflight", "v2.1", "--host", "localhost"]) == 2
    assert run(["preflight", "v2.1", "--role", "db"]) == 3  # unknown role
    assert run(["preflight", "v2.1", "--host", "192.0.2.1"]) == 3
    assert "not an address of this host" in capsys.readouterr().err


def test_real_release_checks_every_port_of_every_rule_once():
    from konvoy_portspec import load

    spec = load("v2.1")
    result = preflight(spec)
    # Each (protocol, port) the spec opens, ranges spelled out, counted once.
    wanted = {
        (rule.protocol, port)
        for _, rule in spec.rules()
        if rule.port is not None and rule.end_port is not None
        for port in range(rule.port, rule.end_port + 1)
    }
    assert result.checked == len(wanted)
