"""The host's side of preflight: the kernel's socket tables, who holds each socket, and
a bind probe.

The tables (``/proc/net/tcp``, ``tcp6``, ``udp``, ``udp6``) are read once: they cover a
range such as the NodePorts 30000-32767 in one pass, without a socket per port. They do
not say whether an IPv6 socket is IPv6-only, nor show every clash a bind would meet, so
:func:`probe_bind` asks the kernel directly where the tables leave a doubt.

Owners come from ``/proc/<pid>/fd``, where we may read it: every process holding the
socket (a socket-activated daemon shares its listener with systemd), or none.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass

#: ``st`` column of the tables (hex) -> state name; a bound UDP socket shows ``07``.
TCP_STATES = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
}
#: The tables read: file under ``/proc/net``, protocol, address family.
SOCKET_TABLES = (
    ("tcp", "tcp", socket.AF_INET),
    ("tcp6", "tcp", socket.AF_INET6),
    ("udp", "udp", socket.AF_INET),
    ("udp6", "udp", socket.AF_INET6),
)
#: What preflight can check: the protocols the kernel lists sockets of.
CHECKED_PROTOCOLS = tuple(dict.fromkeys(protocol for _, protocol, _ in SOCKET_TABLES))


@dataclass(frozen=True, slots=True)
class SocketEntry:
    """One line of ``/proc/net/{tcp,udp}[6]``."""

    protocol: str  # tcp or udp
    address: str  # local address, e.g. 0.0.0.0, ::, 127.0.0.1
    port: int
    state: str  # LISTEN, UNCONN (a bound UDP socket), ESTABLISHED, ...
    inode: int
    family: int


def hex_address(text: str, family: int) -> str:
    """A table's address column (``0100007F``) as text (``127.0.0.1``)."""
    raw = bytes.fromhex(text)
    if family == socket.AF_INET:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # IPv6: four 32-bit words, each in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def read_socket_table(path: str, protocol: str, family: int) -> list[SocketEntry]:
    """Parse one ``/proc/net`` socket table; a missing table (no IPv6) is empty."""
    try:
        with open(path, encoding="ascii") as fh:
            lines = fh.read().splitlines()[1:]
    except OSError:
        return []
    entries = []
    for line in lines:
        fields = line.split()
        if len(fields) < 10:
            continue
        address, _, port = fields[1].partition(":")
        state = fields[3]
        entries.append(
            SocketEntry(
                protocol,
                hex_address(address, family),
                int(port, 16),
                "UNCONN" if protocol != "tcp" and state == "07" else TCP_STATES.get(state, state),
                int(fields[9]),
                family,
            )
        )
    return entries


def read_sockets(proc: str = "/proc") -> list[SocketEntry]:
    """Every TCP and UDP socket of this network namespace, IPv4 and IPv6."""
    out: list[SocketEntry] = []
    for name, protocol, family in SOCKET_TABLES:
        out += read_socket_table(os.path.join(proc, "net", name), protocol, family)
    return out


def socket_owners(
    inodes: Iterable[int], proc: str = "/proc"
) -> dict[int, tuple[tuple[int, str], ...]]:
    """inode -> every (pid, process name) holding that socket, by pid, where we can see.

    Walks ``/proc/<pid>/fd`` once; processes we may not read are skipped, so their
    sockets stay ownerless rather than failing the check.
    """
    wanted = {f"socket:[{inode}]": inode for inode in inodes if inode}
    found: dict[int, list[tuple[int, str]]] = {}
    if not wanted:
        return {}
    try:
        pids = sorted(int(p) for p in os.listdir(proc) if p.isdigit())
    except OSError:
        return {}
    for pid in pids:
        fd_dir = os.path.join(proc, str(pid), "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        held: set[int] = set()
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            inode = wanted.get(target)
            if inode is not None:
                held.add(inode)
        if held:
            name = _process_name(pid, proc)
            for inode in held:
                found.setdefault(inode, []).append((pid, name))
    return {inode: tuple(holders) for inode, holders in found.items()}


def _process_name(pid: int, proc: str) -> str:
    try:
        with open(os.path.join(proc, str(pid), "comm"), encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return "?"


def probe_bind(protocol: str, host: str, port: int) -> int | None:
    """``errno`` of binding ``host:port`` now (``None``: the bind worked, the port is free).

    TCP binds with ``SO_REUSEADDR``, as Kubernetes components do, so connections
    lingering in TIME_WAIT do not count while a listener still does; UDP binds without.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    try:
        sock = socket.socket(family, kind)
    except OSError as exc:
        return exc.errno
    try:
        if protocol == "tcp":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        return exc.errno
    finally:
        sock.close()
    return None
