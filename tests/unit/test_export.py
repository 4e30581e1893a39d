"""Exports hold exactly the spec's rules: each output is parsed back with the reader of
its own format (our iptables parser, nft -c, xml.etree and firewalld's own reader,
PyYAML, csv) and compared with the spec role by role."""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

import konvoy_portspec as k
from konvoy_portspec.analysis.firewall import check_rules, parse_rules_text
from konvoy_portspec.cli import run
from konvoy_portspec.errors import SpecFormatError
from konvoy_portspec.model import Role, Rule, Spec
from konvoy_portspec.output.escape import one_line
from konvoy_portspec.output.exporters import EXPORTERS, ExportUsageError, export, nft_base_chain
from tests._system import ensure_debian_package
from tests.support import RELEASES

ODD = Spec(
    release="v9.9",
    roles=[
        Role(
            "control-plane",
            "Control-plane nodes",
            (
                Rule.single(22, "tcp", "Ansible", "ssh"),
                Rule(30000, 32767, "tcp", "Kubernetes NodePorts"),
                Rule.single(4789, "udp", 'calico "overlay" $HOME `x` -- a\\b', "VXLAN"),
                Rule.single(9000, "sctp", "sctp-thing"),
                Rule(None, None, "icmp", "ICMP", "ping"),
                Rule(None, None, "ipip", "calico-node", "IP-in-IP"),
                Rule(None, None, "any", "mystery"),
            ),
        ),
        Role("worker", "Worker nodes", (Rule(8000, 8010, "udp", "w-range"), Rule.single(80))),
    ],
)


def port_keys(rules: list[Rule] | tuple[Rule, ...]) -> list[tuple[str, int, int]]:
    return sorted(
        (r.protocol, r.port, r.end_port)
        for r in rules
        if r.port is not None and r.end_port is not None and r.protocol in ("tcp", "udp", "sctp")
    )


def specs() -> list[Spec]:
    return [k.load(r) for r in RELEASES] + [ODD]


SPECS = pytest.mark.parametrize("spec", specs(), ids=lambda s: s.release)


@pytest.mark.parametrize("fmt", list(EXPORTERS))
def test_every_format_is_offered_by_the_cli(fmt, capsys):
    assert run(["export", "v2.1", "--role", "worker", "-f", fmt]) == 0
    assert capsys.readouterr().out == export(k.load("v2.1"), fmt, "worker")


# --- iptables ------------------------------------------------------------------------


@SPECS
def test_iptables_holds_exactly_the_spec(spec):
    text = export(spec, "iptables")
    ruleset = parse_rules_text(text)
    assert list(ruleset.roles) == list(spec.roles)
    for role in spec.roles.ordered:
        opened = [r for r in ruleset.rules if r.role == role.id]
        got = sorted((r.protocol, r.port, r.end_port) for r in opened if r.port is not None)
        assert got == port_keys(role.rules)
        icmp = [r for r in opened if r.protocol == "icmp"]
        assert len(icmp) == sum(1 for r in role.rules if r.protocol == "icmp")
        assert all(r.icmp_type == "8" for r in icmp)
    findings = check_rules(spec, ruleset).findings
    # Only a rule of no known protocol cannot become an iptables rule.
    assert [(f.kind, f.spec_rule) for f in findings] == [
        ("not-opened", rule) for _, rule in spec.rules() if rule.protocol == "any"
    ]


def test_iptables_lines_look_like_the_konvoy_pages():
    text = export(k.load("v2.1"), "iptables", "control-plane")
    assert (
        'iptables -A INPUT -p tcp -m tcp --dport 6443 -m comment --comment "konvoy-portspec '
        'control-plane: kube-apiserver" -j ACCEPT'
    ) in text.splitlines()
    assert "--dport 30000:32767 " in text
    assert "worker" not in text


