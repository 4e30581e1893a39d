"""Property tests: round trips, diff laws, the validator against injected faults, and an
extractor that never crashes. Strategies come from ``konvoy_portspec.testing``.

The shapes these properties once found broken are pinned as plain regression tests at
the end; the one shape that cannot round-trip by design (a trailing footnote mark) is
skipped by ``renders_faithfully`` and pinned there too.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from konvoy_portspec.analysis.diff import apply, diff
from konvoy_portspec.analysis.validation import validate, validate_data
from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.extraction import extract, extract_text
from konvoy_portspec.io.spec_json import dumps, loads
from konvoy_portspec.model import Role, RoleMap, Rule, Spec
from konvoy_portspec.output.tables import render_html, render_markdown
from konvoy_portspec.testing import (
    FAULT_KINDS,
    TRICKY_TEXT,
    as_cell_text,
    faults,
    inject,
    rules,
    specs,
)

# --- what render -> extract cannot keep, by design -----------------------------------

# A trailing dagger or section sign in a component or notes cell is read as a footnote
# mark (as real pages use it: "NodePort Services†"), so such text does not round-trip.
_FOOTNOTE_MARK = re.compile(r"(?<=\S)[\u2020\u2021\u00a7]+$")


def renders_faithfully(spec: Spec) -> bool:
    """False for specs whose text ends in a footnote mark (see above)."""
    return not any(
        _FOOTNOTE_MARK.search(rule.component) or _FOOTNOTE_MARK.search(rule.notes)
        for _, rule in spec.rules()
    )


def _one_rule(rule: Rule) -> Spec:
    return Spec("v1.0", RoleMap([Role("worker", "Worker nodes", (rule,))]))


# --- round trips --------------------------------------------------------------------


@given(specs())
def test_markdown_round_trip(spec: Spec) -> None:
    assume(renders_faithfully(spec))
    assert extract_text(render_markdown(spec)).without_source() == spec.without_source()


@given(specs())
def test_html_round_trip_roles(spec: Spec) -> None:
    assume(renders_faithfully(spec))
    assert extract_text(render_html(spec), release=spec.release).roles == spec.roles


@given(specs())
def test_json_round_trip(spec: Spec) -> None:
    assert loads(dumps(spec)) == spec


@given(specs())
def test_dumps_is_idempotent_byte_for_byte(spec: Spec) -> None:
    text = dumps(spec)
    assert dumps(loads(text)) == text
    assert dumps(loads(text.encode("utf-8"))).encode("utf-8") == text.encode("utf-8")


# --- diff laws ----------------------------------------------------------------------


@st.composite
def _edited(draw: st.DrawFn, spec: Spec) -> Spec:
    """``spec`` with rules dropped, renoted, moved, resized, and new rules added, so that
    diffs see every kind of change (not only whole-role differences)."""
    new_roles = []
    for role in spec.roles.ordered:
        out: list[Rule] = []
        for rule in role.rules:
            action = draw(st.sampled_from(("keep", "keep", "drop", "notes", "move", "resize")))
            if action == "drop":
                continue
            if action == "notes":
                rule = Rule(rule.port, rule.end_port, rule.protocol, rule.component, "edited")
            elif action in ("move", "resize") and rule.port is not None:
                start, end = rule.port, rule.end_port
                assert end is not None
                if action == "move":
                    top = min(65535, end + draw(st.integers(1, 500)))
                    start, end = top - (end - start), top
                else:
                    end = min(65535, end + draw(st.integers(1, 100)))
                rule = Rule(start, end, rule.protocol, rule.component, rule.notes, rule.extra)
            out.append(rule)
        out += draw(st.lists(rules(), max_size=2))
        new_roles.append(Role(role.id, role.title, tuple(out)))
    if draw(st.booleans()) and len(new_roles) > 1:
        new_roles.pop(draw(st.integers(0, len(new_roles) - 1)))
    return spec.with_roles(new_roles)


@st.composite
def _spec_pairs(draw: st.DrawFn) -> tuple[Spec, Spec]:
    a = draw(specs())
    b = draw(st.one_of(_edited(a), specs()))
    return (a, b) if draw(st.booleans()) else (b, a)


def _sorted_roles(spec: Spec) -> list[tuple[str, tuple[Rule, ...]]]:
    return [(role.id, tuple(sorted(role.rules))) for role in spec.roles.ordered]


@given(specs())
def test_diff_of_a_spec_with_itself_is_empty(spec: Spec) -> None:
    d = diff(spec, spec)
    assert not d
    assert d.changes == ()
    assert set(d.counts().values()) == {0}


@given(_spec_pairs())
def test_diff_reversed_swaps_added_and_removed(pair: tuple[Spec, Spec]) -> None:
    a, b = pair
    flip = {"added": "removed", "removed": "added", "changed": "changed", "moved": "moved"}
    forward = sorted((flip[c.kind], c.role, c.after, c.before) for c in diff(a, b).changes)
    backward = sorted((c.kind, c.role, c.before, c.after) for c in diff(b, a).changes)
    assert forward == backward


@given(_spec_pairs())
def test_apply_diff_gives_the_new_spec(pair: tuple[Spec, Spec]) -> None:
    a, b = pair
    assert _sorted_roles(apply(a, diff(a, b))) == _sorted_roles(b)


# --- validator ----------------------------------------------------------------------


@given(specs())
def test_validator_accepts_every_generated_spec(spec: Spec) -> None:
    assert validate(spec) == []


@pytest.mark.parametrize("fault", FAULT_KINDS)
@given(data=st.data())
def test_validator_flags_each_injected_fault(fault: str, data: st.DataObject) -> None:
    """Each fault breaks the invariant the strategies say it breaks (their table, not
    the validator's); the validator must report exactly that one."""
    spec = data.draw(specs(max_components=5), label="valid spec")
    faulty, expected = data.draw(inject(spec, fault), label="fault")
    if isinstance(faulty, dict):
        _, found = validate_data(faulty)
    else:
        found = validate(faulty)
    # The fault is found, and it is the only thing found: checks do not bleed into
    # each other (a conflict is not also reported as a cross-role difference, ...).
    assert {v.invariant for v in found} == {expected}
    assert all(v.message for v in found)


@given(faults())
def test_faults_break_valid_specs(fault: tuple[object, str]) -> None:
    faulty, invariant = fault
    found = validate_data(faulty)[1] if isinstance(faulty, dict) else validate(faulty)  # type: ignore[arg-type]
    assert invariant in {v.invariant for v in found}


# --- the extractor never crashes ----------------------------------------------------


def _never_crashes(source: str | bytes) -> None:
    try:
        spec = extract_text(source) if isinstance(source, str) else extract(source)
    except PortSpecError as exc:
        assert str(exc)
        return
    assert isinstance(spec, Spec)
    assert len(spec.roles) >= 1


@given(st.text(max_size=300))
def test_extractor_never_crashes_on_text(text: str) -> None:
    _never_crashes(text)


@given(st.binary(max_size=300))
def test_extractor_never_crashes_on_bytes(raw: bytes) -> None:
    _never_crashes(raw)


_NUMBERS = st.one_of(
    st.integers(0, 70000).map(str),
    st.tuples(st.integers(0, 70000), st.integers(0, 70000)).map(lambda t: f"{t[0]}-{t[1]}"),
    st.sampled_from(
        (
            "30000–32767",
            "10250/TCP",
            "UDP 4789 (default)",
            "9091, 9092",
            "6443*",
            "N/A",
            "any",
            "2379:2380",
            "1e5",
            "-1",
            "0x50",
        )
    ),
)
_WORDS = st.one_of(
    st.sampled_from(
        (
            "Port",
            "Protocol",
            "Component",
            "Notes",
            "TCP",
            "UDP",
            "Both",
            "ICMP",
            "kubelet",
            "etcd",
            "Control-plane nodes",
            "Worker nodes",
            *TRICKY_TEXT,
        )
    ),
    st.text(st.characters(codec="utf-8"), max_size=8),
)
_MD_FRAGMENTS = st.one_of(
    _NUMBERS,
    _WORDS,
    st.sampled_from(
        (
            "|",
            "| ",
            " |",
            "|---|",
            "|:--|--:|",
            "---",
            "\n",
            "\n\n",
            "## ",
            "# ",
            "### Worker nodes\n",
            "> ",
            "- ",
            "```\n",
            "<!-- ",
            " -->",
            "\\|",
            "| Port | Protocol | Component |\n|---|---|---|\n",
        )
    ),
)
_HTML_FRAGMENTS = st.one_of(
    _NUMBERS,
    _WORDS,
    st.sampled_from(
        (
            "<table>",
            "</table>",
            "<thead>",
            "</thead>",
            "<tbody>",
            "<tr>",
            "</tr>",
            "<th>",
            "</th>",
            "<td>",
            "</td>",
            '<td rowspan="3">',
            '<td colspan="2">',
            '<td rowspan="0">',
            '<td colspan="x">',
            '<th colspan="1000">',
            "<caption>",
            "</caption>",
            "<h2>",
            "</h2>",
            "<h3>",
            "<p><em>",
            "</em></p>",
            "<br>",
            "<pre>",
            "</pre>",
            "<script>",
            "</script>",
            "<!doctype html>",
            "\n",
        )
    ),
)


@given(st.lists(_MD_FRAGMENTS, max_size=40).map("".join))
def test_extractor_never_crashes_on_table_like_markdown(text: str) -> None:
    _never_crashes(text)


@given(st.lists(_HTML_FRAGMENTS, max_size=40).map("".join), st.booleans())
def test_extractor_never_crashes_on_table_like_html(text: str, as_page: bool) -> None:
    _never_crashes(("<!doctype html><html><body>" + text) if as_page else text)


@given(st.lists(st.tuples(_NUMBERS, _WORDS, _WORDS), min_size=1, max_size=6))
def test_extractor_reads_or_rejects_pipe_tables(rows: list[tuple[str, str, str]]) -> None:
    """Well-shaped tables with messy cells: a spec, or one clean PortSpecError."""

    def cell(text: str) -> str:
        return " ".join(text.replace("|", "\\|").split())

    body = "\n".join(f"| {cell(p)} | {cell(c)} | {cell(n)} |" for p, c, n in rows)
    _never_crashes(f"## Worker nodes\n\n| Port | Component | Notes |\n|---|---|---|\n{body}\n")


# --- escaping -----------------------------------------------------------------------

_DANGEROUS = st.sampled_from(
    (
        "<script>alert(1)</script>",
        "a | b",
        "`x`",
        "``y``",
        ":ref:`ports`",
        "*z*",
        "_w_",
        "<b>bold</b>",
        "&amp;",
        "|sub|",
    )
)


@given(
    _DANGEROUS, st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=10)
)
def test_markup_in_notes_comes_out_as_text(danger: str, tail: str) -> None:
    notes = as_cell_text(f"{danger} {tail}")
    assume(not _FOOTNOTE_MARK.search(notes))
    spec = _one_rule(Rule(10250, 10250, "tcp", "kubelet", notes))
    markdown = render_markdown(spec)
    page = render_html(spec)
    assert "<script>" not in markdown
    assert "<script>" not in page
    assert html.escape(notes) in page
    assert extract_text(markdown).roles["worker"].rules[0].notes == notes
    assert extract_text(page).roles["worker"].rules[0].notes == notes


