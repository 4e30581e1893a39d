"""The ``portspec(1)`` man page, generated from the same parser as ``--help``.

The parser is walked into reStructuredText (name, synopsis, description, options, one
section per command with its usage, options, notes and examples, exit status,
environment), which docutils' manpage writer turns into roff. docutils is already the
Sphinx extra's dependency, so the man page needs nothing new; it is imported only here.

    python -m konvoy_portspec.cli.manpage [-o portspec.1] [--rst]

The output has no date in it, so the same code gives the same bytes (packagers can
rebuild it and compare).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable

from konvoy_portspec.errors import PortSpecError

#: Columns of the usage blocks (a man page is read at 80 columns or more).
WIDTH = 78

ENVIRONMENT = (
    ("NO_COLOR", "when set (to anything), the text formats are never coloured"),
    ("FORCE_COLOR", "when set, the text formats are coloured even when not on a terminal"),
    ("COLUMNS", "the width that --help wraps to"),
)

_RST_SPECIAL = re.compile(r"([\\*`_|])")


def escape(text: str) -> str:
    """Text as reST shows it literally: markup characters are backslash-escaped."""
    return _RST_SPECIAL.sub(r"\\\1", text)


def _literal(text: str) -> str:
    """An inline literal (``...``) of text that holds no backquotes pair."""
    return f"``{text}``" if "``" not in text else escape(text)


def _heading(text: str, char: str, over: bool = False) -> list[str]:
    rule = char * len(text)
    return [rule, text, rule, ""] if over else [text, rule, ""]


def _block(text: str) -> list[str]:
    """A literal block of ``text`` (an indented block after ``::``)."""
    return ["::", "", *[f"  {line}" if line else "" for line in text.splitlines()], ""]


def _formatter(parser: argparse.ArgumentParser) -> argparse.HelpFormatter:
    formatter: argparse.HelpFormatter = parser.formatter_class(prog=parser.prog, width=WIDTH)  # type: ignore[call-arg]
    return formatter


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = _formatter(parser)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _options(parser: argparse.ArgumentParser) -> list[str]:
    """A definition list: each argument's invocation (``-f {text,json}, --format
    {text,json}``), then its help."""
    formatter = _formatter(parser)
    lines: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        invocation = formatter._format_action_invocation(action)
        text = formatter._expand_help(action) if action.help else ""
        if action.choices is not None and action.option_strings:
            # `-f FORMAT, --format FORMAT` and the choices in the text: a `{a,b,...}`
            # list in the term would not fit a line (nor, long, in any terminal).
            metavar = action.metavar or action.dest.upper()
            invocation = ", ".join(f"{option} {metavar}" for option in action.option_strings)
            listed = f"{metavar}: one of {', '.join(map(str, action.choices))}"
            text = f"{text.rstrip('.')}; {listed}" if text else listed
        if action.default not in (None, False, argparse.SUPPRESS) and action.option_strings:
            text += f" (default: {action.default})"
        lines += [_literal(invocation), f"    {escape(' '.join(text.split()))}", ""]
    return lines


def _paragraphs(text: str | None) -> list[str]:
    """Help text as the help formatter lays it out: a paragraph whose later lines are
    indented (examples, the exit-code table) is a heading line and a literal block."""
    lines: list[str] = []
    for paragraph in (text or "").split("\n\n"):
        rows = paragraph.splitlines()
        if not rows:
            continue
        if any(row[:1] == " " for row in rows[1:]):
            import textwrap

            lines += [escape(rows[0].strip()), "", *_block(textwrap.dedent("\n".join(rows[1:])))]
        else:
            lines += [escape(" ".join(paragraph.split())), ""]
    return lines


def _commands(parser: argparse.ArgumentParser) -> Iterable[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def manpage_rst(parser: argparse.ArgumentParser) -> str:
    """The man page of ``parser`` (the ``portspec`` parser with all its commands) as
    reStructuredText for docutils' manpage writer."""
    from konvoy_portspec.cli import EXIT_CODES
    from konvoy_portspec.version import __version__

    name = parser.prog
    lines = [
        *_heading(name, "=", over=True),
        *_heading(escape(parser.description or name), "-", over=True),
        ":Manual section: 1",
        ":Manual group: konvoy-portspec",
        f":Version: {__version__}",
        "",
        *_heading("SYNOPSIS", "="),
        f"**{name}** [**-h**] [**-V**] *COMMAND* [*OPTIONS*] [*ARGUMENTS*]",
        "",
        *_heading("DESCRIPTION", "="),
        escape(
            f"{name} turns the port tables of Konvoy documentation pages into a versioned "
            "spec (one JSON file per release, bundled with the program) and works with it: "
            "it compares releases, pages and spec files, shows and exports a release's "
            "ports, and checks pages, firewall rules and hosts against them. Where a "
            "command reads a spec, it takes a bundled release name (v2.1, 2.1, latest), a "
            "spec JSON file, a docs page, REV:path from git, or - for standard input. "
            f"{name} with no arguments prints the overview help."
        ),
        "",
        *_heading("OPTIONS", "="),
        *_options(parser),
        *_heading("COMMANDS", "="),
    ]
    for command, sub in _commands(parser):
        lines += [
            *_heading(f"{name} {command}", "-"),
            *_block(_usage(sub)),
            *_paragraphs(sub.description),
            *_options(sub),
            *_paragraphs(sub.epilog),
        ]
    exit_table = EXIT_CODES.split("\n\n")[0].split("\n", 1)[1]
    lines += [*_heading("EXIT STATUS", "="), *_block(_dedent(exit_table))]
    lines += _heading("ENVIRONMENT", "=")
    for variable, meaning in ENVIRONMENT:
        lines += [_literal(variable), f"    {escape(meaning)}", ""]
    lines += [
        *_heading("SEE ALSO", "="),
        escape(f"{name} COMMAND --help; the project's README and docs (docs/cli.rst)."),
        "",
    ]
    return "\n".join(lines)


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)


def manpage(parser: argparse.ArgumentParser) -> str:
    """The man page of ``parser`` in roff (``man -l`` reads it)."""
    try:
        from docutils.core import publish_string
        from docutils.writers.manpage import Writer
    except ImportError:
        raise PortSpecError(
            "the man page needs docutils (pip install 'konvoy-portspec[sphinx]')"
        ) from None
    # halt_level 2: a warning about the generated reST is a bug here, not a page to ship.
    settings = {"report_level": 2, "halt_level": 2, "output_encoding": "utf-8"}
    roff = publish_string(manpage_rst(parser), writer=Writer(), settings_overrides=settings)
    return roff.decode("utf-8") if isinstance(roff, bytes) else str(roff)


def main(argv: list[str] | None = None) -> int:
    """``python -m konvoy_portspec.cli.manpage``: write the man page."""
    from konvoy_portspec.cli import build_parser
    from konvoy_portspec.cli._common import emit

    options = argparse.ArgumentParser(
        prog="python -m konvoy_portspec.cli.manpage",
        description="Write the portspec(1) man page, generated from portspec's parser.",
    )
    options.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically)")
    options.add_argument("--rst", action="store_true", help="print the reST source instead")
    args = options.parse_args(argv)
    parser = build_parser()
    try:
        emit(manpage_rst(parser) if args.rst else manpage(parser), args.output)
    except PortSpecError as exc:
        print(f"portspec: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
