"""iptables rules as a shell script runs them (``iptables -A INPUT ...``) or as
``iptables-save`` prints them (``*filter``, ``-A INPUT ...``, ``COMMIT``) -> the ports
they open.

Only what opens a port counts: rules of the filter table that jump to ``ACCEPT`` in
``INPUT`` or in a chain ``INPUT`` jumps to (``-A INPUT -j KONVOY-WORKER``, also through
further chains, also when the jump comes after the chain's rules, as a script that
creates the chain first writes it). A script may jump in a way no line shows (the
export's ``konvoy_jump`` shell function, or the command an ``iptables-restore
--noflush`` file names in its header): there, a chain nothing visibly jumps to still
counts for its rules that name their role, and for the role the chain is named after
(:attr:`RuleSet.pending`). ``iptables-save`` output shows the whole table (it lists
INPUT), every jump included, so there an unreached chain opens nothing. Other chains,
other targets, loopback, ``ESTABLISHED,RELATED`` and ICMPv6 neighbour discovery rules
are skipped (and counted, so a report can say so). One line is read by
:mod:`konvoy_portspec.analysis.firewall.iptables_line`.

Roles: see :mod:`konvoy_portspec.analysis.firewall.ruleset` (a rule's own
``konvoy-portspec ROLE:`` comment, which survives ``iptables-save``, comes first).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from konvoy_portspec.analysis.firewall.iptables_line import IptablesLine, read_line
from konvoy_portspec.analysis.firewall.ruleset import (
    FirewallRule,
    RuleSet,
    Skipped,
    role_of_comment,
    role_of_jump_comment,
)
from konvoy_portspec.errors import PortSpecError

_ROLE_COMMENT = re.compile(r"^#+\s*role:\s*([A-Za-z0-9_.-]+)", re.IGNORECASE)
#: ``*filter``: iptables-save's table header (not a shell ``case`` branch's ``*)``).
_TABLE_HEADER = re.compile(r"^\*([A-Za-z_][A-Za-z0-9_-]*)$")
#: The chains iptables has without ``-N``; a jump to any other name that is no chain
#: of the input is a target extension (LOG, REJECT, MARK, ...).
_BUILTIN_CHAINS = {"INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING"}


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


def _read_lines(
    text: str, role: str | None, first_line: int, path: str | None
) -> tuple[list[tuple[IptablesLine, str | None]], set[str], list[str], bool]:
    """Every iptables rule of ``text`` with the role its ``# role:`` header gives it,
    the chains the text creates (``-N``, ``iptables-save``'s ``:NAME - [0:0]``), the
    roles the headers name, in order, and whether the text is ``iptables-save``
    output (it has ``*table`` lines)."""
    lines: list[tuple[IptablesLine, str | None]] = []
    chains: set[str] = set()
    markers: list[str] = []
    table = "filter"
    saved = False
    current = role
    for lineno, line in _logical_lines(text, first_line):
        stripped = line.strip()
        if not stripped:
            continue
        marker = _ROLE_COMMENT.match(stripped)
        if marker:
            current = marker.group(1)
            markers.append(current)
            continue
        header = _TABLE_HEADER.match(stripped)
        if header:
            table = header.group(1)
            continue
        if stripped.startswith(":"):
            name = stripped[1:].split()[0] if stripped[1:].split() else ""
            if table == "filter":
                chains.add(name)
                saved = saved or name == "INPUT"
            continue
        if stripped.startswith("#") or stripped == "COMMIT":
            continue
        try:
            parsed = read_line(stripped, lineno, table)
        except PortSpecError as exc:
            raise exc.with_location(path=path, line=lineno) from None
        if parsed is None:
            continue
        if parsed.new_chain and parsed.table == "filter":
            chains.add(parsed.new_chain)
        if not parsed.changes_chains or parsed.chain:
            lines.append((parsed, current))
    return lines, chains, markers, saved


def _reached(lines: list[tuple[IptablesLine, str | None]], user: set[str]) -> dict[str, str | None]:
    """The chains ``INPUT`` jumps to, directly or through other chains, each with the
    role the first jump to it names (its comment, else the ``# role:`` header it is
    under). A jump that matches no new connection from outside (loopback, established
    connections only) leads nowhere."""
    jumps: dict[str, list[tuple[str, str | None]]] = {}
    for rule, marker in lines:
        if rule.target in user and rule.table == "filter" and not rule.condition():
            role = role_of_jump_comment(rule.comment) or marker
            jumps.setdefault(rule.chain, []).append((rule.target, role))
    reached: dict[str, str | None] = {}
    todo = ["INPUT"]
    while todo:
        for target, role in jumps.get(todo.pop(), []):
            if target not in reached:
                reached[target] = role
                todo.append(target)
    return reached


def parse_rules_text(
    text: str, *, role: str | None = None, first_line: int = 1, path: str | None = None
) -> RuleSet:
    """A rules file or ``iptables-save`` output.

    A rule's role is the one its ``konvoy-portspec ROLE: ...`` comment names, else the
    one of the ``# role: ID`` header above it (as ``portspec export --format iptables``
    writes them), else the one the jump to its chain names, else ``role``.
    """
    lines, chains, markers, saved = _read_lines(text, role, first_line, path)
    user = (chains | {r.chain for r, _ in lines if r.table == "filter"}) - _BUILTIN_CHAINS
    reached = _reached(lines, user)
    targets = {rule.target for rule, _ in lines}  # a chain jumped to from elsewhere
    rules: list[FirewallRule] = []
    pending: list[FirewallRule] = []
    skipped: list[Skipped] = []
    roles = list(dict.fromkeys([role, *markers] if role else markers))
    for rule, marker in lines:
        hidden = False  # in a script's chain that no line shows a jump to
        why = rule.condition()
        if not why and rule.chain.upper() != "INPUT" and rule.chain not in reached:
            if saved or rule.chain not in user or rule.chain in targets:
                why = f"chain {rule.chain or '(none)'}, not INPUT (nor a chain INPUT jumps to)"
            hidden = True
        if not why and rule.target in user:
            continue  # a jump we follow: its chain's rules say what it opens
        if not why and rule.target != "ACCEPT":
            why = f"target {rule.target or '(none)'}, not ACCEPT"
        if why:
            skipped.append(rule.skip(why))
            continue
        chain = "" if rule.chain.upper() == "INPUT" else rule.chain
        own = role_of_comment(rule.comment) or marker or reached.get(chain)
        try:
            opened = rule.opened(own, chain)
        except PortSpecError as exc:
            raise exc.with_location(path=path, line=rule.lineno) from None
        (pending if hidden and not own else rules).extend(opened)
        if own and own not in roles:
            roles.append(own)
    return RuleSet(tuple(rules), tuple(roles), tuple(skipped), path, pending=tuple(pending))
