"""`portspec scan`: whole docs trees, the prefilter's soundness, and the generator's truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from konvoy_portspec import cli
from konvoy_portspec.analysis.scan import list_pages, scan_tree
from konvoy_portspec.errors import ExtractError, PortSpecError
from konvoy_portspec.extraction import extract_file, extract_text
from konvoy_portspec.extraction.prefilter import may_hold_port_table
from konvoy_portspec.io.spec_json import to_dict
from tests.support import ROOT, load_script

PIPE_PAGE = """---
release: v9.1
---
# Ports

## Control-plane nodes

| **Port** | **Component** | **Notes** |
| --- | --- | --- |
| 22 | Ansible | ssh |
| 2379-2380 | etcd | |

## Worker nodes

| Port | Protocol | Component |
|---|---|---|
| 9091, 9092 | TCP | calico-node |
| 4789 | TCP/UDP | vxlan |
"""
HTML_BLANK_LINES = """# Ports

## Worker nodes

<table>
  <tr>
   <td><strong>Port</strong></td>
   <td><strong>Component</strong></td>
  </tr>

  <tr>
   <td>10250</td>
   <td rowspan="2">kubelet</td>
  </tr>

  <tr>
   <td>10248</td>
  </tr>
</table>
"""
HTML_PAGE = """<!DOCTYPE html><html><body>
<h2>Control plane</h2>
<table><thead><tr><th>Port(s)</th><th>Service</th></tr></thead>
<tbody><tr><td>30000&ndash;32767</td><td>NodePorts</td></tr></tbody></table>
</body></html>
"""
FENCED_ONLY = """# Example

```markdown
| Port | Component |
| --- | --- |
| 22 | Ansible |
```
"""
OTHER_TABLES = """# Requirements

We support port forwarding; see the port list elsewhere.

| Resource | Minimum |
| --- | --- |
| CPU | 4 |

```bash
kubectl get svc | grep port
```
"""
BROKEN = """# Ports

## Worker nodes

