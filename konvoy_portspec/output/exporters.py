"""Spec -> the configuration formats of the tools that open ports.

Each exporter writes the real syntax its tool accepts (``iptables`` commands, an
``nft -f`` ruleset, a firewalld service, Kubernetes and Calico policies) plus two plain
data formats. Every output holds exactly the spec's rules of the exported roles: what a
format cannot express (ICMP in a NetworkPolicy, IP-in-IP in iptables port rules) is
written as a comment naming the rule, never dropped silently and never invented.

Exporters sit behind the :data:`EXPORTERS` name -> class table; :func:`export` is the
one entry point. Only stdlib is imported (the YAML formats are written by hand so their
per-port comments survive).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence

from konvoy_portspec.errors import UsageError
from konvoy_portspec.io.spec_json import rule_to_dict
from konvoy_portspec.model import PORT_PROTOCOLS, Role, Rule, Spec

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's path (diff -f firewall uses this module)
    from typing import ClassVar

#: Port-less protocols that firewalls can still match, by IP protocol number.
PROTOCOL_NUMBERS = {
    "icmp": 1,
    "igmp": 2,
    "ipip": 4,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "icmpv6": 58,
    "vrrp": 112,
}


class ExportUsageError(UsageError):
    """The export cannot be made as asked (a format that needs one role, an unknown
    format): a usage error, exit 2."""


def rule_label(rule: Rule) -> str:
    """``kubelet (health)``: the component with its notes, for comments."""
    if rule.component and rule.notes:
        return f"{rule.component} ({rule.notes})"
    return rule.component or rule.notes or "unnamed"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "x"


class Exporter:
    """One output format. Subclasses set ``name``/``description`` and implement
    :meth:`render`; ``single_role`` formats refuse a multi-role export."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    single_role: ClassVar[bool] = False

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def render(self, roles: Sequence[Role]) -> str:
        raise NotImplementedError


# --- iptables ------------------------------------------------------------------------


def shell_quote(text: str) -> str:
    """Double quotes like the Konvoy pages; single quotes (:func:`shlex.quote`) when the
    text holds what a shell expands inside double quotes (``$``, backquote, ``\\``, ``!``),
    so the shell and :mod:`shlex` (our rules parser) read back the same comment."""
    if re.search(r"[$`\\!]", text):
        import shlex

        return shlex.quote(text)
    return '"' + text.replace('"', '\\"') + '"'


#: iptables' comment match takes at most 256 bytes.
IPTABLES_MAX_COMMENT = 255


def iptables_comment(role_id: str, rule: Rule) -> str:
    """``konvoy-portspec control-plane: kube-apiserver``.

    Role and component only, no release and no notes: ``iptables -D`` matches a rule
    by its comment too, so the ``-D`` that an upgrade's firewall view prints must equal
    the ``-A`` installed from an earlier release (a notes change needs no firewall work).
    """
    comment = _one_line(f"konvoy-portspec {role_id}: {rule.component or rule.notes or 'unnamed'}")
    return _fit_bytes(comment, IPTABLES_MAX_COMMENT)


