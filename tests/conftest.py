"""Shared fixtures: where the real corpus lives (``../shared/corpus`` beside the clone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PORTSPEC_CORPUS", ROOT.parent / "shared" / "corpus")) / "konvoy"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
RELEASES = ["v1.5", "v1.6", "v1.7", "v1.8", "v2.0", "v2.1", "v2.2", "v2.3"]


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "v2.1" / "ports.md").is_file():
        pytest.fail(f"real corpus not found at {CORPUS} (CI keeps ../shared beside the clone)")
    return CORPUS


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES
