"""Find every page with port tables in a whole docs tree, fast enough for CI.

Most pages of a docs tree hold no port table, and parsing a page costs milliseconds,
so the scan reads each page's bytes once and parses only the pages a cheap, sound
prefilter (:mod:`konvoy_portspec.extraction.prefilter`) cannot rule out. The parsing
itself is the extractor's own pipeline, spread over worker processes; with a cache from
an earlier run, pages that have not changed are not parsed again.

The package follows a scan's path: :mod:`.walk` (which files, read how),
:mod:`.pages` (one page), :mod:`.cache` (what is kept between runs), :mod:`.pool` (the
tree and its worker processes).
"""

from __future__ import annotations

from konvoy_portspec.analysis.scan.pages import Page, PageError, PageSkipped
from konvoy_portspec.analysis.scan.pool import ScanResult, scan_tree
from konvoy_portspec.analysis.scan.walk import PAGE_SUFFIXES, SKIP_DIRS, iter_pages, list_pages

__all__ = [
    "PAGE_SUFFIXES",
    "SKIP_DIRS",
    "Page",
    "PageError",
    "PageSkipped",
    "ScanResult",
    "iter_pages",
    "list_pages",
    "scan_tree",
]
