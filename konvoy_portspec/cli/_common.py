"""Helpers shared by the subcommands: loading a side, writing output, colour."""

from __future__ import annotations

import argparse
import os
import sys

from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.model import Spec


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
        sys.stdout.write(text)
        sys.stdout.flush()


def load_spec(arg: str, *, label: str | None = None, release: str | None = None) -> Spec:
    """A bundled release (``v2.1``, ``2.1``, ``latest``), a spec ``.json`` file, or a docs
    page (markdown/HTML, extracted on the fly); ``REV:path`` reads a page from git.

    Errors say which side failed when ``label`` is given (``old side: ...``).
    """
    try:
        if names_release(arg):
            from konvoy_portspec.io.bundled import load

            return load(arg)
        if arg.endswith(".json") and os.path.isfile(arg):
            from konvoy_portspec.io.spec_json import load_file

            return load_file(arg)
        return load_page(arg, release=release)
    except PortSpecError as exc:
        if label:
            exc.context = label
        raise


def names_release(arg: str) -> bool:
    """Whether a command-line argument names a bundled release rather than a file
    (``2.1`` is a release unless a file of that name is there)."""
    from konvoy_portspec.release_names import looks_like_release

    return looks_like_release(arg) and not os.path.isfile(arg)


def load_page(arg: str, *, release: str | None = None) -> Spec:
    """A docs page, extracted: a file, or ``REV:path`` read from git."""
    if not os.path.isfile(arg) and ":" in arg:
        from konvoy_portspec.io.git import read_git_page

        return read_git_page(arg, release=release)
    from konvoy_portspec.extraction import extract_file

    return extract_file(arg, release=release)


def use_color(stream: object = None) -> bool:
    """Colour only on a terminal, never with ``NO_COLOR`` set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
