"""Find every page with port tables in a whole docs tree, fast enough for CI.

Most pages of a docs tree hold no port table, and parsing a page (markdown-it, then
beautifulsoup4 for HTML tables) costs milliseconds, so the scan reads each page's bytes
once and parses only the pages a cheap prefilter cannot rule out. The prefilter is
sound: it rejects a page only when no table header in it can name a port column (hold
one of :data:`konvoy_portspec.extraction.cells.PORT_WORDS` as a word, as
:func:`~konvoy_portspec.extraction.cells.classify_header` reads it). The parsing itself is the
extractor's own pipeline, spread over worker processes; with a cache from an earlier
run (:mod:`.scan_cache`), pages that have not changed are not parsed again.
"""

from __future__ import annotations

import html
import itertools
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from konvoy_portspec.analysis.scan_cache import Entry
from konvoy_portspec.errors import ExtractError, PortSpecError
from konvoy_portspec.extraction.cells import PORT_WORDS
from konvoy_portspec.model import RoleMap, Spec

#: File endings of docs pages (markdown and MDX, HTML).
PAGE_SUFFIXES = (".md", ".markdown", ".mdx", ".html", ".htm")
#: Directories never scanned besides hidden ones: dependencies and build output.
SKIP_DIRS = frozenset({"node_modules", "_build"})
#: Below this many pages the scan runs in-process: starting workers would cost more.
SERIAL_BELOW = 64
#: Pages per step of an in-process scan, and per batch dealt out to the workers.
CHUNK = 32
BATCH = 1024

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Page:
    """A page holding port tables: its path below the scanned root and its spec."""

    path: str
    spec: Spec
    tables: int
    release_known: bool = False

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
class ScanResult:
    """Everything a scan found. ``parsed`` counts the pages the prefilter let through,
    ``cached`` those of them taken from the cache; ``entries`` is what to cache for the
    next run (``None`` when the scan ran without a cache)."""

    files: int
    parsed: int
    pages: tuple[Page, ...]
    errors: tuple[PageError, ...]
    cached: int = 0
    entries: dict[str, Entry] | None = None

    @property
    def tables(self) -> int:
        return sum(p.tables for p in self.pages)

    @property
    def rules(self) -> int:
        return sum(p.rules for p in self.pages)


# --- which files ---------------------------------------------------------------------


def excluder(patterns: Sequence[str]) -> Callable[[str, str], bool] | None:
    """A test ``(name, path) -> excluded`` for ``--exclude`` patterns, or ``None``.

    A pattern without ``/`` is a name: it matches a file or folder of that name anywhere
    (``public``, ``*.html``). A pattern with ``/`` is a path below the scanned root
    (``docs/archive``, ``v1.*/ports.md``). Both are shell globs, matched case-sensitively
    like the paths themselves; a trailing ``/`` is ignored.
    """
    import fnmatch

    names = [p.strip("/") for p in patterns if "/" not in p.strip("/") and p.strip("/")]
    paths = [p.strip("/") for p in patterns if "/" in p.strip("/")]
    name_re = re.compile("|".join(fnmatch.translate(p) for p in names)) if names else None
    path_re = re.compile("|".join(fnmatch.translate(p) for p in paths)) if paths else None
    if name_re is None and path_re is None:
        return None

    def excluded(name: str, path: str) -> bool:
        return bool(
            (name_re is not None and name_re.match(name))
            or (path_re is not None and path_re.match(path))
        )

    return excluded


def iter_pages(root: str, exclude: Sequence[str] = ()) -> Iterator[str]:
    """Docs pages below ``root`` as ``/``-separated relative paths, in no set order;
    ``exclude`` holds ``--exclude`` patterns (see :func:`excluder`).

    ``os.scandir`` rather than ``os.walk``: the directory entries already know whether
    they are folders, and building the relative path as the walk goes saves a
    ``relpath`` per folder; on an 8,000-page tree this walk takes a third of the time.
    """
    skip = excluder(exclude)
    stack = [("", root)]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            if not prefix:
                raise PortSpecError(f"cannot read: {exc.strerror}", path=root) from None
            continue  # like os.walk, an unreadable folder inside the tree is passed over
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir():
                # Like os.walk, links to folders are not followed (no loops, no escapes).
                if name in SKIP_DIRS or entry.is_symlink():
                    continue
                if skip is None or not skip(name, prefix + name):
                    stack.append((f"{prefix}{name}/", entry.path))
            elif name.lower().endswith(PAGE_SUFFIXES) and (
                skip is None or not skip(name, prefix + name)
            ):
                yield prefix + name


