"""Spec and diff -> docutils nodes, without Sphinx.

Everything here is a pure function of the model, so it is unit-tested on its own and
the directives stay thin. Only standard docutils nodes are produced (tables with a
title, paragraphs, plain ``Text``), never raw HTML: every Sphinx builder (html, text,
latex, man, ...) can write them, and cell text is always literal, so notes holding
``<script>``, ``|``, backticks or reST markup come out exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from docutils import nodes

from konvoy_portspec.analysis.diff import SpecDiff, require_roles
from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.model import Role, Rule, Spec
from konvoy_portspec.output.tables import cell_value

#: Columns a ports table can show, in their default order.
COLUMNS = ("port", "protocol", "component", "notes")
HEADERS = {"port": "Port", "protocol": "Protocol", "component": "Component", "notes": "Notes"}
#: Column widths follow the content, up to this many characters: the text builder uses
#: them as cell widths (wrapping longer text); html and latex lay tables out themselves.
MAX_WIDTH = 40

DIFF_COLUMNS = ("change", "role", "port", "protocol", "component", "notes")
DIFF_HEADERS = {"change": "Change", "role": "Role", **HEADERS}

#: Separator shown between the old and the new value of a changed cell.
ARROW = " -> "

_LIST_SPLIT = re.compile(r"[\s,]+")


class OptionError(PortSpecError):
    """A directive or role option names something that is not there."""


def split_list(text: str | None) -> list[str]:
    """``"a, b c"`` -> ``["a", "b", "c"]``: option lists may use commas or spaces."""
    if not text:
        return []
    return [item for item in _LIST_SPLIT.split(text.strip()) if item]


def parse_columns(text: str | None) -> tuple[str, ...]:
    """The ``:columns:`` option as a tuple of known columns (default: all, in order)."""
    wanted = [c.lower() for c in split_list(text)]
    if not wanted:
        return COLUMNS
    return tuple(dict.fromkeys(_checked_columns(wanted)))


def _checked_columns(columns: Sequence[str]) -> Sequence[str]:
    """``columns`` if every one is known and there is at least one."""
    bad = [c for c in columns if c not in COLUMNS] or ([] if columns else [""])
    if bad:
        raise OptionError(f"unknown column {bad[0]!r}; columns: {', '.join(COLUMNS)}")
    return columns


def _row(cells: Iterable[str]) -> nodes.row:
    row = nodes.row()
    for text in cells:
        entry = nodes.entry()
        if text:
            entry += nodes.paragraph("", "", nodes.Text(text))
        row += entry
    return row


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    """Per column, the longest cell (header included), capped at :data:`MAX_WIDTH`."""
    widths = [len(h) for h in headers]
    for cells in rows:
        for i, text in enumerate(cells):
            widths[i] = max(widths[i], len(text))
    return [max(1, min(w, MAX_WIDTH)) for w in widths]


def make_table(
    title: str | None,
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    classes: Sequence[str] = (),
) -> nodes.table:
    """A docutils table with an optional title (a ``<caption>`` in HTML)."""
    rows = [list(r) for r in rows]
    widths = column_widths(headers, rows)
    table = nodes.table(classes=list(classes))
    if title:
        table += nodes.title("", "", nodes.Text(title))
    tgroup = nodes.tgroup(cols=len(headers))
    table += tgroup
    for width in widths:
        tgroup += nodes.colspec(colwidth=width)
    thead = nodes.thead()
    thead += _row(headers)
    tgroup += thead
    tbody = nodes.tbody()
    for cells in rows:
        tbody += _row(cells)
    tgroup += tbody
    return table


def role_table(
    role: Role,
    columns: Sequence[str] = COLUMNS,
    *,
    title: str | None = None,
    classes: Sequence[str] = (),
) -> nodes.table:
    """One role as a table titled with the role's title (or ``title``)."""
    return make_table(
        title if title is not None else role.title,
        [HEADERS[c] for c in columns],
        ([cell_value(rule, c) for c in columns] for rule in role.rules),
        ["konvoy-ports", *classes],
    )


def spec_tables(
    spec: Spec,
    roles: Sequence[str] | None = None,
    columns: Sequence[str] = COLUMNS,
    caption: str | None = None,
    *,
    classes: Sequence[str] = (),
) -> list[nodes.Node]:
    """A titled table per role of ``spec`` (all roles, or ``roles`` in that order).

    ``caption`` titles the table when there is one; with several tables it becomes a
    rubric above them, so each table keeps its role title (which is what tells a reader,
    and the extractor, which role a table belongs to).
    """
    chosen = spec.select(roles).roles.ordered if roles else spec.roles.ordered
    _checked_columns(columns)
    out: list[nodes.Node] = []
    if caption and len(chosen) > 1:
        out.append(nodes.rubric("", "", nodes.Text(caption), classes=["konvoy-ports-caption"]))
        caption = None
    for role in chosen:
        out.append(role_table(role, columns, title=caption, classes=classes))
    return out


def _cell_pair(before: Rule | None, after: Rule | None, column: str) -> str:
    old = cell_value(before, column) if before is not None else None
    new = cell_value(after, column) if after is not None else None
    if old is None:
        return new or ""
    if new is None or old == new:
        return old
    return f"{old or '(none)'}{ARROW}{new or '(none)'}"


def diff_rows(specdiff: SpecDiff, roles: Sequence[str] | None = None) -> list[list[str]]:
    """Rows of the changes table: kind, role title, then port/protocol/component/notes.

    For ``changed`` and ``moved`` a cell whose value differs reads ``before -> after``.
    """
    wanted = set(roles) if roles else None
    rows: list[list[str]] = []
    for change in specdiff.changes:
        if wanted is not None and change.role not in wanted:
            continue
        cells = [change.kind, specdiff.role_title(change.role)]
        cells += [_cell_pair(change.before, change.after, c) for c in COLUMNS]
        rows.append(cells)
    return rows


def diff_table(
    specdiff: SpecDiff,
    roles: Sequence[str] | None = None,
    *,
    caption: str | None = None,
    classes: Sequence[str] = (),
) -> list[nodes.Node]:
    """The changes between two releases as one table, or a paragraph saying there are none.

    ``roles`` restricts the table to those role ids (each must exist in either release).
    """
    old, new = specdiff.old, specdiff.new
    if roles:
        where = f"in {old.release} or {new.release}"
        roles = require_roles(roles, specdiff.role_ids(), where)
    rows = diff_rows(specdiff, roles)
    if not rows:
        scope = f" ({', '.join(roles)})" if roles else ""
        text = f"No changes between {old.release} and {new.release}{scope}."
        return [nodes.paragraph("", "", nodes.Text(text), classes=["konvoy-ports-diff-empty"])]
    title = caption if caption is not None else f"Changes from {old.release} to {new.release}"
    return [
        make_table(
            title,
            [DIFF_HEADERS[c] for c in DIFF_COLUMNS],
            rows,
            ["konvoy-ports-diff", *classes],
        )
    ]


def component_ports(spec: Spec, component: str, role: str | None = None) -> str:
    """A component's ports as inline text: unique across roles, in document order."""
    if role is not None:
        found = spec.role(role).for_component(component)
    else:
        found = [rule for _, rule in spec.for_component(component)]
    if not found:
        where = f"{spec.release}/{role}" if role else spec.release
        raise OptionError(f"no component {component!r} in {where}")
    return ", ".join(dict.fromkeys(rule.where for rule in found))
