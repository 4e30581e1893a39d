"""Where a first `portspec scan` of the benchmark tree spends its CPU, part by part.

The floor under the scan's wall time on N cores is (walk + read + prefilter + parse +
one parser import per worker) / N. This prints each part, best of 3, serially and
in-process, so the limit the parsers set can be checked on any machine:

    python benchmarks/scan_floor.py      (after bench_scan.py has generated the tree)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench_cli_start import cli_env

from konvoy_portspec.analysis.scan import iter_pages, list_pages
from konvoy_portspec.analysis.scan.pages import parse_page
from konvoy_portspec.analysis.scan.walk import read_page_bytes
from konvoy_portspec.extraction import decode, html_reader, markdown_reader, split_front_matter
from konvoy_portspec.extraction.events import Event
from konvoy_portspec.extraction.prefilter import may_hold_port_table
from konvoy_portspec.io.files import MAX_PAGE_SIZE

TREE = Path(__file__).resolve().parent / "_work" / "tree"
IMPORT = (
    "import time; t = time.perf_counter(); "
    "import konvoy_portspec.extraction.markdown_reader, konvoy_portspec.extraction.html_reader; "
    "print(time.perf_counter() - t)"
)


def best(fn: Callable[[], object], rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(tree: Path = TREE, rounds: int = 3, parsers: bool = True) -> dict[str, float | int]:
    """Each part's CPU seconds (best of ``rounds``) and the floor they set on this
    machine's cores: ``floor`` = (walk + read + prefilter + parse + one parser import per
    worker) / cores, what a perfectly parallel first scan with these parsers would take.
    ``parsers``: also time the two parsers' own share (markdown-it, beautifulsoup4)."""
    root = str(tree)
    rels = list_pages(root)
    raws: list[bytes] = []

    def read() -> None:
        raws.clear()
        for rel in rels:
            raws.append(read_page_bytes(root, rel, MAX_PAGE_SIZE))

    walk_s = best(lambda: list(iter_pages(root)), rounds)
    read_s = best(read, rounds)
    prefilter_s = best(lambda: [may_hold_port_table(raw) for raw in raws], rounds)
    candidates = [
        (rel, raw) for rel, raw in zip(rels, raws, strict=True) if may_hold_port_table(raw)
    ]
    parse_s = best(
        lambda: [parse_page(raw, rel, root + "/" + rel) for rel, raw in candidates], rounds
    )
    parallel_s = min(_parse_in_parallel(root, candidates) for _ in range(rounds))
    import_s = min(
        float(
            subprocess.run(
                [sys.executable, "-c", IMPORT], capture_output=True, text=True, env=cli_env()
            ).stdout
        )
        for _ in range(rounds)
    )
    parts: dict[str, float | int] = {
        "pages": len(rels),
        "candidates": len(candidates),
        "walk": walk_s,
        "read": read_s,
        "prefilter": prefilter_s,
        "parse": parse_s,
        "parse_parallel": parallel_s,
        "import": import_s,
    }
    if parsers:
        parts.update(_parsers_share(root, candidates))
    return combine([parts])


def combine(measures: list[dict[str, float | int]]) -> dict[str, float | int]:
    """Measures taken at different times (between the scan's runs, so that a machine
    whose speed drifts is sampled alike for both) as one: each part's best, and the
    floor they set."""
    out = dict(measures[0])
    parts = ("walk", "read", "prefilter", "parse", "parse_parallel", "import")
    for part in (*parts, "markdown", "bs4", "chunks"):
        if part in out:
            out[part] = min(m[part] for m in measures)
    cores = os.cpu_count() or 1
    total = out["walk"] + out["read"] + out["prefilter"] + out["parse"] + cores * out["import"]
    serial = out["walk"] + out["read"] + out["prefilter"] + cores * out["import"]
    out.update(
        cores=cores,
        cpu=total,
        floor=total / cores,
        parallel_floor=serial / cores + out["parse_parallel"],
    )
    return out


def _parse_in_parallel(root: str, candidates: list[tuple[str, bytes]]) -> float:
    """Wall seconds to parse the candidates dealt out to one forked process per core, all
    at once, with the parsers imported and everything warm as for ``parse``: what the
    floor's "parse / cores" takes on this machine, whose cores may not scale perfectly
    (a diagnostic; the goal stays on the floor)."""
    cores = os.cpu_count() or 1
    start = time.perf_counter()
    children = []
    for k in range(cores):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 0
            try:
                for rel, raw in candidates[k::cores]:
                    parse_page(raw, rel, root + "/" + rel)
            except BaseException:
                code = 1
            os._exit(code)
        children.append(pid)
    failed = [pid for pid in children if os.waitpid(pid, 0)[1] != 0]
    if failed:
        raise SystemExit("scan_floor: a parse process failed")
    return time.perf_counter() - start


def _parsers_share(root: str, candidates: list[tuple[str, bytes]]) -> dict[str, float]:
    # The two libraries' own share: markdown-it block tokens, beautifulsoup4 trees.
    md = markdown_reader.parser()
    bodies = [
        split_front_matter(decode(raw))[1] for rel, raw in candidates if not rel.endswith(".html")
    ]
    chunks: list[str] = []
    read_html = html_reader.read_html

    def keep(chunk: str, line_offset: int = 0) -> list[Event]:
        chunks.append(chunk)
        return read_html(chunk, line_offset)

    # The markdown reader hands each HTML block to its own name for read_html.
    vars(markdown_reader)["read_html"] = keep
    for rel, raw in candidates:
        parse_page(raw, rel, root + "/" + rel)
    vars(markdown_reader)["read_html"] = read_html
    pages = [raw for rel, raw in candidates if rel.endswith(".html")]
    chunks += [split_front_matter(decode(raw))[1] for raw in pages]
    from bs4 import BeautifulSoup

    markdown_s = best(lambda: [md.parse(body) for body in bodies])
    bs4_s = best(lambda: [BeautifulSoup(chunk, "html.parser") for chunk in chunks])
    return {"markdown": markdown_s, "bs4": bs4_s, "chunks": len(chunks)}


def main() -> int:
    if not TREE.is_dir():
        print("no tree: run benchmarks/bench_scan.py first", file=sys.stderr)
        return 2
    m = measure()
    md, bs4, parse = m["markdown"], m["bs4"], m["parse"]
    print(f"{m['pages']} pages, {m['candidates']} past the prefilter, {m['chunks']} HTML chunks")
    print(f"walk {m['walk']:.3f} s, read {m['read']:.3f} s, prefilter {m['prefilter']:.3f} s")
    print(
        f"parse {parse:.3f} s: markdown-it block tokens {md:.3f} s, "
        f"beautifulsoup4 trees {bs4:.3f} s, the rest {parse - md - bs4:.3f} s"
    )
    print(f"parser import {m['import']:.3f} s per worker")
    print(f"CPU {m['cpu']:.3f} s; floor on {m['cores']} cores {m['floor']:.3f} s")
    print(
        f"parse on {m['cores']} processes at once: {m['parse_parallel']:.3f} s "
        f"(parse / cores: {parse / m['cores']:.3f} s); floor with that: "
        f"{m['parallel_floor']:.3f} s"
    )
    print(f"the two parsers alone on {m['cores']} cores: {(md + bs4) / m['cores']:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
