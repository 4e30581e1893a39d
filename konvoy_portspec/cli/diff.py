"""``portspec diff OLD NEW``: what changed in the ports between two releases, spec files
or docs pages."""

from __future__ import annotations

import argparse

# The diff engine and the formatter table are light (no parser, no dataclasses) and every
# diff run needs them, so they are imported up front and the parser's choices (formats,
# change kinds) are read from them, not copied.
from konvoy_portspec.analysis.diff import KINDS, diff, require_roles, role_ids
from konvoy_portspec.cli._common import (
    add_output,
    emit,
    load_spec,
    stdin_once,
    unknown_choice,
    use_color,
)
from konvoy_portspec.errors import EXIT_FINDINGS, EXIT_OK
from konvoy_portspec.model import Spec
from konvoy_portspec.output.diff_formats import FORMATTERS, format_diff
from konvoy_portspec.output.formatter import describe

#: The ``--format`` choices, in the formatter table's order (the first is the default).
FORMATS = tuple(FORMATTERS)

SIDE_HELP = "bundled release (v2.1, 2.1, latest), spec .json, docs page, REV:path, or - (stdin)"


def parse_kinds(text: str) -> tuple[str, ...]:
    """``added,moved`` -> ``("added", "moved")``; an unknown kind is a usage error."""
    kinds = tuple(k.strip().lower() for k in text.split(",") if k.strip())
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise unknown_choice("change kind", bad[0], KINDS)
    if not kinds:
        raise argparse.ArgumentTypeError(f"no change kind given (choose from {', '.join(KINDS)})")
    return kinds


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "diff",
        help="show the port changes between two releases, spec files or docs pages",
        description="Compare two sides (bundled releases, spec JSON files, docs pages, or "
        "REV:path from git) rule by rule: added (+), removed (-), changed (~: notes, "
        "component, or a range that grew/shrank) and moved (>: a component's port moved). "
        "Exit 0 whether or not there are changes, unless --exit-code or --fail-on.",
        epilog=f"formats: {describe(FORMATTERS)}. The text format is coloured on a terminal "
        "unless NO_COLOR is set.",
    )
    p.add_argument("old", help=f"old side: {SIDE_HELP}")
    p.add_argument("new", help=f"new side: {SIDE_HELP}")
    p.add_argument("--format", "-f", choices=FORMATS, default=FORMATS[0])
    p.add_argument(
        "--role",
        action="append",
        metavar="ROLE",
        help="only this role (control-plane, worker, ...); repeatable",
    )
    p.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when there are changes (like git diff --exit-code)",
    )
    p.add_argument(
        "--fail-on",
        type=parse_kinds,
        metavar="KIND[,KIND]",
        help=f"exit 1 only when there are changes of these kinds ({', '.join(KINDS)})",
    )
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text format (auto: on a terminal, never with NO_COLOR set)",
    )
    add_output(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stdin_once((args.old, args.new))
    old = load_spec(args.old, label="old side")
    new = load_spec(args.new, label="new side")
    if args.role:
        require_roles(args.role, role_ids(old, new), "on either side")

        def restrict(spec: Spec) -> Spec:
            return spec.with_roles(r for r in spec.roles.ordered if r.id in args.role)

        old, new = restrict(old), restrict(new)
    d = diff(old, new)
    writing_file = bool(args.output) and args.output != "-"
    if args.color == "always":
        color = True
    elif args.color == "never" or writing_file:
        color = False
    else:
        color = use_color()
    emit(format_diff(d, args.format, color=color), args.output)
    if args.fail_on:
        return EXIT_FINDINGS if d.of_kind(*args.fail_on) else EXIT_OK
    if args.exit_code:
        return EXIT_FINDINGS if d else EXIT_OK
    return EXIT_OK
