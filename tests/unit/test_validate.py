"""``konvoy_portspec.analysis.validation`` and ``portspec validate``: one test per invariant
with specs built here, the bundled releases and real pages, the policy file
(``konvoy_portspec.analysis.policy``), and the CLI and its JSON report
(``spec/validate.schema.json``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from konvoy_portspec.analysis.policy import (
    Policy,
    PolicyError,
    default_policy,
    load_policy,
    policy_from_dict,
)
from konvoy_portspec.analysis.validation import INVARIANTS, Violation, validate, validate_data
from konvoy_portspec.cli import run
from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.extraction import extract_file
from konvoy_portspec.io import bundled
from konvoy_portspec.io.spec_json import to_dict
from konvoy_portspec.model import Role, RoleMap, Rule, Spec

CP = "control-plane"


def spec_of(**roles: list[Rule]) -> Spec:
    return Spec(
        "v9.0",
        RoleMap(Role(rid.replace("_", "-"), rid, tuple(rules)) for rid, rules in roles.items()),
    )


def cp_worker(cp: list[Rule], worker: list[Rule]) -> Spec:
    return Spec(
        "v9.0",
        RoleMap([Role(CP, "Control plane", tuple(cp)), Role("worker", "Workers", tuple(worker))]),
    )


def ids(violations: list[Violation]) -> list[str]:
    return [v.invariant for v in violations]


KUBELET = Rule.single(10250, component="kubelet")
NODEPORTS = Rule(30000, 32767, "tcp", "Kubernetes NodePorts")


# --- the real data ------------------------------------------------------------------


@pytest.mark.parametrize("release", bundled.releases())
def test_bundled_releases_pass(release: str) -> None:
    assert validate(bundled.load(release)) == []


def test_every_real_page_passes(corpus: Path) -> None:
    pages = sorted(corpus.glob("v*/ports.md")) + sorted(corpus.glob("history/*/*.md"))
    assert len(pages) >= 8
    for page in pages:
        assert validate(extract_file(page)) == [], page


def test_calico_typha_only_on_workers_is_not_a_difference() -> None:
    """A component on one role only is not "present in several roles"."""
    spec = bundled.load("v2.1")
    assert spec.roles["worker"].for_component("calico-typha")
    assert not spec.roles[CP].for_component("calico-typha")
    assert validate(spec) == []


def test_bundled_policy_follows_its_schema() -> None:
    import jsonschema

    schema = json.loads((Path(bundled.spec_dir()) / "policy.schema.json").read_text())
    data = json.loads((Path(bundled.spec_dir()) / "policy.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)
    invariant_enum = schema["$defs"]["invariant"]["enum"]
    assert invariant_enum == list(INVARIANTS)
    # the default policy skips the schema check; checked, it reads the same
    assert load_policy(Path(bundled.spec_dir()) / "policy.json") == default_policy()


# --- one invariant at a time ---------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (Rule(0, 0, "tcp", "x"), ["port-out-of-range"]),
        (Rule(65535, 65536, "tcp", "x"), ["port-out-of-range"]),
        (Rule(70000, 70000, "udp", "x"), ["port-out-of-range"]),
        (Rule(65535, 65535, "tcp", "x"), []),
        (Rule(1, 1, "tcp", "x"), []),
        (Rule(2380, 2379, "tcp", "x"), ["reversed-range"]),
        (Rule(2379, None, "tcp", "x"), ["reversed-range"]),
        (Rule(None, 2379, "tcp", "x"), ["reversed-range"]),
        (Rule(22, 22, "icmp", "x"), ["unknown-protocol"]),
        (Rule(22, 22, "quic", "x"), ["unknown-protocol"]),
        (Rule(None, None, "quic", "x"), ["unknown-protocol"]),
        (Rule(None, None, "icmp", "x"), []),
        (Rule(None, None, "any", "x"), []),
        (Rule(None, None, "tcp", "x"), []),
        (Rule(5000, 5000, "sctp", "x"), []),
    ],
)
def test_rule_level_invariants(rule: Rule, expected: list[str]) -> None:
    found = validate(spec_of(bastion=[rule]))
    assert ids(found) == expected
    assert all(v.rule == rule and v.role == "bastion" and v.severity == "error" for v in found)


def test_port_conflict_same_port_and_overlapping_ranges() -> None:
    spec = spec_of(
        bastion=[
            Rule.single(9100, component="node-exporter"),
            Rule.single(9100, component="other-exporter"),
            Rule(30000, 32767, "tcp", "Kubernetes NodePorts"),
            Rule.single(31000, component="my-service"),
            Rule.single(9100, "udp", component="udp-thing"),  # another protocol: fine
            Rule.single(9100, component="Node-Exporter"),  # same component, other case
        ]
    )
    found = validate(spec)
    assert ids(found) == ["duplicate-rule", "port-conflict", "port-conflict", "port-conflict"]
    conflicts = [v for v in found if v.invariant == "port-conflict"]
    assert [v.rule.component for v in conflicts if v.rule] == [
        "other-exporter",
        "my-service",
        "Node-Exporter",
    ]
    assert "Kubernetes NodePorts" in conflicts[1].message


def test_duplicate_rule_is_a_warning_and_notes_do_not_matter() -> None:
    spec = spec_of(bastion=[KUBELET, Rule.single(10250, component="kubelet", notes="again")])
    (found,) = validate(spec)
    assert found.invariant == "duplicate-rule"
    assert found.severity == "warning"
    assert not found.is_error
    # different extra columns (direction) are different rules
    inbound = Rule(10250, 10250, "tcp", "kubelet", "", (("direction", "in"),))
    assert validate(spec_of(bastion=[KUBELET, inbound])) == []


def test_component_ports_differ_names_both_sides() -> None:
    spec = cp_worker([KUBELET], [Rule.single(10251, component="Kubelet")])
    found = validate(spec)
    assert ids(found) == ["component-ports-differ"] * 2
    assert {v.role for v in found} == {"worker"}
    assert {v.rule for v in found} == {KUBELET, Rule.single(10251, component="Kubelet")}
    assert "10251/tcp on worker but not on control-plane" in found[0].message
    assert str(found[0]).startswith("worker: 10251/tcp Kubelet: error [component-ports-differ] ")


def test_component_ports_differ_exception_is_explicit() -> None:
    spec = cp_worker([KUBELET], [Rule.single(10251, component="kubelet")])
    policy = policy_from_dict(
        {
            "policy_version": 1,
            "exceptions": [
                {"invariant": "component-ports-differ", "component": "kubelet", "reason": "test"}
            ],
        }
    )
    assert validate(spec, policy) == []
    other_release = policy_from_dict(
        {
            "policy_version": 1,
            "exceptions": [
                {
                    "invariant": "component-ports-differ",
                    "component": "kubelet",
                    "releases": ["v1.*"],
                    "reason": "test",
                }
            ],
        }
    )
    assert len(validate(spec, other_release)) == 2


def test_role_policy_keeps_control_plane_components_off_workers() -> None:
    etcd = Rule.single(2379, component="etcd")
    spec = cp_worker([etcd, KUBELET], [etcd, KUBELET])
    found = validate(spec)
    assert ids(found) == ["role-policy"]
    assert found[0].role == "worker" and found[0].rule == etcd
    # whole words only: "etcd-operator" is another component; windows workers count too
    assert validate(cp_worker([], [Rule.single(2379, component="etcd-operator")])) == []
    windows = spec_of(worker_windows=[Rule.single(6443, component="kube-apiserver (secure)")])
    assert ids(validate(windows)) == ["role-policy"]
    # other roles are not policed
    assert validate(spec_of(bastion=[etcd])) == []


def test_cluster_range_differs() -> None:
    wider = Rule(30000, 32768, "tcp", "NodePort services")
    found = validate(cp_worker([NODEPORTS], [wider]))
    assert ids(found) == ["cluster-range-differs"] * 2
    assert all(v.role == "worker" for v in found)
    # missing on a role is a difference as well
    missing = validate(cp_worker([NODEPORTS, KUBELET], [KUBELET]))
    assert ids(missing) == ["cluster-range-differs"]
    assert missing[0].rule == NODEPORTS
    # the same range under another name is fine; not a component-ports-differ either
    assert validate(cp_worker([NODEPORTS], [Rule(30000, 32767, "tcp", "NodePorts")])) == []


def test_policy_severity_override_and_custom_cluster_range() -> None:
    policy = policy_from_dict(
        {
            "policy_version": 1,
            "cluster_ranges": [{"name": "ephemeral", "components": ["ephemeral ports"]}],
            "severity": {"duplicate-rule": "error"},
        }
    )
    assert isinstance(policy, Policy)
    dup = spec_of(bastion=[KUBELET, KUBELET])
    assert [v.severity for v in validate(dup, policy)] == ["error"]
    spec = cp_worker([Rule(32768, 60999, "tcp", "ephemeral ports")], [])
    assert ids(validate(spec, policy)) == ["cluster-range-differs"]
    # without forbidden components in this policy, etcd on workers is allowed
    assert validate(cp_worker([], [Rule.single(2379, component="etcd")]), policy) == []


def test_schema_violations_from_data() -> None:
    data = to_dict(cp_worker([KUBELET], [KUBELET]))
    assert validate_data(data)[1] == []
    data["roles"][1]["ports"][0]["port"] = 70000
    spec, found = validate_data(data)
    assert spec is None
    assert ids(found) == ["schema"]
    assert found[0].role == "worker"
    assert found[0].message.startswith("roles[1].ports[0].port")
    duplicate_ids = to_dict(cp_worker([], []))
    duplicate_ids["roles"][1]["id"] = CP
    assert ids(validate_data(duplicate_ids)[1]) == ["schema"]
    assert ids(validate_data([])[1]) == ["schema"]


# --- policy files ---------------------------------------------------------------------


def test_default_policy_is_the_bundled_file() -> None:
    assert load_policy() is default_policy()
    policy = default_policy()
    assert policy.forbidden_on("worker", "kube-scheduler") is not None
    assert policy.forbidden_on(CP, "kube-scheduler") is None
    assert policy.cluster_range_of(NODEPORTS) is not None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad-pattern.policy.json", "bad component_pattern"),
        ("no-reason.policy.json", "'reason' is a required property"),
    ],
)
def test_bad_policy_files(fixtures: Path, name: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message) as info:
        load_policy(fixtures / "validate" / name)
    assert name in str(info.value)
    assert isinstance(info.value, PortSpecError)


def test_policy_not_json(tmp_path: Path) -> None:
    bad = tmp_path / "p.json"
    bad.write_text('{"policy_version": 1,\n oops}')
    with pytest.raises(PolicyError, match=r"p.json:2: policy is not valid JSON"):
        load_policy(bad)
    with pytest.raises(PolicyError, match=r"missing\.json: cannot read: No such file or directory"):
        load_policy(tmp_path / "missing.json")


# --- the command line -----------------------------------------------------------------

REPORT_SCHEMA = json.loads((Path(bundled.spec_dir()) / "validate.schema.json").read_text())


def json_report(text: str) -> dict[str, Any]:
    """A ``validate -f json`` report, held to spec/validate.schema.json."""
    import jsonschema

    report: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(report)
    return report


def test_report_schema_is_a_valid_schema_and_names_every_invariant() -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    violation = REPORT_SCHEMA["$defs"]["violation"]["properties"]
    assert violation["invariant"]["enum"] == list(INVARIANTS)


def test_cli_all_bundled_releases(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate"]) == 0
    out = capsys.readouterr().out
    assert f"validated {len(bundled.releases())} specs: 0 failed" in out


def test_cli_inconsistent_page_text(fixtures: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = fixtures / "validate" / "inconsistent.md"
    assert run(["validate", str(page)]) == 1
    lines = capsys.readouterr().out.splitlines()
    found = {line.split("[")[1].split("]")[0] for line in lines[:-1]}
    assert found == {
        "duplicate-rule",
        "port-conflict",
        "role-policy",
        "component-ports-differ",
        "cluster-range-differs",
    }
    assert f"{page}: worker: 10251/tcp kubelet: error [component-ports-differ] " in "\n".join(lines)
    assert lines[-1] == "validated 1 spec: 1 failed, 6 errors, 1 warning"


def test_cli_policy_waives_and_raises(fixtures: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = fixtures / "validate"
    code = run(
        [
            "validate",
            str(folder / "inconsistent.md"),
            "--policy",
            str(folder / "waive-kubelet.policy.json"),
            "--format",
            "json",
        ]
    )
    assert code == 1
    report = json_report(capsys.readouterr().out)
    violations = report["violations"]
    assert sorted({v["invariant"] for v in violations}) == [
        "cluster-range-differs",
        "duplicate-rule",
        "port-conflict",
    ]
    assert report["summary"] == {
        "specs": 1,
        "failed": 1,
        "errors": len(violations),
        "warnings": 0,
        "unreadable": [],
    }
    dup = next(v for v in violations if v["invariant"] == "duplicate-rule")
    assert dup["severity"] == "error"
    assert dup["release"] == "v9.9"
    assert dup["input"] == str(folder / "inconsistent.md")
    assert dup["role"] == "worker"
    assert dup["rule"]["port"] == 22 and dup["rule"]["component"] == "Ansible"


def test_cli_schema_violations_are_findings(
    fixtures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = fixtures / "validate" / "schema-broken.json"
    assert run(["validate", str(broken), "-f", "json"]) == 1
    report = json_report(capsys.readouterr().out)["violations"]
    assert {v["invariant"] for v in report} == {"schema"}
    assert {v["role"] for v in report} == {"control-plane", "worker"}
    assert all(v["release"] == "v9.8" and v["rule"] is None for v in report)


def test_cli_text_cannot_be_steered_by_a_role_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A role id that breaks the schema is still named in its violation: an escape
    sequence or a newline in it must not reach the terminal raw."""
    data = to_dict(cp_worker([KUBELET], [KUBELET]))
    data["roles"][1]["id"] = "\x1b[31mworker\nfake.json: all good"
    spec = tmp_path / "evil.json"
    spec.write_text(json.dumps(data))
    assert run(["validate", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) == 2  # the violation and the summary
    assert lines[0].startswith(f"{spec}: \\x1b[31mworker fake.json: all good: error [schema] ")


def test_cli_valid_spec_file_and_release_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["validate", bundled.path_of("v2.0"), "2.1", "latest"]) == 0
    assert "validated 3 specs: 0 failed, 0 errors, 0 warnings" in capsys.readouterr().out
    assert run(["validate", "v2.1", "-f", "json", "-o", str(tmp_path / "r.json")]) == 0
    assert json_report((tmp_path / "r.json").read_text()) == {
        "summary": {"specs": 1, "failed": 0, "errors": 0, "warnings": 0, "unreadable": []},
        "violations": [],
    }


