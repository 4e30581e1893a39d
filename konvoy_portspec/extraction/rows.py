"""A port table's columns and rows as rules: which column feeds which field, what each
row means, which rows only title the rows below them, which way each row's traffic goes.

A row's direction is its Direction cell when that names one (``Inbound``, ``egress``),
else the one its table stands under (see :mod:`~konvoy_portspec.extraction.build`),
else what the columns say: a table with a Source column and no Destination column lists
traffic coming in, one with a Destination column and no Source column traffic going
out. Without any of those a row is inbound, a port the node listens on.
"""

from __future__ import annotations

from collections.abc import Callable

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction import cells
from konvoy_portspec.extraction.events import Table
from konvoy_portspec.extraction.headers import (
    COMPONENT,
    DESTINATION_WORDS,
    DIRECTION,
    NOTES,
    PORT,
    PORT_END,
    PORT_START,
    PROTOCOL,
    SOURCE_WORDS,
    classify_header,
    column_texts,
    header_key,
)
from konvoy_portspec.extraction.text import slug
from konvoy_portspec.extraction.titles import (
    cell_direction,
    clean_text,
    clean_title,
    known_role,
    split_direction,
)
from konvoy_portspec.model import INBOUND, OUTBOUND, PORT_PROTOCOLS, Rule

#: Called with a message about a row (a prose port cell) and the row's line.
WarnAt = Callable[[str, int], None]


def columns(header: list[list[str]]) -> list[str]:
    """Field per column; the first column of each known field wins, repeats become extras."""
    texts = column_texts(header)
    fields: list[str] = []
    taken: set[str] = set()
    repeats: dict[str, int] = {}  # a repeated name -> underscores its last copy got
    for text in texts:
        field = classify_header(text)
        if field == PORT:
            # "TCP ports" / "UDP ports": one port column per protocol, each its own source.
            named, _ = cells.parse_protocol_cell(text)
            if named:
                field = f"{PORT}:{'/'.join(named)}"
        if field in taken:
            base = slug(text).replace("-", "_") or "column"
            field, count = base, repeats.get(base, 0)
            while field in taken:
                count += 1
                field = base + "_" * count
            repeats[base] = count
        fields.append(field)
        taken.add(field)
    return fields


def columns_direction(fields: list[str]) -> str | None:
    """``inbound`` for a table with a Source column and no Destination column,
    ``outbound`` for the other way round, ``None`` otherwise."""
    words = [set(f.split("_")) for f in fields]
    source = any(w & SOURCE_WORDS for w in words)
    destination = any(w & DESTINATION_WORDS for w in words)
    if source != destination:
        return INBOUND if source else OUTBOUND
    return None


def _port_sources(values: dict[str, str]) -> list[tuple[cells.PortCell, tuple[str, ...]]]:
    """The port cells of a row with the protocols their column headers name."""
    sources = []
    for field, value in values.items():
        if field.startswith(PORT + ":"):
            if value:
                sources.append((cells.parse_port_cell(value), tuple(field[5:].split("/"))))
        elif field == PORT:
            sources.append((cells.parse_port_cell(value), ()))
    if PORT_START in values:
        start = values[PORT_START]
        end = values.get(PORT_END, "") or start
        joined = f"{start}-{end}" if start and end and start != end else start
        sources.append((cells.parse_port_cell(joined), ()))
    if not sources:  # every per-protocol port column of the row is empty
        sources.append((cells.parse_port_cell(""), ()))
    return sources


_MODEL_FIELDS = (PORT, PORT_START, PORT_END, PROTOCOL, COMPONENT, NOTES)


def prose_warning(cell: cells.PortCell) -> str:
    return f"no port number in port cell {cell.raw!r}: kept as a port-less rule"


def cell_rules(
    cell: cells.PortCell,
    fallback: tuple[str, ...],
    component: str,
    notes: str,
    extra: dict[str, str],
    any_protocol: bool = False,
    direction: str = INBOUND,
) -> list[Rule]:
    """The rules one port cell makes; ``fallback`` are the protocols its column or row
    names when the cell names none."""
    if not cell.has_ports and any_protocol:
        fallback = ("any",)  # "any" without a port is one rule, not tcp + udp
    rules: list[Rule] = []
    for start_port, end_port, protocols, remark in cell.entries or ((None, None, (), ""),):
        own = dict(extra)
        if remark:
            own["port_remark"] = remark
        if start_port is None and cell.raw:
            own["port"] = cell.raw  # a port-less rule keeps what the cell said
        kept = tuple(sorted(own.items()))
        default = ("any",) if start_port is None else ("tcp",)
        rules += [
            Rule(start_port, end_port, p, component, notes, kept, direction)
            for p in protocols or fallback or default
        ]
    return rules


