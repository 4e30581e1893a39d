"""Events to a spec: which tables are port tables, which role each belongs to, and
what each row means as rules."""

from __future__ import annotations

from collections.abc import Iterable

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction import cells
from konvoy_portspec.extraction.events import Event, Heading, Paragraph, Table
from konvoy_portspec.model import PORT_PROTOCOLS, Role, Rule


def _title_for(table: Table, stack: list[Heading], previous: Event | None) -> str:
    """A table's title: its own caption, a caption line right above it, or a heading.

    Of the enclosing headings, the nearest one that names a known role wins, so a
    ``### Inbound`` under ``## Control plane`` still files the table under the control
    plane; without such a heading, the nearest heading is used.
    """
    if table.caption:
        return cells.strip_caption_number(table.caption)
    if isinstance(previous, Paragraph) and previous.caption:
        return cells.strip_caption_number(cells.clean_title(previous.text.strip("*_ ")))
    for heading in reversed(stack):
        if cells.known_role(heading.text):
            return heading.text
    return stack[-1].text if stack else ""


def _columns(header: list[list[str]]) -> list[str]:
    """Field per column; the first column of each known field wins, repeats become extras."""
    width = max((len(r) for r in header), default=0)
    texts = [
        " ".join(dict.fromkeys(r[c] for r in header if c < len(r) and r[c])) for c in range(width)
    ]
    fields: list[str] = []
    for text in texts:
        field = cells.classify_header(text)
        if field == cells.PORT:
            # "TCP ports" / "UDP ports": one port column per protocol, each its own source.
            named, _ = cells.parse_protocol_cell(text)
            if named:
                field = f"{cells.PORT}:{'/'.join(named)}"
        if field in fields:
            field = cells.slug(text).replace("-", "_") or "column"
            while field in fields:
                field += "_"
        fields.append(field)
    return fields


def _is_port_field(field: str) -> bool:
    return field in (cells.PORT, cells.PORT_START) or field.startswith(cells.PORT + ":")


def _port_sources(values: dict[str, str]) -> list[tuple[cells.PortCell, tuple[str, ...]]]:
    """The port cells of a row with the protocols their column headers name."""
    sources = []
    for field, value in values.items():
        if field.startswith(cells.PORT + ":"):
            if value:
                sources.append((cells.parse_port_cell(value), tuple(field[5:].split("/"))))
        elif field == cells.PORT:
            sources.append((cells.parse_port_cell(value), ()))
    if cells.PORT_START in values:
        start = values[cells.PORT_START]
        end = values.get(cells.PORT_END, "") or start
        joined = f"{start}-{end}" if start and end and start != end else start
        sources.append((cells.parse_port_cell(joined), ()))
    if not sources:  # every per-protocol port column of the row is empty
        sources.append((cells.parse_port_cell(""), ()))
    return sources


def _row_rules(fields: list[str], row: list[str]) -> list[Rule]:
    values = {f: (row[i] if i < len(row) else "") for i, f in enumerate(fields)}
    extra: dict[str, str] = {}
    column_protocols: tuple[str, ...] = ()
    if values.get(cells.PROTOCOL):
        column_protocols, leftover = cells.parse_protocol_cell(values[cells.PROTOCOL])
        if leftover:
            extra["protocol"] = leftover
    for name, value in values.items():
        if value and name not in _MODEL_FIELDS and not name.startswith(cells.PORT + ":"):
            extra[name] = value
    component = cells.clean_text(values.get(cells.COMPONENT, ""))
    notes = cells.clean_text(values.get(cells.NOTES, ""))
    if column_protocols and not set(column_protocols) & set(PORT_PROTOCOLS):
        # ICMP "8/0", VRRP "112": the port column holds a type or a protocol number,
        # never a port; keep it as written.
        port_text = cells.collapse(values.get(cells.PORT, ""))
        if port_text:
            extra["port"] = port_text
        kept = tuple(sorted(extra.items()))
        return [Rule(None, None, p, component, notes, kept) for p in column_protocols]
    sources = _port_sources(values)
    rules: list[Rule] = []
    any_protocol = values.get(cells.PROTOCOL, "").strip().casefold() in ("any", "all")
    for cell, header_protocols in sources:
        fallback = header_protocols or column_protocols
        if not cell.has_ports and any_protocol:
            fallback = ("any",)  # "any" without a port is one rule, not tcp + udp
        for start_port, end_port, protocols, remark in cell.entries or ((None, None, (), ""),):
            own = dict(extra)
            if remark:
                own["port_remark"] = remark
            if start_port is None:
                if cell.raw:
                    own["port"] = cell.raw
                kept = tuple(sorted(own.items()))
                rules += [
                    Rule(None, None, p, component, notes, kept)
                    for p in protocols or fallback or ("any",)
                ]
            else:
                kept = tuple(sorted(own.items()))
                rules += [
                    Rule(start_port, end_port, p, component, notes, kept)
                    for p in protocols or fallback or ("tcp",)
                ]
    return rules


