"""Run every benchmarks/bench_*.py, print a summary and write benchmarks/RESULTS.md.

Each benchmark is a script that prints result lines (``NAME: ratio X.XXx (goal ...)``
and others) and exits 0 when its goals are met. This runs each as a subprocess, keeps
the lines that state a goal, and exits 1 if any benchmark failed.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOAL_LINE = re.compile(r"\(goal [^)]*\)")


def main() -> int:
    rows: list[tuple[str, str, float, list[str], list[str]]] = []
    for script in sorted(HERE.glob("bench_*.py")):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=False
        )
        elapsed = time.perf_counter() - start
        lines = done.stdout.splitlines()
        goals = [line for line in lines if GOAL_LINE.search(line)]
        status = "PASS" if done.returncode == 0 else "FAIL"
        if done.returncode != 0 and done.stderr.strip():
            lines.append("stderr: " + done.stderr.strip().splitlines()[-1])
        rows.append((script.stem, status, elapsed, goals, lines))
        print(f"{script.stem}: {status} ({elapsed:.1f} s)")
        for line in goals:
            print(f"  {line}")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = (
        f"{os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )
    out = ["# Benchmark results", "", f"Run {stamp} on {machine}.", ""]
    out += ["| benchmark | result | time | goals |", "|---|---|---|---|"]
    for name, status, elapsed, goals, _ in rows:
        cell = "<br>".join(g.replace("|", "\\|") for g in goals) or "-"
        out.append(f"| {name} | {status} | {elapsed:.1f} s | {cell} |")
    out.append("")
    for name, _, _, _, lines in rows:
        out += [f"## {name}", "", "```text", *lines, "```", ""]
    (HERE / "RESULTS.md").write_text("\n".join(out), "utf-8")
    failed = [name for name, status, *_ in rows if status != "PASS"]
    print(f"{len(rows) - len(failed)}/{len(rows)} benchmarks met their goals; RESULTS.md written")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
