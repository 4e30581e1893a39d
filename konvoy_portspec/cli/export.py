"""``portspec export RELEASE --format FMT``: the ports as firewall or policy config."""

from __future__ import annotations

import argparse

from konvoy_portspec.cli._common import add_output, emit, load_spec

# The exporters import only the standard library and the project's light modules, and
# every export run needs them: the parser's choices are read from their table.
from konvoy_portspec.output.exporters import EXPORTERS, export
from konvoy_portspec.output.formatter import describe


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "export",
        help="export a release's ports as iptables, nftables, firewalld, NetworkPolicy, "
        "Calico, CSV or JSON",
        description="Write the ports of a release (bundled release, spec .json or docs page) "
        "in the syntax of a firewall or policy tool. Without --role every role is exported, "
        "each under a `role:` comment header (one YAML document per role); the firewalld "
        "format describes one node and needs --role when the spec has several roles.",
        epilog=f"formats: {describe(EXPORTERS)}.",
    )
    p.add_argument("release", help="bundled release (v2.1, 2.1, latest), spec .json, or page")
    p.add_argument("--role", action="append", metavar="ROLE", help="only this role; repeatable")
    p.add_argument("--format", "-f", choices=tuple(EXPORTERS), required=True, help="output format")
    add_output(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    spec = load_spec(args.release)
    emit(export(spec, args.format, args.role), args.output)
    return 0
