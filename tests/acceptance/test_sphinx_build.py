"""Building real Sphinx sites (tests/roots/test-ports-*) with the extension.

Text output is compared with golden files in tests/golden/<root>/; regenerate them with
``PORTSPEC_UPDATE_GOLDEN=1 pytest tests/test_sphinx_build.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import konvoy_portspec as k
from konvoy_portspec.extraction import extract_file
from tests._sphinx import built_once as _built_once
from tests._sphinx import warnings_of
from tests.support import GOLDEN

UPDATE_GOLDEN = os.environ.get("PORTSPEC_UPDATE_GOLDEN") == "1"
EXT = "konvoy_portspec_sphinx"


def built_once(rootdir, root: str, builder: str, tmp_path: Path) -> Path:
    """Build the root ``test-{root}`` into ``tmp_path`` (see ``tests._sphinx``)."""
    return _built_once(rootdir / f"test-{root}", builder, tmp_path / "_build")


def build(make_app, rootdir, root: str, builder: str, tmp_path: Path, **kwargs):
    app = make_app(
        builder,
        srcdir=rootdir / f"test-{root}",
        builddir=tmp_path / "_build",
        freshenv=True,
        **kwargs,
    )
    app.build()
    return app


@pytest.mark.parametrize("root", ["ports-rst", "ports-myst"])
def test_text_output_matches_golden_files(make_app, rootdir, tmp_path, root):
    app = build(make_app, rootdir, root, "text", tmp_path)
    assert warnings_of(app) == ""
    golden = GOLDEN / root
    built = {p.name: p.read_text(encoding="utf-8") for p in sorted(Path(app.outdir).glob("*.txt"))}
    if UPDATE_GOLDEN:
        shutil.rmtree(golden, ignore_errors=True)
        golden.mkdir(parents=True)
        for name, text in built.items():
            (golden / name).write_text(text, encoding="utf-8")
    expected = {p.name: p.read_text(encoding="utf-8") for p in sorted(golden.glob("*.txt"))}
    assert sorted(built) == sorted(expected)
    for name, text in built.items():
        assert text == expected[name], f"{root}/{name} differs from tests/golden/{root}/{name}"


def test_myst_pages_render_the_same_tables_as_rest(make_app, rootdir, tmp_path):
    rst_out = built_once(rootdir, "ports-rst", "text", tmp_path / "rst")
    myst = build(make_app, rootdir, "ports-myst", "text", tmp_path / "myst")
    for page in ("release.txt", "diff.txt", "roles.txt"):
        rst_text = (rst_out / page).read_text()
        myst_text = (Path(myst.outdir) / page).read_text()
        # same body; rst diff.txt has one extra directive (the override) at the end
        assert myst_text.split("\n", 3)[3] in rst_text
    assert "10248/tcp, 10250/tcp" in (Path(myst.outdir) / "roles.txt").read_text()


def inline_ports(page: Path) -> list[tuple[str, str, str | None]]:
    """(text, title, link or None) of each ``konvoy-port`` literal of an HTML page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    out = []
    for code in soup.select("code.konvoy-port"):
        assert "literal" in code["class"]
        link = code.parent.get("href") if code.parent.name == "a" else None
        out.append((" ".join(code.get_text().split()), code.get("title"), link))
    return out


