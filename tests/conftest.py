"""Shared fixtures: where the real corpus lives (``../shared/corpus`` beside the clone)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PORTSPEC_CORPUS", ROOT.parent / "shared" / "corpus")) / "konvoy"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
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


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "v2.1" / "ports.md").is_file():
        pytest.fail(f"real corpus not found at {CORPUS} (CI keeps ../shared beside the clone)")
    return CORPUS


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


# Sphinx's own pytest fixtures (app, make_app, ...) for building sites in tests/roots/.
pytest_plugins = ["sphinx.testing.fixtures"]


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Where sphinx.testing finds the small test sites (``tests/roots/test-<name>``)."""
    return Path(__file__).resolve().parent / "roots"


# Hypothesis: CI is derandomized and bounded (fast, reproducible); `dev` digs deeper.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
