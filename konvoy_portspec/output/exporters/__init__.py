"""Spec -> the configuration formats of the tools that open ports.

Each exporter writes the real syntax its tool accepts (``iptables`` commands, an
``nft -f`` ruleset, a firewalld service, Kubernetes and Calico policies) plus two plain
data formats, one module per tool. Every output holds exactly the spec's rules of the
exported roles: what a format cannot express (ICMP in a NetworkPolicy, ``any`` in
iptables) is written as a comment naming the rule, never dropped silently and never
invented. Protocol numbers and spellings come from :mod:`konvoy_portspec.protocols`;
text from the spec reaches the output only through :mod:`konvoy_portspec.output.escape`.

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
from konvoy_portspec.output.exporters.iptables import IptablesExporter, iptables_command
from konvoy_portspec.output.exporters.kubernetes import NetworkPolicyExporter
from konvoy_portspec.output.exporters.nftables import NftablesExporter, nft_base_chain
from konvoy_portspec.output.formatter import pick, registry

__all__ = [
    "EXPORTERS",
    "ExportUsageError",
    "Exporter",
    "export",
    "iptables_command",
    "nft_base_chain",
    "rule_label",
    "select_roles",
]

EXPORTERS: dict[str, type[Exporter]] = registry(
    IptablesExporter,
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


def export(spec: Spec, fmt: str, role: str | Iterable[str] | None = None) -> str:
    """The spec's rules of ``role`` (default: every role) in format ``fmt``.

    A firewalld service describes one node, so without ``role`` the firewalld format
    needs a spec with a single role; otherwise it raises :class:`ExportUsageError`. A
    rule no tool could be given (a reversed range, a port outside 1-65535, a protocol
    that is not one word) raises :class:`~konvoy_portspec.errors.SpecFormatError`.
    """
    exporter_cls = pick(EXPORTERS, fmt, "export", ExportUsageError)
    roles = select_roles(spec, role)
    if exporter_cls.single_role and len(roles) != 1:
        raise ExportUsageError(
            f"the {fmt} format describes one node role; pick one with --role "
            f"({', '.join(r.id for r in roles) or 'no roles'})"
        )
    check_exportable(spec, roles)
    return exporter_cls(spec).render(roles)
