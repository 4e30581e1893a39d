"""Spec -> text for people: a terminal table, markdown and HTML pages.

The markdown and HTML output is written to be read back by the extractor into the same
spec (a tested round trip), so every cell is escaped for its format through
:mod:`konvoy_portspec.output.escape`: notes that hold ``|``, ``<script>``, backticks or
emphasis marks come out as literal text, and the terminal table shows control
characters as escapes instead of running them.

:data:`VIEWS` names the views ``portspec show`` offers; this module imports no parser
(the model, spec JSON and the escape functions), so the CLI reads its ``--format``
choices from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from konvoy_portspec.io.spec_json import dumps as spec_json
from konvoy_portspec.model import Role, Rule, Spec
from konvoy_portspec.output.escape import html_text, markdown_cell, terminal_text, yaml_scalar

COLUMNS = ("port", "protocol", "component", "notes")
HEADERS = {"port": "Port", "protocol": "Protocol", "component": "Component", "notes": "Notes"}


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
        # Quoted scalars: any release or product name reads back, on one line.
        out += [
            "---",
            f"product: {yaml_scalar(spec.product)}",
            f"release: {yaml_scalar(spec.release)}",
            "---",
            "",
        ]
    for role in _roles(spec, roles):
        out.append(f"{'#' * heading_level} {markdown_cell(role.title)}")
        out.append("")
        out.append("| " + " | ".join(HEADERS.get(c, c) for c in columns) + " |")
        out.append("|" + "|".join("---" for _ in columns) + "|")
        for rule in role.rules:
            cells = [markdown_cell(cell_value(rule, c, no_port="")) for c in columns]
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
        out.append(f"<{tag}>{html_text(role.title)}</{tag}>")
        out.append("<table>")
        out.append(
            "  <thead><tr>"
            + "".join(f"<th>{html_text(HEADERS.get(c, c))}</th>" for c in columns)
            + "</tr></thead>"
        )
        out.append("  <tbody>")
        for rule in role.rules:
            cells = "".join(
                f"<td>{html_text(cell_value(rule, c, no_port=''))}</td>" for c in columns
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
        rows = [[terminal_text(HEADERS.get(c, c)) for c in columns]]
        rows += [[terminal_text(cell_value(rule, c)) for c in columns] for rule in role.rules]
        widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
        lines = [terminal_text(f"{role.title} ({role.id}, {len(role.rules)} rules)")]
        for n, row in enumerate(rows):
            lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        blocks.append("\n".join(lines))
    title = terminal_text(f"{spec.product} {spec.release}")
    return title + "\n\n" + "\n\n".join(blocks) + "\n"


def render_json(spec: Spec) -> str:
    """The canonical spec JSON (what ``portspec extract`` writes)."""
    return spec_json(spec)


#: The views of a spec that ``portspec show --format`` offers, by name; the first is
#: the default.
VIEWS: dict[str, Callable[[Spec], str]] = {
    "table": render_table,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
}
