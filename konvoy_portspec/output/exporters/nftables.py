"""Spec -> an ``nft -f`` ruleset: ``table inet konvoy_portspec`` with a chain per role.

Port-less protocols are matched by number (``meta l4proto 4``), as
:mod:`konvoy_portspec.protocols` spells them for nft: no name table is needed on the
host, and ``ipip`` cannot be misread as protocol 94.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from konvoy_portspec.model import Role, Rule
from konvoy_portspec.output.escape import line_comment, nft_string
from konvoy_portspec.output.exporters.base import Exporter, rule_label
from konvoy_portspec.protocols import BY_NAME

__all__ = ["NftablesExporter", "nft_base_chain", "nft_chain"]


def nft_chain(role_id: str) -> str:
    """A chain name nft accepts for a role: ``control-plane`` -> ``control_plane``."""
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


def nft_statement(rule: Rule) -> str:
    """One rule as an nft statement with its comment, or a ``#`` comment naming it."""
    label = rule_label(rule)
    tail = f"accept comment {nft_string(label)}"
    proto = BY_NAME.get(rule.protocol)
    if proto is not None and proto.nft is not None:
        if proto.carries_ports and rule.port is not None:
            return f"{proto.nft} dport {rule.port_text} {tail}"
        if proto.name in ("icmp", "icmpv6"):
            return f"{proto.name} type echo-request {tail}"
        if not proto.carries_ports:
            return f"meta l4proto {proto.nft} {tail}"
    return line_comment(f"# not expressible: {rule.protocol} {label}")


class NftablesExporter(Exporter):
    name = "nftables"
    description = "an nft -f ruleset: table inet konvoy_portspec with a chain per role"

    def render(self, roles: Sequence[Role]) -> str:
        chains = [nft_chain(r.id) for r in roles]
        spec = self.spec
        out = [
            "#!/usr/sbin/nft -f",
            line_comment(f"# konvoy-portspec: {spec.product} {spec.release} firewall rules."),
            "# One regular chain per node role (" + ", ".join(chains) + "). nft jumps only",
            "# within a table: enforce one with a base chain added to this table, e.g.",
            *(f"#   {line}" for line in nft_base_chain(chains[0] if chains else "ROLE")),
            "# or copy the chain you need into your own table.",
            "table inet konvoy_portspec {",
        ]
        for role, chain in zip(roles, chains, strict=True):
            out.append(f"\tchain {chain} {{")
            out.append("\t\t" + line_comment(f"# role: {role.id} ({role.title})"))
            out += [f"\t\t{nft_statement(rule)}" for rule in role.rules]
            out.append("\t}")
        out.append("}")
        return "\n".join(out) + "\n"
