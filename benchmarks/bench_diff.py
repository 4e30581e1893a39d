"""Benchmark: diffing two specs of 100,000 rules each.

Goal (issue 7): "a diff of two specs with 100,000 rules each within 5x of the time to
json.load the two files". Measured three ways, best of 7 each, interleaved:

* baseline: ``json.load`` of the two spec files;
* library: ``specio.load_file`` (JSON + schema check + model) of both, then ``diff``;
* cli (the honest one, used for the goal): ``portspec diff a.json b.json --format json``
  run in-process through ``cli.run`` with stdout going to /dev/null.

Linearity: the cli time for 100,000 rules is at most 15x the time for 10,000.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from konvoy_portspec.io import spec_json as specio
from konvoy_portspec.model import Role, Rule, Spec

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
GOAL = 5.0
LINEAR_GOAL = 15.0
ROUNDS = 7


def make_specs(rules: int) -> tuple[Spec, Spec]:
    """Two releases of ``rules`` rules in 4 roles; the new one has ~5% changes of every
    kind the diff knows (added, removed, changed notes, moved ports, grown ranges)."""
    per_role = rules // 4
    old_roles, new_roles = [], []
    for r, proto in enumerate(("tcp", "udp", "tcp", "udp")):
        old_rules, new_rules = [], []
        for i in range(per_role):
            port = 1 + (i * 7 + r) % 60000 if per_role > 60000 else 1 + i
            comp = f"svc-{r}-{i}"
            rule = Rule(port, port, proto, comp, f"notes {i}")
            old_rules.append(rule)
            bucket = i % 100
            if bucket == 0:
                continue  # removed
            if bucket == 1:
                new_rules.append(Rule(port, port, proto, comp, f"changed {i}"))
            elif bucket == 2 and port + 1 <= 65535:
                new_rules.append(Rule(port, port + 1, proto, comp, f"notes {i}"))  # range grew
            elif bucket == 3:
                new_rules.append(Rule(port + 61000 - i % 3000, None, proto, comp, "moved"))
            else:
                new_rules.append(rule)
        new_rules = [
            Rule(
                r.port,
                r.end_port if r.end_port is not None else r.port,
                r.protocol,
                r.component,
                r.notes,
            )
            for r in new_rules
            if r.port is not None and r.port <= 65535
        ]
        old_roles.append(Role(f"role-{r}", f"Role {r}", tuple(old_rules)))
        new_roles.append(Role(f"role-{r}", f"Role {r}", tuple(new_rules)))
    return Spec("v1.0", old_roles), Spec("v2.0", new_roles)


def best_of(fns: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Each function's best time over ``ROUNDS`` rounds, the functions interleaved in
    every round: this machine's speed drifts over seconds, and a ratio of two times
    taken minutes apart would measure the drift."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(ROUNDS):
        for name, fn in fns.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: min(ts) for name, ts in times.items()}


def measure(rules: int) -> dict[str, float]:
    from konvoy_portspec import cli
    from konvoy_portspec.analysis.diff import diff

    WORK.mkdir(parents=True, exist_ok=True)
    old, new = make_specs(rules)
    a, b = WORK / f"diff-{rules}-a.json", WORK / f"diff-{rules}-b.json"
    a.write_text(specio.dumps(old), "utf-8")
    b.write_text(specio.dumps(new), "utf-8")

    def load() -> None:
        for f in (a, b):
            with open(f, "rb") as fh:
                json.load(fh)

    def library() -> None:
        diff(specio.load_file(a), specio.load_file(b))

    def diff_only() -> None:
        diff(old, new)

    def run_cli() -> None:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            code = cli.run(["diff", str(a), str(b), "--format", "json"])
        assert code in (0, 1), code

    def models() -> None:
        for f in (a, b):
            with open(f, "rb") as fh:
                specio.from_dict(json.load(fh))

    timed = best_of(
        {"load": load, "models": models, "library": library, "diff": diff_only, "cli": run_cli}
    )
    return {**timed, "size": a.stat().st_size + b.stat().st_size}


def main() -> int:
    small, big = measure(10_000), measure(100_000)
    ratio = big["cli"] / big["load"]
    library_ratio = big["library"] / big["load"]
    linear = big["cli"] / small["cli"]
    print(
        f"100,000 rules each ({big['size'] / 1e6:.1f} MB of JSON): json.load {big['load']:.3f} s, "
        f"json.load+from_dict {big['models']:.3f} s, diff alone {big['diff']:.3f} s, "
        f"load_file x2 + diff {big['library']:.3f} s, portspec diff --format json "
        f"{big['cli']:.3f} s"
    )
    print(f"10,000 rules each: portspec diff --format json {small['cli']:.3f} s")
    print(f"diff (library: load_file + diff): ratio {library_ratio:.2f}x (goal <= {GOAL:g}x)")
    ok = ratio <= GOAL
    print(f"diff: ratio {ratio:.2f}x (goal <= {GOAL:g}x) {'PASS' if ok else 'FAIL'}")
    ok_linear = linear <= LINEAR_GOAL
    print(
        f"diff-linearity: {linear:.2f}x (goal <= {LINEAR_GOAL:g}x) "
        f"{'PASS' if ok_linear else 'FAIL'}"
    )
    return 0 if ok and ok_linear else 1


if __name__ == "__main__":
    sys.exit(main())
