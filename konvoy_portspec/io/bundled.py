"""The bundled spec: one JSON file per release, shipped inside the package.

In a wheel the files live in ``konvoy_portspec/spec/``; in a source checkout they live in
the top-level ``spec/`` folder (the one the generator writes). Reading is cached per
process, since bundled files never change under a running program.
"""

from __future__ import annotations

import functools
import json
import os

from konvoy_portspec import release_names as _releases
from konvoy_portspec.model import Spec

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's start path
    from typing import Any

PRODUCT = "konvoy"


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


def _read(*parts: str) -> bytes:
    with open(os.path.join(spec_dir(), *parts), "rb") as fh:
        return fh.read()


@functools.cache
def schema(name: str = "schema.json") -> dict[str, Any]:
    """A bundled JSON Schema: by default the one every spec file follows."""
    data: dict[str, Any] = json.loads(_read(name))
    return data


@functools.cache
def _release_files(product: str) -> dict[str, str]:
    folder = os.path.join(spec_dir(), product)
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return {}
    found = {n[: -len(".json")]: n for n in names if n.endswith(".json")}
    return {k: found[k] for k in sorted(found, key=_releases.sort_key)}


def releases(product: str = PRODUCT) -> list[str]:
    """Bundled releases, oldest first."""
    return list(_release_files(product))


def resolve(name: str, product: str = PRODUCT) -> str:
    """The bundled release a user means by ``name`` (``2.1``, ``v2.1``, ``latest``)."""
    return _releases.resolve(name, releases(product))


@functools.cache
def _load(product: str, release: str) -> Spec:
    from konvoy_portspec.io.spec_json import from_dict

    return from_dict(json.loads(_read(product, _release_files(product)[release])))


def load(name: str = "latest", product: str = PRODUCT) -> Spec:
    """A bundled release as a :class:`~konvoy_portspec.model.Spec`.

    Raises :class:`~konvoy_portspec.errors.UnknownReleaseError` (listing the known
    releases) for a release that is not bundled.
    """
    return _load(product, resolve(name, product))


def path_of(name: str, product: str = PRODUCT) -> str:
    """File path of a bundled release (for tools that want to register dependencies)."""
    release = resolve(name, product)
    return os.path.join(spec_dir(), product, _release_files(product)[release])
