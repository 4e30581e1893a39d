"""Spec -> an ``nft -f`` ruleset: the input firewall of one node role, in a table of
its own (``table inet konvoy_portspec``), covering IPv4 and IPv6.

The file first makes sure the table exists (``table inet konvoy_portspec {}``), deletes
it, and defines it anew: nft applies a file as one transaction, so the swap is atomic,
works on every nft version (``destroy table`` needs nft 1.0.6), and loading the file
twice leaves what loading it once leaves. No other table is touched.

In nftables a packet must be accepted by every base chain on its hook, so a table can
only open ports by being the firewall that drops the rest: the ``input`` chain accepts
replies (``ct state established,related``), loopback and IPv6 neighbour discovery
(without which IPv6 does not work at all), jumps to the role's chain, and drops the
rest. Port-less protocols are matched by number (``meta l4proto 4``), as
:mod:`konvoy_portspec.protocols` spells them for nft, so ``ipip`` cannot be misread as
protocol 94; IGMP is matched on IPv4 only, ICMP and ICMPv6 each on their own family.
"""

from __future__ import annotations

from collections.abc import Sequence

from konvoy_portspec.model import Role, Rule
from konvoy_portspec.output.escape import line_comment, nft_string
from konvoy_portspec.output.exporters.base import Exporter, families, outbound_note, rule_label
from konvoy_portspec.output.exporters.names import NFT_TABLE, nft_chain
from konvoy_portspec.protocols import BY_NAME

__all__ = ["NftablesExporter", "nft_base_chain", "nft_chain", "nft_statement"]


def nft_base_chain(chain: str, role_id: str) -> list[str]:
    """The ``input`` base chain that makes ``chain`` the node's input firewall."""
    return [
        "chain input {",
        "\ttype filter hook input priority filter; policy drop;",
        "\tct state established,related accept",
        "\tct state invalid drop",
        '\tiif "lo" accept',
        "\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept",
        f"\tjump {chain} comment {nft_string(f'konvoy-portspec {role_id}')}",
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
        if proto.name in ("icmp", "icmpv6"):  # each implies its own family in inet
            return f"{proto.name} type echo-request {tail}"
        if not proto.carries_ports:
            only = families(proto.name)  # "ipv4"/"ipv6": nft's words for nfproto
            family = f"meta nfproto {only[0]} " if len(only) == 1 else ""
            return f"{family}meta l4proto {proto.nft} {tail}"
    return line_comment(f"# not expressible: {rule.protocol} {label}")


class NftablesExporter(Exporter):
    name = "nftables"
    description = (
        f"an nft -f ruleset: one role's input firewall in table inet {NFT_TABLE} "
        "(IPv4 and IPv6), replaced atomically, the rest dropped; needs one role"
    )
    single_role = True

    def render(self, roles: Sequence[Role]) -> str:
        (role,) = roles
        chain = nft_chain(role.id)
        spec = self.spec
        out = [
            "#!/usr/sbin/nft -f",
            line_comment(
                f"# konvoy-portspec: {spec.product} {spec.release} input firewall for role "
                f"{role.id} ({role.title}), IPv4 and IPv6."
            ),
            "# Check with `nft -c -f FILE`, load with `nft -f FILE`. The file replaces",
            f"# table inet {NFT_TABLE} whole, in one step (loading it again leaves the same",
            "# ruleset) and touches no other table. Its input chain accepts replies,",
            f"# loopback, IPv6 neighbour discovery and the role's rules (chain {chain});",
            "# it drops everything else. nft passes a packet only if every table's input",
            "# chain accepts it: with another firewall table that drops, open these ports",
            "# there too.",
            f"table inet {NFT_TABLE} {{}}",
            f"delete table inet {NFT_TABLE}",
            f"table inet {NFT_TABLE} {{",
            f"\tchain {chain} {{",
            "\t\t" + line_comment(f"# role: {role.id} ({role.title})"),
        ]
        for rule in role.rules:
            if rule.inbound:
                out.append(f"\t\t{nft_statement(rule)}")
            else:
                out.append("\t\t" + line_comment(f"# {outbound_note(rule)}"))
        out.append("\t}")
        out += [f"\t{line}" for line in nft_base_chain(chain, role.id)]
        out.append("}")
        return "\n".join(out) + "\n"
