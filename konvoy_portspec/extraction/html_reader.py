"""HTML to events, with beautifulsoup4: embedded ``<table>`` blocks and whole pages.

Line numbers come from the parser's ``sourceline`` (html.parser tracks it), shifted by
where the HTML chunk starts in the page, so errors point into the original file.

Long runs of plain rows are read from the source, not as a tree: see
:mod:`~konvoy_portspec.extraction.html_rows`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from bs4 import BeautifulSoup, Comment, NavigableString, ParserRejectedMarkup, Tag

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction.events import SHARED_TEXT, Event, Heading, Paragraph, Table
from konvoy_portspec.extraction.html_rows import (
    RUN_ATTR,
    Cell,
    Run,
    placed,
    row_runs,
    run_rows,
    with_placeholders,
)
from konvoy_portspec.extraction.text import collapse
from konvoy_portspec.extraction.titles import clean_title

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "div", "li", "ul", "ol", "br", "tr", "dd", "dt", "blockquote", "section"}
#: Tables in these are examples or inert markup, not the page's port tables.
_INERT = {"template", "pre", "code", "textarea", "script", "style", "noscript", "xmp"}
_EMPHASIS = {"em", "i", "strong", "b"}
#: ``sup`` holds footnote marks (``6443<sup>1</sup>``), which must not join the number.
_SKIP_TEXT = {"script", "style", "template", "sup"}


def text_of(node: Tag) -> str:
    """Visible text of an element: ``<br>`` and block elements become spaces."""
    contents = node.contents
    if not contents:
        return ""
    if (  # most cells: one plain string, nothing to skip
        len(contents) == 1
        and type(contents[0]) is NavigableString
        and node.name not in _SKIP_TEXT
        and "class" not in node.attrs
    ):
        return collapse(contents[0])
    parts: list[str] = []
    for item in node.descendants:
        if isinstance(item, Comment):
            continue
        if isinstance(item, NavigableString):
            parent = item.parent
            if parent is not None and parent.name in _SKIP_TEXT:
                continue
            if parent is not None and "headerlink" in (parent.get("class") or []):
                continue
            parts.append(str(item))
        elif isinstance(item, Tag) and item.name in _BLOCKS:
            parts.append(" ")
    return collapse("".join(parts))


def _span(attrs: Mapping[str, object], name: str) -> int:
    value = attrs.get(name)
    if value is None:
        return 1
    try:
        return max(1, min(int(str(value).strip() or 1), 1000))
    except ValueError:
        return 1


def _own_rows(table: Tag) -> list[Tag]:
    """The table's ``<tr>``s, not those of tables nested in its cells.

    A plain walk over the children: bs4's ``find_all`` matching machinery is the
    slowest part of reading a table, and rows only sit in a few known places.
    """
    rows: list[Tag] = []
    stack = [c for c in reversed(table.contents) if isinstance(c, Tag)]
    while stack:
        node = stack.pop()
        if node.name == "tr":
            rows.append(node)
        elif node.name != "table":
            stack.extend(c for c in reversed(node.contents) if isinstance(c, Tag))
    return rows


def _rows_of(table: Tag, html: str, runs: list[Run]) -> Iterator[tuple[list[Cell], bool, int]]:
    """The table's rows as cells, whether each is in ``<thead>``, and its line."""
    for tr in _own_rows(table):
        in_thead = tr.parent is not None and tr.parent.name == "thead"
        run = tr.attrs.get(RUN_ATTR) if runs else None
        if run is not None:
            for cells, line in run_rows(html, runs[int(str(run))], tr.sourceline or 1):
                yield cells, in_thead, line
            continue
        cells = [
            (c.name, text_of(c), c.attrs)
            for c in tr.contents
            if isinstance(c, Tag) and c.name in ("td", "th")
        ]
        yield cells, in_thead, tr.sourceline or table.sourceline or 1


def _grid(table: Tag, html: str, runs: list[Run]) -> tuple[list[list[str]], list[int], int]:
    """Rows of cell texts with rowspan/colspan spread out, row lines, header row count."""
    grid: list[list[str]] = []
    lines: list[int] = []
    pending: dict[int, tuple[str, int]] = {}  # column -> (text, rows still to fill)
    shared: dict[str, str] = {}  # short texts repeat down a table: kept once
    header_rows = 0
    counting_header = True
    for cells, in_thead, line in _rows_of(table, html, runs):
        all_th = bool(cells) and all(name == "th" for name, _, _ in cells)
        if counting_header and (in_thead or all_th):
            header_rows += 1
        else:
            counting_header = False
        row: list[str] = []
        col = 0
        queue = iter(cells)
        cell = next(queue, None)
        while cell is not None or col in pending:
            if col in pending:
                text, left = pending[col]
                row.append(text)
                if left <= 1:
                    del pending[col]
                else:
                    pending[col] = (text, left - 1)
                col += 1
                continue
            assert cell is not None
            _, text, attrs = cell
            if len(text) <= SHARED_TEXT:
                text = shared.setdefault(text, text)
            rowspan = _span(attrs, "rowspan")
            for _ in range(_span(attrs, "colspan")):
                if rowspan > 1:
                    pending[col] = (text, rowspan - 1)
                row.append(text)
                col += 1
            cell = next(queue, None)
        if not row:
            continue
        grid.append(row)
        lines.append(line)
    return grid, lines, header_rows