def _fit_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, marked with an ellipsis if cut."""
    while len(text.encode("utf-8")) > limit:
        text = text[:-2] + "…"
    return text


def iptables_command(role_id: str, rule: Rule, action: str = "-A") -> str:
    """The iptables command that adds (``-A``) or deletes (``-D``) one rule.

    A rule iptables cannot express as a port match (an unknown protocol, a port-less
    TCP rule) becomes a ``#`` comment: never a rule that accepts more than the spec says.
    """
    quoted = shell_quote(iptables_comment(role_id, rule))
    if rule.port is not None and rule.protocol in PORT_PROTOCOLS:
        dport = str(rule.port) if not rule.is_range else f"{rule.port}:{rule.end_port}"
        proto = rule.protocol
        return (
            f"iptables {action} INPUT -p {proto} -m {proto} --dport {dport} "
            f"-m comment --comment {quoted} -j ACCEPT"
        )
    if rule.protocol == "icmp":
        return (
            f"iptables {action} INPUT -p icmp -m icmp --icmp-type 8 "
            f"-m comment --comment {quoted} -j ACCEPT"
        )
    if rule.protocol == "icmpv6":
        return (
            f"ip6tables {action} INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 "
            f"-m comment --comment {quoted} -j ACCEPT"
        )
    if rule.protocol in PROTOCOL_NUMBERS:
        # By number: names such as ipip need /etc/protocols, which minimal hosts lack.
        number = PROTOCOL_NUMBERS[rule.protocol]
        return f"iptables {action} INPUT -p {number} -m comment --comment {quoted} -j ACCEPT"
    what = " ".join(filter(None, (rule.protocol, rule.port_text)))
    return f"# not an iptables port rule: {what} {iptables_comment(role_id, rule)}"


class IptablesExporter(Exporter):
    name = "iptables"
    description = "iptables commands (iptables -A INPUT ... -j ACCEPT), one per rule"

    def line(self, role: Role, rule: Rule) -> str:
        return iptables_command(role.id, rule)

    def render(self, roles: Sequence[Role]) -> str:
        out = [f"# konvoy-portspec: {self.spec.product} {self.spec.release} firewall rules"]
        for role in roles:
            out += ["", f"# role: {role.id} ({_one_line(role.title)})"]
            out += [self.line(role, rule) for rule in role.rules]
        return "\n".join(out) + "\n"


# --- nftables ------------------------------------------------------------------------


def nft_string(text: str) -> str:
    """An nft quoted string: nft has no escapes, so double quotes become single ones;
    comments are limited to 128 bytes."""
    text = _one_line(text).replace('"', "'").replace("\\", "/")
    return f'"{_fit_bytes(text, 127)}"'


def nft_chain(role_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", role_id) or "role"


def nft_base_chain(chain: str) -> list[str]:
    """A base chain that enforces one role's chain: what the ruleset's header suggests."""
    return [
        "chain input {",
        "\ttype filter hook input priority filter; policy drop;",
        "\tct state established,related accept",
        '\tiif "lo" accept',
        f"\tjump {chain}",
        "}",
    ]


class NftablesExporter(Exporter):
    name = "nftables"
    description = "an nft -f ruleset: table inet konvoy_portspec with a chain per role"

    def statement(self, role: Role, rule: Rule) -> str:
        comment = f"comment {nft_string(rule_label(rule))}"
        if rule.port is not None and rule.protocol in PORT_PROTOCOLS:
            return f"{rule.protocol} dport {rule.port_text} accept {comment}"
        if rule.protocol == "icmp":
            return f"icmp type echo-request accept {comment}"
        if rule.protocol == "icmpv6":
            return f"icmpv6 type echo-request accept {comment}"
        if rule.protocol in PROTOCOL_NUMBERS:
            return f"meta l4proto {PROTOCOL_NUMBERS[rule.protocol]} accept {comment}"
        return f"# not expressible: {rule.protocol} {rule_label(rule)}"

    def render(self, roles: Sequence[Role]) -> str:
        chains = [nft_chain(r.id) for r in roles]
        out = [
            "#!/usr/sbin/nft -f",
            f"# konvoy-portspec: {self.spec.product} {self.spec.release} firewall rules.",
            "# One regular chain per node role (" + ", ".join(chains) + "). nft jumps only",
            "# within a table: enforce one with a base chain added to this table, e.g.",
            *(f"#   {line}" for line in nft_base_chain(chains[0] if chains else "ROLE")),
            "# or copy the chain you need into your own table.",
            "table inet konvoy_portspec {",
        ]
        for role, chain in zip(roles, chains, strict=True):
            out.append(f"\tchain {chain} {{")
            out.append(f"\t\t# role: {role.id} ({_one_line(role.title)})")
            out += [f"\t\t{self.statement(role, rule)}" for rule in role.rules]
            out.append("\t}")
        out.append("}")
        return "\n".join(out) + "\n"


# --- firewalld -----------------------------------------------------------------------


def xml_comment_text(text: str) -> str:
    """Text that may stand in an XML comment (no ``--``, no trailing ``-``)."""
    text = re.sub(r"-(?=-)", "- ", _one_line(text))
    return text + " " if text.endswith("-") else text


class FirewalldExporter(Exporter):
    name = "firewalld"
    description = "a firewalld service XML (like firewalld's kube-worker.xml); needs one role"
    single_role = True

    def render(self, roles: Sequence[Role]) -> str:
        from xml.sax.saxutils import escape, quoteattr

        (role,) = roles
        release = self.spec.release
        out = [
            '<?xml version="1.0" encoding="utf-8"?>',
            "<service>",
            f"  <short>{escape(f'Konvoy {release} {role.id}')}</short>",
            "  <description>"
            + escape(
                f"Ports of {self.spec.product} {release} {_one_line(role.title)}, "
                "generated by konvoy-portspec."
            )
            + "</description>",
        ]
        seen: set[tuple[str, str]] = set()
        for rule in role.rules:
            label = xml_comment_text(rule_label(rule))
            if rule.port is not None and rule.protocol in PORT_PROTOCOLS:
                key = (rule.protocol, rule.port_text)
                element = (
                    f"<port protocol={quoteattr(rule.protocol)} port={quoteattr(rule.port_text)}/>"
                )
            elif rule.protocol in PROTOCOL_NUMBERS:
                key = ("protocol", rule.protocol)
                element = f"<protocol value={quoteattr(rule.protocol)}/>"
            else:
                out.append(f"  <!-- not expressible: {xml_comment_text(rule.protocol)} {label} -->")
                continue
            out.append(f"  <!-- {label} -->")
            if key in seen:  # firewalld refuses duplicate entries; the comment stays
                continue
            seen.add(key)
            out.append(f"  {element}")
        out.append("</service>")
        return "\n".join(out) + "\n"


# --- Kubernetes NetworkPolicy and Calico GlobalNetworkPolicy ---------------------------


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def policy_name(spec: Spec, role: Role) -> str:
    """A DNS-1123 name: ``konvoy-portspec-v2-1-control-plane``."""
    return _slug(f"konvoy-portspec-{spec.release}-{role.id}")[:253].strip("-")


class NetworkPolicyExporter(Exporter):
    name = "networkpolicy"
    description = "Kubernetes NetworkPolicy YAML, one policy per role (multi-document)"

    K8S_PROTOCOLS: ClassVar[dict[str, str]] = {"tcp": "TCP", "udp": "UDP", "sctp": "SCTP"}

    def document(self, role: Role) -> list[str]:
        out = [
            f"# role: {role.id} ({_one_line(role.title)})",
            "# A NetworkPolicy governs pods (not hostNetwork pods or the node itself);",
            "# the empty podSelector selects every pod of the namespace it is applied in.",
        ]
        unexpressed = [
            r for r in role.rules if r.port is None or r.protocol not in self.K8S_PROTOCOLS
        ]
        out += [
            f"# not expressible in a NetworkPolicy: {r.protocol} {_one_line(rule_label(r))}"
            for r in unexpressed
        ]
        out += [
            "apiVersion: networking.k8s.io/v1",
            "kind: NetworkPolicy",
            "metadata:",
            f"  name: {policy_name(self.spec, role)}",
            "  labels:",
            "    app.kubernetes.io/managed-by: konvoy-portspec",
            "  annotations:",
            f"    konvoy-portspec/release: {yaml_string(self.spec.release)}",
            f"    konvoy-portspec/role: {yaml_string(role.id)}",
            "spec:",
            "  podSelector: {}",
            "  policyTypes:",
            "    - Ingress",
        ]
        ports = [r for r in role.rules if r not in unexpressed]
        if not ports:
            out.append("  ingress: []")
            return out
        out += ["  ingress:", "    - ports:"]
        for rule in ports:
            assert rule.port is not None
            out.append(f"        # {_one_line(rule_label(rule))}")
            out.append(f"        - protocol: {self.K8S_PROTOCOLS[rule.protocol]}")
            out.append(f"          port: {rule.port}")
            if rule.is_range:
                out.append(f"          endPort: {rule.end_port}")
        return out

    def render(self, roles: Sequence[Role]) -> str:
        docs = ["\n".join(self.document(role)) for role in roles]
        head = f"# konvoy-portspec: {self.spec.product} {self.spec.release} ingress ports\n"
        return head + "\n---\n".join(docs) + "\n"


class CalicoExporter(Exporter):
    name = "calico"
    description = "Calico GlobalNetworkPolicy YAML for host endpoints, one per role"

    CALICO_PROTOCOLS: ClassVar[dict[str, str]] = {
        "tcp": "TCP",
        "udp": "UDP",
        "sctp": "SCTP",
        "icmp": "ICMP",
        "icmpv6": "ICMPv6",
    }

    def document(self, role: Role) -> list[str]:
        name = policy_name(self.spec, role)
        out = [
            f"# role: {role.id} ({_one_line(role.title)})",
            f"# Applies to host endpoints labelled konvoy-portspec/role={role.id}.",
            "apiVersion: projectcalico.org/v3",
            "kind: GlobalNetworkPolicy",
            "metadata:",
            f"  name: {name}",
            "spec:",
            f"  selector: {yaml_string(f'konvoy-portspec/role == {role.id!r}')}",
            "  types:",
            "    - Ingress",
            "  ingress:",
        ]
        by_protocol: dict[str, list[Rule]] = {}
        portless: list[Rule] = []
        for rule in role.rules:
            if rule.port is not None and rule.protocol in PORT_PROTOCOLS:
                by_protocol.setdefault(rule.protocol, []).append(rule)
            else:
                portless.append(rule)
        for proto, rules in by_protocol.items():
            out += [
                "    - action: Allow",
                f"      protocol: {self.CALICO_PROTOCOLS[proto]}",
                "      destination:",
                "        ports:",
            ]
            for rule in rules:
                value = str(rule.port) if not rule.is_range else f'"{rule.port}:{rule.end_port}"'
                out.append(f"          - {value}  # {_one_line(rule_label(rule))}")
        for rule in portless:
            label = _one_line(rule_label(rule))
            if rule.protocol in ("icmp", "icmpv6"):
                out += [
                    f"    # {label}",
                    "    - action: Allow",
                    f"      protocol: {self.CALICO_PROTOCOLS[rule.protocol]}",
                ]
            elif rule.protocol in PROTOCOL_NUMBERS:
                out += [
                    f"    # {label}",
                    "    - action: Allow",
                    f"      protocol: {PROTOCOL_NUMBERS[rule.protocol]}",
                ]
            else:
                out.append(f"    # not expressible: {rule.protocol} {label}")
        if out[-1] == "  ingress:":
            out[-1] = "  ingress: []"
        return out

    def render(self, roles: Sequence[Role]) -> str:
        docs = ["\n".join(self.document(role)) for role in roles]
        head = f"# konvoy-portspec: {self.spec.product} {self.spec.release} host ports\n"
        return head + "\n---\n".join(docs) + "\n"


# --- data formats --------------------------------------------------------------------

CSV_HEADER = ("port", "end_port", "protocol", "component", "notes", "role")


class CsvExporter(Exporter):
    name = "csv"
    description = "CSV: port,end_port,protocol,component,notes,role (empty port: port-less)"

    def render(self, roles: Sequence[Role]) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for role in roles:
            for rule in role.rules:
                writer.writerow(
                    [
                        "" if rule.port is None else rule.port,
                        "" if rule.end_port is None else rule.end_port,
                        rule.protocol,
                        rule.component,
                        rule.notes,
                        role.id,
                    ]
                )
        return buf.getvalue()


class JsonExporter(Exporter):
    name = "json"
    description = "JSON: a flat list of rules, each with its role"

    def render(self, roles: Sequence[Role]) -> str:
        rows = []
        for role in roles:
            rows += [{"role": role.id, **rule_to_dict(rule)} for rule in role.rules]
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


EXPORTERS: dict[str, type[Exporter]] = {
    cls.name: cls
    for cls in (
        IptablesExporter,
        NftablesExporter,
        FirewalldExporter,
        NetworkPolicyExporter,
        CalicoExporter,
        CsvExporter,
        JsonExporter,
    )
}


def select_roles(spec: Spec, role: str | Iterable[str] | None) -> list[Role]:
    """The roles to export, in the spec's order when none are named."""
    if role is None:
        return list(spec.roles.ordered)
    return list(spec.select([role] if isinstance(role, str) else role).roles.ordered)


def export(spec: Spec, fmt: str, role: str | Iterable[str] | None = None) -> str:
    """The spec's rules of ``role`` (default: every role) in format ``fmt``.

    A firewalld service describes one node, so without ``role`` the firewalld format
    needs a spec with a single role; otherwise it raises :class:`ExportUsageError`.
    """
    try:
        exporter_cls = EXPORTERS[fmt]
    except KeyError:
        raise ExportUsageError(
            f"unknown export format {fmt!r}; formats: {', '.join(EXPORTERS)}"
        ) from None
    roles = select_roles(spec, role)
    if exporter_cls.single_role and len(roles) != 1:
        raise ExportUsageError(
            f"the {fmt} format describes one node role; pick one with --role "
            f"({', '.join(r.id for r in roles) or 'no roles'})"
        )
    return exporter_cls(spec).render(roles)
