"""The views of a diff: text, markdown, json (against spec/diff.schema.json) and the
firewall operator view."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

import konvoy_portspec as k
from konvoy_portspec.analysis.diff import KINDS, diff
from konvoy_portspec.io.spec_json import load_file
from konvoy_portspec.model import Role, Rule, Spec
from konvoy_portspec.output.diff_formats import (
    FORMATTERS,
    MARKERS,
    diff_to_dict,
    format_diff,
)
from konvoy_portspec.output.exporters import export
from tests.support import ROOT

SCHEMA = json.loads((ROOT / "spec" / "diff.schema.json").read_text("utf-8"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def fixture_diff(fixtures):
    return diff(
        load_file(fixtures / "diff" / "old.json"), load_file(fixtures / "diff" / "new.json")
    )


@pytest.fixture(scope="module")
def release_diff():
    return diff(k.load("v2.0"), k.load("v2.1"))


def test_formatter_table_names_the_four_views():
    assert set(FORMATTERS) == {"text", "markdown", "json", "firewall"}
    assert all(cls.name == name and cls.description for name, cls in FORMATTERS.items())
    with pytest.raises(ValueError, match="unknown diff format 'yaml'"):
        format_diff(diff(k.load("v2.0"), k.load("v2.1")), "yaml")


# --- text ----------------------------------------------------------------------------


def test_text_groups_by_role_with_markers_and_summary(release_diff):
    text = format_diff(release_diff)
    lines = text.splitlines()
    assert lines[0] == "konvoy v2.0 -> v2.1"
    assert lines[-1] == "5 added, 0 removed, 0 changed, 0 moved"
    cp = lines.index("Control-plane nodes (control-plane)")
    worker = lines.index("Worker nodes (worker)")
    assert cp < worker
    added = [ln.split() for ln in lines if ln.startswith("  + ")]
    assert [(w[1], " ".join(w[2:])) for w in added] == [
        ("1338/tcp", "Containerd"),
        ("9100/tcp", "prometheus node-exporter"),
        ("1338/tcp", "Containerd"),
        ("9100/tcp", "prometheus node-exporter"),
        ("9400/tcp", "NVIDIA GPU DCGM"),
    ]
    assert not ANSI.search(text)


def test_text_reversed_uses_the_removed_marker(release_diff):
    text = format_diff(diff(k.load("v2.1"), k.load("v2.0")))
    assert sum(ln.startswith("  - ") for ln in text.splitlines()) == 5
    assert "0 added, 5 removed, 0 changed, 0 moved" in text


def test_text_says_no_changes_plainly():
    assert format_diff(diff(k.load("v1.8"), k.load("v2.0"))) == "konvoy v1.8 -> v2.0: no changes\n"


def test_text_every_kind_has_its_marker(fixture_diff):
    text = format_diff(fixture_diff)
    lines = text.splitlines()
    marked = [ln for ln in lines if ln[:4] in {f"  {m} " for m in MARKERS.values()}]
    assert len(marked) == len(fixture_diff.changes)
    for change, line in zip(fixture_diff.changes, marked, strict=True):
        assert line.startswith(f"  {MARKERS[change.kind]} ")
        assert change.component in line
    assert "  > 10251 -> 10259/tcp" in text
    assert "(range grew 30000-32767 -> 30000-32768)" in text
    assert "(notes: 'Kubernetes API' -> 'Kubernetes API server')" in text
    assert "Bastion hosts (bastion)" in text and "GPU worker nodes (gpu-worker)" in text
    counts = fixture_diff.counts()
    assert lines[-1] == ", ".join(f"{counts[kind]} {kind}" for kind in KINDS)


def test_text_colour_only_when_asked(fixture_diff):
    plain = format_diff(fixture_diff, color=False)
    coloured = format_diff(fixture_diff, color=True)
    assert not ANSI.search(plain)
    assert "\x1b[32m  + " in coloured and "\x1b[31m  - " in coloured
    assert "\x1b[33m  ~ " in coloured and "\x1b[36m  > " in coloured
    assert ANSI.sub("", coloured) == plain


def test_two_revisions_of_one_release_are_named_by_file(corpus):
    from konvoy_portspec.extraction import extract_file

    folder = corpus / "history" / "v2.1"
    old = extract_file(folder / "2021-09-15_8c5fe3d2.md", release="v2.1")
    new = extract_file(folder / "2021-09-21_283343db.md", release="v2.1")
    first = format_diff(diff(old, new)).splitlines()[0]
    assert first == "konvoy v2.1: 2021-09-15_8c5fe3d2.md -> 2021-09-21_283343db.md"


# --- markdown ------------------------------------------------------------------------


def _md_tables(text: str) -> dict[str, list[list[str]]]:
    """heading -> rows of cells, parsed back from the markdown output."""
    tables: dict[str, list[list[str]]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("### "):
            current = line[4:]
            tables[current] = []
        elif line.startswith("| ") and current:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            tables[current].append(cells)
    return tables


def test_markdown_release_notes_tables(fixture_diff):
    text = format_diff(fixture_diff, "markdown")
    assert text.startswith("## Port changes: konvoy v9.0 → v9.1\n")
    tables = _md_tables(text)
    assert list(tables) == [
        "Control-plane nodes",
        "Worker nodes",
        "GPU worker nodes",
        "Bastion hosts",
    ]
    for rows in tables.values():
        assert rows[0] == ["Port", "Protocol", "Component", "Notes", "Change"]
    cp = {row[2]: row for row in tables["Control-plane nodes"][1:]}
    assert cp["kube-scheduler"] == ["10259", "TCP", "kube-scheduler", "--port", "moved from 10251"]
    assert cp["etcd"][-1] == "removed"
    assert cp["prometheus node-exporter"][-1] == "added"
    assert cp["Kubernetes NodePorts"][0] == "30000-32768"
    assert cp["Kubernetes NodePorts"][-1] == "changed: range grew 30000-32767 → 30000-32768"
    rows = sum(len(r) - 1 for r in tables.values())
    assert rows == len(fixture_diff.changes)


def test_markdown_escapes_cells():
    old = Spec("a", [Role("w", "Workers", (Rule.single(80, component="web"),))])
    new = Spec(
        "b", [Role("w", "Workers", (Rule.single(80, component="web", notes="a|b <x> *y*"),))]
    )
    text = format_diff(diff(old, new), "markdown")
    row = next(ln for ln in text.splitlines() if ln.startswith("| 80 "))
    assert r"a\|b \<x\> \*y\*" in row
    assert len(re.split(r"(?<!\\)\|", row)) == 7  # five cells, the pipe stayed in its cell


def test_markdown_no_changes():
    text = format_diff(diff(k.load("v1.8"), k.load("v2.0")), "markdown")
    assert "No port changes." in text and "|" not in text


# --- json ----------------------------------------------------------------------------


def test_diff_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("pair", [("v2.0", "v2.1"), ("v2.1", "v2.0"), ("v1.8", "v2.0")])
def test_json_of_releases_follows_the_schema(pair):
    d = diff(k.load(pair[0]), k.load(pair[1]))
    data = json.loads(format_diff(d, "json"))
    jsonschema.validate(data, SCHEMA)
    assert data == diff_to_dict(d)
    assert data["old"]["release"] == pair[0] and data["new"]["release"] == pair[1]
    assert data["summary"] == d.counts()
    assert len(data["changes"]) == len(d.changes)


def test_json_of_every_kind_follows_the_schema(fixture_diff):
    data = json.loads(format_diff(fixture_diff, "json"))
    jsonschema.validate(data, SCHEMA)
    by_kind = {c["kind"] for c in data["changes"]}
    assert by_kind == set(KINDS)
    for entry, change in zip(data["changes"], fixture_diff.changes, strict=True):
        assert (entry["kind"], entry["role"], entry["port"], entry["end_port"]) == (
            change.kind,
            change.role,
            change.port,
            change.end_port,
        )
        assert ("before" in entry) == (change.kind in ("changed", "moved"))
    moved = next(c for c in data["changes"] if c["component"] == "kube-scheduler")
    assert moved["before"]["port"] == 10251 and moved["after"]["port"] == 10259


def test_schema_rejects_a_changed_entry_without_before_and_after(fixture_diff):
    data = diff_to_dict(fixture_diff)
    changed = next(c for c in data["changes"] if c["kind"] == "changed")
    del changed["before"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
    data = diff_to_dict(fixture_diff)
    added = next(c for c in data["changes"] if c["kind"] == "added")
    added["after"] = added | {}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_schema_ships_with_the_bundled_specs():
    from konvoy_portspec.io import bundled

    assert (ROOT / "spec" / "diff.schema.json").is_file()
    assert bundled.spec_dir().endswith("spec")


# --- firewall ------------------------------------------------------------------------


def _firewall_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines()[1:]:  # after the title line
        m = re.match(r"# .+ \(([a-z][a-z0-9-]*)\)$", line)
        if m:
            current = m.group(1)
            sections[current] = []
        elif current and line:
            sections[current].append(line)
    return sections


def test_firewall_opens_the_new_release_ports(release_diff):
    text = format_diff(release_diff, "firewall")
    sections = _firewall_sections(text)
    assert list(sections) == ["control-plane", "worker"]
    worker = [ln for ln in sections["worker"] if ln.startswith(("iptables", "ip6tables"))]
    assert worker == [
        f"{tool} -A KONVOY-WORKER -p tcp -m tcp --dport {port} -m comment "
        f'--comment "konvoy-portspec worker: {name}" -j ACCEPT'
        for port, name in [
            (1338, "Containerd"),
            (9100, "prometheus node-exporter"),
            (9400, "NVIDIA GPU DCGM"),
        ]
        for tool in ("iptables", "ip6tables")
    ]
    assert "-D" not in text


def test_firewall_reversed_closes(release_diff):
    text = format_diff(diff(k.load("v2.1"), k.load("v2.0")), "firewall")
    rules = [ln for ln in text.splitlines() if ln.startswith(("iptables", "ip6tables"))]
    assert len(rules) == 10
    assert all(re.match(r"ip6?tables -D KONVOY-(CONTROL-PLANE|WORKER) ", ln) for ln in rules)


def test_firewall_opens_before_closing_and_expresses_moves_and_ranges(fixture_diff):
    sections = _firewall_sections(format_diff(fixture_diff, "firewall"))
    cp = sections["control-plane"]
    commands = [ln for ln in cp if ln.startswith("iptables")]
    first_close = next(i for i, ln in enumerate(commands) if " -D " in ln)
    assert all(" -A " in ln for ln in commands[:first_close])
    assert all(" -D " in ln for ln in commands[first_close:])
    opened = {re.search(r"--dport (\S+)", ln).group(1) for ln in commands if " -A " in ln}
    closed = {re.search(r"--dport (\S+)", ln).group(1) for ln in commands if " -D " in ln}
    assert opened == {"9100", "10257", "10259", "30000:32768"}
    assert closed == {"2379", "10251", "10252", "30000:32767"}
    # A notes-only change needs no firewall work.
    assert not any("6443" in ln for ln in cp)
    assert "bastion" in sections and all(
        " -D " in ln for ln in sections["bastion"] if ln.startswith("ipt")
    )


def test_firewall_no_changes_and_notes_only():
    assert "# no firewall changes" in format_diff(diff(k.load("v1.8"), k.load("v2.0")), "firewall")
    old = Spec("a", [Role("w", "W", (Rule.single(22, component="ssh", notes="a"),))])
    new = Spec("b", [Role("w", "W", (Rule.single(22, component="ssh", notes="b"),))])
    assert "# no firewall changes" in format_diff(diff(old, new), "firewall")


def test_firewall_view_deletes_exactly_what_export_installed():
    # A rule installed from the old release's export is removed by the upgrade's "-D".
    # v2.1 -> v2.0 drops 1338 and 9100 on both roles and 9400 on workers: five TCP rules,
    # each deleted for IPv4 and IPv6, from the role's own chain.
    script = export(k.load("v2.1"), "iptables", role="worker")
    installed = {line.strip() for line in script.splitlines()}
    view = format_diff(diff(k.load("v2.1"), k.load("v2.0")), "firewall")
    deletes = [
        line for line in view.splitlines() if line.startswith(("iptables -D", "ip6tables -D"))
    ]
    assert len(deletes) == 10
    worker = [line for line in deletes if " worker: " in line]
    assert len(worker) == 6 and all(" -D KONVOY-WORKER " in line for line in worker)
    for line in worker:
        assert line.replace(" -D ", " -A ", 1) in installed


def test_firewall_view_never_accepts_more_than_a_port():
    old = Spec("a", [Role("w", "W", (Rule.single(22, component="ssh"),))])
    new = Spec(
        "b",
        [
            Role(
                "w",
                "W",
                (
                    Rule.single(22, component="ssh"),
                    Rule(None, None, "any", "IP-in-IP"),
                    Rule(None, None, "tcp", "something"),
                    Rule(None, None, "ipip", "calico"),
                ),
            )
        ],
    )
    lines = format_diff(diff(old, new), "firewall").splitlines()
    rules = [line for line in lines if line.startswith(("iptables", "ip6tables"))]
    assert rules == [
        f'{tool} -A KONVOY-W -p 4 -m comment --comment "konvoy-portspec w: calico" -j ACCEPT'
        for tool in ("iptables", "ip6tables")
    ]
    assert sum(line.startswith("# not an iptables port rule") for line in lines) == 2


# --- untrusted text ------------------------------------------------------------------


def _hostile_diff():
    title = "Workers\x1b[2J\n## injected"
    old = Spec("v1\nrm -rf / #", [Role("w", title, (Rule.single(80, component="web"),))])
    new = Spec(
        "v2",
        [
            Role(
                "w",
                title,
                (
                    Rule.single(80, component="web\n-A INPUT -j ACCEPT #\x1b]0;owned\x07"),
                    Rule.single(81, component="a|b\n| x | y |\u202eevil", notes="n\u2028o"),
                ),
            )
        ],
    )
    return diff(old, new)


def test_text_view_shows_control_characters_as_escapes():
    d = _hostile_diff()
    for color in (False, True):
        text = ANSI.sub("", format_diff(d, color=color))
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        marked = [ln for ln in text.splitlines() if ln[:4] in ("  + ", "  - ", "  ~ ", "  > ")]
        assert len(marked) == len(d.changes)
    text = format_diff(d)
    assert "\\x1b]0;owned\\x07" in text and "\\u202eevil" in text
    assert not any(ln.startswith(("rm ", "-A ", "## ")) for ln in text.splitlines())


def test_markdown_view_keeps_each_change_in_its_row():
    d = _hostile_diff()
    text = format_diff(d, "markdown")
    assert not any(ln.startswith(("rm ", "-A ", "## injected")) for ln in text.splitlines())
    tables = _md_tables(text)
    (rows,) = tables.values()
    assert len(rows) - 1 == len(d.changes)
    assert all(len(row) == 5 for row in rows)


def test_firewall_view_is_a_script_of_comments_and_commands():
    import shutil
    import subprocess

    text = format_diff(_hostile_diff(), "firewall")
    lines = text.splitlines()
    assert all(ln == "" or ln.startswith(("# ", "iptables ", "ip6tables ")) for ln in lines)
    assert sum(ln.startswith("iptables -A") for ln in lines) == 2
    assert sum(ln.startswith("ip6tables -A") for ln in lines) == 2
    assert sum(ln.startswith("iptables -D") for ln in lines) == 1
    if shutil.which("bash"):
        proc = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


# --- direction -------------------------------------------------------------------------


def _direction_diff():
    inbound = Rule.single(443, component="registry")
    old = Spec("a", [Role("worker", "Worker nodes", (inbound,))])
    new = Spec("b", [Role("worker", "Worker nodes", (inbound.replace(direction="outbound"),))])
    return diff(old, new)


def test_the_firewall_view_never_opens_an_outbound_rule():
    lines = format_diff(_direction_diff(), "firewall").splitlines()
    commands = [ln for ln in lines if ln.startswith(("iptables", "ip6tables"))]
    # 443 inbound is gone (closed on both families); 443 outbound opens nothing
    assert commands and all(" -D " in ln and "--dport 443" in ln for ln in commands)


def test_text_and_markdown_say_which_rule_is_outbound():
    text = format_diff(_direction_diff(), "text").splitlines()
    assert "  - 443/tcp           registry" in text  # aligned with the longer line below
    assert "  + 443/tcp outbound  registry" in text
    md = format_diff(_direction_diff(), "markdown").splitlines()
    assert "| 443 | TCP (outbound) | registry |  | added |" in md
    assert "| 443 | TCP | registry |  | removed |" in md
