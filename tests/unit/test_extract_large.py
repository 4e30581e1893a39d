"""Big tables are read without a token or an element per cell, and read the same.

A pipe table's body rows are taken from markdown-it-py's own table rule as it runs, so
rows, cells and where the table ends must be exactly what markdown-it-py makes of the
page: the tests compare with a stock ``MarkdownIt`` (CommonMark plus GFM tables). Long
runs of plain HTML rows are read from the source instead of by beautifulsoup4, so every
HTML page must give the same events as bs4 reading it whole, whether the short cut is
taken (plain rows in a table) or not (rows in a comment, a script, a cell, after a tag
left open ...). A page of a few hundred rows must give exactly the rules it was
written with, with errors at the right lines.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction import (
    extract_file,
    extract_text,
    html_reader,
    html_rows,
    markdown_reader,
    pipe_runs,
)
from konvoy_portspec.extraction.events import Table
from konvoy_portspec.extraction.markdown_parser import inline_text
from konvoy_portspec.extraction.markdown_reader import read_markdown
from konvoy_portspec.model import Rule

HEADER = "| Port | Component | Notes |\n|---|---|---|\n"

#: Body rows markdown-it-py reads in its own way, and lines that end a table or not.
TRICKY_ROWS = [
    "| 22 |",  # fewer cells than the header: filled with empty ones
    "| 1 | 2 | 3 | 4 | 5 |",  # more: the rest dropped
    "| 80 | a \\| b | c |",  # an escaped pipe is text
    "443 | no outer pipes | x",
    "|  |  |  |",
    "| `6443` | **kube-apiserver** | <br>a [link](x) &amp; b |",
    "| \\| | \\\\| x |",
    "a line without a pipe",  # still the table's, but not a row the extractor reads
    "|",
    "||",
    "| 8080 | x\ty | z |",
]

ENDINGS = [
    "",
    "## Next",
    "> quote | with pipe",
    "```",
    "---",
    "<div>",
    "- item | x",
    "1. item",
    "    indented | code",
    "***",
    "| 9 | after | all |",
]


def stock_rows(page: str) -> list[tuple[list[list[str]], list[list[str]], list[int]]]:
    """Each pipe table of ``page`` as a stock markdown-it-py reads it: header and body
    rows as cell texts, and the 1-based line of each body row whose line holds a pipe."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    lines = page.split("\n")
    tables = []
    header: list[list[str]] = []
    body: list[list[str]] = []
    body_lines: list[int] = []
    row: list[str] = []
    row_line = 0
    in_head = in_table = False
    for tok in md.parse(page):
        if tok.type == "table_open":
            header, body, body_lines = [], [], []
            in_table = True
        elif tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row = []
            row_line = tok.map[0] + 1 if tok.map else 0
        elif tok.type == "inline" and in_table:
            cell = Token("inline", "", 0, content=tok.content, children=[])
            row.append(inline_text(cell))
        elif tok.type == "tr_close":
            if in_head:
                header.append(row)
            elif "|" in lines[row_line - 1]:
                body.append(row)
                body_lines.append(row_line)
        elif tok.type == "table_close":
            tables.append((header, body, body_lines))
            in_table = False
    return tables


def read_tables(page: str) -> list[tuple[list[list[str]], list[list[str]], list[int]]]:
    return [
        (event.header, event.rows, event.row_lines)
        for event in read_markdown(page)
        if isinstance(event, Table)
    ]


@pytest.mark.parametrize("ending", ENDINGS)
def test_pipe_rows_and_table_ends_are_markdown_its(ending: str) -> None:
    page = "# Ports\n\n" + HEADER + "\n".join(TRICKY_ROWS) + f"\n{ending}\n| 7 | b | c |\n"
    tables = stock_rows(page)
    assert tables and len(tables[0][1]) >= 10  # the tricky rows are all read as rows
    assert read_tables(page) == tables


