"""Spec -> Kubernetes NetworkPolicy YAML, one policy per role (a multi-document file).

What the API server keeps depends on its version, and it drops what it does not know
without a word, so the version of the target cluster (``--kubernetes-version``) decides:

- ``endPort`` (a port range) is alpha in 1.21 (off by default), beta in 1.22 (on), GA
  in 1.25. An older server drops it, and ``30000-32767`` would open port 30000 alone.
  For a cluster older than 1.22 every range is written as its single ports instead
  (2768 entries for the NodePort range), up to :data:`MAX_EXPANDED_PORTS` per policy.
- ``protocol: SCTP`` is beta (on by default) from 1.19; older servers refuse it, so for
  them SCTP rules are named in comments.
- Without a version the file uses ``endPort`` and says in its header that it needs 1.22.

A NetworkPolicy matches TCP, UDP and SCTP ports only; every other rule (ICMP, IP-in-IP,
outbound rules) is named in a comment above the policy. A policy whose ingress list is
empty denies all ingress, so a role with no rule a policy can match gets no policy (a
comment says why), and an export in which no role has one is refused. The YAML is
written by hand so its per-port comments survive; every value from the spec is a
double-quoted scalar or a comment made safe for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from konvoy_portspec.model import Role, Rule
from konvoy_portspec.output.escape import line_comment, yaml_scalar
from konvoy_portspec.output.exporters.base import (
    Exporter,
    ExportUsageError,
    outbound_note,
    policy_documents,
    rule_label,
)
from konvoy_portspec.output.exporters.names import kubernetes_name
from konvoy_portspec.protocols import BY_NAME

__all__ = ["MAX_EXPANDED_PORTS", "NetworkPolicyExporter", "parse_kubernetes_version"]

#: The first version with ``endPort`` on by default (beta; GA in 1.25).
END_PORT_SINCE = (1, 22)
#: The first version with SCTP in policies on by default (beta; GA in 1.20).
SCTP_SINCE = (1, 19)
#: The first version with ``networking.k8s.io/v1`` NetworkPolicy.
NETWORK_POLICY_SINCE = (1, 7)
#: Single ports a policy may list in place of ranges: ``kubectl apply`` keeps a copy of
#: the object in an annotation, and annotations hold at most 256 KiB.
MAX_EXPANDED_PORTS = 4096


def parse_kubernetes_version(text: str) -> tuple[int, int]:
    """``1.20``, ``v1.20`` or ``1.20.4`` -> ``(1, 20)``; anything else, or a version
    without NetworkPolicy v1, is a usage error."""
    found = re.fullmatch(r"v?(\d{1,3})\.(\d{1,3})(\.\d{1,5})?", text.strip())
    if not found:
        raise ExportUsageError(f"--kubernetes-version {text!r} is not a version like 1.20")
    version = (int(found.group(1)), int(found.group(2)))
    if version < NETWORK_POLICY_SINCE:
        raise ExportUsageError(
            f"Kubernetes {text} has no networking.k8s.io/v1 NetworkPolicy (it came in 1.7)"
        )
    return version


def _version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


class NetworkPolicyExporter(Exporter):
    name = "networkpolicy"
    description = (
        "Kubernetes NetworkPolicy YAML, one policy per role (multi-document); "
        "--kubernetes-version decides between endPort and single ports"
    )
    takes_kubernetes_version = True

    def _unsupported(self, rule: Rule) -> str | None:
        """Why the target cluster's policies cannot match ``rule``, or ``None``."""
        if not rule.inbound:
            return outbound_note(rule)
        proto = BY_NAME.get(rule.protocol)
        if proto is None or proto.kubernetes is None or rule.port is None:
            return f"not expressible in a NetworkPolicy: {rule.protocol} {rule_label(rule)}"
        version = self.kubernetes_version
        if proto.name == "sctp" and version is not None and version < SCTP_SINCE:
            return (
                f"not expressible for Kubernetes {_version_text(version)} (SCTP needs "
                f"{_version_text(SCTP_SINCE)}): {rule.where} {rule_label(rule)}"
            )
        return None

    def _expands(self, rule: Rule) -> bool:
        """Whether ``rule`` is a range the target cluster needs as single ports."""
        version = self.kubernetes_version
        return rule.is_range and version is not None and version < END_PORT_SINCE

    def _ports(self, rule: Rule) -> list[str]:
        """The ``ports`` entries of one rule: one with ``endPort``, or one per port."""
        protocol = BY_NAME[rule.protocol].kubernetes
        label = rule_label(rule)
        if self._expands(rule):
            assert rule.port is not None and rule.end_port is not None
            text = (
                f"# {label}: {rule.port_text} as single ports (no endPort before "
                f"Kubernetes {_version_text(END_PORT_SINCE)})"
            )
            out = ["        " + line_comment(text)]
            for port in range(rule.port, rule.end_port + 1):
                out += [f"        - protocol: {protocol}", f"          port: {port}"]
            return out
        out = ["        " + line_comment(f"# {label}")]
        out += [f"        - protocol: {protocol}", f"          port: {rule.port}"]
        if rule.is_range:
            out.append(f"          endPort: {rule.end_port}")
        return out

    def document(self, role: Role) -> list[str] | None:
        """The policy of one role, or ``None`` when it could match none of its rules."""
        reasons = [self._unsupported(r) for r in role.rules]
        ports = [r for r, why in zip(role.rules, reasons, strict=True) if why is None]
        if not ports:
            return None
        expanded = [r for r in ports if self._expands(r)]
        if expanded:
            # Counted before a line is written: a range of 64,512 ports is not expanded
            # only to be refused.
            listed = len(ports) - len(expanded)
            for r in expanded:
                assert r.port is not None and r.end_port is not None  # a range
                listed += r.end_port - r.port + 1
            if listed > MAX_EXPANDED_PORTS:
                raise ExportUsageError(
                    f"the NetworkPolicy of role {role.id!r} would list {listed} single "
                    f"ports (more than {MAX_EXPANDED_PORTS}): Kubernetes "
                    f"{_version_text(self.kubernetes_version or END_PORT_SINCE)} has no "
                    f"endPort; ranges need Kubernetes {_version_text(END_PORT_SINCE)} or later"
                )
        out = [
            line_comment(f"# role: {role.id} ({role.title})"),
            "# A NetworkPolicy governs pods (not hostNetwork pods or the node itself);",
            "# the empty podSelector selects every pod of the namespace it is applied in.",
        ]
        out += [line_comment(f"# {why}") for why in reasons if why]
        out += [
            "apiVersion: networking.k8s.io/v1",
            "kind: NetworkPolicy",
            "metadata:",
            f"  name: {kubernetes_name(self.spec.release, role.id)}",
            "  labels:",
            "    app.kubernetes.io/managed-by: konvoy-portspec",
            "  annotations:",
            f"    konvoy-portspec/release: {yaml_scalar(self.spec.release)}",
            f"    konvoy-portspec/role: {yaml_scalar(role.id)}",
            "spec:",
            "  podSelector: {}",
            "  policyTypes:",
            "    - Ingress",
            "  ingress:",
            "    - ports:",
        ]
        for rule in ports:
            out += self._ports(rule)
        return out

    def render(self, roles: Sequence[Role]) -> str:
        spec = self.spec
        head = [line_comment(f"# konvoy-portspec: {spec.product} {spec.release} ingress ports")]
        version = self.kubernetes_version
        if version is None:
            head += [
                "# Port ranges use endPort: Kubernetes 1.22 or later (1.21 with the",
                "# NetworkPolicyEndPort feature gate). Older API servers drop endPort and",
                "# open the first port alone: export with --kubernetes-version for them.",
            ]
        else:
            head.append(f"# For Kubernetes {_version_text(version)}.")
        return policy_documents(
            head,
            roles,
            self.document,
            skipped=lambda role: (
                f"# role {role.id}: no NetworkPolicy, none of its rules is an "
                "inbound TCP, UDP or SCTP port a policy can match here (a policy "
                "with no ingress rule would deny all ingress)"
            ),
            nothing=f"no NetworkPolicy to write for role(s) {', '.join(r.id for r in roles)}: "
            "none of their rules is an inbound TCP, UDP or SCTP port a policy can "
            "match, and a policy with no ingress rule would deny all ingress",
        )
