"""``nft -j list ruleset`` (libnftables-json(5)) -> the ports it opens.

What counts: rules that end in ``accept`` in a base chain hooked on ``input`` (tables of
family ``ip``, ``ip6`` or ``inet``) or in a chain such a chain jumps (or goes) to,
within its table, directly or through other chains. Matches read: ``tcp``/``udp``/
``sctp``/``dccp dport`` (``th dport`` with ``meta l4proto``) against a port, a range,
an anonymous set or a named set of the table; ``meta l4proto``, ``ip protocol`` and
``ip6 nexthdr`` (a protocol name, as nft prints one from ``/etc/protocols``, or a
number); ``icmp``/``icmpv6 type``. A rule that only matches loopback (``iif "lo"``),
established connections or a negated match is skipped, as is any other verdict;
other matches (addresses, counters, limits) do not change what a rule opens.

JSON has no lines: a rule is placed by family, table, chain and handle.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from konvoy_portspec.analysis.firewall.ruleset import (
    ANY,
    FirewallRule,
    RulesError,
    RuleSet,
    Skipped,
    neighbour_discovery,
)
from konvoy_portspec.io.files import parse_json
from konvoy_portspec.model import MAX_PORT, MIN_PORT
from konvoy_portspec.protocols import PORT_PROTOCOLS, canonical

#: Families whose ``input`` hook sees a host's incoming traffic.
_FAMILIES = {"ip", "ip6", "inet"}
#: Transport protocols nft matches ``dport`` of (``th`` is "any of ``meta l4proto``").
_DPORT_PROTOCOLS = {"tcp", "udp", "sctp", "dccp", "udplite", "th"}
_VERDICTS = {"accept", "drop", "reject", "return", "queue", "continue"}

TableKey = tuple[str, str]  # (family, table)
ChainKey = tuple[str, str, str]  # (family, table, chain)


@dataclass(slots=True)
class _Match:
    """What one rule's expressions match, as far as the ports it opens go."""

    protocols: set[str] = field(default_factory=set)  # meta l4proto / payload protocol
    dports: list[tuple[int, int]] | None = None
    dport_protocol: str = ""
    icmp: str = ""
    icmp_type: str = ""
    skip: str = ""
    verdict: str = ""
    target: str = ""  # jump / goto


def _objects(data: object, path: str | None) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("nftables"), list):
        raise RulesError(
            'not `nft -j list ruleset` output: no "nftables" list at the top', path=path
        )
    return [o for o in data["nftables"] if isinstance(o, dict)]


def _int_port(value: object, where: str) -> int:
    if type(value) is int and MIN_PORT <= value <= MAX_PORT:
        return value
    if isinstance(value, str) and value.isdigit() and MIN_PORT <= int(value) <= MAX_PORT:
        return int(value)
    raise RulesError(f"not a port: {json.dumps(value)} in {where}")


def _ports(value: object, sets: dict[str, list[Any]], where: str) -> list[tuple[int, int]]:
    """A port, ``{"range": [a, b]}``, ``{"set": [...]}`` or ``"@name"`` -> ranges."""
    if isinstance(value, str) and value.startswith("@"):
        if value[1:] not in sets:
            raise RulesError(f"set {value} is not in the ruleset, in {where}")
        return _ports({"set": sets[value[1:]]}, {}, where)
    if isinstance(value, dict) and "range" in value:
        bounds = value["range"]
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise RulesError(f"not a port range: {json.dumps(value)} in {where}")
        start, end = (_int_port(b, where) for b in bounds)
        if start > end:
            raise RulesError(f"reversed port range {start}-{end} in {where}")
        return [(start, end)]
    if isinstance(value, dict) and "set" in value and isinstance(value["set"], list):
        out: list[tuple[int, int]] = []
        for item in value["set"]:
            if isinstance(item, dict) and isinstance(item.get("elem"), dict):
                item = item["elem"].get("val")
            out += _ports(item, sets, where)
        return out
    if isinstance(value, dict) and isinstance(value.get("elem"), dict):
        return _ports(value["elem"].get("val"), sets, where)
    port = _int_port(value, where)
    return [(port, port)]


