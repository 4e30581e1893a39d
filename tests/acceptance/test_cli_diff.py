"""``portspec diff`` end to end: sides, formats, roles, exit codes, errors, colour, the
import discipline of its start path, and the start-up benchmark script."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema
import pytest

from konvoy_portspec.cli import run
from tests.support import ROOT, load_script

# Also what only errors and shell completion need: difflib ("did you mean") and argcomplete.
HEAVY = {"bs4", "markdown_it", "docutils", "sphinx", "jsonschema", "yaml", "difflib", "argcomplete"}
SCHEMA = json.loads((ROOT / "spec" / "diff.schema.json").read_text("utf-8"))


def portspec(capsys, *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sides(fixtures):
    return str(fixtures / "diff" / "old.json"), str(fixtures / "diff" / "new.json")


def test_diff_two_releases_exits_0_with_changes(capsys):
    code, out, err = portspec(capsys, "diff", "v2.0", "v2.1")
    assert code == 0 and err == ""
    assert out.splitlines()[-1] == "5 added, 0 removed, 0 changed, 0 moved"
    assert out.count("\n  + ") == 5


@pytest.mark.parametrize("spelling", [("1.8", "2.0"), ("v1.8", "v2.0"), ("V1.8", "2.0")])
def test_release_spellings_and_no_changes(capsys, spelling):
    code, out, _ = portspec(capsys, "diff", *spelling)
    assert code == 0
    assert out == "konvoy v1.8 -> v2.0: no changes\n"


def test_latest_is_the_newest_release(capsys):
    code, out, _ = portspec(capsys, "diff", "v2.3", "latest")
    assert code == 0 and "no changes" in out


def test_pages_are_extracted_on_the_fly(capsys, corpus):
    code, out, _ = portspec(
        capsys, "diff", str(corpus / "v2.0" / "ports.md"), str(corpus / "v2.1" / "ports.md")
    )
    assert code == 0
    assert "5 added, 0 removed, 0 changed, 0 moved" in out


def test_page_revisions_against_each_other(capsys, corpus):
    folder = corpus / "history" / "v2.1"
    code, out, _ = portspec(
        capsys,
        "diff",
        str(folder / "2021-09-21_283343db.md"),
        str(folder / "2021-09-24_5b819a6d.md"),
        "-f",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    assert {(c["role"], c["port"], c["kind"]) for c in data["changes"]} == {
        ("control-plane", 9100, "added"),
        ("worker", 9100, "added"),
    }


def test_release_against_spec_file(capsys, tmp_path):
    code, out, _ = portspec(capsys, "show", "v2.1", "--format", "json")
    spec_file = tmp_path / "v2.1.json"
    spec_file.write_text(out, "utf-8")
    code, out, _ = portspec(capsys, "diff", "v2.1", str(spec_file), "--exit-code")
    assert code == 0 and "no changes" in out


def test_json_format_follows_the_schema(capsys, sides):
    code, out, _ = portspec(capsys, "diff", *sides, "--format", "json")
    assert code == 0
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    assert data["summary"] == {"added": 2, "removed": 2, "changed": 3, "moved": 2}


def test_markdown_and_firewall_formats(capsys, sides):
    _, md, _ = portspec(capsys, "diff", *sides, "-f", "markdown")
    assert "| Port | Protocol | Component | Notes | Change |" in md
    _, fw, _ = portspec(capsys, "diff", *sides, "-f", "firewall")
    # in the role's own chain, which `export --format iptables` installs
    assert "iptables -A KONVOY-CONTROL-PLANE -p tcp -m tcp --dport 10259" in fw
    assert "iptables -D KONVOY-CONTROL-PLANE -p tcp -m tcp --dport 10251" in fw


def test_role_restricts_the_diff(capsys, sides):
    code, out, _ = portspec(capsys, "diff", *sides, "--role", "worker", "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert {c["role"] for c in data["changes"]} == {"worker"}
    assert data["summary"]["changed"] == 1
    code, out, _ = portspec(capsys, "diff", "v2.0", "v2.1", "--role", "worker")
    assert "Control-plane" not in out and out.splitlines()[-1].startswith("3 added")


def test_role_of_one_side_only(capsys, sides):
    code, out, _ = portspec(capsys, "diff", *sides, "--role", "bastion", "-f", "json")
    assert code == 0
    assert [(c["kind"], c["port"]) for c in json.loads(out)["changes"]] == [("removed", 22)]


def test_unknown_role_is_an_input_error(capsys):
    code, out, err = portspec(capsys, "diff", "v2.0", "v2.1", "--role", "gpu")
    assert code == 3 and out == ""
    assert err == "portspec: error: no role 'gpu' on either side; roles: control-plane, worker\n"


# --- exit codes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["v2.0", "v2.1"], 0),
        (["v2.0", "v2.1", "--exit-code"], 1),
        (["v1.8", "v2.0", "--exit-code"], 0),
        (["v2.0", "v2.1", "--fail-on", "added"], 1),
        (["v2.0", "v2.1", "--fail-on", "removed"], 0),
        (["v2.1", "v2.0", "--fail-on", "removed,moved"], 1),
        (["v2.1", "v2.0", "--fail-on", "added,changed,moved"], 0),
        (["v2.0", "v2.1", "--fail-on", " Added , moved"], 1),
        (["v2.0", "v2.1", "--exit-code", "--fail-on", "removed"], 0),
    ],
)
def test_exit_codes(capsys, argv, expected):
    code, _, _ = portspec(capsys, "diff", *argv)
    assert code == expected


@pytest.mark.parametrize(("kinds", "fixture_code"), [("moved", 1), ("changed", 1), ("added", 1)])
def test_fail_on_each_kind_with_fixture(capsys, sides, kinds, fixture_code):
    code, _, _ = portspec(capsys, "diff", *sides, "--fail-on", kinds)
    assert code == fixture_code


@pytest.mark.parametrize("bad", ["renamed", "added,bogus", ",", ""])
def test_bad_fail_on_kind_is_a_usage_error(capsys, bad):
    code, out, err = portspec(capsys, "diff", "v2.0", "v2.1", "--fail-on", bad)
    assert code == 2 and out == ""
    assert "--fail-on" in err and "choose from added, removed, changed, moved" in err


def test_usage_errors(capsys):
    assert portspec(capsys, "diff", "v2.0")[0] == 2
    assert portspec(capsys, "diff", "v2.0", "v2.1", "--format", "yaml")[0] == 2


def test_unknown_release_names_the_side(capsys):
    code, out, err = portspec(capsys, "diff", "v1.4", "v2.1")
    assert code == 3 and out == ""
    assert err.startswith("portspec: error: old side: unknown release 'v1.4'; known releases: v1.5")
    assert err.rstrip().endswith("v2.3")
    code, _, err = portspec(capsys, "diff", "v2.1", "v9.9")
    assert code == 3 and err.startswith("portspec: error: new side: unknown release 'v9.9'")


def test_bad_files_name_the_side_and_file(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"release": ', "utf-8")
    code, _, err = portspec(capsys, "diff", "v2.1", str(bad))
    assert code == 3
    assert err.startswith(f"portspec: error: new side: {bad}:1: not valid JSON")
    assert "Traceback" not in err
    page = tmp_path / "empty.md"
    page.write_text("# nothing here\n", "utf-8")
    code, _, err = portspec(capsys, "diff", str(page), "v2.1")
    assert code == 3 and "old side" in err and "empty.md" in err
    code, _, err = portspec(capsys, "diff", str(tmp_path / "missing.md"), "v2.1")
    assert code == 3 and "old side" in err


def test_output_file_is_written_without_colour(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    target = tmp_path / "changes.txt"
    code, out, _ = portspec(capsys, "diff", "v2.0", "v2.1", "-o", str(target))
    assert code == 0 and out == ""
    text = target.read_text("utf-8")
    assert "\x1b[" not in text and text.endswith("5 added, 0 removed, 0 changed, 0 moved\n")


def test_colour_flags(capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert "\x1b[" not in portspec(capsys, "diff", "v2.0", "v2.1")[1]  # not a terminal
    assert "\x1b[32m" in portspec(capsys, "diff", "v2.0", "v2.1", "--color", "always")[1]
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[32m" in portspec(capsys, "diff", "v2.0", "v2.1")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in portspec(capsys, "diff", "v2.0", "v2.1")[1]
    assert "\x1b[" not in portspec(capsys, "diff", "v2.0", "v2.1", "--color", "never")[1]


# --- end to end, start path ----------------------------------------------------------


def test_console_script_end_to_end():
    script = os.path.join(os.path.dirname(sys.executable), "portspec")
    command = [script] if os.path.exists(script) else [sys.executable, "-m", "konvoy_portspec"]
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.run(
        [*command, "diff", "v1.8", "v2.1"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "5 added, 0 removed, 0 changed, 0 moved"
    proc = subprocess.run(
        [*command, "diff", "v1.4", "v2.1"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 3 and proc.stderr.count("\n") == 1 and "old side" in proc.stderr
    proc = subprocess.run(
        [*command, "diff", "v2.0", "v2.1", "--fail-on", "x"], capture_output=True, text=True
    )
    assert proc.returncode == 2


def test_diff_of_bundled_releases_imports_no_heavy_module():
    code = (
        "import sys\n"
        "from konvoy_portspec.cli import run\n"
        "rc = run(['diff', 'v1.8', 'v2.1'])\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(HEAVY)!r})\n"
        "print('RC', rc)\n"
        "print('HEAVY', ','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = proc.stdout.splitlines()
    assert "RC 0" in lines
    assert lines[-1] == "HEAVY ", f"heavy modules on the diff start path: {lines[-1]}"


def test_the_heavy_module_check_can_fail():
    """The import check above would see a heavy module (it is not vacuous)."""
    code = "import sys, jsonschema\nprint([m for m in sys.modules if m == 'jsonschema'])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "jsonschema" in proc.stdout


def test_bench_script_reports_a_ratio_and_verdict(capsys):
    bench = load_script("benchmarks/bench_cli_start.py")
    assert bench.cli_command()[-3:] == ["diff", "v1.8", "v2.1"]
    code = bench.main(["-n", "2", "--goal", "1000"])
    out = capsys.readouterr().out
    line = out.splitlines()[-1]
    assert code == 0
    assert line.startswith("cli-start: ratio ") and line.endswith("x (goal <= 1000x) PASS")
    code = bench.main(["-n", "1", "--goal", "0.01"])
    assert code == 1 and capsys.readouterr().out.splitlines()[-1].endswith("FAIL")
