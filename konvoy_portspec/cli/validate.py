"""``portspec validate [RELEASE|FILE ...]``: role-consistency invariants of specs.

Without arguments every bundled release is checked. A ``.json`` argument is read as
spec JSON and schema-checked first: schema problems are reported as violations of the
``schema`` invariant (exit 1), not as a load failure. Inputs that cannot be read at all
are reported on stderr (and, with ``--format json``, in the report's summary) and make
the exit code 3, after the others were validated.
"""

from __future__ import annotations

import argparse
import os

from konvoy_portspec.cli._common import add_output, emit, load_spec, report_error, stdin_once
from konvoy_portspec.release_names import names_release

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's start path (every --help builds this)
    from konvoy_portspec.analysis.policy import Policy
    from konvoy_portspec.output.validation_report import Checked

FORMATS = ("text", "json")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate",
        help="check specs for role-consistency invariants (conflicts, policy, NodePorts)",
        description="Check bundled releases, spec JSON files or docs pages against the "
        "invariants in konvoy_portspec.analysis.validation (port ranges, protocols, schema, port "
        "conflicts, duplicates, per-component ports across roles, role policy, cluster-wide "
        "ranges). Without arguments, every bundled release is checked. Exit 0 when all "
        "hold, 1 when an error-severity invariant is broken, 3 when an input is unreadable.",
    )
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="RELEASE|FILE",
        help="bundled release (v2.1, latest), spec .json file, docs page, or - (stdin)",
    )
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="role policy JSON, - for stdin (default: the bundled spec/policy.json)",
    )
    p.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        default="text",
        help='text: one line per violation and a summary; json: {"summary", "violations"} '
        "(spec/validate.schema.json), unreadable inputs listed in the summary",
    )
    add_output(p)
    p.set_defaults(func=run)


def _read_json(path: str) -> object:
    from konvoy_portspec.errors import SpecFormatError
    from konvoy_portspec.io.files import MAX_SPEC_SIZE, parse_json, read_bytes

    name, raw = read_bytes(path, SpecFormatError, "spec file", limit=MAX_SPEC_SIZE)
    return parse_json(raw, SpecFormatError, name)


def _check_one(arg: str, policy: Policy) -> Checked:
    """(label, release, violations) of one input; raises PortSpecError if unreadable."""
    from konvoy_portspec.analysis.validation import validate, validate_data

    if arg.endswith(".json") and os.path.isfile(arg):
        data = _read_json(arg)
        spec, violations = validate_data(data, policy)
        release = spec.release if spec is not None else None
        if release is None and isinstance(data, dict) and isinstance(data.get("release"), str):
            release = data["release"]
        return arg, release, violations
    spec = load_spec(arg)
    label = spec.release if names_release(arg) else arg
    return label, spec.release, validate(spec, policy)


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.analysis.policy import load_policy
    from konvoy_portspec.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, PortSpecError
    from konvoy_portspec.output.validation_report import format_json, format_text

    stdin_once([args.policy, *args.inputs])
    policy = load_policy(args.policy)  # ``-`` reads it from standard input
    if args.inputs:
        inputs = list(args.inputs)
    else:
        from konvoy_portspec.io.bundled import releases

        inputs = releases()
    results: list[Checked] = []
    unreadable: list[tuple[str, PortSpecError]] = []
    for arg in inputs:
        try:
            results.append(_check_one(arg, policy))
        except PortSpecError as exc:
            report_error(exc)
            unreadable.append((arg, exc))
    formatter = format_json if args.format == "json" else format_text
    emit(formatter(results, unreadable), args.output)
    if unreadable:
        return EXIT_INPUT
    if any(v.is_error for _, _, violations in results for v in violations):
        return EXIT_FINDINGS
    return EXIT_OK