def test_iptables_comments_survive_the_shell():
    text = export(ODD, "iptables", "control-plane")
    ruleset = parse_rules_text(text)
    vxlan = next(r for r in ruleset.rules if r.port == 4789)
    assert vxlan.comment == 'konvoy-portspec control-plane: calico "overlay" $HOME `x` -- a\\b'
    line = next(line for line in text.splitlines() if "4789" in line)
    if shutil.which("sh"):  # the shell itself hands the same comment to iptables
        out = subprocess.run(
            ["sh", "-c", "printf '%s\\n' " + line.split("--comment ", 1)[1].rsplit(" -j", 1)[0]],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.rstrip("\n") == vxlan.comment
    assert (
        'iptables -A INPUT -p 4 -m comment --comment "konvoy-portspec control-plane: '
        'calico-node" -j ACCEPT'
    ) in text
    assert "# not an iptables port rule: any " in text


# --- nftables ------------------------------------------------------------------------


def parse_nft(text: str) -> dict[str, list[tuple[str, str]]]:
    chains: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"\s*chain (\w+) \{", line)
        if m:
            current = chains.setdefault(m.group(1), [])
            continue
        m = re.match(r"\s*(tcp|udp|sctp) dport (\d+(?:-\d+)?) accept comment \"[^\"]*\"$", line)
        if m and current is not None:
            current.append((m.group(1), m.group(2)))
            continue
        m = re.match(r"\s*(icmp type echo-request|meta l4proto \d+) accept comment", line)
        if m and current is not None:
            current.append(("noport", m.group(1)))
    return chains


@SPECS
def test_nftables_holds_exactly_the_spec(spec):
    chains = parse_nft(export(spec, "nftables"))
    assert list(chains) == [r.replace("-", "_") for r in spec.roles]
    for role in spec.roles.ordered:
        got = chains[role.id.replace("-", "_")]
        want = [
            (r.protocol, r.port_text)
            for r in role.rules
            if r.port is not None and r.protocol in ("tcp", "udp", "sctp")
        ]
        assert [g for g in got if g[0] != "noport"] == want
        portless = [g[1] for g in got if g[0] == "noport"]
        want_portless = [
            "icmp type echo-request" if r.protocol == "icmp" else "meta l4proto 4"
            for r in role.rules
            if r.protocol in ("icmp", "ipip")
        ]
        assert portless == want_portless


@pytest.fixture(scope="module")
def nft() -> str:
    path, why = ensure_debian_package("nft", "nftables")
    if path is None:
        pytest.skip(why)
    probe = subprocess.run(
        [path, "-c", "-f", "-"], input="table inet t { }\n", capture_output=True, text=True
    )
    if probe.returncode != 0:
        pytest.skip(f"nft -c cannot run here: {probe.stderr.strip()}")
    return path


