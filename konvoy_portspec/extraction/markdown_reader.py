"""Markdown to events, with markdown-it-py (CommonMark plus GFM tables), MDX included.

HTML blocks are handed to the HTML reader. CommonMark ends an HTML block at a blank
line, which would cut a ``<table>`` with blank lines inside into pieces (some of them
turned into paragraphs); so an HTML block that opens more tables than it closes is
extended over the source lines up to the matching ``</table>`` and read as one chunk.

Blocks that hold markdown the parser takes for something else are read on their own:
in MDX pages an indented block (a ``<table>`` indented inside ``<TabItem>``) is not a
code block; MkDocs tabs and admonitions hold indented markdown; ``<Heading as="h2">``
is a heading. Tab starts and ends (:mod:`~konvoy_portspec.extraction.markup`) join the
events by line.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction.events import Event, Heading, Paragraph, TabEnd, Table, TabStart
from konvoy_portspec.extraction.html_reader import read_html
from konvoy_portspec.extraction.markup import TabMarker, find_tab_markers
from konvoy_portspec.extraction.text import collapse
from konvoy_portspec.extraction.titles import clean_title

_TABLE_OPEN = re.compile(r"<table\b", re.IGNORECASE)
_TABLE_CLOSE = re.compile(r"</table\s*>", re.IGNORECASE)
_SUP = re.compile(r"</?sup\b[^>]*>", re.IGNORECASE)
#: Tags the HTML reader turns into events; a block without any is not worth parsing.
_EVENT_TAGS = re.compile(r"<(?:table|h[1-6]|heading|p|figcaption)\b", re.IGNORECASE)
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


#: ``<Heading as="h2">Server nodes</Heading>`` (Docusaurus, Chakra-style components).
_HEADING_COMPONENT = re.compile(
    r"\s*<Heading\b[^>]*?\bas=[\"'{]*h([1-6])[\"'}]*[^>]*>(.*?)</Heading\s*>\s*", re.DOTALL
)
_TAG = re.compile(r"<[^<>]*>")
#: MkDocs Material content tabs (``=== "Canal"``) and admonitions (``!!! note``,
#: ``??? info "Title"``): their content is indented by four spaces, which CommonMark
#: reads as a code block.
_MKDOCS_TAB = re.compile(r'===\+?[ \t]+"([^"\n]*)"[ \t]*(?:\n|$)')
_MKDOCS_BLOCK = re.compile(r'(?:!!!|\?\?\?\+?)[ \t]*[\w-]+(?:[ \t]+"[^"\n]*")?[ \t]*(?:\n|$)')


def _dedent(line: str) -> str:
    """A line without up to four columns of indentation (a tab counts as four)."""
    if line.startswith("\t"):
        return line[1:]
    return line[min(4, len(line) - len(line.lstrip(" "))) :]


def _shifted(events: list[Event], offset: int) -> list[Event]:
    """Events of a part of the page read on its own, with the page's line numbers."""
    for event in events:
        event.line += offset
        if isinstance(event, Table):
            event.row_lines = [n + offset for n in event.row_lines]
    return events


def _tab_event(marker: TabMarker) -> Event:
    return TabEnd(marker.line) if marker.label is None else TabStart(marker.label, marker.line)


def _merged(events: list[Event], markers: list[TabMarker]) -> list[Event]:
    """Events and tab markers in document order. On a shared line, a tab that opens
    comes before the event (``<TabItem label="x"><table>``), one that closes after it,
    unless a tab opens after it on that line."""
    if not markers:
        return events
    last_open = {m.line: n for n, m in enumerate(markers) if m.label is not None}
    out: list[Event] = []
    i = 0
    for event in events:
        before = last_open.get(event.line, -1)
        while i < len(markers) and (markers[i].line < event.line or i <= before):
            out.append(_tab_event(markers[i]))
            i += 1
        out.append(event)
    out += [_tab_event(marker) for marker in markers[i:]]
    return out


def _inert_ranges(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """Source lines where a tab marker is an example, not a tab: code (fenced or
    indented; an MDX page's indented blocks are read, markers and all, on their own)
    and HTML comments."""
    return [
        (tok.map[0], tok.map[1])
        for tok in tokens
        if tok.map is not None
        and (
            tok.type in ("fence", "code_block")
            or (tok.type == "html_block" and tok.content.lstrip().startswith("<!--"))
        )
    ]


#: How deep blocks read on their own (an MDX page's indented blocks, MkDocs tabs) may
#: nest; deeper ones are read as what CommonMark makes of them.
MAX_DEPTH = 4


def read_markdown(text: str, mdx: bool = False, depth: int = 0) -> list[Event]:
    """Headings, caption-like paragraphs, tabs and tables (pipe and HTML) in document
    order. ``mdx``: indented blocks are markdown (MDX has no indented code), not code;
    ``depth``: how many such blocks this text is read inside."""
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
    skip_before = 0  # tokens starting before this line were read as part of a block
    read_apart: list[tuple[int, int]] = []  # lines read on their own, markers and all
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
            content = inline.content
            if content and content[0] in "<=!?" and tok.map is not None:
                nested = _paragraph_block(tokens, i, lines, mdx, depth)
                if nested is not None:
                    found, skip_before = nested
                    read_apart.append((tok.map[0], skip_before))
                    events += found
                    i += 3
                    continue
            if _table_follows(tokens, i + 3):
                plain = inline_text(inline)
                events.append(Paragraph(plain, line, caption=_is_caption(inline, plain)))
            else:  # only its place matters: it parts a caption-like line from a table
                events.append(Paragraph(content, line))
            i += 3
            continue
        if kind == "table_open":
            table, i = _read_table(tokens, i, lines)
            events.append(table)
        elif kind == "code_block" and mdx and tok.map is not None and depth < MAX_DEPTH:
            body = textwrap.dedent(tok.content)
            events += _shifted(read_markdown(body, mdx, depth + 1), tok.map[0])
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
    markers = find_tab_markers(text, _inert_ranges(tokens) + read_apart)
    return _merged(events, markers)


def _paragraph_block(
    tokens: Sequence[Token], i: int, lines: list[str], mdx: bool, depth: int
) -> tuple[list[Event], int] | None:
    """The events of a paragraph that is a block of its own: a ``<Heading as="h2">``
    component, or an MkDocs tab or admonition with the indented content under it (in
    the paragraph itself, when no blank line parts them, and the code blocks right
    after it). Also the line before which the tokens were read here."""
    tok, inline = tokens[i], tokens[i + 1]
    assert tok.map is not None
    start, end = tok.map
    heading = _HEADING_COMPONENT.fullmatch(inline.content) if len(inline.content) <= 2000 else None
    if heading is not None:
        title = clean_title(collapse(_TAG.sub(" ", heading.group(2))))
        return [Heading(int(heading.group(1)), title, start + 1)], end
    tab = _MKDOCS_TAB.match(inline.content)
    if depth >= MAX_DEPTH or (tab is None and _MKDOCS_BLOCK.match(inline.content) is None):
        return None
    j = i + 3  # past paragraph_close
    while j < len(tokens) and tokens[j].type == "code_block" and tokens[j].map is not None:
        end = tokens[j].map[1]  # type: ignore[index]
        j += 1
    body = "\n".join(_dedent(line) for line in lines[start + 1 : end])
    found = _shifted(read_markdown(body, mdx, depth + 1), start + 1)
    if tab is not None:
        label = " ".join(tab.group(1).split())
        found = [TabStart(label, start + 1), *found, TabEnd(end)]
    return found, end
