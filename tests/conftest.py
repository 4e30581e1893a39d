"""Shared fixtures: where the real corpus lives (``../shared/corpus`` beside the clone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import CORPUS, FIXTURES, ROOTS


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
    return ROOTS


# Hypothesis profiles: `quick` (make test, CI) is derandomized and bounded, so a run is
# fast and reproducible; `thorough` (make test-thorough) draws far more examples, at random.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "quick",
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))
