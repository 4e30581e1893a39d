"""Spec -> text for people: a terminal table, markdown and HTML pages.

The markdown and HTML output is written to be read back by the extractor into the same
spec (a tested round trip), so every cell is escaped for its format: notes that hold
``|``, ``<script>``, backticks or emphasis marks come out as literal text.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence

from konvoy_portspec.model import Role, Rule, Spec

COLUMNS = ("port", "protocol", "component", "notes")
HEADERS = {"port": "Port", "protocol": "Protocol", "component": "Component", "notes": "Notes"}

# Characters that carry meaning in a CommonMark/GFM table cell; all are escapable.
_MD_SPECIAL = set("\\`*_[]<>|&~!#$")


def cell_value(rule: Rule, column: str, *, no_port: str = "N/A") -> str:
    """Text of one cell; ``no_port`` fills the port cell of a port-less rule that
    kept no port text of its own (the round-trip formats pass ``""``)."""
    if column == "port":
        return rule.port_text or rule.extras.get("port", "") or no_port
    if column == "protocol":
        return rule.protocol.upper() if rule.protocol != "any" else "any"
    if column == "component":
        return rule.component
    if column == "notes":
        return rule.notes
    return rule.extras.get(column, "")


def _roles(spec: Spec, roles: Iterable[str] | None) -> list[Role]:
    if roles is None:
        return list(spec.roles.ordered)
    return [spec.role(r) for r in roles]


def escape_markdown(text: str) -> str:
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def render_markdown(
    spec: Spec,
    roles: Iterable[str] | None = None,
    columns: Sequence[str] = COLUMNS,
    *,
    front_matter: bool = True,
    heading_level: int = 2,
) -> str:
    """A ports page in markdown: front matter with the release, a pipe table per role."""
    out: list[str] = []
    if front_matter:
        # JSON strings are valid YAML scalars: quoted, any release or product name reads back.
        out += [
            "---",
            f"product: {json.dumps(spec.product)}",
            f"release: {json.dumps(spec.release)}",
            "---",
            "",
        ]
    for role in _roles(spec, roles):
        out.append(f"{'#' * heading_level} {escape_markdown(role.title)}")
        out.append("")
        out.append("| " + " | ".join(HEADERS.get(c, c) for c in columns) + " |")
        out.append("|" + "|".join("---" for _ in columns) + "|")
        for rule in role.rules:
            cells = [escape_markdown(cell_value(rule, c, no_port="")) for c in columns]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def render_html(
    spec: Spec,
    roles: Iterable[str] | None = None,
    columns: Sequence[str] = COLUMNS,
    *,
    heading_level: int = 2,
) -> str:
    """HTML fragment: a heading and a ``<table>`` per role, everything escaped."""
    out: list[str] = []
    tag = f"h{heading_level}"
    for role in _roles(spec, roles):
        out.append(f"<{tag}>{html.escape(role.title)}</{tag}>")
        out.append("<table>")
        out.append(
            "  <thead><tr>"
            + "".join(f"<th>{HEADERS.get(c, c)}</th>" for c in columns)
            + "</tr></thead>"
        )
        out.append("  <tbody>")
        for rule in role.rules:
            cells = "".join(
                f"<td>{html.escape(cell_value(rule, c, no_port=''))}</td>" for c in columns
            )
            out.append(f"    <tr>{cells}</tr>")
        out.append("  </tbody>")
        out.append("</table>")
    return "\n".join(out) + "\n"


def render_table(
    spec: Spec, roles: Iterable[str] | None = None, columns: Sequence[str] = COLUMNS
) -> str:
    """A plain aligned table per role, for terminals."""
    blocks: list[str] = []
    for role in _roles(spec, roles):
        rows = [[HEADERS.get(c, c) for c in columns]]
        rows += [[cell_value(rule, c) for c in columns] for rule in role.rules]
        widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
        lines = [f"{role.title} ({role.id}, {len(role.rules)} rules)"]
        for n, row in enumerate(rows):
            lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        blocks.append("\n".join(lines))
    title = f"{spec.product} {spec.release}"
    return title + "\n\n" + "\n\n".join(blocks) + "\n"