def _first(node: Tag, name: str) -> Tag | None:
    """The first descendant named ``name``, in document order (``node.find(name)``
    without bs4's matching machinery, which costs more than reading the table)."""
    for item in node.descendants:
        if isinstance(item, Tag) and item.name == name:
            return item
    return None


def _caption(table: Tag, figure: Tag | None) -> str:
    caption = _first(table, "caption")
    if caption is not None and caption.find_parent("table") is table:
        return clean_title(text_of(caption))
    if figure is not None:
        figcaption = _first(figure, "figcaption")
        if figcaption is not None:
            return clean_title(text_of(figcaption))
    return ""


def _is_caption_paragraph(p: Tag) -> bool:
    children = [c for c in p.children if not (isinstance(c, NavigableString) and not c.strip())]
    return len(children) == 1 and isinstance(children[0], Tag) and children[0].name in _EMPHASIS


def _component_level(tag: Tag) -> int:
    """The level of an MDX ``<Heading as="h2">`` component (html.parser lower-cases its
    name), 0 when it names none."""
    value = str(tag.attrs.get("as", "")).strip("{}'\" ").lower()
    return int(value[1]) if len(value) == 2 and value[0] == "h" and value[1] in "123456" else 0


def _parse(html: str, line_offset: int) -> BeautifulSoup:
    try:
        return BeautifulSoup(html, "html.parser")
    except ParserRejectedMarkup:
        # html.parser gives up on some broken declarations (``<![x``); say so at the
        # fragment's line rather than let the parser's AssertionError through.
        raise ExtractError("HTML the parser cannot read", line=line_offset + 1) from None


def read_html(html: str, line_offset: int = 0) -> list[Event]:
    """Headings, caption paragraphs and tables of an HTML fragment or page, in order.

    One walk over the tree in document order: inert elements (``<pre>``, ``<template>``
    ...) are passed over whole, and a table's inside is only read as that table.
    """
    runs = row_runs(html) if RUN_ATTR not in html else []
    if runs:
        source, places = with_placeholders(html, runs)
        soup = _parse(source, line_offset)
        del source
        if not placed(soup, places):
            runs = []
            soup = _parse(html, line_offset)
    else:
        soup = _parse(html, line_offset)
    events: list[Event] = []
    # (element, nearest enclosing <figure>), children pushed in reverse for document order
    stack: list[tuple[Tag, Tag | None]] = [
        (c, None) for c in reversed(soup.contents) if isinstance(c, Tag)
    ]
    while stack:
        tag, figure = stack.pop()
        name = tag.name
        if name in _INERT:
            continue
        line = (tag.sourceline or 1) + line_offset
        if name == "table":
            grid, lines, header_rows = _grid(tag, html, runs)
            if grid:
                header_rows = header_rows or 1
                events.append(
                    Table(
                        header=grid[:header_rows],
                        rows=grid[header_rows:],
                        row_lines=[n + line_offset for n in lines[header_rows:]],
                        line=line,
                        caption=_caption(tag, figure),
                    )
                )
            continue
        if name == "figcaption":
            # A caption of a figure that holds no HTML table: in markdown the figure's
            # table is a pipe table outside this HTML chunk, right below the caption.
            if figure is None or _first(figure, "table") is None:
                events.append(Paragraph(clean_title(text_of(tag)), line, caption=True))
        elif name == "p":
            text = text_of(tag)
            if text:
                events.append(Paragraph(text, line, caption=_is_caption_paragraph(tag)))
        elif name in _HEADINGS:
            events.append(Heading(int(name[1]), clean_title(text_of(tag)), line))
        elif name == "heading" and (level := _component_level(tag)):
            events.append(Heading(level, clean_title(text_of(tag)), line))
        inner = tag if name == "figure" else figure
        stack.extend((c, inner) for c in reversed(tag.contents) if isinstance(c, Tag))
    return events
