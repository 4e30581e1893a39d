"""``portspec check DOC``: does a ports page still say what the release's spec says?"""

from __future__ import annotations

import argparse

from konvoy_portspec.cli._common import (
    add_output,
    emit,
    load_spec,
    stdin_once,
    use_color,
)
from konvoy_portspec.output.diff_formats import FORMATTERS
from konvoy_portspec.release_names import names_release

#: The diff views a drift report can be shown in (the firewall view is no report).
CHECK_FORMATS = tuple(name for name in FORMATTERS if name != "firewall")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check",
        help="check a ports page against a release's spec (drift check for CI)",
        description="Extract DOC (markdown or HTML page, or REV:path) and compare it with "
        "the spec of a release: the bundled spec of the page's own release (front matter "
        "`release:` or a vX.Y folder in its path) unless --against names another. Exit 0 "
        "when they agree, 1 with the differences when the page drifted, 2 when no release "
        "can be found (use --against), 3 on unreadable input.",
    )
    p.add_argument("doc", help="ports page (markdown or HTML), REV:path in git, or - (stdin)")
    p.add_argument(
        "--against",
        metavar="RELEASE",
        help="bundled release, spec .json, page or - (stdin) to compare with",
    )
    p.add_argument("--format", "-f", choices=CHECK_FORMATS, default="text")
    add_output(p)
    p.set_defaults(func=run)


def release_for(spec_release: str | None, path: str) -> str:
    """The release a checked input is about: its own, else a vX.Y folder in its path."""
    from konvoy_portspec.errors import UsageError

    if spec_release and spec_release != "unknown":
        return spec_release
    from konvoy_portspec.extraction import release_from

    found = release_from({}, path)
    if found:
        return found
    raise UsageError(
        "cannot tell which release this is about (no `release:` front matter and no vX.Y "
        "folder in its path); name one with --against",
        path=path,
    )


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.errors import EXIT_FINDINGS, EXIT_OK, UsageError

    stdin_once((args.doc, args.against))
    if names_release(args.doc):
        raise UsageError(f"{args.doc!r} is a release name; check takes a page (DOC)")
    page = load_spec(args.doc, label="page")
    against = args.against or release_for(page.release, args.doc)
    spec = load_spec(against, label="--against" if args.against else "the page's release")
    from konvoy_portspec.analysis.diff import diff
    from konvoy_portspec.output.diff_formats import format_diff

    d = diff(spec, page)
    if args.format == "text":
        head = f"check: {args.doc} against {spec.product} {spec.release}: "
        head += (
            "drift (-: in the spec, not on the page; +: on the page, not in the spec)\n"
            if d
            else "agrees\n"
        )
        body = format_diff(d, "text", color=use_color() and not args.output) if d else ""
        emit(head + body, args.output)
    else:
        emit(format_diff(d, args.format), args.output)
    return EXIT_FINDINGS if d else EXIT_OK
