"""One bad cell does not lose the page: prose port cells are port-less rules with a
located warning; broken ports stay errors, or, with ``keep_going``, located errors whose
rows alone are left out. The API collects them in a list, ``portspec extract`` prints
them on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import konvoy_portspec as k
from konvoy_portspec.cli import run
from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction import ExtractWarning, extract_file, extract_text
from konvoy_portspec.extraction.cells import NO_PORT_WORDS, NUMBER_WORDS

PAGE = """\
## Worker nodes

| Port | Component |
|---|---|
| 22 | sshd |
| Provider dependent | cloud load balancer |
| 70000 | typo |
| usually UDP 8472 | flannel |
| six | another typo |
| 10250 | kubelet |
"""


def _rows(spec: k.Spec) -> list[tuple[int | None, str, str, dict[str, str]]]:
    return [(r.port, r.protocol, r.component, r.extras) for _, r in spec.rules()]


def test_a_broken_port_is_a_located_error(tmp_path: Path) -> None:
    page = tmp_path / "ports.md"
    page.write_text(PAGE)
    with pytest.raises(ExtractError, match="port 70000 out of range") as info:
        extract_file(page, warnings=[])
    assert (info.value.path, info.value.line) == (str(page), 7)


def test_keep_going_leaves_out_only_the_broken_rows(tmp_path: Path) -> None:
    page = tmp_path / "ports.md"
    page.write_text(PAGE)
    found: list[ExtractWarning] = []
    spec = extract_file(page, warnings=found, keep_going=True)
    assert _rows(spec) == [
        (22, "tcp", "sshd", {}),
        (None, "any", "cloud load balancer", {"port": "Provider dependent"}),
        (8472, "udp", "flannel", {"port_remark": "usually"}),
        (10250, "tcp", "kubelet", {}),
    ]
    assert [(w.severity, w.line, w.path) for w in found] == [
        ("warning", 6, str(page)),
        ("error", 7, str(page)),
        ("error", 9, str(page)),
    ]
    assert str(found[0]) == (
        f"{page}:6: no port number in port cell 'Provider dependent': kept as a port-less rule"
    )
    assert str(found[1]).startswith(f"{page}:7: port 70000 out of range")
    assert found[1].message.endswith("(row left out)")
    assert "not a port: 'six'" in found[2].message


def test_warnings_are_optional_and_extract_still_returns_a_spec() -> None:
    text = PAGE.replace("| 70000 | typo |\n", "").replace("| six | another typo |\n", "")
    assert isinstance(k.extract(text), k.Spec)
    found: list[ExtractWarning] = []
    assert extract_text(text, warnings=found) == extract_text(text)
    assert [(w.line, w.path) for w in found] == [(6, "<input>")]


def test_a_broken_cell_of_a_matrix_leaves_out_that_cell() -> None:
    page = "| From \\ To | Workers | Masters |\n|---|---|---|\n| Workers | 99999 TCP | 6443 TCP |\n"
    with pytest.raises(ExtractError, match="port 99999"):
        extract_text(page)
    found: list[ExtractWarning] = []
    spec = extract_text(page, warnings=found, keep_going=True)
    assert [(rid, r.port) for rid, r in spec.rules()] == [("control-plane", 6443)]
    assert [(w.line, w.severity) for w in found] == [(3, "error")]
    assert found[0].message.endswith("(cell left out)")


# --- the command line --------------------------------------------------------------


def test_cli_prints_warnings_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "ports.md"
    page.write_text(PAGE.replace("| 70000 | typo |\n", "").replace("| six | another typo |\n", ""))
    assert run(["extract", str(page)]) == 0
    out = capsys.readouterr()
    assert out.err.splitlines() == [
        f"portspec: warning: {page}:6: no port number in port cell 'Provider dependent': "
        "kept as a port-less rule"
    ]
    assert '"Provider dependent"' in out.out


def test_cli_broken_port_exits_3_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "ports.md"
    page.write_text(PAGE)
    assert run(["extract", str(page)]) == 3
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.splitlines() == [
        f"portspec: error: {page}:7: port 70000 out of range 1-65535 in cell '70000'"
    ]


def test_cli_keep_going_prints_the_rest_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "ports.md"
    page.write_text(PAGE)
    target = tmp_path / "out.json"
    assert run(["extract", str(page), "--keep-going", "-o", str(target)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[1:3] for line in err] == [
        ["warning", f"{page}:6"],
        ["error", f"{page}:7"],
        ["error", f"{page}:9"],
    ]
    assert [r.port for _, r in k.load_file(target).rules()] == [22, None, 8472, 10250]


def test_cli_keep_going_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PAGE.encode())))
    assert run(["extract", "-", "--keep-going"]) == 1
    err = capsys.readouterr().err
    # Standard input is named as in every other message about a page read from it.
    assert "portspec: error: <input>:7: port 70000" in err


# --- properties ----------------------------------------------------------------------

_GOOD_CELLS = st.one_of(
    st.integers(1, 65535).map(str),
    st.tuples(st.integers(1, 65535), st.integers(1, 65535)).map(lambda t: f"{min(t)}-{max(t)}"),
    st.sampled_from(["10250/TCP", "UDP 4789 (default)", "9091, 9092", "6443*", "N/A", "ICMP"]),
)
#: Words that are not prose in a port cell: number words (a port written wrong), "no
#: port" words, words the cell reader drops or splits at, and protocol names (a protocol
#: makes a cell a port-less rule of that protocol).
_AVOID = NUMBER_WORDS | NO_PORT_WORDS | {"port", "ports", "range", "or", "and", "to", "in"}
_AVOID |= {"tcp", "udp", "sctp", "icmp", "icmpv6", "ipip", "esp", "ah", "gre", "vrrp", "igmp"}
_WORD = st.one_of(
    st.sampled_from(["Provider", "dependent", "set", "by", "your", "cloud", "varies", "see"]),
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8),
).filter(lambda w: w.casefold() not in _AVOID)
_PROSE = st.lists(_WORD, min_size=1, max_size=4).map(" ".join)
HEAD = "## Worker nodes\n\n| Port | Component |\n|---|---|\n"


@given(st.lists(st.tuples(st.booleans(), _GOOD_CELLS, _PROSE), min_size=1, max_size=8))
def test_any_table_with_prose_rows_keeps_all_its_other_rows(
    rows: list[tuple[bool, str, str]],
) -> None:
    """Each row holds a port cell or prose; the port rows' rules come out as they do from
    the table without the prose rows, each prose row as one port-less rule that keeps
    its text, with a warning at its line."""
    page = HEAD + "".join(
        f"| {prose if is_prose else cell} | c{n} |\n"
        for n, (is_prose, cell, prose) in enumerate(rows)
    )
    found: list[ExtractWarning] = []
    got = [rule for _, rule in extract_text(page, warnings=found).rules()]
    ports = {f"c{n}" for n, (is_prose, _, _) in enumerate(rows) if not is_prose}
    alone = HEAD + "".join(
        f"| {cell} | c{n} |\n" for n, (is_prose, cell, _) in enumerate(rows) if not is_prose
    )
    expected = [rule for _, rule in extract_text(alone).rules()] if ports else []
    assert [rule for rule in got if rule.component in ports] == expected
    prose_rows = [n for n, (is_prose, _, _) in enumerate(rows) if is_prose]
    assert [(w.line, w.severity) for w in found] == [(5 + n, "warning") for n in prose_rows]
    for n in prose_rows:
        (rule,) = [rule for rule in got if rule.component == f"c{n}"]
        assert (rule.port, rule.protocol, rule.extras) == (None, "any", {"port": rows[n][2]})


@given(_PROSE, st.integers(1, 65535), _PROSE)
def test_prose_around_a_port_keeps_the_port(before: str, port: int, after: str) -> None:
    (rule,) = extract_text(f"## W\n\n| Port |\n|---|\n| {before} {port} {after} |\n").roles["w"]
    assert (rule.port, rule.end_port) == (port, port)
    assert rule.extras["port_remark"] == f"{before} {after}"


@given(
    st.lists(_GOOD_CELLS, min_size=1, max_size=6),
    st.integers(0, 5),
    st.sampled_from(["70000", "0", "32767-30000", "six", "22a"]),
)
def test_keep_going_keeps_every_row_but_the_broken_one(
    cells: list[str], where: int, broken: str
) -> None:
    where = min(where, len(cells))
    rows = [*cells[:where], broken, *cells[where:]]
    page = HEAD + "".join(f"| {c} | c{n} |\n" for n, c in enumerate(rows))
    found: list[ExtractWarning] = []
    spec = extract_text(page, warnings=found, keep_going=True)
    assert [(w.severity, w.line) for w in found] == [("error", 5 + where)]
    assert {r.component for _, r in spec.rules()} == {
        f"c{n}" for n in range(len(rows)) if n != where
    }
