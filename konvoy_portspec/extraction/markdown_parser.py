"""markdown-it-py as the markdown reader uses it: CommonMark with GFM tables, inline
parsing on demand, and pipe table bodies read into cell texts as they are parsed.

A pipe table's body rows never become tokens: markdown-it-py makes eleven objects of a
three-cell row (about 4 KB), so a page of 200,000 rows took a gigabyte. Its own table
rule still decides where each table starts and ends and how a row splits into cells;
the tokens it pushes for body rows are read as they come and only their cell texts
kept (see :class:`_BodyRows`), in the ``meta`` of the ``table_open`` token.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block import table as gfm_table
from markdown_it.token import Token

from konvoy_portspec.extraction.events import SHARED_TEXT
from konvoy_portspec.extraction.text import collapse

_SUP = re.compile(r"</?sup\b[^>]*>", re.IGNORECASE)
#: Inline HTML that separates words: ``<br>``, and list or block tags inside a cell.
_BREAKING = re.compile(r"</?(?:br|li|ul|ol|p|div|dd|dt|hr|tr|td|th)\b[^>]*>", re.IGNORECASE)


def _parser() -> MarkdownIt:
    # Inline parsing is done on demand (see ``_inline``): only headings, table cells and
    # the paragraph right above a table are ever read, and on long pages inline-parsing
    # every paragraph is a good part of the time.
    md = MarkdownIt("commonmark", {"html": True}).enable("table").disable(["inline", "text_join"])
    # The same rule with the body read as it comes; ``at`` drops the blocks the rule
    # may interrupt (``alt``) unless they are given again.
    alt = next(rule.alt for rule in md.block.ruler.__rules__ if rule.name == "table")
    md.block.ruler.at("table", _table_rule, {"alt": list(alt)})
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


def cell_text(content: str) -> str:
    """:func:`inline_text` of an inline token holding ``content``."""
    if _INLINE_MARKUP.search(content) is None:
        return collapse(content)
    return inline_text(Token("inline", "", 0, content=content, children=[]))


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


class _Pushed:
    """A token the table rule pushes for the body: the rule sets its fields once
    ``push`` has returned it, so it is read at the next push, then dropped."""

    def __init__(self, kind: str) -> None:
        self.type = kind
        self.map: list[int] | None = None
        self.content = ""


class _BodyRows:
    """Stands in for ``state.push`` while markdown-it-py's table rule runs: the tokens
    of the header and the table itself are pushed as usual, those of the body
    (``tbody_open`` to ``tbody_close``) are read into rows of cell texts.

    A body row that holds no ``|`` at all is left out: GFM lets a pipe-less line
    continue a table as a one-cell row, but in docs such a line right under a table is
    something else: a shortcode's closing ``{{< /table >}}``, an admonition's ``:::``,
    a footnote (``† default range``).

    Short cell texts repeat down a table (ports, protocols, components): each is kept
    once, so a table of many rows holds one string per distinct value.
    """

    def __init__(self, state: StateBlock, start: int) -> None:
        self.state = state
        self.start = start
        self.push_token = state.push
        self.in_body = False
        self.last: _Pushed | None = None
        self.rows: list[list[str]] = []
        self.lines: list[int] = []  # 1-based
        self.row: list[str] = []
        self.row_line = 0
        self.texts: dict[str, str] = {}

    def push(self, kind: str, tag: str, nesting: Any) -> Any:
        self.flush()
        if kind == "tbody_open":
            self.in_body = True
        if not self.in_body:
            return self.push_token(kind, tag, nesting)
        if kind == "tbody_close":
            self.in_body = False
        self.last = _Pushed(kind)
        return self.last

    def flush(self) -> None:
        """Read the token pushed last, if it was one of the body's."""
        if self.last is not None:
            self.take(self.last)
            self.last = None

    def take(self, token: _Pushed) -> None:
        kind = token.type
        if kind == "inline":
            text = cell_text(token.content)
            if len(text) <= SHARED_TEXT:
                text = self.texts.setdefault(text, text)
            self.row.append(text)
        elif kind == "tr_open":
            self.row = []
            self.row_line = token.map[0] if token.map else self.start
        elif kind == "tr_close" and self._has_pipe(self.row_line):
            self.rows.append(self.row)
            self.lines.append(self.row_line + 1)

    def _has_pipe(self, line: int) -> bool:
        state = self.state
        if not 0 <= line < len(state.eMarks):
            return True
        end = state.eMarks[line]
        return state.src.find("|", state.src.rfind("\n", 0, end) + 1, end) >= 0


def _table_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """markdown-it-py's GFM table rule, with the body read by :class:`_BodyRows`; the
    rows and their lines are kept in the ``table_open`` token's ``meta``."""
    if silent:
        return gfm_table(state, start, end, silent)
    body = _BodyRows(state, start)
    first = len(state.tokens)
    state.push = body.push  # type: ignore[method-assign, assignment]
    try:
        found = gfm_table(state, start, end, silent)
        body.flush()
    finally:
        del state.push
    if found:
        state.tokens[first].meta = {"rows": body.rows, "row_lines": body.lines}
    return found
