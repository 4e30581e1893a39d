"""Every command's JSON output follows its schema in spec/ (issue 12).

The shapes agree across commands, and the schemas say so: a role object is identified
by ``id`` and an item that refers to a role says ``role``; ports are integers (or null
for a port-less rule), never strings; ``source`` is always a spec's ``{"file",
"sha256"}``. Each command runs through :func:`konvoy_portspec.cli.run` on bundled
releases, the real corpus and fixtures, with outputs that exercise the optional parts
(findings, busy ports, failed pages, unreadable inputs), and its JSON is validated with
jsonschema. A command that gains a JSON output without a schema fails
:func:`test_every_json_output_has_a_schema`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from konvoy_portspec.cli import COMMANDS, build_parser, run
from konvoy_portspec.io import bundled
from konvoy_portspec.io.spec_json import dumps
from konvoy_portspec.model import Role, Rule, Spec

SPEC_DIR = Path(bundled.spec_dir())

#: Command -> the schema its JSON output follows (show and extract print a spec; check
#: prints a diff of the page against the release).
SCHEMA_OF = {
    "diff": "diff.schema.json",
    "check": "diff.schema.json",
    "log": "log.schema.json",
    "releases": "releases.schema.json",
    "show": "schema.json",
    "extract": "schema.json",
    "validate": "validate.schema.json",
    "export": "export.schema.json",
    "check-rules": "check-rules.schema.json",
    "preflight": "preflight.schema.json",
    "scan": "scan.schema.json",
}


def schema(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((SPEC_DIR / name).read_text("utf-8"))
    return data


def conform(command: str, text: str) -> object:
    """The JSON ``text`` a command printed, checked against the command's schema."""
    import jsonschema

    data = json.loads(text)
    validator = jsonschema.Draft202012Validator(schema(SCHEMA_OF[command]))
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert not problems, "\n".join(problems[:10])
    return data


def json_of(
    capsys: pytest.CaptureFixture[str], command: str, *args: str, code: int | None = 0
) -> object:
    """Run ``portspec COMMAND ARGS`` and return its JSON, checked against the schema;
    ``code`` is the exit code expected (``None``: either 0 or 1, as the host has it)."""
    got = run([command, *args])
    assert got == code if code is not None else got in (0, 1), capsys.readouterr().err
    return conform(command, capsys.readouterr().out)


# --- the schemas themselves ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted({*SCHEMA_OF.values()}))
def test_schemas_are_valid_draft_2020_12(name):
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema(name))