def list_pages(root: str, exclude: Sequence[str] = ()) -> list[str]:
    """Docs pages below ``root`` as sorted ``/``-separated relative paths."""
    return sorted(iter_pages(root, exclude))


# --- the prefilter --------------------------------------------------------------------

#: A port word not followed by a letter; the letter before is checked by the caller.
_WORD = "(?:{})(?![a-z])".format("|".join(sorted(PORT_WORDS, key=len, reverse=True)))
_WORD_BYTES = re.compile(_WORD.encode())
_WORD_TEXT = re.compile(_WORD)
#: A line that can be the delimiter row of a GFM table (container prefixes allowed).
_DELIMITER_ROW = re.compile(rb"[ \t>]*[|: \t]*-[|: \t-]*(?=\n|\Z)")
_TABLE_TAG = re.compile(rb"<table", re.IGNORECASE)
#: Tags that end a cell or a block: the readers never join text across them.
_BREAKING_TAGS = re.compile(
    r"</?(?:t[dhr]|table|thead|tbody|tfoot|caption|br|p|div|li|ul|ol|dd|dt|blockquote|section)"
    r"\b[^<>]*>"
)
#: Markup the readers drop from cell text, so a header word may be split by it.
_VANISHING = re.compile(
    r"<!--.*?-->|<[^<>]*>|\]\([^()\s]*\)|\(s\)|\[\^?\w{1,3}\]|\^\w{1,3}\b|[*_`~\\\[\]!†‡§¶⁑]",
    re.DOTALL,
)
#: A letter next to such markup: only then can markup hide a word in an ASCII region.
_MARKUP_IN_WORD = re.compile(rb"[a-z][*_`~\\\[\]!<(^]|[*_`~\\\]>)][a-z]")


def _has_word_bytes(low: bytes) -> bool:
    """Whether lower-cased ``low`` holds ``port``/``dport``/``range`` (plural or not) as a
    word, judged by ASCII letters as ``header_key`` does (it splits on all but a-z0-9)."""
    for match in _WORD_BYTES.finditer(low):
        start = match.start()
        if start == 0 or not 97 <= low[start - 1] <= 122:
            return True
    return False


def _has_word_text(text: str) -> bool:
    for match in _WORD_TEXT.finditer(text):
        start = match.start()
        if start == 0 or not "a" <= text[start - 1] <= "z":
            return True
    return False


#: Cell text that markdown and HTML read as written: no markup, entities or escapes.
_PLAIN = re.compile(rb"[A-Za-z0-9 \t.,:;/()'+|-]*")
_HTML_CELL = re.compile(rb"<t[dh]\b[^<>]*>", re.IGNORECASE)
_HTML_CELL_END = re.compile(rb"\s*</t[dh]\s*>\s*\Z", re.IGNORECASE)


def _may_span(cells: list[bytes]) -> bool:
    """Whether a row with these cells can read as one title spanning the table (every
    cell the same text): False only when two plain cells differ."""
    if len(cells) < 2:
        return True
    texts: set[bytes] = set()
    for cell in cells:
        if not _PLAIN.fullmatch(cell):
            return True
        texts.add(b" ".join(cell.split()))
    return len(texts) < 2


def _pipe_row_may_span(line: bytes) -> bool:
    """The pieces between the first and the last ``|`` are cells for sure (the outer
    pieces may be a container prefix or the row's edge), so only they are compared."""
    if b"\\" in line:
        return True
    return _may_span(line.split(b"|")[1:-1])


def _pipe_rows(raw: bytes) -> Iterator[bytes]:
    """Lines that can name a GFM table's columns: the line holding a ``|`` right above a
    line that can be a delimiter row (markdown-it needs a ``|`` in a header), and, when
    that line may be a title spanning the table (``| Worker nodes | Worker nodes |``),
    the line right below the delimiter row, where the extractor then reads the names.
    """
    pos = raw.find(b"|")
    while pos >= 0:
        start = raw.rfind(b"\n", 0, pos) + 1
        end = raw.find(b"\n", pos)
        if end < 0:
            return
        delimiter = _DELIMITER_ROW.match(raw, end + 1)
        if delimiter is not None:
            header = raw[start:end]
            yield header
            below = delimiter.end() + 1
            if below < len(raw) and _pipe_row_may_span(header):
                stop = raw.find(b"\n", below)
                yield raw[below : len(raw) if stop < 0 else stop]
        pos = raw.find(b"|", end)


