"""Exports hold exactly the spec's rules: each output is read back with a reader of its
own format (a shell-word reader of the iptables lines, nft -c, xml.etree and firewalld's
own reader, PyYAML, csv) and compared with the spec role by role. The host firewall
scripts are also run against stand-in ``iptables`` commands that log what they are
asked, so their logic (which role, which jump position) is checked without root; the
real tools in a network namespace are in tests/acceptance/test_firewall_tools.py."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

import konvoy_portspec as k
from konvoy_portspec.cli import run
from konvoy_portspec.errors import SpecFormatError
from konvoy_portspec.model import OUTBOUND, Role, Rule, Spec
from konvoy_portspec.output.escape import one_line
from konvoy_portspec.output.exporters import (
    EXPORTERS,
    ExportUsageError,
    export,
    iptables_chain,
    iptables_command,
    kubernetes_name,
    nft_chain,
)
from konvoy_portspec.protocols import canonical
from tests._system import find_tool
from tests.support import FIXTURES, RELEASES

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
                Rule(None, None, "icmpv6", "ICMPv6", "ping6"),
                Rule(None, None, "ipip", "calico-node", "IP-in-IP"),
                Rule(None, None, "igmp", "multicast"),
                Rule(None, None, "any", "mystery"),
                Rule(443, 443, "tcp", "registry", "image pulls", direction=OUTBOUND),
            ),
        ),
        Role("worker", "Worker nodes", (Rule(8000, 8010, "udp", "w-range"), Rule.single(80))),
    ],
)

HOST_FORMATS = ("iptables", "iptables-restore", "ip6tables-restore", "nftables", "firewalld")
ONE_ROLE_FORMATS = ("iptables-restore", "ip6tables-restore", "nftables", "firewalld")
#: Protocols that exist on one IP family only (RFC 792 and 1112 for IPv4, 4443 for IPv6).
ONE_FAMILY = {"icmp": "ipv4", "igmp": "ipv4", "icmpv6": "ipv6"}


def fixture_specs() -> list[Spec]:
    return [k.extract(path) for path in sorted((FIXTURES / "exports").glob("*.md"))]


def specs() -> list[Spec]:
    return [k.load(r) for r in RELEASES] + [ODD, *fixture_specs()]


SPECS = pytest.mark.parametrize("spec", specs(), ids=lambda s: s.release)


def opened_on(rule: Rule, family: str) -> bool:
    """Whether a host firewall opens ``rule`` on ``family``, from what each protocol is:
    inbound only; ports on TCP/UDP/SCTP only with a port; ``any`` never (an ACCEPT for
    it would open everything); one-family protocols on their family."""
    if not rule.inbound or rule.protocol == "any":
        return False
    if rule.protocol in ("tcp", "udp", "sctp") and rule.port is None:
        return False
    return ONE_FAMILY.get(rule.protocol, family) == family


def want_keys(role: Role, family: str) -> list[tuple[str, int | None, int | None]]:
    return [(r.protocol, r.port, r.end_port) for r in role.rules if opened_on(r, family)]


def role_ids(spec: Spec) -> list[str]:
    return list(spec.roles)


@pytest.mark.parametrize("fmt", list(EXPORTERS))
def test_every_format_is_offered_by_the_cli(fmt, capsys):
    assert run(["export", "v2.1", "--role", "worker", "-f", fmt]) == 0
    assert capsys.readouterr().out == export(k.load("v2.1"), fmt, "worker")


# --- names each tool accepts ---------------------------------------------------------


@SPECS
def test_names_follow_each_tools_grammar_and_are_unique_per_role(spec):
    ids = role_ids(spec)
    chains = [iptables_chain(r) for r in ids]
    nft = [nft_chain(r) for r in ids]
    policies = [kubernetes_name(spec.release, r) for r in ids]
    for names in (chains, nft, policies):
        assert len(set(names)) == len(ids)
    # iptables: at most 28 characters (29 bytes with the NUL, xtables' chain name size).
    assert all(len(c) <= 28 and re.fullmatch(r"[A-Z0-9-]+", c) for c in chains)
    # nft: an identifier is a letter then letters, digits and '_'.
    assert all(re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_]*", c) for c in nft)
    # Kubernetes: a DNS-1123 subdomain of at most 253 characters.
    label = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    assert all(len(p) <= 253 and re.fullmatch(rf"{label}(\.{label})*", p) for p in policies)


def test_names_of_awkward_role_ids():
    assert iptables_chain("worker") == "KONVOY-WORKER"
    assert iptables_chain("2-1-all-nodes") == "KONVOY-2-1-ALL-NODES"
    assert nft_chain("2-1-all-nodes") == "konvoy_2_1_all_nodes"
    assert nft_chain("all") == "konvoy_all"  # not the keyword `all`
    one = iptables_chain("gpu-accelerated-inference-nodes-in-zone-one")
    two = iptables_chain("gpu-accelerated-inference-nodes-in-zone-two")
    assert one != two and len(one) == len(two) == 28 and one.startswith("KONVOY-GPU-")
    assert one == iptables_chain("gpu-accelerated-inference-nodes-in-zone-one")  # stable


def test_a_role_id_outside_the_schema_is_refused_by_every_format():
    spec = Spec("v9.9", [Role("Worker nodes", "W", (Rule.single(22),))])
    for fmt in EXPORTERS:
        with pytest.raises(SpecFormatError, match="role id 'Worker nodes'"):
            export(spec, fmt)


# --- iptables script -----------------------------------------------------------------

TOOL_FAMILY = {"iptables": "ipv4", "ip6tables": "ipv6"}


def script_rules(text: str) -> dict[tuple[str, str], list[dict[str, str]]]:
    """(role, family) -> the ``-A`` rules of the script's lines, read as a shell splits
    them: chain, protocol (as the spec names it), dport, icmp type and comment."""
    found: dict[tuple[str, str], list[dict[str, str]]] = {}
    role = ""
    for line in text.splitlines():
        marker = re.match(r"# role: (\S+)", line)
        if marker:
            role = marker.group(1)
        if not line.lstrip().startswith(("iptables ", "ip6tables ")):
            continue
        words = shlex.split(line, comments=True)
        if len(words) < 3 or words[0] not in TOOL_FAMILY or words[1] != "-A":
            continue
        opts = dict(zip(words[3::2], words[4::2], strict=False))
        assert words[-2:] == ["-j", "ACCEPT"]
        found.setdefault((role, TOOL_FAMILY[words[0]]), []).append(
            {
                "chain": words[2],
                "protocol": canonical(opts["-p"]),
                "dport": opts.get("--dport", ""),
                "type": opts.get("--icmp-type", opts.get("--icmpv6-type", "")),
                "comment": opts["--comment"],
            }
        )
    return found


def keys_of(rules: list[dict[str, str]]) -> list[tuple[str, int | None, int | None]]:
    out: list[tuple[str, int | None, int | None]] = []
    for r in rules:
        low, _, high = r["dport"].partition(":")
        out.append((r["protocol"], int(low) if low else None, int(high or low) if low else None))
    return out


@SPECS
def test_iptables_script_holds_exactly_the_spec_per_role_and_family(spec):
    found = script_rules(export(spec, "iptables"))
    for role in spec.roles.ordered:
        for family in ("ipv4", "ipv6"):
            got = found.get((role.id, family), [])
            assert keys_of(got) == want_keys(role, family), (role.id, family)
            assert {r["chain"] for r in got} <= {iptables_chain(role.id)}
            for r in got:  # echo request: ICMP type 8, ICMPv6 type 128 (RFC 792, 4443)
                assert r["type"] == {"icmp": "8", "icmpv6": "128"}.get(r["protocol"], "")


def test_iptables_lines_look_like_the_konvoy_pages():
    text = export(k.load("v2.1"), "iptables", "control-plane")
    lines = [line.strip() for line in text.splitlines()]
    assert (
        "iptables -A KONVOY-CONTROL-PLANE -p tcp -m tcp --dport 6443 -m comment --comment "
        '"konvoy-portspec control-plane: kube-apiserver" -j ACCEPT'
    ) in lines
    assert lines.count(lines[lines.index("konvoy_chain iptables KONVOY-CONTROL-PLANE")]) == 1
    assert "--dport 30000:32767 " in text
    assert "worker" not in text
    assert "KONVOY-WORKER" not in export(k.load("v2.1"), "iptables", "control-plane")


def test_iptables_names_what_it_cannot_open():
    text = export(ODD, "iptables", "control-plane")
    assert "# not an iptables port rule: any konvoy-portspec control-plane: mystery" in text
    assert "# outbound, not opened: 443/tcp registry (image pulls)" in text
    assert "--dport 443 " not in text


def test_the_diff_views_command_is_still_one_line():
    rule = Rule.single(6443, "tcp", "kube-apiserver")
    assert iptables_command("control-plane", rule, "-D") == (
        "iptables -D INPUT -p tcp -m tcp --dport 6443 -m comment --comment "
        '"konvoy-portspec control-plane: kube-apiserver" -j ACCEPT'
    )
    icmp6 = Rule(None, None, "icmpv6", "ping6")
    assert iptables_command("w", icmp6, chain="KONVOY-W").startswith("ip6tables -A KONVOY-W ")


#: Stand-ins for iptables and ip6tables: log each call (arguments separated by \x1f),
#: answer `-S INPUT` from $KONVOY_INPUT and `-C` with $KONVOY_CHECK (1: no such rule).
STUB = r"""#!/bin/sh
{ printf '%s' "${0##*/}"; for a in "$@"; do printf '\037%s' "$a"; done; echo; } >> "$KONVOY_LOG"
case "$2" in
-S) cat "$KONVOY_INPUT" ;;
-C) exit "${KONVOY_CHECK:-1}" ;;
esac
exit 0
"""


def run_script(
    tmp_path: Path,
    text: str,
    *args: str,
    input_rules: str = "-P INPUT ACCEPT\n",
    check: int = 1,
    shell: tuple[str, ...] = ("/bin/sh",),
    system_path: bool = True,
) -> tuple[int, list[list[str]], str]:
    """Run the exported script with stand-in tools first on PATH, and after them the
    system's PATH or (``system_path=False``) a link to awk alone; (exit, calls, stderr).
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("iptables", "ip6tables"):
        (bin_dir / tool).write_text(STUB)
        (bin_dir / tool).chmod(stat.S_IRWXU)
    awk = shutil.which("awk")
    if awk and not (bin_dir / "awk").exists():
        (bin_dir / "awk").symlink_to(awk)
    (tmp_path / "fw.sh").write_text(text)
    (tmp_path / "input.rules").write_text(input_rules)
    log = tmp_path / "calls.log"
    log.write_text("")
    system = os.environ.get("PATH", "/usr/bin:/bin") if system_path else ""
    env = {
        "PATH": f"{bin_dir}:{system}".rstrip(":"),
        "KONVOY_LOG": str(log),
        "KONVOY_INPUT": str(tmp_path / "input.rules"),
        "KONVOY_CHECK": str(check),
    }
    proc = subprocess.run(
        [*shell, str(tmp_path / "fw.sh"), *args], capture_output=True, text=True, env=env
    )
    calls = [line.split("\x1f") for line in log.read_text().splitlines()]
    return proc.returncode, calls, proc.stderr


