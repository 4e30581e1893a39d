"""A diff between two releases -> one docutils table (``konvoy-ports-diff``).

Like :mod:`.nodes_builder`, a pure function of the model: the changes of
:func:`konvoy_portspec.analysis.diff.diff`, one row each, or one cell saying there are
none, so the directive's caption, name and classes apply either way.
"""

from __future__ import annotations

from collections.abc import Sequence

from docutils import nodes

from konvoy_portspec.analysis.diff import SpecDiff, require_roles
from konvoy_portspec.model import Rule
from konvoy_portspec.output.tables import COLUMNS, cell_value
from konvoy_portspec_sphinx.messages import _
from konvoy_portspec_sphinx.nodes_builder import Claim, header, keep_id, make_table

DIFF_COLUMNS = ("change", "role", "port", "protocol", "component", "notes")

#: Separator shown between the old and the new value of a changed cell.
ARROW = " -> "


def change_kind(kind: str) -> str:
    """A diff change kind (``added``, ``removed``, ...) in the site's language."""
    return {
        "added": _("added"),
        "removed": _("removed"),
        "changed": _("changed"),
        "moved": _("moved"),
    }.get(kind, kind)


def _cell_pair(before: Rule | None, after: Rule | None, column: str) -> str:
    old = cell_value(before, column) if before is not None else None
    new = cell_value(after, column) if after is not None else None
    if old is None:
        return new or ""
    if new is None or old == new:
        return old
    none = _("(none)")
    return f"{old or none}{ARROW}{new or none}"


def diff_rows(specdiff: SpecDiff, roles: Sequence[str] | None = None) -> list[list[str]]:
    """Rows of the changes table: kind, role title, then port/protocol/component/notes.

    For ``changed`` and ``moved`` a cell whose value differs reads ``before -> after``.
    """
    wanted = set(roles) if roles else None
    rows: list[list[str]] = []
    for change in specdiff.changes:
        if wanted is not None and change.role not in wanted:
            continue
        cells = [change_kind(change.kind), specdiff.role_title(change.role)]
        cells += [_cell_pair(change.before, change.after, c) for c in COLUMNS]
        rows.append(cells)
    return rows


def diff_table(
    specdiff: SpecDiff,
    roles: Sequence[str] | None = None,
    *,
    caption: str | None = None,
    classes: Sequence[str] = (),
    claim: Claim = keep_id,
) -> list[nodes.Node]:
    """The changes between two releases as one table; with none, a table of one cell
    saying so (so a caption, a name and classes apply either way, and every builder
    can write it: man and texinfo cannot span cells).

    ``roles`` restricts the table to those role ids (each must exist in either release).
    """
    old, new = specdiff.old.release, specdiff.new.release
    if roles:
        roles = require_roles(roles, specdiff.role_ids(), f"in {old} or {new}")
    rows = diff_rows(specdiff, roles)
    names = {"old": old, "new": new}
    title = caption if caption is not None else _("Changes from {old} to {new}").format(**names)
    if rows:
        table = make_table(
            title,
            [header(c) for c in DIFF_COLUMNS],
            rows,
            ["konvoy-ports-diff", *classes],
            title_is_data=caption is None,
        )
    else:  # one cell saying so: a caption, a name (also for :numref:) and classes apply
        if roles:
            empty = _("No changes between {old} and {new} ({roles}).")
            empty = empty.format(**names, roles=", ".join(roles))
        else:
            empty = _("No changes between {old} and {new}.").format(**names)
        table = make_table(
            title,
            [],
            [[empty]],
            ["konvoy-ports-diff", "konvoy-ports-diff-empty", *classes],
            title_is_data=caption is None,
        )
    table["ids"].append(claim(nodes.make_id(f"konvoy-diff-{old}-{new}")))
    return [table]
