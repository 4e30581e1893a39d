"""``portspec scan DIR``: every page with port tables in a docs tree."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from konvoy_portspec.cli._common import add_output, emit

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
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip files and folders matching GLOB (repeatable): a name anywhere "
        "(public, *.html) or, with a /, a path below DIR (content/archive, v1.*/ports.md)",
    )
    p.add_argument(
        "--cache",
        metavar="FILE",
        help="keep what each page held in FILE and parse only pages changed since the run "
        "that wrote it (for CI: restore FILE between runs); a FILE written by another "
        "version of portspec or of its parsers is ignored and rewritten",
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
    from konvoy_portspec.analysis.scan import ScanResult

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
    from konvoy_portspec.analysis.scan import result_to_dict, scan_tree
    from konvoy_portspec.errors import EXIT_FINDINGS, EXIT_OK, UsageError

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    stamp = ""
    cache = None
    if args.cache:
        from konvoy_portspec.analysis.scan_cache import fingerprint, load

        stamp = fingerprint()
        cache = load(args.cache, stamp)
    result = scan_tree(
        args.directory,
        jobs=args.jobs,
        progress=_progress_bar(),
        cache=cache,
        exclude=args.exclude,
    )
    if args.format == "json":
        from konvoy_portspec.io.json_text import dumps

        # document > pages > page > roles > role > ports: one rule per line
        text = dumps(result_to_dict(result), depth=6) + "\n"
    else:
        text = format_text(result)
        for error in result.errors:
            print(f"portspec: scan: {error}", file=sys.stderr)
    emit(text, args.output)
    if args.cache and result.entries is not None and result.entries != cache:
        _save_cache(args.cache, stamp, result.entries)
    return EXIT_FINDINGS if result.errors else EXIT_OK


def _save_cache(path: str, stamp: str, entries: dict[str, dict[str, object]]) -> None:
    """A cache that cannot be written costs the next run time, not this run's result:
    the scan's output stands, and the failure is reported as a warning."""
    from konvoy_portspec.analysis.scan_cache import save
    from konvoy_portspec.errors import PortSpecError

    try:
        save(path, stamp, entries)
    except PortSpecError as exc:
        print(f"portspec: scan: warning: cache not saved: {exc}", file=sys.stderr)
