"""check: a ports page against its release's spec, for CI: exit 0 when they agree, 1 with
the readable differences when the page drifted, 2 when the release cannot be told."""

from __future__ import annotations

import json
import shutil

import pytest

from konvoy_portspec.cli import run
from tests.support import RELEASES


@pytest.mark.parametrize("release", RELEASES)
def test_each_corpus_page_agrees_with_its_bundled_release(corpus, release, capsys):
    page = corpus / release / "ports.md"
    assert run(["check", str(page)]) == 0
    out = capsys.readouterr().out
    assert out == f"check: {page} against konvoy {release}: agrees\n"


def test_v20_page_drifts_from_v21(corpus, capsys):
    assert run(["check", str(corpus / "v2.0" / "ports.md"), "--against", "v2.1"]) == 1
    out = capsys.readouterr().out
    assert "against konvoy v2.1: drift" in out
    for line in ("1338/tcp", "9100/tcp", "9400/tcp"):
        assert line in out
    assert "0 added, 5 removed, 0 changed, 0 moved" in out


def test_json_output(corpus, capsys):
    assert run(["check", str(corpus / "v2.0" / "ports.md"), "--against", "v2.1", "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["removed"] == 5
    assert data["old"]["release"] == "v2.1" and data["new"]["release"] == "v2.0"


def _copy(corpus, tmp_path, release="v2.1"):
    """A copy in a vX.Y folder, so the release still comes from the path."""
    folder = tmp_path / release
    folder.mkdir()
    target = folder / "ports.md"
    shutil.copy(corpus / release / "ports.md", target)
    return target


def test_an_edited_port_is_drift(corpus, tmp_path, capsys):
    page = _copy(corpus, tmp_path)
    text = page.read_text("utf-8")
    assert text.count("9400") == 1
    page.write_text(text.replace("9400", "9401"), "utf-8")
    assert run(["check", str(page)]) == 1
    out = capsys.readouterr().out
    assert "9401" in out and "9400" in out
    assert "Worker nodes" in out


def test_a_removed_row_is_drift_and_output_goes_to_a_file(corpus, tmp_path, capsys):
    page = _copy(corpus, tmp_path)
    text = page.read_text("utf-8")
    lines = text.splitlines(keepends=True)
    (row,) = [line for line in lines if line.startswith("| 6443 ")]
    page.write_text(text.replace(row, "", 1), "utf-8")
    report = tmp_path / "drift.txt"
    assert run(["check", str(page), "-o", str(report)]) == 1
    assert capsys.readouterr().out == ""
    body = report.read_text("utf-8")
    assert "6443/tcp" in body and "1 removed" in body


def test_front_matter_names_the_release(corpus, tmp_path):
    page = tmp_path / "ports.md"
    text = (corpus / "v1.8" / "ports.md").read_text("utf-8")
    page.write_text(text.replace("---\n", "---\nrelease: v1.8\n", 1), "utf-8")
    assert run(["check", str(page)]) == 0
    assert run(["check", str(page), "--against", "v2.1"]) == 1


def test_no_release_is_a_usage_error(corpus, tmp_path, capsys):
    page = tmp_path / "ports.md"
    shutil.copy(corpus / "v2.1" / "ports.md", page)
    assert run(["check", str(page)]) == 2
    err = capsys.readouterr().err
    assert "--against" in err and str(page) in err
    assert run(["check", str(page), "--against", "v2.1"]) == 0


def test_bad_inputs(tmp_path, capsys):
    assert run(["check", str(tmp_path / "missing.md"), "--against", "v2.1"]) == 3
    empty = tmp_path / "empty.md"
    empty.write_text("# nothing here\n", "utf-8")
    assert run(["check", str(empty), "--against", "v2.1"]) == 3
    assert "no port table" in capsys.readouterr().err
    assert run(["check", "v2.1"]) == 2  # a release where a page belongs: usage
    page = tmp_path / "v9.9" / "ports.md"
    page.parent.mkdir()
    page.write_text("| Port | Component |\n|---|---|\n| 22 | ssh |\n", "utf-8")
    assert run(["check", str(page)]) == 3
    assert "unknown release 'v9.9'" in capsys.readouterr().err
