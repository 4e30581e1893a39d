"""The whole tree: spread its pages over worker processes while the walk goes on, and
gather what they found into one :class:`ScanResult`.

Parsing a page costs milliseconds and a docs tree has thousands, so the scan spreads
the work over the CPUs: screener processes settle the pages that need no parser and
name the others, parser processes parse those (see :func:`_scan_in_parallel`). A small
tree is scanned in-process, where starting the workers would cost more than it saves.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from konvoy_portspec.analysis.scan.cache import CacheEntry
from konvoy_portspec.analysis.scan.pages import (
    Chunk,
    Page,
    PageError,
    PageSkipped,
    scan_chunk,
    screen_chunk,
    start_run,
)
from konvoy_portspec.analysis.scan.walk import walk
from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.io.files import MAX_PAGE_SIZE

#: Below this many pages the scan runs in-process: starting workers would cost more.
SERIAL_BELOW = 64
#: Pages per step of an in-process scan.
CHUNK = 32
#: Pages per hand the walk deals to a screener (one report to the parent per hand).
STREAM = 128
#: Pages per task handed to a parser process (handing out and collecting a task costs
#: about a millisecond; parsing a page, a few).
HAND = 6
#: Fewer pages than this to parse are parsed in-process: forking would cost more.
PARSE_IN_PROCESS_BELOW = 8
#: Seconds between a worker's checks that its parent is still there.
PARENT_CHECK = 0.5

Progress = Callable[[int, int], None]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.connection import Connection
    from multiprocessing.context import ForkContext, SpawnContext
    from multiprocessing.process import BaseProcess


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything a scan found. ``files`` counts the files with a page's name,
    ``parsed`` the pages the prefilter let through, ``cached`` those of them taken from
    the cache; ``entries`` is what to cache for the next run (``None`` when the scan ran
    without a cache); ``skipped`` are the files not read (special files, links out of
    the tree)."""

    files: int
    parsed: int
    pages: tuple[Page, ...]
    errors: tuple[PageError, ...]
    cached: int = 0
    entries: dict[str, CacheEntry] | None = None
    skipped: tuple[PageSkipped, ...] = ()

    @property
    def tables(self) -> int:
        return sum(p.tables for p in self.pages)

    @property
    def rules(self) -> int:
        return sum(p.rules for p in self.pages)


def scan_tree(
    root: str,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    cache: dict[str, CacheEntry] | None = None,
    exclude: Sequence[str] = (),
    max_page_size: int = MAX_PAGE_SIZE,
) -> ScanResult:
    """Scan every docs page below ``root`` with ``jobs`` screener and ``jobs`` parser
    processes (default: one of each per CPU; with ``jobs=1``, or a tree of fewer than
    ``SERIAL_BELOW`` pages, the scan runs in-process). With
    ``cache`` (the entries of an earlier run, see :mod:`.cache`), unchanged pages are
    not parsed again, and the result carries the entries to keep for the next run.
    ``exclude`` holds ``--exclude`` patterns (see :func:`.walk.excluder`); a page over
    ``max_page_size`` bytes is an error, not read. ``progress(done, found)`` is called
    as pages are finished."""
    if not os.path.isdir(root):
        raise PortSpecError("not a directory", path=root)
    workers = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    special: list[PageSkipped] = []
    pages = _readable(walk(root, exclude), special)
    first = list(itertools.islice(pages, SERIAL_BELOW))
    if workers == 1 or len(first) < SERIAL_BELOW:
        rels, chunks = _scan_serially(
            root, itertools.chain(first, pages), cache, max_page_size, progress
        )
        files = len(rels) + len(special)
    else:  # the screener walks the tree again, whole
        files, chunks, special = _scan_in_parallel(
            root, tuple(exclude), workers, cache, max_page_size, progress
        )
    found = [r for _, results, _ in chunks for r in results]
    return ScanResult(
        files=files,
        parsed=sum(count for count, _, _ in chunks),
        pages=tuple(sorted((r for r in found if isinstance(r, Page)), key=lambda p: p.path)),
        errors=tuple(sorted((r for r in found if isinstance(r, PageError)), key=lambda e: e.path)),
        cached=sum(entry is None for _, _, updates in chunks for _, entry in updates),
        entries=None if cache is None else _next_entries(cache, chunks),
        skipped=tuple(
            sorted(
                [*special, *(r for r in found if isinstance(r, PageSkipped))],
                key=lambda s: s.path,
            )
        ),
    )


