"""Which way a rule's traffic goes: the extractor keeps inbound and outbound rules apart
within one role, and the exports and the diff act on that.

A table's direction comes from its title, caption or heading path ("Server nodes -
Inbound rules", "### Outbound rules", "Inbound rules for agent nodes"), a row's from
its Direction cell, and, for a table that says nothing else, from its columns (Source
only: inbound; Destination only: outbound). The words naming the direction are no part
of the role: the inbound and the outbound table of one node kind are one role. Every
expectation here is read off the page it is about.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from konvoy_portspec.cli import run
from konvoy_portspec.extraction import extract_text
from konvoy_portspec.extraction.titles import cell_direction, split_direction
from konvoy_portspec.model import INBOUND, OUTBOUND, Rule
from tests.support import FIXTURES

TABLE = "| Port | Protocol | Description |\n|---|---|---|\n| {} | TCP | {} |\n"


def _directions(page: str, path: str | None = None) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Each role's id, title and (port/protocol, direction) of each rule."""
    spec = extract_text(page, path=path)
    return [
        (role.id, role.title, [(rule.where, rule.direction) for rule in role])
        for role in spec.roles.ordered
    ]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Server nodes - Inbound rules", (INBOUND, "Server nodes")),
        ("Server nodes \u2013 Outbound rules", (OUTBOUND, "Server nodes")),
        ("Inbound rules for server nodes", (INBOUND, "Server nodes")),
        ("Inbound traffic to control plane nodes", (INBOUND, "Control plane nodes")),
        ("Outbound traffic from control plane nodes", (OUTBOUND, "Control plane nodes")),
        # The peer of the traffic is not the node the rules are for.
        ("Inbound rules from agent nodes", (INBOUND, "")),
        ("Egress to the internet", (OUTBOUND, "")),
        ("Control plane (egress)", (OUTBOUND, "Control plane")),
        ("Outbound rules", (OUTBOUND, "")),
        ("Incoming connections", (INBOUND, "")),
        ("Windows Specific Inbound Network Rules", (INBOUND, "Windows Specific")),
        # Kubernetes' Ingress, and titles naming both directions or none.
        ("Ingress", (None, "Ingress")),
        ("Ingress controller", (None, "Ingress controller")),
        ("NGINX Ingress", (None, "NGINX Ingress")),
        ("Inbound and outbound rules", (None, "Inbound and outbound rules")),
        ("Worker nodes", (None, "Worker nodes")),
    ],
)
def test_titles_name_a_direction(title: str, expected: tuple[str | None, str]) -> None:
    assert split_direction(title) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Inbound", (INBOUND, True)),
        ("**Egress**", (OUTBOUND, True)),
        ("in", (INBOUND, True)),
        ("Out", (OUTBOUND, True)),
        ("Inbound from load balancers", (INBOUND, False)),
        ("Bidirectional", (None, False)),
        ("worker <-> controller", (None, False)),
        ("Inbound/Outbound", (None, False)),
    ],
)
def test_direction_cells(cell: str, expected: tuple[str | None, bool]) -> None:
    assert cell_direction(cell) == expected