def test_cli_unreadable_inputs_exit_3_after_checking_the_rest(
    fixtures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = fixtures / "validate"
    code = run(
        ["validate", "v2.1", str(folder / "not-json.json"), "v7.7", str(folder / "inconsistent.md")]
    )
    assert code == 3
    captured = capsys.readouterr()
    assert "not-json.json:2: not valid JSON" in captured.err
    assert "unknown release 'v7.7'" in captured.err
    assert "Traceback" not in captured.err
    assert "validated 2 specs: 1 failed, 6 errors, 1 warning, 2 unreadable" in captured.out


def test_cli_json_lists_unreadable_inputs(
    fixtures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = fixtures / "validate"
    not_json = str(folder / "not-json.json")
    args = ["validate", "v2.1", not_json, "v7.7", str(folder / "inconsistent.md"), "-f", "json"]
    assert run(args) == 3
    captured = capsys.readouterr()
    report = json_report(captured.out)
    summary = report["summary"]
    # inconsistent.md: 6 errors and 1 warning (see test_cli_inconsistent_page_text)
    assert {k: v for k, v in summary.items() if k != "unreadable"} == {
        "specs": 2,
        "failed": 1,
        "errors": 6,
        "warnings": 1,
    }
    assert [u["input"] for u in summary["unreadable"]] == [not_json, "v7.7"]
    bad_json, unknown = summary["unreadable"]
    assert bad_json["path"] == not_json and bad_json["line"] == 2
    assert "not valid JSON" in bad_json["message"]
    assert unknown["path"] is None and unknown["line"] is None
    assert unknown["message"].startswith("unknown release 'v7.7'")
    assert len(report["violations"]) == 7
    assert {v["input"] for v in report["violations"]} == {str(folder / "inconsistent.md")}
    # stderr still says what could not be read, as with text output
    assert "unknown release 'v7.7'" in captured.err


def test_cli_bad_policy_is_an_input_error(
    fixtures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["validate", "--policy", str(fixtures / "validate" / "bad-pattern.policy.json")])
    assert code == 3
    assert "bad component_pattern" in capsys.readouterr().err


def test_cli_end_to_end_without_heavy_imports(fixtures: Path) -> None:
    """A real process: exit code, one-line errors, and bundled releases are validated
    without loading the markdown or HTML parsers."""
    probe = (
        "import sys\nfrom konvoy_portspec.cli import run\ncode = run(['validate', 'v2.1'])\n"
        "heavy = [m for m in ('bs4', 'markdown_it', 'docutils', 'sphinx', 'jsonschema')\n"
        "         if m in sys.modules]\n"
        "print('HEAVY', heavy)\nsys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout
    page = fixtures / "validate" / "inconsistent.md"
    done = subprocess.run(
        [sys.executable, "-m", "konvoy_portspec", "validate", str(page)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "error [role-policy] etcd must not appear on worker" in done.stdout
