"""``portspec extract PAGE``: a docs page's canonical spec."""

from __future__ import annotations

import argparse

from konvoy_portspec.cli._common import add_output, emit, load_page


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "extract",
        help="extract the port tables of a docs page into a canonical spec",
        description="Print the canonical spec (JSON) of a Konvoy ports page: markdown with "
        "HTML or pipe tables, or a rendered HTML page. REV:path reads the page from git.",
    )
    p.add_argument("page", help="markdown or HTML file, or REV:path in a git repository")
    p.add_argument("--release", help="release name when the page does not give one (e.g. v2.4)")
    p.add_argument("--product", help="product name to record (default: front matter or konvoy)")
    add_output(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.io.spec_json import dumps

    spec = load_page(args.page, release=args.release)
    if args.product:
        spec = spec.replace(product=args.product)
    emit(dumps(spec), args.output)
    return 0
