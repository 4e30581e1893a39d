"""The new page shapes (MDX, tabs, template markup, matrices, prose cells) never crash
the extractor, and the scan's prefilter never rejects a page the extractor reads."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.extraction import ExtractWarning, extract_text
from konvoy_portspec.extraction.prefilter import may_hold_port_table

_FRAGMENTS = st.sampled_from(
    (
        "\n",
        "\n\n",
        "    ",
        "  ",
        "## Worker nodes\n",
        "### Inbound rules\n",
        "### Outbound rules\n",
        "# RKE2\n",
        "**Inbound rules**\n",
        "If Calico is used, it requires:\n",
        "import Tabs from '@theme/Tabs';\n",
        "<Tabs>\n",
        "</Tabs>\n",
        '<TabItem value="canal" label="Canal">\n',
        "<TabItem value='x'>",
        "</TabItem>\n",
        '{{< tab "Calico" >}}\n',
        "{{< /tab >}}\n",
        '=== "Cilium"\n',
        '!!! note "Ports"\n',
        '<Heading as="h2">Server nodes</Heading>\n',
        '<Heading as="h3">\n',
        "</Heading>\n",
        "| Port | Protocol | Component |\n|---|---|---|\n",
        "| From \\ To | Control plane | Worker |\n|---|---|---|\n",
        "| Worker | 6443 TCP | 8472 UDP<br>4789 UDP |\n",
        "| {{site.port}} | TCP | {prodname} |\n",
        "| Provider dependent | TCP | cloud |\n",
        "| usually UDP 8472 | | flannel |\n",
        "| GRE, protocol number 47 | | gre |\n",
        "| 70000 | | bad |\n",
        "| six | | bad |\n",
        "| 22 | TCP | ssh{' '}d |\n",
        "<table><tr><th>From</th><th>To A</th></tr><tr><td>B</td><td>7000 TCP</td></tr></table>\n",
        "<table>\n<tr><th>Port</th></tr>\n\n<tr><td>10250</td></tr>\n</table>\n",
        '<th rowspan="2">',
        '<td colspan="2">',
        "{% comment %}",
        "{% endcomment %}",
        "{{% tab %}}",
        "{/* x */}",
        "<Link to={x}>",
        "```\n",
    )
)
_PAGES = st.lists(_FRAGMENTS, max_size=30).map("".join)


def _read(text: str, path: str) -> bool:
    """Whether the page reads as a spec; any other outcome than a spec or one
    PortSpecError fails the test."""
    try:
        spec = extract_text(text, path=path)
    except PortSpecError as exc:
        assert str(exc)
        return False
    assert len(spec.roles) >= 1
    assert len({role.id for role in spec.roles.ordered}) == len(spec.roles)
    return True


@given(_PAGES, st.sampled_from(["ports.md", "ports.mdx"]))
def test_new_shapes_never_crash_and_pass_the_prefilter(text: str, path: str) -> None:
    if _read(text, path):
        assert may_hold_port_table(text.encode("utf-8")), text


@given(_PAGES)
def test_keep_going_never_raises_for_a_bad_cell(text: str) -> None:
    found: list[ExtractWarning] = []
    try:
        extract_text(text, warnings=found, keep_going=True)
    except PortSpecError as exc:
        assert "port" not in exc.message or "no port table" in exc.message, exc.message
