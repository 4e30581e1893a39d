"""Spec -> the configuration formats of the tools that open ports.

Each exporter writes the real syntax its tool accepts (a shell script of ``iptables``
and ``ip6tables`` commands, ``iptables-restore`` input, an ``nft -f`` ruleset, a
firewalld service, Kubernetes and Calico policies) plus two plain data formats, one
module per tool. Every output holds exactly the spec's rules of the exported roles:
what a format cannot express (ICMP in a NetworkPolicy, ``any`` in iptables, an outbound
rule in a host firewall) is written as a comment naming the rule, never dropped
silently and never invented. Protocol numbers and spellings come from
:mod:`konvoy_portspec.protocols`; names of chains and policies from
:mod:`~konvoy_portspec.output.exporters.names`; text from the spec reaches the output
only through :mod:`konvoy_portspec.output.escape`.

The host firewall formats are applied as they are and are idempotent: each role has a
chain of its own that is emptied and refilled (nft: a table of its own, replaced), and
a node gets one role's ports only. The iptables script holds any number of roles and
applies the one named as its argument; the other host formats (``iptables-restore``,
``ip6tables-restore``, ``nftables``, ``firewalld``) describe one node and need one role.

:data:`EXPORTERS` is the one name -> class table (the CLI's ``--format`` choices come
from it); :func:`export` is the one entry point, and it refuses a spec no tool could be
given. Only stdlib is imported (the YAML formats are written by hand so their per-port
comments survive).
"""

from __future__ import annotations

from collections.abc import Iterable

from konvoy_portspec.model import Role, Spec
from konvoy_portspec.output.exporters.base import (
    Exporter,
    ExportUsageError,
    check_exportable,
    rule_label,
)
from konvoy_portspec.output.exporters.calico import CalicoExporter
from konvoy_portspec.output.exporters.data import CsvExporter, JsonExporter
from konvoy_portspec.output.exporters.firewalld import FirewalldExporter
from konvoy_portspec.output.exporters.iptables import (
    IptablesExporter,
    iptables_command,
    iptables_commands,
)
from konvoy_portspec.output.exporters.iptables_restore import (
    Ip6tablesRestoreExporter,
    IptablesRestoreExporter,
)
from konvoy_portspec.output.exporters.kubernetes import (
    NetworkPolicyExporter,
    parse_kubernetes_version,
)
from konvoy_portspec.output.exporters.names import iptables_chain, kubernetes_name, nft_chain
from konvoy_portspec.output.exporters.nftables import NftablesExporter, nft_base_chain
from konvoy_portspec.output.formatter import pick, registry

__all__ = [
    "EXPORTERS",
    "ExportUsageError",
    "Exporter",
    "export",
    "iptables_chain",
    "iptables_command",
    "iptables_commands",
    "kubernetes_name",
    "nft_base_chain",
    "nft_chain",
    "rule_label",
    "select_roles",
]

EXPORTERS: dict[str, type[Exporter]] = registry(
    IptablesExporter,
    IptablesRestoreExporter,
    Ip6tablesRestoreExporter,
    NftablesExporter,
    FirewalldExporter,
    NetworkPolicyExporter,
    CalicoExporter,
    CsvExporter,
    JsonExporter,
)


def select_roles(spec: Spec, role: str | Iterable[str] | None) -> list[Role]:
    """The roles to export, in the spec's order when none are named."""
    if role is None:
        return list(spec.roles.ordered)
    return list(spec.select([role] if isinstance(role, str) else role).roles.ordered)


def export(
    spec: Spec,
    fmt: str,
    role: str | Iterable[str] | None = None,
    *,
    kubernetes_version: str | None = None,
) -> str:
    """The spec's rules of ``role`` (default: every role) in format ``fmt``.

    The formats that describe one node (``single_role``: iptables-restore,
    ip6tables-restore, nftables, firewalld) need ``role`` when the spec has several
    roles; ``kubernetes_version`` (``"1.20"``) is for the networkpolicy format. Both
    raise :class:`ExportUsageError` otherwise. A role id or rule no tool could be given
    (a role id outside the schema, a reversed range, a port outside 1-65535, a protocol
    that is not one word) raises :class:`~konvoy_portspec.errors.SpecFormatError`.
    """
    exporter_cls = pick(EXPORTERS, fmt, "export", ExportUsageError)
    version = None
    if kubernetes_version is not None:
        if not exporter_cls.takes_kubernetes_version:
            raise ExportUsageError(
                f"--kubernetes-version is for the networkpolicy format, not {fmt}"
            )
        version = parse_kubernetes_version(kubernetes_version)
    roles = select_roles(spec, role)
    if exporter_cls.single_role and len(roles) != 1:
        raise ExportUsageError(
            f"the {fmt} format is the firewall of one node role; pick one with --role "
            f"({', '.join(r.id for r in roles) or 'no roles'})"
        )
    check_exportable(spec, roles)
    return exporter_cls(spec, kubernetes_version=version).render(roles)
