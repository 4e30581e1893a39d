"""What every exporter shares: the exporter interface, the refusal of a spec no tool
could be given, which rules a host firewall opens and on which IP family, and the words
comments are made of."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from konvoy_portspec.errors import SpecFormatError, UsageError
from konvoy_portspec.io.schema_check import port_ok
from konvoy_portspec.model import MAX_PORT, MIN_PORT, Role, Rule, Spec
from konvoy_portspec.output.escape import line_comment
from konvoy_portspec.output.exporters.names import role_id_problem
from konvoy_portspec.output.formatter import OutputFormat

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's path (diff -f firewall uses iptables)
    from typing import ClassVar

#: The IP families, as iptables (``iptables``/``ip6tables``) and nft (``nfproto``) say.
IPV4, IPV6 = "ipv4", "ipv6"
#: Protocols that exist on one family only. ICMP and IGMP are IPv4's (IPv6 has ICMPv6
#: and MLD in their place); ICMPv6 is IPv6's. Every other protocol is opened on both.
_ONE_FAMILY = {"icmp": IPV4, "igmp": IPV4, "icmpv6": IPV6}


class ExportUsageError(UsageError):
    """The export cannot be made as asked (a format that needs one role, an unknown
    format, an option the format does not take): a usage error, exit 2."""


class Exporter(OutputFormat):
    """One output format. Subclasses set ``name``/``description`` and implement
    :meth:`render`. ``single_role`` formats describe one node and refuse a multi-role
    export; ``kubernetes_version`` is ``(major, minor)`` of the target cluster, or
    ``None`` when not given (only the formats that read it accept it)."""

    single_role: ClassVar[bool] = False
    takes_kubernetes_version: ClassVar[bool] = False

    def __init__(self, spec: Spec, *, kubernetes_version: tuple[int, int] | None = None) -> None:
        self.spec = spec
        self.kubernetes_version = kubernetes_version

    def render(self, roles: Sequence[Role]) -> str:
        raise NotImplementedError


def policy_documents(
    head: list[str],
    roles: Sequence[Role],
    document: Callable[[Role], list[str] | None],
    *,
    skipped: Callable[[Role], str],
    nothing: str,
) -> str:
    """The YAML documents (``---`` apart) of the roles that have one, after the comment
    lines ``head``; a role without one (no rule the policy can match) is named in a
    comment ``skipped(role)``, since a policy with no ingress rule would deny all
    ingress. No document at all is an :class:`ExportUsageError` saying ``nothing``."""
    head = list(head)
    docs = []
    for role in roles:
        doc = document(role)
        if doc is None:
            head.append(line_comment(skipped(role)))
        else:
            docs.append("\n".join(doc))
    if not docs:
        raise ExportUsageError(nothing)
    return "\n".join(head) + "\n" + "\n---\n".join(docs) + "\n"


def families(protocol: str) -> tuple[str, ...]:
    """The IP families a rule of ``protocol`` is opened on: ``("ipv4", "ipv6")`` for TCP,
    UDP, SCTP and the other protocols both have; one for ICMP, IGMP and ICMPv6."""
    one = _ONE_FAMILY.get(protocol)
    return (one,) if one else (IPV4, IPV6)


def rule_label(rule: Rule) -> str:
    """``kubelet (health)``: the component with its notes, for comments."""
    if rule.component and rule.notes:
        return f"{rule.component} ({rule.notes})"
    return rule.component or rule.notes or "unnamed"


def outbound_note(rule: Rule) -> str:
    """The comment for a rule a host firewall leaves alone: an outbound connection is
    made by the node, no port on it is opened for it."""
    return f"outbound, not opened: {rule.where} {rule_label(rule)}"


def rule_problem(rule: Rule) -> str | None:
    """Why no tool could be given ``rule`` (a reversed range, a port out of 1-65535, a
    protocol word with whitespace in it), or ``None`` when it can be exported."""
    protocol = rule.protocol
    if not protocol or any(ch.isspace() or not ch.isprintable() for ch in protocol):
        return f"protocol {protocol!r} is not one word"
    if rule.port is None:
        if rule.end_port is not None:
            return f"end port {rule.end_port!r} without a first port"
        return None
    if not port_ok(rule.port):
        return f"port {rule.port!r} is out of range {MIN_PORT}-{MAX_PORT}"
    if not port_ok(rule.end_port):
        return f"end port {rule.end_port!r} is out of range {MIN_PORT}-{MAX_PORT}"
    assert rule.end_port is not None
    if rule.end_port < rule.port:
        return f"port range {rule.port}-{rule.end_port} is reversed"
    return None


def check_exportable(spec: Spec, roles: Sequence[Role]) -> None:
    """Raise :class:`SpecFormatError` for the first role id or rule of ``roles`` that no
    tool could be given: an export would write it as-is (``--dport 30:20``), write a
    broken file, or name chains after a role id the schema does not allow."""
    for role in roles:
        problem = role_id_problem(role.id)
        if problem:
            raise SpecFormatError(f"cannot export release {spec.release!r}: {problem}")
        for rule in role.rules:
            problem = rule_problem(rule)
            if problem:
                what = " ".join(filter(None, (rule.protocol, rule.component)))
                raise SpecFormatError(
                    f"cannot export release {spec.release!r}: role {role.id!r}, "
                    f"rule {what!r}: {problem}"
                )