def test_the_script_changes_nothing_without_a_role(tmp_path):
    code, calls, err = run_script(tmp_path, export(k.load("v2.1"), "iptables"))
    assert (code, calls) == (2, [])
    assert "ROLE one of: control-plane worker" in err
    code, calls, _ = run_script(tmp_path, export(k.load("v2.1"), "iptables"), "etcd")
    assert (code, calls) == (2, [])


def test_the_script_applies_only_the_named_role_on_both_families(tmp_path):
    spec = k.load("v2.1")
    code, calls, _ = run_script(tmp_path, export(spec, "iptables"), "worker")
    assert code == 0
    assert all(call[1] == "-w" for call in calls)  # every call waits for the xtables lock
    for tool in ("iptables", "ip6tables"):
        mine = [c[2:] for c in calls if c[0] == tool and c[2] not in ("-S", "-C")]
        assert mine[0] == ["-N", "KONVOY-WORKER"]
        added = [c for c in mine if c[0] == "-A"]
        assert {c[1] for c in added} == {"KONVOY-WORKER", "INPUT"}
        ports = [c[c.index("--dport") + 1] for c in added if "--dport" in c]
        want = [r.port_text.replace("-", ":") for r in spec.roles["worker"].rules]
        assert ports == want
        assert added[-1] == JUMP_A  # no REJECT: last
    assert not [c for c in calls if "KONVOY-CONTROL-PLANE" in c]


