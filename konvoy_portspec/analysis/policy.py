"""The role policy: what the validator expects of roles beyond the spec's schema.

Which components must stay off which roles, which port ranges are cluster-wide and the
documented exceptions are data, not code: ``spec/policy.json`` (schema
``spec/policy.schema.json``) holds Konvoy's, and ``portspec validate --policy FILE``
replaces it, so a site with its own layout changes a file rather than the checks. The
checks themselves live in :mod:`konvoy_portspec.analysis.validation`; this module only
reads a policy and answers its questions.

Exceptions waive matching violations and must give a reason, so a waiver is never
silent.

jsonschema is imported only to check a policy file given with ``--policy`` (the bundled
one is held to its schema by tests, so validating a release never loads it).
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.io.files import parse_json, read_bytes
from konvoy_portspec.io.package_data import spec_dir
from konvoy_portspec.io.schema_check import schema_problems
from konvoy_portspec.model import Rule


class PolicyError(PortSpecError):
    """A policy file that is not valid JSON or does not follow spec/policy.schema.json."""


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Whether ``name`` (a role id or a release) matches a shell-style pattern."""
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


@functools.lru_cache(maxsize=65536)
def component_key(component: str) -> str:
    """What two component names must share to name one component: docs tables differ in
    case and spacing ("Kubelet", "kubelet") for the same thing."""
    return " ".join(component.split()).casefold()


@dataclass(frozen=True, slots=True)
class ForbiddenComponents:
    roles: tuple[str, ...]
    components: tuple[str, ...]
    reason: str = ""

    def applies_to(self, role_id: str) -> bool:
        return matches_any(role_id, self.roles)

    def forbidden(self, component: str) -> str | None:
        """The listed name ``component`` matches as a whole word, if any."""
        return _forbidden_name(self.components, component)


@dataclass(frozen=True, slots=True)
class ClusterRange:
    name: str
    component_pattern: str | None = None
    components: tuple[str, ...] = ()
    roles: tuple[str, ...] = ("*",)
    reason: str = ""

    def applies_to(self, role_id: str) -> bool:
        return matches_any(role_id, self.roles)

    def claims(self, rule: Rule) -> bool:
        return bool(rule.component) and _claims(self, rule.component)


@dataclass(frozen=True, slots=True)
class PolicyException:
    """A documented waiver: violations it matches are not reported."""

    invariant: str
    reason: str
    component: str | None = None
    roles: tuple[str, ...] = ("*",)
    releases: tuple[str, ...] = ("*",)

    def waives(self, invariant: str, role: str | None, rule: Rule | None, release: str) -> bool:
        """Whether a violation of ``invariant`` at ``role``/``rule`` in ``release`` is
        waived (an exception naming a component waives nothing without a rule)."""
        if invariant != self.invariant:
            return False
        if self.component is not None and (
            rule is None or component_key(rule.component) != component_key(self.component)
        ):
            return False
        return matches_any(role or "", self.roles) and matches_any(release, self.releases)


@dataclass(frozen=True, slots=True)
class Policy:
    forbidden: tuple[ForbiddenComponents, ...] = ()
    cluster_ranges: tuple[ClusterRange, ...] = ()
    exceptions: tuple[PolicyException, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()
    source: str = "<policy>"

    def severity_of(self, invariant: str, default: str) -> str:
        """The policy's severity for ``invariant``, or ``default`` (the invariant's own)."""
        return dict(self.severity).get(invariant, default)

    def forbidden_on(self, role_id: str, component: str) -> tuple[str, str] | None:
        """(forbidden name, reason) when the policy keeps ``component`` off ``role_id``."""
        for rule in self.forbidden:
            if rule.applies_to(role_id):
                name = rule.forbidden(component)
                if name is not None:
                    return name, rule.reason
        return None

    def cluster_range_of(self, rule: Rule) -> ClusterRange | None:
        return next((c for c in self.cluster_ranges if c.claims(rule)), None)

    def exception_for(
        self, invariant: str, role: str | None, rule: Rule | None, release: str
    ) -> PolicyException | None:
        return next((e for e in self.exceptions if e.waives(invariant, role, rule, release)), None)


# Memoized per component name: a spec names few components across many rules, and the
# checks ask about every rule (a 100,000-rule spec validates in well under a second).
@functools.lru_cache(maxsize=65536)
def _forbidden_name(names: tuple[str, ...], component: str) -> str | None:
    text = component.casefold()
    for name in names:
        if re.search(rf"(?<![\w-]){re.escape(name.casefold())}(?![\w-])", text):
            return name
    return None


@functools.lru_cache(maxsize=65536)
def _claims(cluster: ClusterRange, component: str) -> bool:
    if component_key(component) in {component_key(c) for c in cluster.components}:
        return True
    return bool(
        cluster.component_pattern and re.search(cluster.component_pattern, component, re.IGNORECASE)
    )


def policy_from_dict(data: Any, *, path: str = "<policy>", check: bool = True) -> Policy:
    """Check ``data`` against spec/policy.schema.json (and its regexes), then build it.

    ``check=False`` skips the schema (not the regexes): only for the bundled policy,
    which the tests hold against the schema, so validating a release never loads
    jsonschema."""
    if check:
        problems = schema_problems(data, "policy.schema.json")
        if problems:
            raise PolicyError(f"not a valid policy: {problems[0]}", path=path)
    ranges = []
    for item in data.get("cluster_ranges", ()):
        pattern = item.get("component_pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise PolicyError(
                    f"cluster range {item['name']!r}: bad component_pattern: {exc}", path=path
                ) from None
        ranges.append(
            ClusterRange(
                name=item["name"],
                component_pattern=pattern,
                components=tuple(item.get("components", ())),
                roles=tuple(item.get("roles", ("*",))),
                reason=item.get("reason", ""),
            )
        )
    return Policy(
        forbidden=tuple(
            ForbiddenComponents(tuple(i["roles"]), tuple(i["components"]), i.get("reason", ""))
            for i in data.get("forbidden_components", ())
        ),
        cluster_ranges=tuple(ranges),
        exceptions=tuple(
            PolicyException(
                invariant=i["invariant"],
                reason=i["reason"],
                component=i.get("component"),
                roles=tuple(i.get("roles", ("*",))),
                releases=tuple(i.get("releases", ("*",))),
            )
            for i in data.get("exceptions", ())
        ),
        severity=tuple(sorted(data.get("severity", {}).items())),
        source=path,
    )


def load_policy(path: str | os.PathLike[str] | None = None, *, check: bool = True) -> Policy:
    """A policy file, or the bundled ``spec/policy.json`` when ``path`` is None."""
    if path is None:
        return default_policy()
    name, raw = read_bytes(path, PolicyError, "policy file")  # regular files only; '-' = stdin
    data = parse_json(raw, PolicyError, name, "policy")
    return policy_from_dict(data, path=name, check=check)


@functools.cache
def default_policy() -> Policy:
    """The bundled policy (read once per process)."""
    return load_policy(os.path.join(spec_dir(), "policy.json"), check=False)
