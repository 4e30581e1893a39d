"""``portspec extract PAGE``: a docs page's canonical spec.

What the page holds that does not stop it from being read (a port cell in prose, kept
as a port-less rule) is printed on stderr as ``portspec: warning: FILE:LINE: message``;
the exit code stays 0. A broken port cell (``70000``, ``six``) is an input error (exit
3), since it is a docs bug a CI gate should stop; with ``--keep-going`` its row is left
out, the rest of the page is printed, each left-out row is reported as
``portspec: error: FILE:LINE: message`` and the exit code is 1 (found something).
"""

from __future__ import annotations

import argparse
import sys

from konvoy_portspec.cli._common import add_max_page_size, add_output, emit, max_page_size
from konvoy_portspec.errors import EXIT_FINDINGS, EXIT_OK

TYPE_CHECKING = False
if TYPE_CHECKING:
    from konvoy_portspec.extraction import ExtractWarning


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "extract",
        help="extract the port tables of a docs page into a canonical spec",
        description="Print the canonical spec (JSON) of a Konvoy ports page: markdown (MDX "
        "too) with HTML or pipe tables, or a rendered HTML page. REV:path reads the page "
        "from git. A port cell in prose is kept as a port-less rule and reported as a "
        "warning on stderr (exit 0); a broken port (70000, six) is an error (exit 3) "
        "unless --keep-going.",
    )
    p.add_argument("page", help="markdown or HTML file, or REV:path in a git repository")
    p.add_argument("--release", help="release name when the page does not give one (e.g. v2.4)")
    p.add_argument("--product", help="product name to record (default: front matter or konvoy)")
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="leave out the rows whose port cell is broken instead of failing: the rest "
        "of the page is printed, each left-out row is reported on stderr, exit code 1",
    )
    add_max_page_size(p)
    add_output(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.io.spec_json import iter_dumps
    from konvoy_portspec.output.escape import terminal_text
    from konvoy_portspec.sides import open_page

    found: list[ExtractWarning] = []
    spec = open_page(
        args.page,
        release=args.release,
        warnings=found,
        keep_going=args.keep_going,
        max_page_size=max_page_size(args),
    )
    if args.product:
        spec = spec.replace(product=args.product)
    for finding in found:
        print(f"portspec: {finding.severity}: {terminal_text(str(finding))}", file=sys.stderr)
    emit(iter_dumps(spec), args.output)
    return EXIT_FINDINGS if any(f.severity == "error" for f in found) else EXIT_OK
