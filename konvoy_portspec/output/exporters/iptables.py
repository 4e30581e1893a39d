"""Spec -> a POSIX shell script that opens each role's ports with iptables and ip6tables.

What the script does for the role named as its argument (``sh fw.sh worker``), on IPv4
(``iptables``) and IPv6 (``ip6tables``): it creates the role's chain
(``KONVOY-WORKER``) in the filter table or empties it if it exists, fills it with one
ACCEPT rule per spec rule, and makes INPUT jump to it once (``-C`` before ``-I``; the
jump's comment, ``konvoy-portspec worker``, names the role).
The jump goes before a trailing catch-all REJECT or DROP rule, where RHEL's default
ruleset ends (a rule appended after it would never match), or last when INPUT has
none. So running the script twice leaves the ruleset it leaves once, and a node gets
the ports of its own role only: without a role the script stops before changing
anything.

The rule lines read as the Konvoy pages write them (``iptables -A CHAIN -p tcp -m tcp
--dport 6443 -m comment --comment "..." -j ACCEPT``); ``iptables`` and ``ip6tables``
are shell functions that add ``-w`` (wait for the xtables lock that kube-proxy and
Calico hold). :func:`iptables_command` is shared with the diff's firewall view
(:mod:`konvoy_portspec.output.diff_formats`), so what an upgrade deletes equals what
an earlier export added.
"""

from __future__ import annotations

from collections.abc import Sequence

from konvoy_portspec.model import Role, Rule
from konvoy_portspec.output.escape import (
    IPTABLES_MAX_COMMENT,
    fit_bytes,
    iptables_comment,
    line_comment,
    one_line,
)
from konvoy_portspec.output.exporters.base import (
    IPV4,
    IPV6,
    Exporter,
    families,
    outbound_note,
)
from konvoy_portspec.output.exporters.names import iptables_chain
from konvoy_portspec.protocols import BY_NAME

__all__ = [
    "TOOLS",
    "IptablesExporter",
    "iptables_command",
    "iptables_commands",
    "iptables_match",
    "jump_comment",
    "rule_comment",
]

#: The command of each IP family.
TOOLS = {IPV4: "iptables", IPV6: "ip6tables"}

#: The script's helpers. ``konvoy_jump`` finds the first rule of the trailing run of
#: unconditional REJECT/DROP rules in ``-S INPUT`` (a ``-m comment`` is no condition).
_PRELUDE = r"""set -eu

iptables() { command iptables -w "$@"; }
ip6tables() { command ip6tables -w "$@"; }

# konvoy_chain TOOL CHAIN: create CHAIN in the filter table, or empty it if it exists.
konvoy_chain() {
	"$1" -N "$2" 2>/dev/null || "$1" -F "$2"
}

# konvoy_jump TOOL CHAIN COMMENT: make INPUT jump to CHAIN once, before the trailing
# catch-all REJECT or DROP rules (where RHEL's default ruleset ends), or last if there
# are none.
konvoy_jump() {
	"$1" -C INPUT -m comment --comment "$3" -j "$2" 2>/dev/null && return 0
	at=$("$1" -S INPUT | awk '
		/^-A INPUT / {
			n++; r = $0; sub(/ -m comment --comment ("[^"]*"|[^ ]+)/, "", r)
			if (r ~ /^-A INPUT -j (REJECT|DROP)( |$)/) { if (!at) at = n } else at = 0
		}
		END { print at + 0 }')
	if [ "$at" -gt 0 ]; then
		"$1" -I INPUT "$at" -m comment --comment "$3" -j "$2"
	else
		"$1" -A INPUT -m comment --comment "$3" -j "$2"
	fi
}

# konvoy_ipv6: ip6tables works here (it does not where the kernel has IPv6 disabled).
konvoy_ipv6() {
	ip6tables -S INPUT >/dev/null 2>&1 && return 0
	echo "konvoy-portspec: ip6tables cannot be used here; the IPv6 rules are not applied" >&2
	return 1
}
"""


def rule_comment(role_id: str, rule: Rule) -> str:
    """``konvoy-portspec control-plane: kube-apiserver``, the text of a rule's comment.

    Role and component only, no release and no notes: ``iptables -D`` matches a rule
    by its comment too, so the ``-D`` that an upgrade's firewall view prints must equal
    the ``-A`` installed from an earlier release (a notes change needs no firewall work).
    """
    text = one_line(f"konvoy-portspec {role_id}: {rule.component or rule.notes or 'unnamed'}")
    return fit_bytes(text, IPTABLES_MAX_COMMENT)


def jump_comment(role_id: str) -> str:
    """``konvoy-portspec worker``: the comment on INPUT's jump to a role's chain, so
    that ``iptables-save`` says which role a node was given."""
    return f"konvoy-portspec {role_id}"


