"""Which pages can hold a port table, judged from their bytes without parsing them.

Most pages of a docs tree hold no port table, and parsing a page (markdown-it, then
beautifulsoup4 for HTML tables) costs milliseconds, so ``portspec scan`` parses only the
pages this check cannot rule out. It mirrors :mod:`konvoy_portspec.extraction.headers`,
the module that reads the headers once a page is parsed: it is sound, rejecting a page
only when no table header in it can name a port column or open a connectivity matrix
(hold one of :data:`~konvoy_portspec.extraction.headers.HEADER_WORDS` as a word, as
:func:`~konvoy_portspec.extraction.headers.header_key` reads it). It lives beside
``headers`` so that a change to how headers are read is made in one folder.

What else the extractor reads (template markup, tabs, MDX's indented blocks) changes
no header word: Liquid, Hugo and JSX markup around a word leaves it a word here as
well, and an indented table's header is still the line above its delimiter row.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator

from konvoy_portspec.extraction.headers import (
    HEADER_WORDS,
    classify_header,
    is_matrix_corner,
    is_port_field,
)

#: A header word not followed by a letter; the letter before is checked by the caller.
_WORD = "(?:{})(?![a-z])".format("|".join(sorted(HEADER_WORDS, key=len, reverse=True)))
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
    """Whether lower-cased ``low`` holds ``port``/``dport``/``range`` (plural or not) or
    ``from`` as a word, judged by ASCII letters as ``header_key`` does (it splits on
    all but a-z0-9)."""
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
    """Whether a row can name a port column or open a matrix. A plain row (no markup,
    entities or escapes) is judged exactly, cell by cell, with the extractor's own
    ``classify_header`` (so ``| Port name | Description |`` is not a port header);
    any other row by its words."""
    if not _PLAIN.fullmatch(line):
        return _region_has_word(line)
    if not _has_word_bytes(line.lower()):
        return False
    return any(
        is_port_field(classify_header(text)) or is_matrix_corner(text)
        for text in (piece.decode("ascii") for piece in line.split(b"|"))
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
