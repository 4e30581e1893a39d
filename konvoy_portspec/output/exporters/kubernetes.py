"""Spec -> Kubernetes NetworkPolicy YAML, one policy per role (a multi-document file).

A NetworkPolicy matches TCP, UDP and SCTP ports only; every other rule is named in a
comment above the policy. The YAML is written by hand so its per-port comments survive;
every value from the spec is a double-quoted scalar or a comment made safe for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from konvoy_portspec.model import Role, Rule
from konvoy_portspec.output.escape import line_comment, yaml_scalar
from konvoy_portspec.output.exporters.base import Exporter, policy_name, rule_label
from konvoy_portspec.protocols import BY_NAME

__all__ = ["NetworkPolicyExporter"]


def kubernetes_protocol(rule: Rule) -> str | None:
    """``TCP``: how a NetworkPolicy names the rule's protocol, if it has a port there."""
    proto = BY_NAME.get(rule.protocol)
    return proto.kubernetes if proto is not None and rule.port is not None else None


class NetworkPolicyExporter(Exporter):
    name = "networkpolicy"
    description = "Kubernetes NetworkPolicy YAML, one policy per role (multi-document)"

    def document(self, role: Role) -> list[str]:
        out = [
            line_comment(f"# role: {role.id} ({role.title})"),
            "# A NetworkPolicy governs pods (not hostNetwork pods or the node itself);",
            "# the empty podSelector selects every pod of the namespace it is applied in.",
        ]
        ports = [(r, p) for r in role.rules if (p := kubernetes_protocol(r)) is not None]
        out += [
            line_comment(f"# not expressible in a NetworkPolicy: {r.protocol} {rule_label(r)}")
            for r in role.rules
            if kubernetes_protocol(r) is None
        ]
        out += [
            "apiVersion: networking.k8s.io/v1",
            "kind: NetworkPolicy",
            "metadata:",
            f"  name: {policy_name(self.spec, role)}",
            "  labels:",
            "    app.kubernetes.io/managed-by: konvoy-portspec",
            "  annotations:",
            f"    konvoy-portspec/release: {yaml_scalar(self.spec.release)}",
            f"    konvoy-portspec/role: {yaml_scalar(role.id)}",
            "spec:",
            "  podSelector: {}",
            "  policyTypes:",
            "    - Ingress",
        ]
        if not ports:
            out.append("  ingress: []")
            return out
        out += ["  ingress:", "    - ports:"]
        for rule, protocol in ports:
            out.append("        " + line_comment(f"# {rule_label(rule)}"))
            out.append(f"        - protocol: {protocol}")
            out.append(f"          port: {rule.port}")
            if rule.is_range:
                out.append(f"          endPort: {rule.end_port}")
        return out

    def render(self, roles: Sequence[Role]) -> str:
        docs = ["\n".join(self.document(role)) for role in roles]
        spec = self.spec
        head = line_comment(f"# konvoy-portspec: {spec.product} {spec.release} ingress ports")
        return head + "\n" + "\n---\n".join(docs) + "\n"
