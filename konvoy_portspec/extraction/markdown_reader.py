"""Markdown to events, with markdown-it-py (CommonMark plus GFM tables).

HTML blocks are handed to the HTML reader. CommonMark ends an HTML block at a blank
line, which would cut a ``<table>`` with blank lines inside into pieces (some of them
turned into paragraphs); so an HTML block that opens more tables than it closes is
extended over the source lines up to the matching ``</table>`` and read as one chunk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction.cells import clean_title, collapse
from konvoy_portspec.extraction.events import Event, Heading, Paragraph, Table
from konvoy_portspec.extraction.html_reader import read_html

_TABLE_OPEN = re.compile(r"<table\b", re.IGNORECASE)
_TABLE_CLOSE = re.compile(r"</table\s*>", re.IGNORECASE)
_SUP = re.compile(r"</?sup\b[^>]*>", re.IGNORECASE)
#: Tags the HTML reader turns into events; a block without any is not worth parsing.
_EVENT_TAGS = re.compile(r"<(?:table|h[1-6]|p|figcaption)\b", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
#: Inline HTML that separates words: ``<br>``, and list or block tags inside a cell.
_BREAKING = re.compile(r"</?(?:br|li|ul|ol|p|div|dd|dt|hr|tr|td|th)\b[^>]*>", re.IGNORECASE)
_EMPHASIS_OPEN = {"em_open", "strong_open"}


def _parser() -> MarkdownIt:
    # Inline parsing is done on demand (see ``_inline``): only headings, table cells and
    # the paragraph right above a table are ever read, and on long pages inline-parsing
    # every paragraph is a good part of the time.
    md = MarkdownIt("commonmark", {"html": True}).enable("table").disable(["inline", "text_join"])
    # CommonMark's preset stops reading blocks 20 levels deep and drops the rest of the
    # page without a word; allow far more, and report a page that still reaches it.
    md.options["maxNesting"] = MAX_NESTING
    return md


#: Deepest block nesting read (lists in quotes in lists ...); well inside Python's
#: recursion limit, far beyond what a docs page uses.
MAX_NESTING = 100


_MD: MarkdownIt | None = None


def parser() -> MarkdownIt:
    global _MD
    if _MD is None:
        _MD = _parser()
    return _MD


def _inline(token: Token) -> list[Token]:
    """The inline children of ``token``, parsed now if the core pass skipped them."""
    if not token.children and token.content:
        md = parser()
        token.children = []
        content = token.content
        if content.count("[") > MAX_BRACKETS:
            # markdown-it's link rule rescans the rest of the text from every "[", so a
            # cell of thousands of brackets takes seconds; no cell holds that many links.
            content = content.replace("[", "\\[")
        md.inline.parse(content, md, {}, token.children)
    return token.children or []


#: More "[" than this in one cell and they are read as text, not as links.
MAX_BRACKETS = 64


#: Characters where an inline rule of the parser (escape, code, emphasis, link, image,
#: autolink, HTML, entity) can start; text without them is read as written.
_INLINE_MARKUP = re.compile(r"[\\`*_\[\]!<&\n]")


def inline_text(token: Token) -> str:
    """Plain text of an inline token: markup dropped, code kept, ``<br>`` (and list
    items inside a cell) as a space."""
    if not token.children and _INLINE_MARKUP.search(token.content) is None:
        return collapse(token.content)  # most table cells: no need to run the parser
    parts: list[str] = []
    in_sup = 0  # inside <sup>...</sup>: a footnote mark, never part of the cell's text
    for child in _inline(token):
        kind = child.type
        if kind == "html_inline" and _SUP.match(child.content):
            in_sup += -1 if child.content.startswith("</") else 1
            in_sup = max(in_sup, 0)
            continue
        if in_sup:
            continue
        if kind in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kind == "html_inline":
            if _BREAKING.match(child.content):
                parts.append(" ")
        elif kind == "image":
            parts.append(child.content)
    return collapse("".join(parts))


def _is_caption(inline: Token, text: str) -> bool:
    """Whether a paragraph is a whole-line emphasis or a short ``...:`` line. ``text`` is
    its ``inline_text``, which has parsed its children if it has any markup."""
    children = [
        c for c in inline.children or () if not (c.type == "text" and not c.content.strip())
    ]
    if len(children) >= 3 and children[0].type in _EMPHASIS_OPEN:
        close = children[0].type.replace("_open", "_close")
        return children[-1].type == close
    return text.endswith(":") and len(text) <= 80


def _table_follows(tokens: Sequence[Token], i: int) -> bool:
    """Whether the block at ``tokens[i]`` is a table (pipe or HTML)."""
    if i >= len(tokens):
        return False
    tok = tokens[i]
    return tok.type == "table_open" or (
        tok.type == "html_block" and _TABLE_OPEN.search(tok.content) is not None
    )


def _table_balance(text: str) -> int:
    text = _COMMENT.sub("", text)
    return len(_TABLE_OPEN.findall(text)) - len(_TABLE_CLOSE.findall(text))


def _read_table(tokens: Sequence[Token], start: int, lines: list[str]) -> tuple[Table, int]:
    """A pipe table's rows, without lines that hold no ``|`` at all.

    GFM lets a pipe-less line continue a table as a one-cell row, but in docs such a
    line right under a table is something else: a shortcode's closing ``{{< /table >}}``,
    an admonition's ``:::``, a footnote (``† default range``).
    """
    header: list[list[str]] = []
    rows: list[list[str]] = []
    row_lines: list[int] = []
    in_head = False
    row: list[str] = []
    line = (tokens[start].map or (0, 0))[0] + 1
    i = start + 1
    while i < len(tokens) and tokens[i].type != "table_close":
        tok = tokens[i]
        if tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row = []
            row_line = (tok.map or (line - 1, 0))[0] + 1
        elif tok.type == "inline":
            row.append(inline_text(tok))
        elif tok.type == "tr_close":
            if in_head:
                header.append(row)
            elif row_line > len(lines) or "|" in lines[row_line - 1]:
                rows.append(row)
                row_lines.append(row_line)
        i += 1
    return Table(header, rows, row_lines, line), i


def read_markdown(text: str) -> list[Event]:
    """Headings, caption-like paragraphs and tables (pipe and HTML) in document order."""
    tokens = parser().parse(text)
    deepest = max((token.level for token in tokens), default=0)
    if deepest >= MAX_NESTING - 1:
        where = next(t.map[0] + 1 for t in tokens if t.level >= MAX_NESTING - 1 and t.map)
        raise ExtractError(
            f"blocks nested more than {MAX_NESTING - 1} levels deep; the rest of the page "
            "cannot be read, so its tables would be lost",
            line=where,
        )
    lines = text.split("\n")
    events: list[Event] = []
    skip_before = 0  # tokens starting before this line were read as part of an HTML table
    inside_skip = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.map is not None:
            inside_skip = tok.map[0] < skip_before
        if inside_skip:
            i += 1
            continue
        kind = tok.type
        if kind == "heading_open":
            level = int(tok.tag[1])
            events.append(
                Heading(
                    level, clean_title(inline_text(tokens[i + 1])), tok.map[0] + 1 if tok.map else 0
                )
            )
            i += 3
            continue
        if kind == "paragraph_open" and i + 1 < len(tokens) and tokens[i + 1].type == "inline":
            inline = tokens[i + 1]
            line = (tok.map or (0, 0))[0] + 1
            if _table_follows(tokens, i + 3):
                text = inline_text(inline)
                events.append(Paragraph(text, line, caption=_is_caption(inline, text)))
            else:  # only its place matters: it parts a caption-like line from a table
                events.append(Paragraph(inline.content, line))
            i += 3
            continue
        if kind == "table_open":
            table, i = _read_table(tokens, i, lines)
            events.append(table)
        elif kind == "html_block" and tok.map is not None:
            first, end = tok.map
            chunk = tok.content
            balance = _table_balance(chunk)
            if balance > 0:
                while end < len(lines) and balance > 0:
                    balance += _table_balance(lines[end])
                    end += 1
                chunk = "\n".join(lines[first:end])
                skip_before = end
            if _EVENT_TAGS.search(chunk):  # most HTML blocks (divs, images) hold none
                events.extend(read_html(chunk, line_offset=first))
        i += 1
    return events
