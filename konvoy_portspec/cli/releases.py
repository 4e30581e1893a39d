"""``portspec releases``: the bundled releases, oldest first."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "releases",
        help="list the bundled releases, oldest first",
        description="List the bundled releases, oldest first, one per line.",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.io.bundled import releases

    for name in releases():
        print(name)
    return 0
