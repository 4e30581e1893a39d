"""Spec -> ``iptables`` commands, one per rule, as the Konvoy pages write them.

The diff's firewall view (:mod:`konvoy_portspec.output.diff_formats`) prints the same
commands with ``-D`` to close ports, so :func:`iptables_command` is shared: what an
upgrade deletes equals what an earlier export added.
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
from konvoy_portspec.output.exporters.base import Exporter
from konvoy_portspec.protocols import BY_NAME

__all__ = ["IptablesExporter", "iptables_command", "rule_comment"]


def rule_comment(role_id: str, rule: Rule) -> str:
    """``konvoy-portspec control-plane: kube-apiserver``, the text of a rule's comment.

    Role and component only, no release and no notes: ``iptables -D`` matches a rule
    by its comment too, so the ``-D`` that an upgrade's firewall view prints must equal
    the ``-A`` installed from an earlier release (a notes change needs no firewall work).
    """
    text = one_line(f"konvoy-portspec {role_id}: {rule.component or rule.notes or 'unnamed'}")
    return fit_bytes(text, IPTABLES_MAX_COMMENT)


def iptables_command(role_id: str, rule: Rule, action: str = "-A") -> str:
    """The iptables command that adds (``-A``) or deletes (``-D``) one rule.

    A rule iptables cannot express as a port match (an unknown protocol, a port-less
    TCP rule, ``any``) becomes a ``#`` comment: never a rule that accepts more than the
    spec says. Protocols are spelled as :mod:`konvoy_portspec.protocols` says iptables
    reads them (``-p 4`` for IP-in-IP: ``/etc/protocols`` calls 4 ``ipencap``).
    """
    word = iptables_comment(rule_comment(role_id, rule))
    proto = BY_NAME.get(rule.protocol)
    if proto is not None and proto.iptables is not None and proto.number is not None:
        p = proto.iptables
        if proto.carries_ports and rule.port is not None:
            dport = str(rule.port) if not rule.is_range else f"{rule.port}:{rule.end_port}"
            return (
                f"iptables {action} INPUT -p {p} -m {p} --dport {dport} "
                f"-m comment --comment {word} -j ACCEPT"
            )
        if proto.name == "icmp":
            return (
                f"iptables {action} INPUT -p {p} -m icmp --icmp-type 8 "
                f"-m comment --comment {word} -j ACCEPT"
            )
        if proto.name == "icmpv6":
            return (
                f"ip6tables {action} INPUT -p {p} -m icmp6 --icmpv6-type 128 "
                f"-m comment --comment {word} -j ACCEPT"
            )
        if not proto.carries_ports:
            return f"iptables {action} INPUT -p {p} -m comment --comment {word} -j ACCEPT"
    what = " ".join(filter(None, (rule.protocol, rule.port_text)))
    return line_comment(f"# not an iptables port rule: {what} {rule_comment(role_id, rule)}")


class IptablesExporter(Exporter):
    name = "iptables"
    description = "iptables commands (iptables -A INPUT ... -j ACCEPT), one per rule"

    def render(self, roles: Sequence[Role]) -> str:
        spec = self.spec
        out = [line_comment(f"# konvoy-portspec: {spec.product} {spec.release} firewall rules")]
        for role in roles:
            out += ["", line_comment(f"# role: {role.id} ({role.title})")]
            out += [iptables_command(role.id, rule) for rule in role.rules]
        return "\n".join(out) + "\n"