_TD = re.compile(rb"<td\b", re.IGNORECASE)
_TR_END = re.compile(rb"</tr\b", re.IGNORECASE)
_THEAD_END = re.compile(rb"</thead\b", re.IGNORECASE)
_TABLE_END = re.compile(rb"</table\b", re.IGNORECASE)


def _html_row_may_span(row: bytes) -> bool:
    """A row without ``colspan`` spans the table only when it has two or more cells."""
    if b"colspan" in row.lower():
        return True
    pieces = _HTML_CELL.split(row)[1:]
    return len(pieces) > 1 and _may_span([_HTML_CELL_END.sub(b"", p) for p in pieces])


def _html_header_regions(raw: bytes) -> Iterator[bytes]:
    """For each ``<table``, the bytes that can hold its column names.

    The HTML reader takes as header the ``<thead>`` rows, else the leading rows made of
    ``<th>`` only, else the first row. All of those end at the first ``</tr>`` after the
    first ``<td>`` or at ``</thead>``, whichever is later. When the first row may be a
    title spanning the table, the names can be in the row after it, so the region runs
    one ``</tr>`` further. Where tags cannot be counted on (a nested ``<table``, a
    comment that may hide a tag, a missing row end), it runs to the end of the page, so
    a malformed table is never missed. The rest of a table's body, where
    "port-forward" and the like turn up in prose, is not read.
    """
    for table in _TABLE_TAG.finditer(raw):
        start = table.start()
        close = _TABLE_END.search(raw, start)
        end = limit = len(raw) if close is None else close.end()
        td = _TD.search(raw, start, limit)
        row_end = _TR_END.search(raw, td.end(), limit) if td is not None else None
        if row_end is not None:
            first_row = _TR_END.search(raw, start, limit)
            assert first_row is not None
            if _html_row_may_span(raw[start : first_row.start()]):
                row_end = _TR_END.search(raw, row_end.end(), limit)
        if row_end is not None:
            end = row_end.end()
            head_end = _THEAD_END.search(raw, start, limit)
            if head_end is not None:
                end = max(end, head_end.end())
        if _TABLE_TAG.search(raw, start + 6, end) is not None or b"<!--" in raw[start:end]:
            end = len(raw)
        yield raw[start:end]


def _normalized(region: bytes) -> str:
    """What the readers and ``header_key`` make of the text: entities decoded,
    compatibility characters folded (``ＰＯＲＴ`` -> ``port``), case folded."""
    text = region.decode("utf-8", "replace")
    if "&" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.casefold()


def _region_has_word(region: bytes) -> bool:
    low = region.lower()
    if _has_word_bytes(low):
        return True
    if low.isascii() and b"&" not in low and not _MARKUP_IN_WORD.search(low):
        return False  # nothing can hide a word here
    text = _normalized(region)
    if _has_word_text(text):
        return True
    return _has_word_text(_VANISHING.sub("", _BREAKING_TAGS.sub(" ", text)))


def _pipe_row_has_port_column(line: bytes) -> bool:
    """Whether a row can name a port column. A plain row (no markup, entities or escapes)
    is judged exactly, cell by cell, with the extractor's own ``classify_header`` (so
    ``| Port name | Description |`` is not a port header); any other row by its words."""
    if not _PLAIN.fullmatch(line):
        return _region_has_word(line)
    if not _has_word_bytes(line.lower()):
        return False
    from konvoy_portspec.extraction.cells import PORT, PORT_START, classify_header

    return any(
        classify_header(piece.decode("ascii")) in (PORT, PORT_START) for piece in line.split(b"|")
    )


def may_hold_port_table(raw: bytes) -> bool:
    """False only for pages that cannot hold a port table (no false negatives).

    A port table needs a table and a header cell with a port word in it. A GFM
    table's header is the line above its delimiter row and always holds a ``|``; an
    HTML table's header comes after its ``<table`` tag; either moves one row down when
    the first row only titles the table. So the word is looked for in those places only,
    first as plain text, then, where entities, look-alike characters or markup inside
    the word (``**Po**rt``, ``&#80;ort``, ``ＰＯＲＴ``) could hide it, after normalising
    the text the way the readers and ``header_key`` do. A pipe header without any
    markup is judged cell by cell, exactly as the extractor does.
    """
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if any(_region_has_word(region) for region in _html_header_regions(raw)):
        return True
    return any(_pipe_row_has_port_column(line) for line in _pipe_rows(raw))


