"""preflight on real sockets on loopback: a port we hold is reported busy with its
component and our own pid; once closed it is free again. TCP and UDP, single ports and
ranges, IPv4 and IPv6. Who may hold an ssh port is also checked on a made-up /proc."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from contextlib import closing

import pytest

from konvoy_portspec.analysis.preflight import clashes, preflight, read_sockets
from konvoy_portspec.analysis.preflight.sockets import hex_address
from konvoy_portspec.cli import run
from konvoy_portspec.io import spec_json as specio
from konvoy_portspec.model import Role, Rule, Spec
from konvoy_portspec.output.preflight_report import format_text


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with closing(socket.socket(socket.AF_INET, kind)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_outside(start: int, width: int = 50) -> int:
    """A free TCP port not in ``start`` .. ``start + width - 1`` (the kernel may hand
    out one inside a range :func:`free_range` found free)."""
    port = free_port()
    while start <= port < start + width:
        port = free_port()
    return port


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
    assert hex_address("0100007F", socket.AF_INET) == "127.0.0.1"
    assert hex_address("00000000000000000000000001000000", socket.AF_INET6) == "::1"
    assert hex_address("0000000000000000FFFF00000100007F", socket.AF_INET6) == "::ffff:127.0.0.1"


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


# --- IPv6-only listeners --------------------------------------------------------------


def ipv6_listener(host: str, *, v6only: bool = False) -> socket.socket:
    """A TCP listener on an IPv6 address and a free port, or a skip without IPv6."""
    if not socket.has_ipv6 or not os.path.exists("/proc/net/tcp6"):
        pytest.skip("no IPv6 on this host")
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        if v6only:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, 0))
        sock.listen()
    except OSError as exc:
        sock.close()
        pytest.skip(f"cannot listen on [{host}]: {exc}")
    return sock


def bind_fails(host: str, port: int) -> bool:
    """What the kernel says about binding ``host:port`` the way a server would."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with closing(socket.socket(family, socket.SOCK_STREAM)) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def test_ipv6_loopback_listener_does_not_block_ipv4_loopback():
    with closing(ipv6_listener("::1")) as sock:
        port = sock.getsockname()[1]
        spec = spec_for(Rule.single(port, "tcp", "etcd"))
        assert not preflight(spec, host="127.0.0.1")
        assert not preflight(spec, host="127.0.0.1", probe=False)  # the tables alone say so
        (busy,) = preflight(spec, host="::1").busy
        assert (busy.port, busy.owners[0].address, busy.owners[0].pid) == (port, "::1", os.getpid())
        assert preflight(spec, host="::")
        # IPv4's wildcard and ::1: the kernel decides; preflight asks it.
        assert bool(preflight(spec, host="0.0.0.0")) == bind_fails("0.0.0.0", port)
    assert not clashes("::1", "127.0.0.1")
    assert not clashes("127.0.0.1", "::1")
    assert clashes("::1", "::") and clashes("::", "::1")


def test_ipv6_only_wildcard_listener_does_not_block_ipv4():
    """A socket on :: with IPV6_V6ONLY shows in /proc as any socket on :: does; the bind
    probe tells it apart from a dual-stack one."""
    with closing(ipv6_listener("::", v6only=True)) as sock:
        port = sock.getsockname()[1]
        spec = spec_for(Rule.single(port, "tcp", "etcd"))
        assert not preflight(spec, host="127.0.0.1")
        assert not preflight(spec, host="0.0.0.0")
        assert preflight(spec, host="::1")


# --- who may hold the ssh port --------------------------------------------------------

SSH_ROW = Rule.single(22, "tcp", "Ansible", "ssh")


def fake_proc(tmp_path, holders: dict[int, str], inode: int = 4242):
    """A /proc with one socket, a listener on 0.0.0.0:22 (``0016``), held by ``holders``
    (pid -> process name)."""
    net = tmp_path / "net"
    net.mkdir()
    (net / "tcp").write_text(
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
        "   uid  timeout inode\n"
        "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000"
        f"     0        0 {inode} 1 0000000000000000 100 0 0 10 0\n",
        "ascii",
    )
    for pid, name in holders.items():
        fd = tmp_path / str(pid) / "fd"
        fd.mkdir(parents=True)
        (tmp_path / str(pid) / "comm").write_text(name + "\n", "utf-8")
        os.symlink("/dev/null", fd / "0")
        os.symlink(f"socket:[{inode}]", fd / "3")
    return str(tmp_path)


