"""conf.py values and user spec files with problems (tests/roots/test-ports-config): each
problem is one warning at its own file and line, safe values are coerced, the build
goes on; and setup() asks only for what the oldest supported Sphinx has."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tests._sphinx import warnings_of as all_warnings
from tests.support import ROOT, load_script


def warnings_of(app) -> list[str]:
    text = all_warnings(app)
    return [line for line in text.splitlines() if "WARNING" in line]


@pytest.mark.sphinx("html", testroot="ports-config", freshenv=True)
def test_each_config_and_spec_problem_is_one_warning_where_it_is(app):
    app.build()
    src = Path(app.srcdir)
    ports = src / "ports"
    expected = [
        (
            f"{src / 'conf.py'}:7: WARNING: portspec_default_release = 2.1 is a float, "
            "not a string; read as '2.1'"
        ),
        (
            f"{src / 'conf.py'}:9: WARNING: portspec_spec_paths = 'ports' is a single path, "
            "not a list; read as ['ports']"
        ),
        (
            f"{ports / 'b-v4.0.json'}:4: WARNING: release v4.0 is also in "
            f"{ports / 'a-v4.0.json'}; this file is used"
        ),
        # port and end_port are both 70000; the schema check names end_port first
        f"{ports / 'range.json'}:10: WARNING: not a valid port spec: ",
    ]
    lines = warnings_of(app)
    # 4 problems, 3 pages using the extension: 4 warnings, not 12
    assert len(lines) == len(expected), "\n".join(lines)
    for start in expected:
        assert sum(line.startswith(start) for line in lines) == 1, (start, lines)
    (range_line,) = [line for line in lines if "range.json" in line]
    assert "port 70000 is out of range 1-65535" in range_line
    assert app.config.portspec_default_release == "2.1"
    assert app.config.portspec_spec_paths == ["ports"]
    out = Path(app.outdir)
    # the pages render with the coerced values: v2.1 by default, v4.0 from b-v4.0.json
    assert "9400" in (out / "index.html").read_text()  # v2.1's worker GPU exporter
    user = (out / "user.html").read_text()
    assert "8443" in user and "8080" not in user
    inline = (out / "inline.html").read_text()
    assert "10248/tcp" in inline and "8443/tcp" in inline


@pytest.mark.sphinx(
    "html",
    testroot="ports-config",
    freshenv=True,
    confoverrides={"portspec_default_release": "v9.9", "portspec_spec_paths": []},
)
def test_an_unknown_default_release_is_reported_once_at_conf_py(app):
    app.build()
    lines = warnings_of(app)
    once = [line for line in lines if "portspec_default_release" in line]
    assert len(once) == 1
    # set with -D, not by a line of conf.py: the file leads the message, without a line
    assert once[0].startswith(
        f"WARNING: {Path(app.srcdir) / 'conf.py'}: portspec_default_release: "
        "unknown release 'v9.9'; known releases: v1.5"
    )


class _FloorApp:
    """The part of Sphinx 7.2's application that setup() calls, with 7.2's signatures
    where they differ from newer releases (add_config_value has no description=)."""

    def __init__(self) -> None:
        self.config_values: list[tuple[str, object, str]] = []

    def add_config_value(self, name, default, rebuild, types=()):
        self.config_values.append((name, default, rebuild))

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def test_setup_asks_only_for_what_the_oldest_supported_sphinx_has(monkeypatch):
    import sphinx
    from konvoy_portspec_sphinx import setup

    floor = _declared_floor()
    monkeypatch.setattr(sphinx, "version_info", (*floor, 0, "final", 0)[:5])
    app = _FloorApp()
    meta = setup(app)
    assert [name for name, _, _ in app.config_values] == [
        "portspec_default_release",
        "portspec_spec_paths",
    ]
    assert all(rebuild == "env" for _, _, rebuild in app.config_values)
    assert meta["parallel_read_safe"] and meta["parallel_write_safe"]


def _declared_floor() -> tuple[int, int]:
    """(7, 2) from ``sphinx>=7.2`` in pyproject.toml's ``sphinx`` extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (spec,) = [r for r in project["optional-dependencies"]["sphinx"] if r.startswith("sphinx")]
    match = re.match(r"sphinx>=(\d+)\.(\d+)", spec.replace(" ", ""))
    assert match, spec
    return int(match.group(1)), int(match.group(2))


def test_the_matrix_script_tests_the_declared_floors():
    matrix = load_script("scripts/sphinx_matrix.py")
    varied, runtime = matrix.declared()
    pins = matrix.floor_pins(varied)
    major, minor = _declared_floor()
    assert f"sphinx=={major}.{minor}" in pins
    assert {p.split("==")[0] for p in pins} == {"sphinx", "docutils", "myst-parser"}
    assert any(r.startswith("markdown-it-py") for r in runtime)
    assert matrix.test_files()[:1] == ["tests/unit/test_sphinx_nodes.py"]
    assert "tests/acceptance/test_sphinx_build.py" in matrix.test_files()
