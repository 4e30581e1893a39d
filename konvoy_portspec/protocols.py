"""The one protocol table: every protocol a spec may name, its IP protocol number, the
words docs and tools use for it, and how each target tool spells it.

Why one table: the tools disagree. ``/etc/protocols`` calls protocol 4 ``ipencap`` and
protocol 94 ``ipip``, so firewalld reads ``ipip`` as 94 while Calico's IP-in-IP (what
Konvoy means) is 4; firewalld refuses ``icmpv6`` and wants ``ipv6-icmp``; iptables-save
prints ``-p ipencap``. Each exporter, the extractor's cell reader, the rule readers and
the validator read the spelling they need from here, so they cannot drift apart.
"""

from __future__ import annotations


class Protocol:
    """One protocol. ``name`` is the spec's id; ``number`` the IANA protocol number
    (``None`` for ``any``); ``aliases`` are other spellings readers accept (docs,
    ``iptables-save``, nft, firewalld). The per-tool fields are what each writer emits:
    ``None`` where the tool cannot express the protocol.

    A plain slotted class, not a dataclass: the model imports this module, and
    :mod:`dataclasses` would put :mod:`inspect` on the CLI's start path.
    """

    __slots__ = (  # noqa: RUF023 - the constructor's order
        "name",
        "number",
        "carries_ports",
        "aliases",
        "iptables",
        "nft",
        "firewalld",
        "kubernetes",
        "calico",
    )

    def __init__(
        self,
        name: str,
        number: int | None,
        carries_ports: bool,
        aliases: tuple[str, ...] = (),
        iptables: str | None = None,
        nft: str | None = None,
        firewalld: str | None = None,
        kubernetes: str | None = None,
        calico: str | int | None = None,
    ) -> None:
        self.name = name
        self.number = number
        self.carries_ports = carries_ports
        self.aliases = aliases
        self.iptables = iptables
        self.nft = nft
        self.firewalld = firewalld
        self.kubernetes = kubernetes
        self.calico = calico

    def __repr__(self) -> str:
        return f"Protocol({self.name!r}, {self.number!r})"


def _proto(
    name: str, number: int, aliases: tuple[str, ...] = (), **spellings: str | int | None
) -> Protocol:
    # Defaults: iptables and nft take the number (a minimal host may have no
    # /etc/protocols to look a name up in), firewalld the /etc/protocols name (its
    # checker resolves names), Calico the number.
    base: dict[str, str | int | None] = {
        "iptables": str(number),
        "nft": str(number),
        "firewalld": name,
        "kubernetes": None,
        "calico": number,
    }
    base.update(spellings)
    return Protocol(name, number, False, aliases, **base)  # type: ignore[arg-type]


#: Every protocol, port-carrying ones first (in the order exports list them).
PROTOCOLS: tuple[Protocol, ...] = (
    Protocol("tcp", 6, True, ("6",), "tcp", "tcp", "tcp", "TCP", "TCP"),
    Protocol("udp", 17, True, ("17",), "udp", "udp", "udp", "UDP", "UDP"),
    Protocol("sctp", 132, True, ("132",), "sctp", "sctp", "sctp", "SCTP", "SCTP"),
    # icmp stays a name for iptables: `--icmp-type` needs the icmp match it loads.
    _proto("icmp", 1, ("1",), iptables="icmp", calico="ICMP"),
    _proto("igmp", 2, ("2",)),
    # Protocol 4 is IP-in-IP (Calico's encapsulation); /etc/protocols names it ipencap.
    _proto(
        "ipip",
        4,
        ("4", "ipencap", "ip-in-ip", "ipinip", "ip in ip"),
        iptables="4",
        firewalld="ipencap",
    ),
    _proto("gre", 47, ("47",)),
    _proto("esp", 50, ("50",)),
    _proto("ah", 51, ("51",)),
    _proto(
        "icmpv6",
        58,
        ("58", "ipv6-icmp"),
        iptables="ipv6-icmp",
        firewalld="ipv6-icmp",
        calico="ICMPv6",
    ),
    _proto("vrrp", 112, ("112",)),
    # "any" (iptables "all", number 0 in iptables-save) opens every protocol.
    Protocol("any", None, False, ("all", "0"), "all", None, None, None, None),
)

BY_NAME: dict[str, Protocol] = {p.name: p for p in PROTOCOLS}
#: Every accepted spelling (lower case) to its protocol.
BY_WORD: dict[str, Protocol] = {word: p for p in PROTOCOLS for word in (p.name, *p.aliases)}
#: Protocols whose rules carry port numbers (the others are port-less by nature).
PORT_PROTOCOLS: tuple[str, ...] = tuple(p.name for p in PROTOCOLS if p.carries_ports)
#: Protocols that carry no port numbers.
PORTLESS_PROTOCOLS: tuple[str, ...] = tuple(p.name for p in PROTOCOLS if not p.carries_ports)
#: Protocols with an IP protocol number (what an export can open by number).
NUMBERED: dict[str, int] = {p.name: p.number for p in PROTOCOLS if p.number is not None}


def lookup(word: str) -> Protocol | None:
    """The protocol a word names (``TCP``, ``ipv6-icmp``, ``ipencap``, ``4``), if any."""
    return BY_WORD.get(" ".join(word.casefold().split()))


def canonical(word: str) -> str:
    """The spec's id for a protocol word, or the word lower-cased when it names none."""
    found = lookup(word)
    return found.name if found else word.casefold()
