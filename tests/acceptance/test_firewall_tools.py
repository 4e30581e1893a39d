"""The host firewall exports applied with the real tools, and the policy exports held to
their tools' schemas.

Rulesets are applied inside ``unshare -n``: a fresh, empty network namespace whose
netfilter tables are its own, so nothing here touches this machine's firewall. Each
export is applied twice, and the ruleset after two applications must equal the one
after one (``iptables-save``/``ip6tables-save``/``nft -j list ruleset``); the ruleset
must open exactly the role's rules on IPv4 and on IPv6, with the jump from INPUT before
a trailing REJECT set up beforehand. Tools that are not installed (``make provision``
installs them) or a namespace that cannot be made (not root) skip with the reason.

What is expected is read from the spec's rules and from what each protocol is (ICMP
and IGMP exist on IPv4 only, ICMPv6 on IPv6 only: RFC 792, 1112, 4443), never from the
exporter's own helpers.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

import konvoy_portspec as k
from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.model import Role, Spec
from konvoy_portspec.output.exporters import export
from konvoy_portspec.protocols import canonical
from tests._system import find_tool
from tests.support import FIXTURES

EXPORTS = FIXTURES / "exports"
ONE_FAMILY = {"icmp": "ipv4", "igmp": "ipv4", "icmpv6": "ipv6"}
PORT_PROTOCOLS = ("tcp", "udp", "sctp")
REJECT_TAIL = {
    "ipv4": "-A INPUT -j REJECT --reject-with icmp-port-unreachable",
    "ipv6": "-A INPUT -j REJECT --reject-with icmp6-port-unreachable",
}

Key = tuple[str, int | None, int | None]


def page_specs(folder: Path) -> list[Spec]:
    """Every page of a fixture folder that extracts to a spec with roles."""
    out = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".md", ".markdown", ".mdx", ".html", ".htm"):
            continue
        try:
            spec = k.extract(path)
        except PortSpecError:
            continue
        if spec.roles:
            out.append(spec)
    return out


def host_cases() -> list[tuple[Spec, str]]:
    specs = [k.load("v1.8"), k.load("v2.1"), *page_specs(EXPORTS)]
    return [(spec, role) for spec in specs for role in spec.roles]


HOST_CASES = pytest.mark.parametrize(
    ("spec", "role"), host_cases(), ids=lambda v: v if isinstance(v, str) else v.release
)


def want(role: Role, family: str | None) -> list[Key]:
    """The rules a host firewall opens for ``role`` on ``family`` (``None``: either)."""
    out = []
    for r in role.rules:
        if not r.inbound or r.protocol == "any":
            continue
        if r.protocol in PORT_PROTOCOLS and r.port is None:
            continue
        if family is not None and ONE_FAMILY.get(r.protocol, family) != family:
            continue
        out.append((r.protocol, r.port, r.end_port))
    return out


# --- the namespace -------------------------------------------------------------------


@pytest.fixture(scope="module")
def netns() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run a shell script in a fresh network namespace (``unshare -n sh -c``)."""
    unshare, why = find_tool("unshare", "util-linux")
    if unshare is None:
        pytest.skip(why)
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n cannot make a network namespace here: {probe.stderr.strip()}")

    def run(script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [unshare, "-n", "sh", "-ec", script], capture_output=True, text=True, env=full_env
        )

    return run


def _tools(*names: tuple[str, str]) -> dict[str, str]:
    found = {}
    for binary, package in names:
        path, why = find_tool(binary, package)
        if path is None:
            pytest.skip(why)
        found[binary] = path
    return found


@pytest.fixture(scope="module", params=["nft", "legacy"])
def xtables(request, tmp_path_factory) -> str:
    """A folder whose iptables, ip6tables and their -save/-restore are one backend's
    (iptables-nft or iptables-legacy): put first on PATH, the export uses them."""
    suffix = "" if request.param == "nft" else "-legacy"
    names = ["iptables", "ip6tables"]
    names += [f"{n}-{what}" for n in ("iptables", "ip6tables") for what in ("save", "restore")]
    tools = {}
    for name in names:
        base, dash, what = name.partition("-")
        binary = f"{base}{suffix}{dash}{what}"
        tools[name] = _tools((binary, "iptables"))[binary]
    folder = tmp_path_factory.mktemp(f"xtables-{request.param}")
    for name, path in tools.items():
        (folder / name).symlink_to(path)
    return str(folder)


