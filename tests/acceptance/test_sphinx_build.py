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
import time
from pathlib import Path

import pytest

import konvoy_portspec as k
from konvoy_portspec.extraction import extract_file
from tests.support import GOLDEN

UPDATE_GOLDEN = os.environ.get("PORTSPEC_UPDATE_GOLDEN") == "1"
EXT = "konvoy_portspec_sphinx"


def warnings_of(app) -> str:
    """The build's warnings without terminal colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", app.warning.getvalue())


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
    rst = build(make_app, rootdir, "ports-rst", "text", tmp_path / "rst")
    rst.cleanup()  # before a second app in the same test (docutils registries are global)
    myst = build(make_app, rootdir, "ports-myst", "text", tmp_path / "myst")
    for page in ("release.txt", "diff.txt", "roles.txt"):
        rst_text = (Path(rst.outdir) / page).read_text()
        myst_text = (Path(myst.outdir) / page).read_text()
        # same body; rst diff.txt has one extra directive (the override) at the end
        assert myst_text.split("\n", 3)[3] in rst_text
    assert "10248/tcp, 10250/tcp" in (Path(myst.outdir) / "roles.txt").read_text()


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
    roles = (out / "roles.html").read_text()
    assert '<span class="konvoy-port">10248/tcp, 10250/tcp</span>' in roles
    assert '<span class="konvoy-port">9400/tcp</span>' in roles
    assert '<span class="konvoy-port">5473/tcp, 9093/tcp</span>' in roles  # role/component
    assert '<span class="konvoy-port">10250/tcp</span>' in roles  # latest = the user override
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
    ("index.rst", 8, "bad user spec: "),
    ("index.rst", 10, "konvoy-ports: no role 'gpu' in v2.1; roles: control-plane, worker"),
    ("index.rst", 13, "konvoy-ports: unknown column 'direction'; columns: port, protocol"),
    ("index.rst", 16, "konvoy-ports: no release given and portspec_default_release is not set"),
    ("index.rst", 18, "konvoy-ports-diff: unknown release 'v7.7'"),
    ("index.rst", 20, "konvoy-ports-diff: no role 'nowhere' in v2.0 or v2.1"),
    ("index.rst", 23, "konvoy-port: no component 'etcd-nope' in v2.1"),
    ("index.rst", 23, "konvoy-port: bad target 'v2.1//x'"),
    ("index.rst", 25, "konvoy-ports: unknown release 'v9.1'"),
    ("bad-md.md", 5, "konvoy-ports: unknown release 'v8.8'"),
    ("bad-md.md", 8, "konvoy-ports: no role 'nope' in v2.1"),
]


@pytest.mark.sphinx("html", testroot="ports-bad", freshenv=True)
def test_bad_input_is_a_warning_at_the_directive_file_and_line(app):
    app.build()
    text = warnings_of(app)
    assert "Traceback" not in text and "Exception" not in text
    lines = [line for line in text.splitlines() if "WARNING" in line]
    for name, line, fragment in EXPECTED_WARNINGS:
        prefix = f"{Path(app.srcdir) / name}:{line}: WARNING: {fragment}"
        assert any(w.startswith(prefix) for w in lines), f"missing: {prefix}\n{text}"
    # each malformed user spec is named (with the JSON line when there is one), once per page
    specs = Path(app.srcdir) / "specs"
    for problem in (
        f"bad user spec: {specs / 'broken.json'}:5: not valid JSON",
        f"bad user spec: {specs / 'invalid.json'}:5: not a valid port spec: "
        "roles[0].id: 'Not A Slug' is not a role id",
        f"bad user spec: {Path(app.srcdir) / 'missing.json'}: portspec_spec_paths: no such file",
    ):
        assert sum(problem in w for w in lines) == 2, problem  # index.rst and bad-md.md
    types = ("[portspec.directive]", "[portspec.role]", "[portspec.spec]")
    assert all(w.endswith(types) for w in lines)
    assert len(lines) == len(EXPECTED_WARNINGS) - 1 + 6


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
    bad = sphinx_build("-W", "-q", "-b", "html", bad_root, str(tmp_path / "b"))
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr
    assert f"{rootdir / 'test-ports-bad' / 'index.rst'}:8:" in bad.stderr
    good = sphinx_build(
        "-W", "-q", "-E", "-b", "html", str(rootdir / "test-ports-rst"), str(tmp_path / "g")
    )
    assert good.returncode == 0, good.stderr
    assert "9400" in (tmp_path / "g" / "release.html").read_text()


def _bump(path: Path) -> None:
    stat = path.stat()
    later = max(stat.st_mtime_ns, time.time_ns()) + 2_000_000_000
    os.utime(path, ns=(later, later))


def test_editing_a_user_spec_rebuilds_only_the_pages_that_use_specs(make_app, rootdir, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(rootdir / "test-ports-rst", src)
    app = make_app("html", srcdir=src, builddir=tmp_path / "_build", freshenv=True)
    app.build()
    assert warnings_of(app) == ""
    doctrees = Path(app.doctreedir)
    before = {p.name: p.stat().st_mtime_ns for p in doctrees.glob("*.doctree")}
    spec = src / "specs" / "override-v2.3.json"
    spec.write_text(spec.read_text().replace("overridden by a user spec", "edited in place"))
    _bump(spec)
    app.cleanup()
    again = make_app("html", srcdir=src, builddir=tmp_path / "_build")
    again.build()
    assert warnings_of(again) == ""
    page = (Path(again.outdir) / "override.html").read_text()
    assert "edited in place" in page and "overridden by a user spec" not in page
    after = {p.name: p.stat().st_mtime_ns for p in doctrees.glob("*.doctree")}
    assert after["override.doctree"] != before["override.doctree"]
    assert after["plain.doctree"] == before["plain.doctree"]  # no directive: not re-read


@pytest.mark.slow
def test_parallel_build_gives_the_same_pages(make_app, rootdir, tmp_path):
    serial = build(make_app, rootdir, "ports-rst", "text", tmp_path / "serial")
    serial.cleanup()
    parallel = build(make_app, rootdir, "ports-rst", "text", tmp_path / "parallel", parallel=2)
    assert warnings_of(parallel) == ""
    for page in Path(serial.outdir).glob("*.txt"):
        assert (Path(parallel.outdir) / page.name).read_text() == page.read_text()


@pytest.mark.sphinx("html", testroot="ports-roundtrip", freshenv=True)
def test_setup_registers_config_directives_and_is_parallel_safe(app):
    meta = app.extensions[EXT]
    assert meta.parallel_read_safe is True and meta.parallel_write_safe is True
    assert meta.version == k.__version__
    assert app.config.portspec_default_release == "v2.1"
    assert app.config.portspec_spec_paths == []
    for name in ("portspec_default_release", "portspec_spec_paths"):
        assert app.config.values[name].rebuild == "env"
    from docutils.parsers.rst import directives, roles

    assert directives._directives.get("konvoy-ports") is not None
    assert directives._directives.get("konvoy-ports-diff") is not None
    assert roles._roles.get("konvoy-port") is not None
