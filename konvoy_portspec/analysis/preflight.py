"""Which of a release's ports are already taken on this host, and by whom.

Like kubeadm's preflight port check, but for every port of the spec, TCP and UDP:

* The kernel's socket tables (``/proc/net/tcp``, ``tcp6``, ``udp``, ``udp6``) are read
  once. A TCP port is in use when a socket LISTENs on it; a UDP port when a socket is
  bound to it. Only sockets whose address clashes with ``--host`` count (a listener on
  127.0.0.1 blocks 0.0.0.0 and 127.0.0.1, not 10.0.0.5). This covers ranges (the
  NodePort range 30000-32767) in one pass, without a socket per port.
* Each single port is also probed with ``bind()``: TCP with ``SO_REUSEADDR`` (so a
  port whose old connections linger in TIME_WAIT is free, as it is for a server that
  starts now, since Kubernetes components set it as well; a LISTEN socket still
  blocks), UDP without. The probe catches what the tables do not show (another
  network namespace's socket cannot clash, but a bound, non-listening TCP socket can).
* Owners are found by mapping socket inodes to processes through ``/proc/*/fd``
  (where we may read it): the pid and name the system reports, or none.

Port 22 rows (component/notes saying ssh, Ansible's way in) are expected to be taken
by sshd: they are reported as such and do not fail the check.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from konvoy_portspec.model import Rule, Spec

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
CHECKED_PROTOCOLS = ("tcp", "udp")


@dataclass(frozen=True, slots=True)
class SocketEntry:
    """One line of ``/proc/net/{tcp,udp}[6]``."""

    protocol: str  # tcp or udp
    address: str  # local address, e.g. 0.0.0.0, ::, 127.0.0.1
    port: int
    state: str  # LISTEN, CLOSE (UDP unconnected), ESTABLISHED, ...
    inode: int
    family: int


@dataclass(frozen=True, slots=True)
class Owner:
    """Who holds a port: the socket, and the process where the system says."""

    address: str
    state: str
    pid: int | None = None
    process: str | None = None

    def __str__(self) -> str:
        who = f"{self.process or '?'} (pid {self.pid})" if self.pid else "unknown process"
        return f"{who} on {self.address}"


@dataclass(frozen=True, slots=True)
class PortStatus:
    """A busy (or expected) port, with the spec rules that need it."""

    protocol: str
    port: int
    rules: tuple[tuple[str, Rule], ...]
    owners: tuple[Owner, ...] = ()
    reason: str = ""

    @property
    def roles(self) -> list[str]:
        return list(dict.fromkeys(role for role, _ in self.rules))

    @property
    def components(self) -> list[str]:
        return list(dict.fromkeys(rule.component for _, rule in self.rules if rule.component))

    def to_dict(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "protocol": self.protocol,
            "roles": self.roles,
            "components": self.components,
            "rules": [
                {
                    "role": role,
                    "port": rule.port_text,
                    "component": rule.component,
                    "notes": rule.notes,
                }
                for role, rule in self.rules
            ],
            "owners": [
                {"pid": o.pid, "process": o.process, "address": o.address, "state": o.state}
                for o in self.owners
            ],
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class PreflightResult:
    product: str
    release: str
    host: str
    roles: tuple[str, ...]
    checked: int
    busy: tuple[PortStatus, ...] = ()
    expected: tuple[PortStatus, ...] = ()
    unchecked: tuple[tuple[str, Rule], ...] = field(default=())

    def __bool__(self) -> bool:
        """True when a port the release needs is taken."""
        return bool(self.busy)


# --- the kernel's socket tables ------------------------------------------------------


def _hex_address(text: str, family: int) -> str:
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
                _hex_address(address, family),
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
    for name, protocol, family in (
        ("tcp", "tcp", socket.AF_INET),
        ("tcp6", "tcp", socket.AF_INET6),
        ("udp", "udp", socket.AF_INET),
        ("udp6", "udp", socket.AF_INET6),
    ):
        out += read_socket_table(os.path.join(proc, "net", name), protocol, family)
    return out


def socket_owners(inodes: Iterable[int], proc: str = "/proc") -> dict[int, tuple[int, str]]:
    """inode -> (pid, process name) for the sockets we can see the owners of.

    Walks ``/proc/<pid>/fd`` once; processes we may not read are skipped, so their
    sockets stay ownerless rather than failing the check.
    """
    wanted = {f"socket:[{inode}]": inode for inode in inodes if inode}
    found: dict[int, tuple[int, str]] = {}
    if not wanted:
        return found
    try:
        pids = [int(p) for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return found
    for pid in pids:
        fd_dir = os.path.join(proc, str(pid), "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            inode = wanted.get(target)
            if inode is not None and inode not in found:
                found[inode] = (pid, _process_name(pid, proc))
        if len(found) == len(wanted):
            break
    return found


def _process_name(pid: int, proc: str) -> str:
    try:
        with open(os.path.join(proc, str(pid), "comm"), encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return "?"


# --- clashes -------------------------------------------------------------------------


def _is_wildcard(address: str) -> bool:
    return address in ("0.0.0.0", "::")


def _plain(address: str) -> str:
    """``::ffff:127.0.0.1`` -> ``127.0.0.1`` (an IPv4 address seen by an IPv6 socket)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def clashes(socket_address: str, host: str) -> bool:
    """Would binding ``host`` clash with a socket bound to ``socket_address``?"""
    if _is_wildcard(host) or _is_wildcard(socket_address):
        return True
    return _plain(socket_address) == _plain(host)


