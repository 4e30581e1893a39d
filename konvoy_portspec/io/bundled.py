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
from konvoy_portspec.io import package_data
from konvoy_portspec.io.package_data import schema as schema  # re-exported
from konvoy_portspec.io.package_data import spec_dir as spec_dir  # re-exported
from konvoy_portspec.model import Spec

PRODUCT = "konvoy"


@functools.cache
def _release_files(product: str) -> dict[str, str]:
    folder = os.path.join(package_data.spec_dir(), product)
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
    # Imported here: the schema check behind it compiles its patterns on import, and
    # `portspec --help` or `releases` never loads a spec.
    from konvoy_portspec.io.spec_json import from_dict

    return from_dict(json.loads(package_data.read(product, _release_files(product)[release])))


def load(name: str = "latest", product: str = PRODUCT) -> Spec:
    """A bundled release as a :class:`~konvoy_portspec.model.Spec`.

    Raises :class:`~konvoy_portspec.errors.UnknownReleaseError` (listing the known
    releases) for a release that is not bundled.
    """
    return _load(product, resolve(name, product))


def path_of(name: str, product: str = PRODUCT) -> str:
    """File path of a bundled release (for tools that want to register dependencies)."""
    release = resolve(name, product)
    return os.path.join(package_data.spec_dir(), product, _release_files(product)[release])
