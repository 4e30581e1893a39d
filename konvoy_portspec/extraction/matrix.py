"""Connectivity matrices: tables whose rows say where traffic comes from and whose
columns say where it goes, each cell the ports between the two.

    | From \\ To     | Control plane          | Worker    |
    |---------------|------------------------|-----------|
    | Control plane | 2379-2380 TCP          | 10250 TCP |
    | Worker        | 6443 TCP, 8472 UDP     | 8472 UDP  |

A cell is a set of rules of the column's role (the destination, where the port
listens), each keeping the row's role as ``extra["from"]``. The first header cell
names the shape (``From``, ``From \\ To``; see
:data:`~konvoy_portspec.extraction.headers.MATRIX_WORDS`); leading columns headed the
same way (an HTML ``colspan``) all label the source, and a group header ``To`` above
the destinations is dropped from their names. Empty cells, ``-`` and ``N/A`` open
nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction import cells
from konvoy_portspec.extraction.headers import column_texts, is_matrix_corner
from konvoy_portspec.extraction.rows import cell_rules, prose_warning
from konvoy_portspec.extraction.titles import clean_title
from konvoy_portspec.model import Rule

#: Cells that say "no traffic" in a matrix.
_CLOSED = cells.NO_PORT_WORDS | {"no", "x", "\u2717", "\u2718", "\u2014", "\u2013"}
_ARROWS = "\u2190\u2191\u2192\u2193\u2194\u21d2\\/|>-"


def _destination(text: str) -> str:
    """``To Control plane`` -> ``Control plane``: the group header and arrows dropped."""
    words = text.split()
    while words and (words[0].casefold() == "to" or not words[0].strip(_ARROWS)):
        words.pop(0)
    return clean_title(" ".join(words))


def matrix_layout(header: list[list[str]]) -> tuple[int, list[tuple[int, str]]] | None:
    """How many leading columns label the source, and each destination column with its
    role title; ``None`` when the header is not a matrix's."""
    texts = column_texts(header)
    if len(texts) < 2 or not is_matrix_corner(texts[0]):
        return None
    labels = 1
    while labels < len(texts) and texts[labels] == texts[0]:
        labels += 1
    destinations = [(c, _destination(texts[c])) for c in range(labels, len(texts))]
    destinations = [(c, title) for c, title in destinations if title]
    return (labels, destinations) if destinations else None


def _opens_ports(text: str) -> bool:
    try:
        cell = parse_cell(text)
    except ExtractError:
        return True  # a broken port is still a port: reported where it stands
    return cell is not None and cell.has_ports


def parse_cell(text: str) -> cells.PortCell | None:
    """A matrix cell as a port cell; ``None`` for a cell that opens nothing."""
    if cells.collapse(text).casefold() in _CLOSED:
        return None
    return cells.parse_port_cell(text)


def read_matrix(
    layout: tuple[int, list[tuple[int, str]]],
    body: list[list[str]],
    lines: list[int],
    on_error: Callable[[ExtractError, int, str], None],
    warn_at: Callable[[str, int], None],
) -> list[tuple[str, list[Rule]]] | None:
    """Each destination's title and rules, in column order; ``None`` when no cell holds
    a port (a table headed ``From`` that is no matrix)."""
    labels, destinations = layout
    if not any(_opens_ports(row[c]) for row in body for c, _ in destinations if c < len(row)):
        return None
    out: list[tuple[str, list[Rule]]] = [(title, []) for _, title in destinations]
    for row, line in zip(body, lines, strict=False):
        source = " / ".join(dict.fromkeys(c for c in row[:labels] if c))
        for n, (column, _) in enumerate(destinations):
            text = row[column] if column < len(row) else ""
            try:
                cell = parse_cell(text)
            except ExtractError as exc:
                on_error(exc, line, "cell")
                continue
            if cell is None:
                continue
            if cell.prose:
                warn_at(prose_warning(cell), line)
            extra = {"from": source} if source else {}
            out[n][1].extend(cell_rules(cell, (), "", "", extra))
    return out
