"""What the readers see in a page, in document order: headings, captions, tables, tabs.

The markdown and HTML readers both reduce a page to this small vocabulary, so the
logic that decides which role a table belongs to is written once (in ``build``).
"""

from __future__ import annotations

from dataclasses import dataclass


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
    """A table as a grid of plain-text cells (merged cells already spread out)."""

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
