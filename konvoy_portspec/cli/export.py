"""``portspec export RELEASE --format FMT``: the ports as firewall or policy config."""

from __future__ import annotations

import argparse

from konvoy_portspec.cli._common import add_output, emit, load_spec

#: Kept in step with konvoy_portspec.output.exporters.EXPORTERS (a test checks); listed here so
#: building the parser does not import the exporters.
FORMATS = ("iptables", "nftables", "firewalld", "networkpolicy", "calico", "csv", "json")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "export",
        help="export a release's ports as iptables, nftables, firewalld, NetworkPolicy, "
        "Calico, CSV or JSON",
        description="Write the ports of a release (bundled release, spec .json or docs page) "
        "in the syntax of a firewall or policy tool. Without --role every role is exported, "
        "each under a `role:` comment header (one YAML document per role); the firewalld "
        "format describes one node and needs --role when the spec has several roles.",
    )
    p.add_argument("release", help="bundled release (v2.1, 2.1, latest), spec .json, or page")
    p.add_argument("--role", action="append", metavar="ROLE", help="only this role; repeatable")
    p.add_argument("--format", "-f", choices=FORMATS, required=True, help="output format")
    add_output(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.output.exporters import export

    spec = load_spec(args.release)
    emit(export(spec, args.format, args.role), args.output)
    return 0
