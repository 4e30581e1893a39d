"""Spec -> ``iptables-restore --noflush`` and ``ip6tables-restore --noflush`` input for
one node role: the role's chain, replaced in one atomic step.

In ``--noflush`` mode a chain line (``:KONVOY-WORKER - [0:0]``) creates the chain, or
empties it if it exists, and the ``-A`` lines after it refill it; the commit applies
all of it at once, so no packet meets a half-filled chain and a second restore leaves
the ruleset the first one left. What ``iptables-restore`` cannot do is add a rule only
when it is missing, so the jump from INPUT is not in the file: its header gives the
``-C``-guarded command that adds it once (the ``iptables`` format's script does both).
One family per file, as the two tools read: ICMP rules go to the IPv4 file only,
ICMPv6 ones to the IPv6 file.
"""

from __future__ import annotations

from collections.abc import Sequence

from konvoy_portspec.model import Role
from konvoy_portspec.output.escape import iptables_comment, line_comment, restore_word
from konvoy_portspec.output.exporters.base import IPV4, IPV6, Exporter, outbound_note
from konvoy_portspec.output.exporters.iptables import (
    TOOLS,
    iptables_match,
    jump_comment,
    not_a_rule,
    rule_comment,
)
from konvoy_portspec.output.exporters.names import iptables_chain

__all__ = ["Ip6tablesRestoreExporter", "IptablesRestoreExporter"]


class _RestoreExporter(Exporter):
    family = IPV4
    single_role = True

    def render(self, roles: Sequence[Role]) -> str:
        (role,) = roles
        spec, tool = self.spec, TOOLS[self.family]
        chain = iptables_chain(role.id)
        version = "IPv4" if self.family == IPV4 else "IPv6"
        jump = f"INPUT -m comment --comment {iptables_comment(jump_comment(role.id))} -j {chain}"
        out = [
            line_comment(
                f"# konvoy-portspec: {spec.product} {spec.release} firewall rules, role "
                f"{role.id} ({role.title}), {version}, for {tool}-restore."
            ),
            f"# Apply with: {tool}-restore --noflush FILE  (--noflush keeps every other rule)",
            f"# It creates chain {chain} in the filter table, or empties it, and fills it",
            "# with the role's ACCEPT rules in one atomic step; applying it again leaves the",
            "# same ruleset. The chain opens nothing until INPUT jumps to it: add the jump",
            "# once, before any trailing REJECT or DROP rule, for instance at the top:",
            f"#   {tool} -C {jump} 2>/dev/null || {tool} -I {jump.replace('INPUT', 'INPUT 1', 1)}",
            "# (the iptables format's script does both, for IPv4 and IPv6).",
            "*filter",
            f":{chain} - [0:0]",
        ]
        for rule in role.rules:
            if not rule.inbound:
                out.append(line_comment(f"# {outbound_note(rule)}"))
                continue
            match = iptables_match(rule, self.family)
            if match is not None:
                word = restore_word(rule_comment(role.id, rule))
                out.append(f"-A {chain} {match} -m comment --comment {word} -j ACCEPT")
            elif not any(iptables_match(rule, f) for f in TOOLS):
                out.append(not_a_rule(role.id, rule))
        out.append("COMMIT")
        return "\n".join(out) + "\n"


class IptablesRestoreExporter(_RestoreExporter):
    name = "iptables-restore"
    description = (
        "IPv4 input for iptables-restore --noflush: one role's chain, replaced atomically "
        "(the header gives the one-time jump from INPUT); needs one role"
    )


class Ip6tablesRestoreExporter(_RestoreExporter):
    name = "ip6tables-restore"
    description = "the same for ip6tables-restore --noflush (IPv6); needs one role"
    family = IPV6
