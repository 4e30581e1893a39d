"""Hypothesis strategies for port specs: valid ones, and ones with exactly one fault.

For users who test code built on konvoy-portspec (and for this project's property
tests). It imports hypothesis at module level, so it is only importable with the
``test`` extra installed; nothing else in the package imports it.

What "valid" means is written down here, on its own, from what a Konvoy ports page
looks like: control-plane components (etcd, the API server, scheduler and controller
manager) only in the control-plane table, the NodePort range on every role, a component
on the same ports wherever it is listed, no port claimed twice. The strategies do not
ask the validator or its policy what is allowed, so the property tests compare two
independent statements of the rules, not the validator with itself. The protocol
vocabulary comes from :mod:`konvoy_portspec.protocols` (it names protocols; it decides
nothing about a spec).

* :func:`specs` draws VALID, role-consistent specs: every role keeps one rule per
  (protocol, port, end port), and all text is normalized the way the extractor
  normalizes cells (no leading/trailing whitespace, single spaces), so specs survive a
  render -> extract round trip. Component names and notes mix realistic names with
  arbitrary printable text and markup that renderers must escape (``<script>``, ``|``,
  backticks, ``*``, ``_``, reST roles).
* :func:`rules` and :func:`roles` draw single valid rules and roles.
* :func:`inject` breaks a valid spec in one way, named by what it does (one of
  :data:`FAULTS`, e.g. ``control-plane-component-on-worker``), and returns
  ``(spec_or_data, invariant_id)``: the id of the validator invariant that fault breaks,
  and no other. The first item is a :class:`~konvoy_portspec.model.Spec`, or, for the
  ``json-*`` faults, spec JSON data (a dict). :func:`faults` and :func:`invalid_specs`
  draw a spec and a fault together.
"""

from __future__ import annotations

from konvoy_portspec.testing.faults import FAULT_KINDS, FAULTS, faults, inject, invalid_specs
from konvoy_portspec.testing.specs import (
    CONTROL_PLANE_ONLY,
    REALISTIC_COMPONENTS,
    ROLE_TITLES,
    TRICKY_TEXT,
    WORKER_ROLES,
    as_cell_text,
    roles,
    rules,
    specs,
    texts,
)

__all__ = [
    "CONTROL_PLANE_ONLY",
    "FAULTS",
    "FAULT_KINDS",
    "REALISTIC_COMPONENTS",
    "ROLE_TITLES",
    "TRICKY_TEXT",
    "WORKER_ROLES",
    "as_cell_text",
    "faults",
    "inject",
    "invalid_specs",
    "roles",
    "rules",
    "specs",
    "texts",
]
