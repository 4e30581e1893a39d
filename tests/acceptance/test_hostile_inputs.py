"""Hostile and careless inputs at the command line: every one ends with the documented
exit code and one clear line, never a traceback, a hang, a half-written file or a
replaced device (issue: untrusted docs in, root firewall scripts out).

Each test runs the real ``portspec`` in a subprocess with a timeout, in a temporary
folder; nothing outside it is written.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import konvoy_portspec as k
from konvoy_portspec.errors import PortSpecError
from tests.support import FIXTURES

HOSTILE = FIXTURES / "hostile"
PAGE = "| Port | Component |\n|---|---|\n| 22 | ssh |\n"


def portspec(*args: str, cwd: Path | None = None, stdin: bytes | None = None, timeout: float = 30):
    return subprocess.run(
        [sys.executable, "-m", "konvoy_portspec", *args],
        capture_output=True,
        cwd=cwd,
        input=stdin,
        timeout=timeout,
        check=False,
    )


def one_clean_line(proc: subprocess.CompletedProcess[bytes]) -> str:
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("portspec: error: "), err
    return lines[0]


# --- git: REV:path never reaches git as an option ----------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "v2.4").mkdir(parents=True)
    (root / "v2.4" / "ports.md").write_text(PAGE)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "page"]):
        subprocess.run(["git", *cmd], cwd=root, check=True, env=env, capture_output=True)
    return root


@pytest.mark.parametrize("command", [["extract"], ["diff", "v2.1"], ["check"]])
def test_git_option_injection_writes_nothing(repo, tmp_path, command):
    victim = tmp_path / "p:x"
    proc = portspec(*command, "--", f"--output={victim}", cwd=repo)
    assert proc.returncode in (2, 3)
    assert not victim.exists()
    assert "may not start with '-'" in one_clean_line(proc) or proc.returncode == 2


def test_a_revision_that_is_an_option_is_refused(repo, tmp_path):
    victim = tmp_path / "out"
    proc = portspec("extract", f"--output={victim}:v2.4/ports.md", cwd=repo)
    assert proc.returncode in (2, 3) and not victim.exists()


def test_rev_path_with_a_newline_is_one_line(repo):
    proc = portspec("extract", "HEAD:v2.4/ports.md\nrm -rf /", cwd=repo)
    assert proc.returncode == 3
    assert "one line" in one_clean_line(proc)


def test_a_page_in_git_has_the_page_size_limit_too(repo):
    size = len(PAGE.encode())
    proc = portspec("extract", "HEAD:v2.4/ports.md", "--max-page-size", str(size - 1), cwd=repo)
    assert proc.returncode == 3
    assert f"larger than the limit of {size - 1:,} bytes" in one_clean_line(proc)
    proc = portspec("extract", "HEAD:v2.4/ports.md", "--max-page-size", str(size), cwd=repo)
    assert proc.returncode == 0


def test_rev_path_still_reads_pages_from_git(repo):
    proc = portspec("extract", "HEAD:v2.4/ports.md", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    spec = json.loads(proc.stdout)
    assert spec["release"] == "v2.4"
    assert spec["roles"][0]["ports"][0]["port"] == 22


def test_unknown_revision_is_an_input_error(repo):
    proc = portspec("extract", "no-such-rev:v2.4/ports.md", cwd=repo)
    assert proc.returncode == 3
    assert "no such revision" in one_clean_line(proc)


# --- -o: regular files replaced atomically, nothing else replaced ------------------------


def test_output_replaces_a_regular_file_keeping_its_mode(tmp_path):
    target = tmp_path / "v2.1.json"
    target.write_text("old\n")
    target.chmod(0o640)
    assert portspec("show", "v2.1", "-f", "json", "-o", str(target)).returncode == 0
    assert json.loads(target.read_text())["release"] == "v2.1"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["v2.1.json"]  # no temporary left


def test_output_writes_through_a_symlink_and_keeps_it(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old\n")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert portspec("show", "v2.1", "-f", "json", "-o", str(link)).returncode == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())["release"] == "v2.1"


def test_output_to_a_link_to_dev_null_leaves_dev_null_a_device(tmp_path):
    link = tmp_path / "null"
    link.symlink_to(os.devnull)
    assert portspec("show", "v2.1", "-o", str(link)).returncode == 0
    assert link.is_symlink()
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_output_to_a_fifo_writes_into_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    proc = portspec("show", "v2.1", "-f", "json", "-o", str(fifo))
    reader.join(timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(got[0])["release"] == "v2.1"


def test_output_onto_a_directory_is_an_output_error(tmp_path):
    folder = tmp_path / "dir"
    folder.mkdir()
    proc = portspec("show", "v2.1", "-o", str(folder))
    assert proc.returncode == 4
    assert "will not replace a directory" in one_clean_line(proc)
    assert folder.is_dir() and not list(folder.iterdir())


def test_output_dash_is_stdout(tmp_path):
    proc = portspec("show", "v2.1", "-f", "json", "-o", "-", cwd=tmp_path)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["release"] == "v2.1"
    assert not (tmp_path / "-").exists()


def test_a_failed_output_leaves_the_old_file(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old\n")
    proc = portspec("extract", str(tmp_path / "missing.md"), "-o", str(target))
    assert proc.returncode == 3
    assert target.read_text() == "old\n"


# --- inputs that are not regular files, or too big --------------------------------------


def test_a_fifo_page_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "ports.md"
    os.mkfifo(fifo)
    proc = portspec("extract", str(fifo), timeout=20)
    assert proc.returncode == 3
    assert "not a regular file (a FIFO)" in one_clean_line(proc)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_page_is_refused(device, tmp_path):
    link = tmp_path / "ports.md"
    link.symlink_to(device)
    proc = portspec("extract", str(link), timeout=20)
    assert proc.returncode == 3
    assert "not a regular file (a character device)" in one_clean_line(proc)


def test_a_page_over_the_size_limit_is_a_located_error(tmp_path):
    page = tmp_path / "ports.md"
    with page.open("wb") as fh:  # sparse: takes no disk
        fh.truncate(17 * 1024 * 1024)
    proc = portspec("extract", str(page), timeout=20)
    assert proc.returncode == 3
    line = one_clean_line(proc)
    assert str(page) in line and "larger than the limit" in line


def test_extract_takes_a_page_size_limit(tmp_path):
    page = tmp_path / "ports.md"
    page.write_text("## Worker nodes\n\n| Port | Component |\n|---|---|\n| 10250 | kubelet |\n")
    size = page.stat().st_size
    proc = portspec("extract", str(page), "--max-page-size", str(size - 1))
    assert proc.returncode == 3
    assert f"larger than the limit of {size - 1:,} bytes" in one_clean_line(proc)
    proc = portspec("extract", "-", "--max-page-size", str(size - 1), stdin=page.read_bytes())
    assert proc.returncode == 3 and "larger than the limit" in one_clean_line(proc)
    proc = portspec("extract", str(page), "--max-page-size", str(size), "--release", "v1.0")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["roles"][0]["ports"][0]["port"] == 10250
    assert portspec("extract", str(page), "--max-page-size", "0").returncode == 2


# --- hostile JSON -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("deep.json", '{"roles": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ("digits.json", '{"schema_version": ' + "9" * 5000 + "}", "not usable"),
        ("nan.json", '{"schema_version": NaN}', "not a valid port spec"),
    ],
)
@pytest.mark.parametrize("command", [["show"], ["diff", "v2.1"], ["validate"]])
def test_hostile_json_is_one_line_and_exit_3(tmp_path, name, text, words, command):
    spec = tmp_path / name
    spec.write_text(text)
    proc = portspec(*command, str(spec))
    if command == ["validate"] and name == "nan.json":
        # valid JSON that breaks the schema is a finding of `validate` (exit 1), said once
        assert proc.returncode == 1
        assert "[schema] schema_version" in proc.stdout.decode()
        return
    assert proc.returncode == 3, proc.stderr
    line = one_clean_line(proc)
    assert words in line and name in line


@pytest.mark.parametrize(
    ("field", "value"),
    [("release", "v9.9\ntouch /tmp/x #"), ("release", "v9.9\nflush ruleset #"), ("product", "")],
)
def test_a_spec_with_a_multi_line_header_is_refused_before_export(tmp_path, field, value):
    data = json.loads(k.dumps(k.load("v2.1")))
    data[field] = value
    spec = tmp_path / "evil.json"
    spec.write_text(json.dumps(data))
    out = tmp_path / "fw.sh"
    proc = portspec("export", str(spec), "-f", "iptables", "--role", "worker", "-o", str(out))
    assert proc.returncode == 3
    assert "not a valid port spec" in one_clean_line(proc)
    assert not out.exists()


def test_front_matter_with_a_newline_in_the_release_is_refused(tmp_path):
    page = tmp_path / "ports.md"
    page.write_text('---\nrelease: "v9.9\\ntouch /tmp/x #"\n---\n' + PAGE)
    proc = portspec("extract", str(page))
    assert proc.returncode == 3
    assert "control character U+000A" in one_clean_line(proc)


def test_empty_product_in_front_matter_is_refused(tmp_path):
    page = tmp_path / "ports.md"
    page.write_text('---\nproduct: ""\n---\n' + PAGE)
    proc = portspec("extract", str(page))
    assert proc.returncode == 3
    assert "product" in one_clean_line(proc)


# --- text: control characters, surrogates, nesting ----------------------------------------


def test_control_characters_in_a_page_are_a_located_error(tmp_path):
    page = tmp_path / "ports.md"
    page.write_text("# Worker nodes\n\n" + PAGE.replace("ssh", "s\x1b[2Jh"))
    proc = portspec("extract", str(page))
    assert proc.returncode == 3
    line = one_clean_line(proc)
    assert f"{page}:5:" in line and "U+001B" in line


def test_an_entity_that_decodes_to_a_control_character_is_refused(tmp_path):
    page = tmp_path / "ports.html"
    page.write_text(
        "<html><body><h2>Worker nodes</h2><table><tr><th>Port</th><th>Component</th></tr>"
        "<tr><td>22</td><td>s&#27;[2Jh</td></tr></table></body></html>"
    )
    proc = portspec("extract", str(page))
    assert proc.returncode == 3
    assert "U+001B" in one_clean_line(proc)


def test_a_lone_surrogate_in_text_is_a_portspec_error():
    with pytest.raises(PortSpecError, match="surrogate"):
        k.extract("\ud800" + PAGE)


def test_tables_after_a_deep_list_are_never_dropped_silently(tmp_path):
    deep = "".join("  " * i + "- item\n" for i in range(30))
    page = tmp_path / "ports.md"
    page.write_text(deep + "\n" + PAGE)
    proc = portspec("extract", str(page))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["roles"][0]["ports"][0]["port"] == 22
    deeper = "".join("  " * i + "- item\n" for i in range(120))
    page.write_text(deeper + "\n" + PAGE)
    proc = portspec("extract", str(page))
    assert proc.returncode == 3
    assert "nested more than" in one_clean_line(proc)


def test_an_empty_name_names_itself():
    proc = portspec("show", "")
    assert proc.returncode == 3
    assert "''" in one_clean_line(proc)


# --- stdout ---------------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_stdout_on_a_full_disk_is_an_output_error():
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "konvoy_portspec", "show", "v2.1"],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=30,
            check=False,
        )
    assert proc.returncode == 4
    assert "No space left" in one_clean_line(proc)


def test_a_closed_pipe_exits_141_even_for_large_output(tmp_path):
    data = json.loads(k.dumps(k.load("v2.1")))
    rule = data["roles"][1]["ports"][0]
    data["roles"][1]["ports"] = [dict(rule, port=p, end_port=p) for p in range(1, 40000)]
    big = tmp_path / "big.json"
    big.write_text(json.dumps(data))
    script = f"set -o pipefail; {sys.executable} -m konvoy_portspec export {big} -f csv | head -1"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, timeout=60, check=False)
    assert proc.stdout.decode().startswith("port,end_port,protocol")
    assert proc.returncode == 141
    assert b"Traceback" not in proc.stderr


# --- stdin ----------------------------------------------------------------------------------


def test_dash_reads_a_spec_from_stdin_as_json():
    proc = portspec("diff", "v2.0", "-", stdin=k.dumps(k.load("v2.1")).encode())
    assert proc.returncode == 0, proc.stderr
    assert "9400/tcp" in proc.stdout.decode()


def test_dash_reads_a_page_from_stdin():
    proc = portspec("extract", "-", "--release", "v2.4", stdin=PAGE.encode())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["roles"][0]["ports"][0]["port"] == 22


# --- found by benchmarks/fuzz_extract.py ----------------------------------------------------


def test_a_cell_of_thousands_of_brackets_is_read_as_text():
    """markdown-it's link rule is quadratic in "["; such a cell took seconds per page."""
    cell = "kubelet " + "[" * 5000
    spec = k.extract(f"## Worker nodes\n\n| Port | Component |\n|---|---|\n| 22 | {cell} |\n")
    (rule,) = spec.roles["worker"].rules
    assert rule.port == 22 and rule.component == cell


def test_html_the_parser_rejects_is_a_portspec_error():
    page = "<html><body><![-8U1t924t8:*_'T:!<table><tr><th>Port</th></tr></table></body></html>"
    with pytest.raises(PortSpecError, match="HTML the parser cannot read"):
        k.extract(page)


def test_running_out_of_memory_is_one_line_and_exit_3(tmp_path):
    """A 13 MB page under a 100 MB address-space limit: a clean error, no output file.
    (The interpreter and the CLI start in 60 MB; this page needs about 200 MB.)"""
    import resource

    rows = "".join(f"| {1 + i % 65535} | component-{i} | notes {i} |\n" for i in range(300_000))
    page = tmp_path / "ports.md"
    page.write_text("## Worker nodes\n\n| Port | Component | Notes |\n|---|---|---|\n" + rows)
    out = tmp_path / "out.json"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (100 * 1024 * 1024, 100 * 1024 * 1024))

    proc = subprocess.run(
        [sys.executable, "-m", "konvoy_portspec", "extract", str(page), "-o", str(out)],
        capture_output=True,
        preexec_fn=limit,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 3
    assert one_clean_line(proc) == "portspec: error: not enough memory for this input"
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["ports.md"]