def saved(text: str) -> list[str]:
    """``iptables-save`` output without its dated comment lines."""
    return [line for line in text.splitlines() if not line.startswith("#")]


def chain_rules(lines: list[str], chain: str) -> list[dict[str, str]]:
    """The ``-A CHAIN`` rules of ``iptables-save`` output, split as the tool quotes."""
    out = []
    for line in lines:
        if not line.startswith(f"-A {chain} "):
            continue
        words = shlex.split(line)
        assert words[-2:] == ["-j", "ACCEPT"], line
        opts = dict(zip(words[2::2], words[3::2], strict=False))
        out.append(
            {
                "protocol": canonical(opts["-p"]),
                "dport": opts.get("--dport", ""),
                "type": opts.get("--icmp-type", opts.get("--icmpv6-type", "")),
            }
        )
    return out


def keys(rules: list[dict[str, str]]) -> list[Key]:
    out: list[Key] = []
    for r in rules:
        low, _, high = r["dport"].partition(":")
        out.append((r["protocol"], int(low) if low else None, int(high or low) if low else None))
    return out


def chain_name(lines: list[str], role: str) -> str:
    """The one chain the export declared (``:NAME - [0:0]``); it must name the role."""
    declared = [line[1:].split()[0] for line in lines if line.startswith(":")]
    ours = [name for name in declared if name not in ("INPUT", "FORWARD", "OUTPUT")]
    assert len(ours) == 1, declared
    assert ours[0].startswith("KONVOY-") and len(ours[0]) <= 28
    if len(role) <= 21:
        assert ours[0] == "KONVOY-" + role.upper()
    return ours[0]


def check_family(lines: list[str], role: Role, family: str, before: list[str]) -> None:
    """The saved ruleset of one family: INPUT keeps its rules, with the jump to the
    role's chain just before the trailing REJECT; the chain opens exactly the role's
    rules on this family (ICMP echo request as type 8, ICMPv6's as type 128)."""
    chain = chain_name(lines, role.id)
    inputs = [line for line in lines if line.startswith("-A INPUT ")]
    jump = f'-A INPUT -m comment --comment "konvoy-portspec {role.id}" -j {chain}'
    assert inputs == [*before, jump, REJECT_TAIL[family]]
    rules = chain_rules(lines, chain)
    assert keys(rules) == want(role, family)
    echo = {"icmp": "8", "icmpv6": "128"}
    assert all(r["type"] == echo.get(r["protocol"], "") for r in rules)


# --- iptables script -----------------------------------------------------------------

APPLY_SCRIPT_TWICE = """
iptables -A INPUT -s 192.0.2.0/24 -j DROP
iptables -A INPUT -j REJECT
ip6tables -A INPUT -j REJECT
iptables-save > "$OUT/v4.0"; ip6tables-save > "$OUT/v6.0"
if sh "$FW"; then exit 9; fi
iptables-save > "$OUT/v4.none"; ip6tables-save > "$OUT/v6.none"
for n in 1 2; do
    sh "$FW" "$ROLE"
    iptables-save > "$OUT/v4.$n"; ip6tables-save > "$OUT/v6.$n"
done
"""


@HOST_CASES
def test_the_iptables_script_is_idempotent_and_opens_exactly_the_role(
    netns, xtables, tmp_path, spec, role
):
    (tmp_path / "fw.sh").write_text(export(spec, "iptables"))
    env = {
        "PATH": f"{xtables}:{os.environ['PATH']}",
        "FW": str(tmp_path / "fw.sh"),
        "ROLE": role,
        "OUT": str(tmp_path),
    }
    proc = netns(APPLY_SCRIPT_TWICE, env)
    assert proc.returncode == 0, proc.stderr
    for family in ("v4", "v6"):
        start = saved((tmp_path / f"{family}.0").read_text())
        assert saved((tmp_path / f"{family}.none").read_text()) == start  # no role: no change
        once = saved((tmp_path / f"{family}.1").read_text())
        assert saved((tmp_path / f"{family}.2").read_text()) == once
    before4 = ["-A INPUT -s 192.0.2.0/24 -j DROP"]
    check_family(saved((tmp_path / "v4.2").read_text()), spec.roles[role], "ipv4", before4)
    check_family(saved((tmp_path / "v6.2").read_text()), spec.roles[role], "ipv6", [])


# --- iptables-restore ----------------------------------------------------------------


def jump_command(text: str) -> str:
    """The one-time jump command a restore file's header gives."""
    (line,) = [line for line in text.splitlines() if line.startswith("#   ")]
    return line[4:]