def row_rules(
    fields: list[str], row: list[str], warn_at: WarnAt, line: int, direction: str = INBOUND
) -> list[Rule]:
    """The rules of one body row (at ``line``), ``direction`` unless its Direction cell
    names one. Raises :class:`ExtractError` for a broken port."""
    values = {f: (row[i] if i < len(row) else "") for i, f in enumerate(fields)}
    if values.get(DIRECTION):
        named, whole = cell_direction(values[DIRECTION])
        if named is not None:
            direction = named
        if whole:  # the cell says nothing the rule's direction does not
            del values[DIRECTION]
    extra: dict[str, str] = {}
    column_protocols: tuple[str, ...] = ()
    if values.get(PROTOCOL):
        column_protocols, leftover = cells.parse_protocol_cell(values[PROTOCOL])
        if leftover:
            extra["protocol"] = leftover
    for name, value in values.items():
        if value and name not in _MODEL_FIELDS and not name.startswith(PORT + ":"):
            extra[name] = value
    component = clean_text(values.get(COMPONENT, ""))
    notes = clean_text(values.get(NOTES, ""))
    if column_protocols and not set(column_protocols) & set(PORT_PROTOCOLS):
        # ICMP "8/0", VRRP "112": the port column holds a type or a protocol number,
        # never a port; keep it as written.
        port_text = cells.collapse(values.get(PORT, ""))
        if port_text:
            extra["port"] = port_text
        kept = tuple(sorted(extra.items()))
        return [Rule(None, None, p, component, notes, kept, direction) for p in column_protocols]
    any_protocol = values.get(PROTOCOL, "").strip().casefold() in ("any", "all")
    rules: list[Rule] = []
    for cell, header_protocols in _port_sources(values):
        if cell.prose:
            warn_at(prose_warning(cell), line)
        fallback = header_protocols or column_protocols
        rules += cell_rules(cell, fallback, component, notes, extra, any_protocol, direction)
    return rules


def section_title(row: list[str]) -> str | None:
    """A row that titles the rows below it: one cell spanning the table (HTML colspan
    repeats its text in every column), or, in a pipe table, a first cell naming a role
    or a direction with the other cells empty (``| **Worker nodes** | | |``,
    ``| Outbound rules | | |``)."""
    if len(row) < 2:
        return None
    texts = {c for c in row if c}
    if len(texts) != 1:
        return None
    (text,) = texts
    spanning = all(row)
    named = (
        bool(row[0])
        and not any(row[1:])
        and (known_role(text) is not None or split_direction(text)[0] is not None)
    )
    if (spanning or named) and not cells.is_port_text(text):
        return text
    return None


def split_header(table: Table) -> tuple[str, list[list[str]], list[list[str]], list[int]]:
    """Title, header rows, body rows and their lines of a table.

    A first row spanning the whole table (``<th colspan=4>Worker nodes</th>``) is the
    table's title, not part of the column names; when it is the only header row (an
    HTML table without ``<th>``, whose first row counts as its header), the column
    names are in the row below it.
    """
    header, rows, lines = table.header, table.rows, table.row_lines
    if header and all(header[0]) and section_title(header[0]) is not None:
        if len(header) > 1:
            return header[0][0], header[1:], rows, lines
        if rows:
            return header[0][0], rows[:1], rows[1:], lines[1:]
    return "", header, rows, lines


def read_rows(
    fields: list[str],
    header: list[list[str]],
    body: list[list[str]],
    lines: list[int],
    on_error: Callable[[ExtractError, int], None],
    warn_at: WarnAt,
    direction: str = INBOUND,
) -> list[tuple[str | None, list[Rule]]]:
    """Body rows as runs of rules, each under the title of the section row above it
    (``None``: the table's own title; no section row yet, or one that names only a
    direction). Rows are ``direction`` unless their section row or their Direction cell
    names one. A broken port cell goes to ``on_error`` with its line, which raises or,
    to keep going, reports it and leaves the row out."""
    runs: list[tuple[str | None, list[Rule]]] = [(None, [])]
    header_texts = [[header_key(c) for c in r] for r in header]
    # A body row that repeats a header row starts with a header row's first cell: the
    # whole row is keyed only then (200,000 rows would push the key cache out).
    firsts = {r[0] for r in header_texts if r}
    current = direction
    for row, line in zip(body, lines, strict=False):
        if not any(row) or (
            header_key(row[0]) in firsts and [header_key(c) for c in row] in header_texts
        ):
            continue
        section = section_title(row)
        if section is not None:
            named, rest = split_direction(clean_title(section))
            current = named or direction
            runs.append((rest or None, []))
            continue
        try:
            runs[-1][1].extend(row_rules(fields, row, warn_at, line, current))
        except ExtractError as exc:
            on_error(exc, line)
    return runs
