"""Spec -> Calico GlobalNetworkPolicy YAML for host endpoints, one policy per role.

Each policy selects the host endpoints labelled ``konvoy-portspec/role=<role id>``.
Calico's selector strings have no escapes, so a role id that is not a valid label value
is refused rather than quoted: a quote in it could turn the selector into ``all()`` and
open the role's ports on every host. A policy of type Ingress with no ingress rule
denies all ingress to the selected hosts, so a role none of whose rules Calico can
express (or only outbound ones) gets no policy but a comment, and an export in which no
role has one is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from konvoy_portspec.errors import SpecFormatError
from konvoy_portspec.model import Role, Rule
from konvoy_portspec.output.escape import line_comment, yaml_scalar
from konvoy_portspec.output.exporters.base import (
    Exporter,
    outbound_note,
    policy_documents,
    rule_label,
)
from konvoy_portspec.output.exporters.names import kubernetes_name
from konvoy_portspec.protocols import BY_NAME, Protocol

__all__ = ["CalicoExporter"]

#: A Kubernetes label value (at most 63 characters), what a role label can hold.
_LABEL_VALUE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")


def role_selector(role_id: str) -> str:
    """``konvoy-portspec/role == 'worker'``; a role id no label can hold is refused."""
    if not _LABEL_VALUE.fullmatch(role_id):
        raise SpecFormatError(
            f"role id {role_id!r} cannot be a Calico label value (letters, digits, "
            "'-', '_', '.', at most 63, starting and ending with a letter or digit)"
        )
    return f"konvoy-portspec/role == '{role_id}'"


class CalicoExporter(Exporter):
    name = "calico"
    description = "Calico GlobalNetworkPolicy YAML for host endpoints, one per role"

    def document(self, role: Role) -> list[str] | None:
        """The policy of one role, or ``None`` when it would have no ingress rule."""
        out = [
            line_comment(f"# role: {role.id} ({role.title})"),
            f"# Applies to host endpoints labelled konvoy-portspec/role={role.id}.",
            "apiVersion: projectcalico.org/v3",
            "kind: GlobalNetworkPolicy",
            "metadata:",
            f"  name: {kubernetes_name(self.spec.release, role.id)}",
            "spec:",
            f"  selector: {yaml_scalar(role_selector(role.id))}",
            "  types:",
            "    - Ingress",
            "  ingress:",
        ]
        by_protocol: dict[Protocol, list[Rule]] = {}
        portless: list[Rule] = []
        for rule in role.rules:
            proto = BY_NAME.get(rule.protocol)
            if not rule.inbound:
                out.insert(1, line_comment(f"# {outbound_note(rule)}"))
            elif proto is not None and proto.carries_ports and rule.port is not None:
                by_protocol.setdefault(proto, []).append(rule)
            else:
                portless.append(rule)
        for proto, rules in by_protocol.items():
            out += [
                "    - action: Allow",
                f"      protocol: {proto.calico}",
                "      destination:",
                "        ports:",
            ]
            for rule in rules:
                value = str(rule.port) if not rule.is_range else f'"{rule.port}:{rule.end_port}"'
                out.append(f"          - {value}  " + line_comment(f"# {rule_label(rule)}"))
        for rule in portless:
            label = line_comment(f"# {rule_label(rule)}")
            proto = BY_NAME.get(rule.protocol)
            if proto is not None and not proto.carries_ports and proto.calico is not None:
                out += [f"    {label}", "    - action: Allow", f"      protocol: {proto.calico}"]
            else:
                out.append(
                    "    " + line_comment(f"# not expressible: {rule.protocol} {rule_label(rule)}")
                )
        if not any(line.startswith("    - action: Allow") for line in out):
            return None
        return out

    def render(self, roles: Sequence[Role]) -> str:
        spec = self.spec
        return policy_documents(
            [line_comment(f"# konvoy-portspec: {spec.product} {spec.release} host ports")],
            roles,
            self.document,
            skipped=lambda role: (
                f"# role {role.id}: no policy, none of its rules is an inbound rule "
                "Calico can express (a policy with no ingress rule would deny all "
                "ingress to the host)"
            ),
            nothing=f"no Calico policy to write for role(s) {', '.join(r.id for r in roles)}: "
            "none of their rules is an inbound rule Calico can express, and a policy "
            "with no ingress rule would deny all ingress to the host",
        )