def _words(value: object, sets: dict[str, list[Any]]) -> list[str]:
    """A protocol or ICMP type, or a set of them, as words (numbers as text)."""
    if isinstance(value, str) and value.startswith("@"):
        return _words({"set": sets.get(value[1:], [])}, {})
    if isinstance(value, dict) and isinstance(value.get("set"), list):
        return [w for item in value["set"] for w in _words(item, sets)]
    if isinstance(value, dict) and isinstance(value.get("elem"), dict):
        return _words(value["elem"].get("val"), sets)
    if isinstance(value, list):
        return [w for item in value for w in _words(item, sets)]
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [str(value)]
    return [json.dumps(value)]


def _read_match(match: dict[str, Any], m: _Match, sets: dict[str, list[Any]], where: str) -> None:
    left, right, op = match.get("left"), match.get("right"), match.get("op", "==")
    if not isinstance(left, dict):
        return
    payload, meta, ct = left.get("payload"), left.get("meta"), left.get("ct")
    key = ""
    if isinstance(payload, dict):
        key = f"{payload.get('protocol')} {payload.get('field')}"
    elif isinstance(meta, dict):
        key = f"meta {meta.get('key')}"
    elif isinstance(ct, dict):
        key = f"ct {ct.get('key')}"
    if key == "ct state":
        states = {w.casefold() for w in _words(right, sets)}
        if op in ("==", "in") and "new" not in states:
            m.skip = m.skip or f"only {','.join(sorted(states))} connections"
        elif op == "!=" and "new" in states:
            m.skip = m.skip or "only connections that are not new"
        return
    if key in ("meta iif", "meta iifname"):
        if op in ("==", "in") and "lo" in _words(right, sets):
            m.skip = m.skip or "loopback interface"
        return
    relevant = key.endswith(" dport") or key in ("meta l4proto", "ip protocol", "ip6 nexthdr")
    relevant = relevant or key in ("icmp type", "icmpv6 type")
    if not relevant:
        return  # addresses, marks, ...: narrow whom, not which ports
    if op not in ("==", "in"):
        m.skip = m.skip or f"match {key} {op} ... is not checked"
        return
    if key.endswith(" dport"):
        proto = key.split()[0]
        if proto not in _DPORT_PROTOCOLS:
            m.skip = m.skip or f"match {key} is not checked"
            return
        m.dport_protocol = proto
        m.dports = _ports(right, sets, where)
    elif key in ("icmp type", "icmpv6 type"):
        m.icmp = key.split()[0]
        types = _words(right, sets)
        m.icmp_type = ",".join(types)
        if neighbour_discovery(canonical(m.icmp), [t.casefold() for t in types]):
            m.skip = m.skip or "ICMPv6 neighbour discovery"
    else:
        m.protocols.update(canonical(w) for w in _words(right, sets))


def _read_rule(expr: object, sets: dict[str, list[Any]], where: str) -> _Match:
    m = _Match()
    if not isinstance(expr, list):
        m.skip = "rule without expressions"
        return m
    for stmt in expr:
        if not isinstance(stmt, dict):
            continue
        if isinstance(stmt.get("match"), dict):
            _read_match(stmt["match"], m, sets, where)
        for verdict in ("jump", "goto"):
            if isinstance(stmt.get(verdict), dict):
                m.verdict, m.target = verdict, str(stmt[verdict].get("target", ""))
        for verdict in _VERDICTS & stmt.keys():
            m.verdict = verdict
    return m


def _opened(m: _Match, base: FirewallRule) -> list[FirewallRule]:
    """The rules an accepting match opens, one per protocol and port range."""
    out: list[FirewallRule] = []
    if m.dports is not None:
        if m.dport_protocol == "th":
            protos = sorted(m.protocols) or ["tcp", "udp"]
        else:
            protos = [canonical(m.dport_protocol)]
        for proto in protos:
            for start, end in m.dports:
                out.append(replace(base, protocol=proto, port=start, end_port=end))
        return out
    if m.icmp:
        return [replace(base, protocol=canonical(m.icmp), icmp_type=m.icmp_type)]
    for proto in sorted(m.protocols) or [ANY]:
        if proto in PORT_PROTOCOLS:
            out.append(replace(base, protocol=proto, port=MIN_PORT, end_port=MAX_PORT))
        else:
            out.append(replace(base, protocol=proto))
    return out


