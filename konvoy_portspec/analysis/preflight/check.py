"""Which of a release's ports are already taken on this host, and by whom.

Like kubeadm's preflight port check, but for every TCP and UDP port of the spec: a TCP
port is in use when a socket LISTENs on it, a UDP port when a socket is bound to it,
and only sockets whose address clashes with ``--host`` count (a listener on 127.0.0.1
blocks 0.0.0.0 and 127.0.0.1, not 10.0.0.5; one on ``::1`` does not block 127.0.0.1).

The socket tables speak for ranges; each single port is also probed with ``bind()``,
which catches what the tables do not show (a bound, non-listening TCP socket). A bind
also settles what the tables cannot tell, for every port they leave in doubt: whether
a socket of the other address family blocks ``--host`` (a socket on ``::`` blocks
IPv4 addresses unless it is IPv6-only). Without the probe, a doubt counts as busy.

Port 22 rows (component/notes saying ssh, Ansible's way in) are expected to be taken,
but only by an ssh daemon: anything else on the port, or an owner we cannot see, is
reported busy like any other port.
"""

from __future__ import annotations

import errno
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from konvoy_portspec.analysis.preflight.sockets import (
    CHECKED_PROTOCOLS,
    SocketEntry,
    probe_bind,
    read_sockets,
    socket_owners,
)
from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.model import Rule, Spec

#: Process names (``/proc/<pid>/comm``) of the ssh daemons an ssh row expects on its port.
SSH_DAEMONS = frozenset({"sshd", "dropbear"})

Key = tuple[str, int]  # (protocol, port)
Holders = dict[int, tuple[tuple[int, str], ...]]  # socket inode -> (pid, name) holding it


@dataclass(frozen=True, slots=True)
class Owner:
    """Who holds a port: the socket, and the process where the system says."""

    address: str
    state: str
    pid: int | None = None
    process: str | None = None


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


@dataclass(frozen=True, slots=True)
class PreflightResult:
    product: str
    release: str
    host: str
    roles: tuple[str, ...]
    checked: int
    busy: tuple[PortStatus, ...] = ()
    expected: tuple[PortStatus, ...] = ()
    unchecked: tuple[tuple[str, Rule], ...] = ()

    def __bool__(self) -> bool:
        """True when a port the release needs is taken."""
        return bool(self.busy)


# --- clashes -------------------------------------------------------------------------


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address, with ``::ffff:127.0.0.1`` (IPv4 seen by an IPv6 socket) as IPv4."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def clashes(socket_address: str, host: str) -> bool:
    """Could binding ``host`` clash with a socket bound to ``socket_address``?

    Within one address family: when either side is the wildcard or both are the same
    address. Across families (``::1`` and ``127.0.0.1``) two addresses never clash, but
    a wildcard may: a socket on ``::`` takes IPv4 too unless it is IPv6-only, which the
    tables do not show, and kernels differ on the rest (see :func:`in_doubt`).
    """
    try:
        bound, wanted = _ip(socket_address), _ip(host)
    except ValueError:
        return socket_address == host
    if bound.version == wanted.version:
        return bound.is_unspecified or wanted.is_unspecified or bound == wanted
    return bound.is_unspecified or wanted.is_unspecified


def in_doubt(entry: SocketEntry, host: str) -> bool:
    """Is a clash of ``entry`` with ``host`` one only a bind can confirm (the two are of
    different address families, so it hangs on IPV6_V6ONLY and the kernel)?"""
    try:
        return _ip(entry.address).version != _ip(host).version
    except ValueError:
        return False


def holds_port(entry: SocketEntry) -> bool:
    """A TCP listener, or any bound UDP socket: what makes a server's bind fail."""
    if entry.protocol == "tcp":
        return entry.state == "LISTEN"
    return True


# --- the check -----------------------------------------------------------------------


def expects_ssh(rule: Rule) -> bool:
    """Is this the row of the ssh port (Ansible's way in), which an ssh daemon holds?"""
    words = f"{rule.component} {rule.notes}".casefold().replace("-", " ").split()
    return "ssh" in words or "sshd" in words


def held_by_ssh_daemon(entries: Sequence[SocketEntry], holders: Holders) -> bool:
    """Is every socket an ssh daemon's (among the processes holding it, as far as we see)?"""
    return bool(entries) and all(
        any(name in SSH_DAEMONS for _, name in holders.get(entry.inode, ())) for entry in entries
    )


def _owners(entry: SocketEntry, holders: Holders) -> list[Owner]:
    found = holders.get(entry.inode, ())
    if not found:
        return [Owner(entry.address, entry.state)]
    return [Owner(entry.address, entry.state, pid, name) for pid, name in found]


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
    needed: dict[Key, list[tuple[str, Rule]]] = {}
    unchecked: list[tuple[str, Rule]] = []
    for role_id in role_ids:
        for rule in spec.role(role_id).rules:
            if rule.port is None or rule.end_port is None or rule.protocol not in CHECKED_PROTOCOLS:
                unchecked.append((role_id, rule))
                continue
            for port in range(rule.port, rule.end_port + 1):
                needed.setdefault((rule.protocol, port), []).append((role_id, rule))

    # 1. One pass over the socket tables, before any probe of ours opens a socket.
    by_port: dict[Key, list[SocketEntry]] = {}
    for entry in read_sockets(proc):
        if (entry.protocol, entry.port) in needed and clashes(entry.address, host):
            by_port.setdefault((entry.protocol, entry.port), []).append(entry)
    busy_keys: dict[Key, str] = {}
    doubtful: set[Key] = set()  # held only by sockets of the other address family
    for key, entries in by_port.items():
        holding = [e for e in entries if holds_port(e)]
        if holding:
            busy_keys[key] = "listening" if key[0] == "tcp" else "bound"
            if all(in_doubt(e, host) for e in holding):
                doubtful.add(key)

    # 2. A bind probe for each single port (ranges rely on the tables), and for each
    # port the tables leave in doubt.
    if probe:
        singles = {
            (rule.protocol, rule.port)
            for rules in needed.values()
            for _, rule in rules
            if rule.port is not None and not rule.is_range
        }
        for key in sorted(singles | doubtful):
            if key in busy_keys and key not in doubtful:
                continue
            err = probe_bind(key[0], host, key[1])
            # Any other failure (EACCES below 1024 when not root) tells nothing the
            # socket tables of step 1 have not already said.
            if err is None:
                busy_keys.pop(key, None)  # in doubt, and the bind worked: no clash
            elif err == errno.EADDRINUSE:
                busy_keys.setdefault(key, "bind: address already in use")
            elif err == errno.EADDRNOTAVAIL:
                raise PortSpecError(f"--host {host}: not an address of this host")

    # 3. Owners, for the busy ports only.
    holders = socket_owners((e.inode for key in busy_keys for e in by_port.get(key, ())), proc)
    busy: list[PortStatus] = []
    expected: list[PortStatus] = []
    for key in sorted(busy_keys, key=lambda k: (k[1], k[0])):
        entries = by_port.get(key, [])
        held = [e for e in entries if holds_port(e)] or entries
        status = PortStatus(
            key[0],
            key[1],
            tuple(needed[key]),
            tuple(owner for e in held for owner in _owners(e, holders)),
            busy_keys[key],
        )
        if all(expects_ssh(rule) for _, rule in needed[key]) and held_by_ssh_daemon(held, holders):
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