def _json_commands() -> Iterator[str]:
    """Commands whose ``--format`` offers json, and extract (it prints only JSON)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and "diff" in a.choices)
    for name, command in sub.choices.items():
        formats = [a.choices for a in command._actions if "--format" in a.option_strings]
        if (formats and "json" in (formats[0] or ())) or name == "extract":
            yield name


def test_every_json_output_has_a_schema():
    found = set(_json_commands())
    assert found <= set(COMMANDS)
    assert found == set(SCHEMA_OF), f"no schema for {found - set(SCHEMA_OF)}"
    for name in SCHEMA_OF.values():
        assert (SPEC_DIR / name).is_file(), name


def test_a_string_port_is_refused_by_every_schema():
    """Ports are integers in every shape: the same row with "22" fails each schema that
    holds rules (guards against a schema that would let a string through)."""
    import jsonschema

    row = {"port": "22", "end_port": 22, "protocol": "tcp", "component": "", "notes": ""}
    export_doc = [{"role": "worker", **row}]
    log_doc = {
        "releases": ["v1"],
        "entries": [{"release": "v1", "kind": "present", "role": "w", **row}],
    }
    for name, doc in (("export.schema.json", export_doc), ("log.schema.json", log_doc)):
        assert not jsonschema.Draft202012Validator(schema(name)).is_valid(doc)
        fixed = json.loads(json.dumps(doc).replace('"22"', "22"))
        assert jsonschema.Draft202012Validator(schema(name)).is_valid(fixed), name


# --- each command ------------------------------------------------------------------------


def test_diff_json(fixtures, capsys):
    """Every kind of change: the fixture pair has all four; bundled releases only add
    ports, so one pair is diffed backwards too."""
    diff = fixtures / "diff"
    data = json_of(capsys, "diff", str(diff / "old.json"), str(diff / "new.json"), "-f", "json")
    assert isinstance(data, dict)
    assert {c["kind"] for c in data["changes"]} == {"added", "removed", "changed", "moved"}
    for old, new in (("v1.8", "v2.1"), ("v2.3", "v1.5")):
        json_of(capsys, "diff", old, new, "--format", "json")


def test_check_json(corpus, capsys):
    page = corpus / "v2.1" / "ports.md"
    data = json_of(capsys, "check", str(page), "--against", "v2.0", "-f", "json", code=1)
    assert isinstance(data, dict) and data["changes"]
    source = data["new"]["source"]
    assert set(source) == {"file", "sha256"}


def test_log_json(capsys):
    data = json_of(capsys, "log", "--format", "json")
    assert isinstance(data, dict) and data["entries"]
    assert {e["kind"] for e in data["entries"]} >= {"present", "added"}
    json_of(capsys, "log", "--port", "9400", "--format", "json")


def test_releases_json(capsys):
    data = json_of(capsys, "releases", "--format", "json")
    assert isinstance(data, dict) and data["releases"] == bundled.releases()


@pytest.mark.parametrize("release", bundled.releases())
def test_show_json_is_a_spec(capsys, release):
    data = json_of(capsys, "show", release, "--format", "json")
    assert isinstance(data, dict) and data["release"] == release


def test_extract_prints_a_spec(corpus, capsys):
    data = json_of(capsys, "extract", str(corpus / "v2.1" / "ports.md"))
    assert isinstance(data, dict) and set(data["source"]) == {"file", "sha256"}


def test_validate_json(fixtures, tmp_path, capsys):
    data = json_of(capsys, "validate", "--format", "json")
    assert isinstance(data, dict) and data["summary"]["specs"] == len(bundled.releases())
    inputs = sorted(str(p) for p in (fixtures / "validate").iterdir())
    missing = str(tmp_path / "missing.json")
    data = json_of(capsys, "validate", *inputs, missing, "--format", "json", code=3)
    assert isinstance(data, dict)
    assert missing in [u["input"] for u in data["summary"]["unreadable"]]
    assert data["violations"] and all("source" not in v for v in data["violations"])


@pytest.mark.parametrize("role", [None, "worker"])
def test_export_json(capsys, role):
    args = ["v2.1", "--format", "json"] + (["--role", role] if role else [])
    data = json_of(capsys, "export", *args)
    assert isinstance(data, list) and data
    assert {row["role"] for row in data} == ({role} if role else {"control-plane", "worker"})


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("iptables-save.txt", ["--role", "control-plane"]),
        ("iptables-save-chains.txt", []),
        ("nft-ruleset.json", []),
        ("firewall-cmd-list-all.txt", ["--firewalld-services", "{services}"]),
        ("k8s-node.xml", ["--firewalld-services", "{services}", "--role", "worker"]),
    ],
)
def test_check_rules_json(fixtures, capsys, name, extra):
    services = str(fixtures / "firewall" / "services")
    args = [a.replace("{services}", services) for a in extra]
    path = fixtures / "firewall" / name
    data = json_of(
        capsys, "check-rules", str(path), "--against", "v2.1", "-f", "json", *args, code=1
    )
    assert isinstance(data, dict) and data["agree"] is False
    assert data["source"]["file"] == str(path)


def test_check_rules_json_unknown_role(tmp_path, capsys):
    path = tmp_path / "db.rules"
    path.write_text("# role: db\niptables -A INPUT -p tcp --dport 5432 -j ACCEPT\n", "utf-8")
    data = json_of(capsys, "check-rules", str(path), "--against", "v2.1", "-f", "json", code=1)
    assert isinstance(data, dict)
    assert [f["kind"] for r in data["roles"] for f in r["findings"]] == ["unknown-role"]


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port this process listens on (on every address), for preflight to find."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("0.0.0.0", 0))
    sock.listen(1)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_preflight_json(tmp_path, capsys, listener):
    data = json_of(capsys, "preflight", "v2.1", "--host", "127.0.0.1", "-f", "json", code=None)
    assert isinstance(data, dict)
    spec = Spec(
        release="v0.1",
        roles=[
            Role(
                "worker",
                "Worker nodes",
                [Rule.single(listener, "tcp", "test listener"), Rule(None, None, "icmp", "ping")],
            )
        ],
    )
    path = tmp_path / "busy.json"
    path.write_text(dumps(spec), "utf-8")
    data = json_of(capsys, "preflight", str(path), "--format", "json", code=1)
    assert isinstance(data, dict)
    (busy,) = data["busy"]
    assert busy["port"] == listener and busy["rules"][0]["role"] == "worker"
    assert [u["protocol"] for u in data["unchecked"]] == ["icmp"]


def test_scan_json(corpus, tmp_path, capsys):
    tree = tmp_path / "docs"
    (tree / "v2.1").mkdir(parents=True)
    shutil.copy(corpus / "v2.1" / "ports.md", tree / "v2.1" / "ports.md")
    (tree / "broken.md").write_text(
        "| Port | Protocol |\n| --- | --- |\n| 22\x1b | TCP |\n", "utf-8"
    )
    if hasattr(os, "mkfifo"):
        os.mkfifo(tree / "pipe.md")
    data = json_of(capsys, "scan", str(tree), "--format", "json", "--jobs", "1", code=1)
    assert isinstance(data, dict)
    assert [p["path"] for p in data["pages"]] == ["v2.1/ports.md"]
    assert [e["path"] for e in data["errors"]] == ["broken.md"]
    if hasattr(os, "mkfifo"):
        assert [s["path"] for s in data["skipped"]] == ["pipe.md"]
