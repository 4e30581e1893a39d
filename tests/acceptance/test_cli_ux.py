"""The command line as a daily tool: help with examples, ``portspec`` alone, "did you
mean", ``-V``, ``-`` for every reader, shell completion and the man page."""

from __future__ import annotations

import argparse
import io
import os
import re
import shlex
import subprocess
import sys
from contextlib import redirect_stdout

import pytest

import konvoy_portspec as k
from konvoy_portspec.cli import COMMANDS, build_parser, run
from konvoy_portspec.cli.examples import EXAMPLES
from konvoy_portspec.model import Role, Rule, Spec
from konvoy_portspec.version import __version__
from tests._system import find_tool
from tests.support import RELEASES

ENV = dict(os.environ, NO_COLOR="1", COLUMNS="100")


def portspec(capsys, *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def command_line() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m``."""
    script = os.path.join(os.path.dirname(sys.executable), "portspec")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "konvoy_portspec"]


def invocations(line: str) -> list[list[str]]:
    """The ``portspec ...`` argument lists in a shell line (around pipes, redirections
    and ``$(...)``)."""
    found = []
    for segment in re.findall(r"(?:^|[\s(|])portspec((?: [^|>)\"&;]*)?)", line):
        found.append(shlex.split(segment))
    return found


# --- help: portspec alone, examples --------------------------------------------------


def test_no_arguments_prints_the_overview_help_and_exits_0(capsys):
    code, out, err = portspec(capsys)
    assert code == 0 and err == ""
    assert out.startswith("usage: portspec ")
    assert all(f"    {name}" in out for name in COMMANDS)  # every command is listed
    assert "exit codes:" in out
    proc = subprocess.run(command_line(), capture_output=True, text=True, env=ENV, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: portspec ")


def examples_of(name: str) -> list[str]:
    """The command lines under ``examples:`` in ``portspec NAME --help``."""
    out = io.StringIO()
    with pytest.raises(SystemExit), redirect_stdout(out):
        build_parser(name).parse_args([name, "--help"])
    text = out.getvalue()
    assert "\nexamples:\n" in text, f"no examples in portspec {name} --help"
    block = text.split("\nexamples:\n", 1)[1]
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    comments = [line for line in lines if line.startswith("# ")]
    commands = [line for line in lines if not line.startswith("# ")]
    assert len(comments) == len(commands), block  # each example says what it does
    return commands


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_help_ends_with_two_or_three_examples(capsys, name):
    code, out, _ = portspec(capsys, name, "--help")
    assert code == 0 and "\nexamples:\n" in out
    commands = examples_of(name)
    assert 2 <= len(commands) <= 3, commands
    assert all(any(call[:1] == [name] for call in invocations(c)) for c in commands)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_example_is_accepted_by_the_parser(name):
    parser = build_parser()
    for example in examples_of(name):
        for argv in invocations(example):
            parser.parse_args(argv)  # a usage error would raise SystemExit


def test_table_examples_are_shown_unless_a_command_has_its_own():
    for name, rows in EXAMPLES.items():
        assert examples_of(name) == [command for _, command in rows]


#: Examples that need nothing but the bundled data, run for real (they must exit 0).
SELF_CONTAINED = [
    ["diff", "v1.8", "v2.1"],
    ["diff", "v2.0", "v2.1", "--role", "worker", "--format", "markdown"],
    ["log", "--port", "9400"],
    ["log", "--release", "v2.1"],
    ["log", "--since", "v2.0", "--role", "worker", "--format", "json"],
    ["releases"],
    ["releases", "--format", "json"],
    ["show", "v2.1"],
    ["show", "latest", "--role", "worker", "--format", "markdown"],
    ["validate"],
    ["validate", "v2.1", "--format", "json"],
]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_self_contained_list_holds_every_such_table_example(name):
    """Every table example without a file, pipe or host dependency is run below."""
    for line in examples_of(name):
        plain = not re.search(r"[|>$&]|/|\.(json|md|html|yaml)\b", line)
        if plain and name not in ("preflight", "completion"):
            assert invocations(line)[0] in SELF_CONTAINED, line


@pytest.mark.parametrize("argv", SELF_CONTAINED)
def test_self_contained_examples_run(capsys, argv):
    code, out, err = portspec(capsys, *argv)
    assert code == 0, err
    assert out.strip() and "error" not in err


def test_examples_stay_unwrapped_in_a_narrow_terminal(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "40")
    _, out, _ = portspec(capsys, "diff", "--help")
    assert "\n  portspec diff v2.0 v2.1 --role worker --format markdown\n" in out


# --- did you mean ----------------------------------------------------------------------


def test_mistyped_command_suggests_the_nearest(capsys):
    code, out, err = portspec(capsys, "dif", "v1.8", "v2.1")
    assert code == 2 and out == ""
    assert "invalid choice: 'dif'; did you mean 'diff'?" in err
    code, _, err = portspec(capsys, "chek", "ports.md")
    assert code == 2 and "did you mean 'check'?" in err
    code, _, err = portspec(capsys, "frobnicate")
    assert code == 2 and "did you mean" not in err and "choose from diff, log" in err


@pytest.mark.parametrize("spelling", [["--fromat", "json"], ["--fromat=json"]])
def test_mistyped_option_suggests_the_nearest(capsys, spelling):
    code, out, err = portspec(capsys, "diff", "v1.8", "v2.1", *spelling)
    assert code == 2 and out == ""
    assert "did you mean '--format'?" in err
    assert err.startswith("usage: portspec diff ")  # the command's usage, not the top one


def test_mistyped_choice_suggests_the_nearest(capsys):
    code, _, err = portspec(capsys, "show", "v2.1", "--format", "jsno")
    assert code == 2 and "invalid choice: 'jsno'; did you mean 'json'?" in err
    code, _, err = portspec(capsys, "diff", "v2.0", "v2.1", "--fail-on", "add")
    assert code == 2 and "did you mean 'added'?" in err


def test_mistyped_role_suggests_a_role_of_the_loaded_spec(capsys, tmp_path):
    code, _, err = portspec(capsys, "diff", "v2.0", "v2.1", "--role", "wokrer")
    assert code == 3
    assert err.rstrip().endswith("roles: control-plane, worker; did you mean 'worker'?")
    code, _, err = portspec(capsys, "log", "--role", "contrl-plane")
    assert code == 3 and "did you mean 'control-plane'?" in err
    # The names come from the spec named on the line, not from a fixed list.
    spec = Spec("v9.9", [Role("gpu-worker", "GPU workers", [Rule.single(9400)])])
    path = tmp_path / "gpu.json"
    path.write_text(k.dumps(spec))
    code, _, err = portspec(capsys, "show", str(path), "--role", "gpu-wroker")
    assert code == 3 and "did you mean 'gpu-worker'?" in err


def test_unknown_release_suggests_the_nearest_only_when_one_is(capsys):
    code, _, err = portspec(capsys, "show", "v2.11")
    assert code == 3 and err.rstrip().endswith("did you mean 'v2.1'?")
    code, _, err = portspec(capsys, "log", "--since", "2.11")
    assert code == 3 and err.rstrip().endswith("did you mean 'v2.1'?")
    # v1.4 is as near to v1.5 as to v1.8: no guess, the known list says the rest.
    code, _, err = portspec(capsys, "show", "v1.4")
    assert code == 3 and "did you mean" not in err and "known releases: v1.5" in err
    code, _, err = portspec(capsys, "validate", "v2.11")
    assert code == 3 and "did you mean 'v2.1'?" in err


# --- version -------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_names_the_bundled_releases(capsys, flag):
    code, out, _ = portspec(capsys, flag)
    assert code == 0
    assert out == f"portspec {__version__} (bundled releases {RELEASES[0]}-{RELEASES[-1]})\n"


# --- standard input ------------------------------------------------------------------


def feed(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


@pytest.mark.parametrize(
    ("argv", "expect"),
    [
        (["show", "-", "--format", "json"], '"release": "v2.1"'),
        (["export", "-", "--format", "csv", "--role", "worker"], "9400,9400,tcp,NVIDIA GPU DCGM"),
        (["diff", "v2.0", "-"], "5 added, 0 removed, 0 changed, 0 moved"),
        (["validate", "-"], "validated 1 spec"),
    ],
)
def test_spec_readers_take_stdin(monkeypatch, capsys, argv, expect):
    feed(monkeypatch, k.dumps(k.load("v2.1")).encode())
    code, out, err = portspec(capsys, *argv)
    assert code == 0, err
    assert expect in out


@pytest.mark.parametrize(
    "argv",
    [
        ["extract", "-", "--release", "v2.1"],
        ["check", "-", "--against", "v2.1"],
        ["show", "-", "--format", "json"],
    ],
)
def test_page_readers_take_stdin(monkeypatch, capsys, corpus, argv):
    feed(monkeypatch, (corpus / "v2.1" / "ports.md").read_bytes())
    code, out, err = portspec(capsys, *argv)
    assert code == 0, err
    if argv[0] == "check":
        assert out.rstrip().endswith("agrees")
    else:
        assert k.loads(out).roles == k.load("v2.1").roles


def test_policy_from_stdin(monkeypatch, capsys):
    feed(monkeypatch, _bundled_policy())
    code, out, err = portspec(capsys, "validate", "v2.1", "--policy", "-")
    assert code == 0, err
    assert out.startswith("validated 1 spec")


def _bundled_policy() -> bytes:
    from konvoy_portspec.io.package_data import spec_dir

    with open(os.path.join(spec_dir(), "policy.json"), "rb") as fh:
        return fh.read()


@pytest.mark.parametrize(
    "argv",
    [["diff", "-", "-"], ["check", "-", "--against", "-"], ["validate", "-", "--policy", "-"]],
)
def test_stdin_can_be_read_once_only(monkeypatch, capsys, argv):
    feed(monkeypatch, k.dumps(k.load("v2.1")).encode())
    code, out, err = portspec(capsys, *argv)
    assert code == 2 and out == ""
    assert "only one argument can be - (standard input)" in err


# --- shell completion ----------------------------------------------------------------


def test_completion_without_argcomplete_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "argcomplete", None)  # import fails
    code, out, err = portspec(capsys, "completion", "bash")
    assert code == 3 and out == ""
    assert err == "portspec: error: shell completion needs the argcomplete package" + (
        " (pip install argcomplete)\n"
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_registers_portspec(capsys, shell):
    pytest.importorskip("argcomplete")
    code, out, _ = portspec(capsys, "completion", shell)
    assert code == 0
    assert "portspec" in out and "_ARGCOMPLETE" in out
    tool, why = find_tool(shell, shell)
    if tool is None:
        pytest.skip(why)
    check = [tool, "--no-execute"] if shell == "fish" else [tool, "-n"]
    proc = subprocess.run([*check], input=out, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def choices_of(command: str, option: str) -> list[str]:
    """The values the parser accepts for ``command``'s ``option``."""
    parser = build_parser(command)
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub = subparsers.choices[command]
    return list(next(a.choices for a in sub._actions if option in a.option_strings))


def bash_complete(line: str) -> list[str]:
    """What bash offers for ``line`` (ending where the cursor is), through the script
    ``portspec completion bash`` prints and the installed ``portspec``."""
    script = os.path.join(os.path.dirname(sys.executable), "portspec")
    if not os.path.exists(script):
        pytest.skip("no portspec console script beside the interpreter")
    bash, why = find_tool("bash", "bash")
    if bash is None:
        pytest.skip(why)
    driver = (
        "source <(portspec completion bash)\n"
        'COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}\n'
        'read -ra COMP_WORDS <<< "$COMP_LINE"\n'
        '[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")\n'
        "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
        "_python_argcomplete portspec\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = dict(ENV, PATH=os.path.dirname(script) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run(
        [bash, "-c", driver, "bash", line], capture_output=True, text=True, env=env, check=True
    )
    return [w.strip() for w in proc.stdout.splitlines() if w.strip()]


def test_bash_completes_commands_options_and_choices():
    pytest.importorskip("argcomplete")
    assert bash_complete("portspec di") == ["diff"]
    assert bash_complete("portspec diff v2.0 v2.1 --fo") == ["--format"]
    assert bash_complete("portspec export v2.1 -f ") == choices_of("export", "--format")
    assert bash_complete("portspec completion ") == ["-h", "--help", "bash", "zsh", "fish"]
    kinds = ["added", "removed", "changed", "moved"]
    assert bash_complete("portspec diff v2.0 v2.1 --fail-on ") == kinds
    assert bash_complete("portspec log --port ") == []  # a number: no file names


def test_bash_completes_release_names_and_roles(tmp_path):
    pytest.importorskip("argcomplete")
    assert bash_complete("portspec show v2.") == [r for r in reversed(RELEASES) if r >= "v2."]
    assert bash_complete("portspec log --since ") == [*reversed(RELEASES), "latest"]
    assert bash_complete("portspec diff v2.0 v2.1 --role ") == ["control-plane", "worker"]
    spec = Spec("v9.9", [Role("gpu-worker", "GPU workers", [Rule.single(9400)])])
    path = tmp_path / "gpu.json"
    path.write_text(k.dumps(spec))
    assert bash_complete(f"portspec show {path} --role ") == ["gpu-worker"]


# --- man page --------------------------------------------------------------------------


def test_man_page_has_every_command_and_its_examples(tmp_path):
    pytest.importorskip("docutils")
    from konvoy_portspec.cli.manpage import main

    target = tmp_path / "portspec.1"
    assert main(["-o", str(target)]) == 0
    roff = target.read_text("utf-8")
    assert roff.count('.TH "portspec" "1"') == 1
    for name in COMMANDS:
        assert f"\n.SS portspec {name.replace('-', chr(92) + '-')}\n" in roff
    assert "portspec diff v1.8 v2.1\n" in roff  # an example, in a literal block
    assert "\n.SH EXIT STATUS\n" in roff and "141" in roff
    man, why = find_tool("man", "man-db")
    if man is None:
        pytest.skip(why)
    proc = subprocess.run(
        [man, "--warnings", "-l", str(target)],
        capture_output=True,
        text=True,
        env=dict(ENV, MANPAGER="cat", PAGER="cat", MANWIDTH="80"),
        check=False,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "portspec log" in proc.stdout


def test_man_page_escapes_markup_in_help_text():
    from konvoy_portspec.cli.manpage import escape

    assert escape("a *b* `c` d_ |e| \\") == "a \\*b\\* \\`c\\` d\\_ \\|e\\| \\\\"
