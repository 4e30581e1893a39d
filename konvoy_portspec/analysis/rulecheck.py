"""Do the firewall rules open what the spec lists, and nothing else?

Compares, per node role, the port ranges a :class:`~.firewall_rules.RuleSet` opens with
the spec's rules, on port coverage rather than rule identity: one ``--dport
30000:32767`` rule covers a spec row per NodePort, a multiport rule covers several
rows, and a rule that opens ``30000:32800`` is reported for the 33 ports the spec does
not list. Port-less protocols (ICMP, IP-in-IP) are compared by protocol.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from konvoy_portspec.analysis.firewall_rules import (
    FirewallRule,
    RuleSet,
    Skipped,
    merge_spans,
    opened,
)
from konvoy_portspec.model import PORT_PROTOCOLS, Rule, Spec

NOT_OPENED = "not-opened"  # the spec lists it, the rules do not open it (or only part)
NOT_IN_SPEC = "not-in-spec"  # the rules open it, the spec does not list it (or only part)
UNKNOWN_ROLE = "unknown-role"  # the rules name a role the spec does not have

Span = tuple[int, int]


def subtract(span: Span, covered: Sequence[Span]) -> list[Span]:
    """The parts of ``span`` outside the sorted, merged ``covered`` ranges."""
    start, end = span
    left: list[Span] = []
    for low, high in covered:
        if high < start:
            continue
        if low > end:
            break
        if low > start:
            left.append((start, low - 1))
        start = max(start, high + 1)
        if start > end:
            return left
    left.append((start, end))
    return left


def _spans_text(spans: Sequence[Span]) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference: a spec rule the rules do not open (``spec_rule`` set) or a
    firewall rule that opens what the spec does not list (``firewall_rule`` set).
    ``missing`` holds the port ranges concerned when only part of a range differs."""

    kind: str
    role: str
    spec_rule: Rule | None = None
    firewall_rule: FirewallRule | None = None
    missing: tuple[Span, ...] = ()

    @property
    def partial(self) -> bool:
        rule = self.spec_rule or self.firewall_rule
        if rule is None or rule.port is None or not self.missing:
            return False
        return self.missing != ((rule.port, rule.end_port),)

    def message(self) -> str:
        if self.kind == UNKNOWN_ROLE:
            return f"the rules are for role {self.role!r}, which the spec does not have"
        if self.spec_rule is not None:
            rule = self.spec_rule
            what = rule.where + _label(rule)
            if self.partial:
                return (
                    f"{what}: in the spec, only partly opened by the rules "
                    f"({_spans_text(self.missing)} not opened)"
                )
            return f"{what}: in the spec, not opened by the rules"
        assert self.firewall_rule is not None
        fw = self.firewall_rule
        where = f" (line {fw.line}" + (f', "{fw.comment}")' if fw.comment else ")")
        if self.partial:
            return f"{fw}{where}: opens {_spans_text(self.missing)}, which the spec does not list"
        return f"{fw}{where}: opened by the rules, not in the spec"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "role": self.role, "message": self.message()}
        if self.spec_rule is not None:
            r = self.spec_rule
            out["spec_rule"] = {
                "port": r.port,
                "end_port": r.end_port,
                "protocol": r.protocol,
                "component": r.component,
                "notes": r.notes,
            }
        if self.firewall_rule is not None:
            f = self.firewall_rule
            out["firewall_rule"] = {
                "port": f.port,
                "end_port": f.end_port,
                "protocol": f.protocol,
                "icmp_type": f.icmp_type or None,
                "comment": f.comment,
                "line": f.line,
            }
        if self.missing:
            out["ports"] = [list(s) for s in self.missing]
        return out


def _label(rule: Rule) -> str:
    parts = ", ".join(p for p in (rule.component, rule.notes) if p)
    return f" ({parts})" if parts else ""


@dataclass(frozen=True, slots=True)
class RoleCheck:
    """The comparison for one role."""

    role: str
    title: str
    spec_rules: int
    firewall_rules: int
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """The whole comparison: per-role results, plus what the parser skipped."""

    product: str
    release: str
    source: str | None
    roles: tuple[RoleCheck, ...]
    skipped: tuple[Skipped, ...] = ()

    def __bool__(self) -> bool:
        """True when the rules and the spec differ."""
        return any(r.findings for r in self.roles)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.roles for f in r.findings]


