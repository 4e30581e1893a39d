"""Long runs of plain pipe-table rows, read from the source instead of by markdown-it-py.

markdown-it-py keeps five numbers for every line of a page and walks its table rule
over each row, so a table of 200,000 rows costs seconds and tens of megabytes before a
cell is read. A plain row (a line that starts and ends with ``|`` and holds no
character an inline rule or an escape could start at: no backslash, backtick, ``*``,
``_``, brackets, ``!``, ``<``, ``&``, tab or control character) needs none of it: its
cells are the text between the pipes, and its text is as written.

So a run of :data:`MIN_RUN` or more such lines with the same number of cells is handed
to markdown-it-py as its first line only (:func:`without_runs`). That line is the
check: if markdown-it-py reads it as a body row of a top-level table with as many
columns, and as the same cells, then every other line of the run would have been a
body row of that table too (a line starting with ``|`` at the margin cannot start
another block or end a table; with as many cells as the header it fills none in), and
the page after the run reads the same. :func:`restore` makes that check, puts the
run's rows into the table and the page's line numbers back into the tokens; when the
check fails, the reader parses the whole page instead.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from konvoy_portspec.extraction.events import SHARED_TEXT
from konvoy_portspec.extraction.text import collapse

#: Runs of at least this many plain rows are read from the source.
MIN_RUN = 32
#: A plain row; not a delimiter row (``|---|:--|``), which is plain but no body row.
_PLAIN_LINE = r"\|(?=[^\n]*[^|:\- \n])[^\\`*_\[\]!<&\x00-\x1f\x7f]*\|[ ]*\n"
_RUNS: dict[int, re.Pattern[str]] = {}


@dataclass(frozen=True, slots=True)
class Run:
    start: int  # offsets of the run in the page, its last line break included
    end: int
    line: int  # 0-based line of its first row in the page
    count: int  # rows, each with as many cells as the first


def _pattern() -> re.Pattern[str]:
    pattern = _RUNS.get(MIN_RUN)
    if pattern is None:
        pattern = _RUNS[MIN_RUN] = re.compile(f"^(?:{_PLAIN_LINE}){{{MIN_RUN},}}", re.MULTILINE)
    return pattern


def _cells(line: str) -> list[str]:
    """The cells of a plain row, as markdown-it-py splits them (its outer pipes are the
    first and last characters, once trailing spaces are gone)."""
    return line.rstrip(" ").split("|")[1:-1]


def find_runs(text: str) -> list[Run]:
    """The page's runs of plain rows, each split where the number of cells changes."""
    if "\r" in text or text.count("\n|") < MIN_RUN:
        return []
    runs: list[Run] = []
    line = pos = 0  # ``line``: the 0-based line at offset ``pos``
    for found in _pattern().finditer(text):
        start = found.start()
        while start < found.end():
            line += text.count("\n", pos, start)
            pos = start
            end = text.index("\n", start) + 1
            width = text.count("|", start, end)
            count = 1
            while end < found.end():
                next_end = text.index("\n", end) + 1
                if text.count("|", end, next_end) != width:
                    break
                end = next_end
                count += 1
            if count >= MIN_RUN:
                runs.append(Run(start, end, line, count))
            start = end
    return runs


def without_runs(text: str, runs: Sequence[Run]) -> str:
    """The page with each run cut down to its first line."""
    parts: list[str] = []
    pos = 0
    for run in runs:
        parts.append(text[pos : text.index("\n", run.start) + 1])
        pos = run.end
    parts.append(text[pos:])
    return "".join(parts)


def restore(tokens: Sequence[Token], text: str, runs: Sequence[Run]) -> list[Run]:
    """Put the page's lines back into ``tokens`` (parsed from :func:`without_runs`) and
    each run's rows into its table. Returns the runs whose first line was not read as
    one of its rows (see the module's docstring): if there are any, the tokens are not
    to be used."""
    firsts: list[int] = []  # 0-based line of each run's first row in the cut page
    dropped: list[int] = []  # lines cut from the page up to the end of each run
    gone = 0
    for run in runs:
        firsts.append(run.line - gone)
        gone += run.count - 1
        dropped.append(gone)

    def page_line(line: int) -> int:
        """A 0-based line of the cut page (or the end of a range) in the page."""
        k = bisect.bisect_left(firsts, line)  # runs whose first row is above ``line``
        return line + (dropped[k - 1] if k else 0)

    placed: set[int] = set()
    for i, tok in enumerate(tokens):
        if tok.type == "table_open" and "rows" in tok.meta:
            placed |= _fill(tokens, i, text, runs, firsts, page_line)
        if tok.map is not None:
            tok.map = [page_line(tok.map[0]), page_line(tok.map[1])]
    return [run for k, run in enumerate(runs) if k not in placed]


def _fill(
    tokens: Sequence[Token],
    i: int,
    text: str,
    runs: Sequence[Run],
    firsts: list[int],
    page_line: Callable[[int], int],
) -> set[int]:
    """Put into the table at ``tokens[i]`` the rows of the runs whose first row it
    holds as a body row, with the same cells (so as many as the header: markdown-it-py
    fills in or drops the others), in a top-level table; and the page's lines. Returns
    the runs that passed."""
    meta = tokens[i].meta
    filled: set[int] = set()
    rows: list[list[str]] = []
    lines: list[int] = []  # 1-based, in the page
    shared: dict[str, str] = {}
    for row, line in zip(meta["rows"], meta["row_lines"], strict=True):
        k = bisect.bisect_left(firsts, line - 1)
        if k < len(firsts) and firsts[k] == line - 1:
            run = runs[k]
            first = [
                collapse(cell) for cell in _cells(text[run.start : text.index("\n", run.start)])
            ]
            if tokens[i].level == 0 and first == row:  # as many cells as the header
                rows += _rows(text, run, shared)
                lines += range(run.line + 1, run.line + 1 + run.count)
                filled.add(k)
                continue
        rows.append(row)
        lines.append(page_line(line - 1) + 1)
    meta["rows"] = rows
    meta["row_lines"] = lines
    return filled


def _rows(text: str, run: Run, shared: dict[str, str]) -> list[list[str]]:
    """A run's rows as cell texts; short ones kept once (see ``SHARED_TEXT``)."""
    rows: list[list[str]] = []
    start = run.start
    for _ in range(run.count):
        end = text.index("\n", start)
        row = []
        for cell in _cells(text[start:end]):
            cell = collapse(cell)
            if len(cell) <= SHARED_TEXT:
                cell = shared.setdefault(cell, cell)
            row.append(cell)
        rows.append(row)
        start = end + 1
    return rows