def _readable(
    walked: Iterable[tuple[str, str | None]], special: list[PageSkipped]
) -> Iterator[str]:
    """The pages to read among the files walked; the special files go to ``special``."""
    for rel, kind in walked:
        if kind is None:
            yield rel
        else:  # known from the folder listing: never opened
            special.append(PageSkipped(rel, f"not a regular file ({kind}); not read"))


def _next_entries(cache: dict[str, CacheEntry], chunks: list[Chunk]) -> dict[str, CacheEntry]:
    """The entries of this run's pages: the cached ones that still hold, and new ones."""
    entries = {}
    for _, _, updates in chunks:
        for page_key, entry in updates:
            entries[page_key] = cache[page_key] if entry is None else entry
    return entries


def _prepare_worker(
    cache: dict[str, CacheEntry] | None, max_page_size: int, inherited: Sequence[Connection] = ()
) -> None:
    """Set a worker up for the run.

    Ctrl-C reaches every process of the terminal's group; the parent alone handles it
    (it stops the workers), so workers ignore it instead of each printing a traceback.
    A worker whose parent dies (the OOM killer, a CI job's timeout) exits within a
    second instead of waiting forever for work or for a reader; the pipe ends it
    inherited from the parent and does not use (``inherited``) are closed, so that a
    screener writing to a parent that is gone gets an error rather than waiting.
    """
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for end in inherited:
        end.close()
    start_run(cache, max_page_size)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os._exit(1)

    threading.Thread(target=watch, name="portspec-parent-watch", daemon=True).start()


def _load_parsers() -> None:
    """Import the parsers (and the front matter's YAML reader) into this process, and
    build markdown-it's parser, so that workers forked afterwards inherit them."""
    import yaml

    from konvoy_portspec.extraction import build, html_reader, markdown_reader

    markdown_reader.parser()
    del yaml, build, html_reader


def _fork_context() -> ForkContext | SpawnContext:
    """``fork`` on Linux, ``spawn`` (the platform's default) elsewhere.

    Forking is what lets the parser processes inherit the imported parsers instead of
    importing them each, and Python 3.14 no longer makes it Linux's default. It is safe
    here because the scan forks only while its process has one thread: the screeners
    talk to the parent through pipes, which need none, and the parsers' pool starts its
    processes before its threads. (A library caller that runs threads of its own while
    it scans shares the risk of any fork; it can scan with ``jobs=1``.)"""
    import multiprocessing

    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _scan_serially(
    root: str,
    rels: Iterable[str],
    cache: dict[str, CacheEntry] | None,
    max_page_size: int,
    progress: Progress | None,
) -> tuple[list[str], list[Chunk]]:
    seen = list(rels)
    chunks: list[Chunk] = []
    start_run(cache, max_page_size)
    try:
        for start in range(0, len(seen), CHUNK):
            chunks.append(scan_chunk(root, seen[start : start + CHUNK]))
            if progress is not None:
                progress(min(start + CHUNK, len(seen)), len(seen))
    finally:
        start_run(None, MAX_PAGE_SIZE)
    return seen, chunks


