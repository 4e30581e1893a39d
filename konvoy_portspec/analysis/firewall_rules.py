"""iptables rules -> the ports they open, per node role.

Reads three shapes of input: a rules file (``iptables -A INPUT ...`` lines, as a shell
script would run them), ``iptables-save`` output (``*filter``, ``-A INPUT ...``,
``COMMIT``) and a docs page with the rules in code blocks, where the paragraph before
each block names the role ("Control Plane nodes:", "Worker nodes:"), as on the Konvoy
firewall-rules pages.

Only what opens a port counts: ``-A``/``-I INPUT`` rules of the filter table that
jump to ``ACCEPT``. Other chains, other targets, loopback and
``ESTABLISHED,RELATED`` rules are skipped (and counted, so a report can say so);
arguments are split with :mod:`shlex` exactly as a shell would. Markdown is parsed
with markdown-it-py, imported only for pages.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.model import MAX_PORT, MIN_PORT, PORT_PROTOCOLS

#: ``-p`` values (names or numbers) to the protocol ids the spec uses.
IPTABLES_PROTOCOLS = {
    "tcp": "tcp",
    "6": "tcp",
    "udp": "udp",
    "17": "udp",
    "sctp": "sctp",
    "132": "sctp",
    "icmp": "icmp",
    "1": "icmp",
    "ipv6-icmp": "icmpv6",
    "icmpv6": "icmpv6",
    "58": "icmpv6",
    "ipip": "ipip",
    "4": "ipip",
    "gre": "gre",
    "47": "gre",
    "esp": "esp",
    "50": "esp",
    "ah": "ah",
    "51": "ah",
    "vrrp": "vrrp",
    "112": "vrrp",
    "igmp": "igmp",
    "2": "igmp",
    "all": "all",
    "0": "all",
}
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
_FENCE_LANGS_SKIPPED = {"yaml", "yml", "json", "toml", "xml"}


class RulesError(PortSpecError):
    """An iptables rule that cannot be read (bad port, missing argument)."""


@dataclass(frozen=True, slots=True)
class FirewallRule:
    """One port (range) or port-less protocol an ACCEPT rule opens.

    ``role`` is ``None`` when the input does not say which node role the rule is for
    (a plain rules file): it then applies to every role checked. ``port``/``end_port``
    are ``None`` for port-less rules (ICMP, IP-in-IP) and for ``-p all``.
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
    protocol = "all"
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
            name = value().lower()
            protocol = IPTABLES_PROTOCOLS.get(name, name)
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


# --- whole inputs --------------------------------------------------------------------


def _logical_lines(text: str, first_line: int = 1) -> Iterator[tuple[int, str]]:
    """Lines with shell continuations (trailing backslash) joined, with their numbers."""
    pending: list[str] = []
    start = first_line
    for n, raw in enumerate(text.split("\n"), start=first_line):
        if not pending:
            start = n
        if raw.rstrip().endswith("\\"):
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


def _role_of_caption(text: str) -> str | None:
    """The role a paragraph before a code block names, if it names one."""
    from konvoy_portspec.extraction.cells import clean_title, known_role, role_id_for

    title = clean_title(text)
    if known_role(title):
        return role_id_for(title)
    # Other roles as the extractor names them ("Etcd nodes:" -> etcd-nodes); a sentence
    # such as "Rules every node needs:" names none.
    if len(title) <= 40 and re.search(r"\bnodes?$", title, re.IGNORECASE):
        return role_id_for(title)
    return None


#: Blocks whose text titles the code block right after them (its role).
_CAPTION_BLOCKS = ("paragraph_open", "heading_open")


def parse_rules_page(text: str, *, path: str | None = None) -> RuleSet:
    """A markdown page with iptables rules in code blocks (fenced or indented).

    Each block takes its role from the paragraph (or heading) right before it;
    a block with no role before it applies to every role.
    """
    from konvoy_portspec.extraction import release_from, split_front_matter
    from konvoy_portspec.extraction.markdown_reader import parser

    meta, body = split_front_matter(text)
    tokens = parser().parse(body)
    rules: list[FirewallRule] = []
    skipped: list[Skipped] = []
    roles: list[str] = []
    caption: str | None = None
    for i, tok in enumerate(tokens):
        if tok.type == "inline" and i > 0 and tokens[i - 1].type in _CAPTION_BLOCKS:
            caption = tok.content
            continue
        if tok.type not in ("fence", "code_block"):
            continue
        lang = tok.info.strip().split()[0].lower() if tok.info.strip() else ""
        if lang in _FENCE_LANGS_SKIPPED:
            caption = None
            continue
        role = _role_of_caption(caption) if caption else None
        caption = None
        first = (tok.map[0] + 1 + (1 if tok.type == "fence" else 0)) if tok.map else 1
        block = parse_rules_text(tok.content, role=role, first_line=first, path=path)
        rules.extend(block.rules)
        skipped.extend(block.skipped)
        roles.extend(r for r in block.roles if r not in roles)
    return RuleSet(tuple(rules), tuple(roles), tuple(skipped), path, release_from(meta, None))


def looks_like_page(text: str, path: str | None = None) -> bool:
    """Markdown pages hold their rules in code blocks; rules files are bare lines."""
    if path and path.lower().endswith((".md", ".markdown", ".mdx")):
        return True
    return re.search(r"^\s{0,3}(```|~~~)", text, re.MULTILINE) is not None


def parse_rules(text: str, *, path: str | None = None, role: str | None = None) -> RuleSet:
    """Any supported input: a docs page, a rules file or ``iptables-save`` output.

    ``role`` names the role of rules that do not say theirs. Raises
    :class:`RulesError` when the input opens no port at all (it is probably not a
    rules file), naming the file.
    """
    if looks_like_page(text, path):
        ruleset = parse_rules_page(text, path=path)
        if role:
            ruleset = RuleSet(
                tuple(r if r.role else _with_role(r, role) for r in ruleset.rules),
                ruleset.roles or (role,),
                ruleset.skipped,
                path,
                ruleset.release,
            )
    else:
        ruleset = parse_rules_text(text, role=role, path=path)
    if not ruleset.rules:
        found = f" ({len(ruleset.skipped)} other rules skipped)" if ruleset.skipped else ""
        raise RulesError(f"no iptables INPUT ACCEPT rules found{found}", path=path)
    return ruleset


def _with_role(rule: FirewallRule, role: str) -> FirewallRule:
    from dataclasses import replace

    return replace(rule, role=role)


def read_rules_file(path: str | os.PathLike[str], *, role: str | None = None) -> RuleSet:
    """Read and parse a rules file, ``iptables-save`` dump or docs page from disk."""
    from konvoy_portspec.extraction import decode
    from konvoy_portspec.io.files import read_bytes

    name, raw = read_bytes(path, RulesError, "rules file")
    return parse_rules(decode(raw, name), path=name, role=role)


def opened(rules: Sequence[FirewallRule], protocol: str) -> list[tuple[int, int]]:
    """Merged port ranges the rules open for ``protocol`` (``-p all`` opens everything)."""
    if any(r.protocol == "all" for r in rules):
        return [(MIN_PORT, MAX_PORT)]
    return merge_spans(
        (r.port, r.end_port)
        for r in rules
        if r.port is not None and r.end_port is not None and r.protocol == protocol
    )


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Port ranges sorted, with overlapping and adjacent ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
