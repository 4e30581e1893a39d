"""``portspec releases``: the bundled releases, oldest first."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "releases",
        help="list the bundled releases, oldest first",
        description="List the bundled releases, oldest first, one per line.",
    )
    p.add_argument(
        "--format",
        "-f",
        choices=("text", "json"),
        default="text",
        help='text: one release per line; json: {"product": "konvoy", "releases": [...], '
        '"latest": the newest or null}',
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.cli._common import emit
    from konvoy_portspec.io.bundled import PRODUCT, releases

    names = releases()
    if args.format == "json":
        import json

        data = {"product": PRODUCT, "releases": names, "latest": names[-1] if names else None}
        emit(json.dumps(data, indent=2), None)
    elif names:
        emit("\n".join(names), None)
    return 0
