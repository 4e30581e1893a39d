"""What writers link to and translate: stable ids and ``:name:`` labels on every table
(tests/roots/test-ports-targets), the ``konvoy`` domain's objects in the general index
and objects.inv (and through intersphinx from another site), extra columns, the
gettext builder, and the extension's own message catalog (tests/roots/test-ports-i18n).
"""

from __future__ import annotations

import ast
import re
import shutil
import zlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests._sphinx import built_once, warnings_of
from tests.support import ROOT, ROOTS

EXT = ROOT / "sphinx_ext" / "konvoy_portspec_sphinx"


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def inventory(path: Path) -> list[list[str]]:
    """objects.inv (version 2) as [name, domain:role, priority, uri, dispname] rows."""
    data = path.read_bytes()
    lines = data.split(b"\n", 4)
    assert lines[0] == b"# Sphinx inventory version 2"
    body = zlib.decompress(lines[4]).decode("utf-8")
    rows = []
    for line in body.splitlines():
        match = re.fullmatch(r"(.+?)\s+(\S+)\s+(-?\d+)\s+(\S*)\s+(.*)", line)
        assert match, line
        rows.append(list(match.groups()))
    return rows


@pytest.fixture(scope="module")
def targets_site(tmp_path_factory) -> Path:
    """One build of the targets site serves several tests (its files outlive the app)."""
    return built_once(ROOTS / "test-ports-targets", "html", tmp_path_factory.mktemp("targets"))


def test_every_table_has_a_stable_id_and_no_positional_one(targets_site):
    page = soup(targets_site / "names.html")
    tables = page.find_all("table")
    assert len(tables) == 7  # v2.1 (2), v2.0 (2), v2.1 worker again, the diff, v0.7
    assert all(t.get("id") for t in tables)
    ids = {i["id"] for i in page.find_all(id=True)}
    assert not [i for i in ids if re.fullmatch(r"id\d+", i)]
    # :name: first (what :ref: links to), the stable id beside it
    assert {
        "all-ports",
        "konvoy-v2-1-control-plane",
        "all-ports-worker",
        "konvoy-v2-1-worker",
    } <= ids
    assert {"v20", "v20-control-plane", "v20-worker", "konvoy-v2-0-worker"} <= ids
    # the same table twice on a page: the second gets its own id
    assert {"konvoy-v2-1-worker-2", "konvoy-v2-1-worker-2-9400-tcp"} <= ids
    assert page.find(id="konvoy-v2-1-worker-10250-tcp").name == "tr"


def test_names_label_each_table_and_the_empty_diff_keeps_its_options(targets_site):
    refs = soup(targets_site / "refs.html")
    links = [(a.get_text(" ", strip=True), a["href"]) for a in refs.select("a.reference")]
    assert links[:6] == [
        ("Control-plane nodes", "names.html#all-ports"),  # the first of several tables
        ("Worker nodes", "names.html#all-ports-worker"),
        ("Control-plane nodes", "names.html#all-ports"),  # docutils: a node's first id
        ("Both roles of v2.0", "names.html#v20"),  # the caption's rubric
        ("Worker nodes", "names.html#v20-worker"),
        ("Table 6", "names.html#empty-diff"),  # numbered like any table
    ]
    page = soup(targets_site / "names.html")
    empty = page.find(id="empty-diff")
    assert empty.name == "table" and "wide" in empty["class"]
    assert "konvoy-ports-diff-empty" in empty["class"]
    assert "Nothing changed" in empty.find("caption").get_text()
    assert empty.find("td").get_text(strip=True) == "No changes between v2.1 and v2.2."


def test_domain_roles_link_to_rows_and_tables(targets_site):
    refs = soup(targets_site / "refs.html")
    hrefs = [a["href"] for a in refs.select("a.reference")]
    # kubelet is first listed on 10248 in the control-plane table of v2.1
    assert "names.html#konvoy-v2-1-control-plane-10248-tcp" in hrefs
    assert "names.html#konvoy-v2-1-worker-9400-tcp" in hrefs  # NVIDIA GPU DCGM
    assert "names.html#konvoy-v2-1-worker-10250-tcp" in hrefs
    assert "names.html#konvoy-v2-0-worker" in hrefs


def test_components_and_ports_are_in_the_general_index(targets_site):
    index = soup(targets_site / "genindex.html")
    text = index.get_text(" ", strip=True)
    assert "kubelet" in text and "NVIDIA GPU DCGM" in text and "10250/tcp" in text
    hrefs = {a["href"] for a in index.find_all("a", href=True)}
    assert "names.html#konvoy-v2-1-control-plane-10248-tcp" in hrefs
    assert "names.html#konvoy-v2-0-worker-9400-tcp" not in hrefs  # v2.0 has no GPU port
    # the :no-index: table (konvoy-v2-1-worker-2, its rows -2-PORT-tcp) adds nothing
    assert not [h for h in hrefs if re.search(r"konvoy-v2-1-worker-2(-\d+-tcp)?$", h)]


