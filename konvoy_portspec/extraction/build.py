"""Events to roles: which tables are port tables (or connectivity matrices), where each
stands on the page (headings, tabs, captions), and the rules its rows make.

Rows are read by :mod:`~konvoy_portspec.extraction.rows` and
:mod:`~konvoy_portspec.extraction.matrix`; which tables make one role is decided by
:mod:`~konvoy_portspec.extraction.roles`, once the whole page has been read.
"""

from __future__ import annotations

from collections.abc import Iterable

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction.events import Event, Heading, Paragraph, TabEnd, Table, TabStart
from konvoy_portspec.extraction.findings import ERROR, ExtractWarning
from konvoy_portspec.extraction.headers import is_port_field
from konvoy_portspec.extraction.markup import strip_markup
from konvoy_portspec.extraction.matrix import matrix_layout, read_matrix
from konvoy_portspec.extraction.roles import Piece, assemble
from konvoy_portspec.extraction.rows import columns, columns_direction, read_rows, split_header
from konvoy_portspec.extraction.titles import (
    clean_title,
    is_lead_in_sentence,
    known_role,
    split_direction,
    strip_caption_number,
)
from konvoy_portspec.model import INBOUND, Role


class _Sections:
    """The headings and tabs around the current point of the page, outermost first:
    ``(level, text)``, level ``None`` for a tab. A heading closes the headings of its
    level and below, but not a tab it stands in; a tab's end closes what opened in it."""

    def __init__(self) -> None:
        self.entries: list[tuple[int | None, str]] = []

    def heading(self, level: int, text: str) -> None:
        entries = self.entries
        while entries and (top := entries[-1][0]) is not None and top >= level:
            entries.pop()
        entries.append((level, text))

    def tab_start(self, label: str) -> None:
        self.entries.append((None, label))

    def tab_end(self) -> None:
        for i in range(len(self.entries) - 1, -1, -1):
            if self.entries[i][0] is None:
                del self.entries[i:]
                return

    def stripped(self) -> tuple[list[tuple[int | None, str]], str | None]:
        """The headings and tabs without the words that name a direction (those naming
        nothing else left out), and the direction the innermost of them names."""
        entries: list[tuple[int | None, str]] = []
        direction = None
        for level, text in self.entries:
            named, rest = split_direction(text)
            direction = named or direction
            if rest:
                entries.append((level, rest))
        return entries, direction

    def stripped_path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stripped()[0])


#: A table's title, section (see :class:`~.roles.Piece`) and direction, if named.
Placement = tuple[str, tuple[str, ...], str | None]


def _caption_of(table: Table, previous: Event | None) -> str:
    """A table's own caption, or a caption line right above it that is not a lead-in
    sentence naming no role."""
    if table.caption:
        return strip_caption_number(table.caption)
    if isinstance(previous, Paragraph) and previous.caption:
        text = strip_caption_number(clean_title(previous.text.strip("*_ ")))
        if known_role(text) is not None or not is_lead_in_sentence(text):
            return text
    return ""


def _placement(
    caption: str, entries: list[tuple[int | None, str]], direction: str | None
) -> Placement:
    """A table's title, section and direction.

    The title is its caption (its own, a caption line right above it, or a first row
    spanning the table) or a heading: of the enclosing headings and tabs, the nearest
    one that names a known role, so a ``### Metrics`` under ``## Control plane`` still
    files the table under the control plane; without such a heading, the nearest one.

    Words naming a direction ("Inbound rules for server nodes", "Server nodes -
    Outbound rules") are not part of titles: they give the direction of the table's
    rules, and the title is what remains ("Server nodes"). A heading or caption naming
    nothing but a direction ("### Outbound rules") titles nothing, and neither does a
    caption naming a direction and no role under a heading that names one ("Outbound
    rules for Rancher nodes" under "Rancher server nodes"). So the inbound and the
    outbound table of a section are one role, with rules of both directions.
    ``entries`` and ``direction`` are the enclosing sections' (:meth:`_Sections.stripped`).
    """
    path = tuple(text for _, text in entries)
    named = [i for i, (_, text) in enumerate(entries) if known_role(text) is not None]
    if caption:
        said, rest = split_direction(caption)
        direction = said or direction
        if rest and (said is None or known_role(rest) is not None or not named):
            return rest, path, direction
    if not entries:
        return "", (), direction
    anchor = named[-1] if named else len(entries) - 1
    key = path[: anchor + 1] + tuple(text for level, text in entries[anchor + 1 :] if level is None)
    return entries[anchor][1], key, direction


