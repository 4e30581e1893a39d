"""What a scan learnt about each page, kept between runs (``portspec scan --cache FILE``).

CI scans the same docs tree on every change, and between two runs almost every page is
the same. Parsing the pages the prefilter lets through is most of a scan's cost, so
their results are kept, keyed by the page's path and the sha256 of its bytes (the
release can come from the path). Pages the prefilter rules out are never stored: it
is cheaper to run it again than to look them up.

The cache is restored from CI storage, so it is an input like any other and trusted
only as far as it is checked:

- it is used only when it was written by the same code: it is stamped with a
  fingerprint of this package's source and the versions of the parsers, and a cache
  with another stamp, or one that is not a cache at all (not JSON, another shape), is
  dropped whole and rebuilt, quietly, as on a first run;
- a cache that cannot be read, or not safely (no permission, not a regular file, too
  large, JSON nested deeper or numbers longer than Python parses), is
  :class:`UnusableCache`: the caller warns, scans without it and writes a new one
  (over a regular file only);
- each entry is checked for the shape this code writes (:func:`is_cache_entry`); one
  that fails is a miss, and the page is parsed again.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from typing import Any

from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.io.files import read_bytes, write_atomic
from konvoy_portspec.io.schema_check import conforms, control_character
from konvoy_portspec.model import SCHEMA_VERSION

#: Raise when the shape of an entry changes.
FORMAT = 1
#: The modules the extractor parses with.
_PARSERS = ("markdown_it", "bs4", "yaml")
#: The package's folder (this module is konvoy_portspec/analysis/scan/cache.py).
_PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: A cache larger than this is not read (an 8,000-page tree's cache is 0.6 MB).
MAX_CACHE_SIZE = 256 * 1024 * 1024

#: What the cache keeps about one page, as JSON data: ``{"tables": n, "release": ...,
#: "product": ..., "roles": [...]}`` for a page with port tables, ``{"error": message,
#: "line": n}`` for a page that could not be parsed, ``{}`` for a page parsed and found
#: to hold no port table.
CacheEntry = dict[str, Any]


class UnusableCache(PortSpecError):
    """A cache file that is there but cannot be read safely. ``replaceable`` is False
    when it is not a regular file (a device, a FIFO, a folder): it is then neither used
    nor written over."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        replaceable: bool = True,
    ) -> None:
        super().__init__(message, path=path, line=line)
        self.replaceable = replaceable


def source_files() -> list[str]:
    """Every source file of the package, sorted: the code a cached result depends on."""
    sources = []
    for top, dirs, files in os.walk(_PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        sources += [os.path.join(top, f) for f in files if f.endswith((".py", ".json"))]
    return sorted(sources)


def fingerprint() -> str:
    """A stamp that changes whenever the code that produced the results could have: every
    source file of this package, Python's version (html.parser and tomllib come with
    it), and the installed parsers' files. The parsers are located, not imported (that
    would cost more than the cache saves on a small tree)."""
    import hashlib
    from importlib.util import find_spec

    digest = hashlib.sha256(f"format {FORMAT}\npython {sys.version}\n".encode())
    for source in source_files():
        digest.update(os.path.relpath(source, _PACKAGE).encode() + b"\0")
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
        info = os.stat(origin)
        digest.update(f"{module} {origin} {info.st_size} {info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def key(path: str, raw: bytes) -> str:
    """The page's absolute path and content: the two things its result depends on."""
    # Imported here: a scan without a cache never hashes a page, and hashlib is a few
    # milliseconds of the time before the workers start.
    import hashlib

    # fsencode: a file name need not be UTF-8 (Python holds such bytes as surrogates).
    return hashlib.sha256(os.fsencode(os.path.abspath(path)) + b"\0" + raw).hexdigest()


def load(path: str, stamp: str) -> dict[str, CacheEntry]:
    """The entries of the cache at ``path``; empty when there is none yet, when it was
    written by other code, or when it is not a cache (it is then rebuilt).

    Raises :class:`UnusableCache` for a file that cannot be read safely.
    """
    if not os.path.exists(path):
        return {}
    try:
        # A FIFO or a device (--cache /dev/zero) is refused before it is read; so is a
        # file too large to parse.
        _, raw = read_bytes(path, UnusableCache, "cache file", limit=MAX_CACHE_SIZE)
    except UnusableCache as exc:
        exc.replaceable = _is_regular_file(path)
        raise
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}  # truncated or not JSON: not a cache, rebuilt like a missing one
    except RecursionError:
        raise UnusableCache("JSON nested too deeply", path=path) from None
    except ValueError:  # an integer longer than Python converts (sys.int_info)
        raise UnusableCache("holds a number too long to read", path=path) from None
    except MemoryError:
        raise UnusableCache("too large to parse", path=path) from None
    if not isinstance(data, dict) or data.get("fingerprint") != stamp:
        return {}
    pages = data.get("pages")
    if not isinstance(pages, dict):
        return {}
    return {k: v for k, v in pages.items() if isinstance(k, str) and isinstance(v, dict)}


def _is_regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def save(path: str, stamp: str, entries: dict[str, CacheEntry]) -> None:
    """Write the cache atomically; raises ``OutputError`` when it cannot be written."""
    document = {"fingerprint": stamp, "pages": dict(sorted(entries.items()))}
    write_atomic(path, json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")


# --- the shape of an entry -----------------------------------------------------------------

_PAGE_KEYS = frozenset({"tables", "release", "product", "roles", "warnings"})
_ERROR_KEYS = frozenset({"error", "line"})


def is_cache_entry(entry: object) -> bool:
    """Whether ``entry`` has exactly the shape this code writes (see :data:`CacheEntry`).

    Checked for every entry a scan uses: with the right fingerprint, a hand-edited or
    forged entry such as ``{"page": 5}`` would otherwise read as "no port table" and
    silently drop the page from the results. The roles go through the same check as a
    spec file (:func:`~konvoy_portspec.io.schema_check.conforms`); the page's release
    and product are what its front matter says, so they only need to be one-line text.
    """
    if type(entry) is not dict:
        return False
    keys = entry.keys()
    if not keys:
        return True
    if keys == _ERROR_KEYS:
        line = entry["line"]
        return _one_line(entry["error"]) and (line is None or (type(line) is int and line >= 1))
    if keys != _PAGE_KEYS:
        return False
    tables, release, roles = entry["tables"], entry["release"], entry["roles"]
    if type(tables) is not int or tables < 1 or not (release is None or _one_line(release)):
        return False
    if not _one_line(entry["product"]) or type(roles) is not list or not roles:
        return False
    if not _warnings_ok(entry["warnings"]):
        return False
    spec = {"schema_version": SCHEMA_VERSION, "product": "x", "release": "x", "roles": roles}
    return conforms(spec)


def _warnings_ok(value: object) -> bool:
    """``[[line or null, message], ...]``, as :func:`to_cache_entry` writes them."""
    return type(value) is list and all(
        type(item) is list
        and len(item) == 2
        and (item[0] is None or (type(item[0]) is int and item[0] >= 1))
        and _one_line(item[1])
        for item in value
    )


def _one_line(value: object) -> bool:
    return type(value) is str and control_character(value) is None
