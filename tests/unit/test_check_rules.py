"""check-rules: the readers on every input shape (iptables scripts and iptables-save,
docs pages, nft -j, firewalld service files and firewall-cmd listings), and the
comparison, on the real Konvoy firewall-rules pages (which do not open ssh and do open
ICMP), on fixtures written from the tools' documented formats, and on exports applied
with the real iptables and nft in a network namespace of their own."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys

import pytest

import konvoy_portspec as k
from konvoy_portspec.analysis.firewall import (
    NOT_IN_SPEC,
    NOT_OPENED,
    RulesError,
    Skipped,
    check_rules,
    detect_format,
    parse_ports,
    parse_rule,
    parse_rules,
    parse_rules_text,
    read_rules_file,
    subtract,
)
from konvoy_portspec.cli import run
from konvoy_portspec.model import Role, Rule, Spec
from konvoy_portspec.output.exporters import export
from konvoy_portspec.output.rulecheck_report import finding_message
from tests._system import find_tool

FIREWALL_RELEASES = ["v1.5", "v1.6", "v1.7", "v1.8"]


# --- parsing ------------------------------------------------------------------------


def test_parse_rule_reads_the_konvoy_line():
    (rule,) = parse_rule(
        'iptables -A INPUT -p tcp -m tcp --dport 30000:32767 -m comment --comment "Konvoy: '
        'NodePorts" -j ACCEPT',
        lineno=7,
    )
    assert (rule.protocol, rule.port, rule.end_port, rule.comment, rule.line) == (
        "tcp",
        30000,
        32767,
        "Konvoy: NodePorts",
        7,
    )
    (icmp,) = parse_rule(
        'iptables -A INPUT -p icmp -m comment --comment "Konvoy: ICMP" -m icmp --icmp-type 8 '
        "-j ACCEPT"
    )
    assert (icmp.protocol, icmp.port, icmp.icmp_type, str(icmp)) == (
        "icmp",
        None,
        "8",
        "icmp type 8",
    )


def test_parse_rule_multiport_and_open_ranges():
    rules = parse_rule("-A INPUT -p udp -m multiport --dports 53,8000:8010,60000: -j ACCEPT")
    assert [(r.protocol, r.port, r.end_port) for r in rules] == [
        ("udp", 53, 53),
        ("udp", 8000, 8010),
        ("udp", 60000, 65535),
    ]
    assert parse_ports(":1024") == [(1, 1024)]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("iptables -A OUTPUT -p tcp --dport 22 -j ACCEPT", "chain OUTPUT"),
        ("iptables -A INPUT -p tcp --dport 22 -j DROP", "target DROP"),
        ("iptables -t nat -A INPUT -p tcp --dport 22 -j ACCEPT", "nat table"),
        ("iptables -A INPUT -i lo -j ACCEPT", "loopback"),
        ("-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT", "only ESTABLISHED"),
        ("iptables -A INPUT -p tcp ! --dport 22 -j ACCEPT", "negated"),
    ],
)
def test_parse_rule_skips_what_opens_no_port(line, reason):
    result = parse_rule(line)
    assert isinstance(result, Skipped)
    assert reason in result.reason


def test_non_rules_are_not_rules():
    assert parse_rule("echo iptables -A INPUT") is None
    assert parse_rule("set -e") is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("iptables -A INPUT -p tcp --dport 70000 -j ACCEPT", "not a port: '70000'"),
        ("iptables -A INPUT -p tcp --dport http -j ACCEPT", "not a port: 'http'"),
        ("iptables -A INPUT -p tcp --dport 90:80 -j ACCEPT", "reversed port range"),
        ("iptables -A INPUT -p icmp --dport 80 -j ACCEPT", "--dport needs -p tcp"),
        ("iptables -A INPUT -p tcp --dport", "--dport needs a value"),
        ('iptables -A INPUT -m comment --comment "open', "cannot split rule"),
    ],
)
def test_bad_rules_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "rules.sh"
    path.write_text(f"# rules\n\n{line}\n", "utf-8")
    with pytest.raises(RulesError) as info:
        read_rules_file(path)
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:3: ")


def test_a_file_without_rules_is_an_input_error(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("iptables -A OUTPUT -j ACCEPT\nhello\n", "utf-8")
    assert run(["check-rules", str(path), "--against", "v2.1"]) == 3
    err = capsys.readouterr().err
    assert "no iptables INPUT ACCEPT rules found (1 other rules skipped)" in err
    assert str(path) in err


def test_iptables_save_fixture(fixtures):
    ruleset = read_rules_file(fixtures / "firewall" / "iptables-save.txt")
    assert ruleset.roles == ()
    assert [(r.protocol, r.port, r.end_port, r.line) for r in ruleset.rules] == [
        ("tcp", 22, 22, 13),
        ("tcp", 179, 179, 13),
        ("tcp", 2379, 2380, 13),
        ("tcp", 6443, 6443, 14),
        ("tcp", 10250, 10250, 15),
        ("udp", 4789, 4789, 16),
        ("tcp", 30000, 32800, 17),
    ]
    reasons = sorted(s.reason.split(",")[0].split(" ")[0] for s in ruleset.skipped)
    assert len(ruleset.skipped) == 5  # nat, lo, conntrack, DROP, FORWARD
    assert reasons == sorted(["nat", "loopback", "only", "target", "chain"])


def test_shell_script_fixture(fixtures):
    ruleset = read_rules_file(fixtures / "firewall" / "rules.sh")
    got = [(r.protocol, r.port, r.icmp_type, r.line) for r in ruleset.rules]
    assert got == [
        ("tcp", 22, "", 4),
        ("tcp", 10250, "", 5),  # continued over two lines, reported at its first
        ("icmp", None, "echo-request", 7),
        ("icmpv6", None, "", 8),
    ]
    assert ruleset.rules[0].comment == "ssh for Ansible"
    assert [s.line for s in ruleset.skipped] == [9]


def test_page_roles_come_from_the_paragraph_before_each_block(corpus):
    ruleset = read_rules_file(corpus / "v1.8" / "firewall-rules.md")
    assert ruleset.roles == ("control-plane", "worker")
    cp = [r for r in ruleset.rules if r.role == "control-plane"]
    worker = [r for r in ruleset.rules if r.role == "worker"]
    assert (len(cp), len(worker)) == (15, 12)
    assert cp[0].port == 6443 and cp[0].line == 20
    assert {r.port for r in worker} >= {5473, 9093}
    assert 6443 not in {r.port for r in worker}


# --- comparison ---------------------------------------------------------------------


def test_subtract():
    assert subtract((1, 10), [(3, 4), (8, 20)]) == [(1, 2), (5, 7)]
    assert subtract((5, 5), [(1, 10)]) == []
    assert subtract((30000, 32800), [(30000, 32767)]) == [(32768, 32800)]


@pytest.mark.parametrize("release", FIREWALL_RELEASES)
def test_real_firewall_pages_miss_ssh_and_open_icmp(corpus, release, capsys):
    """The Konvoy firewall-rules pages do not open 22/tcp (Ansible ssh) that the ports
    tables list for both roles, and open ICMP echo-request that the tables do not list;
    every other port agrees."""
    page = corpus / release / "firewall-rules.md"
    result = check_rules(k.load(release), read_rules_file(page))
    for role in ("control-plane", "worker"):
        (check,) = [r for r in result.roles if r.role == role]
        found = [
            (
                f.kind,
                f.spec_rule.port if f.spec_rule else None,
                f.spec_rule.component if f.spec_rule else None,
                f.firewall_rule.protocol if f.firewall_rule else None,
                f.firewall_rule.icmp_type if f.firewall_rule else None,
            )
            for f in check.findings
        ]
        assert found == [
            (NOT_OPENED, 22, "Ansible", None, None),
            (NOT_IN_SPEC, None, None, "icmp", "8"),
        ]
    code = run(["check-rules", str(page)])  # release from the path: .../v1.8/...
    out = capsys.readouterr().out
    assert code == 1
    assert f"against konvoy {release}" in out
    assert out.count("- 22/tcp (Ansible, ssh): in the spec, not opened by the rules") == 2
    assert out.count("+ icmp type 8 (line") == 2
    assert "opened by the rules, not in the spec" in out


def test_real_page_against_another_release(corpus, capsys):
    page = corpus / "v1.8" / "firewall-rules.md"
    assert run(["check-rules", str(page), "--against", "v2.1", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["release"] == "v2.1" and data["agree"] is False
    worker = next(r for r in data["roles"] if r["id"] == "worker")
    missing = sorted(f["spec_rule"]["port"] for f in worker["findings"] if f["kind"] == NOT_OPENED)
    assert missing == [22, 1338, 9100, 9400]


def test_roles_page_fixture_agrees_with_v21(fixtures, capsys):
    page = fixtures / "firewall" / "roles-page.md"
    assert run(["check-rules", str(page)]) == 0  # release from the front matter
    out = capsys.readouterr().out
    assert "against konvoy v2.1" in out
    assert "The rules open exactly the spec's ports." in out


def test_iptables_save_against_a_role(fixtures, capsys):
    dump = fixtures / "firewall" / "iptables-save.txt"
    code = run(["check-rules", str(dump), "--against", "v2.1", "--role", "control-plane"])
    out = capsys.readouterr().out
    assert code == 1
    assert '+ 4789/udp (line 16, "vxlan"): opened by the rules, not in the spec' in out
    assert "+ 30000-32800/tcp (line 17" in out and "opens 32768-32800" in out
    for port in (1338, 9091, 9092, 9099, 9100, 10248, 10249, 10256, 10257, 10259):
        assert f"- {port}/tcp" in out
    for port in (22, 179, 2379, 6443, 10250):
        assert f"- {port}/tcp" not in out
    assert "worker" not in out


def test_rules_without_roles_apply_to_every_role(tmp_path):
    spec = k.load("v2.1")
    lines = [
        f"iptables -A INPUT -p tcp --dport {r.port if not r.is_range else f'{r.port}:{r.end_port}'}"
        " -j ACCEPT"
        for r in spec.roles["worker"]
    ]
    path = tmp_path / "all.rules"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    result = check_rules(spec, read_rules_file(path))
    assert [r.role for r in result.roles] == ["control-plane", "worker"]
    worker, cp = result.roles[1], result.roles[0]
    assert not worker.findings
    assert {f.spec_rule.port for f in cp.findings if f.kind == NOT_OPENED} == {
        2379,
        2380,
        6443,
        10257,
        10259,
    }
    assert {f.firewall_rule.port for f in cp.findings if f.kind == NOT_IN_SPEC} == {
        5473,
        9093,
        9400,
    }


def test_partly_opened_range(tmp_path):
    path = tmp_path / "r.rules"
    path.write_text("iptables -A INPUT -p tcp --dport 30000:31000 -j ACCEPT\n", "utf-8")
    spec = k.load("v2.1").only_role("worker")
    spec = spec.with_roles([spec.roles["worker"].__class__("worker", "W", (Rule(30000, 32767),))])
    (finding,) = check_rules(spec, read_rules_file(path)).findings
    assert finding.kind == NOT_OPENED and finding.partial
    assert finding.missing == ((31001, 32767),)
    assert "only partly opened by the rules (31001-32767 not opened)" in finding_message(finding)


def test_exported_rules_check_clean_for_every_release(tmp_path):
    for release in k.releases():
        path = tmp_path / f"{release}.sh"
        path.write_text(export(k.load(release), "iptables"), "utf-8")
        assert run(["check-rules", str(path), "--against", release]) == 0


def test_a_removed_line_is_found(tmp_path, capsys):
    text = export(k.load("v2.1"), "iptables", "worker")
    text = "\n".join(line for line in text.splitlines() if "--dport 9400 " not in line)
    path = tmp_path / "w.sh"
    path.write_text(text, "utf-8")
    assert run(["check-rules", str(path), "--against", "v2.1"]) == 1
    assert (
        "- 9400/tcp (NVIDIA GPU DCGM, metrics): in the spec, not opened" in capsys.readouterr().out
    )


def test_check_rules_usage_errors(tmp_path, corpus, capsys):
    path = tmp_path / "r.rules"
    path.write_text("iptables -A INPUT -p tcp --dport 22 -j ACCEPT\n", "utf-8")
    assert run(["check-rules", str(path)]) == 2
    assert "--against" in capsys.readouterr().err
    assert (
        run(["check-rules", str(path), "--against", "v2.1", "--role", "db"]) == 3
    )  # unknown role, like unknown release
    assert run(["check-rules", str(tmp_path / "missing"), "--against", "v2.1"]) == 3
    assert run(["check-rules", str(tmp_path), "--against", "v2.1"]) == 3


def test_parse_rules_takes_text():
    ruleset = parse_rules(
        "Worker nodes:\n\n```\niptables -A INPUT -p tcp --dport 1 -j ACCEPT\n```\n"
    )
    assert ruleset.roles == ("worker",)
    assert ruleset.rules[0].role == "worker"


# --- protocols, through the one table -----------------------------------------------


@pytest.mark.parametrize(
    ("word", "protocol"),
    [
        ("ipencap", "ipip"),  # iptables-save's name for protocol 4 (/etc/protocols)
        ("4", "ipip"),
        ("ipip", "ipip"),
        ("ipv6-icmp", "icmpv6"),
        ("58", "icmpv6"),
        ("all", "any"),
        ("0", "any"),
        ("ospf", "ospf"),  # no entry: kept as written, and reported as such
    ],
)
def test_protocol_words_read_as_the_spec_names_them(word, protocol):
    (rule,) = parse_rule(f"-A INPUT -p {word} -j ACCEPT")
    assert (rule.protocol, rule.port) == (protocol, None)


def test_protocol_numbers_of_port_protocols():
    (rule,) = parse_rule("-A INPUT -p 6 --dport 6443 -j ACCEPT")
    assert (rule.protocol, rule.port) == ("tcp", 6443)
    (rule,) = parse_rule("-A INPUT -p 17 --dport 4789 -j ACCEPT")
    assert (rule.protocol, rule.port) == ("udp", 4789)


def test_iptables_save_ipencap_opens_the_specs_ipip():
    """Issue 12: iptables-save prints protocol 4 as `-p ipencap`; it is the spec's ipip,
    not a missing ipip plus an extra ipencap."""
    spec = Spec(
        release="v0.1",
        roles=[
            Role(
                "worker",
                "Worker nodes",
                [Rule.single(179, "tcp", "calico-node", "BGP"), Rule(None, None, "ipip", "Calico")],
            )
        ],
    )
    dump = (
        "*filter\n"
        ":INPUT DROP [0:0]\n"
        "-A INPUT -p tcp -m tcp --dport 179 -j ACCEPT\n"
        '-A INPUT -p ipencap -m comment --comment "calico ipip" -j ACCEPT\n'
        "COMMIT\n"
    )
    result = check_rules(spec, parse_rules_text(dump, role="worker"))
    assert not result and result.findings == []
    # and a rule for another protocol is still told apart
    other = check_rules(spec, parse_rules_text(dump.replace("ipencap", "gre"), role="worker"))
    assert [
        (f.kind, f.spec_rule.protocol if f.spec_rule else f.firewall_rule.protocol)
        for f in other.findings
    ] == [
        (NOT_OPENED, "ipip"),
        (NOT_IN_SPEC, "gre"),
    ]


# --- standard input -----------------------------------------------------------------


def stdin_of(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_dash_reads_iptables_save_from_stdin(fixtures, monkeypatch, capsys):
    """`iptables-save | portspec check-rules - --against v2.1 --role control-plane` reports
    what the same dump read from its file reports, under the name <stdin>."""
    dump = fixtures / "firewall" / "iptables-save.txt"
    args = ["--against", "v2.1", "--role", "control-plane"]
    assert run(["check-rules", str(dump), *args]) == 1
    from_file = capsys.readouterr().out
    stdin_of(monkeypatch, dump.read_bytes())
    assert run(["check-rules", "-", *args]) == 1
    from_stdin = capsys.readouterr().out
    assert from_stdin.splitlines()[0] == "check-rules: <stdin> (iptables) against konvoy v2.1"
    assert from_stdin.splitlines()[1:] == from_file.splitlines()[1:]
    assert '+ 4789/udp (line 16, "vxlan"): opened by the rules, not in the spec' in from_stdin


def test_dash_stdin_needs_a_release(monkeypatch, capsys):
    stdin_of(monkeypatch, b"-A INPUT -p tcp --dport 22 -j ACCEPT\n")
    assert run(["check-rules", "-", "--role", "worker"]) == 2
    err = capsys.readouterr().err
    assert "<stdin>" in err and "--against" in err


# --- roles in a saved all-roles ruleset (issue 12) ---------------------------------


def saved_dump(spec: Spec) -> str:
    """What `iptables-save` prints after the pre-chain export of every role ran: one
    `-A INPUT` line per port rule, each with its `konvoy-portspec ROLE: component`
    comment, and no `# role:` headers (iptables keeps no shell comments)."""
    lines = ["# Generated by iptables-save v1.8.9", "*filter", ":INPUT ACCEPT [0:0]"]
    for role in spec.roles.ordered:
        for rule in role.rules:
            dport = str(rule.port) if rule.port == rule.end_port else f"{rule.port}:{rule.end_port}"
            lines.append(
                f"-A INPUT -p tcp -m tcp --dport {dport} -m comment --comment "
                f'"konvoy-portspec {role.id}: {rule.component}" -j ACCEPT'
            )
    return "\n".join([*lines, "COMMIT", ""])


def test_saved_all_roles_ruleset_needs_no_role(tmp_path, capsys):
    """The rules of every role in one saved ruleset: each rule's comment names its role,
    so without --role each role is checked against its own rules (before: 8 false
    differences, the other role's ports counted for both)."""
    spec = k.load("v2.1")
    assert all(r.protocol == "tcp" for _, r in spec.rules())  # what saved_dump writes
    path = tmp_path / "saved.txt"
    path.write_text(saved_dump(spec), "utf-8")
    ruleset = read_rules_file(path)
    assert ruleset.roles == ("control-plane", "worker")
    assert {r.role for r in ruleset.rules if r.port == 6443} == {"control-plane"}
    assert {r.role for r in ruleset.rules if r.port == 9400} == {"worker"}
    assert run(["check-rules", str(path), "--against", "v2.1"]) == 0
    out = capsys.readouterr().out
    assert "control-plane (Control-plane nodes): 17 spec rules, 17 firewall rules: agree" in out
    assert "worker (Worker nodes): 15 spec rules, 15 firewall rules: agree" in out
    # with --role, the other role's rules do not count for the role checked
    assert run(["check-rules", str(path), "--against", "v2.1", "--role", "worker"]) == 0
    assert "control-plane" not in capsys.readouterr().out


def chains_spec() -> Spec:
    return Spec(
        release="v0.1",
        roles=[
            Role(
                "control-plane",
                "Control-plane nodes",
                [
                    Rule.single(22, "tcp", "Ansible", "ssh"),
                    Rule(2379, 2380, "tcp", "etcd"),
                    Rule.single(6443, "tcp", "kube-apiserver"),
                ],
            ),
            Role(
                "worker",
                "Worker nodes",
                [
                    Rule.single(22, "tcp", "Ansible", "ssh"),
                    Rule.single(10250, "tcp", "kubelet"),
                    Rule(30000, 32767, "tcp", "NodePorts"),
                    Rule(None, None, "ipip", "calico-node"),
                ],
            ),
        ],
    )


def test_rules_in_chains_input_jumps_to(fixtures):
    """iptables-save with a chain per role (KONVOY-WORKER) that INPUT jumps to: a rule's
    role is its comment's, else the jump's comment's, else the chain's name's; a chain
    of no role (KUBE-FIREWALL) applies to every role; a chain INPUT does not jump to
    (KONVOY-OLD) opens nothing, whatever its rules say."""
    ruleset = read_rules_file(fixtures / "firewall" / "iptables-save-chains.txt")
    got = [(r.protocol, r.port, r.end_port, r.role, r.chain, r.line) for r in ruleset.rules]
    assert got == [
        ("tcp", 6443, 6443, "control-plane", "KONVOY-CONTROL-PLANE", 15),  # own comment
        ("tcp", 2379, 2380, "control-plane", "KONVOY-CONTROL-PLANE", 16),  # the jump's comment
        ("tcp", 10250, 10250, "worker", "KONVOY-WORKER", 18),
        ("tcp", 30000, 32767, None, "KONVOY-WORKER", 19),  # the chain's name, given a spec
        ("ipip", None, None, None, "KONVOY-WORKER", 20),
        ("tcp", 22, 22, None, "KUBE-FIREWALL", 22),
    ]
    assert [(s.line, s.reason) for s in ruleset.skipped] == [
        (10, "loopback interface"),
        (11, "only ESTABLISHED,RELATED connections"),
        (17, "target RETURN, not ACCEPT"),
        (21, "only INVALID connections"),
        (23, "chain KONVOY-OLD, not INPUT (nor a chain INPUT jumps to)"),
    ]
    result = check_rules(chains_spec(), ruleset)
    assert [r.role for r in result.roles] == ["control-plane", "worker"]
    assert not result, result.findings
    worker = check_rules(chains_spec(), ruleset, ["worker"])
    assert [r.role for r in worker.roles] == ["worker"] and not worker


def test_a_script_that_jumps_at_its_end():
    """A script creates the chain, fills it, and only then makes INPUT jump to it."""
    script = (
        "iptables -N KONVOY-WORKER\n"
        "iptables -A KONVOY-WORKER -p tcp --dport 10250 -j ACCEPT\n"
        "iptables -A FORWARD -p tcp --dport 9000 -j ACCEPT\n"
        "iptables -A INPUT -j KONVOY-WORKER\n"
    )
    ruleset = parse_rules_text(script)
    assert [(r.port, r.chain, r.line) for r in ruleset.rules] == [(10250, "KONVOY-WORKER", 2)]
    assert [s.line for s in ruleset.skipped] == [3]
    # a jump that only loopback traffic takes reaches nothing
    lo = parse_rules_text(script.replace("-A INPUT -j", "-A INPUT -i lo -j"))
    assert lo.rules == () and [p.port for p in lo.pending] == []


def test_a_script_whose_jump_no_line_shows():
    """The export's script jumps in a shell function (`konvoy_jump iptables CHAIN`): a
    chain no line jumps to counts for the role its rules or its name give it; a chain
    another chain jumps to (FORWARD's) does not; a line of awk with an open quote is
    no iptables command and is not split."""
    script = (
        "konvoy_jump() {\n"
        '\tat=$("$1" -S INPUT | awk \'\n'
        "\t\t/^-A INPUT / { n++ }')\n"
        "}\n"
        "iptables -A KONVOY-EXTRA -p tcp --dport 9999 -j ACCEPT\n"
        "iptables -A FORWARD -j KONVOY-FWD\n"
        "iptables -A KONVOY-FWD -p tcp --dport 8000 -j ACCEPT\n"
        "# role: worker (Worker nodes)\n"
        "worker)\n"
        '\tiptables -A KONVOY-WORKER -p tcp --dport 10250 -m comment --comment "kubelet" '
        "-j ACCEPT\n"
        "\tkonvoy_jump iptables KONVOY-WORKER\n"
        "\t;;\n"
    )
    ruleset = parse_rules_text(script)
    assert [(r.port, r.role) for r in ruleset.rules] == [(10250, "worker")]  # the header
    assert [(r.port, r.chain) for r in ruleset.pending] == [(9999, "KONVOY-EXTRA")]
    assert [(s.line, s.reason.split(",")[0]) for s in ruleset.skipped] == [
        (6, "chain FORWARD"),
        (7, "chain KONVOY-FWD"),
    ]
    extra = Spec(release="v0.1", roles=[Role("extra", "Extra nodes", [Rule.single(9999)])])
    resolved = ruleset.resolve(extra.roles)
    assert [(r.port, r.role) for r in resolved.rules] == [(10250, "worker"), (9999, "extra")]
    unknown = ruleset.resolve(chains_spec().roles)
    assert [r.port for r in unknown.rules] == [10250]
    assert (unknown.skipped[0].line, unknown.skipped[0].reason) == (
        5,
        "chain KONVOY-EXTRA: nothing jumps to it from INPUT, nor is it a role's",
    )


def test_a_restore_file_of_one_chain_and_a_saved_table():
    """An `iptables-restore --noflush` file that fills one role's chain holds no jump
    (it is added once, apart): its rules count. iptables-save output lists INPUT and
    every jump: a chain it shows no jump to opens nothing."""
    restore = (
        "*filter\n:KONVOY-WORKER - [0:0]\n"
        '-A KONVOY-WORKER -p tcp -m tcp --dport 10250 -m comment --comment "konvoy-portspec '
        'worker: kubelet" -j ACCEPT\nCOMMIT\n'
    )
    assert [(r.port, r.role) for r in parse_rules_text(restore).rules] == [(10250, "worker")]
    saved = parse_rules_text(restore.replace("*filter\n", "*filter\n:INPUT ACCEPT [0:0]\n"))
    assert saved.rules == () and saved.pending == ()
    assert saved.skipped[0].reason.startswith("chain KONVOY-WORKER, not INPUT")


def test_outbound_rules_are_not_expected_to_be_opened():
    """An outbound rule is a connection the node makes: no input rule opens it, so a
    firewall without it agrees with the spec, and one that opens it does not."""
    spec = Spec(
        release="v0.1",
        roles=[
            Role(
                "worker",
                "Worker nodes",
                [
                    Rule.single(10250, "tcp", "kubelet"),
                    Rule(443, 443, "tcp", "registry", direction="outbound"),
                ],
            )
        ],
    )
    rules = parse_rules_text("iptables -A INPUT -p tcp --dport 10250 -j ACCEPT\n")
    result = check_rules(spec, rules)
    assert not result and result.roles[0].spec_rules == 1
    more = parse_rules_text("iptables -A INPUT -p tcp -m multiport --dports 443,10250 -j ACCEPT\n")
    assert [(f.kind, f.firewall_rule.port) for f in check_rules(spec, more).findings] == [
        (NOT_IN_SPEC, 443)
    ]


def test_icmpv6_neighbour_discovery_is_no_opened_port():
    ruleset = parse_rules_text(
        "ip6tables -A INPUT -p ipv6-icmp --icmpv6-type neighbour-solicitation -j ACCEPT\n"
        "ip6tables -A INPUT -p ipv6-icmp --icmpv6-type 128 -j ACCEPT\n"
    )
    assert [(r.protocol, r.icmp_type) for r in ruleset.rules] == [("icmpv6", "128")]
    assert ruleset.skipped[0].reason == "ICMPv6 neighbour discovery"


# --- nftables: nft -j list ruleset ---------------------------------------------------


def test_nft_json_fixture(fixtures):
    """The fixture (libnftables-json(5)): a base chain on the input hook jumps to chain
    `worker`; a named set, an anonymous set, a range, `th dport` with `meta l4proto`, an
    ICMP type; loopback, established, drop, an unused chain and a nat chain skipped."""
    ruleset = read_rules_file(fixtures / "firewall" / "nft-ruleset.json")
    assert ruleset.input_format == "nft-json"
    got = [(r.protocol, r.port, r.end_port, r.chain, r.comment) for r in ruleset.rules]
    assert got == [
        ("tcp", 22, 22, "", "ssh"),
        ("ipip", None, None, "", "calico ipip"),  # meta l4proto ipencap
        ("tcp", 179, 179, "worker", ""),
        ("tcp", 1338, 1338, "worker", ""),
        ("tcp", 5473, 5473, "worker", ""),
        ("tcp", 9091, 9093, "worker", ""),
        ("tcp", 9099, 9099, "worker", ""),
        ("tcp", 9100, 9100, "worker", ""),
        ("tcp", 10248, 10250, "worker", ""),
        ("tcp", 10256, 10256, "worker", ""),
        ("tcp", 30000, 32800, "worker", "NodePorts, a few too many"),
        ("tcp", 53, 53, "worker", "dns"),
        ("udp", 53, 53, "worker", "dns"),
        ("icmp", None, None, "worker", ""),
    ]
    assert ruleset.rules[-1].icmp_type == "echo-request"
    assert ruleset.rules[0].where == "inet filter chain input, handle 7"
    assert [(s.where, s.reason) for s in ruleset.skipped] == [
        ("inet filter chain input, handle 5", "only established,related connections"),
        ("inet filter chain input, handle 6", "loopback interface"),
        ("inet filter chain input, handle 10", "verdict drop, not accept"),
        (
            "inet filter chain unused, handle 16",
            "chain unused is not hooked on input, nor jumped to from such a chain",
        ),
        (
            "ip nat chain prerouting, handle 2",
            "chain prerouting is not hooked on input, nor jumped to from such a chain",
        ),
    ]


def test_nft_json_against_v21(fixtures, capsys):
    """Chain `worker` holds the worker role's rules; the base chain's rules count for it
    too. What differs from v2.1's worker table, read off the fixture: 9400 is not
    opened; IP-in-IP, 32768-32800, 53/tcp, 53/udp and ICMP are opened beyond it."""
    path = fixtures / "firewall" / "nft-ruleset.json"
    assert run(["check-rules", str(path), "--against", "v2.1", "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in data["roles"]] == ["worker"]
    findings = data["roles"][0]["findings"]
    assert [(f["kind"], f["spec_rule"]["port"]) for f in findings if "spec_rule" in f] == [
        (NOT_OPENED, 9400)
    ]
    extra = [f["firewall_rule"] for f in findings if "firewall_rule" in f]
    assert [(r["protocol"], r["port"], r["location"]) for r in extra] == [
        ("ipip", None, "inet filter chain input, handle 9"),
        ("tcp", 30000, "inet filter chain worker, handle 13"),
        ("tcp", 53, "inet filter chain worker, handle 14"),
        ("udp", 53, "inet filter chain worker, handle 14"),
        ("icmp", None, "inet filter chain worker, handle 15"),
    ]
    assert findings[2]["ports"] == [{"port": 32768, "end_port": 32800}]
    assert all(r["line"] is None for r in extra)
    assert len(data["skipped"]) == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"rules": []}', 'no "nftables" list at the top'),
        ("{", "not valid JSON"),
        (
            '{"nftables": [{"chain": {"family": "inet", "table": "t", "name": "in", '
            '"hook": "input"}}, {"rule": {"family": "inet", "table": "t", "chain": "in", '
            '"expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", '
            '"field": "dport"}}, "right": 70000}}, {"accept": null}]}}]}',
            "not a port: 70000",
        ),
        (
            '{"nftables": [{"chain": {"family": "inet", "table": "t", "name": "x"}}]}',
            "no nft rules that accept",
        ),
    ],
)
def test_nft_json_errors(tmp_path, capsys, text, message):
    path = tmp_path / "ruleset.json"
    path.write_text(text, "utf-8")
    assert run(["check-rules", str(path), "--against", "v2.1"]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"portspec: error: {path}") and message in err