def _scan_in_parallel(
    root: str,
    exclude: tuple[str, ...],
    workers: int,
    cache: dict[str, CacheEntry] | None,
    max_page_size: int,
    progress: Progress | None,
) -> tuple[int, list[Chunk], list[PageSkipped]]:
    """Scan with worker processes: the number of files, what was found, the special
    files passed over.

    Importing the parsers costs a process about a tenth of a second, as much as parsing
    thirty pages, and most pages need no parser. So the work is split in two.
    *Screeners*, one per CPU, settle every page that needs no parser (read, checked,
    ruled out by the prefilter, or found in the cache) and stream what they found, and
    the names of the pages left to parse, to the parent; the first of them walks the
    tree and deals the pages out. Meanwhile the parent imports the parsers, once, as
    soon as a page needs them, then forks the *parsers*, one per CPU, which inherit the
    imported parsers instead of importing them each, and hands them the named pages a
    few at a time as the screeners name them (the last few one at a time, biggest
    first, so that they finish together). The screeners' and the parsers' work overlap:
    the cores stay busy.
    A re-scan whose pages are all cached never imports a parser; a few pages to parse
    are parsed in-process.
    """
    context = _fork_context()
    forked = context.get_start_method() == "fork"
    results: list[Connection] = []
    screeners: list[BaseProcess] = []
    chunks: list[Chunk] = []
    special: list[PageSkipped] = []
    waiting: list[tuple[str, int]] = []
    parts: dict[Future[Chunk], int] = {}  # the parsers' tasks
    parsers: ProcessPoolExecutor | None = None
    seen = done = 0
    imported = False

    def start(target: Callable[..., None], *args: object) -> None:
        """Fork a screener that sends to a pipe of its own; the parent keeps the
        pipe's reading end only, and the screener closes the reading ends it inherits
        (forked, it holds copies of them; spawned, it does not)."""
        receive, send = context.Pipe(duplex=False)
        inherited = [*results, receive] if forked else []
        process = context.Process(
            target=target,
            args=(send, inherited, *args),
            name="portspec-scan-screener",
            daemon=True,
        )
        screeners.append(process)
        results.append(receive)
        process.start()
        send.close()

    def hand_out(hand: list[tuple[str, int]]) -> None:
        assert parsers is not None
        parts[parsers.submit(scan_chunk, root, [rel for rel, _ in hand])] = len(hand)

    try:
        deals: list[Connection] = []  # the walker's pipes to the other screeners
        for _ in range(workers - 1):
            pages, deal = context.Pipe(duplex=False)
            dealt = [*deals, deal] if forked else []  # the helper closes its copies
            start(_screen_dealt, pages, dealt, root, cache, max_page_size)
            pages.close()
            deals.append(deal)
        start(_walk_and_screen, deals, root, exclude, cache, max_page_size)
        for deal in deals:
            deal.close()
        from multiprocessing.connection import wait

        open_pipes = list(results)
        while open_pipes:
            ready = wait(open_pipes)
            for pipe in [pipe for pipe in open_pipes if pipe in ready]:
                message = pipe.recv()  # EOFError: that screener died
                if message[0] == "end":
                    special += message[1]
                    open_pipes.remove(pipe)
                    continue
                if message[0] == "error":
                    _, text, path, line = message
                    raise PortSpecError(text, path=path, line=line)
                _, count, chunk, named = message
                seen += count
                done += count - len(named)
                chunks.append(chunk)
                waiting += named
                if waiting and not imported:
                    _load_parsers()  # while the screeners go on
                    imported = True
                if parsers is None and len(waiting) >= PARSE_IN_PROCESS_BELOW:
                    from concurrent.futures import ProcessPoolExecutor

                    parsers = ProcessPoolExecutor(
                        workers,
                        mp_context=context,
                        initializer=_prepare_worker,
                        initargs=(cache, max_page_size, results if forked else ()),
                    )
                if parsers is not None:
                    while len(waiting) >= HAND:
                        hand_out(waiting[:HAND])
                        del waiting[:HAND]
                if progress is not None:
                    progress(done, seen)
        for process in screeners:
            process.join()
        if parsers is None:
            if waiting:  # too few to fork for
                chunks += _scan_serially(
                    root, [rel for rel, _ in waiting], cache, max_page_size, None
                )[1]
                done += len(waiting)
                if progress is not None:
                    progress(done, seen)
        else:  # the last few one at a time, biggest first
            from concurrent.futures import as_completed

            for named in sorted(waiting, key=lambda item: -item[1]):
                hand_out([named])
            for part in as_completed(parts):
                chunks.append(part.result())
                done += parts[part]
                if progress is not None:
                    progress(done, seen)
            parsers.shutdown()
    except BaseException as exc:  # a worker died, Ctrl-C, or an error of our own
        _stop(screeners, parsers)  # and drop the work not started
        if _a_worker_died(exc):
            raise PortSpecError(
                "a worker process died (out of memory?); --jobs 1 scans in-process", path=root
            ) from None
        raise
    finally:
        for pipe in results:
            pipe.close()
    return seen + len(special), chunks, special