def test_a_single_role_script_needs_no_argument(tmp_path):
    text = export(k.load("v2.1"), "iptables", "worker")
    code, calls, _ = run_script(tmp_path, text)
    assert code == 0 and ["iptables", "-w", "-N", "KONVOY-WORKER"] in calls
    code, calls, _ = run_script(tmp_path, text, "control-plane")
    assert (code, calls) == (2, [])


#: The jump to the worker chain, appended; its comment names the role.
JUMP_A = [
    "-A",
    "INPUT",
    "-m",
    "comment",
    "--comment",
    "konvoy-portspec worker",
    "-j",
    "KONVOY-WORKER",
]


@pytest.mark.parametrize(
    ("input_rules", "jump"),
    [
        # RHEL's default: the jump goes before the final REJECT (rule 2 of 2 here).
        (
            "-P INPUT ACCEPT\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n"
            "-A INPUT -j REJECT --reject-with icmp-host-prohibited\n",
            ["-I", "INPUT", "2", *JUMP_A[2:]],
        ),
        # A run of catch-alls (with a comment, which is no condition): before the first.
        (
            '-P INPUT ACCEPT\n-A INPUT -s 192.0.2.0/24 -j DROP\n-A INPUT -m comment --comment "x y"'
            " -j REJECT\n-A INPUT -j DROP\n",
            ["-I", "INPUT", "2", *JUMP_A[2:]],
        ),
        # A REJECT that is not last, or a conditional one, is no trailing catch-all.
        (
            "-P INPUT DROP\n-A INPUT -j REJECT\n-A INPUT -p tcp -j ACCEPT\n",
            JUMP_A,
        ),
        ("-P INPUT DROP\n-A INPUT -p udp -j DROP\n", JUMP_A),
        ("-P INPUT ACCEPT\n", JUMP_A),
    ],
)
def test_the_jump_goes_before_a_trailing_catch_all(tmp_path, input_rules, jump):
    text = export(k.load("v2.1"), "iptables", "worker")
    code, calls, _ = run_script(tmp_path, text, input_rules=input_rules)
    assert code == 0
    jumps = [
        c[2:] for c in calls if c[0] == "iptables" and c[2:4] in (["-I", "INPUT"], ["-A", "INPUT"])
    ]
    assert jumps == [jump]


