"""iptables rules as a shell script runs them (``iptables -A INPUT ...``) or as
``iptables-save`` prints them (``*filter``, ``-A INPUT ...``, ``COMMIT``) -> the ports
they open.

Only what opens a port counts: ``-A``/``-I INPUT`` rules of the filter table that
jump to ``ACCEPT``. Other chains, other targets, loopback and
``ESTABLISHED,RELATED`` rules are skipped (and counted, so a report can say so);
arguments are split with :mod:`shlex` exactly as a shell would. Protocol words go
through :mod:`konvoy_portspec.protocols`, so ``-p ipencap`` (how ``iptables-save``
names protocol 4) reads as the spec's ``ipip``, ``-p 6`` as ``tcp``.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, replace

from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.model import MAX_PORT, MIN_PORT
from konvoy_portspec.protocols import PORT_PROTOCOLS, canonical

#: The spec's name for iptables' ``-p all`` (also a rule without ``-p``): every protocol.
ANY = canonical("all")

_COMMANDS = {"iptables", "ip6tables", "iptables-legacy", "iptables-nft", "ip6tables-legacy"}
_ROLE_COMMENT = re.compile(r"^#+\s*role:\s*([A-Za-z0-9_.-]+)", re.IGNORECASE)
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


class RulesError(PortSpecError):
    """An iptables rule that cannot be read (bad port, missing argument)."""


@dataclass(frozen=True, slots=True)
class FirewallRule:
    """One port (range) or port-less protocol an ACCEPT rule opens.

    ``role`` is ``None`` when the input does not say which node role the rule is for
    (a plain rules file): it then applies to every role checked. ``port``/``end_port``
    are ``None`` for port-less rules (ICMP, IP-in-IP) and for ``-p all`` (``any``).
    """

    protocol: str
    port: int | None
    end_port: int | None
    role: str | None = None
    comment: str = ""
    icmp_type: str = ""
    line: int = 0
    text: str = ""

    @property
    def port_text(self) -> str:
        if self.port is None:
            return ""
        return str(self.port) if self.end_port == self.port else f"{self.port}-{self.end_port}"

    def __str__(self) -> str:
        if self.port is not None:
            return f"{self.port_text}/{self.protocol}"
        if self.icmp_type:
            return f"{self.protocol} type {self.icmp_type}"
        return self.protocol

    def with_role(self, role: str) -> FirewallRule:
        return replace(self, role=role)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A rule line that opens nothing we check, and why."""

    line: int
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class RuleSet:
    """What a rules input opens: rules in input order, the roles it names, what it
    skipped, and where it came from."""

    rules: tuple[FirewallRule, ...]
    roles: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    path: str | None = None
    release: str | None = None  # from a page's front matter (``release: v1.8``)

    def for_role(self, role: str) -> list[FirewallRule]:
        """Rules for ``role``, including those that name no role (they apply to all)."""
        return [r for r in self.rules if r.role is None or r.role == role]


# --- one rule ------------------------------------------------------------------------


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


def _strip_command(args: list[str]) -> list[str] | None:
    """The arguments after ``iptables`` (also ``sudo``, ``/sbin/ip6tables``, ``$``)."""
    while args and args[0] in ("sudo", "$", "#", "command"):
        args = args[1:]
    if args and os.path.basename(args[0]) in _COMMANDS:
        return args[1:]
    if args and args[0] in ("-A", "-I", "--append", "--insert"):
        return args  # iptables-save
    return None


