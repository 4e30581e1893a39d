"""Which tables of a page make one role: headings, captions, tabs and lead-in lines, as
the smallest pages that show each rule (``roles.py`` states them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.extraction import extract_file, extract_text

TABLE = "| Port |\n|---|\n| {} |\n"


def _roles(page: str, path: str | None = None) -> list[tuple[str, str, list[int | None]]]:
    spec = extract_text(page, path=path)
    return [(r.id, r.title, [rule.port for rule in r]) for r in spec.roles.ordered]


def test_the_same_caption_under_two_headings_is_two_roles() -> None:
    page = (
        "## Server nodes\n\n**Firewall ports**\n\n" + TABLE.format(6443) + "\n"
        "## Agent nodes\n\n**Firewall ports**\n\n" + TABLE.format(10250)
    )
    assert _roles(page) == [
        ("control-plane-firewall", "Server nodes / Firewall ports", [6443]),
        ("worker-firewall", "Agent nodes / Firewall ports", [10250]),
    ]


def test_a_caption_naming_only_a_direction_leaves_the_title_to_the_heading() -> None:
    page = (
        "## Server nodes\n\n**Inbound rules**\n\n" + TABLE.format(6443) + "\n"
        "## Agent nodes\n\n**Inbound rules**\n\n" + TABLE.format(10250)
    )
    assert _roles(page) == [
        ("control-plane", "Server nodes", [6443]),
        ("worker", "Agent nodes", [10250]),
    ]


def test_the_same_heading_under_two_parents_is_two_roles() -> None:
    page = (
        "# RKE2\n\n## Server nodes\n\n" + TABLE.format(9345) + "\n"
        "# K3s\n\n## Server nodes\n\n" + TABLE.format(6443)
    )
    assert _roles(page) == [
        ("control-plane-rke2", "RKE2 / Server nodes", [9345]),
        ("control-plane-k3s", "K3s / Server nodes", [6443]),
    ]


def test_parts_of_a_role_heading_stay_one_role() -> None:
    # Sub-sections that name no direction are parts of the role (the benchmark tree's
    # "### Inbound" + "### Metrics" pages), and so are two tables under one heading.
    page = (
        "## Control-plane nodes\n\n### Inbound\n\n" + TABLE.format(6443) + "\n"
        "### Metrics\n\n" + TABLE.format(9100) + "\ntext\n\n" + TABLE.format(10257)
    )
    assert _roles(page) == [("control-plane", "Control-plane nodes", [6443, 9100, 10257])]


def test_inbound_and_outbound_sub_sections_are_one_role_with_both_directions() -> None:
    page = (
        "## Control plane\n\n### Inbound rules\n\n" + TABLE.format(6443) + "\n"
        "### Outbound rules\n\n" + TABLE.format(443) + "\n"
        "### Incoming connections\n\n" + TABLE.format(2379) + "\n"
        "### Health\n\n" + TABLE.format(10257)
    )
    assert _roles(page) == [("control-plane", "Control plane", [6443, 443, 2379, 10257])]
    rules = extract_text(page).roles["control-plane"].rules
    assert [r.direction for r in rules] == ["inbound", "outbound", "inbound", "inbound"]


@pytest.mark.parametrize(
    ("page", "path"),
    [
        (
            "import TabItem from '@theme/TabItem';\n\n## Worker nodes\n\n<Tabs>\n"
            '<TabItem value="canal" label="Canal">\n\n' + TABLE.format(8472) + "\n</TabItem>\n"
            '<TabItem value="calico" label="Calico">\n\n' + TABLE.format(179) + "\n</TabItem>\n"
            "</Tabs>\n",
            "ports.mdx",
        ),
        (
            '## Worker nodes\n\n{{< tabs >}}\n{{< tab "Canal" >}}\n\n'
            + TABLE.format(8472)
            + '{{< /tab >}}\n{{< tab "Calico" >}}\n\n'
            + TABLE.format(179)
            + "{{< /tab >}}\n{{< /tabs >}}\n",
            "ports.md",
        ),
        (
            '## Worker nodes\n\n=== "Canal"\n\n    '
            + TABLE.format(8472).replace("\n", "\n    ")
            + '\n=== "Calico"\n    '
            + TABLE.format(179).replace("\n", "\n    "),
            "ports.md",
        ),
    ],
    ids=["mdx-tabitem", "hugo-tab", "mkdocs-tab"],
)
def test_the_same_title_in_two_tabs_is_two_roles(page: str, path: str) -> None:
    assert _roles(page, path) == [
        ("worker-canal", "Worker nodes / Canal", [8472]),
        ("worker-calico", "Worker nodes / Calico", [179]),
    ]


def test_a_tab_label_titles_a_table_under_a_heading_that_names_no_role() -> None:
    page = (
        '## Networking\n\n<Tabs>\n<TabItem value="w" label="Worker nodes">\n\n'
        + TABLE.format(10250)
        + "\n</TabItem>\n</Tabs>\n\n### Other\n\n"
        + TABLE.format(22)
    )
    assert _roles(page, "page.mdx") == [
        ("worker", "Worker nodes", [10250]),
        ("other", "Other", [22]),
    ]


def test_a_tab_in_a_code_fence_is_an_example() -> None:
    page = '## Worker nodes\n\n```mdx\n<TabItem value="x" label="Example">\n```\n\n' + TABLE.format(
        10250
    )
    assert _roles(page, "page.mdx") == [("worker", "Worker nodes", [10250])]


@pytest.mark.parametrize(
    ("lead_in", "expected"),
    [
        ("If Calico is used, it requires:", ("worker", "Nodes")),
        ("**When Flannel is the CNI:**", ("worker", "Nodes")),
        # A caption naming only a direction titles nothing either.
        ("Inbound rules:", ("worker", "Nodes")),
        (
            "Open these ports on control-plane nodes:",
            ("control-plane", "Open these ports on control-plane nodes"),
        ),
    ],
)
def test_a_lead_in_sentence_is_no_title(lead_in: str, expected: tuple[str, str]) -> None:
    page = f"## Nodes\n\n{lead_in}\n\n" + TABLE.format(179)
    assert _roles(page) == [(*expected, [179])]


def test_role_synonyms_for_worker_nodes() -> None:
    page = "## Node(s)\n\n" + TABLE.format(10250) + "\n## Control plane\n\n" + TABLE.format(6443)
    assert _roles(page) == [
        ("worker", "Node(s)", [10250]),
        ("control-plane", "Control plane", [6443]),
    ]


def test_ids_are_unique_and_stable() -> None:
    base = "## Control plane\n\n" + TABLE.format(6443) + "\n## Control plane (continued)\n\n"
    page = base + TABLE.format(2379)
    assert _roles(page) == [
        ("control-plane", "Control plane", [6443]),
        ("control-plane-continued", "Control plane (continued)", [2379]),
    ]
    # A section elsewhere on the page does not rename these roles.
    more = page + "\n## Load balancer\n\n" + TABLE.format(443)
    assert [r[0] for r in _roles(more)] == [
        "control-plane",
        "control-plane-continued",
        "load-balancer",
    ]
    # Sections that no words tell apart still get ids of their own.
    twice = "# A cluster\n\n## Workers\n\n" + TABLE.format(1)
    twice += "\n# The cluster\n\n## Workers\n\n" + TABLE.format(2)
    assert [r[:2] for r in _roles(twice)] == [
        ("worker-cluster", "A cluster / Workers"),
        ("worker-cluster-2", "The cluster / Workers"),
    ]


@pytest.mark.parametrize(
    "heading",
    [
        '<Heading as="h2" id="workers">Worker nodes</Heading>\n\n',
        '<Heading as="h2" id="workers">\n  Worker nodes\n</Heading>\n\n',
    ],
    ids=["inline", "block"],
)
def test_heading_components_are_headings(heading: str) -> None:
    page = "## Ports\n\n" + heading + "**Metrics**\n\n" + TABLE.format(9100)
    page += "\n" + heading + TABLE.format(10250)
    spec = extract_text(page, path="ports.mdx")
    assert [(r.id, r.title) for r in spec.roles.ordered] == [
        ("metrics", "Metrics"),
        ("worker", "Worker nodes"),
    ]


INDENTED = (
    '<Tabs>\n  <TabItem value="a" label="Worker nodes">\n\n'
    "    <table>\n      <tr><th>Port</th></tr>\n\n      <tr><td>10250</td></tr>\n"
    "    </table>\n\n  </TabItem>\n</Tabs>\n"
)


def test_an_indented_table_in_an_mdx_page_is_read(tmp_path: Path) -> None:
    page = tmp_path / "ports.mdx"
    page.write_text("# Ports\n\n" + INDENTED)
    spec = extract_file(page)
    assert [(r.id, [x.port for x in r]) for r in spec.roles.ordered] == [("worker", [10250])]
    # The line is the source line of the cell, across the re-read block.
    page.write_text("# Ports\n\n" + INDENTED.replace("10250", "70000"))
    with pytest.raises(ExtractError, match="70000") as info:
        extract_file(page)
    assert info.value.line == 9


def test_an_indented_table_in_a_plain_markdown_page_is_a_code_block() -> None:
    page = (
        "## Worker nodes\n\n" + TABLE.format(22) + "\nExample:\n\n    <table><tr><th>Port</th></tr>"
    )
    page += "<tr><td>7777</td></tr></table>\n"
    assert _roles(page, "ports.md") == [("worker", "Worker nodes", [22])]