def holds_port(entry: SocketEntry) -> bool:
    """A TCP listener, or any bound UDP socket: what makes a server's bind fail."""
    if entry.protocol == "tcp":
        return entry.state == "LISTEN"
    return True


def probe_bind(protocol: str, host: str, port: int) -> int | None:
    """``errno`` of binding ``host:port`` now (``None``: the bind worked, the port is free)."""
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


# --- the check -----------------------------------------------------------------------


def _expects_ssh(rule: Rule) -> bool:
    words = f"{rule.component} {rule.notes}".casefold().replace("-", " ").split()
    return "ssh" in words or "sshd" in words


def preflight(
    spec: Spec,
    roles: Sequence[str] | None = None,
    host: str = "0.0.0.0",
    *,
    proc: str = "/proc",
    probe: bool = True,
) -> PreflightResult:
    """Check every TCP/UDP port of ``roles`` (default: all) of ``spec`` on ``host``."""
    role_ids = list(roles) if roles else list(spec.roles)
    needed: dict[tuple[str, int], list[tuple[str, Rule]]] = {}
    unchecked: list[tuple[str, Rule]] = []
    for role_id in role_ids:
        for rule in spec.role(role_id).rules:
            if rule.port is None or rule.end_port is None or rule.protocol not in CHECKED_PROTOCOLS:
                unchecked.append((role_id, rule))
                continue
            for port in range(rule.port, rule.end_port + 1):
                needed.setdefault((rule.protocol, port), []).append((role_id, rule))

    # 1. One pass over the socket tables, before any probe of ours opens a socket.
    by_port: dict[tuple[str, int], list[SocketEntry]] = {}
    for entry in read_sockets(proc):
        if (entry.protocol, entry.port) in needed and clashes(entry.address, host):
            by_port.setdefault((entry.protocol, entry.port), []).append(entry)
    busy_keys: dict[tuple[str, int], str] = {
        key: "listening" if key[0] == "tcp" else "bound"
        for key, entries in by_port.items()
        if any(holds_port(e) for e in entries)
    }

    # 2. A bind probe for each single port (ranges rely on the tables).
    if probe:
        singles = {
            (rule.protocol, rule.port)
            for rules in needed.values()
            for _, rule in rules
            if rule.port is not None and not rule.is_range
        }
        for key in sorted(singles):
            if key in busy_keys:
                continue
            err = probe_bind(key[0], host, key[1])
            # Any other failure (EACCES below 1024 when not root) tells nothing the
            # socket tables of step 1 have not already said.
            if err == errno.EADDRINUSE:
                busy_keys[key] = "bind: address already in use"
            elif err == errno.EADDRNOTAVAIL:
                from konvoy_portspec.errors import PortSpecError

                raise PortSpecError(f"--host {host}: not an address of this host")

    # 3. Owners, for the busy ports only.
    owners = socket_owners((e.inode for key in busy_keys for e in by_port.get(key, ())), proc)
    busy: list[PortStatus] = []
    expected: list[PortStatus] = []
    for key in sorted(busy_keys, key=lambda k: (k[1], k[0])):
        entries = by_port.get(key, [])
        held = [e for e in entries if holds_port(e)] or entries
        status = PortStatus(
            key[0],
            key[1],
            tuple(needed[key]),
            tuple(Owner(e.address, e.state, *owners.get(e.inode, (None, None))) for e in held),
            busy_keys[key],
        )
        if all(_expects_ssh(rule) for _, rule in needed[key]):
            expected.append(status)
        else:
            busy.append(status)
    return PreflightResult(
        spec.product,
        spec.release,
        host,
        tuple(role_ids),
        len(needed),
        tuple(busy),
        tuple(expected),
        tuple(unchecked),
    )


# --- reports -------------------------------------------------------------------------


def _status_line(status: PortStatus) -> str:
    rule = status.rules[0][1]
    what = ", ".join(status.components) or "unnamed"
    if rule.is_range:
        what += f" (range {rule.port_text})"
    who = "; ".join(str(o) for o in status.owners) or status.reason
    return f"{status.port}/{status.protocol}  {what} [{', '.join(status.roles)}]: {who}"


def format_text(result: PreflightResult) -> str:
    head = (
        f"preflight {result.product} {result.release} on {result.host} "
        f"({', '.join(result.roles)}): {result.checked} ports checked, "
        f"{len(result.busy)} in use"
    )
    out = [head]
    out += [f"  BUSY  {_status_line(s)}" for s in result.busy]
    out += [f"  ok    {_status_line(s)} (expected: ssh)" for s in result.expected]
    if result.unchecked:
        names = ", ".join(
            sorted({f"{r.protocol} {r.port_text}".strip() for _, r in result.unchecked})
        )
        out.append(f"  (not checked, no TCP/UDP port: {names})")
    if not result.busy:
        out.append("All ports are free.")
    return "\n".join(out) + "\n"


def to_dict(result: PreflightResult) -> dict[str, Any]:
    return {
        "product": result.product,
        "release": result.release,
        "host": result.host,
        "roles": list(result.roles),
        "checked": result.checked,
        "ok": not result,
        "busy": [s.to_dict() for s in result.busy],
        "expected": [s.to_dict() for s in result.expected],
        "unchecked": [
            {"role": role, "protocol": rule.protocol, "component": rule.component}
            for role, rule in result.unchecked
        ],
    }


def format_json(result: PreflightResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"


FORMATTERS = {"text": format_text, "json": format_json}
