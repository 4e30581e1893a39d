"""Run the Sphinx extension's tests against the oldest Sphinx that pyproject.toml allows
(and, on request, the newest), each in a throwaway virtualenv.

    python scripts/sphinx_matrix.py [floor] [latest] [--venv-root DIR] [--fresh] [-- PYTEST-ARGS]

Why: ``sphinx>=7.2`` is a promise. The project's own ``.venv`` gets whatever is newest
when it is created, so without this a call that exists only in newer Sphinx (such as
``add_config_value(description=...)``, new in 7.4) ships unnoticed and crashes every
site still on the floor.

``floor`` pins Sphinx, docutils and myst-parser to the lowest versions the ``sphinx``
and ``myst`` extras declare (read from pyproject.toml, so the floor tested is the floor
declared); ``latest`` installs the newest of each. The rest of the runtime dependencies,
pytest and hypothesis are resolved by pip as usual, and the project is installed in
editable mode without its dependencies. A venv is reused while what it was built from
(the pins, the runtime dependencies, the Python version) is unchanged; ``--fresh``
rebuilds it. Venvs live in ``.venv-sphinx-<name>/`` at the top of the repository (kept
out of git) unless ``--venv-root`` says otherwise.

Exit status: pytest's (0 when every test passed), or 1 with a message when a venv
could not be built.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

# packaging reads requirements and versions as pip does (Sphinx depends on it).
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
#: The packages whose versions the matrix varies: the ones the extension talks to.
VARIED = ("sphinx", "docutils", "myst-parser")
#: Test-only packages the Sphinx tests import: tests/conftest.py loads hypothesis, and
#: sphinx.testing needs defusedxml (7.3 imports it at once; Sphinx lists it only in its
#: own test extra).
TEST_TOOLS = ("pytest", "hypothesis", "defusedxml")
STAMP = ".matrix-stamp"


def _name(requirement: str) -> tuple[str, SpecifierSet]:
    """``("sphinx", SpecifierSet(">=7.2"))`` from ``"sphinx>=7.2"`` (the name as pip
    compares names)."""
    try:
        parsed = Requirement(requirement)
    except InvalidRequirement:
        raise SystemExit(f"sphinx_matrix: cannot read the requirement {requirement!r}") from None
    return canonicalize_name(parsed.name), parsed.specifier


def declared(
    pyproject: Path = ROOT / "pyproject.toml",
) -> tuple[dict[str, SpecifierSet], list[str]]:
    """The version specifiers of :data:`VARIED` from the extras, and the runtime
    dependencies (as written)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    varied: dict[str, SpecifierSet] = {}
    for requirement in [*extras.get("sphinx", []), *extras.get("myst", [])]:
        name, spec = _name(requirement)
        if name in VARIED:
            varied[name] = spec
    missing = [n for n in VARIED if n not in varied]
    if missing:
        raise SystemExit(f"sphinx_matrix: pyproject.toml's extras do not name {missing}")
    return varied, list(project.get("dependencies", []))


def floor_pins(varied: dict[str, SpecifierSet]) -> list[str]:
    """``sphinx==7.2`` for ``sphinx>=7.2``: the lowest version each specifier allows."""
    pins = []
    for name, spec in varied.items():
        lows = [s.version for s in spec if s.operator == ">="]
        if len(lows) != 1:
            raise SystemExit(f"sphinx_matrix: {name}{spec} has no single '>=' floor to test")
        pins.append(f"{name}=={lows[0]}")
    return pins


def requirements(which: str) -> list[str]:
    varied, runtime = declared()
    chosen = floor_pins(varied) if which == "floor" else list(VARIED)
    return [*chosen, *runtime, *TEST_TOOLS]


def _run(cmd: list[str]) -> None:
    """Run a step of building a venv; exit 1 with the command if it fails."""
    if subprocess.run(cmd, check=False).returncode != 0:
        raise SystemExit(f"sphinx_matrix: failed: {' '.join(cmd)}")


def ensure_venv(venv: Path, which: str, fresh: bool) -> Path:
    """The venv's python, built (or rebuilt) when what it is built from changed."""
    wanted = requirements(which)
    stamp_text = json.dumps(
        {"python": sys.version, "requirements": wanted, "latest": which == "latest"},
        sort_keys=True,
    )
    digest = hashlib.sha256(stamp_text.encode()).hexdigest()
    python = venv / "bin" / "python"
    stamp = venv / STAMP
    # "latest" is rebuilt each day at most: newer releases appear without a stamp change.
    stale_day = (
        which == "latest" and stamp.is_file() and time.time() - stamp.stat().st_mtime > 86400
    )
    reusable = not fresh and not stale_day and python.is_file() and stamp.is_file()
    if reusable and stamp.read_text(encoding="utf-8") == digest:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    print(f"sphinx_matrix: building {venv} ({which})", flush=True)
    _run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(python), "-m", "pip", "-qq", "--disable-pip-version-check"]
    _run([*pip, "install", *wanted])
    _run([*pip, "install", "--no-deps", "-e", str(ROOT)])
    stamp.write_text(digest, encoding="utf-8")
    return python


def installed_versions(python: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys;"
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    out = subprocess.run(
        [str(python), "-c", code, *VARIED], capture_output=True, text=True, check=True
    )
    versions: dict[str, str] = json.loads(out.stdout)
    return versions


def check_floor(versions: dict[str, str]) -> None:
    """The floor venv holds exactly the declared floors (pip could not pick others)."""
    for pin in floor_pins(declared()[0]):
        name, version = pin.split("==")
        if Version(versions[name]) != Version(version):  # 7.2 == 7.2.0
            raise SystemExit(
                f"sphinx_matrix: the floor venv has {name} {versions[name]}, not {version}"
            )


def test_files() -> list[str]:
    files = sorted(ROOT.glob("tests/unit/test_sphinx_*.py"))
    files += sorted(ROOT.glob("tests/acceptance/test_sphinx_*.py"))
    return [str(f.relative_to(ROOT)) for f in files]


def run_tests(python: Path, extra: list[str]) -> int:
    env = {**os.environ, "HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "quick")}
    # --disable-warnings: old docutils and Sphinx warn about their own deprecations by
    # the hundred; the summary would bury the result (filters still apply)
    cmd = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--disable-warnings"]
    cmd += [*test_files(), *extra]
    return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    # (no choices=: Python 3.11's argparse checks an empty nargs="*" list against them)
    parser.add_argument("which", nargs="*", help="floor, latest or both (default: floor)")
    parser.add_argument("--venv-root", type=Path, default=ROOT, help="where the venvs go")
    parser.add_argument("--fresh", action="store_true", help="rebuild the venvs")
    argv = sys.argv[1:] if argv is None else argv
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    extra = argv[cut + 1 :]  # after --: for pytest
    unknown = [w for w in args.which if w not in ("floor", "latest")]
    if unknown:
        parser.error(f"unknown venv {unknown[0]!r}: floor or latest")
    status = 0
    for which in dict.fromkeys(args.which or ["floor"]):
        start = time.monotonic()
        python = ensure_venv(args.venv_root / f".venv-sphinx-{which}", which, args.fresh)
        versions = installed_versions(python)
        if which == "floor":
            check_floor(versions)
        listed = ", ".join(f"{n} {v}" for n, v in versions.items())
        print(f"sphinx_matrix: {which}: {listed}", flush=True)
        code = run_tests(python, extra)
        took = time.monotonic() - start
        print(f"sphinx_matrix: {which}: pytest exit {code} in {took:.1f}s", flush=True)
        status = status or code
    return status


if __name__ == "__main__":
    sys.exit(main())
