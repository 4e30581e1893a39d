"""Spec -> docutils tables, without a Sphinx application.

Everything here is a pure function of the model, so it is unit-tested on its own and
the directives stay thin. Only standard docutils nodes are produced (tables with a
title, paragraphs, plain ``Text``), never raw HTML: every Sphinx builder (html, text,
latex, man, ...) can write them, and cell text is always literal, so notes holding
``<script>``, ``|``, backticks or reST markup come out exactly as written.

Ids are stable: a table is ``konvoy-<release>-<role>`` (``konvoy-v2-1-worker``), its
rows ``<table id>-<port>-<protocol>`` (``konvoy-v2-1-worker-10250-tcp``) and a diff
(:mod:`.diff_nodes`) ``konvoy-diff-<old>-<new>``, so links to them survive rebuilds
and reordering. The caller passes ``claim`` to make them unique within its page.

Text from the spec (role titles, cells) is marked ``translatable=False``: it is data,
not prose, so the gettext builder does not extract it; text the extension writes
itself (headers, "No changes between ...") goes through :mod:`.messages`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from docutils import nodes

from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.model import Role, Rule, Spec
from konvoy_portspec.output.tables import COLUMNS, cell_value
from konvoy_portspec_sphinx.messages import _

#: ``COLUMNS`` (from ``output.tables``): the columns a ports table can show, in their
#: default order; a spec's extra columns (``extra`` of its rules: direction, source,
#: ...) can be chosen as well.
#: Column widths follow the content, up to this many characters: the text builder uses
#: them as cell widths (wrapping longer text); html and latex lay tables out themselves.
MAX_WIDTH = 40

_LIST_SPLIT = re.compile(r"[\s,]+")

#: Gives the id to use for a wanted one (unique in the caller's page).
Claim = Callable[[str], str]


def keep_id(wanted: str) -> str:
    """The :data:`Claim` that changes nothing (a page of one directive)."""
    return wanted


def header(column: str) -> str:
    """The header of a column, in the site's language (extra columns as named)."""
    known = {
        "port": _("Port"),
        "protocol": _("Protocol"),
        "component": _("Component"),
        "notes": _("Notes"),
        "change": _("Change"),
        "role": _("Role"),
    }
    return known.get(column) or column.replace("_", " ").capitalize()


class OptionError(PortSpecError):
    """A directive or role option names something that is not there."""


@dataclass(frozen=True)
class Target:
    """Something a table shows that can be linked to and indexed.

    ``objtype`` is ``role`` (a table), ``component`` or ``port``; ``name`` reads
    ``v2.1/worker``, ``v2.1/kubelet``, ``v2.1/worker/kubelet``, ``v2.1/10250/tcp`` or
    ``v2.1/worker/10250/tcp``; ``anchor`` is the id of the table or row; ``by_role``
    tells the role-qualified names (and tables) from the release-wide ones;
    ``release_roles`` is how many roles the release has (a page showing them all, a
    release page, is a better target than one with an excerpt).
    """

    objtype: str
    name: str
    anchor: str
    release: str
    role_title: str
    by_role: bool = True
    release_roles: int = 1


@dataclass
class Rendered:
    """A directive's nodes, and the targets they hold (first occurrence per name)."""

    nodes: list[nodes.Node]
    targets: list[Target] = field(default_factory=list)


def split_list(text: str | None) -> list[str]:
    """``"a, b c"`` -> ``["a", "b", "c"]``: option lists may use commas or spaces."""
    if not text:
        return []
    return [item for item in _LIST_SPLIT.split(text.strip()) if item]


def extra_columns(roles: Iterable[Role]) -> list[str]:
    """The extra columns the rules of ``roles`` hold, sorted."""
    return sorted({key for role in roles for rule in role.rules for key, _v in rule.extra})


def parse_columns(text: str | None, extras: Sequence[str] = ()) -> tuple[str, ...]:
    """The ``:columns:`` option as a tuple of columns (default: the four, in order).

    Lower-cased; a column must be one of :data:`COLUMNS` or of ``extras``.
    """
    wanted = [c.lower() for c in split_list(text)]
    if not wanted:
        return COLUMNS
    return tuple(dict.fromkeys(_checked_columns(wanted, extras)))


def _checked_columns(columns: Sequence[str], extras: Sequence[str] = ()) -> Sequence[str]:
    """``columns`` if every one is known and there is at least one."""
    allowed = [*COLUMNS, *extras]
    bad = [c for c in columns if c not in allowed] or ([] if columns else [""])
    if bad:
        more = f"; this spec's extra columns: {', '.join(extras)}" if extras else ""
        raise OptionError(f"unknown column {bad[0]!r}; columns: {', '.join(COLUMNS)}{more}")
    return columns


def _data(node: nodes.Element) -> nodes.Element:
    """Mark text that comes from the spec as data, not a message to translate."""
    node["translatable"] = False
    return node


