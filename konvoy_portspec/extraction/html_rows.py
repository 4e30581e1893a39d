"""Long runs of plain HTML table rows, read from the source instead of by bs4.

A parsed element costs about a kilobyte, so a table of 100,000 rows would take
hundreds of megabytes as a tree. A plain row (``<tr>`` of ``<td>``/``<th>`` holding
text without tags, entities, ``>`` or ``'``; attributes in double quotes) parses to the
same elements wherever the parser reads it as tags, so the HTML reader hands bs4 the
page with each long run replaced by one empty placeholder row, and reads the run's rows
here (:func:`run_rows`).

That is sound only where the parser reads the run as tags and the rows land among a
table's own rows, outside any element whose text is read. The placeholder tells: a
comment, a CDATA section or a quoted attribute that opened before the run could only
end inside it at a ``>`` or a quote of its tags, which the placeholder has too, so it
would swallow the placeholder as well. :func:`placed` checks that each placeholder is a
row where it was written and where its rows count; if not, the page is parsed whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from bs4 import BeautifulSoup, Tag

from konvoy_portspec.extraction.text import collapse, word_set

#: Runs of at least this many plain rows are read from the source, not by bs4.
MIN_RUN = 32
RUN_ATTR = "data-portspec-run"
_SPACE = r"[ \t\n\f]"
#: Text in a plain row: with ``>`` or ``'``, a run could end a comment, a CDATA
#: section or a quoted attribute that opened before it and that its placeholder would
#: leave open.
_TEXT = "[^<&>']*"
_ATTRS = f'(?:{_SPACE}+[a-zA-Z][a-zA-Z0-9_-]*="[^"<&>\']*")*{_SPACE}*'
#: A plain cell: attributes in double quotes, plain text.
_CELL = re.compile(rf"<(t[dh])({_ATTRS})>({_TEXT})</\1{_SPACE}*>", re.IGNORECASE)
_ROW = re.compile(
    rf"<tr{_ATTRS}>(?:{_SPACE}*<(t[dh]){_ATTRS}>{_TEXT}</\1{_SPACE}*>)*{_SPACE}*</tr{_SPACE}*>",
    re.IGNORECASE,
)
_ROW_START = re.compile(f"<tr(?={_SPACE}|>)", re.IGNORECASE)
_BETWEEN = re.compile(f"{_SPACE}*")
_ATTR = re.compile('([a-zA-Z][a-zA-Z0-9_-]*)="([^"]*)"')
#: Elements whose text the HTML reader reads: rows inside them must be in the tree.
_TEXT_READ = word_set("td th caption figcaption p heading h1 h2 h3 h4 h5 h6")
Run = tuple[int, int]  # start and end offsets of a run of plain rows


def row_runs(html: str) -> list[Run]:
    """Where the HTML holds :data:`MIN_RUN` or more plain rows in a row (counted only
    when ``<tr`` or ``<TR`` opens as many rows: other spellings are read by bs4).

    Such a row parses to the same elements wherever it stands, provided the parser
    reads its text as tags (not inside a comment, a script or an attribute) and where
    the rows land is a table's own rows; :func:`placed` checks both on the parsed
    placeholders, and the page is parsed whole again if either fails.
    """
    runs: list[Run] = []
    if html.count("<tr") + html.count("<TR") < MIN_RUN:  # most chunks: too few rows
        return runs
    pos = 0
    while (found := _ROW_START.search(html, pos)) is not None:
        start = end = at = found.start()
        count = 0
        while (row := _ROW.match(html, at)) is not None:
            count += 1
            end = row.end()
            at = _BETWEEN.match(html, end).end()  # type: ignore[union-attr]
        if count >= MIN_RUN:
            runs.append((start, end))
        pos = max(end, start + 3)
    return runs


Place = tuple[int, int]  # line (1-based) and column where a placeholder row starts


def with_placeholders(html: str, runs: list[Run]) -> tuple[str, list[Place]]:
    """``html`` with each run replaced by one empty placeholder row, and as many line
    breaks as the run held, so that everything after it keeps its line; and where
    each placeholder starts."""
    parts: list[str] = []
    places: list[Place] = []
    pos = line = column = 0
    for n, (start, end) in enumerate(runs):
        before = html[pos:start]
        breaks = before.count("\n")
        line += breaks
        column = len(before) - before.rfind("\n") - 1 if breaks else column + len(before)
        places.append((line + 1, column))
        placeholder = f'<tr {RUN_ATTR}="{n}"></tr>'
        breaks = html.count("\n", start, end)
        parts += [before, placeholder, "\n" * breaks]
        line += breaks
        column = 0 if breaks else column + len(placeholder)
        pos = end
    parts.append(html[pos:])
    return "".join(parts), places


def placed(soup: BeautifulSoup, places: list[Place]) -> bool:
    """Whether each placeholder was parsed as the row it is, where it stands (so the
    parser read the text there as tags, as it would have read the run), among a
    table's own rows, with no element around the table whose text is read (a cell,
    a paragraph, a caption)."""
    found = soup.find_all("tr", attrs={RUN_ATTR: True})
    if len(found) != len(places):
        return False
    seen: set[str] = set()
    for tag in found:
        number = str(tag.attrs[RUN_ATTR])
        if not number.isdigit() or int(number) >= len(places) or number in seen:
            return False
        seen.add(number)
        if len(tag.attrs) != 1 or (tag.sourceline, tag.sourcepos) != places[int(number)]:
            return False
        if not _among_own_rows(tag):
            return False
    return True


def _among_own_rows(row: Tag) -> bool:
    """Whether ``row`` is one of a table's own rows (no row between it and the table)
    and no element around it has its text read (a caption left open, a paragraph)."""
    in_table = False
    node = row.parent
    while node is not None:
        if node.name in _TEXT_READ:
            return False
        if not in_table:
            if node.name == "tr":
                return False
            in_table = node.name == "table"
        node = node.parent
    return in_table


Cell = tuple[str, str, Mapping[str, object]]  # name, text, attributes


def run_rows(html: str, run: Run, line: int) -> Iterator[tuple[list[Cell], int]]:
    """The rows of a run as bs4 would read them, with their lines."""
    at, end = run
    while at < end:
        row = _ROW.match(html, at, end)
        assert row is not None
        cells: list[Cell] = []
        for cell in _CELL.finditer(html, row.start(), row.end()):
            attrs = {name.lower(): value for name, value in _ATTR.findall(cell.group(2))}
            headerlink = "headerlink" in attrs.get("class", "").split()
            cells.append(
                (cell.group(1).lower(), "" if headerlink else collapse(cell.group(3)), attrs)
            )
        yield cells, line
        at = _BETWEEN.match(html, row.end()).end()  # type: ignore[union-attr]
        line += html.count("\n", row.start(), at)