def iptables_match(rule: Rule, family: str) -> str | None:
    """The match of ``rule`` for the ``family``'s tool (``-p tcp -m tcp --dport 22``),
    or ``None`` when it cannot be one there: a protocol of the other family (ICMP is
    IPv4's, ICMPv6 IPv6's), a port-carrying protocol without a port, a protocol with no
    number (``any``: an ACCEPT for it would open everything). Protocols are spelled as
    :mod:`konvoy_portspec.protocols` says iptables reads them (``-p 4`` for IP-in-IP)."""
    proto = BY_NAME.get(rule.protocol)
    if proto is None or proto.iptables is None or proto.number is None:
        return None
    if family not in families(proto.name):
        return None
    p = proto.iptables
    if proto.carries_ports:
        if rule.port is None:
            return None
        dport = str(rule.port) if not rule.is_range else f"{rule.port}:{rule.end_port}"
        return f"-p {p} -m {p} --dport {dport}"
    if proto.name == "icmp":
        return f"-p {p} -m icmp --icmp-type 8"
    if proto.name == "icmpv6":
        return f"-p {p} -m icmp6 --icmpv6-type 128"
    return f"-p {p}"


def not_a_rule(role_id: str, rule: Rule) -> str:
    """The ``#`` comment that stands for a rule no IP family can take."""
    what = " ".join(filter(None, (rule.protocol, rule.port_text)))
    return line_comment(f"# not an iptables port rule: {what} {rule_comment(role_id, rule)}")


def iptables_commands(
    role_id: str, rule: Rule, action: str = "-A", chain: str | None = None
) -> list[str]:
    """The commands that add (``-A``) or delete (``-D``) ``rule`` on every IP family it
    exists on, in ``chain`` (default: the role's chain, ``KONVOY-WORKER``); a rule no
    family can take becomes one ``#`` comment naming it, never a wider rule."""
    chain = chain or iptables_chain(role_id)
    word = iptables_comment(rule_comment(role_id, rule))
    lines = []
    for family, tool in TOOLS.items():
        match = iptables_match(rule, family)
        if match is not None:
            lines.append(f"{tool} {action} {chain} {match} -m comment --comment {word} -j ACCEPT")
    return lines or [not_a_rule(role_id, rule)]


def iptables_command(role_id: str, rule: Rule, action: str = "-A", chain: str = "INPUT") -> str:
    """One command that adds or deletes ``rule`` in ``chain``: the IPv4 one, or the
    ``ip6tables`` one for an IPv6-only protocol (ICMPv6), or a ``#`` comment naming a
    rule no family can take. The diff's firewall view prints these."""
    return iptables_commands(role_id, rule, action, chain)[0]


def _role_block(role: Role) -> list[str]:
    """The ``case`` branch of one role: both families' chains, rules and jumps."""
    chain = iptables_chain(role.id)
    out = [line_comment(f"# role: {role.id} ({role.title})"), f"{role.id})"]
    for family, tool in TOOLS.items():
        body = [f"konvoy_chain {tool} {chain}"]
        for rule in role.rules:
            if not rule.inbound:
                body.append(line_comment(f"# {outbound_note(rule)}"))
                continue
            match = iptables_match(rule, family)
            if match is not None:
                word = iptables_comment(rule_comment(role.id, rule))
                body.append(f"{tool} -A {chain} {match} -m comment --comment {word} -j ACCEPT")
            elif family == IPV4 and not any(iptables_match(rule, f) for f in TOOLS):
                body.append(not_a_rule(role.id, rule))
        body.append(f"konvoy_jump {tool} {chain} {iptables_comment(jump_comment(role.id))}")
        if family == IPV6:
            out += ["\tif konvoy_ipv6; then", *(f"\t\t{line}" for line in body), "\tfi"]
        else:
            out += [f"\t{line}" for line in body]
    return [*out, "\t;;"]


class IptablesExporter(Exporter):
    name = "iptables"
    description = (
        "a shell script: each role's chain (KONVOY-WORKER) for iptables and ip6tables, "
        "emptied and refilled, jumped to from INPUT once; `sh FILE ROLE` applies one role"
    )

    def render(self, roles: Sequence[Role]) -> str:
        spec = self.spec
        ids = " ".join(role.id for role in roles)
        default = roles[0].id if len(roles) == 1 else ""
        usage = f"sh FILE {'[ROLE]' if default else 'ROLE'}"
        out = [
            "#!/bin/sh",
            line_comment(
                f"# konvoy-portspec: {spec.product} {spec.release} firewall rules for "
                "iptables (IPv4) and ip6tables (IPv6)."
            ),
            f"# Usage: {usage}, as root; ROLE is one of: {ids or '(none)'}.",
            "# For ROLE it creates chain KONVOY-<ROLE> in the filter table, or empties it,",
            "# fills it with the role's ACCEPT rules, and makes INPUT jump to it once, before",
            "# a trailing catch-all REJECT or DROP rule (last if INPUT has none). Running it",
            "# again leaves the same ruleset; no other role's ports are opened and no other",
            "# rule is changed. Without a ROLE it changes nothing.",
            "",
            _PRELUDE.rstrip("\n"),
            "",
            f'case "${{1-{default}}}" in',
        ]
        for role in roles:
            out += _role_block(role)
        out += [
            "*)",
            f'\techo "usage: {usage}, with ROLE one of: {ids or "(none)"}" >&2',
            "\texit 2",
            "\t;;",
            "esac",
        ]
        return "\n".join(out) + "\n"
