"""What the ``konvoy-ports`` directive costs a Sphinx build, against static tables.

Generates, in a temporary folder, two sites of the same 50 pages: one where each page
holds ``.. konvoy-ports:: vX.Y`` (cycling through the bundled releases), and one where
each page holds the same tables written out as ``list-table`` directives. Both are
built from scratch (html, ``-q -E``, fresh output folders) a few times, interleaved so
a busy machine slows both alike; the medians are compared. The goal is a ratio of at
most 1.2x: rendering from the spec should cost about what writing tables by hand does.

    python benchmarks/bench_sphinx.py [--pages 50] [--repeat 3] [--goal 1.2]

Prints ``sphinx: ratio X.XXx (goal <= 1.2x) PASS|FAIL``; exits 0 on PASS, 1 on FAIL.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import konvoy_portspec as k
from konvoy_portspec.output.tables import COLUMNS, HEADERS, cell_value

CONF = """\
project = "bench"
extensions = [{extensions}]
exclude_patterns = ["_build"]
"""


def _list_table(title: str, rows: list[list[str]]) -> str:
    lines = [f".. list-table:: {title}", "   :header-rows: 1", ""]
    for row in rows:
        for n, cell in enumerate(row):
            bullet = "   * - " if n == 0 else "     - "
            lines.append((bullet + cell).rstrip())
    return "\n".join(lines) + "\n"


def static_tables(release: str) -> str:
    spec = k.load(release)
    blocks = []
    for role in spec.roles.ordered:
        rows = [[HEADERS[c] for c in COLUMNS]]
        rows += [[cell_value(rule, c) for c in COLUMNS] for rule in role.rules]
        blocks.append(_list_table(role.title, rows))
    return "\n".join(blocks)


def write_sites(root: Path, pages: int) -> tuple[Path, Path]:
    """The directive site and the static site, page for page the same tables."""
    releases = k.releases()
    ext_site, static_site = root / "directive", root / "static"
    for site, extensions in ((ext_site, '"konvoy_portspec_sphinx"'), (static_site, "")):
        site.mkdir(parents=True)
        (site / "conf.py").write_text(CONF.format(extensions=extensions))
        toc = "\n".join(f"   page{n:03d}" for n in range(pages))
        (site / "index.rst").write_text(f"Bench\n=====\n\n.. toctree::\n\n{toc}\n")
    for n in range(pages):
        release = releases[n % len(releases)]
        head = f"Page {n} ({release})\n{'=' * 40}\n\nThe ports of {release}.\n\n"
        (ext_site / f"page{n:03d}.rst").write_text(head + f".. konvoy-ports:: {release}\n")
        (static_site / f"page{n:03d}.rst").write_text(head + static_tables(release))
    return ext_site, static_site


def build_once(site: Path) -> float:
    out = site / "_build"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-E", "-b", "html", str(site), str(out / "html")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def check_same_output(ext_site: Path, static_site: Path) -> None:
    """Sanity check: both sites show the same cells (else the comparison means nothing)."""
    import re

    def cells(site: Path) -> list[str]:
        text = (site / "_build" / "html" / "page000.html").read_text()
        return re.findall(r"<t[dh]><p>(.*?)</p></t[dh]>", text)

    a, b = cells(ext_site), cells(static_site)
    if not a or a != b:
        raise SystemExit("bench_sphinx: the two sites do not render the same tables")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--goal", type=float, default=1.2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-sphinx-") as tmp:
        ext_site, static_site = write_sites(Path(tmp), args.pages)
        build_once(ext_site)  # warm-up: bytecode, file cache
        build_once(static_site)
        check_same_output(ext_site, static_site)
        ext_times: list[float] = []
        static_times: list[float] = []
        for _ in range(args.repeat):
            ext_times.append(build_once(ext_site))
            static_times.append(build_once(static_site))
    ext, static = statistics.median(ext_times), statistics.median(static_times)
    ratio = ext / static
    verdict = "PASS" if ratio <= args.goal else "FAIL"
    print(
        f"sphinx: {args.pages} pages, konvoy-ports {ext:.2f}s vs list-table {static:.2f}s "
        f"(median of {args.repeat})"
    )
    print(f"sphinx: ratio {ratio:.2f}x (goal <= {args.goal:g}x) {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