# --- one page --------------------------------------------------------------------------


def _check_text(raw: bytes, rel: str) -> PageError | None:
    """Encoding problems are reported for every page, table or not."""
    if b"\x00" in raw or not raw.isascii():
        from konvoy_portspec.extraction import decode

        try:
            decode(raw, rel)
        except ExtractError as exc:
            return PageError(rel, exc.message, exc.line)
    return None


#: Set in each worker (and for an in-process scan): the cache entries of the last run.
_CACHE: dict[str, Entry] | None = None
#: A page's cache key and its new entry (``None``: the cached one still holds).
Update = tuple[str, "Entry | None"]


def scan_page(root: str, rel: str) -> tuple[bool, Page | PageError | None, Update | None]:
    """Whether the page got past the prefilter; its port tables, an error, or ``None``;
    and, when a cache is in use, what to keep in it for this page."""
    path = os.path.join(root, *rel.split("/"))
    try:
        with open(path, "rb", buffering=0) as fh:  # one read, no buffer to copy through
            raw = fh.readall()
    except OSError as exc:
        return False, PageError(rel, f"cannot read: {exc.strerror}"), None
    problem = _check_text(raw, rel)
    if problem is not None:
        return False, problem, None
    if not may_hold_port_table(raw):
        return False, None, None
    if _CACHE is None:
        return True, parse_page(raw, rel, path), None
    from konvoy_portspec.analysis.scan_cache import key

    page_key = key(path, raw)
    entry = _CACHE.get(page_key)
    if entry is not None:
        try:
            return True, from_entry(rel, entry), (page_key, None)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # not an entry this code writes (edited by hand?): parse the page
    result = parse_page(raw, rel, path)
    return True, result, (page_key, to_entry(result))


def to_entry(result: Page | PageError | None) -> Entry:
    if result is None:
        return {}
    if isinstance(result, PageError):
        return {"error": result.message, "line": result.line}
    from konvoy_portspec.io.spec_json import to_dict

    return {
        "tables": result.tables,
        "release": result.spec.release if result.release_known else None,
        "product": result.spec.product,
        "roles": to_dict(result.spec)["roles"],
    }


def from_entry(rel: str, entry: Entry) -> Page | PageError | None:
    if "error" in entry:
        return PageError(rel, str(entry["error"]), entry.get("line"))
    if "roles" not in entry:
        return None
    from konvoy_portspec.io.spec_json import from_dict

    release = entry.get("release")
    spec = from_dict({**entry, "release": release or "unknown"})
    return Page(rel, spec, int(entry["tables"]), release is not None)


def parse_page(raw: bytes, rel: str, path: str) -> Page | PageError | None:
    """The extractor's pipeline (:func:`~.extraction.read_page`), keeping what ``extract``
    does not return (the number of port tables), "no port table" as a plain ``None``."""
    from konvoy_portspec.extraction import decode, product_from, read_page, release_from

    try:
        meta, roles, tables = read_page(decode(raw, rel), path)
    except PortSpecError as exc:
        return PageError(rel, exc.message, exc.line)
    if not roles:
        return None
    release = release_from(meta, path)
    spec = Spec(release=release or "unknown", product=product_from(meta), roles=RoleMap(roles))
    return Page(rel, spec, tables, release is not None)


Chunk = tuple[int, list["Page | PageError"], list[Update]]


def _scan_chunk(root: str, rels: Sequence[str]) -> Chunk:
    """Worker task: how many pages got past the prefilter, the findings (pages without
    port tables are dropped here, so little travels back to the parent), cache updates."""
    parsed = 0
    found: list[Page | PageError] = []
    updates: list[Update] = []
    for rel in rels:
        was_parsed, result, update = scan_page(root, rel)
        parsed += was_parsed
        if result is not None:
            found.append(result)
        if update is not None:
            updates.append(update)
    return parsed, found, updates


# --- the tree --------------------------------------------------------------------------


def _prepare_worker(cache: dict[str, Entry] | None) -> None:
    """Import the parsers once per worker, while the parent still walks the tree (with
    a cache, most pages need no parser, so they are imported on the first miss).

    Ctrl-C reaches every process of the terminal's group; the parent alone handles it
    (it cancels the pool), so workers ignore it instead of each printing a traceback.
    """
    import signal

    global _CACHE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _CACHE = cache
    if cache is None:
        from konvoy_portspec.extraction import build, html_reader, markdown_reader

        markdown_reader.parser()
        del build, html_reader