def test_a_comment_cannot_drive_the_terminal(tmp_path, capsys):
    rule = (
        '{"rule": {"family": "ip", "table": "t", "chain": "in", "comment": "\\u001b[31mred", '
        '"expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", '
        '"field": "dport"}}, "right": 7}}, {"accept": null}]}}'
    )
    chain = '{"chain": {"family": "ip", "table": "t", "name": "in", "hook": "input"}}'
    path = tmp_path / "r.json"
    path.write_text('{"nftables": [' + chain + ", " + rule + "]}", "utf-8")
    assert run(["check-rules", str(path), "--against", "v2.1", "--role", "worker"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and '"\\x1b[31mred"' in out


# --- firewalld ------------------------------------------------------------------------


def test_firewalld_service_file(fixtures):
    """A hand-written service: ssh through <include> (resolved from the folder given),
    ports, IP-in-IP as firewalld spells it (ipencap); <source-port> opens nothing."""
    services = str(fixtures / "firewall" / "services")
    ruleset = read_rules_file(fixtures / "firewall" / "k8s-node.xml", service_dirs=[services])
    assert ruleset.input_format == "firewalld-xml" and ruleset.roles == ()
    got = [(r.protocol, r.port, r.end_port, r.line) for r in ruleset.rules]
    assert got == [
        ("tcp", 179, 179, 6),
        ("tcp", 30000, 32767, 7),
        ("udp", 4789, 4789, 8),
        ("ipip", None, None, 9),
        ("tcp", 22, 22, 5),  # from ssh.xml, placed at the <include>
    ]
    assert ruleset.rules[-1].where.startswith("line 5, service ssh (")
    assert [(s.line, s.reason) for s in ruleset.skipped] == [(10, "<source-port> is not checked")]
    # without the folder, the include is named and skipped
    alone = read_rules_file(fixtures / "firewall" / "k8s-node.xml", service_dirs=[])
    assert any("service ssh: no ssh.xml" in s.reason for s in alone.skipped)


def test_exported_firewalld_service_checks_clean(tmp_path, capsys):
    """`export -f firewalld --role worker` names release and role in <short>: the
    check needs neither --against nor --role."""
    path = tmp_path / "konvoy-worker.xml"
    path.write_text(export(k.load("v2.1"), "firewalld", "worker"), "utf-8")
    assert run(["check-rules", str(path)]) == 0
    out = capsys.readouterr().out
    assert "(firewalld-xml) against konvoy v2.1" in out
    assert "worker (Worker nodes): 15 spec rules" in out and "control-plane" not in out


def test_firewalld_service_refuses_a_doctype(tmp_path, capsys):
    path = tmp_path / "laughs.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE service [<!ENTITY a "aaaa">]>\n'
        '<service><port protocol="tcp" port="&a;"/></service>\n',
        "utf-8",
    )
    assert run(["check-rules", str(path), "--against", "v2.1"]) == 3
    err = capsys.readouterr().err
    assert f"{path}:2: a document type declaration is not allowed" in err


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ('<service><port protocol="tcp" port="22-"/></service>', "not a port: '22-'"),
        ('<service><port protocol="tcp" port="90-80"/></service>', "reversed port range"),
        ("<zone><port/></zone>", "not a firewalld service file: <zone>"),
        ("<service><port></service>", "not well-formed XML"),
    ],
)
def test_firewalld_service_errors(tmp_path, capsys, xml, message):
    path = tmp_path / "s.xml"
    path.write_text(xml, "utf-8")
    assert run(["check-rules", str(path), "--against", "v2.1"]) == 3
    err = capsys.readouterr().err
    assert f"portspec: error: {path}:1: " in err and message in err