@pytest.mark.parametrize(
    "page",
    [
        "> " + HEADER.replace("\n", "\n> ") + "| 22 | ssh | x |\n> | 80 | http | y |\nz\n",
        "- item\n\n  " + HEADER.replace("\n", "\n  ") + "| 22 | ssh | x |\n  | 1 | 2 | 3 |\n",
        "text\n" + HEADER + "| 22 | ssh | x |\n",  # a table right under a paragraph line
        HEADER + "| 22 | ssh |\n\n" + HEADER + "| 80 |\n",  # two tables
        HEADER,  # no body at all
        "| Port |\n|---|\n" + "".join(f"| {n} |\n" for n in range(300)),
    ],
    ids=["blockquote", "list item", "after a paragraph line", "two tables", "header only", "long"],
)
def test_pipe_tables_in_containers_are_markdown_its(page: str) -> None:
    assert read_tables(page) == stock_rows(page)


ROWS = "".join(f"| {n} | comp {n} | note {n} |\n" for n in range(6))
TABLE = "| Port | Name | Notes |\n|---|---|---|\n"

#: Pages around runs of plain rows; ``True``: the run is read from the source.
RUN_PAGES = {
    "a table": (True, f"# Ports\n\n{TABLE}{ROWS}\n## After\n\ntext\n"),
    "a paragraph right after": (True, f"{TABLE}{ROWS}after | text\n## After\n"),
    "two tables and a heading": (True, f"{TABLE}{ROWS}\n# Two\n{TABLE}{ROWS}"),
    "rows after other rows": (True, f"{TABLE}| `a` | b | c |\n{ROWS}| d |\n{ROWS}"),
    "aligned columns, spaces after": (
        True,
        "| Port | Name | Notes |\n| :-- | :-: | --: |\n" + ROWS.replace("|\n", "|   \n"),
    ),
    "more cells than the header": (False, TABLE + ROWS.replace(" |\n", " | x |\n")),
    "fewer cells than the header": (
        False,
        TABLE + "".join(f"| {n} | comp {n} |\n" for n in range(6)),
    ),
    "rows of another width between": (True, f"{TABLE}{ROWS}| a | b |\n{ROWS}"),
    "a table in a fence": (False, f"```md\n{TABLE}{ROWS}```\n"),
    "a fence and a table": (True, f"```md\n{TABLE}{ROWS}```\n\n{TABLE}{ROWS}"),
    "a table in an HTML block": (False, f"<div>\n{TABLE}{ROWS}</div>\n"),
    "rows with no delimiter": (False, f"text\n{ROWS}"),
    "a table in a list item": (False, f"- item\n\n  {TABLE}  | 1 | 2 | 3 |\n{ROWS}"),
    "a table in a quote": (False, f"> {TABLE}> | 1 | 2 | 3 |\n{ROWS}"),
    "a delimiter row among the rows": (True, f"{TABLE}{ROWS}|---|---|---|\n{ROWS}"),
    "a comment around the rows": (False, f"<!--\n{TABLE}{ROWS}-->\n"),
    "a setext heading under the rows": (True, f"{TABLE}{ROWS}===\n"),
}


