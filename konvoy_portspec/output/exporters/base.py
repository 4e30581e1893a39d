"""What every exporter shares: the exporter interface, the refusal of a spec no tool
could be given, and the words comments and policy names are made of."""

from __future__ import annotations

import re
from collections.abc import Sequence

from konvoy_portspec.errors import SpecFormatError, UsageError
from konvoy_portspec.model import MAX_PORT, MIN_PORT, Role, Rule, Spec
from konvoy_portspec.output.formatter import OutputFormat

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's path (diff -f firewall uses iptables)
    from typing import ClassVar


class ExportUsageError(UsageError):
    """The export cannot be made as asked (a format that needs one role, an unknown
    format): a usage error, exit 2."""


class Exporter(OutputFormat):
    """One output format. Subclasses set ``name``/``description`` and implement
    :meth:`render`; ``single_role`` formats refuse a multi-role export."""

    single_role: ClassVar[bool] = False

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def render(self, roles: Sequence[Role]) -> str:
        raise NotImplementedError


def rule_label(rule: Rule) -> str:
    """``kubelet (health)``: the component with its notes, for comments."""
    if rule.component and rule.notes:
        return f"{rule.component} ({rule.notes})"
    return rule.component or rule.notes or "unnamed"


def policy_name(spec: Spec, role: Role) -> str:
    """A DNS-1123 name: ``konvoy-portspec-v2-1-control-plane``."""
    slug = re.sub(r"[^a-z0-9]+", "-", f"konvoy-portspec-{spec.release}-{role.id}".casefold())
    return slug.strip("-")[:253].strip("-")


def _is_port(value: object) -> bool:
    return type(value) is int and MIN_PORT <= value <= MAX_PORT


def rule_problem(rule: Rule) -> str | None:
    """Why no tool could be given ``rule`` (a reversed range, a port out of 1-65535, a
    protocol word with whitespace in it), or ``None`` when it can be exported."""
    protocol = rule.protocol
    if not protocol or any(ch.isspace() or not ch.isprintable() for ch in protocol):
        return f"protocol {protocol!r} is not one word"
    if rule.port is None:
        if rule.end_port is not None:
            return f"end port {rule.end_port!r} without a first port"
        return None
    if not _is_port(rule.port):
        return f"port {rule.port!r} is out of range {MIN_PORT}-{MAX_PORT}"
    if not _is_port(rule.end_port):
        return f"end port {rule.end_port!r} is out of range {MIN_PORT}-{MAX_PORT}"
    assert rule.end_port is not None
    if rule.end_port < rule.port:
        return f"port range {rule.port}-{rule.end_port} is reversed"
    return None


def check_exportable(spec: Spec, roles: Sequence[Role]) -> None:
    """Raise :class:`SpecFormatError` for the first rule of ``roles`` that no tool could
    be given: an export would write it as-is (``--dport 30:20``) or write a broken file."""
    for role in roles:
        for rule in role.rules:
            problem = rule_problem(rule)
            if problem:
                what = " ".join(filter(None, (rule.protocol, rule.component)))
                raise SpecFormatError(
                    f"cannot export release {spec.release!r}: role {role.id!r}, "
                    f"rule {what!r}: {problem}"
                )