def check_role(
    spec_rules: Sequence[Rule], rules: Sequence[FirewallRule], role: str
) -> list[Finding]:
    """Findings for one role: spec rules first (spec order), then extra firewall rules."""
    findings: list[Finding] = []
    opens_all = any(r.protocol == "all" for r in rules)
    fw_portless = {r.protocol for r in rules if r.port is None}
    fw_opened = {proto: opened(rules, proto) for proto in PORT_PROTOCOLS}
    for rule in spec_rules:
        if rule.port is not None and rule.end_port is not None and rule.protocol in PORT_PROTOCOLS:
            left = subtract((rule.port, rule.end_port), fw_opened[rule.protocol])
            if left:
                findings.append(Finding(NOT_OPENED, role, spec_rule=rule, missing=tuple(left)))
        elif not opens_all and rule.protocol not in fw_portless:
            findings.append(Finding(NOT_OPENED, role, spec_rule=rule))
    listed: dict[str, list[Span]] = {}
    for rule in spec_rules:
        if rule.port is not None and rule.end_port is not None:
            listed.setdefault(rule.protocol, []).append((rule.port, rule.end_port))
    merged = {proto: merge_spans(spans) for proto, spans in listed.items()}
    spec_portless = {r.protocol for r in spec_rules if r.port is None}
    for fw in rules:
        if fw.port is not None and fw.end_port is not None:
            left = subtract((fw.port, fw.end_port), merged.get(fw.protocol, []))
            if left:
                findings.append(Finding(NOT_IN_SPEC, role, firewall_rule=fw, missing=tuple(left)))
        elif fw.protocol not in spec_portless:
            findings.append(Finding(NOT_IN_SPEC, role, firewall_rule=fw))
    return findings


def check_rules(spec: Spec, ruleset: RuleSet, roles: Sequence[str] | None = None) -> RuleCheck:
    """Compare ``ruleset`` with ``spec``.

    Roles checked: ``roles`` if given; else the roles the rules name; else (a rules
    file without roles) every role of the spec. Rules without a role count for every
    role checked.
    """
    if roles:
        wanted = list(spec.select(roles).roles)
    elif ruleset.roles:
        wanted = list(ruleset.roles)
    else:
        wanted = list(spec.roles)
    results = []
    for role_id in wanted:
        rules = ruleset.for_role(role_id)
        if role_id not in spec.roles:
            results.append(
                RoleCheck(role_id, role_id, 0, len(rules), (Finding(UNKNOWN_ROLE, role_id),))
            )
            continue
        role = spec.roles[role_id]
        findings = tuple(check_role(role.rules, rules, role_id))
        results.append(RoleCheck(role_id, role.title, len(role.rules), len(rules), findings))
    return RuleCheck(spec.product, spec.release, ruleset.path, tuple(results), ruleset.skipped)


# --- reports -------------------------------------------------------------------------


def format_text(check: RuleCheck) -> str:
    source = check.source or "the rules"
    out = [f"check-rules: {source} against {check.product} {check.release}"]
    total = 0
    for role in check.roles:
        n = len(role.findings)
        total += n
        state = "agree" if not n else f"{n} difference{'s' if n != 1 else ''}"
        out.append(
            f"{role.role} ({role.title}): {role.spec_rules} spec rules, "
            f"{role.firewall_rules} firewall rules: {state}"
        )
        for finding in role.findings:
            mark = (
                "-" if finding.kind == NOT_OPENED else "+" if finding.kind == NOT_IN_SPEC else "!"
            )
            out.append(f"  {mark} {finding.message()}")
    if check.skipped:
        out.append(f"({len(check.skipped)} rules skipped: not INPUT ACCEPT rules that open ports)")
    if total:
        where = sum(1 for r in check.roles if r.findings)
        out.append(f"{total} difference{'s' if total != 1 else ''} in {where} role(s).")
    else:
        out.append("The rules open exactly the spec's ports.")
    return "\n".join(out) + "\n"


def to_dict(check: RuleCheck) -> dict[str, Any]:
    return {
        "product": check.product,
        "release": check.release,
        "source": check.source,
        "agree": not check,
        "roles": [
            {
                "role": r.role,
                "title": r.title,
                "spec_rules": r.spec_rules,
                "firewall_rules": r.firewall_rules,
                "findings": [f.to_dict() for f in r.findings],
            }
            for r in check.roles
        ],
        "skipped": [{"line": s.line, "reason": s.reason, "text": s.text} for s in check.skipped],
    }


def format_json(check: RuleCheck) -> str:
    return json.dumps(to_dict(check), indent=2, ensure_ascii=False) + "\n"


FORMATTERS: dict[str, Callable[[RuleCheck], str]] = {"text": format_text, "json": format_json}


def format_check(check: RuleCheck, fmt: str = "text") -> str:
    return FORMATTERS[fmt](check)
