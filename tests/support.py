"""Where the tests' inputs live: the repository, the real corpus (``../shared/corpus``
beside the clone), fixtures, Sphinx roots and golden files."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
CORPUS = Path(os.environ.get("PORTSPEC_CORPUS", ROOT.parent / "shared" / "corpus")) / "konvoy"
FIXTURES = TESTS / "fixtures"
ROOTS = TESTS / "roots"
GOLDEN = TESTS / "golden"
RELEASES = ["v1.5", "v1.6", "v1.7", "v1.8", "v2.0", "v2.1", "v2.2", "v2.3"]


def load_script(relpath: str) -> ModuleType:
    """A script of the repository that is not a package module (``benchmarks/...``,
    ``scripts/...``), imported from its file so tests can call its functions."""
    path = ROOT / relpath
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
