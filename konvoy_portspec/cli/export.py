"""``portspec export RELEASE --format FMT``: the ports as firewall or policy config."""

from __future__ import annotations

import argparse

from konvoy_portspec.cli._common import add_examples, add_output, emit, load_spec

# The exporters import only the standard library and the project's light modules, and
# every export run needs them: the parser's choices are read from their table.
from konvoy_portspec.output.exporters import EXPORTERS, export
from konvoy_portspec.output.formatter import describe

DESCRIPTION = """\
Write the ports of a release (bundled release, spec .json or docs page) in the syntax
of a firewall or policy tool.

Host firewalls: every file can be applied as it is, and applying it again leaves the
same ruleset. Each role has a chain of its own (iptables KONVOY-WORKER, nft
konvoy_worker in table inet konvoy_portspec) that is emptied and refilled; IPv4 and
IPv6 both (ICMP on IPv4 only, ICMPv6 on IPv6 only); outbound rules are not opened. A
node gets the ports of one role only: the iptables script may hold every role and
applies the one given as its argument (`sh fw.sh worker`; without it, it changes
nothing); iptables-restore, ip6tables-restore, nftables and firewalld describe one node
and need --role when the spec has several roles. The iptables script jumps to its chain
from INPUT once, before a trailing catch-all REJECT/DROP; the restore files replace the
chain atomically and give the one-time jump in their header; the nftables file replaces
its own table atomically and is the node's input firewall (it drops what it does not
accept).

NetworkPolicy: ranges use endPort, which Kubernetes keeps from 1.22 on (beta; alpha
behind a gate in 1.21, GA in 1.25); an older API server drops it silently and the rule
opens the first port alone. With --kubernetes-version older than 1.22 each range is
written as single ports (refused above 4096 per policy), and SCTP rules before 1.19 are
named in comments. A role with no TCP, UDP or SCTP port gets no policy (an empty
ingress list would deny all ingress), said in a comment; if no role has one, the export
is refused (exit 2). Calico policies follow the same rule.
"""

#: Shown under ``examples:`` in ``--help`` (what each does, the command line).
EXAMPLES = (
    (
        "one script for every node; each applies its own role (twice = once)",
        "portspec export v2.1 -f iptables -o fw.sh && sudo sh fw.sh worker",
    ),
    (
        "the worker firewall as an nft table of its own, checked before loading",
        "portspec export v2.1 -f nftables --role worker -o worker.nft && nft -c -f worker.nft",
    ),
    (
        "NetworkPolicies for Konvoy 1.8 (Kubernetes 1.20 has no endPort)",
        "portspec export v1.8 -f networkpolicy --kubernetes-version 1.20 -o netpol.yaml",
    ),
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "export",
        help="export a release's ports as iptables, nftables, firewalld, NetworkPolicy, "
        "Calico, CSV or JSON",
        description=DESCRIPTION,
        epilog=f"formats: {describe(EXPORTERS)}.",
    )
    p.add_argument("release", help="bundled release (v2.1, 2.1, latest), spec .json, or page")
    p.add_argument("--role", action="append", metavar="ROLE", help="only this role; repeatable")
    p.add_argument("--format", "-f", choices=tuple(EXPORTERS), required=True, help="output format")
    p.add_argument(
        "--kubernetes-version",
        metavar="X.Y",
        help="networkpolicy only: the target cluster's version (1.20, v1.24.3); below 1.22 "
        "port ranges are written as single ports, since older API servers drop endPort",
    )
    add_output(p)
    add_examples(p, EXAMPLES)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    spec = load_spec(args.release)
    text = export(spec, args.format, args.role, kubernetes_version=args.kubernetes_version)
    emit(text, args.output)
    return 0