@pytest.mark.parametrize("name", sorted(RUN_PAGES))
def test_pipe_rows_read_from_the_source_read_as_markdown_it_reads_them(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    short_cut, page = RUN_PAGES[name]
    monkeypatch.setattr(pipe_runs, "MIN_RUN", 10**9)
    whole = read_markdown(page)
    monkeypatch.setattr(pipe_runs, "MIN_RUN", 3)
    failed: list[list[pipe_runs.Run]] = []
    check = pipe_runs.restore

    def spy(*args: object) -> list[pipe_runs.Run]:
        failed.append(check(*args))  # type: ignore[arg-type]
        return failed[-1]

    monkeypatch.setattr(markdown_reader, "restore", spy)
    assert read_markdown(page) == whole
    assert read_tables(page) == stock_rows(page)
    assert bool(failed and not failed[-1]) == short_cut


#: Rows a table may hold: plain ones of three cells (the header's width) and of others,
#: and rows that are not plain.
_ROWS = [
    *(f"| {n} | comp {n} | note {n} |\n" for n in range(3)),
    "| 9 | two |\n",
    "| 6 | a | b | c |\n",
    "| `x` | b | c |\n",
    "|---|---|---|\n",
    "    | 4 | 5 | 6 |\n",
]
#: What may come between tables: every block a run can sit in, after or before (fences,
#: HTML blocks, lists, quotes, headings, setext underlines, paragraphs).
_BETWEEN = [
    "\n",
    "# Heading\n",
    "text | with a pipe\n",
    "- item\n",
    "  | 1 | 2 | 3 |\n",
    "> | 1 | 2 | 3 |\n",
    "```\n",
    "<div>\n",
    "</div>\n",
    "<!--\n",
    "-->\n",
    "===\n",
]
_TABLE = st.builds(
    lambda head, rows: head + "".join(rows),
    st.sampled_from(["| Port | Name | Notes |\n|---|---|---|\n", "| Port | Name | Notes |\n"]),
    st.lists(st.sampled_from(_ROWS), min_size=1, max_size=8),
)


@settings(max_examples=300)
@given(st.lists(_TABLE | st.sampled_from(_BETWEEN) | st.sampled_from(_ROWS), max_size=12))
def test_any_page_reads_the_same_with_runs_read_from_the_source(pieces: list[str]) -> None:
    page = "".join(pieces)
    old = pipe_runs.MIN_RUN
    try:
        pipe_runs.MIN_RUN = 10**9
        whole = read_markdown(page)
        pipe_runs.MIN_RUN = 2
        assert read_markdown(page) == whole
    finally:
        pipe_runs.MIN_RUN = old


def big_rows(count: int) -> list[tuple[int, str, str]]:
    return [(1000 + n, f"component-{n % 7}", f"notes on row {n}") for n in range(count)]


def rules_of(rows: list[tuple[int, str, str]]) -> list[Rule]:
    return [Rule(port, port, "tcp", component, notes) for port, component, notes in rows]


def pipe_page(rows: list[tuple[int, str, str]]) -> str:
    body = "".join(f"| {port} | {component} | {notes} |\n" for port, component, notes in rows)
    return "## Worker nodes\n\n" + HEADER + body


def html_page(rows: list[tuple[int, str, str]]) -> str:
    body = "".join(
        f"<tr>\n  <td>{port}</td>\n  <td>{component}</td><td>{notes}</td>\n</tr>\n"
        for port, component, notes in rows
    )
    return (
        "<html><body><h2>Worker nodes</h2>\n<table>\n<thead><tr><th>Port</th>"
        f"<th>Component</th><th>Notes</th></tr></thead>\n<tbody>\n{body}</tbody></table>\n"
        "</body></html>\n"
    )


@pytest.mark.parametrize("kind", ["pipe", "html"])
def test_a_big_table_gives_the_rules_it_was_written_with(kind: str) -> None:
    rows = big_rows(500)
    page = pipe_page(rows) if kind == "pipe" else html_page(rows)
    spec = extract_text(page, path=f"ports.{'md' if kind == 'pipe' else 'html'}")
    [role] = spec.roles.ordered
    assert role.id == "worker"
    assert list(role.rules) == rules_of(rows)


def test_a_broken_port_deep_in_a_big_pipe_table_is_reported_at_its_line() -> None:
    rows = big_rows(400)
    page = pipe_page(rows).replace("| 1300 |", "| 70000 |")
    line = page.split("\n").index(next(x for x in page.split("\n") if "| 70000 |" in x)) + 1
    with pytest.raises(ExtractError) as caught:
        extract_text(page, path="ports.md")
    assert caught.value.line == line == 305


def test_a_broken_port_deep_in_a_big_html_table_is_reported_at_its_line() -> None:
    rows = big_rows(400)
    page = html_page(rows).replace("<td>1300</td>", "<td>70000</td>")
    tr_line = page[: page.index("<td>70000</td>")].rindex("<tr>")
    with pytest.raises(ExtractError) as caught:
        extract_text(page, path="ports.html")
    assert caught.value.line == page.count("\n", 0, tr_line) + 1


def test_extract_file_records_the_bytes_and_reads_front_matter(tmp_path: Path) -> None:
    rows = big_rows(100)
    page = tmp_path / "ports.md"
    page.write_text("---\nversion: 2.4\n---\n" + pipe_page(rows), "utf-8")
    spec = extract_file(page)
    assert spec.release == "v2.4"
    assert spec.source is not None
    assert spec.source.sha256 == hashlib.sha256(page.read_bytes()).hexdigest()
    assert list(spec.roles.ordered[0].rules) == rules_of(rows)


PLAIN = "".join(f'<tr><td>{n}</td><td class="c">c {n}</td></tr>\n' for n in range(8))

#: HTML pages around runs of plain rows; ``True``: the run is read from the source.
HTML_PAGES = {
    "plain rows": (True, f"<table><tr><th>Port</th><th>Name</th></tr>\n{PLAIN}</table>"),
    "rows in thead and tbody": (
        True,
        f"<table><thead>{PLAIN}</thead><tbody>\n{PLAIN}</tbody></table><p>after</p>",
    ),
    "attributes and spans": (
        True,
        "<table>"
        + '<tr><TD ROWSPAN="3">x</TD><td colspan="2" >y</td></tr>\n' * 4
        + '<tr>\n\t<th scope="row">a</th><td class="headerlink"> skipped </td><td>  </td></tr>'
        + "<tr><td></td></tr>" * 6
        + "</table>",
    ),
    "a span from a row bs4 reads into the run": (
        True,
        '<table><tr><td rowspan="4">&amp;</td><td>1</td></tr>\n' + PLAIN + "</table>",
    ),
    "other rows between runs": (
        True,
        f"<table>{PLAIN}<tr><td>a &lt; b</td><td><b>bold</b></td></tr>{PLAIN}"
        f"<tr><td class='single'>x</td></tr>{PLAIN}</table>",
    ),
    "two runs on one line": (
        True,
        f"<table>{PLAIN.replace(chr(10), '')}</table>x<table>{PLAIN.replace(chr(10), '')}</table>",
    ),
    "a figure and a caption": (
        True,
        f"<figure><figcaption>Worker nodes</figcaption><table><caption>Ports</caption>"
        f"{PLAIN}</table></figure>",
    ),
    "rows in a comment": (False, f"<table><tr><td>1</td></tr><!-- {PLAIN} --></table>"),
    "rows in a script": (False, f"<script>{PLAIN}</script><table>{PLAIN}</table>"),
    "rows in pre": (True, f"<pre><table>{PLAIN}</table></pre><h2>x</h2>"),  # never read
    "a table in a cell": (False, f"<table><tr><td><table>{PLAIN}</table></td></tr></table>"),
    "a table in a paragraph": (False, f"<p>Ports:<table>{PLAIN}</table></p>"),
    "rows in a caption left open": (False, f"<table><caption>Ports\n{PLAIN}</table>"),
    "rows in a row": (False, f"<table><tr><td>open\n{PLAIN}</td></tr></table>"),
    "a row tag left open": (False, f"<table><tr\n{PLAIN}</table>"),
    "an attribute left open": (False, f'<table><tr><td title="x>\n{PLAIN}</td></tr></table>'),
    "a CDATA section the rows would close": (
        False,
        f"<![CDATA[<b>x</b><table>{PLAIN}<tr><td>y]]></td></tr>{PLAIN}</table>",
    ),
    "a comment the rows would close": (
        False,
        f"<!--<b>x</b><table>{PLAIN}<tr><td>--></td></tr>{PLAIN}</table>",
    ),
    "a quote the rows would close": (
        False,
        f"<table><tr><td title='open>x</td></tr>{PLAIN}<tr><td>it's</td></tr>{PLAIN}</table>",
    ),
    "rows outside a table": (False, f"<div>{PLAIN}</div><table>{PLAIN}</table>"),
    "the placeholder's own name": (False, f'<table data-portspec-run="0">{PLAIN}</table>'),
}


@pytest.mark.parametrize("name", sorted(HTML_PAGES))
def test_html_rows_read_from_the_source_read_as_bs4_reads_them(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    short_cut, page = HTML_PAGES[name]
    page = "\n\n" + page  # events carry lines: the run must keep them
    monkeypatch.setattr(html_rows, "MIN_RUN", 10**9)
    whole = html_reader.read_html(page, line_offset=3)
    monkeypatch.setattr(html_rows, "MIN_RUN", 4)
    placed: list[bool] = []
    check = html_rows.placed

    def spy(*args: object) -> bool:
        placed.append(check(*args))  # type: ignore[arg-type]
        return placed[-1]

    monkeypatch.setattr(html_reader, "placed", spy)
    assert html_reader.read_html(page, line_offset=3) == whole
    assert (placed == [True]) == short_cut
