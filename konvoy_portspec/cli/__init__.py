"""``portspec`` command line: parse -> build -> run; ``run()`` returns the exit code.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and
``run(args) -> int``. Only argparse is imported up front; each command imports what it
needs when it runs, so ``portspec diff v1.8 v2.1`` never loads a markdown or HTML parser.

Beyond argparse: ``portspec`` alone prints the overview help (exit 0), every command's
help ends with examples (:mod:`konvoy_portspec.cli.examples`), a mistyped command,
option, choice, release or role gets a "did you mean" (:mod:`konvoy_portspec.cli.suggest`),
and a shell's completion request (``_ARGCOMPLETE`` set by the script that
``portspec completion SHELL`` prints) is answered before anything else runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from konvoy_portspec.errors import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_PIPE,
    EXIT_USAGE,
    PortSpecError,
)

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
    "completion": "completion",
}

EXIT_CODES = """\
exit codes:
  0  success (for diff: also when there are changes, unless --exit-code/--fail-on)
  1  the command found something: changes (diff --exit-code/--fail-on), drift (check,
     check-rules), rule violations (validate), busy ports (preflight), failed pages (scan),
     rows left out of a page (extract --keep-going)
  2  usage error: unknown option, missing argument
  3  input error: unreadable or unparseable file, no port table, unknown release or role
  4  output error: the output file could not be written (nothing partial is left)
  141  the output pipe was closed early (as a process ended by SIGPIPE)

`portspec` alone prints this help (exit 0); `portspec COMMAND --help` shows a command's
options and examples.
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
    """argparse's formatter without its ``import shutil`` (only for the terminal width),
    that keeps indented blocks (examples, the exit-code table) as written.

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

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        """Paragraphs (split at blank lines) are wrapped, unless a line after the first
        is indented: ``examples:`` and ``exit codes:`` blocks keep their lines."""
        out = []
        for paragraph in text.split("\n\n"):
            lines = paragraph.splitlines()
            if any(line[:1] == " " for line in lines[1:]):
                out.append("\n".join(indent + line for line in lines))
            else:
                out.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(out)


class _Parser(argparse.ArgumentParser):
    """A parser that uses :class:`_Formatter`, ends a command's help with its examples,
    and suggests the nearest valid name for a mistyped command, choice or option.

    The examples table and the suggestions (:mod:`konvoy_portspec.cli.examples`,
    :mod:`konvoy_portspec.cli.suggest`) are imported only when help or an error is
    printed: a correct command line does not load them.
    """

    _own_epilog: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    @property
    def epilog(self) -> str | None:
        """The epilog the command gave, then its examples from the table (unless it
        added its own with :func:`konvoy_portspec.cli._common.add_examples`)."""
        from konvoy_portspec.cli.examples import EXAMPLES, HEADING, examples_epilog

        own = self._own_epilog
        command = self.prog.rpartition(" ")[2]
        if " " in self.prog and command in EXAMPLES and HEADING not in (own or ""):
            return examples_epilog(EXAMPLES[command], own)
        return own

    @epilog.setter
    def epilog(self, value: str | None) -> None:
        self._own_epilog = value

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is None or value in choices:
            return
        from konvoy_portspec.cli.suggest import did_you_mean

        names = [str(c) for c in choices]
        hint = did_you_mean(str(value), names)
        raise argparse.ArgumentError(
            action, f"invalid choice: {value!r}{hint} (choose from {', '.join(names)})"
        )

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """As argparse's, but unrecognized arguments are reported by the command's own
        parser (with its usage) and with the nearest option."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            from konvoy_portspec.cli.suggest import unknown_options

            target = _command_parser(self, getattr(parsed, "command", None)) or self
            options = [o for a in target._actions for o in a.option_strings]
            target.error(unknown_options(extras, options))
        return parsed


def _command_parser(
    parser: argparse.ArgumentParser, command: str | None
) -> argparse.ArgumentParser | None:
    """The subparser of ``command`` (None if there is none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            sub: argparse.ArgumentParser = action.choices[command]
            return sub
    return None


class _Version(argparse.Action):
    """``-V``/``--version``: the version and the range of bundled releases. The release
    list is read only when asked for, so it costs no other run anything."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print the version and the bundled releases, then exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(version_text())
        parser.exit()


def version_text() -> str:
    """``portspec 0.1.0 (bundled releases v1.5-v2.3)``."""
    from konvoy_portspec.io.bundled import releases
    from konvoy_portspec.version import __version__

    names = releases()
    if not names:
        bundled = "no bundled releases"
    elif len(names) == 1:
        bundled = f"bundled release {names[0]}"
    else:
        bundled = f"bundled releases {names[0]}-{names[-1]}"
    return f"portspec {__version__} ({bundled})"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``portspec`` parser; with ``only``, just that subcommand's parser.

    Building all subparsers costs every run several milliseconds (argparse looks up
    translations for each argument), so a run that names its command builds one.
    """
    parser = _Parser(
        prog="portspec",
        description="Konvoy port documentation as a versioned spec: extract, diff, render, check.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("-V", "--version", action=_Version)
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
    if not args_list:  # as `portspec --help`: asking for nothing is not a mistake
        build_parser().print_help()
        return EXIT_OK
    if args_list in (["-V"], ["--version"]):  # without building the parser
        print(version_text())
        return EXIT_OK
    command = args_list[0] if args_list[0] in COMMANDS else None
    parser = build_parser(command)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    out_of_memory = False
    try:
        code: int = args.func(args)
    except PortSpecError as exc:
        from konvoy_portspec.cli._common import report_error

        report_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``portspec show v2.1 | head``): stop quietly, with the
        # status of a process ended by SIGPIPE, as `cat` would, so `set -o pipefail`
        # does not mistake a cut-short check for a passed one.
        _silence_stdout()
        return EXIT_PIPE
    except UnicodeDecodeError as exc:
        print(f"portspec: error: not UTF-8 text: {exc.reason}", file=sys.stderr)
        return EXIT_INPUT
    except RecursionError:
        print("portspec: error: input nested too deeply to read", file=sys.stderr)
        return EXIT_INPUT
    except MemoryError:
        # Report after the except block: only then are the frames holding the input's
        # objects gone, so writing the message cannot run out of memory again.
        out_of_memory = True
    except OSError as exc:  # stdout on a full disk, a closed terminal: not a finding
        _silence_stdout()
        print(f"portspec: error: cannot write output: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_OUTPUT
    if out_of_memory:
        os.write(2, b"portspec: error: not enough memory for this input\n")
        return EXIT_INPUT
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
    if "_ARGCOMPLETE" in os.environ:  # a shell asks for completions: see `completion`
        from konvoy_portspec.cli.completion import autocomplete

        sys.exit(autocomplete(build_parser()))
    try:
        code = run()
    except MemoryError:  # raised again while an error was being reported
        os.write(2, b"portspec: error: not enough memory for this input\n")
        code = EXIT_INPUT
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
