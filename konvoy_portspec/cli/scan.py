"""``portspec scan DIR``: every page with port tables in a docs tree."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from konvoy_portspec.cli._common import add_max_page_size, add_output, emit, max_page_size

FORMATS = ("text", "json")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "scan",
        help="find and extract every port table in a docs tree",
        description="Walk a docs tree (.md, .markdown, .mdx, .html, .htm; hidden folders, "
        "node_modules and _build are skipped) and list every page with port tables, with "
        "its roles and rule counts. Pages that cannot be read or parsed (a broken or "
        "looping link, a page over --max-page-size) are reported as file:line: message "
        "and make the exit code 1; the scan goes on. Only regular files are read: "
        "links to folders are not walked, symbolic links that lead outside DIR are not "
        "followed, and FIFOs, devices and sockets are not opened; a file named like a "
        "page that is not read is reported as a warning.",
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
    add_max_page_size(p)
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


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.analysis.scan import scan_tree
    from konvoy_portspec.errors import EXIT_FINDINGS, EXIT_OK, UsageError
    from konvoy_portspec.output.scan_report import format_text, problem_lines, result_to_dict

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    page_limit = max_page_size(args)
    stamp = ""
    cache = None
    if args.cache:
        stamp, cache = _load_cache(args.cache)
    result = scan_tree(
        args.directory,
        jobs=args.jobs,
        progress=_progress_bar(),
        cache=cache,
        exclude=args.exclude,
        max_page_size=page_limit,
    )
    if args.format == "json":
        from konvoy_portspec.io.json_text import dumps

        # document > pages > page > roles > role > ports: one rule per line
        text = dumps(result_to_dict(result), depth=6) + "\n"
    else:
        text = format_text(result)
        for line in problem_lines(result):
            print(f"portspec: scan: {line}", file=sys.stderr)
    emit(text, args.output)
    if args.cache and result.entries is not None and result.entries != cache:
        _save_cache(args.cache, stamp, result.entries)
    return EXIT_FINDINGS if result.errors else EXIT_OK


def _load_cache(path: str) -> tuple[str, dict[str, dict[str, object]] | None]:
    """The stamp of this code and the cache's entries. A cache that cannot be read
    safely costs this run time, not its result: it is reported as a warning and the
    scan runs without it (rebuilding it, unless it is not a regular file)."""
    from konvoy_portspec.analysis.scan.cache import UnusableCache, fingerprint, load
    from konvoy_portspec.output.scan_report import printable

    stamp = fingerprint()
    try:
        return stamp, load(path, stamp)
    except UnusableCache as exc:
        print(f"portspec: scan: warning: cache not used: {printable(str(exc))}", file=sys.stderr)
        return stamp, {} if exc.replaceable else None


def _save_cache(path: str, stamp: str, entries: dict[str, dict[str, object]]) -> None:
    """A cache that cannot be written costs the next run time, not this run's result:
    the scan's output stands, and the failure is reported as a warning."""
    from konvoy_portspec.analysis.scan.cache import save
    from konvoy_portspec.errors import PortSpecError
    from konvoy_portspec.output.scan_report import printable

    try:
        save(path, stamp, entries)
    except PortSpecError as exc:
        print(f"portspec: scan: warning: cache not saved: {printable(str(exc))}", file=sys.stderr)