def test_objects_inv_holds_components_ports_and_roles(targets_site):
    rows = inventory(targets_site / "objects.inv")
    found = {(name, kind): uri for name, kind, _prio, uri, _disp in rows}
    kubelet = found[("v2.1/kubelet", "konvoy:component")]
    assert kubelet == "names.html#konvoy-v2-1-control-plane-10248-tcp"
    assert found[("v2.1/worker/kubelet", "konvoy:component")].endswith(
        "konvoy-v2-1-worker-10248-tcp"
    )
    assert found[("v2.1/10250/tcp", "konvoy:port")].endswith("konvoy-v2-1-control-plane-10250-tcp")
    assert found[("v2.0/worker", "konvoy:role")] == "names.html#konvoy-v2-0-worker"
    assert ("v2.1/NVIDIA GPU DCGM", "konvoy:component") in found
    assert not [u for u in found.values() if re.search(r"konvoy-v2-1-worker-2(-\d+-tcp)?$", u)]


def test_another_site_links_to_kubelet_in_v2_1_with_intersphinx(targets_site, make_app, tmp_path):
    src = tmp_path / "other"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["sphinx.ext.intersphinx", "konvoy_portspec_sphinx"]\n'
        'project = "other"\n'
        "intersphinx_mapping = {\n"
        f'    "ports": ("https://ports.example/", {str(targets_site / "objects.inv")!r}),\n'
        "}\n"
    )
    (src / "index.rst").write_text(
        "Other\n=====\n\n"
        "The kubelet: :konvoy:component:`v2.1/kubelet`; "
        "its port: :konvoy:port:`v2.1/worker/10250/tcp`; "
        "the v2.0 workers: :external+ports:konvoy:role:`v2.0/worker`.\n"
    )
    app = make_app("html", srcdir=src, builddir=tmp_path / "out", freshenv=True)
    app.build()
    assert warnings_of(app) == ""
    hrefs = [a["href"] for a in soup(Path(app.outdir) / "index.html").select("a.reference")]
    assert hrefs == [
        "https://ports.example/names.html#konvoy-v2-1-control-plane-10248-tcp",
        "https://ports.example/names.html#konvoy-v2-1-worker-10250-tcp",
        "https://ports.example/names.html#konvoy-v2-0-worker",
    ]


def test_columns_show_a_specs_extra_columns(targets_site):
    page = soup(targets_site / "names.html")
    table = page.find(id="konvoy-v0-7-worker")
    assert [th.get_text(strip=True) for th in table.select("thead th")] == [
        "Port",
        "Source",
        "Component",
    ]
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert rows == [["443", "10.0.0.0/8", "api"], ["80", "", "web"]]


@pytest.mark.sphinx("gettext", testroot="ports-rst", freshenv=True)
def test_gettext_extracts_the_authors_text_not_the_specs(app):
    app.build()
    catalogs = "\n".join(p.read_text() for p in Path(app.outdir).glob("*.pot"))
    msgids = set(re.findall(r'^msgid "(.*)"$', catalogs, re.M))
    for author in ("Nothing changed:", "GPU and other worker ports", "Both roles of v2.0"):
        assert author in msgids, author
    for data in (
        "Worker nodes",
        "Control-plane nodes",
        "NVIDIA GPU DCGM",
        "No changes between v2.1 and v2.2.",
        "Changes from v2.0 to v2.1",
        "Port",
        "kubelet",
    ):
        assert data not in msgids, data


def test_the_extensions_own_text_is_translated_through_its_catalog(make_app, rootdir, tmp_path):
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    src = tmp_path / "src"
    shutil.copytree(rootdir / "test-ports-i18n", src)
    catalog = Catalog(locale="de")
    german = {
        "Port": "Portnummer",
        "Component": "Komponente",
        "added": "neu",
        "Changes from {old} to {new}": "Änderungen von {old} nach {new}",
        "No changes between {old} and {new}.": "Keine Änderungen zwischen {old} und {new}.",
    }
    for english, translated in german.items():
        catalog.add(english, translated)
    folder = src / "locale" / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "konvoy_portspec_sphinx.mo", "wb") as handle:
        write_mo(handle, catalog)
    app = make_app("html", srcdir=src, builddir=tmp_path / "out", freshenv=True)
    app.build()
    assert warnings_of(app) == ""
    page = soup(Path(app.outdir) / "index.html")
    worker, empty, changes = page.find_all("table")
    assert [th.get_text(strip=True) for th in worker.select("thead th")][:3] == [
        "Portnummer",
        "Protocol",  # not in the test's catalog: stays English
        "Komponente",
    ]
    assert empty.find("td").get_text(strip=True) == "Keine Änderungen zwischen v2.1 und v2.2."
    assert "Änderungen von v2.0 nach v2.1" in changes.find("caption").get_text()
    rows = [
        [td.get_text(strip=True) for td in tr.select("td")] for tr in changes.select("tbody tr")
    ]
    assert ["neu", "Worker nodes", "9400", "TCP", "NVIDIA GPU DCGM", "metrics"] in rows


def _messages_in_source() -> set[str]:
    found = set()
    for path in EXT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return found


def test_the_shipped_template_holds_every_message_of_the_source():
    from babel.messages.pofile import read_po

    with open(EXT / "locale" / "konvoy_portspec_sphinx.pot", encoding="utf-8") as handle:
        template = read_po(handle)
    assert {m.id for m in template if m.id} == _messages_in_source()
    assert (EXT / "py.typed").is_file()