def test_firewall_cmd_list_all(fixtures, capsys):
    """`firewall-cmd --list-all-zones`: the active zone `public` opens its ports,
    protocols, services (konvoy-worker.xml says role worker in its <short>) and the
    accepting rich rule; inactive `trusted` opens nothing, nor does an unknown service."""
    listing = fixtures / "firewall" / "firewall-cmd-list-all.txt"
    services = str(fixtures / "firewall" / "services")
    ruleset = read_rules_file(listing, service_dirs=[services])
    assert ruleset.input_format == "firewall-cmd"
    assert {r.role for r in ruleset.rules} == {"worker", None}
    assert [(r.protocol, r.port, r.line) for r in ruleset.rules if r.role is None] == [
        ("tcp", 22, 6),  # ssh.xml
        ("tcp", 9400, 7),
        ("udp", 4789, 7),
        ("ipip", None, 8),
        ("udp", 8472, 15),  # rich rule
    ]
    reasons = [(s.line, s.reason.split(":")[0]) for s in ruleset.skipped]
    assert reasons == [
        (6, "service dhcpv6-client"),
        (16, "rich rule that does not accept"),
        (19, "zone trusted is not active"),
        (24, "zone trusted is not active"),
    ]
    args = ["--against", "v2.1", "--firewalld-services", services]
    assert run(["check-rules", str(listing), *args]) == 1
    out = capsys.readouterr().out
    assert "worker (Worker nodes): 15 spec rules, 14 firewall rules: 3 differences" in out
    assert "+ 4789/udp (line 7, zone public ports)" in out
    assert "+ ipip (line 8, zone public protocols)" in out
    assert "+ 8472/udp (line 15, zone public rich rule)" in out
    assert "- " not in out


