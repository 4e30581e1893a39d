"""What any firewall input opens, whichever tool wrote it: the values every reader
(iptables, ``nft -j``, firewalld, a docs page) returns and the comparison reads.

A rule's role comes, from the most to the least specific, from the rule itself (the
``konvoy-portspec ROLE: ...`` comment an export writes on every iptables rule), a
``# role:`` header or a docs page's caption, the comment of the jump that leads to the
rule's chain, and last the chain's name (``KONVOY-WORKER``, nft's ``control_plane``).
A chain name is only a hint: it names a role when the spec has a role of that name
(:meth:`RuleSet.resolve`), so a chain such as ``ALLOW-SSH`` applies to every role.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.io.schema_check import ROLE_ID
from konvoy_portspec.model import Source
from konvoy_portspec.protocols import canonical

#: The spec's name for "every protocol" (iptables ``-p all``, a bare nft ``accept``).
ANY = canonical("all")

#: The comment ``portspec export`` puts on each rule: ``konvoy-portspec worker: kubelet``
#: (see :func:`konvoy_portspec.output.exporters.iptables.rule_comment`). The colon is
#: required: a comment cut to iptables' 256 bytes inside the role id has none.
_RULE_COMMENT = re.compile(f"^konvoy-portspec ({ROLE_ID.pattern}): ")
#: The same without a component, as on a jump to a role's chain: ``konvoy-portspec worker``.
_CHAIN_COMMENT = re.compile(f"^konvoy-portspec ({ROLE_ID.pattern})(?::|$)")
#: Prefixes a role's chain may carry before the role: ``KONVOY-WORKER``, ``konvoy_worker``.
_CHAIN_PREFIXES = ("konvoy-portspec-", "konvoy-")
#: ICMPv6 neighbour discovery (RFC 4861, types 133-137) as nft and iptables name it:
#: what IPv6 needs to work at all, accepted by a firewall like loopback traffic, and no
#: port a spec lists.
NEIGHBOUR_DISCOVERY = frozenset(
    {
        *map(str, range(133, 138)),
        "nd-router-solicit",
        "nd-router-advert",
        "nd-neighbor-solicit",
        "nd-neighbor-advert",
        "nd-redirect",
        "router-solicitation",
        "router-advertisement",
        "neighbour-solicitation",
        "neighbor-solicitation",
        "neighbour-advertisement",
        "neighbor-advertisement",
        "redirect",
    }
)


class RulesError(PortSpecError):
    """A firewall rule or ruleset that cannot be read (bad port, missing argument,
    a file that is no ruleset)."""


def role_of_comment(comment: str) -> str | None:
    """The role a rule's ``konvoy-portspec ROLE: component`` comment names, if any."""
    found = _RULE_COMMENT.match(comment)
    return found.group(1) if found else None


def role_of_jump_comment(comment: str) -> str | None:
    """The role the comment of a jump to a role's chain names (``konvoy-portspec ROLE``)."""
    found = _CHAIN_COMMENT.match(comment)
    return found.group(1) if found else None


def neighbour_discovery(protocol: str, icmp_types: Collection[str]) -> bool:
    """Whether an ICMPv6 match accepts only neighbour discovery messages."""
    return protocol == "icmpv6" and bool(icmp_types) and set(icmp_types) <= NEIGHBOUR_DISCOVERY


def role_of_chain(chain: str, roles: Collection[str]) -> str | None:
    """The role of ``roles`` a chain is named after: ``KONVOY-CONTROL-PLANE``,
    ``konvoy_worker``, ``control_plane`` (nft's spelling of a role id)."""
    name = chain.casefold().replace("_", "-")
    for candidate in (name, *(name[len(p) :] for p in _CHAIN_PREFIXES if name.startswith(p))):
        if candidate in roles:
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class FirewallRule:
    """One port (range) or port-less protocol an accepting rule opens.

    ``role`` is ``None`` when the input does not say which node role the rule is for:
    it then applies to every role checked (or to the role its ``chain`` is named
    after). ``port``/``end_port`` are ``None`` for port-less rules (ICMP, IP-in-IP) and
    for ``any``. ``line`` is the rule's line in the input (0 where the input has no
    lines to speak of, as JSON), ``where`` says where it is otherwise (an nft chain
    and handle, a firewalld zone).
    """

    protocol: str
    port: int | None
    end_port: int | None
    role: str | None = None
    comment: str = ""
    icmp_type: str = ""
    line: int = 0
    text: str = ""
    chain: str = ""
    where: str = ""

    @property
    def port_text(self) -> str:
        if self.port is None:
            return ""
        return str(self.port) if self.end_port == self.port else f"{self.port}-{self.end_port}"

    @property
    def location(self) -> str:
        """``line 16``, or where the input puts the rule when it has no lines."""
        return self.where or f"line {self.line}"

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
    """A rule that opens nothing we check, and why."""

    line: int
    reason: str
    text: str
    where: str = ""

    @property
    def location(self) -> str:
        return self.where or f"line {self.line}"


#: The input formats check-rules reads (``--input-format``), as :func:`read_rules_file`
#: names them.
INPUT_FORMATS = ("iptables", "page", "nft-json", "firewalld-xml", "firewall-cmd")


@dataclass(frozen=True, slots=True)
class RuleSet:
    """What a rules input opens: rules in input order, the roles it names, what it
    skipped, where it came from (``path``; ``source`` with the input's sha256 when it
    was read from a file or stdin) and in which format."""

    rules: tuple[FirewallRule, ...]
    roles: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    path: str | None = None
    release: str | None = None  # a page's front matter, a firewalld service's <short>
    source: Source | None = None
    input_format: str = "iptables"
    #: Rules of a script in a chain no visible jump leads to (the script may jump in a
    #: shell function): they count when the chain is named after a role of the spec.
    pending: tuple[FirewallRule, ...] = ()

    def for_role(self, role: str) -> list[FirewallRule]:
        """Rules for ``role``, including those that name no role (they apply to all)."""
        return [r for r in self.rules if r.role is None or r.role == role]

    def resolve(self, known: Collection[str]) -> RuleSet:
        """Rules in a chain named after one of the ``known`` roles (and that say no role
        of their own) take that role, and so do :attr:`pending` rules, which are
        skipped when their chain names no role; the roles named so join :attr:`roles`."""
        roles = list(self.roles)
        rules = []
        skipped = list(self.skipped)
        for pending, group in ((False, self.rules), (True, self.pending)):
            for rule in group:
                role = role_of_chain(rule.chain, known) if rule.chain else None
                if pending and role is None:
                    why = f"chain {rule.chain}: nothing jumps to it from INPUT, nor is it a role's"
                    skipped.append(Skipped(rule.line, why, rule.text, rule.where))
                    continue
                if rule.role is None and role is not None:
                    rule = rule.with_role(role)
                if rule.role is not None and rule.role not in roles:
                    roles.append(rule.role)
                rules.append(rule)
        skipped.sort(key=lambda s: s.line)
        return replace(
            self, rules=tuple(rules), roles=tuple(roles), skipped=tuple(skipped), pending=()
        )

    def with_default_role(self, role: str) -> RuleSet:
        """Rules that name no role (and no chain that could) take ``role``."""
        rules = tuple(r if r.role or r.chain else r.with_role(role) for r in self.rules)
        return replace(self, rules=rules, roles=self.roles or (role,))