def parse_rule(
    line: str, *, role: str | None = None, lineno: int = 0, table: str = "filter"
) -> list[FirewallRule] | Skipped | None:
    """One iptables command or ``iptables-save`` line.

    Returns the opened ports (several for ``-m multiport``), a :class:`Skipped` for a
    rule that opens nothing we check, or ``None`` for a line that is no iptables rule.
    """
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError as exc:
        raise RulesError(f"cannot split rule: {exc}", line=lineno or None) from None
    args = _strip_command(tokens)
    if args is None:
        return None
    text = line.strip()

    def skip(reason: str) -> Skipped:
        return Skipped(lineno, reason, text)

    chain = target = ""
    protocol = ANY
    dports: list[tuple[int, int]] | None = None
    comment = icmp_type = ""
    states: set[str] = set()
    negated = False
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
            negated = True
        elif arg in ("-t", "--table"):
            table = value()
        elif arg in ("-A", "--append", "-I", "--insert"):
            chain = value()
            if arg in ("-I", "--insert") and i + 1 < len(args) and args[i + 1].isdigit():
                i += 1
        elif arg in ("-j", "--jump"):
            target = value()
        elif arg in ("-p", "--protocol"):
            protocol = canonical(value())
        elif arg in ("--dport", "--destination-port", "--dports", "--destination-ports", "--ports"):
            dports = parse_ports(value(), f"{arg} of line {lineno}")
        elif arg in ("--icmp-type", "--icmpv6-type"):
            icmp_type = value()
        elif arg == "--comment":
            comment = value()
        elif arg in ("--state", "--ctstate"):
            states = {s.upper() for s in value().split(",")}
        elif arg in ("-i", "--in-interface"):
            if value() == "lo":
                return skip("loopback interface")
        elif arg in ("-w", "--wait"):
            if i + 1 < len(args) and args[i + 1].isdigit():
                i += 1
        elif arg in _TAKES_VALUE:
            value()
        i += 1
    if table != "filter":
        return skip(f"{table} table")
    if chain.upper() != "INPUT":
        return skip(f"chain {chain or '(none)'}, not INPUT")
    if target != "ACCEPT":
        return skip(f"target {target or '(none)'}, not ACCEPT")
    if negated:
        return skip("negated match (!) is not checked")
    if states and "NEW" not in states:
        return skip(f"only {','.join(sorted(states))} connections")
    if protocol in PORT_PROTOCOLS:
        ranges = dports if dports is not None else [(MIN_PORT, MAX_PORT)]
        return [
            FirewallRule(protocol, start, end, role, comment, "", lineno, text)
            for start, end in ranges
        ]
    if dports is not None:
        raise RulesError(f"--dport needs -p tcp, udp or sctp, not {protocol}", line=lineno or None)
    return [FirewallRule(protocol, None, None, role, comment, icmp_type, lineno, text)]


# --- a whole rules file --------------------------------------------------------------


def _logical_lines(text: str, first_line: int = 1) -> Iterator[tuple[int, str]]:
    """Lines with shell continuations (trailing backslash) joined, with their numbers.

    A comment line never continues (in sh, bash and nft a ``#`` comment ends at the end
    of its line, backslash or not), so a comment cannot swallow the rule below it.
    """
    pending: list[str] = []
    start = first_line
    for n, raw in enumerate(text.split("\n"), start=first_line):
        if not pending:
            start = n
        if raw.rstrip().endswith("\\") and not (not pending and raw.lstrip().startswith("#")):
            pending.append(raw.rstrip()[:-1])
            continue
        pending.append(raw)
        yield start, " ".join(pending)
        pending = []
    if pending:
        yield start, " ".join(pending)


def parse_rules_text(
    text: str, *, role: str | None = None, first_line: int = 1, path: str | None = None
) -> RuleSet:
    """A rules file or ``iptables-save`` output.

    A ``# role: ID`` comment line (as ``portspec export --format iptables`` writes)
    sets the role of the rules after it; otherwise rules carry ``role``.
    """
    rules: list[FirewallRule] = []
    skipped: list[Skipped] = []
    roles: list[str] = [role] if role else []
    table = "filter"
    current = role
    for lineno, line in _logical_lines(text, first_line):
        stripped = line.strip()
        if not stripped:
            continue
        marker = _ROLE_COMMENT.match(stripped)
        if marker:
            current = marker.group(1)
            if current not in roles:
                roles.append(current)
            continue
        if stripped.startswith("*"):
            table = stripped[1:].strip() or "filter"
            continue
        if stripped.startswith(("#", ":")) or stripped == "COMMIT":
            continue
        try:
            parsed = parse_rule(stripped, role=current, lineno=lineno, table=table)
        except PortSpecError as exc:
            raise exc.with_location(path=path, line=lineno) from None
        if isinstance(parsed, Skipped):
            skipped.append(parsed)
        elif parsed is not None:
            rules.extend(parsed)
    return RuleSet(tuple(rules), tuple(roles), tuple(skipped), path)