def _chains(
    objects: Iterable[dict[str, Any]],
) -> tuple[set[ChainKey], dict[TableKey, dict[str, list[Any]]]]:
    """Base chains hooked on input, and each table's named sets (name -> elements)."""
    bases: set[ChainKey] = set()
    sets: dict[TableKey, dict[str, list[Any]]] = {}
    for obj in objects:
        chain, named = obj.get("chain"), obj.get("set")
        if (
            isinstance(chain, dict)
            and chain.get("hook") == "input"
            and chain.get("family") in _FAMILIES
            and chain.get("type", "filter") == "filter"
        ):
            bases.add((str(chain["family"]), str(chain.get("table")), str(chain.get("name"))))
        if isinstance(named, dict) and isinstance(named.get("elem"), list):
            table = (str(named.get("family")), str(named.get("table")))
            sets.setdefault(table, {})[str(named.get("name"))] = named["elem"]
    return bases, sets


def parse_nft_json(text: str, *, path: str | None = None) -> RuleSet:
    """``nft -j list ruleset`` output -> what its input chains accept.

    A rule in a chain reached by a jump keeps the chain's name, so a chain named after
    a role (the ``nftables`` export's ``konvoy_worker``, or ``worker``) holds that
    role's rules (see :meth:`RuleSet.resolve`).
    """
    try:
        return _parse(text, path)
    except RulesError as exc:
        raise exc.with_location(path=path) from None


def _parse(text: str, path: str | None) -> RuleSet:
    objects = _objects(parse_json(text, RulesError, path, "nft -j output"), path)
    bases, sets = _chains(objects)
    rules_by_chain: dict[ChainKey, list[dict[str, Any]]] = {}
    for obj in objects:
        rule = obj.get("rule")
        if isinstance(rule, dict):
            key = (str(rule.get("family")), str(rule.get("table")), str(rule.get("chain")))
            rules_by_chain.setdefault(key, []).append(rule)
    order = sorted(bases)
    reached = set(order)
    matches: dict[int, tuple[_Match, str]] = {}  # a rule's match and where it stands
    i = 0
    while i < len(order):
        chain = order[i]
        i += 1
        for rule in rules_by_chain.get(chain, []):
            where = _where(chain, rule)
            m = _read_rule(rule.get("expr"), sets.get(chain[:2], {}), where)
            matches[id(rule)] = m, where
            target = (chain[0], chain[1], m.target)
            if m.target and not m.skip and target not in reached:
                reached.add(target)
                order.append(target)
    found: list[FirewallRule] = []
    skipped: list[Skipped] = []
    for chain in order:
        for rule in rules_by_chain.get(chain, []):
            m, where = matches[id(rule)]
            if m.target:
                if m.skip:
                    skipped.append(Skipped(0, f"jump to {m.target}: {m.skip}", _text(rule), where))
                continue
            if m.skip or m.verdict != "accept":
                reason = m.skip or f"verdict {m.verdict or '(none)'}, not accept"
                skipped.append(Skipped(0, reason, _text(rule), where))
                continue
            comment = rule.get("comment")
            base = FirewallRule(
                ANY,
                None,
                None,
                comment=comment if isinstance(comment, str) else "",
                text=_text(rule),
                chain="" if chain in bases else chain[2],
                where=where,
            )
            found += _opened(m, base)
    for chain, rules in rules_by_chain.items():
        if chain not in reached:
            why = f"chain {chain[2]} is not hooked on input, nor jumped to from such a chain"
            skipped += [Skipped(0, why, _text(r), _where(chain, r)) for r in rules]
    return RuleSet(tuple(found), (), tuple(skipped), path, input_format="nft-json")


def _where(chain: ChainKey, rule: dict[str, Any]) -> str:
    family, table, name = chain
    return f"{family} {table} chain {name}, handle {rule.get('handle', '?')}"


def _text(rule: dict[str, Any]) -> str:
    """The rule's expressions as compact JSON (what the report shows of a skipped rule)."""
    return json.dumps(rule.get("expr"), separators=(",", ":"), ensure_ascii=False)[:400]
