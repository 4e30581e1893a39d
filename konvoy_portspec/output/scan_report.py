"""A scan's result as text for people and as the ``--format json`` document.

File names come from a tree anyone can commit to: a name may hold bytes that are not
UTF-8 (they are shown as ``\\xNN``, where writing them would fail) or control
characters (escaped in text, so a name cannot drive the terminal).
"""

from __future__ import annotations

from typing import Any

from konvoy_portspec.analysis.scan import Page, ScanResult
from konvoy_portspec.extraction.findings import ExtractWarning
from konvoy_portspec.io.spec_json import to_dict
from konvoy_portspec.output.escape import terminal_text


def writable(text: str) -> str:
    """``text`` with the bytes of a file name that were not UTF-8 (read by Python as
    lone surrogates) as ``\\xNN`` escapes."""
    if text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file name decodes to
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def printable(text: str) -> str:
    """:func:`writable`, made safe for a terminal by the one escape for it
    (:func:`~konvoy_portspec.output.escape.terminal_text`: control characters and
    bidirectional overrides shown as ``\\x1b``/``\\u202e``)."""
    return terminal_text(writable(text))


def page_to_dict(page: Page) -> dict[str, Any]:
    out: dict[str, Any] = {"path": writable(page.path)}
    if page.release_known:
        out["release"] = page.spec.release
    out["tables"] = page.tables
    out["rules"] = page.rules
    out["roles"] = to_dict(page.spec)["roles"]
    out["warnings"] = [{"line": line, "message": message} for line, message in page.warnings]
    return out


def result_to_dict(result: ScanResult) -> dict[str, Any]:
    """The ``--format json`` document: pages, errors, files not read, and totals."""
    return {
        "pages": [page_to_dict(p) for p in result.pages],
        "errors": [
            {"path": writable(e.path), "line": e.line, "message": writable(e.message)}
            for e in result.errors
        ],
        "skipped": [
            {"path": writable(s.path), "message": writable(s.message)} for s in result.skipped
        ],
        "totals": {
            "files": result.files,
            "pages": len(result.pages),
            "tables": result.tables,
            "rules": result.rules,
            "errors": len(result.errors),
            "skipped": len(result.skipped),
            "warnings": sum(len(p.warnings) for p in result.pages),
        },
    }


def format_text(result: ScanResult) -> str:
    """The pages with port tables, one line each, between a summary and the totals."""
    lines = [
        f"{len(result.pages)} pages with port tables "
        f"({result.tables} tables, {result.rules} rules) in {result.files} pages scanned"
    ]
    paths = [printable(p.path) for p in result.pages]
    width = max((len(p) for p in paths), default=0)
    for path, page in zip(paths, result.pages, strict=True):
        roles = ", ".join(f"{r.id} {len(r)}" for r in page.spec.roles.ordered)
        release = f"{page.spec.release}  " if page.release_known else ""
        lines.append(
            f"  {path.ljust(width)}  {release}{page.tables} tables, {page.rules} rules: {roles}"
        )
    skipped = f", {len(result.skipped)} skipped" if result.skipped else ""
    lines.append(
        f"total: {len(result.pages)} pages, {result.tables} tables, {result.rules} rules, "
        f"{len(result.errors)} failed{skipped}"
    )
    return "\n".join(lines) + "\n"


def problem_lines(result: ScanResult) -> list[str]:
    """The pages that failed (``path:line: message``), what pages held that did not
    stop them from being read (``warning: path:line: message``) and the files not read
    (``warning: path: message``), one line each, for standard error."""
    lines = [printable(str(error)) for error in result.errors]
    for page in result.pages:
        for line, message in page.warnings:
            warning = ExtractWarning(message, line, page.path)
            lines.append(f"warning: {printable(str(warning))}")
    lines += [f"warning: {printable(str(skip))}" for skip in result.skipped]
    return lines
