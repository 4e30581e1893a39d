"""One iptables command (``iptables -A INPUT ...``, as a script runs it) or one
``iptables-save`` line (``-A INPUT ...``) -> what it matches and where it jumps.

Arguments are split with :mod:`shlex` exactly as a shell would, but only on lines that
start as an iptables command: the rest of a script (an ``awk`` program, a quote that a
later line closes) is never split. Protocol words go through
:mod:`konvoy_portspec.protocols`, so ``-p ipencap`` (how ``iptables-save`` names
protocol 4) reads as the spec's ``ipip``, ``-p 6`` as ``tcp``. Whether the rule's
chain counts is for :mod:`konvoy_portspec.analysis.firewall.iptables_rules`, which
sees the whole input.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field

from konvoy_portspec.analysis.firewall.ruleset import (
    ANY,
    FirewallRule,
    RulesError,
    Skipped,
    neighbour_discovery,
    role_of_comment,
)
from konvoy_portspec.model import MAX_PORT, MIN_PORT
from konvoy_portspec.protocols import PORT_PROTOCOLS, canonical

_COMMANDS = {"iptables", "ip6tables", "iptables-legacy", "iptables-nft", "ip6tables-legacy"}
#: Commands that change chains rather than add a rule.
_CHAIN_COMMANDS = {
    "-N": "new",
    "--new-chain": "new",
    "-X": "",
    "--delete-chain": "",
    "-F": "",
    "--flush": "",
    "-P": "",
    "--policy": "",
    "-Z": "",
    "--zero": "",
    "-E": "",
    "--rename-chain": "",
    "-L": "",
    "--list": "",
    "-S": "",
    "--list-rules": "",
}
#: Options whose value does not matter for which ports a rule opens.
_TAKES_VALUE = {
    "-m",
    "--match",
    "-s",
    "--source",
    "-d",
    "--destination",
    "-o",
    "--out-interface",
    "--sport",
    "--source-port",
    "--sports",
    "--source-ports",
}


def _port(text: str, where: str) -> int:
    if not text.isdigit() or not MIN_PORT <= int(text) <= MAX_PORT:
        raise RulesError(f"not a port: {text!r} in {where}")
    return int(text)


def parse_ports(text: str, where: str = "--dport") -> list[tuple[int, int]]:
    """``6443``, ``30000:32767`` or (multiport) ``22,179,30000:32767`` -> ranges.

    iptables allows an open end (``1000:`` is 1000-65535, ``:1000`` is 0-1000).
    """
    ranges: list[tuple[int, int]] = []
    for piece in text.split(","):
        if ":" in piece:
            low, _, high = piece.partition(":")
            start = _port(low, where) if low else 1
            end = _port(high, where) if high else MAX_PORT
        else:
            start = end = _port(piece, where)
        if start > end:
            raise RulesError(f"reversed port range {piece!r} in {where}")
        ranges.append((start, end))
    return ranges


_PREFIXES = ("sudo", "$", "#", "command")
_SAVE_COMMANDS = ("-A", "-I", "--append", "--insert")


def _strip_command(args: list[str]) -> list[str] | None:
    """The arguments after ``iptables`` (also ``sudo``, ``/sbin/ip6tables``, ``$``)."""
    while args and args[0] in _PREFIXES:
        args = args[1:]
    if args and os.path.basename(args[0]) in _COMMANDS:
        return args[1:]
    if args and args[0] in _SAVE_COMMANDS:
        return args  # iptables-save
    return None


def _is_command(line: str) -> bool:
    """Whether a line starts as an iptables command does: checked on plain words
    before :mod:`shlex` sees the line, so the rest of a shell script (an ``awk``
    program, an open quote that a later line closes) is never split."""
    words = line.split(None, 4)
    while words and words[0] in _PREFIXES:
        words = words[1:]
    return bool(words) and (os.path.basename(words[0]) in _COMMANDS or words[0] in _SAVE_COMMANDS)


@dataclass(slots=True)
class IptablesLine:
    """One iptables rule as written, before we know whether its chain is reached."""

    lineno: int
    text: str
    table: str = "filter"
    chain: str = ""
    target: str = ""
    protocol: str = ANY
    dports: list[tuple[int, int]] | None = None
    comment: str = ""
    icmp_type: str = ""
    states: set[str] = field(default_factory=set)
    negated: bool = False
    loopback: bool = False
    new_chain: str = ""  # ``-N NAME``
    changes_chains: bool = False  # -N, -F, -X, -P, ...: adds no rule

    def skip(self, reason: str) -> Skipped:
        return Skipped(self.lineno, reason, self.text)

    def condition(self) -> str | None:
        """Why this rule (whatever its target) matches no new connection from outside."""
        if self.table != "filter":
            return f"{self.table} table"
        if self.loopback:
            return "loopback interface"
        if self.negated:
            return "negated match (!) is not checked"
        if self.states and "NEW" not in self.states:
            return f"only {','.join(sorted(self.states))} connections"
        if neighbour_discovery(self.protocol, [self.icmp_type.casefold()]):
            return "ICMPv6 neighbour discovery"
        return None

    def opened(self, role: str | None, chain: str = "") -> list[FirewallRule]:
        """The ports an ACCEPT rule opens (its chain is reached from INPUT)."""
        if self.protocol in PORT_PROTOCOLS:
            ranges = self.dports if self.dports is not None else [(MIN_PORT, MAX_PORT)]
            return [
                FirewallRule(
                    self.protocol, start, end, role, self.comment, "", self.lineno, self.text, chain
                )
                for start, end in ranges
            ]
        if self.dports is not None:
            raise RulesError(
                f"--dport needs -p tcp, udp or sctp, not {self.protocol}",
                line=self.lineno or None,
            )
        return [
            FirewallRule(
                self.protocol,
                None,
                None,
                role,
                self.comment,
                self.icmp_type,
                self.lineno,
                self.text,
                chain,
            )
        ]


def read_line(line: str, lineno: int, table: str) -> IptablesLine | None:
    """The parts of one iptables command or ``iptables-save`` line that say what it
    opens; ``None`` for a line that is no iptables command."""
    if not _is_command(line):
        return None
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError as exc:
        raise RulesError(f"cannot split rule: {exc}", line=lineno or None) from None
    args = _strip_command(tokens)
    if args is None:
        return None
    rule = IptablesLine(lineno, line.strip(), table)
    i = 0

    def value() -> str:
        nonlocal i
        i += 1
        if i >= len(args):
            raise RulesError(f"{args[i - 1]} needs a value", line=lineno or None)
        return args[i]

    while i < len(args):
        arg = args[i]
        if arg == "!":
            rule.negated = True
        elif arg in ("-t", "--table"):
            rule.table = value()
        elif arg in ("-A", "--append", "-I", "--insert"):
            rule.chain = value()
            if arg in ("-I", "--insert") and i + 1 < len(args) and args[i + 1].isdigit():
                i += 1
        elif arg in _CHAIN_COMMANDS:
            rule.changes_chains = True
            if _CHAIN_COMMANDS[arg] and i + 1 < len(args):
                rule.new_chain = value()
        elif arg in ("-j", "--jump", "-g", "--goto"):
            rule.target = value()
        elif arg in ("-p", "--protocol"):
            rule.protocol = canonical(value())
        elif arg in ("--dport", "--destination-port", "--dports", "--destination-ports", "--ports"):
            rule.dports = parse_ports(value(), f"{arg} of line {lineno}")
        elif arg in ("--icmp-type", "--icmpv6-type"):
            rule.icmp_type = value()
        elif arg == "--comment":
            rule.comment = value()
        elif arg in ("--state", "--ctstate"):
            rule.states = {s.upper() for s in value().split(",")}
        elif arg in ("-i", "--in-interface"):
            rule.loopback = rule.loopback or value() == "lo"
        elif arg in ("-w", "--wait"):
            if i + 1 < len(args) and args[i + 1].isdigit():
                i += 1
        elif arg in _TAKES_VALUE:
            value()
        i += 1
    return rule


def parse_rule(
    line: str, *, role: str | None = None, lineno: int = 0, table: str = "filter"
) -> list[FirewallRule] | Skipped | None:
    """One iptables command or ``iptables-save`` line, on its own (so only ``INPUT``
    counts: a whole file is needed to see which chains ``INPUT`` jumps to).

    Returns the opened ports (several for ``-m multiport``), a :class:`Skipped` for a
    rule that opens nothing we check, or ``None`` for a line that is no iptables rule.
    """
    rule = read_line(line, lineno, table)
    if rule is None or (rule.changes_chains and not rule.chain):
        return None
    why = rule.condition()
    if why:
        return rule.skip(why)
    if rule.chain.upper() != "INPUT":
        return rule.skip(f"chain {rule.chain or '(none)'}, not INPUT")
    if rule.target != "ACCEPT":
        return rule.skip(f"target {rule.target or '(none)'}, not ACCEPT")
    return rule.opened(role_of_comment(rule.comment) or role)
