"""Helpers shared by the subcommands: loading a side, writing output, colour, examples
in the help, "did you mean" for values a command checks itself."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence

from konvoy_portspec.errors import PortSpecError, UsageError
from konvoy_portspec.io.files import MAX_PAGE_SIZE
from konvoy_portspec.model import Spec

#: The argument that names standard input, for every reader.
STDIN = "-"


def add_examples(parser: argparse.ArgumentParser, examples: Sequence[tuple[str, str]]) -> None:
    """End ``parser``'s help with ``examples:`` ((what it does, command line), ...),
    after its epilog. A command that calls this keeps its own examples instead of those
    in :data:`konvoy_portspec.cli.examples.EXAMPLES`."""
    # Imported here, like the suggestions below: they stay off the start path of
    # commands that never show help or an error.
    from konvoy_portspec.cli.examples import examples_epilog

    # The epilog the command gave: the CLI's parsers show ``parser.epilog`` with the
    # table's examples appended, which these replace.
    own = vars(parser).get("_own_epilog", parser.epilog)
    parser.epilog = examples_epilog(examples, own)


def unknown_choice(what: str, value: str, choices: Sequence[str]) -> argparse.ArgumentTypeError:
    """The error for an ``type=`` function to raise for a value outside ``choices``:
    ``unknown change kind 'add'; did you mean 'added'? (choose from added, ...)``."""
    from konvoy_portspec.cli.suggest import did_you_mean

    return argparse.ArgumentTypeError(
        f"unknown {what} {value!r}{did_you_mean(value, choices)} (choose from {', '.join(choices)})"
    )


def stdin_once(names: Iterable[str | None]) -> None:
    """A usage error when more than one argument reads standard input (``-``): the
    second would find it empty."""
    if sum(1 for name in names if name == STDIN) > 1:
        raise UsageError("only one argument can be - (standard input)")


def report_error(exc: PortSpecError) -> None:
    """``portspec: error: file:line: message`` on stderr, with "did you mean" where the
    error is about a name (the suggestions are imported only now, on an error)."""
    from konvoy_portspec.cli.suggest import describe

    print(f"portspec: error: {describe(exc)}", file=sys.stderr)


def add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (atomically: a temporary file, then a rename) instead of stdout",
    )


def add_max_page_size(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-page-size",
        type=int,
        metavar="BYTES",
        help="report a page larger than BYTES as an error instead of reading it "
        f"(default {MAX_PAGE_SIZE} = 16 MiB)",
    )


def max_page_size(args: argparse.Namespace) -> int:
    """The checked value of ``--max-page-size`` (see :func:`add_max_page_size`)."""
    value: int = MAX_PAGE_SIZE if args.max_page_size is None else args.max_page_size
    if value < 1:
        raise UsageError("--max-page-size must be at least 1")
    return value


def emit(text: str | Iterable[str], output: str | None) -> None:
    """Print ``text``, or write it to ``output`` atomically. ``text`` may come in pieces
    (a large spec), which must then end with a line break themselves."""
    if isinstance(text, str) and not text.endswith("\n"):
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


def write_stdout(text: str | Iterable[str]) -> None:
    """Write ``text`` (or its pieces) to standard output in pipe-sized pieces (see
    ``STDOUT_CHUNK``)."""
    pieces = [text] if isinstance(text, str) else text
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a captured or replaced stdout
        for piece in pieces:
            sys.stdout.write(piece)
        sys.stdout.flush()
        return
    sys.stdout.flush()
    for piece in pieces:
        view = memoryview(piece.encode("utf-8", "replace"))
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


def use_color(stream: object = None) -> bool:
    """Colour only on a terminal, never with ``NO_COLOR`` set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
