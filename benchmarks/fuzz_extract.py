"""Fuzz the extractor: mutated real pages and generated text, in worker processes.

The contract under test: for any input, ``extract_bytes`` returns a spec or raises
``PortSpecError``; nothing else (no ``IndexError``, no ``RecursionError``), and no input
under 100 KB takes more than 5 seconds. Seeds are the real Konvoy pages (every revision
in ``../shared/corpus``) and the test fixtures; mutations flip, cut, repeat and splice
bytes and insert table and markup fragments, control characters and deep nesting.

    python benchmarks/fuzz_extract.py                 # 100,000 inputs (a few minutes)
    python benchmarks/fuzz_extract.py -n 2000 --seed 7

Inputs that break the contract are written to ``benchmarks/_work/fuzz-failures/``; the
exit status is 1 if there is any.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

CORPUS = Path(os.environ.get("PORTSPEC_CORPUS", ROOT.parent / "shared" / "corpus"))
FAILURES = HERE / "_work" / "fuzz-failures"
MAX_INPUT = 100 * 1024
HANG_SECONDS = 5

FRAGMENTS = [
    b"|",
    b"||",
    b"| --- |",
    b"|---|---|\n",
    b"\n| Port | Component |\n|---|---|\n",
    b"<table>",
    b"</table>",
    b"<tr>",
    b"<td>",
    b"<th>",
    b"</td>",
    b'<td rowspan="99999">',
    b'<td colspan="0">',
    b'<td colspan="70000">',
    b"<caption>Worker nodes</caption>",
    b"# Worker nodes\n",
    b"## Control-plane nodes\n",
    b"<h2>",
    b"&#27;",
    b"&#0;",
    b"&nbsp;",
    b"&#x110000;",
    b"\x00",
    b"\x1b[31m",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\r",
    b"\t",
    b"\\|",
    b"`",
    b"```\n",
    b"<!--",
    b"-->",
    b"---\n",
    b"+++\n",
    b"6443",
    b"2379-2380",
    b"0",
    b"70000",
    b"30000-32767",
    b"TCP/UDP",
    b"N/A",
    b"ICMP",
    b"8/0",
    b"1e9",
    b"-1",
    b"99999999999999999999",
    b"\xe2\x80\x93",
    b"<br>",
    b"<sup>1</sup>",
    b"*",
    b"[^1]",
    b'release: "v9.9\\ntouch"\n',
    b"- " * 60,
    b"> " * 60,
    b"<div>" * 200,
    b"[" * 500,
]


def seeds() -> list[bytes]:
    pages = sorted(CORPUS.rglob("*.md")) + sorted((ROOT / "tests" / "fixtures").rglob("*"))
    out = []
    for page in pages:
        if page.is_file() and page.suffix in (".md", ".mdx", ".html", ".htm"):
            data = page.read_bytes()
            if len(data) <= MAX_INPUT:
                out.append(data)
    if not out:
        raise SystemExit(f"no seed pages found under {CORPUS}")
    return out


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(7)
        pos = rng.randint(0, len(buf))
        if op == 0 and buf:  # flip bytes
            for _ in range(rng.randint(1, 16)):
                i = rng.randrange(len(buf))
                buf[i] = rng.randrange(256)
        elif op == 1:  # insert a fragment, maybe repeated
            buf[pos:pos] = rng.choice(FRAGMENTS) * rng.choice((1, 1, 2, 10, 100))
        elif op == 2 and buf:  # delete a range
            end = min(len(buf), pos + rng.randint(1, 2000))
            del buf[pos:end]
        elif op == 3 and buf:  # duplicate a range
            end = min(len(buf), pos + rng.randint(1, 4000))
            buf[pos:pos] = buf[pos:end]
        elif op == 4:  # splice another page in
            other = rng.choice(pool)
            start = rng.randint(0, len(other))
            buf[pos:pos] = other[start : start + rng.randint(1, 5000)]
        elif op == 5:  # random bytes
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        else:  # random printable markup soup
            alphabet = b"|-:<>/tdrh =\"'\n #*_`[]()!&;0123456789abcTCPUD"
            buf[pos:pos] = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 300)))
    return bytes(buf[:MAX_INPUT])


def generate(rng: random.Random) -> bytes:
    """Text from scratch: a random table in a random shape."""
    cols = rng.randint(1, 6)
    names = ["Port", "Ports", "Protocol", "Component", "Notes", "x", ""]
    words = ["22", "6443", "2379-2380", "TCP", "UDP", "N/A", "any", "", "six", "0", "kubelet"]
    header = [rng.choice(names) for _ in range(cols)]
    rows = []
    for _ in range(rng.randint(0, 30)):
        rows.append([rng.choice(words) for _ in range(rng.randint(0, cols + 1))])
    if rng.random() < 0.5:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * cols]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        title = rng.choice(["Worker nodes", "Control-plane nodes", "Other"])
        text = f"# {title}\n\n" + "\n".join(lines)
    else:
        cells = "".join(f"<th>{h}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
        text = f"<h2>Worker nodes</h2><table><tr>{cells}</tr>{body}</table>"
    return text.encode()


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Hang


Failure = tuple[str, bytes, str]


def run_batch(args: tuple[int, int, int]) -> tuple[dict[str, int], list[Failure], float]:
    seed, start, count = args
    from konvoy_portspec.errors import PortSpecError
    from konvoy_portspec.extraction import extract_bytes

    signal.signal(signal.SIGALRM, _alarm)
    pool = seeds()
    rng = random.Random(seed * 1_000_003 + start)
    counts = {"ok": 0, "portspec_error": 0, "other": 0, "hang": 0}
    bad: list[Failure] = []
    slowest = 0.0
    for _ in range(count):
        data = generate(rng) if rng.random() < 0.2 else mutate(rng, rng.choice(pool), pool)
        began = time.perf_counter()
        signal.alarm(HANG_SECONDS)
        try:
            extract_bytes(data, name="<fuzz>", release="v0.0")
            counts["ok"] += 1
        except PortSpecError:
            counts["portspec_error"] += 1
        except _Hang:
            counts["hang"] += 1
            bad.append(("hang", data, f"over {HANG_SECONDS} s"))
        except Exception as exc:  # the contract: nothing else may escape
            counts["other"] += 1
            bad.append(("exception", data, f"{type(exc).__name__}: {exc}"))
        finally:
            signal.alarm(0)
        slowest = max(slowest, time.perf_counter() - began)
    return counts, bad, slowest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="inputs (default 100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    batch = 500
    tasks = [(args.seed, s, min(batch, args.n - s)) for s in range(0, args.n, batch)]
    total = {"ok": 0, "portspec_error": 0, "other": 0, "hang": 0}
    failures: list[tuple[str, bytes, str]] = []
    slowest = 0.0
    began = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        for counts, bad, slow in pool.map(run_batch, tasks):
            for key, value in counts.items():
                total[key] += value
            failures += bad
            slowest = max(slowest, slow)
    elapsed = time.perf_counter() - began
    if failures:
        FAILURES.mkdir(parents=True, exist_ok=True)
        for i, (kind, data, why) in enumerate(failures[:200]):
            (FAILURES / f"{i:04d}-{kind}.bin").write_bytes(data)
            (FAILURES / f"{i:04d}-{kind}.txt").write_text(why + "\n")
    print(
        f"fuzz: {args.n:,} inputs (seed {args.seed}) in {elapsed:.0f} s: "
        f"{total['ok']:,} specs, {total['portspec_error']:,} PortSpecError, "
        f"{total['other']} other exceptions, {total['hang']} over {HANG_SECONDS} s; "
        f"slowest input {slowest:.2f} s"
    )
    for kind, _, why in failures[:10]:
        print(f"  {kind}: {why}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