@pytest.mark.sphinx("html", testroot="ports-rst", freshenv=True)
def test_html_tables_captions_targets_and_inline_roles(app):
    app.build()
    assert warnings_of(app) == ""
    out = Path(app.outdir)
    release = (out / "release.html").read_text()
    # numfig is on in this site: captions carry a number, then the role title
    captions = re.findall(
        r'<caption><span class="caption-number">Table \d+ </span>'
        r'<span class="caption-text">([^<]*)</span>',
        release,
    )
    assert captions == ["Control-plane nodes", "Worker nodes"]
    assert release.count('<table class="konvoy-ports') == 2
    assert "<td><p>NVIDIA GPU DCGM</p></td>" in release
    options = (out / "options.html").read_text()
    assert re.search(r'<table class="konvoy-ports compact [^"]*" id="worker-ports">', options)
    assert re.search(r'<p class="[^"]*\brubric\b[^"]*">Both roles of v2.0</p>', options)
    assert re.search(r'href="#worker-ports"><span class="std std-ref">GPU and other', options)
    assert re.search(r'href="#worker-ports"><span class="std std-numref">Table \d+<', options)
    assert inline_ports(out / "roles.html") == [
        # text, hover title, link: the row of the table on the site that shows it
        # (release.rst shows all of v2.1; options.rst only its workers: the lesser target)
        (
            "10248/tcp, 10250/tcp",
            "v2.1, Control-plane nodes, Worker nodes: kubelet",
            "release.html#konvoy-v2-1-control-plane-10248-tcp",
        ),
        (
            "9400/tcp",
            "v2.1, Worker nodes: NVIDIA GPU DCGM",
            "release.html#konvoy-v2-1-worker-9400-tcp",
        ),
        ("2379/tcp, 2380/tcp", "v1.8, Control-plane nodes: etcd", None),  # no v1.8 table
        (
            "5473/tcp, 9093/tcp",
            "v2.1, Worker nodes: calico-typha",
            "release.html#konvoy-v2-1-worker-5473-tcp",
        ),
        ("30000-32767/tcp", "v2.2, Control-plane nodes, Worker nodes: Kubernetes NodePorts", None),
        # latest = the user override of v2.3
        ("10250/tcp", "v2.3, Worker nodes: kubelet", "override.html#konvoy-v2-3-worker-10250-tcp"),
        (
            "icmp",
            "v0.9, Worker nodes <b>bold</b> *emph*: ping",
            "escape.html#konvoy-v0-9-worker-icmp",
        ),
    ]
    diff = (out / "diff.html").read_text()
    assert "No changes between v2.1 and v2.2." in diff
    assert "(none) -&gt; overridden by a user spec" in diff


@pytest.mark.sphinx("html", testroot="ports-rst", freshenv=True)
def test_notes_with_markup_and_html_come_out_literally(app):
    app.build()
    assert warnings_of(app) == ""  # |subst|, :ref:, `x`_ were not parsed as markup
    page = (Path(app.outdir) / "escape.html").read_text()
    body = page[page.index('<table class="konvoy-ports') :]
    body = body[: body.index("</table>")]
    assert "<script>" not in body and "<b>" not in body and "<em>" not in body
    for literal in (
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "a | b",
        "``code``",
        "*emph* and **strong**",
        "|subst|",
        ":ref:`target` and `x`_",
        "amp &amp; &lt;lt&gt;",
        ".. note:: not a directive",
        "\\backslash $math$ {braces} %percent #hash",
        "Worker nodes &lt;b&gt;bold&lt;/b&gt; *emph*",
    ):
        assert literal in body, literal


@pytest.mark.sphinx("latex", testroot="ports-rst", freshenv=True)
def test_latex_build_has_captioned_escaped_tables(app):
    app.build()
    assert warnings_of(app) == ""
    (tex,) = Path(app.outdir).glob("*.tex")
    text = tex.read_text()
    assert r"\sphinxcaption{Worker nodes}" in text
    assert r"\sphinxcaption{Control\sphinxhyphen{}plane nodes}" in text
    assert "NVIDIA GPU DCGM" in text
    assert r"\textless{}script\textgreater{}alert(1)\textless{}/script\textgreater{}" in text
    assert r"\textbackslash{}backslash \$math\$ \{braces\} \%percent \#hash" in text


@pytest.mark.parametrize("builder", ["dirhtml", "singlehtml", "man"])
def test_other_builders_write_the_tables_without_warnings(make_app, rootdir, tmp_path, builder):
    app = build(make_app, rootdir, "ports-rst", builder, tmp_path)
    assert warnings_of(app) == ""
    text = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in Path(app.outdir).rglob("*")
        if p.is_file() and p.suffix in (".html", ".1", "")
    )
    assert "NVIDIA" in text and "9400" in text and "Worker nodes" in text


@pytest.mark.parametrize("release", k.releases())
def test_rendered_html_extracts_back_to_the_release(make_app, rootdir, tmp_path, release):
    app = build(
        make_app,
        rootdir,
        "ports-roundtrip",
        "html",
        tmp_path,
        confoverrides={"portspec_default_release": release},
    )
    assert warnings_of(app) == ""
    spec = extract_file(Path(app.outdir) / "index.html", release=release)
    assert spec.release == release
    assert spec.roles == k.load(release).roles


