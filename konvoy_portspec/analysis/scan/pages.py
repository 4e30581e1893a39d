"""One page of a scan: read it, rule it out cheaply, or parse it (or take its cached
result), and what the cache keeps for it.

This is what each worker process runs, page after page; what a page yields is a value
(:class:`Page`, :class:`PageError`, :class:`PageSkipped` or ``None``) the parent sorts
into the :class:`~konvoy_portspec.analysis.scan.pool.ScanResult`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from konvoy_portspec.analysis.scan.cache import CacheEntry, is_cache_entry, key
from konvoy_portspec.analysis.scan.walk import NotAPage, Unreadable, read_page_bytes
from konvoy_portspec.errors import ExtractError, PortSpecError
from konvoy_portspec.extraction import (
    ExtractWarning,
    decode,
    product_from,
    read_page,
    release_from,
)
from konvoy_portspec.extraction.prefilter import may_hold_port_table
from konvoy_portspec.io.files import MAX_PAGE_SIZE
from konvoy_portspec.io.spec_json import from_dict, to_dict
from konvoy_portspec.model import RoleMap, Spec


@dataclass(frozen=True, slots=True)
class Page:
    """A page holding port tables: its path below the scanned root and its spec."""

    path: str
    spec: Spec
    tables: int
    release_known: bool = False
    #: What the extractor reported without refusing the page (a port cell in prose):
    #: ``(line, message)`` pairs, in page order.
    warnings: tuple[tuple[int | None, str], ...] = ()

    @property
    def rules(self) -> int:
        return sum(len(role) for role in self.spec.roles.ordered)


@dataclass(frozen=True, slots=True)
class PageError:
    """A page that could not be read or parsed, with the line where there is one."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class PageSkipped:
    """A file named like a page that was not read: not a regular file (a FIFO, a device,
    a socket) or a link leading out of the scanned folder. Worth a warning, not a
    failure: nothing in it was a page to begin with."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


Found = Page | PageError | PageSkipped
#: A page's cache key and its new entry (``None``: the cached one still holds).
Update = tuple[str, CacheEntry | None]
#: What a worker sends back for a chunk of pages: how many got past the prefilter, what
#: was found in them (pages without port tables are dropped, so little travels back),
#: and the cache updates.
Chunk = tuple[int, list[Found], list[Update]]

#: What every page of a run is scanned with: the cache entries of the last run (``None``
#: without a cache) and the page size limit. Set once per worker process, and for an
#: in-process scan, by :func:`start_run`; the cache is too big to send with each task.
_cache: dict[str, CacheEntry] | None = None
_limit = MAX_PAGE_SIZE


def start_run(cache: dict[str, CacheEntry] | None, max_page_size: int) -> None:
    global _cache, _limit
    _cache = cache
    _limit = max_page_size


def scan_chunk(root: str, rels: Sequence[str]) -> Chunk:
    """Worker task: scan the pages ``rels`` below ``root``."""
    return _tally(scan_page(root, rel, _cache, _limit) for rel in rels)


def screen_chunk(root: str, rels: Sequence[str]) -> tuple[Chunk, list[tuple[str, int]]]:
    """A screener's task: settle the pages ``rels`` that need no parser (read errors,
    pages the prefilter rules out, cache hits) and name the ones that do, each with its
    size, for a parser process (:func:`scan_chunk`, which reads them again: a few
    hundred pages, cheaper than carrying their bytes through the parent)."""
    to_parse: list[tuple[str, int]] = []

    def settled() -> Iterator[Outcome]:
        for rel in rels:
            screened = screen_page(root, rel, _cache, _limit)
            if isinstance(screened, Unparsed):
                to_parse.append((rel, len(screened.raw)))
            else:
                yield screened

    return _tally(settled()), to_parse


def _tally(outcomes: Iterable[Outcome]) -> Chunk:
    """What a chunk sends back: pages without port tables are dropped."""
    parsed = 0
    found: list[Found] = []
    updates: list[Update] = []
    for was_parsed, result, update in outcomes:
        parsed += was_parsed
        if result is not None:
            found.append(result)
        if update is not None:
            updates.append(update)
    return parsed, found, updates


@dataclass(frozen=True, slots=True)
class Unparsed:
    """A page that only a parse can settle: its bytes, its path to report, and its
    cache key (``None`` without a cache)."""

    raw: bytes
    path: str
    page_key: str | None


Outcome = tuple[bool, Found | None, Update | None]


def scan_page(
    root: str, rel: str, cache: dict[str, CacheEntry] | None, limit: int = MAX_PAGE_SIZE
) -> Outcome:
    """Whether the page got past the prefilter; its port tables, an error, a skip, or
    ``None``; and, when ``cache`` is given, what to keep in it for this page."""
    screened = screen_page(root, rel, cache, limit)
    if not isinstance(screened, Unparsed):
        return screened
    result = parse_page(screened.raw, rel, screened.path)
    if screened.page_key is None:
        return True, result, None
    return True, result, (screened.page_key, to_cache_entry(result))


def screen_page(
    root: str, rel: str, cache: dict[str, CacheEntry] | None, limit: int = MAX_PAGE_SIZE
) -> Outcome | Unparsed:
    """:func:`scan_page` up to the parse: its outcome when no parser is needed, else
    what the parse needs."""
    try:
        raw = read_page_bytes(root, rel, limit)
    except Unreadable as exc:
        return False, PageError(rel, str(exc)), None
    except NotAPage as exc:
        return False, PageSkipped(rel, str(exc)), None
    problem = _check_text(raw, rel)
    if problem is not None:
        return False, problem, None
    if not may_hold_port_table(raw):
        return False, None, None
    path = os.path.join(root, *rel.split("/"))
    if cache is None:
        return Unparsed(raw, path, None)
    page_key = key(path, raw)
    entry = cache.get(page_key)
    if entry is not None and is_cache_entry(entry):
        try:
            return True, from_cache_entry(rel, entry), (page_key, None)
        except (PortSpecError, KeyError, TypeError, ValueError, AttributeError):
            pass  # an entry no run of this code wrote (edited by hand?): a miss
    return Unparsed(raw, path, page_key)


def _check_text(raw: bytes, rel: str) -> PageError | None:
    """Encoding problems are reported for every page, table or not."""
    if b"\x00" in raw or not raw.isascii():
        try:
            decode(raw, rel)
        except ExtractError as exc:
            return PageError(rel, exc.message, exc.line)
    return None


def parse_page(raw: bytes, rel: str, path: str) -> Page | PageError | None:
    """The extractor's pipeline (:func:`~konvoy_portspec.extraction.read_page`), keeping
    what ``extract`` does not return (the number of port tables), "no port table" as a
    plain ``None``."""
    found: list[ExtractWarning] = []
    try:
        meta, roles, tables = read_page(raw, path, name=rel, warnings=found)
    except PortSpecError as exc:
        return PageError(rel, exc.message, exc.line)
    if not roles:
        return None
    release = release_from(meta, path)
    spec = Spec(release=release or "unknown", product=product_from(meta), roles=RoleMap(roles))
    warnings = tuple((w.line, w.message) for w in found)
    return Page(rel, spec, tables, release is not None, warnings)


def to_cache_entry(result: Page | PageError | None) -> CacheEntry:
    if result is None:
        return {}
    if isinstance(result, PageError):
        return {"error": result.message, "line": result.line}
    return {
        "tables": result.tables,
        "release": result.spec.release if result.release_known else None,
        "product": result.spec.product,
        "roles": to_dict(result.spec)["roles"],
        "warnings": [[line, message] for line, message in result.warnings],
    }


def from_cache_entry(rel: str, entry: CacheEntry) -> Page | PageError | None:
    """The result an entry of the shape :func:`is_cache_entry` accepts stands for."""
    if "error" in entry:
        return PageError(rel, entry["error"], entry["line"])
    if "roles" not in entry:
        return None
    release = entry["release"]
    spec = from_dict({**entry, "release": release or "unknown"})
    warnings = tuple((line, message) for line, message in entry["warnings"])
    return Page(rel, spec, entry["tables"], release is not None, warnings)