def _scan_serially(
    root: str, rels: Iterable[str], cache: dict[str, Entry] | None, progress: Progress | None
) -> tuple[list[str], list[Chunk]]:
    global _CACHE
    seen = list(rels)
    chunks: list[Chunk] = []
    _CACHE = cache
    try:
        for start in range(0, len(seen), CHUNK):
            chunks.append(_scan_chunk(root, seen[start : start + CHUNK]))
            if progress is not None:
                progress(min(start + CHUNK, len(seen)), len(seen))
    finally:
        _CACHE = None
    return seen, chunks


def _scan_in_parallel(
    root: str,
    rels: Iterable[str],
    workers: int,
    cache: dict[str, Entry] | None,
    progress: Progress | None,
) -> tuple[list[str], list[Chunk]]:
    """Scan with worker processes, handing out pages while the walk goes on.

    The workers start (and import the parsers) when the first batch is dealt, early in
    the walk of a big tree, so they work while the walk goes on. Handing out a task and
    collecting it costs about a millisecond, so tasks are big: every ``BATCH`` pages the
    walk yields are dealt out like cards, one hand per worker. Port pages cluster in
    folders; dealt out, each hand holds its share of them, and the workers finish
    together.
    """
    from concurrent.futures import Future, ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    seen: list[str] = []
    hands: dict[Future[Chunk], int] = {}
    chunks: list[Chunk] = []
    pool = ProcessPoolExecutor(workers, initializer=_prepare_worker, initargs=(cache,))

    def deal(batch: list[str]) -> None:
        for hand in (batch[i::workers] for i in range(workers)):
            if hand:
                hands[pool.submit(_scan_chunk, root, hand)] = len(hand)

    try:
        batch: list[str] = []
        for rel in rels:
            seen.append(rel)
            batch.append(rel)
            if len(batch) == BATCH:
                deal(batch)
                batch = []
        deal(batch)
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


def scan_tree(
    root: str,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    cache: dict[str, Entry] | None = None,
    exclude: Sequence[str] = (),
) -> ScanResult:
    """Scan every docs page below ``root``; ``jobs`` worker processes (default: one per
    CPU; a tree of fewer than ``SERIAL_BELOW`` pages is scanned in-process). With
    ``cache`` (the entries of an earlier run, see :mod:`.scan_cache`), unchanged pages
    are not parsed again, and the result carries the entries to keep for the next run.
    ``exclude`` holds ``--exclude`` patterns (see :func:`excluder`). ``progress(done,
    found)`` is called as pages are finished."""
    if not os.path.isdir(root):
        raise PortSpecError("not a directory", path=root)
    workers = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    walk = iter_pages(root, exclude)
    first = list(itertools.islice(walk, SERIAL_BELOW))
    if workers == 1 or len(first) < SERIAL_BELOW:
        rels, chunks = _scan_serially(root, itertools.chain(first, walk), cache, progress)
    else:
        rels, chunks = _scan_in_parallel(
            root, itertools.chain(first, walk), workers, cache, progress
        )
    results = [r for _, found, _ in chunks for r in found]
    pages = sorted((r for r in results if isinstance(r, Page)), key=lambda p: p.path)
    errors = sorted((r for r in results if isinstance(r, PageError)), key=lambda e: e.path)
    entries = None
    hits = 0
    if cache is not None:
        entries = {}
        for page_key, entry in (u for _, _, updates in chunks for u in updates):
            if entry is None:
                hits += 1
                entries[page_key] = cache[page_key]
            else:
                entries[page_key] = entry
    parsed = sum(count for count, _, _ in chunks)
    return ScanResult(len(rels), parsed, tuple(pages), tuple(errors), hits, entries)


def page_to_dict(page: Page) -> dict[str, Any]:
    from konvoy_portspec.io.spec_json import to_dict

    out: dict[str, Any] = {"path": page.path}
    if page.release_known:
        out["release"] = page.spec.release
    out["tables"] = page.tables
    out["rules"] = page.rules
    out["roles"] = to_dict(page.spec)["roles"]
    return out


def result_to_dict(result: ScanResult) -> dict[str, Any]:
    """The ``--format json`` document: pages, errors and totals."""
    return {
        "pages": [page_to_dict(p) for p in result.pages],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in result.errors],
        "totals": {
            "files": result.files,
            "pages": len(result.pages),
            "tables": result.tables,
            "rules": result.rules,
            "errors": len(result.errors),
        },
    }
