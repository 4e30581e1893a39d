"""``portspec preflight RELEASE``: are the release's ports still free on this host?"""

from __future__ import annotations

import argparse

from konvoy_portspec.cli._common import add_output, emit, load_spec


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "preflight",
        help="check which of a release's TCP/UDP ports are already in use on this host",
        description="Before installing: report every TCP/UDP port of the release (ranges "
        "included) that a process on this host already listens on or has bound, with the "
        "owning process where the system says (/proc). TCP ports in TIME_WAIT count as "
        "free; ssh rows (port 22, Ansible) are expected to be in use, by sshd only. Exit 1 "
        "if a port is busy.",
    )
    p.add_argument(
        "release",
        help="bundled release (v2.1, 2.1, latest), spec .json, page, or - (stdin)",
    )
    p.add_argument(
        "--role", action="append", metavar="ROLE", help="only this role's ports; repeatable"
    )
    p.add_argument(
        "--host",
        default="0.0.0.0",
        help="address the components will listen on (default 0.0.0.0: any address)",
    )
    p.add_argument("--format", "-f", choices=("text", "json"), default="text")
    add_output(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import ipaddress

    from konvoy_portspec.analysis.preflight import preflight
    from konvoy_portspec.errors import EXIT_FINDINGS, EXIT_OK, UsageError
    from konvoy_portspec.output.preflight_report import FORMATTERS

    try:
        ipaddress.ip_address(args.host)
    except ValueError:
        raise UsageError(f"--host {args.host!r} is not an IP address") from None
    spec = load_spec(args.release)
    roles = list(spec.select(args.role).roles) if args.role else None
    result = preflight(spec, roles, args.host)
    emit(FORMATTERS[args.format](result), args.output)
    return EXIT_FINDINGS if result else EXIT_OK
