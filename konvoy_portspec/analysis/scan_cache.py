"""What a scan learnt about each page, kept between runs (``portspec scan --cache FILE``).

CI scans the same docs tree on every change, and between two runs almost every page is
the same. Parsing the pages the prefilter lets through is most of a scan's cost, so
their results are kept, keyed by the page's path and the sha256 of its bytes (the
release can come from the path). Pages the prefilter rules out are never stored: it
is cheaper to run it again than to look them up.

A cache is only trusted when it was written by the same code: it is stamped with a
fingerprint of this package's source and the versions of the parsers, and a cache with
another stamp, or one that cannot be read, is dropped whole and rebuilt, never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Any

#: Raise when the shape of an entry changes.
FORMAT = 1
#: The modules the extractor parses with.
_PARSERS = ("markdown_it", "bs4", "yaml")

#: An entry: ``{"page": {...}}``, ``{"error": message, "line": n}``, or ``{}`` (the
#: page was parsed and holds no port table).
Entry = dict[str, Any]


def fingerprint() -> str:
    """A stamp that changes whenever the code that produced the results could have: every
    source file of this package, Python's version (html.parser and tomllib come with
    it), and the installed parsers' files. The parsers are located, not imported (that
    would cost more than the cache saves on a small tree)."""
    from importlib.util import find_spec

    digest = hashlib.sha256(f"format {FORMAT}\npython {sys.version}\n".encode())
    package = os.path.dirname(os.path.abspath(__file__))
    sources = []
    for top, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        sources += [os.path.join(top, f) for f in files if f.endswith((".py", ".json"))]
    for source in sorted(sources):
        digest.update(os.path.relpath(source, package).encode() + b"\0")
        with open(source, "rb") as fh:
            digest.update(hashlib.sha256(fh.read()).digest())
    for module in _PARSERS:
        spec = find_spec(module)
        origin = spec.origin if spec is not None else None
        if origin is None:
            digest.update(f"{module} -\n".encode())
            continue
        # Installing another version rewrites the package's files, so the modification
        # time of its entry module changes even when its size does not.
        stat = os.stat(origin)
        digest.update(f"{module} {origin} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def key(path: str, raw: bytes) -> str:
    """The page's absolute path and content: the two things its result depends on."""
    return hashlib.sha256(os.path.abspath(path).encode() + b"\0" + raw).hexdigest()


def load(path: str, stamp: str) -> dict[str, Entry]:
    """The entries of the cache at ``path``; empty when there is none yet, when it was
    written by other code, or when it cannot be read (it is then rebuilt)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("fingerprint") != stamp:
        return {}
    pages = data.get("pages")
    if not isinstance(pages, dict):
        return {}
    return {k: v for k, v in pages.items() if isinstance(k, str) and isinstance(v, dict)}


def save(path: str, stamp: str, entries: dict[str, Entry]) -> None:
    """Write the cache atomically; raises ``OutputError`` when it cannot be written."""
    from konvoy_portspec.io.files import write_atomic

    document = {"fingerprint": stamp, "pages": dict(sorted(entries.items()))}
    write_atomic(path, json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