# --- regressions: shapes the properties above once found broken -------------------------


@pytest.mark.parametrize("render", [render_markdown, render_html])
def test_trailing_asterisk_is_literal_text(render: object) -> None:
    spec = _one_rule(Rule(22, 22, "tcp", "Services*", "see *"))
    assert extract_text(render(spec), release="v1.0").roles == spec.roles  # type: ignore[operator]


def test_trailing_dagger_is_read_as_a_footnote_mark() -> None:
    spec = _one_rule(Rule(22, 22, "tcp", "NodePort Services\u2020", ""))
    extracted = extract_text(render_markdown(spec)).roles["worker"].rules[0]
    assert extracted.component == "NodePort Services"


def test_portless_any_round_trip() -> None:
    spec = _one_rule(Rule(None, None, "any", "x", "", (("port", "N/A"),)))
    assert extract_text(render_markdown(spec)).roles == spec.roles


def test_portless_without_port_text_round_trip() -> None:
    spec = _one_rule(Rule(None, None, "icmp", "x", ""))
    assert extract_text(render_markdown(spec)).roles == spec.roles
    assert extract_text(render_html(spec), release="v1.0").roles == spec.roles


def test_huge_number_in_port_cell_is_our_error() -> None:
    _never_crashes("| Port |\n|---|\n| " + "9" * 5000 + " |\n")
    with pytest.raises(PortSpecError, match="out of range"):
        extract_text("| Port |\n|---|\n| " + "9" * 5000 + " |\n")


def test_apply_keeps_an_added_empty_role() -> None:
    a = Spec("v1.0", RoleMap([Role("worker", "Worker nodes", (Rule.single(22),))]))
    b = Spec("v1.0", RoleMap([*a.roles.ordered, Role("gpu-nodes", "GPU nodes", ())]))
    assert list(apply(a, diff(a, b)).roles) == ["worker", "gpu-nodes"]