APPLY_RESTORE_TWICE = """
iptables -A INPUT -j REJECT
ip6tables -A INPUT -j REJECT
for n in 1 2; do
    iptables-restore --noflush "$R4"
    ip6tables-restore --noflush "$R6"
    sh -c "$JUMP4"
    sh -c "$JUMP6"
    iptables-save > "$OUT/v4.$n"; ip6tables-save > "$OUT/v6.$n"
done
"""


@HOST_CASES
def test_restore_files_are_idempotent_and_open_exactly_the_role(
    netns, xtables, tmp_path, spec, role
):
    v4 = export(spec, "iptables-restore", role)
    v6 = export(spec, "ip6tables-restore", role)
    (tmp_path / "r4").write_text(v4)
    (tmp_path / "r6").write_text(v6)
    env = {
        "PATH": f"{xtables}:{os.environ['PATH']}",
        "R4": str(tmp_path / "r4"),
        "R6": str(tmp_path / "r6"),
        "JUMP4": jump_command(v4),
        "JUMP6": jump_command(v6),
        "OUT": str(tmp_path),
    }
    proc = netns(APPLY_RESTORE_TWICE, env)
    assert proc.returncode == 0, proc.stderr
    for family in ("v4", "v6"):
        once = saved((tmp_path / f"{family}.1").read_text())
        assert saved((tmp_path / f"{family}.2").read_text()) == once
    check_family(saved((tmp_path / "v4.2").read_text()), spec.roles[role], "ipv4", [])
    check_family(saved((tmp_path / "v6.2").read_text()), spec.roles[role], "ipv6", [])


# --- nftables ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nft() -> str:
    return _tools(("nft", "nftables"))["nft"]


def nft_objects(text: str) -> Iterator[dict[str, object]]:
    """The objects of ``nft -j list ruleset``, without the handles the kernel numbers
    anew each time a table is made (``nft list ruleset`` does not print them either)."""
    for item in json.loads(text)["nftables"]:
        if "metainfo" not in item:
            ((kind, body),) = item.items()
            yield {kind: {key: value for key, value in body.items() if key != "handle"}}


def nft_keys(exprs: list[dict[str, object]]) -> Key | None:
    """What an accept rule of ours matches, read from nft's JSON expressions."""
    assert exprs[-1] == {"accept": None}, exprs
    found: Key | None = None
    for expr in exprs[:-1]:
        match = expr["match"]
        assert isinstance(match, dict) and match["op"] == "=="
        left, right = match["left"], match["right"]
        if "payload" in left and left["payload"]["field"] == "dport":
            low, high = right["range"] if isinstance(right, dict) else (right, right)
            found = (left["payload"]["protocol"], low, high)
        elif "payload" in left and left["payload"]["field"] == "type":
            assert right == "echo-request"
            found = (left["payload"]["protocol"], None, None)
        elif left == {"meta": {"key": "l4proto"}}:
            found = (canonical(str(right)), None, None)
        else:  # only a family guard goes with a protocol match
            assert left == {"meta": {"key": "nfproto"}}, left
    return found


@HOST_CASES
def test_the_nft_ruleset_is_idempotent_and_opens_exactly_the_role(netns, nft, tmp_path, spec, role):
    (tmp_path / "fw.nft").write_text(export(spec, "nftables", role))
    script = """
    nft -f "$FW"; nft -j list ruleset > "$OUT/1.json"; nft list ruleset > "$OUT/1.nft"
    nft -f "$FW"; nft -j list ruleset > "$OUT/2.json"; nft list ruleset > "$OUT/2.nft"
    """
    env = {"PATH": f"{Path(nft).parent}:{os.environ['PATH']}", "FW": str(tmp_path / "fw.nft")}
    proc = netns(script, {**env, "OUT": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "2.nft").read_text() == (tmp_path / "1.nft").read_text()
    once = list(nft_objects((tmp_path / "1.json").read_text()))
    assert list(nft_objects((tmp_path / "2.json").read_text())) == once
    tables = [o["table"] for o in once if "table" in o]
    assert [(t["family"], t["name"]) for t in tables] == [("inet", "konvoy_portspec")]
    chains = {o["chain"]["name"]: o["chain"] for o in once if "chain" in o}
    (base,) = [c for c in chains.values() if "hook" in c]
    assert (base["type"], base["hook"], base["policy"]) == ("filter", "input", "drop")
    rules: dict[str, list[list[dict[str, object]]]] = {}
    for o in once:
        if "rule" in o:
            rules.setdefault(o["rule"]["chain"], []).append(o["rule"]["expr"])
    (role_chain,) = [name for name in chains if name != base["name"]]
    assert re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_]*", role_chain)
    (jump,) = [o["rule"] for o in once if "rule" in o and o["rule"]["chain"] == base["name"]][-1:]
    assert jump["expr"] == [{"jump": {"target": role_chain}}]
    assert jump["comment"] == f"konvoy-portspec {role}"
    assert [nft_keys(e) for e in rules.get(role_chain, [])] == want(spec.roles[role], None)