@pytest.mark.parametrize("spec", [k.load("v1.8"), k.load("v2.3"), ODD], ids=lambda s: s.release)
def test_nft_accepts_the_ruleset(nft, spec, tmp_path):
    path = tmp_path / "rules.nft"
    path.write_text(export(spec, "nftables"), "utf-8")
    proc = subprocess.run([nft, "-c", "-f", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_the_suggested_base_chain_is_valid_nft(nft, tmp_path):
    text = export(k.load("v2.1"), "nftables", "worker")
    suggested = [line[4:] for line in text.splitlines() if line.startswith("#   ")]
    assert suggested == nft_base_chain("worker")
    enforced = text.rstrip().removesuffix("}") + "\n".join(suggested) + "\n}\n"
    path = tmp_path / "enforced.nft"
    path.write_text(enforced, "utf-8")
    proc = subprocess.run([nft, "-c", "-f", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_nft_check_is_not_a_rubber_stamp(nft, tmp_path):
    broken = export(ODD, "nftables").replace("dport 80 ", "dport 80000 ")
    path = tmp_path / "broken.nft"
    path.write_text(broken, "utf-8")
    proc = subprocess.run([nft, "-c", "-f", str(path)], capture_output=True, text=True)
    assert proc.returncode != 0


# --- firewalld -----------------------------------------------------------------------


@SPECS
def test_firewalld_service_holds_exactly_the_role(spec):
    for role in spec.roles.ordered:
        root = ET.fromstring(export(spec, "firewalld", role.id).encode("utf-8"))
        assert root.tag == "service"
        assert root.findtext("short") == f"Konvoy {spec.release} {role.id}"
        assert root.findtext("description")
        ports = sorted((p.get("protocol"), p.get("port")) for p in root.findall("port"))
        want = sorted(
            {
                (r.protocol, r.port_text)
                for r in role.rules
                if r.port is not None and r.protocol in ("tcp", "udp", "sctp")
            }
        )
        assert ports == want
        protocols = [p.get("value") for p in root.findall("protocol")]
        # firewalld resolves names through /etc/protocols, where 4 is "ipencap".
        firewalld_name = {"icmp": "icmp", "ipip": "ipencap"}
        assert protocols == [
            firewalld_name[r.protocol] for r in role.rules if r.protocol in firewalld_name
        ]


def test_firewalld_without_role_is_a_usage_error():
    with pytest.raises(ExportUsageError, match="--role"):
        export(k.load("v2.1"), "firewalld")
    single = k.load("v2.1").only_role("worker")
    assert "<service>" in export(single, "firewalld")
    assert run(["export", "v2.1", "--format", "firewalld"]) == 2


def _firewalld_python() -> str | None:
    check = "import firewall.core.io.service"
    for python in ("/usr/bin/python3",):
        if shutil.which(python) and subprocess.run([python, "-c", check]).returncode == 0:
            return python
    return None


@pytest.fixture(scope="module")
def firewalld_python() -> str:
    python = _firewalld_python()
    if python is None:
        # Debian's python3-firewall holds firewalld's own service reader (no daemon).
        ensure_debian_package("firewalld-service-reader", "python3-firewall")
        python = _firewalld_python()
    if python is None:
        pytest.skip("firewalld's service reader (Debian python3-firewall) is not available")
    return python


READ_SERVICE = """
import sys
from firewall.core.io.service import service_reader
s = service_reader(sys.argv[1], sys.argv[2])
print(sorted(s.ports), sorted(s.protocols))
"""


@pytest.mark.parametrize("role", ["control-plane", "worker"])
def test_firewalld_reads_the_service(firewalld_python, tmp_path, role):
    for spec in (k.load("v2.1"), ODD):
        name = f"konvoy-{role}.xml"
        (tmp_path / name).write_text(export(spec, "firewalld", role), "utf-8")
        proc = subprocess.run(
            [firewalld_python, "-c", READ_SERVICE, name, str(tmp_path)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        rules = spec.roles[role].rules
        ports = sorted({(r.port_text, r.protocol) for r in rules if r.port is not None})
        firewalld_name = {"icmp": "icmp", "ipip": "ipencap"}
        protocols = sorted(
            firewalld_name[r.protocol] for r in rules if r.protocol in firewalld_name
        )
        assert proc.stdout.strip() == f"{ports} {protocols}"


def test_firewalld_reader_rejects_a_bad_port(firewalld_python, tmp_path):
    (tmp_path / "bad.xml").write_text(
        export(ODD, "firewalld", "worker").replace('port="80"', 'port="80000"'), "utf-8"
    )
    proc = subprocess.run(
        [firewalld_python, "-c", READ_SERVICE, "bad.xml", str(tmp_path)], capture_output=True
    )
    assert proc.returncode != 0


# --- Kubernetes and Calico policies --------------------------------------------------


@SPECS
def test_networkpolicy_holds_exactly_the_spec(spec):
    docs = list(yaml.safe_load_all(export(spec, "networkpolicy")))
    assert len(docs) == len(spec.roles)
    for doc, role in zip(docs, spec.roles.ordered, strict=True):
        assert doc["apiVersion"] == "networking.k8s.io/v1"
        assert doc["kind"] == "NetworkPolicy"
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", doc["metadata"]["name"])
        assert doc["metadata"]["annotations"]["konvoy-portspec/role"] == role.id
        assert doc["spec"]["podSelector"] == {}
        assert doc["spec"]["policyTypes"] == ["Ingress"]
        (ingress,) = doc["spec"]["ingress"]
        got = [(p["protocol"], p["port"], p.get("endPort", p["port"])) for p in ingress["ports"]]
        want = [
            (r.protocol.upper(), r.port, r.end_port)
            for r in role.rules
            if r.port is not None and r.protocol in ("tcp", "udp", "sctp")
        ]
        assert got == want
        assert all("endPort" not in p or p["endPort"] > p["port"] for p in ingress["ports"])


def test_networkpolicy_names_what_it_cannot_express():
    text = export(ODD, "networkpolicy", "control-plane")
    assert "# not expressible in a NetworkPolicy: icmp ICMP (ping)" in text
    assert "# not expressible in a NetworkPolicy: ipip calico-node (IP-in-IP)" in text
    assert text.count("\n---\n") == 0


@SPECS
def test_calico_holds_exactly_the_spec(spec):
    docs = list(yaml.safe_load_all(export(spec, "calico")))
    for doc, role in zip(docs, spec.roles.ordered, strict=True):
        assert doc["kind"] == "GlobalNetworkPolicy"
        assert doc["apiVersion"] == "projectcalico.org/v3"
        got = []
        for rule in doc["spec"]["ingress"]:
            assert rule["action"] == "Allow"
            for port in rule.get("destination", {}).get("ports", []):
                start, _, end = str(port).partition(":")
                got.append((rule["protocol"].lower(), int(start), int(end or start)))
        assert sorted(got) == port_keys(role.rules)


# --- data formats --------------------------------------------------------------------


@SPECS
def test_csv_and_json_hold_exactly_the_spec(spec):
    rows = list(csv.DictReader(io.StringIO(export(spec, "csv"))))
    data = json.loads(export(spec, "json"))
    want = [
        (role_id, r.port, r.end_port, r.protocol, r.component, r.notes)
        for role_id, r in spec.rules()
    ]
    assert [
        (
            row["role"],
            int(row["port"]) if row["port"] else None,
            int(row["end_port"]) if row["end_port"] else None,
            row["protocol"],
            row["component"],
            row["notes"],
        )
        for row in rows
    ] == want
    assert [
        (d["role"], d["port"], d["end_port"], d["protocol"], d["component"], d["notes"])
        for d in data
    ] == want


# --- command line --------------------------------------------------------------------


def test_cli_writes_the_file_atomically(tmp_path, capsys):
    out = tmp_path / "worker.nft"
    assert run(["export", "v2.1", "--role", "worker", "-f", "nftables", "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert out.read_text("utf-8") == export(k.load("v2.1"), "nftables", "worker")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".portspec-")]


def test_cli_exports_a_page_and_prints_to_stdout(corpus, capsys):
    assert run(["export", str(corpus / "v1.8" / "ports.md"), "-f", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(list(k.load("v1.8").rules()))


def test_cli_errors(capsys, tmp_path):
    assert run(["export", "v2.1", "-f", "iptables", "--role", "etcd"]) == 3  # unknown role
    assert "no role 'etcd'" in capsys.readouterr().err
    assert run(["export", "v2.1", "-f", "toml"]) == 2
    assert run(["export", "v9.1", "-f", "csv"]) == 3
    assert "unknown release" in capsys.readouterr().err
    assert run(["export", "v2.1", "-f", "csv", "-o", str(tmp_path / "no" / "x.csv")]) == 4


# --- untrusted text: the trust boundary ----------------------------------------------

#: Characters that break one syntax or another, drawn often next to any character.
TRICKY = "\n\r\t\x00\x1b\x7f\x85\u2028\u2029\ufffe \"'\\$`!#;&|<>-=+@"
TEXT = st.text(st.one_of(st.characters(), st.sampled_from(TRICKY)), max_size=30)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
HEADER_ATTACKS = ["v9.9\ntouch /tmp/x #", "v9.9\nflush ruleset #", "v9.9\r\n---\nkind: Evil"]


def hostile_spec(release: str, product: str, title: str, component: str, notes: str) -> Spec:
    rules = (
        Rule.single(22, "tcp", component, notes),
        Rule(30000, 32767, "udp", component, notes),
        Rule(None, None, "icmp", component, notes),
        Rule(None, None, "ipip", component, notes),
    )
    return Spec(release, [Role("worker", title, rules)], product=product)


@functools.cache
def _nft_path() -> str | None:
    path = shutil.which("nft") or shutil.which("/usr/sbin/nft")
    if path is None:
        return None
    probe = subprocess.run(
        [path, "-c", "-f", "-"], input="table inet t { }\n", capture_output=True, text=True
    )
    return path if probe.returncode == 0 else None


def _csv_text(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@given(TEXT, TEXT, TEXT, TEXT, TEXT)
@example(*HEADER_ATTACKS[:2], "Workers\n-A INPUT -j ACCEPT #", "a\\", "$(id)")
@example("v\ud800", "\x00", "\u2028---", "\udfff\x85", "=cmd|' /C calc'!A0")
def test_any_text_leaves_every_export_with_exactly_the_rules(
    release: str, product: str, title: str, component: str, notes: str
) -> None:
    spec = hostile_spec(release, product, title, component, notes)

    script = export(spec, "iptables")
    assert all(
        line == "" or line.startswith(("#", "iptables ", "ip6tables "))
        for line in script.split("\n")
    )
    assert (
        subprocess.run(["bash", "-n"], input=script.encode(), capture_output=True).returncode == 0
    )
    opened = parse_rules_text(script).rules
    assert [(r.role, r.protocol, r.port, r.end_port) for r in opened] == [
        ("worker", "tcp", 22, 22),
        ("worker", "udp", 30000, 32767),
        ("worker", "icmp", None, None),
        ("worker", "ipip", None, None),
    ]
    name = component or notes or "unnamed"
    assert {r.comment for r in opened} == {one_line(f"konvoy-portspec worker: {name}")}

    ruleset = export(spec, "nftables")
    assert parse_nft(ruleset) == {
        "worker": [
            ("tcp", "22"),
            ("udp", "30000-32767"),
            ("noport", "icmp type echo-request"),
            ("noport", "meta l4proto 4"),
        ]
    }
    nft = _nft_path()
    if nft is not None:
        proc = subprocess.run([nft, "-c", "-f", "-"], input=ruleset, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr

    root = ET.fromstring(export(spec, "firewalld").encode("utf-8"))
    assert root.findtext("short") == NOT_XML.sub("", f"Konvoy {release} worker")
    assert NOT_XML.sub("", title) in (root.findtext("description") or "")
    assert [(p.get("protocol"), p.get("port")) for p in root.findall("port")] == [
        ("tcp", "22"),
        ("udp", "30000-32767"),
    ]
    assert [p.get("value") for p in root.findall("protocol")] == ["icmp", "ipencap"]

    (policy,) = yaml.safe_load_all(export(spec, "networkpolicy"))
    assert policy["metadata"]["annotations"]["konvoy-portspec/release"] == release
    assert [p["protocol"] for p in policy["spec"]["ingress"][0]["ports"]] == ["TCP", "UDP"]
    (calico,) = yaml.safe_load_all(export(spec, "calico"))
    assert [r["protocol"] for r in calico["spec"]["ingress"]] == ["TCP", "UDP", "ICMP", 4]

    rows = list(csv.reader(io.StringIO(export(spec, "csv"), newline="")))
    text_cells = ["tcp", _csv_text(component), _csv_text(notes), "worker"]
    assert rows[1:] == [
        ["22", "22", *text_cells],
        ["30000", "32767", "udp", *text_cells[1:]],
        ["", "", "icmp", *text_cells[1:]],
        ["", "", "ipip", *text_cells[1:]],
    ]
    data = json.loads(export(spec, "json"))
    assert [(d["component"], d["notes"]) for d in data] == [(component, notes)] * 4


@pytest.mark.parametrize("attack", HEADER_ATTACKS)
@pytest.mark.parametrize("field", ["release", "product", "title"])
@pytest.mark.parametrize("fmt", ["iptables", "nftables", "networkpolicy", "calico"])
def test_a_newline_in_a_header_never_starts_a_line(fmt, field, attack):
    values = {"release": "v9.9", "product": "konvoy", "title": "Workers", field: attack}
    spec = hostile_spec(values["release"], values["product"], values["title"], "c", "")
    text = export(spec, fmt)
    payload = attack.split("\n", 1)[1].split()[0]  # "touch", "flush", "---"
    assert not [line for line in text.splitlines() if line.lstrip().startswith(payload)]
    if fmt == "iptables":
        # Run it with iptables replaced by `true` and no PATH: bash's trace lists what ran.
        trace = subprocess.run(
            [shutil.which("bash") or "bash", "-x", "-c", text.replace("iptables ", "true ")],
            capture_output=True,
            text=True,
            env={"PATH": ""},
        ).stderr
        assert {line.split()[1] for line in trace.splitlines()} <= {"true"}
    if fmt in ("networkpolicy", "calico"):
        assert [d["kind"] for d in yaml.safe_load_all(text)] != ["Evil"]
        assert len(list(yaml.safe_load_all(text))) == 1


def test_control_characters_never_reach_the_yaml_or_xml():
    spec = hostile_spec("v9.9\x1b[2J", "k\x00", "W\x07\ufffe", "c\x1b]0;owned\x07", "n\x85")
    for fmt in ("iptables", "nftables", "networkpolicy", "calico", "firewalld"):
        text = export(spec, fmt)
        assert not NOT_XML.search(text), fmt
    (policy,) = yaml.safe_load_all(export(spec, "networkpolicy"))
    assert policy["metadata"]["annotations"]["konvoy-portspec/release"] == "v9.9\x1b[2J"


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (Rule(30, 20, "tcp", "x"), "port range 30-20 is reversed"),
        (Rule.single(0, "tcp"), "port 0 is out of range 1-65535"),
        (Rule.single(70000, "udp"), "port 70000 is out of range 1-65535"),
        (Rule(22, 70000, "tcp"), "end port 70000 is out of range 1-65535"),
        (Rule(22, None, "tcp"), "end port None is out of range"),
        (Rule(None, 5, "icmp"), "end port 5 without a first port"),
        (Rule.single(22, "tcp udp"), "protocol 'tcp udp' is not one word"),
        (Rule.single(22, "tcp\n-j"), "protocol 'tcp\\n-j' is not one word"),
        (Rule.single(22, ""), "protocol '' is not one word"),
    ],
)
@pytest.mark.parametrize("fmt", list(EXPORTERS))
def test_export_refuses_a_rule_no_tool_could_take(rule, words, fmt):
    spec = Spec("v9.9", [Role("worker", "Workers", (Rule.single(22), rule))])
    with pytest.raises(SpecFormatError, match=re.escape(words)) as caught:
        export(spec, fmt)
    assert "role 'worker'" in str(caught.value)


def test_a_reversed_range_is_never_written(capsys, tmp_path):
    spec = Spec("v9.9", [Role("worker", "Workers", (Rule(30, 20, "tcp", "x"),))])
    with pytest.raises(SpecFormatError):
        export(spec, "iptables")
    path = tmp_path / "reversed.json"
    path.write_text(k.dumps(spec), "utf-8")
    assert run(["export", str(path), "-f", "iptables"]) == 3
    captured = capsys.readouterr()
    assert "30:20" not in captured.out and captured.err.startswith("portspec: error:")


def test_csv_neutralises_formulas_in_text_cells_only():
    spec = Spec(
        "v9.9",
        [
            Role(
                "worker",
                "Workers",
                (
                    Rule(30000, 32767, "tcp", '=HYPERLINK("http://evil")', "-2+3"),
                    Rule.single(22, "tcp", "@SUM(A1)", "+1"),
                    Rule.single(23, "tcp", "\r=cmd", "a=b"),
                    Rule.single(24, "tcp", "\t=cmd", ""),
                ),
            )
        ],
    )
    rows = list(csv.reader(io.StringIO(export(spec, "csv"), newline="")))
    assert rows[1:] == [
        ["30000", "32767", "tcp", '\'=HYPERLINK("http://evil")', "'-2+3", "worker"],
        ["22", "22", "tcp", "'@SUM(A1)", "'+1", "worker"],
        ["23", "23", "tcp", "'\r=cmd", "a=b", "worker"],
        ["24", "24", "tcp", "'\t=cmd", "", "worker"],
    ]


def test_calico_refuses_a_role_id_that_could_widen_its_selector():
    spec = Spec("v9.9", [Role("w' || all() || 'x", "Workers", (Rule.single(22),))])
    with pytest.raises(SpecFormatError, match="label value"):
        export(spec, "calico")
    (doc,) = yaml.safe_load_all(export(k.load("v2.1"), "calico", "worker"))
    assert doc["spec"]["selector"] == "konvoy-portspec/role == 'worker'"