def _row(cells: Iterable[str]) -> nodes.row:
    """A row of data cells (headers included: they come translated already)."""
    row = nodes.row()
    for text in cells:
        entry = nodes.entry()
        if text:
            entry += _data(nodes.paragraph("", "", nodes.Text(text)))
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
    *,
    title_is_data: bool = True,
    row_ids: Sequence[str] = (),
) -> nodes.table:
    """A docutils table with an optional title (a ``<caption>`` in HTML); no header
    row when ``headers`` is empty. ``row_ids`` name the body rows in order."""
    rows = [list(r) for r in rows]
    widths = column_widths(headers or [""] * len(rows[0]), rows)
    table = nodes.table(classes=list(classes))
    if title:
        heading = nodes.title("", "", nodes.Text(title))
        table += _data(heading) if title_is_data else heading
    tgroup = nodes.tgroup(cols=len(widths))
    table += tgroup
    for width in widths:
        tgroup += nodes.colspec(colwidth=width)
    if headers:
        thead = nodes.thead()
        thead += _row(headers)
        tgroup += thead
    tbody = nodes.tbody()
    for i, cells in enumerate(rows):
        row = _row(cells)
        if i < len(row_ids):
            row["ids"].append(row_ids[i])
        tbody += row
    tgroup += tbody
    return table


def table_id(release: str, role_id: str) -> str:
    """``konvoy-v2-1-worker``: the id of a release's role table."""
    return nodes.make_id(f"konvoy-{release}-{role_id}")


def row_id(table: str, rule: Rule) -> str:
    """``konvoy-v2-1-worker-10250-tcp``: the id of a rule's row (``...-icmp`` without
    a port)."""
    return nodes.make_id(f"{table}-{rule.port_text}-{rule.protocol}")


def role_table(
    role: Role,
    columns: Sequence[str] = COLUMNS,
    *,
    release: str = "",
    title: str | None = None,
    classes: Sequence[str] = (),
    claim: Claim = keep_id,
    release_roles: int = 1,
) -> tuple[nodes.table, list[Target]]:
    """One role as a table titled with the role's title (or ``title``, the author's),
    and the targets it holds (``release_roles``: how many roles its release has)."""
    tid = claim(table_id(release, role.id))
    rids = [claim(row_id(tid, rule)) for rule in role.rules]
    table = make_table(
        title if title is not None else role.title,
        [header(c) for c in columns],
        ([cell_value(rule, c) for c in columns] for rule in role.rules),
        ["konvoy-ports", *classes],
        title_is_data=title is None,
        row_ids=rids,
    )
    table["ids"].append(tid)
    where = f"{release}/{role.id}"
    count = release_roles
    targets = [Target("role", where, tid, release, role.title, True, count)]
    seen: set[str] = set()
    for rule, rid in zip(role.rules, rids, strict=True):
        if rule.component and rule.component.casefold() not in seen:
            seen.add(rule.component.casefold())
            name = f"{where}/{rule.component}"
            targets.append(Target("component", name, rid, release, role.title, True, count))
        name = f"{where}/{rule.where}"
        targets.append(Target("port", name, rid, release, role.title, True, count))
    return table, targets


def _release_level(targets: Iterable[Target]) -> list[Target]:
    """``v2.1/kubelet`` and ``v2.1/10250/tcp`` for the first of each across roles."""
    out: list[Target] = []
    seen: set[tuple[str, str]] = set()
    for target in targets:
        if target.objtype == "role":
            continue
        release, _role, rest = target.name.split("/", 2)
        name = f"{release}/{rest}"
        if (target.objtype, name.casefold()) not in seen:
            seen.add((target.objtype, name.casefold()))
            out.append(replace(target, name=name, by_role=False))
    return out


def spec_tables(
    spec: Spec,
    roles: Sequence[str] | None = None,
    columns: Sequence[str] = COLUMNS,
    caption: str | None = None,
    *,
    classes: Sequence[str] = (),
    claim: Claim = keep_id,
) -> Rendered:
    """A titled table per role of ``spec`` (all roles, or ``roles`` in that order).

    ``caption`` titles the table when there is one; with several tables it becomes a
    rubric above them, so each table keeps its role title (which is what tells a reader,
    and the extractor, which role a table belongs to).
    """
    chosen = spec.select(roles).roles.ordered if roles else spec.roles.ordered
    _checked_columns(columns, extra_columns(chosen))
    out: list[nodes.Node] = []
    if caption and len(chosen) > 1:
        out.append(nodes.rubric("", "", nodes.Text(caption), classes=["konvoy-ports-caption"]))
        caption = None
    targets: list[Target] = []
    for role in chosen:
        table, found = role_table(
            role,
            columns,
            release=spec.release,
            title=caption,
            classes=classes,
            claim=claim,
            release_roles=len(spec.roles),
        )
        out.append(table)
        targets += found
    return Rendered(out, targets + _release_level(targets))
