"""konvoy-portspec: Konvoy port documentation as a versioned, importable spec.

    >>> import konvoy_portspec as k
    >>> k.releases()[:2]
    ['v1.5', 'v1.6']
    >>> spec = k.load("v2.1")
    >>> [r.port for r in spec.roles["worker"]][:3]
    [22, 179, 1338]

Importing the package is cheap (no markdown, HTML, schema or Sphinx libraries); the
functions that need those import them when called.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from .bundled import load, releases
from .errors import (
    ExtractError,
    OutputError,
    PortSpecError,
    SpecFormatError,
    UnknownReleaseError,
)
from .model import Role, RoleMap, Rule, Source, Spec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .changes import SpecDiff
    from .validation import Policy, Violation

__version__ = "0.1.0"

__all__ = [
    "ExtractError",
    "OutputError",
    "PortSpecError",
    "Role",
    "RoleMap",
    "Rule",
    "Source",
    "Spec",
    "SpecFormatError",
    "UnknownReleaseError",
    "__version__",
    "apply",
    "diff",
    "dumps",
    "export",
    "extract",
    "load",
    "load_file",
    "loads",
    "releases",
    "validate",
]


def extract(
    source: str | bytes | os.PathLike[str],
    *,
    release: str | None = None,
    product: str | None = None,
) -> Spec:
    """Extract the spec of a docs page given as a path, as text or as bytes."""
    from .extraction import extract as _extract

    return _extract(source, release=release, product=product)


def load_file(path: str | os.PathLike[str]) -> Spec:
    """Read (and schema-check) a spec JSON file."""
    from .specio import load_file as _load_file

    return _load_file(path)


def dumps(spec: Spec) -> str:
    """The canonical, byte-stable JSON text of a spec."""
    from .specio import dumps as _dumps

    return _dumps(spec)


def loads(text: str | bytes) -> Spec:
    """Parse (and schema-check) spec JSON text."""
    from .specio import loads as _loads

    return _loads(text)


def diff(old: Spec, new: Spec) -> SpecDiff:
    """What changed from ``old`` to ``new``: added, removed, changed and moved rules."""
    from .changes import diff as _diff

    return _diff(old, new)


def apply(spec: Spec, changes: SpecDiff) -> Spec:
    """``spec`` with ``changes`` applied: ``apply(a, diff(a, b))`` has ``b``'s rules."""
    from .changes import apply as _apply

    return _apply(spec, changes)


def validate(spec: Spec, policy: Policy | None = None) -> list[Violation]:
    """The role-consistency invariants ``spec`` breaks (empty when all hold)."""
    from .validation import validate as _validate

    return _validate(spec, policy)


def export(spec: Spec, fmt: str, role: str | Iterable[str] | None = None) -> str:
    """``spec`` as firewall rules or policy: iptables, nftables, firewalld,
    networkpolicy, calico, csv or json (see :mod:`konvoy_portspec.exporters`)."""
    from .exporters import export as _export

    return _export(spec, fmt, role)
