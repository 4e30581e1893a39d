"""check-rules: the iptables parser on every input shape, and the comparison, on the real
Konvoy firewall-rules pages (which do not open ssh and do open ICMP) and on fixtures."""

from __future__ import annotations

import io
import json
import sys

import pytest

import konvoy_portspec as k
from konvoy_portspec.analysis.firewall import (
    NOT_IN_SPEC,
    NOT_OPENED,
    RulesError,
    Skipped,
    check_rules,
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
    assert from_stdin.splitlines()[0] == "check-rules: <stdin> against konvoy v2.1"
    assert from_stdin.splitlines()[1:] == from_file.splitlines()[1:]
    assert '+ 4789/udp (line 16, "vxlan"): opened by the rules, not in the spec' in from_stdin


def test_dash_stdin_needs_a_release(monkeypatch, capsys):
    stdin_of(monkeypatch, b"-A INPUT -p tcp --dport 22 -j ACCEPT\n")
    assert run(["check-rules", "-", "--role", "worker"]) == 2
    err = capsys.readouterr().err
    assert "<stdin>" in err and "--against" in err
