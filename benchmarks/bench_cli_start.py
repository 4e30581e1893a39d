"""How much slower ``portspec diff v1.8 v2.1`` starts than a bare interpreter.

Runs, interleaved (so a busy machine slows both sides alike), N times ``python -I -c
pass`` and N times the installed console script, then compares the medians. The goal is
a ratio of at most 3x: the CLI should cost about two interpreter starts on top of one.

    python benchmarks/bench_cli_start.py [-n 30] [--goal 3.0]

Prints ``cli-start: ratio X.XXx (goal <= 3x) PASS|FAIL``; exits 0 on PASS, 1 on FAIL.
Standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

DIFF_ARGS = ["diff", "v1.8", "v2.1"]


def portspec_command() -> list[str]:
    """The installed ``portspec`` next to this interpreter, else ``python -m``."""
    folder = os.path.dirname(sys.executable)
    for name in ("portspec", "portspec.exe"):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return [candidate]
    found = shutil.which("portspec")
    if found and os.path.dirname(os.path.realpath(found)) == os.path.realpath(folder):
        return [found]
    return [sys.executable, "-m", "konvoy_portspec"]


def cli_command() -> list[str]:
    return [*portspec_command(), *DIFF_ARGS]


def cli_env() -> dict[str, str]:
    """The environment for the CLI runs: as a user's, with bytecode caching on.

    An installed wheel has its ``.pyc`` files compiled at install time; with
    ``PYTHONDONTWRITEBYTECODE`` set (common in containers and CI) an editable install
    would instead recompile every module on every run and time the compiler, not us.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_once(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env
    )
    return time.perf_counter() - start


def measure(runs: int, bare: list[str], cli: list[str]) -> tuple[list[float], list[float]]:
    env = cli_env()
    time_once(bare)  # warm the page cache and write the .pyc files before timing
    time_once(cli, env)
    bare_times: list[float] = []
    cli_times: list[float] = []
    for _ in range(runs):
        bare_times.append(time_once(bare))
        cli_times.append(time_once(cli, env))
    return bare_times, cli_times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=30, help="runs of each (default 30)")
    parser.add_argument("--goal", type=float, default=3.0, help="maximum ratio (default 3)")
    args = parser.parse_args(argv)

    bare = [sys.executable, "-I", "-c", "pass"]
    cli = cli_command()
    bare_times, cli_times = measure(max(1, args.runs), bare, cli)
    bare_ms = statistics.median(bare_times) * 1000
    cli_ms = statistics.median(cli_times) * 1000
    ratio = cli_ms / bare_ms
    verdict = "PASS" if ratio <= args.goal else "FAIL"
    print(f"python -I -c pass:      median {bare_ms:7.1f} ms ({len(bare_times)} runs)")
    print(
        f"{' '.join(os.path.basename(c) for c in cli[:1])} {' '.join(DIFF_ARGS)}:"
        f" median {cli_ms:7.1f} ms ({len(cli_times)} runs)"
    )
    print(f"budget: {bare_ms * args.goal:.1f} ms")
    print(f"cli-start: ratio {ratio:.2f}x (goal <= {args.goal:g}x) {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