# --- input formats ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("iptables-save.txt", "iptables"),
        ("rules.sh", "iptables"),
        ("roles-page.md", "page"),
        ("nft-ruleset.json", "nft-json"),
        ("k8s-node.xml", "firewalld-xml"),
        ("firewall-cmd-list-all.txt", "firewall-cmd"),
    ],
)
def test_input_format_is_told_from_the_input(fixtures, name, kind):
    text = (fixtures / "firewall" / name).read_text("utf-8")
    assert detect_format(text) == kind  # from the text alone: stdin has no name


def test_input_format_can_be_forced(fixtures, capsys):
    path = fixtures / "firewall" / "nft-ruleset.json"
    args = ["check-rules", str(path), "--against", "v2.1"]
    assert run([*args, "--input-format", "iptables"]) == 3
    assert "no iptables INPUT ACCEPT rules found" in capsys.readouterr().err
    assert run([*args, "--input-format", "nft-json"]) == 1
    assert run([*args, "--input-format", "nftables"]) == 2  # no such format
    assert "invalid choice" in capsys.readouterr().err


def test_json_report_source_is_file_and_sha256(fixtures, monkeypatch, capsys):
    path = fixtures / "firewall" / "iptables-save.txt"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert run(["check-rules", str(path), "--against", "v2.1", "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == {"file": str(path), "sha256": digest}
    assert data["input_format"] == "iptables"
    stdin_of(monkeypatch, path.read_bytes())
    assert run(["check-rules", "-", "--against", "v2.1", "-f", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["source"] == {"file": "<stdin>", "sha256": digest}


def test_help_shows_examples(capsys):
    assert run(["check-rules", "--help"]) == 0
    out = capsys.readouterr().out
    examples = out.split("examples:", 1)[1]
    assert examples.count("portspec check-rules") in (2, 3)
    for tool in ("iptables-save", "nft -j list ruleset", "firewall-cmd --list-all"):
        assert tool in examples


# --- against the real tools, in a network namespace of its own -------------------------


def in_namespace(script: str) -> str:
    """Run ``script`` with sh in a fresh network namespace (its own empty firewall);
    skip when namespaces cannot be made here."""
    unshare, why = find_tool("unshare", "util-linux")
    if unshare is None:
        pytest.skip(why)
    done = subprocess.run(
        [unshare, "-n", "sh", "-c", script], capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0 and "unshare" in done.stderr:
        pytest.skip(f"cannot make a network namespace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_applied_iptables_export_checks_clean(tmp_path, capsys):
    """Done when (issue 12): `export v2.1 --role worker -f iptables` applied with sh,
    dumped with iptables-save and ip6tables-save, reads back with no difference."""
    for tool in ("iptables", "iptables-save", "ip6tables-save"):
        if find_tool(tool, "iptables")[0] is None:
            pytest.skip(find_tool(tool, "iptables")[1])
    script = tmp_path / "fw.sh"
    assert run(["export", "v2.1", "--role", "worker", "-f", "iptables", "-o", str(script)]) == 0
    save, save6 = (
        find_tool("iptables-save", "iptables")[0],
        find_tool("ip6tables-save", "iptables")[0],
    )
    dump = in_namespace(f"sh {script} >&2 && {save} && {save6}")
    assert "-A INPUT" in dump  # the export's jump, as iptables-save prints it
    path = tmp_path / "saved.txt"
    path.write_text(dump, "utf-8")
    capsys.readouterr()
    assert run(["check-rules", str(path), "--against", "v2.1", "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in data["roles"]] == ["worker"] and data["agree"]
    # the same rules are no control-plane's
    assert run(["check-rules", str(path), "--against", "v2.1", "--role", "control-plane"]) == 1
    assert "- 6443/tcp (kube-apiserver)" in capsys.readouterr().out


@pytest.mark.parametrize("role", ["worker", "control-plane"])
def test_applied_nftables_export_checks_clean(tmp_path, capsys, role):
    """Done when (issue 12): `export v2.1 --role ROLE -f nftables` loaded with `nft -f`,
    listed with `nft -j list ruleset`, reads back with no difference; a rule taken out
    of the file is found missing."""
    nft, why = find_tool("nft", "nftables")
    if nft is None:
        pytest.skip(why)
    ruleset = tmp_path / "fw.nft"
    assert run(["export", "v2.1", "--role", role, "-f", "nftables", "-o", str(ruleset)]) == 0
    listed = tmp_path / "listed.json"
    listed.write_text(in_namespace(f"{nft} -f {ruleset} && {nft} -j list ruleset"), "utf-8")
    capsys.readouterr()
    assert run(["check-rules", str(listed), "--against", "v2.1"]) == 0
    out = capsys.readouterr().out
    assert "(nft-json)" in out and f"{role} (" in out and "agree" in out
    text = ruleset.read_text("utf-8")
    cut = "\n".join(line for line in text.splitlines() if "dport 10250 " not in line)
    assert cut != text
    ruleset.write_text(cut + "\n", "utf-8")
    listed.write_text(in_namespace(f"{nft} -f {ruleset} && {nft} -j list ruleset"), "utf-8")
    assert run(["check-rules", str(listed), "--against", "v2.1"]) == 1
    assert "- 10250/tcp (kubelet): in the spec, not opened" in capsys.readouterr().out