| Port | Component |
| --- | --- |
| 22 | ssh |
| 99999 | nope |
"""


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    files = {
        "a/pipe.md": PIPE_PAGE,
        "a/blank-lines.markdown": HTML_BLANK_LINES,
        "b/page.html": HTML_PAGE,
        "b/fenced.md": FENCED_ONLY,
        "b/other.mdx": OTHER_TABLES,
        "c/broken.md": BROKEN,
        "c/notes.txt": PIPE_PAGE,  # not a docs page
        ".hidden/ports.md": PIPE_PAGE,
        "node_modules/x/ports.md": PIPE_PAGE,
        "_build/ports.md": PIPE_PAGE,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    (root / "c" / "latin1.md").write_bytes(
        "# Caf\xe9\n\n| Port |\n|---|\n| 22 |\n".encode("latin-1")
    )
    (root / "c" / "nul.md").write_bytes(b"# x\n\x00\n")
    return root


def _run_json(args: list[str], capsys) -> tuple[int, dict]:
    code = cli.run(args)
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("jobs", "parse_below"),
    [("1", 8), ("2", 0), ("2", 8)],
    ids=["in-process", "parser-processes", "screener-then-in-process"],
)
def test_scan_small_tree_json(tmp_path, capsys, jobs, parse_below, monkeypatch):
    monkeypatch.setattr("konvoy_portspec.analysis.scan.pool.SERIAL_BELOW", 0)
    monkeypatch.setattr("konvoy_portspec.analysis.scan.pool.PARSE_IN_PROCESS_BELOW", parse_below)
    root = _tree(tmp_path)
    code, data = _run_json(["scan", str(root), "--format", "json", "--jobs", jobs], capsys)
    assert code == 1  # the broken pages
    pages = {p["path"]: p for p in data["pages"]}
    assert list(pages) == ["a/blank-lines.markdown", "a/pipe.md", "b/page.html"]
    pipe = pages["a/pipe.md"]
    assert pipe["release"] == "v9.1"
    assert [r["id"] for r in pipe["roles"]] == ["control-plane", "worker"]
    assert pipe["tables"] == 2 and pipe["rules"] == 2 + 4
    assert pipe["roles"] == to_dict(extract_file(root / "a" / "pipe.md"))["roles"]
    blank = pages["a/blank-lines.markdown"]
    assert "release" not in blank
    assert [(p["port"], p["component"]) for p in blank["roles"][0]["ports"]] == [
        (10250, "kubelet"),
        (10248, "kubelet"),
    ]
    html_roles = pages["b/page.html"]["roles"]
    assert html_roles[0]["ports"][0]["port"] == 30000
    assert html_roles[0]["ports"][0]["end_port"] == 32767
    errors = {e["path"]: e for e in data["errors"]}
    assert sorted(errors) == ["c/broken.md", "c/latin1.md", "c/nul.md"]
    assert errors["c/broken.md"]["line"] == 8 and "99999" in errors["c/broken.md"]["message"]
    assert errors["c/latin1.md"]["line"] == 1 and "UTF-8" in errors["c/latin1.md"]["message"]
    assert "NUL" in errors["c/nul.md"]["message"]
    assert data["totals"] == {
        "files": 8,
        "pages": 3,
        "tables": 4,
        "rules": 6 + 2 + 1,
        "errors": 3,
        "skipped": 0,
        "warnings": 0,
    }
    assert data["skipped"] == []
    assert all(page["warnings"] == [] for page in data["pages"])


def test_scan_reports_the_located_warnings_of_pages_it_reads(tmp_path, capsys):
    """A prose port cell is kept as a port-less rule and its warning travels with the page
    (JSON, stderr), from a first scan and from the cache alike; the exit code stays 0."""
    root = tmp_path / "docs"
    root.mkdir()
    (root / "cloud.md").write_text(
        "## Worker nodes\n\n| Port | Component |\n|---|---|\n| 22 | ssh |\n"
        "| Provider dependent | load balancer |\n"
    )
    cache = tmp_path / "cache.json"
    outputs = []
    for _ in range(2):  # the second run reads the page's entry from the cache
        code = cli.run(["scan", str(root), "--format", "json", "--cache", str(cache)])
        out, err = capsys.readouterr()
        assert code == 0 and err == ""  # JSON holds the problems; stderr stays quiet
        outputs.append(out)
        code = cli.run(["scan", str(root), "--cache", str(cache)])
        out, err = capsys.readouterr()
        assert code == 0
        (warning_line,) = [line for line in err.splitlines() if "warning:" in line]
        assert warning_line.startswith("portspec: scan: warning: cloud.md:6: no port number")
    assert outputs[0] == outputs[1]
    data = json.loads(outputs[0])
    (page,) = data["pages"]
    assert [w["line"] for w in page["warnings"]] == [6]
    assert data["totals"]["warnings"] == 1
    ports = [(r["port"], r["component"]) for r in page["roles"][0]["ports"]]
    assert ports == [(22, "ssh"), (None, "load balancer")]


def test_scan_text_reports_errors_on_stderr(tmp_path, capsys):
    root = _tree(tmp_path)
    code = cli.run(["scan", str(root)])
    out, err = capsys.readouterr()
    assert code == 1
    line = next(line for line in out.splitlines() if "a/pipe.md" in line)
    assert line.endswith("v9.1  2 tables, 6 rules: control-plane 2, worker 4")
    assert out.rstrip().endswith("total: 3 pages, 4 tables, 9 rules, 3 failed")
    assert "portspec: scan: c/broken.md:8: port 99999 out of range" in err
    assert "fenced" not in out and "other" not in out


def test_scan_clean_tree_exits_0_and_bad_dir_exits_3(tmp_path, capsys):
    (tmp_path / "ok.md").write_text(PIPE_PAGE, "utf-8")
    assert cli.run(["scan", str(tmp_path)]) == 0
    assert cli.run(["scan", str(tmp_path / "ok.md")]) == 3
    assert "not a directory" in capsys.readouterr().err
    assert cli.run(["scan", str(tmp_path), "--jobs", "0"]) == 2


def test_no_progress_bar_when_not_a_tty(tmp_path):
    (tmp_path / "ok.md").write_text(PIPE_PAGE, "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "konvoy_portspec", "scan", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert "ok.md" in done.stdout


def test_list_pages_skips_hidden_node_modules_build(tmp_path):
    root = _tree(tmp_path)
    rels = list_pages(str(root))
    assert rels == sorted(rels)
    assert not any(r.startswith((".hidden", "node_modules", "_build")) for r in rels)
    assert "c/notes.txt" not in rels and "b/other.mdx" in rels


# --- the real corpus ---------------------------------------------------------------


def test_scan_corpus_matches_extract_file(corpus, capsys):
    code, data = _run_json(["scan", str(corpus), "--format", "json"], capsys)
    assert code == 0 and data["errors"] == []
    pages = {p["path"]: p for p in data["pages"]}
    expected = sorted(
        str(p.relative_to(corpus)).replace("\\", "/")
        for p in corpus.rglob("*.md")
        if p.name != "firewall-rules.md"
    )
    assert sorted(pages) == expected
    assert len([p for p in pages if p.endswith("/ports.md")]) == 8
    assert len([p for p in pages if p.startswith("history/")]) >= 20
    for rel, page in pages.items():
        spec = extract_file(corpus / rel)
        assert page["roles"] == to_dict(spec)["roles"], rel
        assert page["release"] == spec.release
        assert page["rules"] == sum(len(r) for r in spec.roles.ordered)
    assert not any("firewall-rules" in p for p in pages)


def _holds_port_table(raw: bytes) -> bool:
    try:
        text = raw.decode("utf-8")
        extract_text(text)
    except (ExtractError, UnicodeDecodeError):
        return False
    return True


def test_prefilter_never_rejects_a_page_with_port_tables(corpus, tmp_path):
    pages = [p.read_bytes() for p in corpus.rglob("*.md")]
    pages += [t.encode() for t in (PIPE_PAGE, HTML_BLANK_LINES, HTML_PAGE)]
    held = [raw for raw in pages if _holds_port_table(raw)]
    assert len(held) >= 30
    assert all(may_hold_port_table(raw) for raw in held)


HIDDEN_HEADERS = [
    "**Po**rt",
    "&#80;ort",
    "&#x50;orts",
    "\uff30\uff2f\uff32\uff34",
    "Port(s)",
    "Po[^1]rt",
    "`Port`",
    "DPORT",
    "Range",
    "Po<span></span>rt",
]


@pytest.mark.parametrize("header", HIDDEN_HEADERS)
@pytest.mark.parametrize("style", ["pipe", "html"])
def test_prefilter_sees_through_markup_entities_lookalikes(header, style):
    if style == "pipe":
        page = f"# Workers\n\n| {header} | Component |\n| --- | --- |\n| 22 | ssh |\n"
    else:
        page = f"<h2>Workers</h2>\n<table><tr><th>{header}</th><th>C</th></tr>\n"
        page += "<tr><td>22</td><td>ssh</td></tr></table>\n"
    raw = page.encode()
    assert _holds_port_table(raw), header  # the extractor finds a table ...
    assert may_hold_port_table(raw), header  # ... so the prefilter must let it through


def test_prefilter_rejects_pages_without_port_headers():
    for page in (OTHER_TABLES, FENCED_ONLY.replace("Port", "Name"), "no tables, port 22\n"):
        assert not may_hold_port_table(page.encode())


SPANNING_TITLES = {
    "pipe": "| Worker nodes | Worker nodes |\n| --- | --- |\n| {h} | Component |\n| 22 | ssh |\n",
    "pipe-marked": "| **Workers** | Workers |\n|---|---|\n| {h} | C |\n| 22 | ssh |\n",
    "html-no-th": (
        '<table>\n<tr><td colspan="2">Worker nodes</td></tr>\n'
        "<tr><td>{h}</td><td>Component</td></tr>\n<tr><td>22</td><td>ssh</td></tr>\n</table>\n"
    ),
    "html-same-cells": (
        "<table><tr><td>Workers</td><td>Workers</td></tr>"
        "<tr><td>{h}</td><td>C</td></tr><tr><td>22</td><td>ssh</td></tr></table>\n"
    ),
    "html-thead": (
        '<table><thead><tr><td colspan="2">Workers</td></tr></thead>'
        "<tr><td>{h}</td><td>C</td></tr><tr><td>22</td><td>ssh</td></tr></table>\n"
    ),
}


@pytest.mark.parametrize("style", sorted(SPANNING_TITLES))
def test_prefilter_reads_the_names_below_a_spanning_title(style):
    """A first row that only titles the table moves the column names one row down."""
    raw = ("# Ports\n\n" + SPANNING_TITLES[style].format(h="Port")).encode()
    assert _holds_port_table(raw)
    assert may_hold_port_table(raw)
    other = ("# Ports\n\n" + SPANNING_TITLES[style].format(h="Name")).encode()
    assert not _holds_port_table(other)


def test_prefilter_skips_the_first_body_row_below_a_plain_header():
    """Below a header that cannot span, a body row talking about ports is not a header."""
    page = "| Feature | Notes |\n| --- | --- |\n| Forwarding | port 22 open |\n"
    html = "<table><tr><th>Feature</th></tr><tr><td>x</td></tr><tr><td>port 22</td></tr></table>"
    assert not may_hold_port_table(page.encode())
    assert not may_hold_port_table(html.encode())


@pytest.mark.parametrize(
    ("header", "port_table"),
    [
        ("| Port name | Description |", False),
        ("| Source port | Component |", False),
        ("| Port | Name |", True),
        ("| Start port | End port |", True),
        ("| TCP ports | Component |", True),
        ("Port(s) | Component", True),
    ],
)
def test_prefilter_judges_plain_headers_like_the_extractor(header, port_table):
    page = f"{header}\n| --- | --- |\n| 22 | 24 |\n"
    assert _holds_port_table(page.encode()) == port_table
    assert may_hold_port_table(page.encode()) == port_table


def test_prefilter_never_rejects_a_fixture_with_port_tables():
    pages = [
        p.read_bytes()
        for p in (ROOT / "tests" / "fixtures").rglob("*")
        if p.suffix in (".md", ".mdx", ".html", ".htm", ".markdown")
    ]
    held = [raw for raw in pages if _holds_port_table(raw)]
    assert len(held) >= 20
    assert [raw[:60] for raw in held if not may_hold_port_table(raw)] == []


_title = st.sampled_from(["Worker nodes", "Workers", "**Workers**", "&#87;orkers", "W"])


@given(title=_title, second=_title, header=st.sampled_from(["Port", "Ports", "**Port**", "P"]))
def test_prefilter_property_spanning_titles(title, second, header):
    for template in (
        "| {t} | {s} |\n| --- | --- |\n| {h} | C |\n| 22 | x |\n",
        "<table><tr><td>{t}</td><td>{s}</td></tr><tr><td>{h}</td><td>C</td></tr>"
        "<tr><td>22</td><td>x</td></tr></table>",
    ):
        raw = template.format(t=title, s=second, h=header).encode()
        if _holds_port_table(raw):
            assert may_hold_port_table(raw)


_cells = st.text(
    alphabet=st.sampled_from(list("portPORTangedsx *_`&#;<>/|-[]^()\u00a0\uff30")),
    min_size=1,
    max_size=12,
)


@given(header=_cells, html=st.booleans())
def test_prefilter_property(header, html):
    if html:
        page = f"<table><tr><th>{header}</th><th>C</th></tr><tr><td>22</td><td>x</td></tr></table>"
    else:
        cell = header.replace("|", "\\|")
        page = f"| {cell} | C |\n| --- | --- |\n| 22 | x |\n"
    raw = page.encode()
    if _holds_port_table(raw):
        assert may_hold_port_table(raw)


# --- the benchmark generator ---------------------------------------------------------


def test_generated_tree_scan_finds_exactly_the_ground_truth(tmp_path):
    gen = load_script("benchmarks/gen_tree.py")
    truth = gen.generate(tmp_path / "tree", pages=300, seed=3, mean_size=3000, port_share=0.1)
    assert 15 <= len(truth) <= 50
    again = gen.generate(tmp_path / "again", pages=300, seed=3, mean_size=3000, port_share=0.1)
    assert again == truth
    a = (tmp_path / "tree" / sorted(truth)[0]).read_bytes()
    assert a == (tmp_path / "again" / sorted(truth)[0]).read_bytes()
    result = scan_tree(str(tmp_path / "tree"), jobs=2)
    assert result.errors == ()
    found = {
        p.path: {
            "tables": p.tables,
            "rules": p.rules,
            "roles": {r.id: len(r) for r in p.spec.roles.ordered},
        }
        for p in result.pages
    }
    assert found == truth


def _die(root: str, rels: list[str]) -> None:
    os._exit(9)  # a worker killed mid-task (the OOM killer, a crash in C code)


def _die_at_once(*args: object) -> None:
    os._exit(9)


@pytest.mark.parametrize(
    ("task", "die"),
    [("screen_chunk", _die), ("_screen_dealt", _die_at_once), ("scan_chunk", _die)],
    ids=["screeners", "the-screener-the-walker-deals-to", "parsers"],
)
def test_a_dead_worker_is_a_clear_error_not_a_traceback(tmp_path, capfd, monkeypatch, task, die):
    monkeypatch.setattr("konvoy_portspec.analysis.scan.pool.SERIAL_BELOW", 0)
    monkeypatch.setattr("konvoy_portspec.analysis.scan.pool.PARSE_IN_PROCESS_BELOW", 0)
    monkeypatch.setattr("konvoy_portspec.analysis.scan.pool.STREAM", 1)
    monkeypatch.setattr(f"konvoy_portspec.analysis.scan.pool.{task}", die)
    for name in ("a.md", "b.md", "c.md"):
        (tmp_path / name).write_text(PIPE_PAGE, "utf-8")
    assert cli.run(["scan", str(tmp_path), "--jobs", "2"]) == 3
    err = capfd.readouterr().err  # the workers' stderr too
    assert "a worker process died" in err and "--jobs 1" in err
    assert "Traceback" not in err


def test_parsers_are_imported_once_by_the_parent_and_not_for_a_cached_rescan(tmp_path, monkeypatch):
    # The screeners settle what needs no parser; the parent imports the parsers when
    # the first page needs them (and its parser processes inherit them).
    from konvoy_portspec.analysis.scan import pool

    monkeypatch.setattr(pool, "SERIAL_BELOW", 0)
    monkeypatch.setattr(pool, "PARSE_IN_PROCESS_BELOW", 0)
    loads = []
    real = pool._load_parsers
    monkeypatch.setattr(pool, "_load_parsers", lambda: (loads.append(1), real()))
    root = _tree(tmp_path)
    calls: list[tuple[int, int]] = []
    cold = scan_tree(str(root), jobs=2, cache={}, progress=lambda *c: calls.append(c))
    assert loads == [1]
    # every page counted once it is settled, by the screener or by a parser
    assert calls[-1] == (8, 8) and calls == sorted(calls)
    assert cold.entries is not None
    warm = scan_tree(str(root), jobs=2, cache=cold.entries)
    assert loads == [1]  # every page came from the cache
    # parsed: pipe, blank-lines, page.html, fenced and broken (the rest are ruled out
    # by the prefilter or fail to decode)
    assert warm.cached == warm.parsed == cold.parsed == 5
    assert (warm.pages, warm.errors, warm.files) == (cold.pages, cold.errors, cold.files)
    (root / "a" / "pipe.md").write_text(PIPE_PAGE.replace("| 22 |", "| 23 |"), "utf-8")
    edited = scan_tree(str(root), jobs=2, cache=cold.entries)
    assert loads == [1, 1] and edited.cached == 4


def test_every_fork_happens_while_the_scan_has_one_thread(tmp_path, monkeypatch):
    # Forking a process with other threads can deadlock the child (Python 3.12 warns);
    # the scan forks screeners and parsers and must never do it with a thread running.
    import threading

    from konvoy_portspec.analysis.scan import pool

    monkeypatch.setattr(pool, "SERIAL_BELOW", 0)
    monkeypatch.setattr(pool, "PARSE_IN_PROCESS_BELOW", 0)
    threads: list[int] = []
    fork = os.fork

    def counting_fork() -> int:
        threads.append(threading.active_count())
        return fork()

    monkeypatch.setattr(os, "fork", counting_fork)
    before = threading.active_count()  # 1, unless an earlier test left a thread
    result = scan_tree(str(_tree(tmp_path)), jobs=2)
    assert len(result.pages) == 3
    assert threads == [before] * 4  # two screeners, two parsers; no thread of the scan's


def test_a_few_pages_to_parse_are_parsed_without_forking_parsers(tmp_path, monkeypatch):
    import concurrent.futures

    from konvoy_portspec.analysis.scan import pool

    class NoPool:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("parser processes started for a few pages")

    monkeypatch.setattr(pool, "SERIAL_BELOW", 0)
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    root = _tree(tmp_path)
    calls: list[tuple[int, int]] = []
    result = scan_tree(str(root), jobs=2, progress=lambda *c: calls.append(c))
    assert [p.path for p in result.pages] == ["a/blank-lines.markdown", "a/pipe.md", "b/page.html"]
    assert result.parsed == 5 and result.files == 8
    assert calls[-1] == (8, 8)  # a progress bar ends at the total, and is cleared


def _outcome(result):
    return (result.files, result.parsed, result.pages, result.errors, result.skipped)


@pytest.mark.parametrize("jobs", [2, 3])
def test_pages_dealt_one_at_a_time_give_the_in_process_result(tmp_path, monkeypatch, no_hang, jobs):
    # One page per hand: the walker screens some pages itself and deals the others to
    # every other screener; each parser takes one page at a time.
    from konvoy_portspec.analysis.scan import pool

    root = _tree(tmp_path)
    (root / "d").mkdir()
    for k in range(12):
        (root / "d" / f"ports-{k}.md").write_text(PIPE_PAGE, "utf-8")
    os.mkfifo(root / "d" / "fifo.md")  # skipped: seen by the parent's walk and the walker's
    serial = scan_tree(str(root), jobs=1, cache={})
    for name, value in (("SERIAL_BELOW", 0), ("STREAM", 1), ("HAND", 1)):
        monkeypatch.setattr(pool, name, value)
    for parse_below in (0, 100):  # parser processes, then in-process
        monkeypatch.setattr(pool, "PARSE_IN_PROCESS_BELOW", parse_below)
        parallel = scan_tree(str(root), jobs=jobs, cache={})
        assert _outcome(parallel) == _outcome(serial)
        assert parallel.entries == serial.entries
    assert len(serial.pages) == 3 + 12 and serial.files == 8 + 13
    assert [s.path for s in serial.skipped] == ["d/fifo.md"]


def _children(parent: int | None = None) -> dict[int, str]:
    """The child processes of ``parent`` (this process) and their states, from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
            except OSError:
                continue
            if int(ppid) == (os.getpid() if parent is None else parent):
                found[int(entry)] = state
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_ctrl_c_stops_and_reaps_the_screeners(tmp_path, monkeypatch):
    import time

    from konvoy_portspec.analysis.scan import pool

    real = pool.screen_chunk

    def slow(root: str, rels: list[str]) -> object:
        time.sleep(0.2)
        return real(root, rels)

    def interrupt(done: int, found: int) -> None:
        raise KeyboardInterrupt

    for name, value in (("SERIAL_BELOW", 0), ("STREAM", 1), ("screen_chunk", slow)):
        monkeypatch.setattr(pool, name, value)
    root = tmp_path / "docs"
    root.mkdir()
    for k in range(100):  # ten seconds of screening, were the screeners left to finish
        (root / f"p{k}.md").write_text(PIPE_PAGE, "utf-8")
    before = _children()  # what earlier tests may have left
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        scan_tree(str(root), jobs=2, progress=interrupt)
    assert time.monotonic() - start < 5  # stopped, not waited for
    assert _children().keys() - before.keys() == set()  # none left running, no zombie