def _walk_and_screen(
    send: Connection,
    inherited: list[Connection],
    deals: list[Connection],
    root: str,
    exclude: tuple[str, ...],
    cache: dict[str, CacheEntry] | None,
    max_page_size: int,
) -> None:
    """The first screener: walk the tree and deal every ``STREAM`` pages it yields, in
    turn, to itself and to the other screeners (through ``deals``). Sends the parent
    ``("pages", count, chunk, named)`` for each of its hands, then ``("end",
    special)``; or ``("error", message, path, line)``."""
    _prepare_worker(cache, max_page_size, inherited)
    special: list[PageSkipped] = []
    turn = 0

    def dispatch(batch: list[str]) -> None:
        nonlocal turn
        if turn == len(deals):
            send.send(("pages", len(batch), *screen_chunk(root, batch)))
        else:
            deals[turn].send(batch)
        turn = (turn + 1) % (len(deals) + 1)

    try:
        batch: list[str] = []
        for rel in _readable(walk(root, exclude), special):
            batch.append(rel)
            if len(batch) == STREAM:
                dispatch(batch)
                batch = []
        if batch:
            dispatch(batch)
        send.send(("end", special))
    except PortSpecError as exc:
        send.send(("error", exc.message, exc.path, exc.line))
    except BrokenPipeError:
        pass  # another screener died (the parent reports it), or the parent did
    finally:
        for deal in deals:
            deal.close()  # the other screeners' end
        send.close()


def _screen_dealt(
    send: Connection,
    inherited: list[Connection],
    pages: Connection,
    deals: list[Connection],
    root: str,
    cache: dict[str, CacheEntry] | None,
    max_page_size: int,
) -> None:
    """Another screener: screen the pages the walker deals until it closes the pipe,
    sending the parent what :func:`_walk_and_screen` sends for its own hands. It closes
    the dealing ends it inherits (``deals``), or it would never see the pipe's end."""
    _prepare_worker(cache, max_page_size, [*inherited, *deals])
    try:
        while True:
            try:
                batch = pages.recv()
            except EOFError:
                break
            send.send(("pages", len(batch), *screen_chunk(root, batch)))
        send.send(("end", []))
    except BrokenPipeError:
        pass  # the parent is gone
    finally:
        send.close()


def _a_worker_died(exc: BaseException) -> bool:
    """A screener's pipe ended early (:class:`EOFError`), or the parsers' pool broke
    (``concurrent.futures`` is imported only once the pool is needed)."""
    futures = sys.modules.get("concurrent.futures.process")
    return isinstance(exc, EOFError) or (
        futures is not None and isinstance(exc, futures.BrokenProcessPool)
    )


def _stop(screeners: list[BaseProcess], parsers: ProcessPoolExecutor | None) -> None:
    for process in screeners:
        if process.is_alive():
            process.kill()
        process.join()  # no zombie left to a library caller
    if parsers is not None:
        parsers.shutdown(wait=False, cancel_futures=True)
