"""``portspec validate [RELEASE|FILE ...]``: role-consistency invariants of specs.

Without arguments every bundled release is checked. A ``.json`` argument is read as
spec JSON and schema-checked first: schema problems are reported as violations of the
``schema`` invariant (exit 1), not as a load failure. Inputs that cannot be read at all
are reported on stderr and make the exit code 3, after the others were validated.
"""

from __future__ import annotations

import argparse
import os
import sys

from konvoy_portspec.cli._common import add_output, emit, names_release

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's start path (every --help builds this)
    from typing import Any

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
        help="bundled release (v2.1, latest), spec .json file, or docs page",
    )
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="role policy JSON (default: the bundled spec/policy.json)",
    )
    p.add_argument("--format", "-f", choices=FORMATS, default="text")
    add_output(p)
    p.set_defaults(func=run)


def _read_json(path: str) -> Any:
    from konvoy_portspec.errors import SpecFormatError
    from konvoy_portspec.io.files import parse_json, read_bytes

    name, raw = read_bytes(path, SpecFormatError, "spec file")
    return parse_json(raw, SpecFormatError, name)


def _check_one(arg: str, policy: Any) -> tuple[str, str | None, list[Any]]:
    """(label, release, violations) of one input; raises PortSpecError if unreadable."""
    from konvoy_portspec.analysis.validation import validate, validate_data

    if arg.endswith(".json") and os.path.isfile(arg):
        data = _read_json(arg)
        spec, violations = validate_data(data, policy)
        release = spec.release if spec is not None else None
        if release is None and isinstance(data, dict) and isinstance(data.get("release"), str):
            release = data["release"]
        return arg, release, violations
    from konvoy_portspec.cli._common import load_spec

    spec = load_spec(arg)
    label = spec.release if names_release(arg) else arg
    return label, spec.release, validate(spec, policy)


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.analysis.validation import load_policy
    from konvoy_portspec.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, PortSpecError

    policy = load_policy(args.policy)
    if args.inputs:
        inputs = list(args.inputs)
    else:
        from konvoy_portspec.io.bundled import releases

        inputs = releases()
    results: list[tuple[str, str | None, list[Any]]] = []
    unreadable = 0
    for arg in inputs:
        try:
            results.append(_check_one(arg, policy))
        except PortSpecError as exc:
            print(f"portspec: error: {exc}", file=sys.stderr)
            unreadable += 1
    if args.format == "json":
        text = _as_json(results)
    else:
        text = _as_text(results, unreadable)
    emit(text, args.output)
    if unreadable:
        return EXIT_INPUT
    if any(v.is_error for _, _, violations in results for v in violations):
        return EXIT_FINDINGS
    return EXIT_OK


def _as_text(results: list[tuple[str, str | None, list[Any]]], unreadable: int) -> str:
    lines = [f"{label}: {v}" for label, _, violations in results for v in violations]
    errors = sum(v.is_error for _, _, vs in results for v in vs)
    warnings = sum(not v.is_error for _, _, vs in results for v in vs)
    failed = sum(any(v.is_error for v in vs) for _, _, vs in results)
    summary = (
        f"validated {len(results)} spec{'s' if len(results) != 1 else ''}: "
        f"{failed} failed, {errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
    )
    if unreadable:
        summary += f", {unreadable} unreadable"
    return "\n".join([*lines, summary])


def _as_json(results: list[tuple[str, str | None, list[Any]]]) -> str:
    import json

    from konvoy_portspec.io.spec_json import rule_to_dict

    out = [
        {
            "id": v.invariant,
            "severity": v.severity,
            "release": release,
            "source": label,
            "role": v.role,
            "rule": rule_to_dict(v.rule) if v.rule is not None else None,
            "message": v.message,
        }
        for label, release, violations in results
        for v in violations
    ]
    return json.dumps(out, indent=2, ensure_ascii=False)
