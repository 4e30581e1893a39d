"""``portspec`` command line: parse -> build -> run; ``run()`` returns the exit code.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and
``run(args) -> int``. Only argparse is imported up front; each command imports what it
needs when it runs, so ``portspec diff v1.8 v2.1`` never loads a markdown or HTML parser.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from konvoy_portspec.errors import EXIT_INPUT, EXIT_OUTPUT, EXIT_PIPE, EXIT_USAGE, PortSpecError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Subcommand name -> module under ``konvoy_portspec.cli``; the order is the help order.
COMMANDS: dict[str, str] = {
    "diff": "diff",
    "log": "log",
    "releases": "releases",
    "show": "show",
    "extract": "extract",
    "validate": "validate",
    "export": "export",
    "check": "check",
    "check-rules": "check_rules",
    "preflight": "preflight",
    "scan": "scan",
}

EXIT_CODES = """\
exit codes:
  0  success (for diff: also when there are changes, unless --exit-code/--fail-on)
  1  the command found something: changes (diff --exit-code/--fail-on), drift (check,
     check-rules), rule violations (validate), busy ports (preflight), failed pages (scan)
  2  usage error: unknown option, missing argument
  3  input error: unreadable or unparseable file, no port table, unknown release or role
  4  output error: the output file could not be written (nothing partial is left)
  141  the output pipe was closed early (as a process ended by SIGPIPE)
"""


def _terminal_width() -> int:
    """What ``shutil.get_terminal_size`` would say, without importing shutil."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno() if sys.__stdout__ else 1).columns
    except (OSError, ValueError):
        return 80


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter without its ``import shutil`` (only for the terminal width).

    argparse builds a formatter for every ``add_argument`` call, so the stock one costs
    every run, not just ``--help``, a few milliseconds of start-up.
    """

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(prog, indent_increment, max_help_position, width or _terminal_width() - 2)


class _TopFormatter(_Formatter, argparse.RawDescriptionHelpFormatter):
    """The top-level help keeps the exit-code table in its epilog as written."""


class _Parser(argparse.ArgumentParser):
    """Subcommand parser that uses :class:`_Formatter` unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``portspec`` parser; with ``only``, just that subcommand's parser.

    Building all subparsers costs every run several milliseconds (argparse looks up
    translations for each argument), so a run that names its command builds one.
    """
    parser = argparse.ArgumentParser(
        prog="portspec",
        description="Konvoy port documentation as a versioned spec: extract, diff, render, check.",
        epilog=EXIT_CODES,
        formatter_class=_TopFormatter,
    )
    from konvoy_portspec.version import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    for name, module in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(f"{__name__}.{module}").add_parser(sub)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Run one ``portspec`` command line and return its exit code (never raises for
    user errors: they are printed as ``portspec: error: file:line: message``)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = args_list[0] if args_list and args_list[0] in COMMANDS else None
    parser = build_parser(command)
    try:
        args = parser.parse_args(args_list)
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
        # The reader went away (``portspec show v2.1 | head``): stop quietly, with the
        # status of a process ended by SIGPIPE, as `cat` would, so `set -o pipefail`
        # does not mistake a cut-short check for a passed one.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE
    except UnicodeDecodeError as exc:
        print(f"portspec: error: not UTF-8 text: {exc.reason}", file=sys.stderr)
        return EXIT_INPUT
    except RecursionError:
        print("portspec: error: input nested too deeply to read", file=sys.stderr)
        return EXIT_INPUT
    except MemoryError:
        print("portspec: error: not enough memory for this input", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:  # stdout on a full disk, a closed terminal: not a finding
        _silence_stdout()
        print(f"portspec: error: cannot write output: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_OUTPUT
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's own flush at exit cannot fail
    again and print a traceback of its own."""
    try:  # noqa: SIM105 - contextlib stays off the CLI's start path
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main() -> None:
    """Console-script entry point."""
    code = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        code = code or EXIT_PIPE
    except OSError as exc:
        _silence_stdout()
        print(f"portspec: error: cannot write output: {exc.strerror or exc}", file=sys.stderr)
        code = code or EXIT_OUTPUT
    sys.exit(code)
