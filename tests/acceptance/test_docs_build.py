"""The project's docs site (docs/) builds with -W and shows the ports of every release,
checked from the built HTML and once in a real headless browser."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import konvoy_portspec as k
from konvoy_portspec.cli import COMMANDS
from konvoy_portspec.extraction import extract_file
from tests._system import find_tool
from tests.support import ROOT

DOCS = ROOT / "docs"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    html = out / "html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(out / "doctrees"),
            str(DOCS),
            str(html),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return html


def test_every_bundled_release_has_a_page_with_its_ports(site):
    releases = k.releases()
    assert len(releases) >= 8
    for release in releases:
        page = site / "releases" / f"{release}.html"
        assert page.is_file(), page
        spec = extract_file(page, release=release)
        expected = k.load(release)
        assert list(spec.roles) == list(expected.roles)
        for role in expected.roles.ordered:
            assert spec.roles[role.id].rules == role.rules, (release, role.id)
    v21 = (site / "releases" / "v2.1.html").read_text()
    assert "NVIDIA GPU DCGM" in v21 and "9400" in v21
    index = (site / "releases" / "index.html").read_text()
    assert all(f'href="{r}.html"' in index for r in releases)


def test_changelog_has_a_diff_for_every_consecutive_pair(site):
    page = (site / "releases" / "changelog.html").read_text()
    releases = k.releases()
    for old, new in itertools.pairwise(releases):
        assert f"{old} to {new}" in page
    assert "Changes from v2.0 to v2.1" in page and "No changes between v2.1 and v2.2." in page
    body = page[page.index("Changes from v2.0 to v2.1") :]
    assert "NVIDIA GPU DCGM" in body[: body.index("</table>")]


def test_cli_reference_is_rendered_from_the_parser(site):
    page = (site / "cli.html").read_text()
    for command in COMMANDS:
        assert f"usage: portspec {command}" in page, command
    assert "exit codes:" in page


def test_api_spec_format_and_extension_pages(site):
    api = (site / "api.html").read_text()
    for name in (
        "konvoy_portspec.model.Spec",
        "konvoy_portspec.analysis.diff.diff",
        "konvoy_portspec.load",
    ):
        assert f'id="{name}"' in api, name
    schema = (site / "spec-format.html").read_text()
    assert "schema_version" in schema and "additionalProperties" in schema
    ext = (site / "sphinx-extension.html").read_text()
    assert 'id="example-worker-ports"' in ext
    started = (site / "getting-started.html").read_text()
    assert "make demo" in started and "make test" in started
    assert '<table class="konvoy-ports' in started  # the MyST page renders the directive


def test_extension_page_documents_every_option_setting_and_role_id(site):
    from bs4 import BeautifulSoup

    page = BeautifulSoup((site / "sphinx-extension.html").read_text(), "html.parser")
    ids = {tag["id"] for tag in page.find_all(id=True)}
    for setting in ("portspec_default_release", "portspec_spec_paths"):
        assert f"confval-{setting}" in ids, setting
    for directive, options in (
        ("konvoy-ports", ("role", "columns", "caption", "name", "class", "no-index")),
        ("konvoy-ports-diff", ("role", "caption", "name", "class")),
    ):
        assert f"directive-{directive}" in ids, directive
        for option in options:
            assert f"directive-option-{directive}-{option}" in ids, (directive, option)
    assert "role-konvoy-port" in ids
    # the role ids table lists every id of every bundled release, with its releases
    table = page.find("table", class_="portspec-role-ids")
    rows = {
        cells[0]: cells[2]
        for cells in (
            [td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in table.find("tbody").find_all("tr")
        )
    }
    expected: dict[str, list[str]] = {}
    for release in k.releases():
        for role in k.load(release).roles:
            expected.setdefault(role, []).append(release)
    assert rows == {role: ", ".join(found) for role, found in expected.items()}
    text = page.get_text(" ")
    assert 'pip install "konvoy-portspec[sphinx]"' in text
    for css in ("konvoy-ports", "konvoy-ports-caption", "konvoy-ports-diff-empty", "konvoy-port"):
        assert css in text


def test_inline_ports_link_to_the_release_page_row_with_a_title(site):
    from bs4 import BeautifulSoup

    latest = k.releases()[-1]  # docs/conf.py: portspec_default_release = "latest"
    spec = k.load(latest)
    role, rule = spec.for_component("kubelet")[0]
    ports = ", ".join(dict.fromkeys(r.where for _, r in spec.for_component("kubelet")))
    titles = ", ".join(r.title for r in spec.roles.ordered if r.for_component("kubelet"))
    page = BeautifulSoup((site / "sphinx-extension.html").read_text(), "html.parser")
    code = page.select("code.konvoy-port")[0]
    assert " ".join(code.get_text().split()) == ports
    assert code["title"] == f"{latest}, {titles}: kubelet"
    anchor = f"konvoy-{latest.replace('.', '-')}-{role}-{rule.port_text}-{rule.protocol}"
    assert code.parent.name == "a"
    assert code.parent["href"] == f"releases/{latest}.html#{anchor}"
    # the v2.1 page shows every role (a directive each): it, not getting-started's
    # excerpt of the workers, is where a v2.1 worker component links
    hrefs = [c.parent.get("href") for c in page.select("code.konvoy-port")]
    assert "releases/v2.1.html#konvoy-v2-1-worker-9400-tcp" in hrefs
    target = BeautifulSoup((site / "releases" / f"{latest}.html").read_text(), "html.parser")
    assert target.find(id=anchor).name == "tr"
    objects = (site / "objects.inv").read_bytes()
    assert objects.startswith(b"# Sphinx inventory version 2")


# A script appended to a copy of the page: it reports, inside the DOM that chromium
# dumps, which tables are laid out and visible and what their captions and cells say.
PROBE = """
<script>
window.addEventListener("load", function () {
  var out = [];
  document.querySelectorAll("table.konvoy-ports").forEach(function (t) {
    var box = t.getBoundingClientRect();
    var style = getComputedStyle(t);
    out.push({
      caption: (t.caption ? t.caption.innerText : "").replace(/\\u00b6/g, "").trim(),
      width: box.width, height: box.height,
      visible: style.display !== "none" && style.visibility !== "hidden" && box.height > 0,
      rows: Array.from(t.tBodies[0].rows).map(function (r) {
        return Array.from(r.cells).map(function (c) { return c.innerText.trim(); });
      })
    });
  });
  // the element the URL's #fragment names: where a konvoy-port link lands
  var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
  var landed = target && {
    tag: target.tagName, text: target.innerText.trim().split(/\\s+/).join(" "),
    visible: target.getBoundingClientRect().height > 0,
    table: target.closest("table") ? target.closest("table").caption.innerText.trim() : null
  };
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify({tables: out, target: landed});
  document.body.appendChild(pre);
});
</script>
"""


def test_release_page_in_a_headless_browser(site, tmp_path):
    chromium, why = find_tool("chromium", "chromium")
    if chromium is None:
        pytest.skip(why)
    page = site / "releases" / "v2.1.html"
    probe = page.with_name("v2.1-probe.html")
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probe.as_uri() + "#konvoy-v2-1-worker-9400-tcp",  # where a link to DCGM lands
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    match = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.DOTALL)
    assert match, result.stdout[-2000:]
    import html

    probed = json.loads(html.unescape(match.group(1)))
    tables = probed["tables"]
    assert [t["caption"] for t in tables] == ["Control-plane nodes, v2.1", "Worker nodes, v2.1"]
    for table in tables:
        assert table["visible"] and table["width"] > 200 and table["height"] > 100, table
    worker = tables[1]["rows"]
    assert ["9400", "TCP", "NVIDIA GPU DCGM", "metrics"] in worker
    assert len(worker) == len(k.load("v2.1").roles["worker"].rules)
    landed = probed["target"]
    assert landed["tag"] == "TR" and landed["visible"]
    assert landed["text"] == "9400 TCP NVIDIA GPU DCGM metrics"
    assert landed["table"].replace("\u00b6", "").strip() == "Worker nodes, v2.1"