def test_ssh_port_held_by_sshd_is_expected(tmp_path):
    result = preflight(spec_for(SSH_ROW), proc=fake_proc(tmp_path, {812: "sshd"}), probe=False)
    assert not result
    (status,) = result.expected
    assert (status.port, [(o.pid, o.process, o.address) for o in status.owners]) == (
        22,
        [(812, "sshd", "0.0.0.0")],
    )


def test_socket_activated_sshd_is_expected_and_both_holders_shown(tmp_path):
    proc = fake_proc(tmp_path, {1: "systemd", 812: "sshd"})
    result = preflight(spec_for(SSH_ROW), proc=proc, probe=False)
    assert not result
    assert [(o.pid, o.process) for o in result.expected[0].owners] == [
        (1, "systemd"),
        (812, "sshd"),
    ]


@pytest.mark.parametrize(
    "holders",
    [{900: "nginx"}, {}],  # another program; an owner we cannot see (not root)
    ids=["other-process", "unknown-owner"],
)
def test_ssh_port_held_by_anything_else_is_busy(tmp_path, holders):
    result = preflight(spec_for(SSH_ROW), proc=fake_proc(tmp_path, holders), probe=False)
    assert result and not result.expected
    (status,) = result.busy
    assert status.port == 22
    assert [o.process for o in status.owners] == (list(holders.values()) or [None])


def test_sshd_on_a_port_the_spec_gives_to_something_else_is_busy(tmp_path):
    spec = spec_for(Rule.single(22, "tcp", "kube-apiserver"))
    result = preflight(spec, proc=fake_proc(tmp_path, {812: "sshd"}), probe=False)
    assert [s.port for s in result.busy] == [22] and not result.expected


def test_ssh_rows_are_expected_only_when_sshd_holds_them(listener):
    """On real sockets: our own process on an ssh row's port is busy; a process named
    sshd on it is expected (and not a failure)."""
    port = free_port()
    spec = spec_for(Rule.single(port, "tcp", "Ansible", "ssh"))
    sock = listener("tcp", port=port)
    result = preflight(spec)
    assert result and not result.expected
    assert [(s.port, s.owners[0].pid) for s in result.busy] == [(port, os.getpid())]
    sock.close()
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket, sys\n"
            "with open('/proc/self/comm', 'w') as f: f.write('sshd')\n"
            "s = socket.socket()\n"
            "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
            "s.listen()\n"
            "print('ready', flush=True)\n"
            "sys.stdin.read()\n",
            str(port),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        result = preflight(spec)
        assert not result
        assert [(s.port, s.owners[0].pid, s.owners[0].process) for s in result.expected] == [
            (port, child.pid, "sshd")
        ]
        assert f"ok    {port}/tcp  Ansible [worker]: sshd (pid {child.pid})" in format_text(result)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)


# --- JSON -------------------------------------------------------------------------------


def test_json_ports_are_integers(listener, tmp_path, capsys):
    start = free_range()
    single = free_port_outside(start)
    spec = spec_for(
        Rule(start, start + 49, "tcp", "Kubernetes NodePorts"),
        Rule.single(single, "tcp", "calico-node", "felix liveliness"),
        Rule(None, None, "icmp", "ICMP"),
    )
    path = tmp_path / "spec.json"
    path.write_text(specio.dumps(spec), "utf-8")
    listener("tcp", port=start + 3)
    listener("tcp", port=single)
    assert run(["preflight", str(path), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [
        (b["port"], [(r["port"], r["end_port"]) for r in b["rules"]]) for b in data["busy"]
    ] == (sorted([(start + 3, [(start, start + 49)]), (single, [(single, single)])]))
    assert data["busy"][0]["rules"][0]["role"] == "worker"
    assert [(u["role"], u["protocol"], u["port"]) for u in data["unchecked"]] == [
        ("worker", "icmp", None)
    ]

    def ports(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("port", "end_port"):
                    yield value
                yield from ports(value)
        elif isinstance(node, list):
            for item in node:
                yield from ports(item)

    found = list(ports(data))
    assert len(found) == 2 + 2 * 2 + 2  # two statuses, their rules, the unchecked rule
    assert all(type(p) is int for p in found if p is not None)
    assert [p for p in found if p is None] == [None, None]  # icmp has no port