_ORPHAN_SCRIPT = """
import sys, time
from konvoy_portspec.analysis.scan import pool
real = pool.screen_chunk
def slow(root, rels):
    time.sleep(0.2)
    return real(root, rels)
pool.SERIAL_BELOW, pool.STREAM, pool.screen_chunk = 0, 1, slow
pool.scan_tree(sys.argv[1], jobs=2)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_workers_exit_soon_after_their_parent_is_killed(tmp_path):
    # The OOM killer or a CI timeout kills the scan: its screeners and parsers must not
    # stay behind (this scan's screeners would take ten seconds on their own; parsers
    # wait for work from their parent).
    import signal
    import time

    root = tmp_path / "docs"
    root.mkdir()
    for k in range(100):
        (root / f"p{k}.md").write_text(PIPE_PAGE, "utf-8")
    scan = subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT, str(root)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        workers: list[int] = []
        while len(workers) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = list(_children(scan.pid))
        assert len(workers) == 4, "the screeners and the parsers did not start"
    finally:
        scan.send_signal(signal.SIGKILL)
        scan.wait()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and any(_running(pid) for pid in workers):
        time.sleep(0.05)
    left = [pid for pid in workers if _running(pid)]
    for pid in left:  # a failing run leaves nothing behind either
        os.kill(pid, signal.SIGKILL)
    assert left == []


def _running(pid: int) -> bool:
    """Still running (an exited orphan may stay a zombie where nothing reaps it)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_an_error_in_the_screener_reaches_the_user_as_one_line(tmp_path, capsys, monkeypatch):
    from konvoy_portspec.analysis.scan import pool

    def unreadable(root: str, exclude: object = ()) -> object:
        raise PortSpecError("cannot read: Permission denied", path=root)
        yield  # a generator, as the walk is: it fails when the screener starts it

    monkeypatch.setattr(pool, "SERIAL_BELOW", 0)
    monkeypatch.setattr(pool, "walk", unreadable)
    (tmp_path / "ok.md").write_text(PIPE_PAGE, "utf-8")
    assert cli.run(["scan", str(tmp_path), "--jobs", "2"]) == 3
    err = capsys.readouterr().err
    assert f"{tmp_path}: cannot read: Permission denied" in err
    assert "Traceback" not in err


