"""The files shipped inside the package: the JSON Schemas and ``<product>/<release>.json``.

In a wheel the files live in ``konvoy_portspec/spec/``; in a source checkout they live in
the top-level ``spec/`` folder (the one the generator writes). The lowest module of the
io layer, so that both the schema check and the bundled releases can read from it
without importing each other.
"""

from __future__ import annotations

import functools
import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's start path
    from typing import Any


@functools.cache
def spec_dir() -> str:
    """Folder holding ``schema.json`` and ``<product>/<release>.json``.

    A plain directory lookup next to the package covers installed wheels and source
    checkouts without importing ``importlib.resources`` (which costs the CLI a visible
    slice of its start-up); a zipped install falls back to ``importlib.resources``.
    """
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the package
    for candidate in (os.path.join(here, "spec"), os.path.join(os.path.dirname(here), "spec")):
        if os.path.isfile(os.path.join(candidate, "schema.json")):
            return candidate
    import importlib.resources

    traversable = importlib.resources.files("konvoy_portspec") / "spec"
    with importlib.resources.as_file(traversable) as path:  # pragma: no cover - zip installs
        return os.fspath(path)


def read(*parts: str) -> bytes:
    with open(os.path.join(spec_dir(), *parts), "rb") as fh:
        return fh.read()


@functools.cache
def schema(name: str = "schema.json") -> dict[str, Any]:
    """A bundled JSON Schema: by default the one every spec file follows."""
    data: dict[str, Any] = json.loads(read(name))
    return data
