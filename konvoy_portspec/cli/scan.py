"""``portspec scan DIR``: every page with port tables in a docs tree."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from ._common import add_output, emit

FORMATS = ("text", "json")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "scan",
        help="find and extract every port table in a docs tree",
        description="Walk a docs tree (.md, .markdown, .mdx, .html, .htm; hidden folders, "
        "node_modules and _build are skipped) and list every page with port tables, with "
        "its roles and rule counts. Pages that cannot be parsed are reported as "
        "file:line: message and make the exit code 1; the scan goes on.",
    )
    p.add_argument("directory", metavar="DIR", help="root of the docs tree")
    p.add_argument("--format", "-f", choices=FORMATS, default="text")
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        metavar="N",
        help="worker processes (default: one per CPU; 1 scans in-process)",
    )
    add_output(p)
    p.set_defaults(func=run)


def _progress_bar() -> Callable[[int, int], None] | None:
    """A ``\\r`` counter on stderr, only when stderr is a terminal."""
    isatty = getattr(sys.stderr, "isatty", None)
    if not (isatty and isatty()):
        return None

    def show(done: int, total: int) -> None:
        end = "\r\033[K" if done >= total else ""
        sys.stderr.write(f"\rscanning {done}/{total} pages{end}")
        sys.stderr.flush()

    return show


def format_text(result: object) -> str:
    from ..scan import ScanResult

    assert isinstance(result, ScanResult)
    lines = [
        f"{len(result.pages)} pages with port tables "
        f"({result.tables} tables, {result.rules} rules) in {result.files} pages scanned"
    ]
    width = max((len(p.path) for p in result.pages), default=0)
    for page in result.pages:
        roles = ", ".join(f"{r.id} {len(r)}" for r in page.spec.roles.ordered)
        release = f"{page.spec.release}  " if page.release_known else ""
        lines.append(
            f"  {page.path.ljust(width)}  {release}{page.tables} tables, "
            f"{page.rules} rules: {roles}"
        )
    lines.append(
        f"total: {len(result.pages)} pages, {result.tables} tables, {result.rules} rules, "
        f"{len(result.errors)} failed"
    )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from ..errors import EXIT_FINDINGS, EXIT_OK, UsageError
    from ..scan import result_to_dict, scan_tree

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    result = scan_tree(args.directory, jobs=args.jobs, progress=_progress_bar())
    if args.format == "json":
        import json

        text = json.dumps(result_to_dict(result), indent=2, ensure_ascii=False) + "\n"
    else:
        text = format_text(result)
        for error in result.errors:
            print(f"portspec: scan: {error}", file=sys.stderr)
    emit(text, args.output)
    return EXIT_FINDINGS if result.errors else EXIT_OK