def test_exclude_skips_names_anywhere_and_paths_below_the_root(tmp_path, capsys):
    root = tmp_path / "docs"
    for rel in (
        "content/v2.1/ports.md",
        "content/archive/v1.0/ports.md",
        "public/v2.1/ports/index.html",
        "site/content/archive/x.md",
        "content/v2.1/draft.md",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(PIPE_PAGE, "utf-8")
    everything = list_pages(str(root))
    assert len(everything) == 5
    assert list_pages(str(root), ["public", "draft.md"]) == [
        "content/archive/v1.0/ports.md",
        "content/v2.1/ports.md",
        "site/content/archive/x.md",
    ]
    # A path pattern is anchored at the root: site/content/archive is not content/archive.
    assert list_pages(str(root), ["content/archive/", "*.html"]) == [
        "content/v2.1/draft.md",
        "content/v2.1/ports.md",
        "site/content/archive/x.md",
    ]
    assert list_pages(str(root), ["*/v2.*"]) == [
        "content/archive/v1.0/ports.md",
        "site/content/archive/x.md",
    ]
    assert list_pages(str(root), ["Public"]) == everything  # case-sensitive, like paths
    code, data = _run_json(
        ["scan", str(root), "-f", "json", "--exclude", "public", "--exclude", "archive"],
        capsys,
    )
    assert code == 0
    assert [p["path"] for p in data["pages"]] == ["content/v2.1/draft.md", "content/v2.1/ports.md"]
    assert data["totals"]["files"] == 2


def test_scan_and_extract_read_a_page_alike_whatever_its_byte_order_marks(tmp_path, capsys):
    """Both go through one decoding and one pipeline, so they cannot drift apart."""
    page = "\ufeff\ufeff---\nrelease: v2.5\n---\n" + PIPE_PAGE.split("---\n", 2)[2]
    (tmp_path / "p.md").write_text(page, "utf-8")
    spec = extract_file(tmp_path / "p.md")
    code, data = _run_json(["scan", str(tmp_path), "-f", "json"], capsys)
    assert code == 0 and spec.release == "v2.5"
    assert data["pages"][0]["release"] == spec.release
    assert data["pages"][0]["roles"] == to_dict(spec)["roles"]


# --- hostile trees (issue 11): only regular files are read, nothing hangs or crashes --


@pytest.fixture
def no_hang():
    """Fail, instead of hanging the run, when something blocks (a FIFO opened to read)."""
    import signal

    def alarm(signum, frame):
        raise TimeoutError("the scan blocked")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _hostile_tree(tmp_path: Path) -> Path:
    """A good page and, beside it, everything a checkout can hold that is no page."""
    root = tmp_path / "docs"
    (root / ".hidden").mkdir(parents=True)
    (root / "good.md").write_text(PIPE_PAGE, "utf-8")
    (root / "loop-a.md").symlink_to("loop-b.md")
    (root / "loop-b.md").symlink_to("loop-a.md")
    (root / "self.md").symlink_to("self.md")
    (root / "dangling.md").symlink_to("nowhere.md")
    os.mkfifo(root / "fifo.md")
    (root / "zero.md").symlink_to("/dev/zero")
    outside = tmp_path / "outside.md"
    outside.write_text(PIPE_PAGE, "utf-8")
    (root / "outside.md").symlink_to(outside)
    os.mkfifo(root / ".hidden" / "fifo")
    (root / "to-fifo.md").symlink_to(".hidden/fifo")
    (root / ".hidden" / "ports.md").write_text(HTML_PAGE, "utf-8")
    (root / "inside.md").symlink_to(".hidden/ports.md")
    (root / "folder.md").symlink_to(".hidden")
    return root


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_hostile_tree_is_scanned_without_hang_traceback_or_escape(
    tmp_path, capsys, monkeypatch, no_hang, jobs
):
    monkeypatch.setattr("konvoy_portspec.analysis.scan.pool.SERIAL_BELOW", 0)
    monkeypatch.setattr("konvoy_portspec.analysis.scan.pool.PARSE_IN_PROCESS_BELOW", 0)
    root = _hostile_tree(tmp_path)
    code, data = _run_json(["scan", str(root), "-f", "json", "-j", jobs], capsys)
    assert code == 1  # the loops and the dangling link are broken pages
    # Links inside the tree are read; the one that leaves it is not, though it holds
    # a port table.
    assert [p["path"] for p in data["pages"]] == ["good.md", "inside.md"]
    errors = {e["path"]: e["message"] for e in data["errors"]}
    assert sorted(errors) == ["dangling.md", "loop-a.md", "loop-b.md", "self.md"]
    assert "loop" in errors["self.md"] and "loop" in errors["loop-a.md"]
    assert "No such file" in errors["dangling.md"]
    skipped = {s["path"]: s["message"] for s in data["skipped"]}
    assert sorted(skipped) == ["fifo.md", "folder.md", "outside.md", "to-fifo.md", "zero.md"]
    assert "FIFO" in skipped["fifo.md"] and "FIFO" in skipped["to-fifo.md"]
    assert "/dev/zero" in skipped["zero.md"] and "outside" in skipped["zero.md"]
    assert "outside" in skipped["outside.md"] and "folder" in skipped["folder.md"]
    assert data["totals"]["files"] == 11
    assert data["totals"]["errors"] == 4 and data["totals"]["skipped"] == 5


def test_hostile_tree_text_output_names_each_file_on_stderr(tmp_path, capsys, no_hang):
    root = _hostile_tree(tmp_path)
    code = cli.run(["scan", str(root)])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err
    assert out.rstrip().endswith("total: 2 pages, 3 tables, 7 rules, 4 failed, 5 skipped")
    lines = err.splitlines()
    assert "portspec: scan: self.md: symbolic link loop; not read" in lines
    assert "portspec: scan: warning: fifo.md: not a regular file (a FIFO); not read" in lines
    assert any(line.startswith("portspec: scan: warning: zero.md: ") for line in lines)
    assert len(lines) == 4 + 5


def test_a_fifo_that_appears_after_the_walk_is_not_waited_on(tmp_path, no_hang):
    """The walk passes FIFOs over unopened; one swapped in later opens without waiting."""
    from konvoy_portspec.analysis.scan.pages import PageSkipped, scan_page

    os.mkfifo(tmp_path / "late.md")
    assert scan_page(str(tmp_path), "late.md", None) == (
        False,
        PageSkipped("late.md", "not a regular file (a FIFO); not read"),
        None,
    )


def test_a_page_over_the_size_limit_is_an_error_at_that_page(tmp_path, capsys):
    (tmp_path / "big.md").write_text(PIPE_PAGE + "x" * 2000 + "\n", "utf-8")
    (tmp_path / "small.md").write_text(PIPE_PAGE, "utf-8")
    size = (tmp_path / "big.md").stat().st_size
    code, data = _run_json(["scan", str(tmp_path), "-f", "json", "--max-page-size", "1000"], capsys)
    assert code == 1
    assert [p["path"] for p in data["pages"]] == ["small.md"]
    assert data["errors"] == [
        {
            "path": "big.md",
            "line": None,
            "message": f"larger than the page size limit of 1,000 bytes ({size:,} bytes); not read",
        }
    ]
    code, data = _run_json(["scan", str(tmp_path), "-f", "json"], capsys)
    assert code == 0 and len(data["pages"]) == 2
    assert cli.run(["scan", str(tmp_path), "--max-page-size", "0"]) == 2


def test_the_page_size_limit_defaults_to_16_mib_and_help_says_what_is_read(capsys):
    from konvoy_portspec.cli import _common as cli_common
    from konvoy_portspec.io import files

    assert cli_common.MAX_PAGE_SIZE == files.MAX_PAGE_SIZE == 16 * 1024 * 1024
    assert cli.run(["scan", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--max-page-size BYTES" in text and "16 MiB" in text
    assert "symbolic links that lead outside DIR are not followed" in text
    assert "FIFOs, devices and sockets are not opened" in text


def test_a_page_is_read_only_up_to_the_limit_even_when_its_size_lies(tmp_path, monkeypatch):
    """A file that grows, or reports no size as /proc files do, is cut off at limit+1
    bytes: memory stays bounded by the limit, never by the file."""
    from konvoy_portspec.analysis.scan import walk

    (tmp_path / "grows.md").write_bytes(b"x" * 10_000)
    real_fstat, real_read = os.fstat, os.read
    read: list[int] = []

    def fstat(fd):
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, *info[1:6], 0, *info[7:10]))

    def counted_read(fd, n):
        data = real_read(fd, n)
        read.append(len(data))
        return data

    monkeypatch.setattr(os, "fstat", fstat)
    monkeypatch.setattr(os, "read", counted_read)
    with pytest.raises(walk.Unreadable, match="limit of 1,000 bytes"):
        walk.read_page_bytes(str(tmp_path), "grows.md", 1000)
    assert sum(read) == 1001


def test_file_names_that_are_not_utf8_or_hold_escapes_are_shown_safely(tmp_path, capsys):
    name = b"ports-\xff-\x1b[2J.md"
    with open(os.path.join(os.fsencode(tmp_path), name), "wb") as fh:
        fh.write(PIPE_PAGE.encode())
    code, data = _run_json(
        ["scan", str(tmp_path), "-f", "json", "--cache", str(tmp_path / "c")], capsys
    )
    assert code == 0 and [p["path"] for p in data["pages"]] == ["ports-\\xff-\x1b[2J.md"]
    assert cli.run(["scan", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ports-\\xff-\\x1b[2J.md" in out and "\x1b" not in out


def test_bidirectional_overrides_in_file_names_are_shown_escaped(tmp_path, capsys):
    # U+202E would make a terminal show "ports-\u202edm.exe" as "ports-exe.md".
    (tmp_path / "ports-\u202edm.md").write_text(PIPE_PAGE)
    assert cli.run(["scan", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ports-\\u202edm.md" in out and "\u202e" not in out