_MODEL_FIELDS = (
    cells.PORT,
    cells.PORT_START,
    cells.PORT_END,
    cells.PROTOCOL,
    cells.COMPONENT,
    cells.NOTES,
)


def _not_a_port(text: str) -> bool:
    """Text a port cell could not hold ("N/A" and "ICMP" can be port cells)."""
    try:
        cells.parse_port_cell(text)
    except ExtractError:
        return True
    return False


def _section_title(row: list[str]) -> str | None:
    """A row that titles the rows below it: one cell spanning the table (HTML colspan
    repeats its text in every column), or, in a pipe table, a first cell naming a role
    with the other cells empty (``| **Worker nodes** | | |``)."""
    if len(row) < 2:
        return None
    texts = {c for c in row if c}
    if len(texts) != 1:
        return None
    (text,) = texts
    spanning = all(row)
    named = bool(row[0]) and not any(row[1:]) and cells.known_role(text) is not None
    if (spanning or named) and _not_a_port(text):
        return text
    return None


def _spanning(row: list[str]) -> bool:
    return len(row) > 1 and all(row) and len(set(row)) == 1 and _not_a_port(row[0])


def _split_header(table: Table) -> tuple[str, list[list[str]], list[list[str]], list[int]]:
    """Title, header rows, body rows and their lines of a table.

    A first row spanning the whole table (``<th colspan=4>Worker nodes</th>``) is the
    table's title, not part of the column names; when it is the only header row (an
    HTML table without ``<th>``, whose first row counts as its header), the column
    names are in the row below it.
    """
    header, rows, lines = table.header, table.rows, table.row_lines
    if header and _spanning(header[0]):
        if len(header) > 1:
            return header[0][0], header[1:], rows, lines
        if rows:
            return header[0][0], rows[:1], rows[1:], lines[1:]
    return "", header, rows, lines


def build_page(events: Iterable[Event]) -> tuple[list[Role], int]:
    """The roles of a page in document order (tables filed under the same role id are
    concatenated) and how many port tables it has."""
    order: list[str] = []
    titles: dict[str, str] = {}
    rules: dict[str, list[Rule]] = {}
    stack: list[Heading] = []
    previous: Event | None = None
    port_tables = 0

    def add(title: str, new_rules: list[Rule]) -> None:
        role_id = cells.role_id_for(title)
        if role_id not in rules:
            order.append(role_id)
            titles[role_id] = title or role_id
            rules[role_id] = []
        rules[role_id].extend(new_rules)

    for event in events:
        if isinstance(event, Heading):
            while stack and stack[-1].level >= event.level:
                stack.pop()
            stack.append(event)
        elif isinstance(event, Table):
            spanning_title, header, body, body_lines = _split_header(event)
            fields = _columns(header)
            if not any(_is_port_field(f) for f in fields):
                previous = event
                continue
            port_tables += 1
            title = spanning_title or _title_for(event, stack, previous)
            pending: list[Rule] = []
            sectioned = False
            header_texts = [[cells.header_key(c) for c in r] for r in header]
            for row, line in zip(body, body_lines, strict=False):
                if not any(row) or [cells.header_key(c) for c in row] in header_texts:
                    continue
                section = _section_title(row)
                if section is not None:
                    if pending:
                        add(title, pending)
                        pending = []
                    sectioned = True
                    title = cells.clean_title(section)
                    continue
                try:
                    pending.extend(_row_rules(fields, row))
                except ExtractError as exc:
                    raise exc.with_location(line=line) from None
            # An empty table is an empty role; a trailing footnote row titles nothing.
            if pending or not sectioned:
                add(title, pending)
        previous = event
    return [Role(rid, titles[rid], tuple(rules[rid])) for rid in order], port_tables
