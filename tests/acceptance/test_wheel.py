"""The built wheel carries the spec: installed away from the source tree, load() works."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile

import pytest

from tests.support import RELEASES, ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("konvoy_portspec-*.whl")
    return built


def test_wheel_contents(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for release in RELEASES:
        assert f"konvoy_portspec/spec/konvoy/{release}.json" in names
    assert "konvoy_portspec/spec/schema.json" in names
    assert "konvoy_portspec/py.typed" in names
    assert "konvoy_portspec_sphinx/__init__.py" in names
    assert not any(n.startswith(("sphinx_ext/", "tests/", "spec/")) for n in names)


def test_installed_wheel_loads_releases_outside_the_source_tree(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import konvoy_portspec as k, sys; "
        "assert 'site-packages' in k.__file__, k.__file__; "
        "print(k.releases()); print(k.load('v2.1').roles['worker'].for_port(9400)[0].component)"
    )
    proc = subprocess.run(
        [str(python), "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    lines = proc.stdout.splitlines()
    assert lines[0] == repr(RELEASES)
    assert lines[1] == "NVIDIA GPU DCGM"
    proc = subprocess.run(
        [str(env_dir / "bin" / "portspec"), "releases"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.split() == RELEASES
