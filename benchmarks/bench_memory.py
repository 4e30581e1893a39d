"""Benchmark: peak memory of `portspec extract` on a page that is one huge port table.

Goal (issue 11): the peak resident memory of ``portspec extract PAGE --release v1.0
-o OUT`` is at most 10x the page's size, on a pipe-table page and on an HTML-table page
of about 15 MB each (pages are limited to 16 MiB). Nothing is subtracted: the
interpreter and the libraries it imports count too.

Each run is a process of its own, and its peak is the kernel's count for it
(``wait4``'s ``ru_maxrss``). The kernel counts in it the peak of the process that
started it (the memory a child shares until it runs the command), so this script stays
small: pages are written line by line and the output is counted line by line, never
loaded whole. For a breakdown, the peak of reading the page alone (``extract_file``:
no JSON written) is printed too. The extracted spec must hold one rule per row, so a
broken extraction cannot pass for a lean one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
GOAL = 10.0
PIPE_ROWS = 220_000  # about 15 MB
HTML_ROWS = 165_000  # about 15.5 MB

READ_ONLY = (
    "import sys; from konvoy_portspec.extraction import extract_file; "
    "extract_file(sys.argv[1], release='v1.0')"
)


def _notes(i: int) -> tuple[int, str, str]:
    port = 1 + i % 65535
    return port, f"component-{i % 977}", f"some notes about port {port} number {i}"


def pipe_page(rows: int) -> Iterator[str]:
    yield "## Worker nodes\n\n| Port | Component | Notes |\n|---|---|---|\n"
    for i in range(rows):
        port, component, notes = _notes(i)
        yield f"| {port} | {component} | {notes} |\n"


def html_page(rows: int) -> Iterator[str]:
    yield (
        "<!DOCTYPE html>\n<html><body><h2>Worker nodes</h2>\n<table>\n"
        "<thead><tr><th>Port</th><th>Component</th><th>Notes</th></tr></thead>\n<tbody>\n"
    )
    for i in range(rows):
        port, component, notes = _notes(i)
        yield f"<tr><td>{port}</td><td>{component}</td><td>{notes}</td></tr>\n"
    yield "</tbody></table></body></html>\n"


def ensure_page(name: str, make: Callable[[int], Iterator[str]], rows: int) -> Path:
    path = WORK / name
    if not path.is_file():
        WORK.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            out.writelines(make(rows))
    return path


def count_rules(spec: Path) -> int:
    """Rules in a canonical spec file (one ``"end_port"`` line each), read line by line."""
    with spec.open("rb") as lines:
        return sum(1 for line in lines if line.lstrip().startswith(b'"end_port"'))


def peak_of(cmd: list[str]) -> tuple[int, float, int]:
    """Peak resident bytes, wall seconds and exit status of a command run alone."""
    start = time.perf_counter()
    with (WORK / "memory-stderr.txt").open("wb") as errors:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"  {cmd[1:4]} exited {code}: see {WORK / 'memory-stderr.txt'}")
    return usage.ru_maxrss * 1024, elapsed, code


def measure(label: str, key: str, page: Path, rows: int) -> bool:
    size = page.stat().st_size
    out = WORK / f"{page.name}.json"
    out.unlink(missing_ok=True)
    cli = [sys.executable, "-m", "konvoy_portspec", "extract", str(page)]
    peak, elapsed, code = peak_of([*cli, "--release", "v1.0", "-o", str(out)])
    read_peak, _, read_code = peak_of([sys.executable, "-c", READ_ONLY, str(page)])
    rules = count_rules(out) if code == 0 and out.is_file() else 0
    correct = code == 0 and read_code == 0 and rules == rows
    print(f"{label} page: {size / 1e6:.1f} MB, {rows:,} rows")
    print(
        f"  portspec extract -o: peak {peak / 1e6:.0f} MB in {elapsed:.1f} s, {rules:,} rules "
        + ("(one per row)" if correct else "(WRONG: expected one per row)")
    )
    print(
        f"  extract_file alone (no JSON written): peak {read_peak / 1e6:.0f} MB, "
        f"{read_peak / size:.1f}x"
    )
    ratio = peak / size
    ok = correct and ratio <= GOAL
    print(f"memory-{key}: ratio {ratio:.1f}x (goal <= {GOAL:g}x) {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    pipe = ensure_page("memory-pipe-table.md", pipe_page, PIPE_ROWS)
    html = ensure_page("memory-html-table.html", html_page, HTML_ROWS)
    results = [
        measure("pipe table", "pipe-table", pipe, PIPE_ROWS),
        measure("HTML table", "html-table", html, HTML_ROWS),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
