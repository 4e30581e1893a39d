"""``portspec extract``, ``releases`` and ``show``: output, exit codes, atomic output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import konvoy_portspec as k
from konvoy_portspec.cli import run
from tests.support import RELEASES


def test_releases(capsys):
    assert run(["releases"]) == 0
    assert capsys.readouterr().out.splitlines() == RELEASES


def test_releases_json(capsys):
    assert run(["releases", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"product": "konvoy", "releases": RELEASES, "latest": RELEASES[-1]}


def test_extract_prints_canonical_json(corpus, capsys):
    assert run(["extract", str(corpus / "v2.1" / "ports.md")]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["release"] == "v2.1"
    assert k.loads(out).roles == k.load("v2.1").roles


def test_extract_release_option_and_output_file(corpus, tmp_path, capsys):
    target = tmp_path / "v2.4.json"
    assert (
        run(["extract", str(corpus / "v2.3" / "ports.md"), "--release", "v2.4", "-o", str(target)])
        == 0
    )
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text())["release"] == "v2.4"
    assert [p.name for p in tmp_path.iterdir()] == ["v2.4.json"]  # no temp file left


def test_bad_page_exits_3_with_file_and_line_and_leaves_no_output(tmp_path, capsys):
    page = tmp_path / "ports.md"
    page.write_text("## Worker nodes\n\n| Port |\n|---|\n| 22 |\n| 32767-30000 |\n")
    target = tmp_path / "out.json"
    target.write_text("previous contents\n")
    assert run(["extract", str(page), "-o", str(target)]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"portspec: error: {page}:6: reversed port range 32767-30000")
    assert "Traceback" not in err
    assert target.read_text() == "previous contents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "ports.md"]


def test_unwritable_output_exits_4(corpus, tmp_path, capsys):
    target = tmp_path / "missing-dir" / "out.json"
    assert run(["extract", str(corpus / "v2.1" / "ports.md"), "-o", str(target)]) == 4
    assert "cannot write" in capsys.readouterr().err
    assert not target.parent.exists()


def test_missing_file_exits_3(tmp_path, capsys):
    assert run(["extract", str(tmp_path / "nope.md")]) == 3
    assert "nope.md: cannot read" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    assert run(["show", "v2.1", "--format", "yaml"]) == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "html"])
def test_show_formats(fmt, capsys):
    assert run(["show", "2.1", "--role", "worker", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "9400" in out and "NVIDIA GPU DCGM" in out
    assert "kube-apiserver" not in out  # only the worker role
    if fmt == "json":
        assert [r["id"] for r in json.loads(out)["roles"]] == ["worker"]


def test_show_unknown_release_and_role(capsys):
    assert run(["show", "v1.4"]) == 3
    err = capsys.readouterr().err
    assert "unknown release 'v1.4'" in err and "v1.5" in err and "v2.3" in err
    assert run(["show", "v2.1", "--role", "gpu"]) == 3
    assert "no role 'gpu'" in capsys.readouterr().err


def test_show_markdown_extracts_back(tmp_path, capsys):
    assert run(["show", "latest", "--format", "markdown", "-o", str(tmp_path / "p.md")]) == 0
    assert k.extract(tmp_path / "p.md").without_source() == k.load("latest").without_source()


def test_console_entry_points_run_without_traceback(tmp_path):
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-m", "konvoy_portspec", "show", "v1.4"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 3
    assert proc.stderr.startswith("portspec: error: unknown release 'v1.4'")
    proc = subprocess.run(
        [sys.executable, "-m", "konvoy_portspec", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert "exit codes:" in proc.stdout and "3  input error" in proc.stdout
