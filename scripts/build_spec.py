"""Regenerate the bundled spec (``spec/konvoy/vX.Y.json``) from the corpus pages.

    python scripts/build_spec.py [--corpus ../shared/corpus/konvoy] [--check]

The bundled files are the extractor's output and nothing else: ``--check`` (and the
test suite) regenerate them and fail on any byte of difference, so a release cannot
change silently, neither by a hand edit nor by an extractor change.
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from konvoy_portspec.extraction import extract_file  # noqa: E402
from konvoy_portspec.io.files import write_atomic  # noqa: E402
from konvoy_portspec.io.spec_json import dumps  # noqa: E402
from konvoy_portspec.release_names import looks_like_release, sort_key  # noqa: E402

DEFAULT_CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "konvoy")
PRODUCT = "konvoy"


def build_all(corpus: str = DEFAULT_CORPUS) -> dict[str, str]:
    """Canonical JSON text of every release page in the corpus, by release name."""
    out: dict[str, str] = {}
    names = [n for n in os.listdir(corpus) if looks_like_release(n)]
    for release in sorted(names, key=sort_key):
        page = os.path.join(corpus, release, "ports.md")
        if os.path.isfile(page):
            spec = extract_file(
                page, release=release, product=PRODUCT, source_name=f"{PRODUCT}/{release}/ports.md"
            )
            out[release] = dumps(spec)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--out", default=os.path.join(ROOT, "spec", PRODUCT))
    parser.add_argument("--check", action="store_true", help="fail if a bundled file differs")
    args = parser.parse_args(argv)
    built = build_all(args.corpus)
    stale = []
    for release, text in built.items():
        target = os.path.join(args.out, f"{release}.json")
        current = None
        if os.path.exists(target):
            with open(target, encoding="utf-8") as fh:
                current = fh.read()
        if current == text:
            continue
        if args.check:
            stale.append(release)
        else:
            write_atomic(target, text)
            print(f"wrote {target}")
    if stale:
        print(f"bundled spec differs from the corpus for: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
