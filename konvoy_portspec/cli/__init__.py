"""``portspec`` command line: parse -> build -> run; ``run()`` returns the exit code.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and
``run(args) -> int``. Only argparse is imported up front; each command imports what it
needs when it runs, so ``portspec diff v1.8 v2.1`` never loads a markdown or HTML parser.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import EXIT_INPUT, EXIT_USAGE, PortSpecError

#: Subcommand name -> module under ``konvoy_portspec.cli``; the order is the help order.
COMMANDS: dict[str, str] = {
    "extract": "extract",
    "releases": "releases",
    "show": "show",
}

EXIT_CODES = """\
exit codes:
  0  success (for diff: also when there are changes, unless --exit-code/--fail-on)
  1  the command found something: changes (diff --exit-code/--fail-on), drift (check,
     check-rules), rule violations (validate), busy ports (preflight), failed pages (scan)
  2  usage error: unknown option, missing argument
  3  input error: unreadable or unparseable file, no port table, unknown release
  4  output error: the output file could not be written (nothing partial is left)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portspec",
        description="Konvoy port documentation as a versioned spec: extract, diff, render, check.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS.values():
        importlib.import_module(f"{__name__}.{module}").add_parser(sub)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Run one ``portspec`` command line and return its exit code (never raises for
    user errors: they are printed as ``portspec: error: file:line: message``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        code: int = args.func(args)
    except PortSpecError as exc:
        print(f"portspec: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``portspec show v2.1 | head``): not an error of ours.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except UnicodeDecodeError as exc:
        print(f"portspec: error: not UTF-8 text: {exc.reason}", file=sys.stderr)
        return EXIT_INPUT
    return code


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
