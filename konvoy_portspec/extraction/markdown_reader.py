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

The parser itself, and the text of inline tokens, are in
:mod:`~konvoy_portspec.extraction.markdown_parser` (re-exported here); pipe table rows
come from there already as cell texts, long runs of plain ones from
:mod:`~konvoy_portspec.extraction.pipe_runs`.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from markdown_it.token import Token

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction.events import Event, Heading, Paragraph, TabEnd, Table, TabStart
from konvoy_portspec.extraction.html_reader import read_html
from konvoy_portspec.extraction.markdown_parser import (
    MAX_NESTING,
    inline_text,
    parser,
)
from konvoy_portspec.extraction.markup import TabMarker, find_tab_markers
from konvoy_portspec.extraction.pipe_runs import find_runs, restore, without_runs
from konvoy_portspec.extraction.text import collapse
from konvoy_portspec.extraction.titles import clean_title

_TABLE_OPEN = re.compile(r"<table\b", re.IGNORECASE)
_TABLE_CLOSE = re.compile(r"</table\s*>", re.IGNORECASE)
#: Tags the HTML reader turns into events; a block without any is not worth parsing.
_EVENT_TAGS = re.compile(r"<(?:table|h[1-6]|heading|p|figcaption)\b", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_EMPHASIS_OPEN = {"em_open", "strong_open"}

__all__ = ["MAX_NESTING", "inline_text", "parser", "read_markdown"]


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


def _read_table(tokens: Sequence[Token], start: int) -> tuple[Table, int]:
    """A pipe table: header rows from its tokens, body rows from ``meta``."""
    header: list[list[str]] = []
    row: list[str] = []
    i = start + 1
    while i < len(tokens) and tokens[i].type != "table_close":
        tok = tokens[i]
        if tok.type == "tr_open":
            row = []
        elif tok.type == "inline":
            row.append(inline_text(tok))
        elif tok.type == "tr_close":
            header.append(row)
        i += 1
    table_open = tokens[start]
    line = (table_open.map or (0, 0))[0] + 1
    meta = table_open.meta or {}
    return Table(header, meta.get("rows", []), meta.get("row_lines", []), line), i


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


class _Lines:
    """The text's lines, split on first use: only some HTML and MkDocs blocks need
    them, and on a page of one huge table the split would hold a string per row."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[str] | None = None

    def get(self) -> list[str]:
        if self.lines is None:
            self.lines = self.text.split("\n")
        return self.lines


#: How deep blocks read on their own (an MDX page's indented blocks, MkDocs tabs) may
#: nest; deeper ones are read as what CommonMark makes of them.
MAX_DEPTH = 4


def _tokens(text: str) -> list[Token]:
    """The page's block tokens, long runs of plain table rows read apart (see
    :mod:`~konvoy_portspec.extraction.pipe_runs`), line numbers the page's."""
    runs = find_runs(text)
    for _ in range(2):  # again without the runs that failed the check, then none
        if not runs:
            break
        tokens = parser().parse(without_runs(text, runs))
        failed = restore(tokens, text, runs)
        if not failed:
            return tokens
        runs = [run for run in runs if run not in failed]
    return parser().parse(text)


def read_markdown(text: str, mdx: bool = False, depth: int = 0) -> list[Event]:
    """Headings, caption-like paragraphs, tabs and tables (pipe and HTML) in document
    order. ``mdx``: indented blocks are markdown (MDX has no indented code), not code;
    ``depth``: how many such blocks this text is read inside."""
    tokens = _tokens(text)
    deepest = max((token.level for token in tokens), default=0)
    if deepest >= MAX_NESTING - 1:
        where = next(t.map[0] + 1 for t in tokens if t.level >= MAX_NESTING - 1 and t.map)
        raise ExtractError(
            f"blocks nested more than {MAX_NESTING - 1} levels deep; the rest of the page "
            "cannot be read, so its tables would be lost",
            line=where,
        )
    lines = _Lines(text)
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
                nested = _paragraph_block(tokens, i, lines.get(), mdx, depth)
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
            table, i = _read_table(tokens, i)
            events.append(table)
        elif kind == "code_block" and mdx and tok.map is not None and depth < MAX_DEPTH:
            body = textwrap.dedent(tok.content)
            events += _shifted(read_markdown(body, mdx, depth + 1), tok.map[0])
        elif kind == "html_block" and tok.map is not None:
            first, end = tok.map
            chunk = tok.content
            balance = _table_balance(chunk)
            if balance > 0:
                source = lines.get()
                while end < len(source) and balance > 0:
                    balance += _table_balance(source[end])
                    end += 1
                chunk = "\n".join(source[first:end])
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