SHAPES = {
    "headings": (
        "## Server nodes - Inbound rules\n\n{inbound}\n## Server nodes - Outbound rules\n\n"
        "{outbound}"
    ),
    "sub-headings": "## Server nodes\n\n### Inbound\n\n{inbound}\n### Outbound\n\n{outbound}",
    "direction-first-headings": (
        "## Inbound rules for server nodes\n\n{inbound}\n"
        "## Outbound rules for server nodes\n\n{outbound}"
    ),
    "outer-headings": (
        "# Inbound rules\n\n## Server nodes\n\n{inbound}\n# Outbound rules\n\n## Server nodes\n\n"
        "{outbound}"
    ),
    "captions": "## Server nodes\n\n*Inbound rules*\n\n{inbound}\n*Outbound rules*\n\n{outbound}",
    "figcaptions": (
        "## Server nodes\n\n<figcaption>Server nodes - Inbound rules</figcaption>\n\n{inbound}\n"
        "<figcaption>Server nodes - Outbound rules</figcaption>\n\n{outbound}"
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_inbound_and_outbound_tables_of_a_node_kind_are_one_role(shape: str) -> None:
    page = SHAPES[shape].format(
        inbound=TABLE.format(6443, "Kubernetes API"), outbound=TABLE.format(443, "registry")
    )
    assert _directions(page) == [
        ("control-plane", "Server nodes", [("6443/tcp", INBOUND), ("443/tcp", OUTBOUND)])
    ]


def test_a_heading_naming_the_peer_does_not_make_the_role() -> None:
    page = "## Server nodes\n\n### Inbound rules from agent nodes\n\n" + TABLE.format(9345, "x")
    page += "\n### Outbound rules to agent nodes\n\n" + TABLE.format(10250, "y")
    assert _directions(page) == [
        ("control-plane", "Server nodes", [("9345/tcp", INBOUND), ("10250/tcp", OUTBOUND)])
    ]


def test_tabs_naming_a_direction_are_one_role() -> None:
    page = (
        '## Worker nodes\n\n{{< tabs >}}\n{{< tab "Inbound" >}}\n\n'
        + TABLE.format(10250, "kubelet")
        + '{{< /tab >}}\n{{< tab "Outbound" >}}\n\n'
        + TABLE.format(6443, "API")
        + "{{< /tab >}}\n{{< /tabs >}}\n"
    )
    assert _directions(page) == [
        ("worker", "Worker nodes", [("10250/tcp", INBOUND), ("6443/tcp", OUTBOUND)])
    ]


def test_a_section_row_naming_a_direction_turns_the_rows_below() -> None:
    page = (
        "## Worker nodes\n\n| Port | Protocol | Description |\n|---|---|---|\n"
        "| 10250 | TCP | kubelet |\n| **Outbound rules** | | |\n| 6443 | TCP | API |\n"
        "| **Control plane nodes** | | |\n| 2379 | TCP | etcd |\n"
    )
    assert _directions(page) == [
        ("worker", "Worker nodes", [("10250/tcp", INBOUND), ("6443/tcp", OUTBOUND)]),
        ("control-plane", "Control plane nodes", [("2379/tcp", INBOUND)]),
    ]


def test_the_direction_cell_wins_over_the_title_and_is_not_kept() -> None:
    page = (
        "## Worker nodes - Outbound rules\n\n| Port | Direction |\n|---|---|\n"
        "| 53 | |\n| 10250 | Ingress |\n| 8472 | both ways |\n"
    )
    spec = extract_text(page)
    assert [(r.where, r.direction, r.extras) for r in spec.roles["worker"]] == [
        ("53/tcp", OUTBOUND, {}),
        ("10250/tcp", INBOUND, {}),
        ("8472/tcp", OUTBOUND, {"direction": "both ways"}),
    ]


@pytest.mark.parametrize(
    ("columns", "direction"),
    [
        ("Source", INBOUND),
        ("Source IP", INBOUND),
        ("Destination", OUTBOUND),
        ("Dst", OUTBOUND),
        ("Source | Destination", INBOUND),
        ("Peer", INBOUND),
    ],
)
def test_source_and_destination_columns(columns: str, direction: str) -> None:
    width = columns.count("|") + 1
    page = f"## Worker nodes\n\n| Port | {columns} |\n|---|{'---|' * width}\n"
    page += "| 10250 |" + " x |" * width + "\n"
    (rule,) = extract_text(page).roles["worker"].rules
    assert rule.direction == direction
    assert rule.extras == {k.strip().casefold().replace(" ", "_"): "x" for k in columns.split("|")}


def test_a_title_naming_a_direction_wins_over_the_columns() -> None:
    page = (
        "## Inbound rules for worker nodes\n\n| Port | Destination |\n|---|---|\n| 10250 | me |\n"
    )
    (rule,) = extract_text(page).roles["worker"].rules
    assert rule.direction == INBOUND


def test_ingress_as_the_kubernetes_resource_is_no_direction() -> None:
    page = "## Ingress\n\n" + TABLE.format(443, "https")
    page += "\n## NGINX Ingress\n\n| Port | Destination |\n|---|---|\n| 80 | pods |\n"
    assert _directions(page) == [
        ("ingress", "Ingress", [("443/tcp", INBOUND)]),
        # No Source column: the Destination column says the traffic goes out.
        ("nginx-ingress", "NGINX Ingress", [("80/tcp", OUTBOUND)]),
    ]


# --- the commands on such pages ---------------------------------------------------

PAGE = FIXTURES / "styles" / "rke2-inbound-outbound.md"


def test_the_spec_says_outbound_and_only_outbound(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["extract", str(PAGE)]) == 0
    spec = json.loads(capsys.readouterr().out)
    (server,) = [role for role in spec["roles"] if role["id"] == "control-plane"]
    # The page's "Server nodes - Outbound rules" table: 443/tcp and 8472/udp.
    assert [(r["port"], r["protocol"], r.get("direction")) for r in server["ports"]] == [
        (9345, "tcp", None),
        (6443, "tcp", None),
        (2379, "tcp", None),
        (8472, "udp", None),
        (443, "tcp", "outbound"),
        (8472, "udp", "outbound"),
    ]


@pytest.mark.parametrize(
    ("role", "opened", "not_opened"),
    [
        ("worker", ["10250", "30000:32767"], ["9345", "6443"]),
        ("control-plane", ["9345", "6443", "2379:2380", "8472"], ["443"]),
    ],
)
def test_the_iptables_export_opens_inbound_rules_only(
    role: str, opened: list[str], not_opened: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["export", str(PAGE), "-f", "iptables", "--role", role]) == 0
    out = capsys.readouterr().out
    dports = {
        line.split("--dport ")[1].split()[0] for line in out.splitlines() if "--dport " in line
    }
    assert dports == set(opened)
    assert not set(not_opened) & dports


def test_the_nftables_export_opens_inbound_rules_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["export", str(PAGE), "-f", "nftables", "--role", "worker"]) == 0
    out = capsys.readouterr().out
    assert "dport 10250 accept" in out
    assert "dport 9345" not in out
    assert "dport 6443" not in out


def test_the_diff_of_an_inbound_and_an_outbound_443_is_a_removal_and_an_addition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text("## Server nodes - Inbound rules\n\n" + TABLE.format(443, "API"))
    new.write_text("## Server nodes - Outbound rules\n\n" + TABLE.format(443, "API"))
    code = run(["diff", str(old), str(new), "-f", "json", "--exit-code"])
    out = capsys.readouterr().out
    assert code == 1
    changes = json.loads(out)["changes"]
    assert [(c["kind"], c["role"], c["port"], c.get("direction", INBOUND)) for c in changes] == [
        ("removed", "control-plane", 443, INBOUND),
        ("added", "control-plane", 443, OUTBOUND),
    ]


# --- a property: the same rows in an inbound and an outbound table -----------------

_ROWS = st.lists(
    st.tuples(
        st.integers(1, 65535),
        st.integers(0, 100),
        st.sampled_from(["TCP", "UDP"]),
        st.from_regex(r"[a-z]{1,8}( [a-z]{1,8})?", fullmatch=True),
    ),
    max_size=8,
)


def _table(rows: list[tuple[int, int, str, str]]) -> str:
    lines = ["| Port | Protocol | Component |", "|---|---|---|"]
    for port, span, protocol, component in rows:
        end = min(port + span, 65535)
        lines.append(f"| {port if end == port else f'{port}-{end}'} | {protocol} | {component} |")
    return "\n".join(lines) + "\n"


@given(_ROWS, st.sampled_from(list(SHAPES)), st.booleans())
def test_the_same_rows_inbound_and_outbound_are_each_kept_twice(
    rows: list[tuple[int, int, str, str]], shape: str, outbound_first: bool
) -> None:
    table = _table(rows)
    page = SHAPES[shape].format(inbound=table, outbound=table)
    if outbound_first:
        page = page.replace("Inbound", "Outward").replace("Outbound", "Inbound")
        page = page.replace("Outward", "Outbound")
    spec = extract_text(page)
    assert list(spec.roles) == ["control-plane"]
    got = spec.roles["control-plane"].rules

    def rules(direction: str) -> list[Rule]:
        return [
            Rule(port, min(port + span, 65535), protocol.casefold(), component, "", (), direction)
            for port, span, protocol, component in rows
        ]

    first, second = (OUTBOUND, INBOUND) if outbound_first else (INBOUND, OUTBOUND)
    assert list(got) == rules(first) + rules(second)
    # Never merged: each row once per direction.
    per_row = Counter(r.replace(direction=INBOUND) for r in got)
    assert all(per_row[rule] == 2 * rules(INBOUND).count(rule) for rule in rules(INBOUND))
