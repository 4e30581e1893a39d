"""Helpers shared by the subcommands: loading a side, writing output, colour."""

from __future__ import annotations

import argparse
import os
import sys

from konvoy_portspec.model import Spec
from konvoy_portspec.release_names import looks_like_release


def add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (atomically: a temporary file, then a rename) instead of stdout",
    )


def emit(text: str, output: str | None) -> None:
    """Print ``text``, or write it to ``output`` atomically."""
    if not text.endswith("\n"):
        text += "\n"
    if output and output != "-":
        from konvoy_portspec.io.files import write_atomic

        write_atomic(output, text)
    else:
        write_stdout(text)


#: Bytes per write(2) to stdout. One huge write into a pipe whose reader has gone can
#: report success (seen with `| head -1` on a multi-MB export), so `set -o pipefail`
#: would see 0; writing in pipe-sized pieces makes the next piece fail with EPIPE.
STDOUT_CHUNK = 64 * 1024


def write_stdout(text: str) -> None:
    """Write ``text`` to standard output in pipe-sized pieces (see ``STDOUT_CHUNK``)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a captured or replaced stdout
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    sys.stdout.flush()
    view = memoryview(text.encode("utf-8", "replace"))
    while view:
        view = view[os.write(fd, view[:STDOUT_CHUNK]) :]


def load_spec(arg: str, *, label: str | None = None, release: str | None = None) -> Spec:
    """The spec a command-line argument names: see
    :func:`konvoy_portspec.sides.open_side` (a release, a spec file, a page,
    ``REV:path`` or ``-``)."""
    # Imported here: opening a side may extract a page, and the extraction modules
    # (and, behind them, the parsers) stay off the start of commands that never do.
    from konvoy_portspec.sides import open_side

    return open_side(arg, label=label, release=release)


def names_release(arg: str) -> bool:
    """Whether a command-line argument names a bundled release rather than a file
    (``2.1`` is a release unless a file of that name is there)."""
    return looks_like_release(arg) and not os.path.isfile(arg)


def load_page(arg: str, *, release: str | None = None) -> Spec:
    """A docs page, extracted: a file, ``-`` or ``REV:path`` read from git."""
    from konvoy_portspec.sides import open_page

    return open_page(arg, release=release)


def use_color(stream: object = None) -> bool:
    """Colour only on a terminal, never with ``NO_COLOR`` set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
