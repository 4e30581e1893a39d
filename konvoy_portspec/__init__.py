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

from konvoy_portspec.errors import (
    ExtractError,
    OutputError,
    PortSpecError,
    SpecFormatError,
    UnknownReleaseError,
)
from konvoy_portspec.io.bundled import load, releases
from konvoy_portspec.model import Role, RoleMap, Rule, Source, Spec
from konvoy_portspec.version import __version__ as __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from konvoy_portspec.analysis.diff import SpecDiff
    from konvoy_portspec.analysis.policy import Policy
    from konvoy_portspec.analysis.validation import Violation
    from konvoy_portspec.extraction import ExtractWarning

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
    warnings: list[ExtractWarning] | None = None,
    keep_going: bool = False,
) -> Spec:
    """Extract the spec of a docs page given as a path, as text or as bytes.

    ``warnings``, when given, receives what the page holds that did not stop it from
    being read (a port cell in prose, kept as a port-less rule), with file and line;
    with ``keep_going``, rows whose port cell is broken are left out (and reported
    there) instead of raising ``ExtractError``."""
    from konvoy_portspec.extraction import extract as _extract

    return _extract(
        source, release=release, product=product, warnings=warnings, keep_going=keep_going
    )


def load_file(path: str | os.PathLike[str]) -> Spec:
    """Read (and schema-check) a spec JSON file."""
    from konvoy_portspec.io.spec_json import load_file as _load_file

    return _load_file(path)


def dumps(spec: Spec) -> str:
    """The canonical, byte-stable JSON text of a spec."""
    from konvoy_portspec.io.spec_json import dumps as _dumps

    return _dumps(spec)


def loads(text: str | bytes) -> Spec:
    """Parse (and schema-check) spec JSON text."""
    from konvoy_portspec.io.spec_json import loads as _loads

    return _loads(text)


def diff(old: Spec, new: Spec) -> SpecDiff:
    """What changed from ``old`` to ``new``: added, removed, changed and moved rules."""
    from konvoy_portspec.analysis.diff import diff as _diff

    return _diff(old, new)


def apply(spec: Spec, changes: SpecDiff) -> Spec:
    """``spec`` with ``changes`` applied: ``apply(a, diff(a, b))`` has ``b``'s rules."""
    from konvoy_portspec.analysis.diff import apply as _apply

    return _apply(spec, changes)


def validate(spec: Spec, policy: Policy | None = None) -> list[Violation]:
    """The role-consistency invariants ``spec`` breaks (empty when all hold)."""
    from konvoy_portspec.analysis.validation import validate as _validate

    return _validate(spec, policy)


def export(
    spec: Spec,
    fmt: str,
    role: str | Iterable[str] | None = None,
    *,
    kubernetes_version: str | None = None,
) -> str:
    """``spec`` as firewall rules or policy: iptables (a script), iptables-restore,
    ip6tables-restore, nftables, firewalld, networkpolicy, calico, csv or json (see
    :mod:`konvoy_portspec.output.exporters`). The spec is checked first: text that is
    not one line, a reversed range or a bad role id is a ``SpecFormatError``."""
    from konvoy_portspec.output.exporters import export as _export

    return _export(spec, fmt, role, kubernetes_version=kubernetes_version)
