"""The whole tree: deal its pages out to worker processes while the walk goes on, and
gather what they found into one :class:`ScanResult`.

Parsing a page costs milliseconds and a docs tree has thousands, so the scan spreads
the pages over one process per CPU; a small tree is scanned in-process, where starting
the workers would cost more than it saves.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from konvoy_portspec.analysis.scan.cache import CacheEntry
from konvoy_portspec.analysis.scan.pages import (
    Chunk,
    Page,
    PageError,
    PageSkipped,
    scan_chunk,
    start_run,
)
from konvoy_portspec.analysis.scan.walk import walk
from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.io.files import MAX_PAGE_SIZE

#: Below this many pages the scan runs in-process: starting workers would cost more.
SERIAL_BELOW = 64
#: Pages per step of an in-process scan, and per batch dealt out to the workers.
CHUNK = 32
BATCH = 1024
#: Pages per hand once the walk is over.
TAIL_HAND = 64

Progress = Callable[[int, int], None]


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
    """Scan every docs page below ``root``; ``jobs`` worker processes (default: one per
    CPU; a tree of fewer than ``SERIAL_BELOW`` pages is scanned in-process). With
    ``cache`` (the entries of an earlier run, see :mod:`.cache`), unchanged pages are
    not parsed again, and the result carries the entries to keep for the next run.
    ``exclude`` holds ``--exclude`` patterns (see :func:`.walk.excluder`); a page over
    ``max_page_size`` bytes is an error, not read. ``progress(done, found)`` is called
    as pages are finished."""
    if not os.path.isdir(root):
        raise PortSpecError("not a directory", path=root)
    workers = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    special: list[PageSkipped] = []

    def readable() -> Iterator[str]:
        for rel, kind in walk(root, exclude):
            if kind is None:
                yield rel
            else:  # known from the folder listing: never opened
                special.append(PageSkipped(rel, f"not a regular file ({kind}); not read"))

    pages = readable()
    first = list(itertools.islice(pages, SERIAL_BELOW))
    if workers == 1 or len(first) < SERIAL_BELOW:
        rels, chunks = _scan_serially(
            root, itertools.chain(first, pages), cache, max_page_size, progress
        )
    else:
        rels, chunks = _scan_in_parallel(
            root, itertools.chain(first, pages), workers, cache, max_page_size, progress
        )
    found = [r for _, results, _ in chunks for r in results]
    return ScanResult(
        files=len(rels) + len(special),
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


def _next_entries(cache: dict[str, CacheEntry], chunks: list[Chunk]) -> dict[str, CacheEntry]:
    """The entries of this run's pages: the cached ones that still hold, and new ones."""
    entries = {}
    for _, _, updates in chunks:
        for page_key, entry in updates:
            entries[page_key] = cache[page_key] if entry is None else entry
    return entries


def _prepare_worker(cache: dict[str, CacheEntry] | None, max_page_size: int) -> None:
    """Import the parsers once per worker, while the parent still walks the tree (with
    a cache, most pages need no parser, so they are imported on the first miss).

    Ctrl-C reaches every process of the terminal's group; the parent alone handles it
    (it cancels the pool), so workers ignore it instead of each printing a traceback.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    start_run(cache, max_page_size)
    if cache is None:
        from konvoy_portspec.extraction import build, html_reader, markdown_reader

        markdown_reader.parser()
        del build, html_reader


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
    rels: Iterable[str],
    workers: int,
    cache: dict[str, CacheEntry] | None,
    max_page_size: int,
    progress: Progress | None,
) -> tuple[list[str], list[Chunk]]:
    """Scan with worker processes, handing out pages while the walk goes on.

    The workers start (and import the parsers) when the first few pages are dealt, at
    the start of the walk, so they work while the walk goes on. Handing out a task and
    collecting it costs about a millisecond, so tasks are big: every ``BATCH`` pages the
    walk yields are dealt out like cards, one hand per worker. Port pages cluster in
    folders; dealt out, each hand holds its share of them. The pages left when the walk
    ends go out in small hands (``TAIL_HAND``), so the workers finish together.
    """
    from concurrent.futures import Future, ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    seen: list[str] = []
    hands: dict[Future[Chunk], int] = {}
    chunks: list[Chunk] = []
    pool = ProcessPoolExecutor(
        workers, initializer=_prepare_worker, initargs=(cache, max_page_size)
    )

    def deal(batch: list[str]) -> None:
        for hand in (batch[i::workers] for i in range(workers)):
            if hand:
                hands[pool.submit(scan_chunk, root, hand)] = len(hand)

    try:
        batch: list[str] = []
        size = SERIAL_BELOW  # a small first deal starts the workers at once
        for rel in rels:
            seen.append(rel)
            batch.append(rel)
            if len(batch) == size:
                deal(batch)
                batch, size = [], BATCH
        # The last pages go out in small hands: whichever worker is free takes the
        # next, so the workers finish together instead of one waiting on the other.
        for start in range(0, len(batch), TAIL_HAND * workers):
            deal(batch[start : start + TAIL_HAND * workers])
        done = 0
        for future in as_completed(hands):
            chunks.append(future.result())
            done += hands[future]
            if progress is not None:
                progress(done, len(seen))
    except BrokenProcessPool:
        pool.shutdown(wait=False, cancel_futures=True)
        raise PortSpecError(
            "a worker process died (out of memory?); --jobs 1 scans in-process", path=root
        ) from None
    except BaseException:  # Ctrl-C, or an error of our own: drop the work not started
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return seen, chunks