EXPECTED_WARNINGS = [
    ("index.rst", 8, "konvoy-ports: unknown release 'v9.9'; known releases: v1.5"),
    ("index.rst", 10, "konvoy-ports: no role 'gpu' in v2.1; roles: control-plane, worker"),
    ("index.rst", 13, "konvoy-ports: unknown column 'direction'; columns: port, protocol"),
    ("index.rst", 16, "konvoy-ports: no release given and portspec_default_release is not set"),
    ("index.rst", 18, "konvoy-ports-diff: unknown release 'v7.7'"),
    ("index.rst", 20, "konvoy-ports-diff: no role 'nowhere' in v2.0 or v2.1"),
    ("index.rst", 23, "konvoy-port: no component 'etcd-nope' in v2.1"),
    ("index.rst", 23, "konvoy-port: bad target 'v2.1//x'"),
    ("index.rst", 25, "konvoy-ports: unknown release 'v9.1'"),
    # v9.9 reads as a release, so it is an unknown release (not "no role 'v9.9'")
    ("index.rst", 27, "konvoy-port: unknown release 'v9.9'; known releases: v1.5"),
    ("bad-md.md", 5, "konvoy-ports: unknown release 'v8.8'"),
    ("bad-md.md", 8, "konvoy-ports: no role 'nope' in v2.1"),
    # problems with the spec files: once each, where they are (not once per page)
    ("specs/broken.json", 5, "not valid JSON"),
    ("specs/invalid.json", 5, "not a valid port spec: roles[0].id: 'Not A Slug' is not a role id"),
    ("conf.py", 7, "portspec_spec_paths: no such file or directory: "),
]


@pytest.mark.sphinx("html", testroot="ports-bad", freshenv=True)
def test_bad_input_is_a_warning_at_the_directive_file_and_line(app):
    app.build()
    text = warnings_of(app)
    assert "Traceback" not in text and "Exception" not in text
    lines = [line for line in text.splitlines() if "WARNING" in line]
    for name, line, fragment in EXPECTED_WARNINGS:
        prefix = f"{Path(app.srcdir) / name}:{line}: WARNING: {fragment}"
        assert sum(w.startswith(prefix) for w in lines) == 1, f"not once: {prefix}\n{text}"
    assert len(lines) == len(EXPECTED_WARNINGS)


@pytest.mark.parametrize(
    ("suppressed", "left"),
    [
        (["portspec.directive", "portspec.role"], 3),  # the spec files' problems
        (["portspec.spec"], len(EXPECTED_WARNINGS) - 3),
        (["portspec"], 0),
    ],
)
def test_warnings_have_the_extensions_type(make_app, rootdir, tmp_path, suppressed, left):
    # (what Sphinx 7.3+ prints as [portspec.SUBTYPE]; 7.2 filters by it all the same)
    app = build(
        make_app,
        rootdir,
        "ports-bad",
        "html",
        tmp_path,
        confoverrides={"suppress_warnings": suppressed},
    )
    assert warnings_of(app).count("WARNING") == left


def sphinx_build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_sphinx_build_minus_W_fails_on_bad_input_and_passes_on_good(rootdir, tmp_path):
    bad_root = str(rootdir / "test-ports-bad")
    # --keep-going: every warning, also on Sphinx 7.2 (where -W alone stops at the first)
    bad = sphinx_build("-W", "--keep-going", "-q", "-b", "html", bad_root, str(tmp_path / "b"))
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr
    assert f"{rootdir / 'test-ports-bad' / 'index.rst'}:8:" in bad.stderr
    good = sphinx_build(
        "-W", "-q", "-E", "-b", "html", str(rootdir / "test-ports-rst"), str(tmp_path / "g")
    )
    assert good.returncode == 0, good.stderr
    assert "9400" in (tmp_path / "g" / "release.html").read_text()


@pytest.mark.slow
def test_parallel_build_gives_the_same_pages(make_app, rootdir, tmp_path):
    serial_out = built_once(rootdir, "ports-rst", "text", tmp_path / "serial")
    parallel = build(make_app, rootdir, "ports-rst", "text", tmp_path / "parallel", parallel=2)
    assert warnings_of(parallel) == ""
    for page in serial_out.glob("*.txt"):
        assert (Path(parallel.outdir) / page.name).read_text() == page.read_text()


@pytest.mark.sphinx("html", testroot="ports-roundtrip", freshenv=True)
def test_setup_registers_config_directives_and_is_parallel_safe(app):
    meta = app.extensions[EXT]
    assert meta.parallel_read_safe is True and meta.parallel_write_safe is True
    assert meta.version == k.__version__
    assert app.config.portspec_default_release == "v2.1"
    assert app.config.portspec_spec_paths == []
    for name in ("portspec_default_release", "portspec_spec_paths"):
        value = app.config.values[name]  # a tuple on Sphinx 7.2, an object from 7.3
        assert (value.rebuild if hasattr(value, "rebuild") else value[1]) == "env"
    from docutils.parsers.rst import directives, roles

    assert directives._directives.get("konvoy-ports") is not None
    assert directives._directives.get("konvoy-ports-diff") is not None
    assert roles._roles.get("konvoy-port") is not None
