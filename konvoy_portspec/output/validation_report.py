"""What ``portspec validate`` prints: one line per violation and a summary, or the JSON
report (``spec/validate.schema.json``).

The JSON report is an object, like ``diff``'s and ``scan``'s, rather than a bare list of
violations: a list cannot say how many specs were checked or which inputs could not be
read, and a consumer that sees ``[]`` could not tell "all passed" from "nothing read".
A violation's role id is ``role``, as in a diff's change, its invariant id is
``invariant``, as in a policy file's exceptions, and the input it is in is ``input``, as
in the summary's unreadable inputs (``source`` is, in every report, a spec's
``{"file", "sha256"}``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from konvoy_portspec.analysis.validation import Violation
from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.io.json_text import dumps
from konvoy_portspec.io.spec_json import rule_to_dict
from konvoy_portspec.output.escape import terminal_text

#: One validated input: (label shown in output, release of its spec if known, violations).
Checked = tuple[str, str | None, Sequence[Violation]]
#: One input that could not be read: (the argument as given, why).
Unreadable = tuple[str, PortSpecError]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _counts(results: Sequence[Checked]) -> dict[str, int]:
    violations = [v for _, _, vs in results for v in vs]
    return {
        "specs": len(results),
        "failed": sum(any(v.is_error for v in vs) for _, _, vs in results),
        "errors": sum(v.is_error for v in violations),
        "warnings": sum(not v.is_error for v in violations),
    }


def format_text(results: Sequence[Checked], unreadable: Sequence[Unreadable]) -> str:
    """``SOURCE: ROLE: RULE: SEVERITY [INVARIANT] message`` lines, then a summary line
    (unreadable inputs are only counted here: their errors go to stderr).

    Each line goes through :func:`terminal_text`: a spec file that fails the schema may
    hold a role id with a newline or an escape sequence, and its violation still names
    that role."""
    lines = [terminal_text(f"{label}: {v}") for label, _, violations in results for v in violations]
    counts = _counts(results)
    summary = (
        f"validated {_plural(counts['specs'], 'spec')}: {counts['failed']} failed, "
        f"{_plural(counts['errors'], 'error')}, {_plural(counts['warnings'], 'warning')}"
    )
    if unreadable:
        summary += f", {len(unreadable)} unreadable"
    return "\n".join([*lines, summary])


def violation_to_dict(label: str, release: str | None, violation: Violation) -> dict[str, Any]:
    return {
        "invariant": violation.invariant,
        "severity": violation.severity,
        "release": release,
        "input": label,
        "role": violation.role,
        "rule": rule_to_dict(violation.rule) if violation.rule is not None else None,
        "message": violation.message,
    }


def report_to_dict(results: Sequence[Checked], unreadable: Sequence[Unreadable]) -> dict[str, Any]:
    """The ``--format json`` document: counts and unreadable inputs, then violations."""
    return {
        "summary": {
            **_counts(results),
            "unreadable": [
                {"input": arg, "path": exc.path, "line": exc.line, "message": exc.message}
                for arg, exc in unreadable
            ],
        },
        "violations": [
            violation_to_dict(label, release, v)
            for label, release, violations in results
            for v in violations
        ],
    }


def format_json(results: Sequence[Checked], unreadable: Sequence[Unreadable]) -> str:
    # document > summary, violations: one violation per line
    return dumps(report_to_dict(results, unreadable), depth=2)
