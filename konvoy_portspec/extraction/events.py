"""What the readers see in a page, in document order: headings, captions, tables, tabs.

The markdown and HTML readers both reduce a page to this small vocabulary, so the
logic that decides which role a table belongs to is written once (in ``build``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Cell texts up to this long are kept once per table by the readers: ports, protocols
#: and components repeat down a table, and a table of 100,000 rows would otherwise
#: hold a string per cell.
SHARED_TEXT = 32


@dataclass(slots=True)
class Heading:
    level: int
    text: str
    line: int


@dataclass(slots=True)
class Paragraph:
    """A block of text. ``caption`` marks a whole-line emphasis or a short ``...:`` line,
    which docs use to title the table right below it instead of a heading."""

    text: str
    line: int
    caption: bool = False


@dataclass(slots=True)
class Table:
    """A table as a grid of plain-text cells (merged cells already spread out). Equal
    short cells may be the same string (see :data:`SHARED_TEXT`)."""

    header: list[list[str]]
    rows: list[list[str]]
    row_lines: list[int]
    line: int
    caption: str = ""


@dataclass(slots=True)
class TabStart:
    """A tab opens (``<TabItem label="Canal">``, ``{{< tab "Canal" >}}``, ``=== "Canal"``):
    a section inside the current heading, holding one of several alternatives."""

    label: str
    line: int


@dataclass(slots=True)
class TabEnd:
    """The innermost open tab closes."""

    line: int


Event = Heading | Paragraph | Table | TabStart | TabEnd