def test_an_existing_jump_is_not_added_again(tmp_path):
    text = export(k.load("v2.1"), "iptables", "worker")
    code, calls, _ = run_script(tmp_path, text, check=0)
    assert code == 0
    assert not [c for c in calls if c[2] in ("-I", "-A") and c[3] == "INPUT"]
    assert ["iptables", "-w", "-C", *JUMP_A[1:]] in calls


def test_the_script_is_posix_sh(tmp_path):
    text = export(ODD, "iptables")
    for shell in ("sh", "dash", "bash"):
        path = shutil.which(shell)
        if path:
            proc = subprocess.run([path, "-n"], input=text, capture_output=True, text=True)
            assert proc.returncode == 0, (shell, proc.stderr)


# --- iptables-restore ----------------------------------------------------------------


def restore_rules(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """The chain lines and the ``-A`` rules of restore input, split as iptables-restore
    does (double quotes group, a backslash escapes the next character in them)."""
    chains, rules = [], []
    lexer_lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lexer_lines[0] == "*filter" and lexer_lines[-1] == "COMMIT"
    for line in lexer_lines[1:-1]:
        if line.startswith(":"):
            chains.append(line)
            continue
        words = shlex.split(line)  # POSIX double quotes: \" and \\ are escapes, as here
        opts = dict(zip(words[2::2], words[3::2], strict=False))
        assert words[0] == "-A" and words[-2:] == ["-j", "ACCEPT"]
        rules.append(
            {
                "chain": words[1],
                "protocol": canonical(opts["-p"]),
                "dport": opts.get("--dport", ""),
                "comment": opts["--comment"],
            }
        )
    return chains, rules


@SPECS
@pytest.mark.parametrize(
    ("fmt", "family"), [("iptables-restore", "ipv4"), ("ip6tables-restore", "ipv6")]
)
def test_restore_input_holds_exactly_the_role(spec, fmt, family):
    for role in spec.roles.ordered:
        text = export(spec, fmt, role.id)
        chains, rules = restore_rules(text)
        chain = iptables_chain(role.id)
        assert chains == [f":{chain} - [0:0]"]
        assert keys_of(rules) == want_keys(role, family)
        assert {r["chain"] for r in rules} <= {chain}
        tool = fmt.removesuffix("-restore")
        jump = f'-m comment --comment "konvoy-portspec {role.id}" -j {chain}'
        once = f"#   {tool} -C INPUT {jump} 2>/dev/null || {tool} -I INPUT 1 {jump}"
        assert once in text.splitlines()


def test_restore_comments_keep_quotes_and_backslashes():
    _, rules = restore_rules(export(ODD, "iptables-restore", "control-plane"))
    (vxlan,) = [r for r in rules if r["dport"] == "4789"]
    assert vxlan["comment"] == 'konvoy-portspec control-plane: calico "overlay" $HOME `x` -- a\\b'


# --- nftables ------------------------------------------------------------------------


def parse_nft(text: str) -> dict[str, list[tuple[str, str]]]:
    """chain -> its accept rules as (protocol or "noport", port or match)."""
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
        m = re.match(
            r"\s*(icmpv6 type echo-request|icmp type echo-request|(meta nfproto ipv[46] )?"
            r"meta l4proto \d+) accept comment",
            line,
        )
        if m and current is not None:
            current.append(("noport", m.group(1)))
    return chains


NFT_PORTLESS = {
    "icmp": "icmp type echo-request",
    "icmpv6": "icmpv6 type echo-request",
    "igmp": "meta nfproto ipv4 meta l4proto 2",  # IGMP is IP protocol 2 (RFC 1112)
    "ipip": "meta l4proto 4",  # IP-in-IP is protocol 4 (RFC 2003)
    "gre": "meta l4proto 47",
    "esp": "meta l4proto 50",
    "vrrp": "meta l4proto 112",
}


@SPECS
def test_nftables_holds_exactly_the_role(spec):
    for role in spec.roles.ordered:
        text = export(spec, "nftables", role.id)
        chains = parse_nft(text)
        chain = nft_chain(role.id)
        assert list(chains) == [chain, "input"]
        opened = [r for r in role.rules if opened_on(r, "ipv4") or opened_on(r, "ipv6")]
        want = [
            (r.protocol, r.port_text)
            if r.port is not None
            else ("noport", NFT_PORTLESS[r.protocol])
            for r in opened
        ]
        assert chains[chain] == want
        assert text.splitlines()[-3] == f'\t\tjump {chain} comment "konvoy-portspec {role.id}"'


def test_nftables_replaces_its_own_table_in_one_file():
    lines = export(k.load("v2.1"), "nftables", "worker").splitlines()
    start = lines.index("table inet konvoy_portspec {}")
    assert lines[start + 1] == "delete table inet konvoy_portspec"
    assert lines[start + 2] == "table inet konvoy_portspec {"
    assert "\t\ttype filter hook input priority filter; policy drop;" in lines
    assert not [line for line in lines if re.match(r"\s*(flush ruleset|table (ip|ip6) )", line)]


@pytest.mark.parametrize("fmt", ONE_ROLE_FORMATS)
def test_one_node_formats_need_a_role(fmt):
    with pytest.raises(ExportUsageError, match="--role"):
        export(k.load("v2.1"), fmt)
    single = k.load("v2.1").only_role("worker")
    assert export(single, fmt) == export(k.load("v2.1"), fmt, "worker")
    assert run(["export", "v2.1", "--format", fmt]) == 2


@pytest.fixture(scope="module")
def nft() -> str:
    path, why = find_tool("nft", "nftables")
    if path is None:
        pytest.skip(why)
    probe = subprocess.run(
        [path, "-c", "-f", "-"], input="table inet t { }\n", capture_output=True, text=True
    )
    if probe.returncode != 0:
        pytest.skip(f"nft -c cannot run here: {probe.stderr.strip()}")
    return path


@pytest.mark.parametrize(
    "spec", [k.load("v1.8"), k.load("v2.3"), ODD, *fixture_specs()], ids=lambda s: s.release
)
def test_nft_accepts_the_ruleset_of_every_role(nft, spec, tmp_path):
    for role in spec.roles:
        path = tmp_path / f"{role}.nft"
        path.write_text(export(spec, "nftables", role), "utf-8")
        proc = subprocess.run([nft, "-c", "-f", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, (role, proc.stderr)


def test_nft_check_is_not_a_rubber_stamp(nft, tmp_path):
    text = export(ODD, "nftables", "worker")
    for broken in (
        text.replace("dport 80 ", "dport 80000 "),
        text.replace("konvoy_worker", "all"),  # the old chain name of role `all`
        text.replace("konvoy_worker", "2_1_all_nodes"),  # ... and of `2-1-all-nodes`
    ):
        assert broken != text
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
        # firewalld's service.xsd is a sequence: short, description, port*, protocol*.
        tags = [child.tag for child in root]
        assert tags == sorted(tags, key=["short", "description", "port", "protocol"].index)
        ports = sorted((p.get("protocol"), p.get("port")) for p in root.findall("port"))
        inbound = [r for r in role.rules if r.inbound]
        want = sorted(
            {(r.protocol, r.port_text) for r in inbound if r.protocol in ("tcp", "udp", "sctp")}
            - {(r.protocol, "") for r in inbound}
        )
        assert ports == want
        protocols = [p.get("value") for p in root.findall("protocol")]
        # firewalld resolves names through /etc/protocols: 4 is "ipencap", 58 "ipv6-icmp".
        firewalld_name = {"ipip": "ipencap", "icmpv6": "ipv6-icmp"}
        assert protocols == [
            firewalld_name.get(r.protocol, r.protocol)
            for r in inbound
            if r.port is None and r.protocol not in ("any", "tcp", "udp", "sctp")
        ]


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
        rules = [r for r in spec.roles[role].rules if r.inbound]
        ports = sorted({(r.port_text, r.protocol) for r in rules if r.port is not None})
        firewalld_name = {"icmp": "icmp", "ipip": "ipencap", "icmpv6": "ipv6-icmp", "igmp": "igmp"}
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


def policy_ports(doc: dict) -> list[tuple[str, int, int]]:
    (ingress,) = doc["spec"]["ingress"]
    return [(p["protocol"], p["port"], p.get("endPort", p["port"])) for p in ingress["ports"]]


def policy_roles(spec: Spec) -> list[Role]:
    """The roles a NetworkPolicy export has a policy for: those with an inbound port."""
    return [
        role
        for role in spec.roles.ordered
        if any(
            r.inbound and r.port is not None and r.protocol in ("tcp", "udp", "sctp")
            for r in role.rules
        )
    ]


@SPECS
def test_networkpolicy_holds_exactly_the_spec(spec):
    docs = list(yaml.safe_load_all(export(spec, "networkpolicy")))
    roles = policy_roles(spec)
    assert len(docs) == len(roles)
    for doc, role in zip(docs, roles, strict=True):
        assert doc["metadata"]["name"] == kubernetes_name(spec.release, role.id)
        assert doc["metadata"]["annotations"]["konvoy-portspec/role"] == role.id
        want = [
            (r.protocol.upper(), r.port, r.end_port)
            for r in role.rules
            if r.inbound and r.port is not None and r.protocol in ("tcp", "udp", "sctp")
        ]
        assert policy_ports(doc) == want
        assert all(
            "endPort" not in p or p["endPort"] > p["port"]
            for p in doc["spec"]["ingress"][0]["ports"]
        )


def test_networkpolicy_names_what_it_cannot_express():
    text = export(ODD, "networkpolicy", "control-plane")
    assert "# not expressible in a NetworkPolicy: icmp ICMP (ping)" in text
    assert "# not expressible in a NetworkPolicy: ipip calico-node (IP-in-IP)" in text
    assert "# outbound, not opened: 443/tcp registry (image pulls)" in text
    assert text.count("\n---\n") == 0
    assert "Kubernetes 1.22 or later" in text  # the header says what endPort needs


def test_networkpolicy_for_old_clusters_lists_single_ports():
    spec = k.load("v1.8")
    (doc, *_) = yaml.safe_load_all(export(spec, "networkpolicy", kubernetes_version="1.20"))
    ports = policy_ports(doc)
    assert all(low == high for _, low, high in ports)
    node_ports = [p for p in ports if 30000 <= p[1] <= 32767]
    assert node_ports == [("TCP", n, n) for n in range(30000, 32768)]  # 2768 ports, not 1
    # 1.22 and later keep endPort: the range stays one entry.
    for version in ("1.22", "v1.25.3", "1.30"):
        (doc, *_) = yaml.safe_load_all(export(spec, "networkpolicy", kubernetes_version=version))
        assert ("TCP", 30000, 32767) in policy_ports(doc)


def test_networkpolicy_versions():
    spec = Spec("v9.9", [Role("w", "W", (Rule.single(22), Rule.single(9000, "sctp", "s")))])
    (doc,) = yaml.safe_load_all(export(spec, "networkpolicy", kubernetes_version="1.18"))
    assert policy_ports(doc) == [("TCP", 22, 22)]  # SCTP is beta (on) from 1.19
    text = export(spec, "networkpolicy", kubernetes_version="1.18")
    assert "# not expressible for Kubernetes 1.18 (SCTP needs 1.19): 9000/sctp s" in text
    (doc,) = yaml.safe_load_all(export(spec, "networkpolicy", kubernetes_version="1.19"))
    assert policy_ports(doc) == [("TCP", 22, 22), ("SCTP", 9000, 9000)]
    for bad in ("1", "1.x", "latest", "1.20.1.1", "1.6"):
        with pytest.raises(ExportUsageError, match=r"--kubernetes-version|NetworkPolicy"):
            export(spec, "networkpolicy", kubernetes_version=bad)
    with pytest.raises(ExportUsageError, match="networkpolicy format, not nftables"):
        export(spec, "nftables", kubernetes_version="1.20")


def test_networkpolicy_refuses_too_many_single_ports():
    spec = Spec("v9.9", [Role("w", "W", (Rule(1024, 65535, "tcp", "all high ports"),))])
    with pytest.raises(ExportUsageError, match="64512 single ports"):
        export(spec, "networkpolicy", kubernetes_version="1.20")
    assert "endPort: 65535" in export(spec, "networkpolicy", kubernetes_version="1.22")


@pytest.mark.parametrize("fmt", ["networkpolicy", "calico"])
def test_a_policy_never_denies_all_ingress_silently(fmt):
    (spec,) = [s for s in fixture_specs() if "pings-only" in s.roles]
    text = export(spec, fmt)
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    assert all(d["spec"]["ingress"] for d in docs)  # never `ingress: []`
    assert "ingress: []" not in text
    if fmt == "networkpolicy":
        assert [d["metadata"]["annotations"]["konvoy-portspec/role"] for d in docs] == ["worker"]
        assert "# role pings-only: no NetworkPolicy" in text
        with pytest.raises(ExportUsageError, match="deny all ingress"):
            export(spec, fmt, "pings-only")
    empty = Spec("v9.9", [Role("w", "W", (Rule(None, None, "any", "x"),))])
    with pytest.raises(ExportUsageError, match="deny all ingress"):
        export(empty, fmt)
    assert run(
        ["export", "-f", fmt, str(FIXTURES / "exports" / "protocols.md"), "--role", "pings-only"]
    ) == (2 if fmt == "networkpolicy" else 0)


@SPECS
def test_calico_holds_exactly_the_spec(spec):
    docs = list(yaml.safe_load_all(export(spec, "calico")))
    for doc in docs:
        assert doc["kind"] == "GlobalNetworkPolicy"
        assert doc["apiVersion"] == "projectcalico.org/v3"
        role = spec.roles[doc["spec"]["selector"].split("'")[1]]
        got = []
        for rule in doc["spec"]["ingress"]:
            assert rule["action"] == "Allow"
            for port in rule.get("destination", {}).get("ports", []):
                start, _, end = str(port).partition(":")
                got.append((rule["protocol"].lower(), int(start), int(end or start)))
        want = sorted(
            (r.protocol, r.port, r.end_port)
            for r in role.rules
            if r.inbound and r.port is not None and r.end_port is not None
        )
        assert sorted(got) == want


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


def test_cli_kubernetes_version(capsys):
    assert run(["export", "v1.8", "-f", "networkpolicy", "--kubernetes-version", "1.20"]) == 0
    out = capsys.readouterr().out
    assert "endPort" not in out.replace("no endPort", "") and "port: 32767" in out
    assert run(["export", "v1.8", "-f", "csv", "--kubernetes-version", "1.20"]) == 2
    assert "for the networkpolicy format" in capsys.readouterr().err


def test_cli_help_shows_real_examples(capsys):
    assert run(["export", "--help"]) == 0
    out = capsys.readouterr().out
    examples = [line.strip() for line in out.split("examples:", 1)[1].splitlines()]
    commands = [line for line in examples if line.startswith("portspec export")]
    assert len(commands) >= 2
    assert "--kubernetes-version" in out and "--role" in out
    for command in commands:  # each parses and runs (without its -o and its && tail)
        argv = shlex.split(command.split("&&")[0])[1:]
        if "-o" in argv:
            del argv[argv.index("-o") : argv.index("-o") + 2]
        assert run(argv) == 0, command
        capsys.readouterr()


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
    name = component or notes or "unnamed"
    comment = one_line(f"konvoy-portspec worker: {name}")

    script = export(spec, "iptables")
    assert (
        subprocess.run(["bash", "-n"], input=script.encode(), capture_output=True).returncode == 0
    )
    found = script_rules(script)
    assert keys_of(found[("worker", "ipv4")]) == [
        ("tcp", 22, 22),
        ("udp", 30000, 32767),
        ("icmp", None, None),
        ("ipip", None, None),
    ]
    assert keys_of(found[("worker", "ipv6")]) == [
        ("tcp", 22, 22),
        ("udp", 30000, 32767),
        ("ipip", None, None),
    ]
    assert {r["comment"] for rules in found.values() for r in rules} == {comment}

    _, rules = restore_rules(export(spec, "iptables-restore"))
    assert [r["protocol"] for r in rules] == ["tcp", "udp", "icmp", "ipip"]
    assert {r["comment"] for r in rules} == {comment}

    ruleset = export(spec, "nftables")
    assert parse_nft(ruleset)["konvoy_worker"] == [
        ("tcp", "22"),
        ("udp", "30000-32767"),
        ("noport", "icmp type echo-request"),
        ("noport", "meta l4proto 4"),
    ]
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


def test_hostile_comments_reach_iptables_as_one_argument(tmp_path):
    component = 'calico "overlay" $(id) `x` -- a\\b; rm -rf / #'
    spec = hostile_spec("v9.9", "konvoy", "Workers\n-A INPUT -j ACCEPT #", component, "")
    code, calls, _ = run_script(tmp_path, export(spec, "iptables"))
    assert code == 0
    comments = {c[c.index("--comment") + 1] for c in calls if "--comment" in c}
    assert comments == {f"konvoy-portspec worker: {component}", "konvoy-portspec worker"}
    assert not [c for c in calls if c[2:4] == ["-A", "INPUT"] and "ACCEPT" in c]


@pytest.mark.parametrize("attack", HEADER_ATTACKS)
@pytest.mark.parametrize("field", ["release", "product", "title"])
@pytest.mark.parametrize(
    "fmt", ["iptables", "iptables-restore", "nftables", "networkpolicy", "calico"]
)
def test_a_newline_in_a_header_never_starts_a_line(fmt, field, attack, tmp_path):
    values = {"release": "v9.9", "product": "konvoy", "title": "Workers", field: attack}
    spec = hostile_spec(values["release"], values["product"], values["title"], "c", "")
    text = export(spec, fmt)
    payload = attack.split("\n", 1)[1].split()[0]  # "touch", "flush", "---"
    assert not [line for line in text.splitlines() if line.lstrip().startswith(payload)]
    if fmt == "iptables":
        # Run it traced, with only the stand-in tools on PATH: the trace lists every
        # command the shell ran, and the payload is none of them.
        bash = shutil.which("bash") or "bash"
        code, calls, trace = run_script(tmp_path, text, shell=(bash, "-x"), system_path=False)
        assert code == 0 and calls
        ran = {
            line.lstrip("+ ").split(" ", 1)[0]
            for line in trace.splitlines()
            if line.startswith("+")
        }
        assert payload not in ran and "touch" not in ran
    if fmt in ("networkpolicy", "calico"):
        assert [d["kind"] for d in yaml.safe_load_all(text)] != ["Evil"]
        assert len(list(yaml.safe_load_all(text))) == 1


def test_control_characters_never_reach_the_yaml_or_xml():
    spec = hostile_spec("v9.9\x1b[2J", "k\x00", "W\x07\ufffe", "c\x1b]0;owned\x07", "n\x85")
    for fmt in (*HOST_FORMATS, "networkpolicy", "calico"):
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


def test_calico_selects_the_role_label():
    (doc,) = yaml.safe_load_all(export(k.load("v2.1"), "calico", "worker"))
    assert doc["spec"]["selector"] == "konvoy-portspec/role == 'worker'"
    # A role id that could widen the selector never gets that far: it is no role id.
    spec = Spec("v9.9", [Role("w' || all() || 'x", "Workers", (Rule.single(22),))])
    with pytest.raises(SpecFormatError, match="role id"):
        export(spec, "calico")


def test_networkpolicy_lists_many_single_ports_when_nothing_is_expanded():
    # The limit is on ranges written out as single ports for clusters without endPort;
    # a role that simply has many single-port rules is not refused for it.
    rules = tuple(Rule.single(1024 + n, "tcp", f"c{n}") for n in range(4200))
    spec = Spec("v9.9", [Role("w", "W", rules)])
    for version in (None, "1.20"):
        docs = list(yaml.safe_load_all(export(spec, "networkpolicy", kubernetes_version=version)))
        (ports,) = [d["spec"]["ingress"][0]["ports"] for d in docs if d]
        assert len(ports) == 4200
    ranged = Spec("v9.9", [Role("w", "W", (*rules, Rule(30000, 30001, "tcp", "r")))])
    with pytest.raises(ExportUsageError, match="4202 single ports"):
        export(ranged, "networkpolicy", kubernetes_version="1.20")
