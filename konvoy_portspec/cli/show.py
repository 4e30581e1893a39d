"""``portspec show RELEASE``: a release as a table, JSON, markdown or HTML."""

from __future__ import annotations

import argparse

from konvoy_portspec.cli._common import add_output, emit, load_spec
from konvoy_portspec.output.tables import VIEWS


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "show",
        help="print a release (or spec file, or page) as a table, JSON, markdown or HTML",
        description="Print a bundled release, a spec file or a docs page. `table` is a "
        "readable terminal table; `json` is the canonical spec.",
    )
    p.add_argument(
        "release",
        help="bundled release (v2.1, 2.1, latest), spec .json, page, or - (stdin)",
    )
    p.add_argument(
        "--role",
        action="append",
        metavar="ROLE",
        help="only this role (control-plane, worker, ...); repeatable",
    )
    p.add_argument("--format", "-f", choices=tuple(VIEWS), default=next(iter(VIEWS)))
    add_output(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    spec = load_spec(args.release)
    if args.role:
        spec = spec.select(args.role)
    emit(VIEWS[args.format](spec), args.output)
    return 0
