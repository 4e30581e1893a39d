"""Example pages and what ``portspec extract`` must make of them, one folder per case
under ``tests/acceptance/cases/``: a page (``page.md`` or ``page.html``) and either
``expected.json`` (the rules, written by reading the page, each ``[port, end_port,
protocol, component, notes]`` with an optional sixth element, the direction, compared
when given; ``args`` are extra command-line arguments, ``--release v3.0`` when absent) or
``expected-error.json`` (the exit code, where the one-line error points, and a word it
must say).

A new case is a new folder; nothing here needs to change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from konvoy_portspec.cli import run

CASES = Path(__file__).resolve().parent / "cases"


def _page(case: Path) -> Path:
    (page,) = [p for p in case.iterdir() if p.stem == "page"]
    return page


def _cases(kind: str) -> list[Path]:
    return sorted(c for c in CASES.iterdir() if (c / kind).is_file())


@pytest.mark.parametrize("case", _cases("expected.json"), ids=lambda c: c.name)
def test_page_gives_the_expected_spec(case, capsys):
    expected = json.loads((case / "expected.json").read_text())
    code = run(["extract", str(_page(case)), *expected.get("args", ["--release", "v3.0"])])
    out = capsys.readouterr()
    assert code == 0, out.err
    got = json.loads(out.out)
    assert got["release"] == expected["release"]
    assert _as_expected(got["roles"], expected["roles"]) == expected["roles"]


def _as_expected(roles, expected_roles):
    """The spec's roles in the shape of ``expected.json``, each rule as long as the
    expected row in its place."""
    out = []
    for n, role in enumerate(roles):
        wanted = expected_roles[n]["ports"] if n < len(expected_roles) else []
        rows = [_row(r, wanted[i] if i < len(wanted) else []) for i, r in enumerate(role["ports"])]
        out.append({"id": role["id"], "title": role["title"], "ports": rows})
    return out


def _row(rule, expected_row):
    """A rule of the spec as an expected row: five fields, and its direction (inbound
    when the file leaves it out) when the expected row has a sixth."""
    row = [rule["port"], rule["end_port"], rule["protocol"], rule["component"], rule["notes"]]
    if len(expected_row) > 5:
        row.append(rule.get("direction", "inbound"))
    return row


@pytest.mark.parametrize("case", _cases("expected-error.json"), ids=lambda c: c.name)
def test_bad_page_is_one_located_error(case, capsys):
    expected = json.loads((case / "expected-error.json").read_text())
    page = _page(case)
    code = run(["extract", str(page), "--release", "v3.0"])
    out = capsys.readouterr()
    assert code == expected["exit"]
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    assert lines[0].startswith(f"portspec: error: {page.parent}/{expected['error']}"), lines[0]
    assert expected["says"] in lines[0]


def test_every_case_folder_is_complete():
    for case in CASES.iterdir():
        assert _page(case)
        kinds = [(case / k).is_file() for k in ("expected.json", "expected-error.json")]
        assert kinds.count(True) == 1, f"{case.name}: one of expected.json, expected-error.json"