def _cleaned(table: Table, jsx: bool) -> Table:
    """The table without template markup in its cells (see :mod:`.markup`)."""

    def clean(rows: list[list[str]]) -> list[list[str]]:
        # A row without markup stays the same list: a table of 200,000 rows is not
        # copied to find that none of them holds any (see bench_memory.py).
        out = []
        for row in rows:
            cleaned = [strip_markup(c, jsx) for c in row]
            out.append(row if all(a is b for a, b in zip(cleaned, row, strict=True)) else cleaned)
        return out

    return Table(
        clean(table.header),
        clean(table.rows),
        table.row_lines,
        table.line,
        strip_markup(table.caption, jsx),
    )


def build_page(
    events: Iterable[Event],
    *,
    jsx: bool = False,
    warnings: list[ExtractWarning] | None = None,
    keep_going: bool = False,
) -> tuple[list[Role], int]:
    """The roles of a page in document order and how many port tables it has.

    ``jsx``: the page is MDX (``{...}`` is an expression). Prose port cells are
    reported in ``warnings``; a broken port cell raises :class:`ExtractError`, or, with
    ``keep_going``, is reported there as an error and its row left out.
    """
    found = warnings if warnings is not None else []
    sections = _Sections()
    pieces: list[Piece] = []
    previous: Event | None = None
    port_tables = 0

    def on_error(exc: ExtractError, line: int, what: str = "row") -> None:
        if not keep_going:
            raise exc.with_location(line=line)
        found.append(ExtractWarning(f"{exc.message} ({what} left out)", line, severity=ERROR))

    def warn_at(message: str, line: int) -> None:
        found.append(ExtractWarning(message, line))

    for event in events:
        if isinstance(event, Heading):
            sections.heading(event.level, clean_title(strip_markup(event.text, jsx)))
        elif isinstance(event, TabStart):
            sections.tab_start(clean_title(strip_markup(event.label, jsx)))
        elif isinstance(event, TabEnd):
            sections.tab_end()
        elif isinstance(event, Paragraph) and event.caption:
            event = Paragraph(strip_markup(event.text, jsx), event.line, caption=True)
        elif isinstance(event, Table):
            table = _cleaned(event, jsx)
            spanning, header, body, lines = split_header(table)
            fields = columns(header)
            if any(is_port_field(f) for f in fields):
                port_tables += 1
                entries, named_direction = sections.stripped()
                title, key, direction = _placement(
                    spanning or _caption_of(table, previous), entries, named_direction
                )
                default = direction or columns_direction(fields) or INBOUND
                runs = read_rows(fields, header, body, lines, on_error, warn_at, default)
                path = tuple(text for _, text in entries)
                for section, rules in runs:
                    if section is None:
                        # An empty table is an empty role; a footnote row titles nothing.
                        if rules or len(runs) == 1:
                            pieces.append(Piece(title, key, rules))
                    elif rules:
                        pieces.append(Piece(section, path, rules))
            elif (layout := matrix_layout(header)) is not None:
                matrix = read_matrix(layout, body, lines, on_error, warn_at)
                if matrix is not None:
                    port_tables += 1
                    path = sections.stripped_path()
                    pieces += [Piece(title, path, rules) for title, rules in matrix]
        previous = event
    return assemble(pieces), port_tables