def every_fixture_page() -> list[Spec]:
    return [s for folder in ("pages", "styles", "exports") for s in page_specs(FIXTURES / folder)]


def test_nft_checks_the_export_of_every_role_of_every_fixture_page(nft, tmp_path):
    checked = 0
    for spec in every_fixture_page():
        for role in spec.roles:
            path = tmp_path / "fw.nft"
            path.write_text(export(spec, "nftables", role))
            proc = subprocess.run([nft, "-c", "-f", str(path)], capture_output=True, text=True)
            assert proc.returncode == 0, (spec.release, role, proc.stderr)
            checked += 1
    assert checked >= 20
    awkward = {r for s in page_specs(EXPORTS) for r in s.roles}
    assert {"2-1-all-nodes", "all", "ip", "counter"} <= awkward


# --- firewalld -----------------------------------------------------------------------


def service_xsd() -> Path | None:
    """firewalld's service.xsd, where a firewalld package puts it (or
    $PORTSPEC_FIREWALLD_XSD)."""
    candidates = [os.environ.get("PORTSPEC_FIREWALLD_XSD", "")]
    candidates += [
        "/usr/lib/firewalld/xmlschema/service.xsd",
        "/usr/share/firewalld/xmlschema/service.xsd",
    ]
    for folder in ("/usr/lib/python3/dist-packages/firewall", "/usr/share/firewalld"):
        candidates += [str(p) for p in Path(folder).glob("**/service.xsd")]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def test_firewalld_services_pass_firewallds_schema(tmp_path):
    xmllint = _tools(("xmllint", "libxml2-utils"))["xmllint"]
    xsd = service_xsd()
    if xsd is None:
        pytest.skip("firewalld's service.xsd is not installed (Fedora/RHEL firewalld has it)")
    files = []
    for spec in [k.load("v1.8"), k.load("v2.1"), *page_specs(EXPORTS)]:
        for role in spec.roles:
            path = tmp_path / f"{spec.release}-{role}.xml"
            path.write_text(export(spec, "firewalld", role))
            files.append(str(path))
    proc = subprocess.run(
        [xmllint, "--noout", "--schema", str(xsd), *files], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    # The schema is a sequence: a port after a protocol is refused (the check is real).
    (spec,) = [s for s in page_specs(EXPORTS) if "pings-only" in s.roles]
    text = export(spec, "firewalld", "worker")
    moved = re.sub(r"(\s*<port [^>]*/>)(.*?)(</service>)", r"\2\1\n\3", text, count=1, flags=re.S)
    assert moved != text
    (tmp_path / "moved.xml").write_text(moved)
    proc = subprocess.run(
        [xmllint, "--noout", "--schema", str(xsd), str(tmp_path / "moved.xml")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0


# --- NetworkPolicy: the API's shape --------------------------------------------------

#: From the Kubernetes API reference (networking.k8s.io/v1 NetworkPolicy) and the
#: object-meta rules: names are DNS-1123 subdomains (253), label values at most 63 of
#: [A-Za-z0-9_.-] starting and ending alphanumeric, annotation keys [prefix/]name.
DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
SUBDOMAIN = rf"{DNS_LABEL}(\.{DNS_LABEL})*"
QUALIFIED = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
FIELDS = {
    "": {"apiVersion", "kind", "metadata", "spec"},
    "metadata": {"name", "namespace", "labels", "annotations"},
    "spec": {"podSelector", "policyTypes", "ingress", "egress"},
    "ingress": {"from", "ports"},
    "port": {"protocol", "port", "endPort"},
}


def qualified_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    ok_prefix = not prefix or (len(prefix) <= 253 and re.fullmatch(SUBDOMAIN, prefix))
    return bool(ok_prefix and len(name) <= 63 and re.fullmatch(QUALIFIED, name))


def networkpolicy_problems(doc: dict, version: tuple[int, int] | None) -> list[str]:
    """What in ``doc`` the API server would refuse or drop for Kubernetes ``version``."""
    problems = []

    def fields(where: str, value: dict, allowed: set[str]) -> None:
        if not isinstance(value, dict):
            problems.append(f"{where or 'document'} is not an object")
            return
        problems.extend(f"unknown field {where}.{f}" for f in set(value) - allowed)

    fields("", doc, FIELDS[""])
    if (doc.get("apiVersion"), doc.get("kind")) != ("networking.k8s.io/v1", "NetworkPolicy"):
        problems.append("not a networking.k8s.io/v1 NetworkPolicy")
    meta = doc.get("metadata", {})
    fields("metadata", meta, FIELDS["metadata"])
    name = meta.get("name", "")
    if not (isinstance(name, str) and len(name) <= 253 and re.fullmatch(SUBDOMAIN, name)):
        problems.append(f"name {name!r} is not a DNS-1123 subdomain")
    for key, value in (meta.get("labels") or {}).items():
        if not qualified_key(key) or not (
            isinstance(value, str) and len(value) <= 63 and re.fullmatch(f"({QUALIFIED})?", value)
        ):
            problems.append(f"bad label {key}={value!r}")
    annotations = meta.get("annotations") or {}
    for key, value in annotations.items():
        if not qualified_key(key) or not isinstance(value, str):
            problems.append(f"bad annotation {key}")
    if sum(len(k) + len(v) for k, v in annotations.items()) > 256 * 1024:
        problems.append("annotations over 256 KiB")
    spec = doc.get("spec", {})
    fields("spec", spec, FIELDS["spec"])
    if not isinstance(spec.get("podSelector"), dict):
        problems.append("spec.podSelector is required (a label selector)")
    elif set(spec["podSelector"]) - {"matchLabels", "matchExpressions"}:
        problems.append("spec.podSelector is not a label selector")
    types = spec.get("policyTypes", [])
    if not set(types) <= {"Ingress", "Egress"} or len(set(types)) != len(types):
        problems.append(f"policyTypes {types!r}")
    ingress = spec.get("ingress")
    if "Ingress" in types and not ingress:
        problems.append("an Ingress policy with no ingress rule denies all ingress")
    for rule in ingress or []:
        fields("ingress", rule, FIELDS["ingress"])
        for port in rule.get("ports", []):
            fields("port", port, FIELDS["port"])
            protocol = port.get("protocol", "TCP")
            if protocol not in ("TCP", "UDP", "SCTP"):
                problems.append(f"protocol {protocol!r}")
            if protocol == "SCTP" and version is not None and version < (1, 19):
                problems.append("SCTP before Kubernetes 1.19")
            number = port.get("port")
            if not (type(number) is int and 1 <= number <= 65535):
                problems.append(f"port {number!r} is not a port number")
            if "endPort" in port:
                end = port["endPort"]
                if version is not None and version < (1, 22):
                    problems.append("endPort before Kubernetes 1.22 is dropped")
                if not (type(end) is int and type(number) is int and number <= end <= 65535):
                    problems.append(f"endPort {end!r} below port {number!r} or over 65535")
    return problems


@pytest.mark.parametrize("version", [None, "1.18", "1.20", "1.21", "1.22", "1.25"])
def test_networkpolicies_have_the_api_shape(version):
    parsed = None if version is None else tuple(int(p) for p in version.split("."))
    specs = [k.load("v1.8"), k.load("v2.1"), *page_specs(EXPORTS)]
    for spec in specs:
        docs = list(yaml.safe_load_all(export(spec, "networkpolicy", kubernetes_version=version)))
        names = [doc["metadata"]["name"] for doc in docs]
        assert len(set(names)) == len(names)
        for doc in docs:
            assert networkpolicy_problems(doc, parsed) == [], (spec.release, doc["metadata"])


def test_the_shape_check_is_not_a_rubber_stamp():
    (doc,) = yaml.safe_load_all(export(k.load("v2.1"), "networkpolicy", "worker"))
    assert networkpolicy_problems(doc, (1, 20)) == ["endPort before Kubernetes 1.22 is dropped"]
    doc["spec"]["ingress"] = []
    doc["metadata"]["name"] = "Konvoy_v2.1"
    assert networkpolicy_problems(doc, None) == [
        "name 'Konvoy_v2.1' is not a DNS-1123 subdomain",
        "an Ingress policy with no ingress rule denies all ingress",
    ]
